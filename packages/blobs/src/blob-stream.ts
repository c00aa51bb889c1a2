// Helpers shared by the adapters: option checks, the streaming size cap, and read-side limits.
import { Readable } from 'node:stream';
import { BlobError, isBlobError } from './blob-error.ts';
import type { BlobSource, ListOptions, PutOptions } from './blob-store.ts';

/** Default store-wide ceiling for one blob: 5 GiB, S3's single-copy limit. */
export const DEFAULT_MAX_BLOB_BYTES = 5 * 1024 ** 3;
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const CONTENT_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:\\s*;\\s*${TOKEN}=${TOKEN})*$`);

/** Is `value` a lower-case hex sha256? */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** Checks a byte limit option (a positive safe integer); throws `RangeError` at the caller's bug. */
export function assertByteLimit(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer`);
  }
  return value;
}

export interface ResolvedPut {
  readonly maxBytes: number;
  readonly expectedSha256: string | undefined;
  readonly contentType: string;
}

/** Validates {@link PutOptions} against a store ceiling. */
export function resolvePutOptions(opts: PutOptions | undefined, storeMaxBytes: number): ResolvedPut {
  const maxBytes = opts?.maxBytes === undefined ? storeMaxBytes : Math.min(assertByteLimit(opts.maxBytes, 'maxBytes'), storeMaxBytes);
  let expectedSha256: string | undefined;
  if (opts?.expectedSha256 !== undefined) {
    const lower = typeof opts.expectedSha256 === 'string' ? opts.expectedSha256.toLowerCase() : '';
    if (!isSha256Hex(lower)) throw new TypeError('expectedSha256 must be 64 hex characters');
    expectedSha256 = lower;
  }
  const contentType = opts?.contentType ?? DEFAULT_CONTENT_TYPE;
  if (typeof contentType !== 'string' || contentType.length > 127 || !CONTENT_TYPE.test(contentType)) {
    throw new TypeError('contentType must be a MIME type (type/subtype[; param=value]) of at most 127 characters');
  }
  return { maxBytes, expectedSha256, contentType };
}

/** Validates {@link ListOptions}; returns the page size. */
export function resolveListLimit(opts: ListOptions | undefined): number {
  const limit = opts?.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new RangeError(`limit must be an integer in 1..${MAX_LIST_LIMIT}`);
  }
  return limit;
}

/**
 * Iterates the chunks of a source, checking each is a Uint8Array and that the running total stays
 * within `maxBytes` (`BLOB_TOO_LARGE` as soon as it does not: the source is not read further, and
 * `for await` closes it).
 */
export async function* cappedChunks(source: BlobSource, maxBytes: number): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  let own = false;
  const chunks: AsyncIterable<unknown> | Iterable<unknown> = source instanceof Uint8Array ? [source] : source;
  try {
    for await (const chunk of chunks) {
      if (!(chunk instanceof Uint8Array)) {
        own = true;
        throw new TypeError('blob source chunks must be Uint8Array');
      }
      total += chunk.byteLength;
      if (total > maxBytes) {
        own = true;
        throw tooLarge(maxBytes);
      }
      if (chunk.byteLength > 0) yield chunk;
    }
  } catch (err) {
    if (!own && typeof err === 'object' && err !== null) SOURCE_ERRORS.add(err);
    throw err;
  }
}

// Errors thrown by the caller's source (say, an aborted request) are the caller's: the adapters
// pass them through unchanged instead of reporting the store as unavailable.
const SOURCE_ERRORS = new WeakSet<object>();

/** Was `err` thrown by a put's source rather than by the store? */
export function isSourceError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && SOURCE_ERRORS.has(err);
}

export function tooLarge(maxBytes: number): BlobError {
  return new BlobError('BLOB_TOO_LARGE', `blob is larger than the limit of ${maxBytes} bytes`);
}

export function integrityError(): BlobError {
  return new BlobError('BLOB_INTEGRITY', 'blob bytes do not match the expected sha256');
}

/** Reads a stream into one buffer, refusing with `BLOB_TOO_LARGE` past `maxBytes`. */
export async function readAllCapped(stream: Readable, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      parts.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Wraps a read stream so that any failure while reading surfaces as a {@link BlobError} (mapped by
 * `mapError`) instead of a driver error.
 */
export function guardedReadable(inner: Readable, mapError: (err: unknown) => Error, onClose?: () => void): Readable {
  async function* pass(): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of inner as AsyncIterable<Uint8Array>) yield chunk;
    } catch (err) {
      throw isBlobError(err) ? err : mapError(err);
    } finally {
      inner.destroy();
      onClose?.();
    }
  }
  return Readable.from(pass(), { objectMode: false });
}
