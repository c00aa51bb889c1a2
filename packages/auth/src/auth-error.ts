import { PlotboxError, errorGuard, isCodeOf } from '@plotbox/errors';

/** Why a password was refused; stable sub-codes of `AUTH_PASSWORD_POLICY`. */
export type PasswordPolicyReason =
  /** Not a string, or contains control characters or unpaired surrogates. */
  | 'invalid'
  | 'too_short'
  | 'too_long'
  /** On the shipped list of common passwords (case-insensitive). */
  | 'common'
  /** One character repeated (`aaaaaaaa`). */
  | 'repetitive'
  /** Equal to or containing the local part of the user's email. */
  | 'contains_email'
  /** Equal to or containing the user's display name. */
  | 'contains_name';

/** Every error code this package can produce. The API translates each in its one error table. */
export const AUTH_ERROR_CODES = [
  /** An access token failed verification for any reason other than expiry (forged, malformed, wrong key…). */
  'AUTH_INVALID_TOKEN',
  /** A correctly signed access token whose `exp` has passed. */
  'AUTH_EXPIRED',
  /** A new password breaks the policy; `reason` says which rule (see {@link PasswordPolicyReason}). */
  'AUTH_PASSWORD_POLICY',
  /** A TOTP code that does not match the secret within the allowed window. */
  'AUTH_TOTP_INVALID',
  /** A TOTP code for a time step that has already been used. */
  'AUTH_TOTP_REPLAY',
  /** The signing/verification key configuration is unusable (thrown at construction). */
  'AUTH_KEY_CONFIG',
  /** Any other option given to a factory of this package is invalid (thrown at construction). */
  'AUTH_CONFIG',
  /** A sealed secret cannot be opened: its key is not in the key ring, or it was altered or moved to another record. */
  'AUTH_SECRET_UNREADABLE',
] as const;

export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** Is `value` one of {@link AUTH_ERROR_CODES}? */
export function isAuthErrorCode(value: unknown): value is AuthErrorCode {
  return isCodeOf(AUTH_ERROR_CODES, value);
}

/** The `reason` each code may carry (`never`: none). */
export interface AuthErrorReasons {
  readonly AUTH_INVALID_TOKEN: never;
  readonly AUTH_EXPIRED: never;
  readonly AUTH_PASSWORD_POLICY: PasswordPolicyReason;
  readonly AUTH_TOTP_INVALID: 'invalid';
  readonly AUTH_TOTP_REPLAY: 'replay';
  readonly AUTH_KEY_CONFIG: never;
  readonly AUTH_CONFIG: never;
  readonly AUTH_SECRET_UNREADABLE: never;
}

/** Options of {@link AuthError}. */
export interface AuthErrorOptions<C extends AuthErrorCode = AuthErrorCode> {
  /** A finer, stable sub-code, e.g. `too_short` for `AUTH_PASSWORD_POLICY` (see {@link AuthErrorReasons}). */
  readonly reason?: AuthErrorReasons[C];
  /** The underlying error, for logs only: never shown to a client. */
  readonly cause?: unknown;
}

/**
 * The one error class of this package. `code` is stable and machine-readable; `message` is for
 * logs. For token errors the message is deliberately generic and the library error is kept in
 * `cause`, so nothing about why a forged token failed leaks to a client.
 */
export class AuthError<C extends AuthErrorCode = AuthErrorCode> extends PlotboxError<C, AuthErrorReasons[C]> {
  constructor(code: C, message: string, options: AuthErrorOptions<C> = {}) {
    super(code, message, options);
    this.name = 'AuthError';
  }
}

/** Is `value` an {@link AuthError} (optionally with the given code, whose `reason` is then typed)? */
export const isAuthError = errorGuard(AuthError) as <C extends AuthErrorCode = AuthErrorCode>(value: unknown, code?: C) => value is AuthError<C>;
