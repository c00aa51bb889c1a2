/**
 * The API's error codes, their one HTTP status table, and the error body. Every error the API
 * answers with goes through {@link errorBody}: `{ error: { code, message, requestId } }`, never a
 * stack, a driver message or a path. `docs/errors.md` lists exactly these codes (a test checks).
 * Errors of the packages become these codes through the one table in `error-table.ts`.
 */
import { PlotboxError } from '@plotbox/errors';
import { RUN_ERROR_CODES, RUN_ERROR_HTTP_STATUS, type RunErrorCode } from '@plotbox/sandbox-protocol';

/**
 * The Code Mode codes (SPEC §2) the API passes on to analysts as the sandbox gave them, with line,
 * column, limit, diagnostics or path, at the sandbox's own statuses. The sandbox's transport codes
 * (bad request, unauthorized, dataset missing/invalid, ...) are the API's own business: they
 * become `SANDBOX_UNAVAILABLE`.
 */
export { RUN_ERROR_CODES, type RunErrorCode };

/** Is `code` one of {@link RUN_ERROR_CODES}? */
export function isRunErrorCode(code: unknown): code is RunErrorCode {
  return typeof code === 'string' && (RUN_ERROR_CODES as readonly string[]).includes(code);
}

export const API_ERROR_CODES = [
  'AUTH_REQUIRED',
  'AUTH_INVALID_TOKEN',
  'AUTH_TOKEN_EXPIRED',
  'AUTH_SESSION_ENDED',
  'AUTH_INVALID_CREDENTIALS',
  'AUTH_MFA_REQUIRED',
  'AUTH_MFA_ENROLMENT_REQUIRED',
  'AUTH_INVALID_REFRESH',
  'AUTH_PASSWORD_INCORRECT',
  'AUTH_PASSWORD_POLICY',
  'AUTH_TOTP_INVALID',
  'AUTH_TOTP_REPLAY',
  'AUTH_TOTP_STATE',
  'AUTH_SETUP_INVALID',
  'AUTH_PASSWORD_EXPIRED',
  'AUTH_LOCAL_LOGIN_DISABLED',
  'AUTH_ACCOUNT_DISABLED',
  'AUTH_SSO_ONLY',
  'AUTH_SSO_NOT_CONFIGURED',
  'AUTH_SSO_UNAVAILABLE',
  'AUTH_SSO_FAILED',
  'AUTH_SSO_EMAIL_UNVERIFIED',
  'AUTH_SSO_EMAIL_TAKEN',
  'AUTH_SSO_NO_ACCOUNT',
  'ACCESS_IP_NOT_ALLOWED',
  'ACCESS_FORBIDDEN',
  'ACCESS_API_KEY_FORBIDDEN',
  'ACCESS_CSRF',
  'VALIDATION_FAILED',
  'VALIDATION_MALFORMED_JSON',
  'VALIDATION_UNSUPPORTED_MEDIA_TYPE',
  'VALIDATION_PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'USER_EMAIL_TAKEN',
  'DATASET_INVALID',
  'DATASET_TOO_LARGE',
  'DATASET_NAME_TAKEN',
  'DATASET_INGEST_BUSY',
  'STORAGE_FULL',
  'API_NOT_FOUND',
  'API_CONFLICT',
  'API_UNAVAILABLE',
  'API_INTERNAL',
  ...RUN_ERROR_CODES,
  'CHART_NO_DATASET',
  'CHART_DATASET_NO_VERSION',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The one table from code to HTTP status. */
export const API_HTTP_STATUS = {
  AUTH_REQUIRED: 401,
  AUTH_INVALID_TOKEN: 401,
  AUTH_TOKEN_EXPIRED: 401,
  AUTH_SESSION_ENDED: 401,
  AUTH_INVALID_CREDENTIALS: 401,
  AUTH_MFA_REQUIRED: 401,
  AUTH_MFA_ENROLMENT_REQUIRED: 403,
  AUTH_INVALID_REFRESH: 401,
  AUTH_PASSWORD_INCORRECT: 403,
  AUTH_PASSWORD_POLICY: 422,
  AUTH_TOTP_INVALID: 400,
  AUTH_TOTP_REPLAY: 400,
  AUTH_TOTP_STATE: 409,
  AUTH_SETUP_INVALID: 403,
  AUTH_PASSWORD_EXPIRED: 403,
  AUTH_LOCAL_LOGIN_DISABLED: 403,
  AUTH_ACCOUNT_DISABLED: 403,
  AUTH_SSO_ONLY: 409,
  AUTH_SSO_NOT_CONFIGURED: 404,
  AUTH_SSO_UNAVAILABLE: 503,
  AUTH_SSO_FAILED: 400,
  AUTH_SSO_EMAIL_UNVERIFIED: 403,
  AUTH_SSO_EMAIL_TAKEN: 409,
  AUTH_SSO_NO_ACCOUNT: 403,
  ACCESS_IP_NOT_ALLOWED: 403,
  ACCESS_FORBIDDEN: 403,
  ACCESS_API_KEY_FORBIDDEN: 403,
  ACCESS_CSRF: 403,
  VALIDATION_FAILED: 400,
  VALIDATION_MALFORMED_JSON: 400,
  VALIDATION_UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  USER_EMAIL_TAKEN: 409,
  DATASET_INVALID: 422,
  DATASET_TOO_LARGE: 422,
  DATASET_NAME_TAKEN: 409,
  DATASET_INGEST_BUSY: 503,
  STORAGE_FULL: 507,
  API_NOT_FOUND: 404,
  API_CONFLICT: 409,
  API_UNAVAILABLE: 503,
  API_INTERNAL: 500,
  // Code Mode: the statuses both services answer with (packages/sandbox-protocol).
  ...RUN_ERROR_HTTP_STATUS,
  CHART_NO_DATASET: 409,
  CHART_DATASET_NO_VERSION: 409,
} as const satisfies Record<ApiErrorCode, number>;

/** Default messages: safe to show, the same for every occurrence of a code. */
const DEFAULT_MESSAGES: Record<ApiErrorCode, string> = {
  AUTH_REQUIRED: 'Sign in first.',
  AUTH_INVALID_TOKEN: 'The credentials presented are not valid.',
  AUTH_TOKEN_EXPIRED: 'The access token has expired; refresh it.',
  AUTH_SESSION_ENDED: 'The session has ended; sign in again.',
  AUTH_INVALID_CREDENTIALS: 'Email or password is incorrect, or the account cannot sign in right now.',
  AUTH_MFA_REQUIRED: 'Enter the code from your authenticator app (or a recovery code).',
  AUTH_MFA_ENROLMENT_REQUIRED: 'Administrators must set up two-factor authentication first.',
  AUTH_INVALID_REFRESH: 'The refresh token is missing, unknown, used or expired; sign in again.',
  AUTH_PASSWORD_INCORRECT: 'The current password is incorrect.',
  AUTH_PASSWORD_POLICY: 'The new password is not acceptable.',
  AUTH_TOTP_INVALID: 'The code is not valid.',
  AUTH_TOTP_REPLAY: 'This code has already been used; wait for the next one.',
  AUTH_TOTP_STATE: 'Two-factor authentication is not in a state that allows this.',
  AUTH_SETUP_INVALID: 'The setup link is invalid, used or expired, or setup is already complete.',
  AUTH_PASSWORD_EXPIRED: 'Your password has expired: change it to continue.',
  AUTH_LOCAL_LOGIN_DISABLED: 'Sign-in with a password is turned off here: use single sign-on.',
  AUTH_ACCOUNT_DISABLED: 'This account is disabled. Ask an administrator to enable it.',
  AUTH_SSO_ONLY: 'This account signs in through single sign-on and has no Plotbox password.',
  AUTH_SSO_NOT_CONFIGURED: 'Single sign-on is not set up here.',
  AUTH_SSO_UNAVAILABLE: 'The single sign-on provider cannot be reached right now; try again shortly.',
  AUTH_SSO_FAILED: 'Single sign-on did not complete (it was cancelled, timed out, or its answer was not valid); start again.',
  AUTH_SSO_EMAIL_UNVERIFIED: 'The single sign-on provider did not confirm your e-mail address, so no account can be made or found for it.',
  AUTH_SSO_EMAIL_TAKEN: 'A Plotbox account with your e-mail address already exists and is not linked to single sign-on. Ask an administrator.',
  AUTH_SSO_NO_ACCOUNT: 'There is no Plotbox account for you yet. Ask an administrator.',
  ACCESS_IP_NOT_ALLOWED: 'Access from your network address is not allowed.',
  ACCESS_FORBIDDEN: 'You do not have permission to do this.',
  ACCESS_API_KEY_FORBIDDEN: 'API keys cannot manage keys, passwords, two-factor settings or sessions.',
  ACCESS_CSRF: 'Cross-site request refused: send JSON with the X-Requested-With: plotbox header from the service’s own origin.',
  VALIDATION_FAILED: 'The request is not valid.',
  VALIDATION_MALFORMED_JSON: 'The request body is not valid JSON.',
  VALIDATION_UNSUPPORTED_MEDIA_TYPE: 'Send request bodies as application/json (UTF-8).',
  VALIDATION_PAYLOAD_TOO_LARGE: 'The request body is too large.',
  RATE_LIMITED: 'Too many requests; retry after the time in Retry-After.',
  USER_EMAIL_TAKEN: 'A user with this email already exists.',
  DATASET_INVALID: 'The uploaded data could not be read as a dataset.',
  DATASET_TOO_LARGE: 'The dataset is larger than allowed (rows, columns, field length, size in memory or stored).',
  DATASET_NAME_TAKEN: 'A dataset with this name already exists in the project.',
  DATASET_INGEST_BUSY: 'Too many uploads are being read right now; retry after the time in Retry-After.',
  STORAGE_FULL: 'The server’s storage is full: nothing was stored. Retry after an operator frees space.',
  API_NOT_FOUND: 'Not found.',
  API_CONFLICT: 'The record changed meanwhile; reload and retry.',
  API_UNAVAILABLE: 'The service is temporarily unavailable.',
  API_INTERNAL: 'Internal error.',
  CODE_SYNTAX: 'The code does not parse.',
  CODE_RULE: 'The code uses something Code Mode does not allow.',
  CODE_TOO_LARGE: 'The code is larger than the code size limit.',
  CODE_TOO_DEEP: 'The code nests too deeply to be checked.',
  SANDBOX_RUNTIME_ERROR: 'The chart code threw an error.',
  SANDBOX_NO_FIGURE: 'The chart code did not assign a figure to `fig`.',
  SANDBOX_TIMEOUT: 'The chart code ran longer than the time limit.',
  SANDBOX_MEMORY: 'The chart code used more memory than allowed.',
  SANDBOX_OUTPUT_TOO_LARGE: 'The figure is larger than the output limit.',
  SANDBOX_DATASET_TOO_LARGE: 'The dataset has more rows than a run may read.',
  SANDBOX_CRASHED: 'The process running the chart died; retry with less memory.',
  FIGURE_INVALID: 'The figure is not one plotly.js accepts safely.',
  SANDBOX_BUSY: 'The chart sandbox is busy; retry after the time in Retry-After.',
  SANDBOX_UNAVAILABLE: 'The chart sandbox is not available right now; retry shortly.',
  SANDBOX_WORKER_LOST: 'The sandbox lost the process running this chart; this was not caused by your code. Retry shortly.',
  CHART_NO_DATASET: 'The chart has no dataset: choose one first.',
  CHART_DATASET_NO_VERSION: 'The dataset has no data yet: upload a version first.',
};

/** Options of {@link ApiError}. */
export interface ApiErrorOptions {
  /** Safe to show; default: the code's default message. */
  readonly message?: string;
  /** Default: the table's status for the code. */
  readonly status?: number;
  /** Extra safe fields for the body (e.g. `reason`, `issues`, `limit`). Never secrets. */
  readonly details?: Record<string, unknown>;
  /** Seconds for a `Retry-After` header (busy or unavailable: when to come back). */
  readonly retryAfterSec?: number;
  readonly cause?: unknown;
}

/** The one error class the API answers with (use cases and routes throw it). `status` defaults to the table's. */
export class ApiError extends PlotboxError<ApiErrorCode, never> {
  readonly status: number;
  /** Extra safe fields for the body (e.g. `reason`, `issues`). Never secrets. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Sent as `Retry-After` by the error handler. */
  readonly retryAfterSec: number | undefined;

  constructor(code: ApiErrorCode, options: ApiErrorOptions = {}) {
    super(code, options.message ?? DEFAULT_MESSAGES[code], options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'ApiError';
    this.status = options.status ?? API_HTTP_STATUS[code];
    this.details = options.details;
    this.retryAfterSec = options.retryAfterSec;
  }
}

/** Is `value` an {@link ApiError} (optionally of `code`)? */
export function isApiError(value: unknown, code?: ApiErrorCode): value is ApiError {
  return value instanceof ApiError && (code === undefined || value.code === code);
}

/** The JSON error body. */
export function errorBody(err: ApiError, requestId: string): { error: Record<string, unknown> } {
  return { error: { ...(err.details ?? {}), code: err.code, message: err.message, requestId } };
}
