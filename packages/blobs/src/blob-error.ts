import { PlotboxError, errorGuard } from '@plotbox/errors';

/** Every error code the blob store can produce (DESIGN §4.1). */
export const BLOB_ERROR_CODES = [
  /** No blob under that key. */
  'BLOB_NOT_FOUND',
  /** The blob is larger than the cap the caller or the store set. */
  'BLOB_TOO_LARGE',
  /** The key (or list prefix or cursor) breaks the key rules, or resolves outside the store. */
  'BLOB_INVALID_KEY',
  /** The bytes do not hash to the expected sha256, or a stored blob is damaged. */
  'BLOB_INTEGRITY',
  /** The backing directory or S3 endpoint cannot be used right now. */
  'BLOB_UNAVAILABLE',
  /** The storage is full (ENOSPC, EDQUOT, or the S3 endpoint says so): nothing was stored. */
  'BLOB_STORAGE_FULL',
] as const;

export type BlobErrorCode = (typeof BLOB_ERROR_CODES)[number];

/**
 * The one error class of this package (no `reason`: the code says it all). Messages are safe to
 * show to a user: they never carry driver messages, filesystem paths or credentials (the original
 * error, if any, is in `cause` for logs).
 */
export class BlobError extends PlotboxError<BlobErrorCode, never> {
  constructor(code: BlobErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(code, message, options?.cause === undefined ? {} : { cause: options.cause });
    this.name = 'BlobError';
  }
}

/** Is `value` a {@link BlobError} (optionally with the given code)? */
export const isBlobError = errorGuard(BlobError);
