/**
 * Two-factor recovery codes: shown once, stored as SHA-256 hashes, each usable once (the caller
 * clears the matched hash). 16 characters from Crockford's base32 alphabet (80 bits) in groups
 * of four, e.g. `7k3q-m9xd-2hfa-v0rc`; input is forgiving about case, dashes, spaces and the
 * look-alikes i/l → 1, o → 0.
 */
import { constantTimeEqual, defaultRandomBytes, randomBase32, sha256Base64url } from './crypto-utils.ts';
import type { RandomBytes } from './crypto-utils.ts';

/** Crockford's base32, lower case: no i, l, o, u. */
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_LENGTH = 16;
const NORMALIZED = /^[0-9abcdefghjkmnpqrstvwxyz]{16}$/;

export interface RecoveryCodes {
  /** Show these to the user once. */
  readonly codes: readonly string[];
  /** Store these; `hashes[i]` belongs to `codes[i]`. */
  readonly hashes: readonly string[];
}

/** Canonical form of a typed code, or `null` if it cannot be one. */
export function normalizeRecoveryCode(code: unknown): string | null {
  if (typeof code !== 'string' || code.length > 64) return null;
  const normalized = code.toLowerCase().replace(/[\s-]/gu, '').replace(/[il]/gu, '1').replace(/o/gu, '0');
  return NORMALIZED.test(normalized) ? normalized : null;
}

/** Hash of a code as stored. */
export function hashRecoveryCode(code: string): string | null {
  const normalized = normalizeRecoveryCode(code);
  return normalized === null ? null : sha256Base64url(normalized);
}

/**
 * Make `n` (default 10, at most 100) fresh recovery codes and their hashes.
 * @throws Error if the random source repeats itself within the batch.
 */
export function generateRecoveryCodes(n = 10, options: { readonly randomBytes?: RandomBytes } = {}): RecoveryCodes {
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new RangeError('n must be an integer in [1, 100]');
  const randomBytes = options.randomBytes ?? defaultRandomBytes;
  const codes: string[] = [];
  const hashes: string[] = [];
  for (let i = 0; i < n; i++) {
    const raw = randomBase32(randomBytes, CODE_LENGTH, CROCKFORD);
    const hash = sha256Base64url(raw);
    // 80 random bits never repeat within a batch; if they do, the random source is broken.
    if (hashes.includes(hash)) throw new Error('randomBytes returned repeating output');
    codes.push(raw.match(/.{4}/gu)!.join('-'));
    hashes.push(hash);
  }
  return { codes: Object.freeze(codes), hashes: Object.freeze(hashes) };
}

/**
 * Index of the stored hash that `code` matches, or -1. Every hash is compared in constant time
 * with no early exit; `null`/`undefined` entries (codes already used) never match.
 */
export function matchRecoveryCode(code: unknown, hashes: readonly (string | null | undefined)[]): number {
  const normalized = normalizeRecoveryCode(code);
  const candidate = sha256Base64url(normalized ?? '');
  let found = -1;
  for (let i = 0; i < hashes.length; i++) {
    const stored = hashes[i];
    const equal = typeof stored === 'string' && constantTimeEqual(candidate, stored);
    if (equal && normalized !== null && found === -1) found = i;
  }
  return found;
}
