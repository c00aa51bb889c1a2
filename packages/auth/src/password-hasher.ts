/**
 * Password hashing with Argon2id (node `argon2`, per-hash random salt), plus the helpers login
 * needs for uniform timing: `verify` never throws, and `dummyVerify` costs the same as a real
 * verification for users that do not exist.
 */
import argon2 from 'argon2';
import type { HashOptions } from 'argon2';
import { AuthError } from './auth-error.ts';
import { defaultRandomBytes, drawBytes } from './crypto-utils.ts';
import type { RandomBytes } from './crypto-utils.ts';
import { normalizePassword } from './password-policy.ts';

export interface PasswordHasherOptions {
  /** Memory, KiB. Default 19456 (19 MiB), OWASP's recommended minimum with `timeCost` 2. */
  readonly memoryCost?: number;
  /** Passes. Default 2. */
  readonly timeCost?: number;
  /** Lanes. Default 1. */
  readonly parallelism?: number;
  /**
   * Allow parameters below OWASP's minimum (m·t ≥ 35840 KiB with m ≥ 7 MiB). For tests only;
   * the API must not expose it in production mode.
   */
  readonly allowWeak?: boolean;
  /** Longest password (UTF-16 units) that is hashed or verified. Default 4096. */
  readonly maxPasswordLength?: number;
  /** Randomness for the dummy hash's salt. */
  readonly randomBytes?: RandomBytes;
}

export interface PasswordHasher {
  readonly params: { readonly memoryCost: number; readonly timeCost: number; readonly parallelism: number };
  /**
   * Hash a password (NFKC-normalised first) to a PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`.
   * @throws AuthError `AUTH_PASSWORD_POLICY` (`too_long`/`invalid`) for a non-string or overlong input.
   */
  hash(password: string): Promise<string>;
  /** Does `password` match `hash`? `false` — never a throw — for a malformed hash or input. */
  verify(hash: unknown, password: unknown): Promise<boolean>;
  /** Should this stored hash be replaced (other algorithm or parameters, or unparseable)? */
  needsRehash(hash: unknown): boolean;
  /** Spend the time of one verification and return `false`: for logins of unknown users. */
  dummyVerify(): Promise<false>;
}

export const DEFAULT_ARGON2_PARAMS = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

// Upper bounds on parameters read from a stored hash, so a corrupt or planted hash cannot make
// one verification allocate gigabytes or spin for minutes.
const MAX_STORED_MEMORY_KIB = 1 << 21;
const MAX_STORED_TIME = 64;
const MAX_STORED_LANES = 64;
const PHC_ARGON2 = /^\$argon2(?:id|i|d)\$v=\d+\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

function configError(message: string): AuthError {
  return new AuthError('AUTH_CONFIG', message);
}

function storedParamsAcceptable(hash: string): boolean {
  const match = PHC_ARGON2.exec(hash);
  if (match === null || match[1] === undefined) return false;
  const params = new Map(match[1].split(',').map((kv) => [kv.slice(0, 1), Number(kv.slice(2))] as const));
  const m = params.get('m') ?? Infinity;
  const t = params.get('t') ?? Infinity;
  const p = params.get('p') ?? Infinity;
  return m <= MAX_STORED_MEMORY_KIB && t <= MAX_STORED_TIME && p <= MAX_STORED_LANES;
}

/**
 * Build a hasher.
 * @throws AuthError `AUTH_CONFIG` for non-integer or out-of-range parameters, or parameters weaker
 *   than OWASP's minimum unless `allowWeak`.
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const {
    memoryCost = DEFAULT_ARGON2_PARAMS.memoryCost,
    timeCost = DEFAULT_ARGON2_PARAMS.timeCost,
    parallelism = DEFAULT_ARGON2_PARAMS.parallelism,
    allowWeak = false,
    maxPasswordLength = 4096,
    randomBytes = defaultRandomBytes,
  } = options;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 16) throw configError('parallelism must be an integer in [1, 16]');
  if (!Number.isInteger(timeCost) || timeCost < 1 || timeCost > 20) throw configError('timeCost must be an integer in [1, 20]');
  if (!Number.isInteger(memoryCost) || memoryCost < 8 * parallelism || memoryCost > 1 << 20) {
    throw configError('memoryCost must be an integer number of KiB in [8 × parallelism, 1 GiB]');
  }
  if (!allowWeak && (memoryCost < 7168 || memoryCost * timeCost < 35_840)) {
    throw configError('argon2 parameters are below the OWASP minimum (e.g. m=19456 KiB, t=2, p=1)');
  }
  if (!Number.isInteger(maxPasswordLength) || maxPasswordLength < 64) throw configError('maxPasswordLength must be an integer >= 64');
  const params = Object.freeze({ memoryCost, timeCost, parallelism });
  const hashOptions: HashOptions = { type: argon2.argon2id, memoryCost, timeCost, parallelism };

  // A well-formed hash with our parameters and random salt and digest: verifying against it costs
  // exactly what a real verification costs, and nothing can match it.
  const b64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/u, '');
  const dummyHash = `$argon2id$v=19$m=${memoryCost},p=${parallelism},t=${timeCost}$${b64(drawBytes(randomBytes, 16))}$${b64(drawBytes(randomBytes, 32))}`;

  async function dummyVerify(): Promise<false> {
    try {
      await argon2.verify(dummyHash, 'plotbox-dummy-password');
    } catch {
      // Nothing to report: the point was spending the time.
    }
    return false;
  }

  return Object.freeze({
    params,
    async hash(password: string): Promise<string> {
      if (typeof password !== 'string') {
        throw new AuthError('AUTH_PASSWORD_POLICY', 'password must be a string', { reason: 'invalid' });
      }
      if (password.length > maxPasswordLength) {
        throw new AuthError('AUTH_PASSWORD_POLICY', 'password too long', { reason: 'too_long' });
      }
      return argon2.hash(normalizePassword(password), hashOptions);
    },
    async verify(hash: unknown, password: unknown): Promise<boolean> {
      if (typeof hash !== 'string' || typeof password !== 'string' || password.length > maxPasswordLength || !storedParamsAcceptable(hash)) {
        return dummyVerify();
      }
      try {
        return await argon2.verify(hash, normalizePassword(password));
      } catch {
        return false;
      }
    },
    needsRehash(hash: unknown): boolean {
      if (typeof hash !== 'string' || !hash.startsWith('$argon2id$')) return true;
      try {
        return argon2.needsRehash(hash, { memoryCost, timeCost, parallelism });
      } catch {
        return true;
      }
    },
    dummyVerify,
  });
}
