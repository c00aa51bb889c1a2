/**
 * Password policy after NIST SP 800-63B §5.1.1.2 (SPEC §4): length in Unicode code points after
 * NFKC normalisation, no composition rules, a list of common passwords refused case-insensitively,
 * and context-specific words (the user's email local part and name) refused.
 */
import { AuthError, type PasswordPolicyReason } from './auth-error.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';

export type { PasswordPolicyReason };

export type PasswordPolicyResult = { readonly ok: true; /** The NFKC form: hash this one. */ readonly normalized: string } | { readonly ok: false; readonly reason: PasswordPolicyReason };

/** What is known about the user, for the context-specific check. */
export interface PasswordContext {
  readonly email?: string | undefined;
  readonly displayName?: string | undefined;
}

export interface PasswordPolicyOptions {
  /** Minimum length, code points. Default 8 (NIST minimum; lower is refused). */
  readonly minCodePoints?: number;
  /** Maximum length, code points. Default 256 (NIST: at least 64 must be accepted). */
  readonly maxCodePoints?: number;
}

export const DEFAULT_MIN_CODE_POINTS = 8;
export const DEFAULT_MAX_CODE_POINTS = 256;
/** Shortest email local part / name that is refused as a substring (shorter ones: equality only). */
const MIN_CONTEXT_WORD = 4;

const COMMON = new Set(COMMON_PASSWORDS);
// \p{Cc}: control characters; \p{Cs}: an unpaired surrogate (in `u` mode a lone half is a code point).
const INVALID_CHARACTERS = /[\p{Cc}\p{Cs}]/u;

/** NFKC, as NIST asks; the hasher applies the same, so a password always hashes one way. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

function countCodePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

function contextWord(value: string): string {
  return value.normalize('NFKC').toLowerCase().replace(/\s+/gu, '');
}

function containsContextWord(lowered: string, word: string): boolean {
  if (word.length === 0) return false;
  return lowered === word || (word.length >= MIN_CONTEXT_WORD && lowered.includes(word));
}

/**
 * Check a new password against the policy. Cheap and safe for any input (a 1 MB string is
 * refused as `too_long` before it is normalised).
 * @throws AuthError `AUTH_CONFIG` only for invalid `options`.
 */
export function checkPasswordPolicy(password: unknown, context: PasswordContext = {}, options: PasswordPolicyOptions = {}): PasswordPolicyResult {
  const min = options.minCodePoints ?? DEFAULT_MIN_CODE_POINTS;
  const max = options.maxCodePoints ?? DEFAULT_MAX_CODE_POINTS;
  if (!Number.isInteger(min) || min < DEFAULT_MIN_CODE_POINTS || !Number.isInteger(max) || max < 64 || max > 4096 || min > max) {
    throw new AuthError('AUTH_CONFIG', 'password policy needs integer minCodePoints >= 8 and maxCodePoints in [64, 4096], min <= max');
  }
  if (typeof password !== 'string') return { ok: false, reason: 'invalid' };
  // A code point is at most 2 UTF-16 units; anything this long cannot be within `max`.
  if (password.length > max * 2) return { ok: false, reason: 'too_long' };
  const normalized = normalizePassword(password);
  const length = countCodePoints(normalized);
  if (length < min) return { ok: false, reason: 'too_short' };
  if (length > max) return { ok: false, reason: 'too_long' };
  if (INVALID_CHARACTERS.test(normalized)) return { ok: false, reason: 'invalid' };

  const lowered = normalized.toLowerCase();
  if (COMMON.has(lowered)) return { ok: false, reason: 'common' };
  const first = lowered.codePointAt(0);
  if ([...lowered].every((c) => c.codePointAt(0) === first)) return { ok: false, reason: 'repetitive' };

  if (typeof context.email === 'string') {
    const email = contextWord(context.email);
    const at = email.lastIndexOf('@');
    const local = at >= 0 ? email.slice(0, at) : email;
    if (lowered === email || containsContextWord(lowered, local)) return { ok: false, reason: 'contains_email' };
  }
  if (typeof context.displayName === 'string') {
    const name = contextWord(context.displayName);
    if (containsContextWord(lowered.replace(/\s+/gu, ''), name)) return { ok: false, reason: 'contains_name' };
  }
  return { ok: true, normalized };
}

/**
 * {@link checkPasswordPolicy}, throwing instead of returning a refusal.
 * @returns the normalised password.
 * @throws AuthError `AUTH_PASSWORD_POLICY` with `reason` set to the {@link PasswordPolicyReason}.
 */
export function assertPasswordPolicy(password: unknown, context: PasswordContext = {}, options: PasswordPolicyOptions = {}): string {
  const result = checkPasswordPolicy(password, context, options);
  if (!result.ok) {
    throw new AuthError('AUTH_PASSWORD_POLICY', `password refused: ${result.reason}`, { reason: result.reason });
  }
  return result.normalized;
}
