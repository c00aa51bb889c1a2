/** Every error code a store adapter may throw. The API maps each to an HTTP status in one table. */
export const STORE_ERROR_CODES = [
  /** The record addressed by a mutation does not exist (lookups return `null` instead). */
  'STORE_NOT_FOUND',
  /** A uniqueness or invariant constraint refused the change; `reason` names the constraint. */
  'STORE_CONFLICT',
  /** Optimistic concurrency: the record changed since the caller read it. */
  'STORE_VERSION_MISMATCH',
  /** An argument has the wrong type or shape (incl. a garbage cursor); `reason` names the field. */
  'STORE_INVALID',
  /** The backing database cannot be used (closed, unreachable, schema newer than this code…). */
  'STORE_UNAVAILABLE',
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/** Is `value` one of {@link STORE_ERROR_CODES}? */
export function isStoreErrorCode(value: unknown): value is StoreErrorCode {
  return typeof value === 'string' && (STORE_ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Names of the constraints reported in `reason` of a `STORE_CONFLICT`. Both adapters report the
 * same names, so callers can branch on them without knowing the database.
 */
export const STORE_CONSTRAINTS = [
  'users.email',
  /** An external identity (issuer, subject) belongs to one user only. */
  'users.identity',
  'api_keys.prefix',
  'groups.name',
  'datasets.project_name',
  'dashboards.project_name',
  'refresh_tokens.token_hash',
  'render_cache.key',
  /** A change would leave a project without a direct user owner (SPEC §3.5). */
  'last_owner',
  /** A record with this id already exists (an id generator returned a duplicate). */
  'primary_key',
  /** A referenced record is still in use or the change breaks a relation. */
  'reference',
] as const;

export type StoreConstraint = (typeof STORE_CONSTRAINTS)[number];

/** Options of {@link StoreError}. */
export interface StoreErrorOptions {
  /**
   * A finer, stable sub-code: the constraint for `STORE_CONFLICT`, the entity for
   * `STORE_NOT_FOUND` (`user`, `session`…), the field for `STORE_INVALID`.
   */
  readonly reason?: string;
  /** The underlying driver error, for logs only: never shown to a client. */
  readonly cause?: unknown;
}

/**
 * The one error class of the store packages. `code` is stable; `message` never contains driver
 * messages, SQL or values supplied by users (the driver error is kept in `cause`).
 */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly reason: string | undefined;

  constructor(code: StoreErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
    this.reason = options.reason;
  }
}

/** Is `value` a {@link StoreError} (optionally with the given code)? */
export function isStoreError(value: unknown, code?: StoreErrorCode): value is StoreError {
  return value instanceof StoreError && (code === undefined || value.code === code);
}

/** `STORE_NOT_FOUND` for `entity`. */
export function notFound(entity: string): StoreError {
  return new StoreError('STORE_NOT_FOUND', `${entity} not found`, { reason: entity });
}

/** `STORE_CONFLICT` naming `constraint`. */
export function conflict(constraint: StoreConstraint, cause?: unknown): StoreError {
  return new StoreError('STORE_CONFLICT', `constraint violated: ${constraint}`, cause === undefined ? { reason: constraint } : { reason: constraint, cause });
}

/** `STORE_VERSION_MISMATCH` for `entity`. */
export function versionMismatch(entity: string): StoreError {
  return new StoreError('STORE_VERSION_MISMATCH', `${entity} was changed by someone else`, { reason: entity });
}

/** `STORE_INVALID` naming `field`. */
export function invalid(field: string, what: string): StoreError {
  return new StoreError('STORE_INVALID', `${field}: ${what}`, { reason: field });
}
