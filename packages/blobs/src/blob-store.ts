import type { Readable } from 'node:stream';

/** Bytes to store: a single buffer, or any async iterable of chunks (a Node Readable, a generator). */
export type BlobSource = AsyncIterable<Uint8Array> | Uint8Array;

/** Options of {@link BlobStore.put}. */
export interface PutOptions {
  /** Refuse with `BLOB_TOO_LARGE` once more than this many bytes arrive (capped by the store's own maximum). */
  readonly maxBytes?: number;
  /** Lower-case hex sha256 the bytes must hash to, else `BLOB_INTEGRITY` and nothing is stored. */
  readonly expectedSha256?: string;
  /** MIME type stored with the blob; default `application/octet-stream`. */
  readonly contentType?: string;
}

/** What {@link BlobStore.put} stored. */
export interface PutResult {
  readonly key: string;
  readonly bytes: number;
  /** Lower-case hex sha256 of the bytes, computed while streaming. */
  readonly sha256: string;
}

/** Metadata of a stored blob. */
export interface BlobHead {
  readonly bytes: number;
  /** Absent only for blobs written by something other than this package. */
  readonly sha256?: string;
  readonly contentType?: string;
  readonly modifiedAt: Date;
}

/** Options of {@link BlobStore.list}. */
export interface ListOptions {
  /** Page size, 1..1000; default 100. */
  readonly limit?: number;
  /** `cursor` of the previous page. */
  readonly cursor?: string;
}

/** One entry of a list page. */
export interface BlobListItem {
  readonly key: string;
  readonly bytes: number;
  readonly modifiedAt: Date;
}

/** A page of keys in ascending byte order; `cursor` is set when there may be more. */
export interface ListPage {
  readonly items: readonly BlobListItem[];
  readonly cursor?: string;
}

/** Result of {@link BlobStore.health}; never throws. */
export type BlobHealth =
  | {
      readonly ok: true;
      readonly kind: BlobStoreKind;
      /** Bytes free for this store's files (directory store only: the filesystem's available space). */
      readonly freeBytes?: number;
    }
  | { readonly ok: false; readonly kind: BlobStoreKind; readonly code: 'BLOB_UNAVAILABLE' | 'BLOB_STORAGE_FULL'; readonly message: string };

export type BlobStoreKind = 'dir' | 's3';

/**
 * The blob port: immutable-ish byte blobs (dataset versions) under validated keys.
 * Every method throws only {@link BlobError} for expected failures (and `TypeError`/`RangeError`
 * for programmer errors such as a negative `maxBytes`).
 */
export interface BlobStore {
  readonly kind: BlobStoreKind;
  /**
   * Stores `source` under `key`, streaming: memory stays bounded whatever the size. The blob
   * appears atomically (readers see the old blob or the whole new one, never a part); on
   * `BLOB_TOO_LARGE` / `BLOB_INTEGRITY` / a failing source nothing is left behind and a previous
   * blob under `key` is untouched. Concurrent puts of one key end with one of them, complete.
   */
  put(key: string, source: BlobSource, opts?: PutOptions): Promise<PutResult>;
  /**
   * Opens the blob for reading; `BLOB_NOT_FOUND` before any byte if missing. The stream is an
   * `AsyncIterable<Uint8Array>`; a failure while reading surfaces as a {@link BlobError}.
   */
  get(key: string): Promise<Readable>;
  /** Reads a whole blob into memory; `BLOB_TOO_LARGE` if it is over `maxBytes`. */
  getBytes(key: string, maxBytes: number): Promise<Uint8Array>;
  /** Metadata, or `null` if there is no blob under `key`. */
  head(key: string): Promise<BlobHead | null>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, in pages. */
  list(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** Can the store be used right now (a write is tried)? For readiness probes. */
  health(): Promise<BlobHealth>;
  /**
   * Removes what interrupted puts left behind (the directory store's temp files, S3 staging
   * objects and incomplete multipart uploads) last modified before `olderThan`; returns how many.
   * A put in progress keeps its temp data fresh, so a cutoff older than the longest put leaves
   * other writers alone. Never touches a blob.
   */
  sweepTemp(olderThan: Date): Promise<number>;
}
