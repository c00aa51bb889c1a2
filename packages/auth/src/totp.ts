/**
 * Time-based one-time passwords (RFC 6238) over `otpauth`, with a ±window of steps and replay
 * refusal: the caller stores the step of the last accepted code and passes it back.
 */
import * as OTPAuth from 'otpauth';
import { AuthError } from './auth-error.ts';
import { constantTimeEqual, defaultRandomBytes, drawBytes } from './crypto-utils.ts';
import type { RandomBytes } from './crypto-utils.ts';

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

export interface TotpOptions {
  /** Shown by authenticator apps; must not contain `:`. */
  readonly issuer: string;
  /** Current time, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Default SHA1: the only one every authenticator app supports. */
  readonly algorithm?: TotpAlgorithm;
  /** Default 6. */
  readonly digits?: number;
  /** Step length, seconds. Default 30. */
  readonly period?: number;
  /** Steps accepted either side of the current one. Default 1. */
  readonly window?: number;
  /** Secret size, bytes. Default 20 (160 bits, RFC 4226's recommendation). */
  readonly secretBytes?: number;
  readonly randomBytes?: RandomBytes;
}

export type TotpVerifyResult = { readonly ok: true; /** Store this as the new `lastUsedStep`. */ readonly step: number } | { readonly ok: false; readonly reason: 'invalid' | 'replay' };

export interface Totp {
  /** A new random secret, base32 (RFC 4648, no padding), to store (encrypted at rest ideally). */
  generateSecret(): string;
  /** The `otpauth://totp/...` URI for the enrolment QR code. */
  provisioningUri(secret: string, accountName: string): string;
  /**
   * Check a code. Accepts the current step ±`window`; a code for a step ≤ `lastUsedStep` is
   * refused as `replay`. Never throws: a malformed secret or code is `invalid`.
   */
  verify(secret: string, code: unknown, lastUsedStep?: number | null): TotpVerifyResult;
  /** The code for `secret` at `atMs` (default now). For tests and diagnostics. */
  generate(secret: string, atMs?: number): string;
  /** The current time step. */
  currentStep(): number;
}

/** Map a refused verification to the house error codes. */
export function totpError(reason: 'invalid' | 'replay'): AuthError {
  return reason === 'replay' ? new AuthError('AUTH_TOTP_REPLAY', 'TOTP code already used', { reason }) : new AuthError('AUTH_TOTP_INVALID', 'TOTP code invalid', { reason });
}

function configError(message: string): AuthError {
  return new AuthError('AUTH_CONFIG', message);
}

function intIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw configError(`${name} must be an integer in [${min}, ${max}]`);
  return value;
}

/**
 * Build the TOTP helper.
 * @throws AuthError `AUTH_CONFIG` for an empty issuer or one containing `:`, or an unsupported
 *   algorithm, digits (6–8), period (15–300 s), window (0–3) or secret size (16–64 bytes).
 */
export function createTotp(options: TotpOptions): Totp {
  if (options === null || typeof options !== 'object') throw configError('TOTP options are required');
  const { issuer, now = Date.now, algorithm = 'SHA1', digits = 6, period = 30, window = 1, secretBytes = 20, randomBytes = defaultRandomBytes } = options;
  if (typeof issuer !== 'string' || issuer.length === 0 || issuer.length > 100 || issuer.includes(':')) {
    throw configError('issuer must be a non-empty string without ":"');
  }
  if (!['SHA1', 'SHA256', 'SHA512'].includes(algorithm)) throw configError('algorithm must be SHA1, SHA256 or SHA512');
  intIn('digits', digits, 6, 8);
  intIn('period', period, 15, 300);
  intIn('window', window, 0, 3);
  intIn('secretBytes', secretBytes, 16, 64);
  if (typeof now !== 'function') throw configError('now must be a function');
  const codePattern = new RegExp(`^\\d{${digits}}$`);

  function parseSecret(secret: string): OTPAuth.Secret {
    if (typeof secret !== 'string' || !/^[A-Z2-7]+=*$/i.test(secret)) throw new TypeError('secret must be base32');
    return OTPAuth.Secret.fromBase32(secret.toUpperCase());
  }

  function stepAt(ms: number): number {
    return Math.floor(ms / 1000 / period);
  }

  function codeAtStep(secret: OTPAuth.Secret, step: number): string {
    return OTPAuth.TOTP.generate({ secret, algorithm, digits, period, timestamp: step * period * 1000 });
  }

  return Object.freeze({
    generateSecret(): string {
      const bytes = new Uint8Array(drawBytes(randomBytes, secretBytes));
      return new OTPAuth.Secret({ buffer: bytes.buffer }).base32;
    },
    provisioningUri(secret: string, accountName: string): string {
      if (typeof accountName !== 'string' || accountName.length === 0 || accountName.includes(':')) {
        throw new TypeError('accountName must be a non-empty string without ":"');
      }
      return new OTPAuth.TOTP({ issuer, label: accountName, secret: parseSecret(secret), algorithm, digits, period }).toString();
    },
    verify(secret: string, code: unknown, lastUsedStep?: number | null): TotpVerifyResult {
      if (typeof code !== 'string') return { ok: false, reason: 'invalid' };
      const cleaned = code.replace(/[\s-]/gu, '');
      if (!codePattern.test(cleaned)) return { ok: false, reason: 'invalid' };
      let parsed: OTPAuth.Secret;
      try {
        parsed = parseSecret(secret);
      } catch {
        return { ok: false, reason: 'invalid' };
      }
      const current = stepAt(now());
      let matched: number | undefined;
      let replayed = false;
      // Check every step of the window (no early exit), newest first.
      for (let step = current + window; step >= current - window; step--) {
        if (!constantTimeEqual(codeAtStep(parsed, step), cleaned)) continue;
        if (typeof lastUsedStep === 'number' && step <= lastUsedStep) replayed = true;
        else matched ??= step;
      }
      if (matched !== undefined) return { ok: true, step: matched };
      return { ok: false, reason: replayed ? 'replay' : 'invalid' };
    },
    generate(secret: string, atMs?: number): string {
      return codeAtStep(parseSecret(secret), stepAt(atMs ?? now()));
    },
    currentStep(): number {
      return stepAt(now());
    },
  });
}
