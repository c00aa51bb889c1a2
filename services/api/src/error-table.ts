/**
 * The one table from the packages' errors to the API's: every code of every package error class
 * (store, auth, blobs, datasets, config, and the API's own ingest, staging and single sign-on
 * errors), and where a code's `reason` decides (a store conflict's constraint, why the store is
 * unavailable, why staging failed), every reason, to an API error code with an optional message
 * and safe details. `satisfies` makes the table complete: a new package code or reason does not
 * compile until it has a row. The error handler uses it for whatever reaches it; a route or use
 * case catches a package error itself only where its context adds meaning (a dataset named in a
 * body that does not exist is a 400 there, not the store's 404).
 */
import type { AuthError, AuthErrorCode } from '@plotbox/auth';
import type { BlobError, BlobErrorCode } from '@plotbox/blobs';
import type { ConfigError } from '@plotbox/config';
import type { DatasetError, DatasetErrorCode } from '@plotbox/datasets';
import { isPlotboxError, type PlotboxError } from '@plotbox/errors';
import type { StoreError, StoreErrorCode } from '@plotbox/store';
import { ApiError, isApiError, type ApiErrorCode } from './errors.ts';
import type { IngestError, IngestErrorCode } from './ingest/ingest-pool.ts';
import { isNoSpace, type StagingError } from './ingest/staging.ts';
import type { OidcError } from './oidc.ts';

/** Every error class the table translates, by code. */
type ErrorByCode = { readonly [C in StoreErrorCode]: StoreError<C> } & { readonly [C in AuthErrorCode]: AuthError<C> } & { readonly [C in BlobErrorCode]: BlobError } & {
  readonly [C in DatasetErrorCode]: DatasetError;
} & { readonly [C in IngestErrorCode]: IngestError } & {
  readonly CONFIG_INVALID: ConfigError;
  readonly STAGING_FAILED: StagingError;
  readonly OIDC_DISCOVERY: OidcError;
  readonly OIDC_RESPONSE: OidcError;
};

/** A package error code the table knows. */
export type PackageErrorCode = keyof ErrorByCode;

/** What an error becomes: an API code, or a code with a message and safe details drawn from the error. */
type Translation<E> =
  | ApiErrorCode
  | {
      readonly code: ApiErrorCode;
      /** Safe to show; default: the API code's default message. */
      readonly message?: string | ((err: E) => string);
      /** Safe fields for the body (never secrets, paths or driver messages). */
      readonly details?: (err: E) => Record<string, unknown>;
    };

type ReasonOf<E> = E extends { readonly reason: infer R } ? Exclude<R, undefined> : never;

/** A code's row: one translation, or (when its reason is a closed set) one per reason. */
type Row<E> = Translation<E> | (string extends ReasonOf<E> ? never : [ReasonOf<E>] extends [never] ? never : { readonly byReason: { readonly [R in ReasonOf<E> & string]: Translation<E> } });

/** Where an upload's problem is, as the dataset error says. */
function position(err: DatasetError): Record<string, unknown> {
  return { ...(err.line === undefined ? {} : { line: err.line }), ...(err.row === undefined ? {} : { row: err.row }), ...(err.column === undefined ? {} : { column: err.column }) };
}

/** A dataset error's own message (safe to show: it names the column, line or row). */
const said = (err: DatasetError): string => err.message.replace(/\.$/u, '');

const notADataset = (reason: 'parse' | 'empty' | 'schema'): Translation<DatasetError> => ({
  code: 'DATASET_INVALID',
  message: (err) => `The upload is not a valid dataset: ${said(err)}.`,
  details: (err) => ({ reason, ...position(err) }),
});

const CONFLICT_OWNER = { code: 'API_CONFLICT', message: 'A project must keep at least one owner.' } as const;
const STORED_UNREADABLE = { code: 'API_INTERNAL', message: 'A stored file could not be read.' } as const;

