/** Every error code this package can produce. The API maps each to an HTTP status in one table. */
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
  return typeof value === 'string' && (AUTH_ERROR_CODES as readonly string[]).includes(value);
}

/** Options of {@link AuthError}. */
export interface AuthErrorOptions {
  /** A finer, stable sub-code, e.g. `too_short` for `AUTH_PASSWORD_POLICY`. */
  readonly reason?: string;
  /** The underlying error, for logs only: never shown to a client. */
  readonly cause?: unknown;
}

/**
 * The one error class of this package. `code` is stable and machine-readable; `message` is for
 * logs. For token errors the message is deliberately generic and the library error is kept in
 * `cause`, so nothing about why a forged token failed leaks to a client.
 */
export class AuthError extends Error {
  readonly code: AuthErrorCode;
  readonly reason: string | undefined;

  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.reason = options.reason;
  }
}

/** Is `value` an {@link AuthError} (optionally with the given code)? */
export function isAuthError(value: unknown, code?: AuthErrorCode): value is AuthError {
  return value instanceof AuthError && (code === undefined || value.code === code);
}
