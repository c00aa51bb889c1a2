import { PlotboxError, errorGuard, isCodeOf } from '@plotbox/errors';

/** Every error code a store adapter may throw. The API translates each in its one error table. */
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
  return isCodeOf(STORE_ERROR_CODES, value);
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
  /** A restore ({@link StoreBackup.load}) needs an empty store: this one holds records. */
  'not_empty',
] as const;

export type StoreConstraint = (typeof STORE_CONSTRAINTS)[number];

/** Why the database cannot be used, reported in `reason` of a `STORE_UNAVAILABLE`. */
export const STORE_UNAVAILABLE_REASONS = [
  /** The store was closed. */
  'closed',
  /** The database is locked by others for longer than the busy timeout. */
  'busy',
  /** Any other failure of the database or its driver. */
  'database',
  /** The disk (or quota) holding the database is full: nothing was written. */
  'storage_full',
  /** Too many concurrent writers for a compare-and-set to succeed. */
  'contention',
  /** A stored value cannot be read back as what it should be. */
  'corrupt',
  /** The migrations this code carries are malformed. */
  'migrations',
  /** The database's schema is newer than this code knows (a newer release migrated it). */
  'schema_too_new',
] as const;

export type StoreUnavailableReason = (typeof STORE_UNAVAILABLE_REASONS)[number];

/**
 * The `reason` of each code: the constraint for `STORE_CONFLICT`, why for `STORE_UNAVAILABLE`, the
 * entity for `STORE_NOT_FOUND` and `STORE_VERSION_MISMATCH` (`user`, `dataset_version`…), the field
 * for `STORE_INVALID`.
 */
export interface StoreErrorReasons {
  readonly STORE_NOT_FOUND: string;
  readonly STORE_CONFLICT: StoreConstraint;
  readonly STORE_VERSION_MISMATCH: string;
  readonly STORE_INVALID: string;
  readonly STORE_UNAVAILABLE: StoreUnavailableReason;
}

/** Options of {@link StoreError}. */
export interface StoreErrorOptions<C extends StoreErrorCode = StoreErrorCode> {
  /** A finer, stable sub-code: see {@link StoreErrorReasons}. */
  readonly reason?: StoreErrorReasons[C];
  /** The underlying driver error, for logs only: never shown to a client. */
  readonly cause?: unknown;
}

/**
 * The one error class of the store packages. `code` is stable; `message` never contains driver
 * messages, SQL or values supplied by users (the driver error is kept in `cause`).
 */
export class StoreError<C extends StoreErrorCode = StoreErrorCode> extends PlotboxError<C, StoreErrorReasons[C]> {
  constructor(code: C, message: string, options: StoreErrorOptions<C> = {}) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

/** Is `value` a {@link StoreError} (optionally with the given code, whose `reason` is then typed)? */
export const isStoreError = errorGuard(StoreError) as <C extends StoreErrorCode = StoreErrorCode>(value: unknown, code?: C) => value is StoreError<C>;

/** `STORE_NOT_FOUND` for `entity`. */
export function notFound(entity: string): StoreError<'STORE_NOT_FOUND'> {
  return new StoreError('STORE_NOT_FOUND', `${entity} not found`, { reason: entity });
}

/** `STORE_CONFLICT` naming `constraint`. */
export function conflict(constraint: StoreConstraint, cause?: unknown): StoreError<'STORE_CONFLICT'> {
  return new StoreError('STORE_CONFLICT', `constraint violated: ${constraint}`, cause === undefined ? { reason: constraint } : { reason: constraint, cause });
}

/** `STORE_VERSION_MISMATCH` for `entity`. */
export function versionMismatch(entity: string): StoreError<'STORE_VERSION_MISMATCH'> {
  return new StoreError('STORE_VERSION_MISMATCH', `${entity} was changed by someone else`, { reason: entity });
}

/** `STORE_INVALID` naming `field`. */
export function invalid(field: string, what: string): StoreError<'STORE_INVALID'> {
  return new StoreError('STORE_INVALID', `${field}: ${what}`, { reason: field });
}