/** The table. */
export const ERROR_TABLE = {
  STORE_NOT_FOUND: 'API_NOT_FOUND',
  STORE_CONFLICT: {
    byReason: {
      'users.email': 'USER_EMAIL_TAKEN',
      'users.identity': { code: 'API_CONFLICT', message: 'This sign-in identity belongs to another account.' },
      'api_keys.prefix': 'API_CONFLICT',
      'groups.name': { code: 'API_CONFLICT', message: 'A group with this name already exists.' },
      'datasets.project_name': 'DATASET_NAME_TAKEN',
      'dashboards.project_name': { code: 'API_CONFLICT', message: 'A dashboard with this name exists in the project.' },
      'refresh_tokens.token_hash': 'API_CONFLICT',
      'render_cache.key': 'API_CONFLICT',
      last_owner: CONFLICT_OWNER,
      primary_key: 'API_CONFLICT',
      reference: 'API_CONFLICT',
      not_empty: { code: 'API_CONFLICT', message: 'A restore needs an empty store.' },
    },
  },
  STORE_VERSION_MISMATCH: 'API_CONFLICT',
  // The store names the field; the API's parameters carry the same names (cursor, email, ...).
  STORE_INVALID: { code: 'VALIDATION_FAILED', details: (err) => ({ issues: [{ path: err.reason ?? '', message: 'is not valid' }] }) },
  STORE_UNAVAILABLE: {
    byReason: {
      closed: 'API_UNAVAILABLE',
      busy: 'API_UNAVAILABLE',
      database: 'API_UNAVAILABLE',
      storage_full: 'STORAGE_FULL',
      contention: 'API_UNAVAILABLE',
      corrupt: 'API_UNAVAILABLE',
      migrations: 'API_UNAVAILABLE',
      schema_too_new: 'API_UNAVAILABLE',
    },
  },

  AUTH_INVALID_TOKEN: 'AUTH_INVALID_TOKEN',
  AUTH_EXPIRED: 'AUTH_TOKEN_EXPIRED',
  AUTH_PASSWORD_POLICY: { code: 'AUTH_PASSWORD_POLICY', details: (err) => ({ reason: err.reason ?? 'invalid' }) },
  AUTH_TOTP_INVALID: 'AUTH_TOTP_INVALID',
  AUTH_TOTP_REPLAY: 'AUTH_TOTP_REPLAY',
  AUTH_KEY_CONFIG: 'API_INTERNAL',
  AUTH_CONFIG: 'API_INTERNAL',
  AUTH_SECRET_UNREADABLE: 'API_INTERNAL',

  // A blob missing or damaged behind existing metadata is the server's fault, not the caller's.
  BLOB_NOT_FOUND: STORED_UNREADABLE,
  BLOB_TOO_LARGE: STORED_UNREADABLE,
  BLOB_INVALID_KEY: 'API_INTERNAL',
  BLOB_INTEGRITY: STORED_UNREADABLE,
  BLOB_UNAVAILABLE: 'API_UNAVAILABLE',
  BLOB_STORAGE_FULL: 'STORAGE_FULL',

  DATASET_PARSE: notADataset('parse'),
  DATASET_EMPTY: notADataset('empty'),
  DATASET_SCHEMA: notADataset('schema'),
  DATASET_TOO_LARGE: {
    code: 'DATASET_TOO_LARGE',
    message: (err) => `The dataset is too large: ${said(err)}.`,
    details: (err) => ({ ...position(err), ...(err.limit === undefined ? {} : { limit: err.limit }) }),
  },
  DATASET_HASH_MISMATCH: STORED_UNREADABLE,

  CONFIG_INVALID: 'API_INTERNAL',

  INGEST_MEMORY: {
    code: 'DATASET_TOO_LARGE',
    message: (err) => `The dataset is too large: reading it needed more than the ${err.limit?.value ?? '?'} MiB an ingest worker has (PLOTBOX_INGEST_MEMORY_MB).`,
    details: (err) => (err.limit === undefined ? {} : { limit: err.limit }),
  },
  INGEST_TIMEOUT: {
    code: 'DATASET_TOO_LARGE',
    message: (err) => `The dataset is too large: reading it took longer than ${err.limit?.value ?? '?'} s (PLOTBOX_INGEST_TIMEOUT_SEC).`,
    details: (err) => (err.limit === undefined ? {} : { limit: err.limit }),
  },
  // The worker failed on this input without a dataset error: still the input's doing.
  INGEST_CRASHED: { code: 'DATASET_INVALID', message: 'The upload is not a valid dataset: it could not be read.', details: () => ({ reason: 'parse' }) },
  INGEST_STORAGE_FULL: 'STORAGE_FULL',
  INGEST_CLOSED: 'API_UNAVAILABLE',

  STAGING_FAILED: {
    byReason: {
      too_large: 'VALIDATION_PAYLOAD_TOO_LARGE',
      aborted: { code: 'VALIDATION_FAILED', message: 'The upload ended before it was complete.' },
      storage_full: 'STORAGE_FULL',
      io: 'API_UNAVAILABLE',
    },
  },

  OIDC_DISCOVERY: 'AUTH_SSO_UNAVAILABLE',
  OIDC_RESPONSE: 'AUTH_SSO_FAILED',
} as const satisfies { readonly [C in PackageErrorCode]: Row<ErrorByCode[C]> };

function apply<E>(translation: Translation<E>, err: E): ApiError {
  if (typeof translation === 'string') return new ApiError(translation, { cause: err });
  const message = typeof translation.message === 'function' ? translation.message(err) : translation.message;
  return new ApiError(translation.code, { ...(message === undefined ? {} : { message }), ...(translation.details === undefined ? {} : { details: translation.details(err) }), cause: err });
}

function isTableCode(code: string): code is PackageErrorCode {
  return Object.hasOwn(ERROR_TABLE, code);
}

/** A package error's API error through {@link ERROR_TABLE}, or `null` when the table does not know its code. */
export function translatePackageError(err: PlotboxError): ApiError | null {
  if (!isTableCode(err.code)) return null;
  const row: Row<PlotboxError> = ERROR_TABLE[err.code] as Row<PlotboxError>;
  if (typeof row === 'object' && 'byReason' in row) {
    const byReason = row.byReason as Readonly<Record<string, Translation<PlotboxError>>>;
    const translation = err.reason === undefined ? undefined : byReason[err.reason];
    return translation === undefined ? new ApiError('API_INTERNAL', { cause: err }) : apply(translation, err);
  }
  return apply(row, err);
}

/**
 * What any thrown value answers as: an {@link ApiError} as it is; a package error through the
 * table; a disk that is full, however it was reported, `STORAGE_FULL`; anything else `API_INTERNAL`
 * (its details only in the log).
 */
export function toApiError(err: unknown): ApiError {
  if (isApiError(err)) return err;
  if (isPlotboxError(err)) return translatePackageError(err) ?? new ApiError('API_INTERNAL', { cause: err });
  if (isNoSpace(err)) return new ApiError('STORAGE_FULL', { cause: err });
  return new ApiError('API_INTERNAL', { cause: err });
}
