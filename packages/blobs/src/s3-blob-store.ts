import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import * as Minio from 'minio';
import { BlobError, isBlobError } from './blob-error.ts';
import { assertBlobKey, assertBlobPrefix, decodeCursor, isBlobKey, toListPage } from './blob-key.ts';
import type { BlobHead, BlobHealth, BlobListItem, BlobSource, BlobStore, ListOptions, ListPage, PutOptions, PutResult } from './blob-store.ts';
import {
  DEFAULT_MAX_BLOB_BYTES,
  assertByteLimit,
  cappedChunks,
  guardedReadable,
  integrityError,
  isSha256Hex,
  isSourceError,
  readAllCapped,
  resolveListLimit,
  resolvePutOptions,
} from './blob-stream.ts';

/** Options of {@link createS3BlobStore}. */
export interface S3BlobStoreOptions {
  /** A constructed minio client (see `createS3Client`). */
  readonly client: Minio.Client;
  /** Bucket name (S3 rules: 3–63 of `a-z 0-9 . -`). Create it with {@link S3BlobStore.ensureBucket}. */
  readonly bucket: string;
  /** Region used when creating the bucket; default `us-east-1`. */
  readonly region?: string;
  /** Store-wide ceiling for one blob; default and maximum 5 GiB (S3's single-copy limit). */
  readonly maxBytes?: number;
  /**
   * Upload part size: the most bytes a put holds in memory. Blobs up to this size go up in one
   * PUT, larger ones as a multipart upload. 5–64 MiB; default 8 MiB.
   */
  readonly partBytes?: number;
  /** Endpoint name used in error messages; default: the client's host (never credentials). */
  readonly endpointName?: string;
  /** How long {@link BlobStore.health} waits for the endpoint; default 2000 ms. */
  readonly healthTimeoutMs?: number;
}

/** The S3 adapter: the port plus bucket creation. */
export interface S3BlobStore extends BlobStore {
  readonly kind: 's3';
  /** Creates the bucket if it does not exist (safe to call from several replicas at once). */
  ensureBucket(): Promise<void>;
}

/**
 * Prefix of in-flight uploads whose sha256 is only known at the end. No valid key can start
 * with `~`, so these never collide with blobs; listing skips them. A crash can leave some
 * behind: give the bucket a lifecycle rule expiring `~uploads/` (and incomplete multipart uploads)
 * after a day.
 */
export const S3_UPLOAD_PREFIX = '~uploads/';
const META_SHA256 = 'x-amz-meta-sha256';
const MIN_PART = 5 * 1024 * 1024;
const MAX_PART = 64 * 1024 * 1024;
const BUCKET_NAME = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'EPROTO', 'UND_ERR_SOCKET']);
const AUTH_CODES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken']);

/**
 * Blob store on S3 / MinIO through an injected minio client. Puts stream through a bounded part
 * buffer (never the whole blob in memory), cap and hash as they go, and only make an object
 * visible once it is complete and verified: small blobs in one PUT with their sha256 as metadata;
 * large ones as a multipart upload completed only after the hash is checked, written straight to
 * the key when `expectedSha256` is given, else to `~uploads/` and copied into place with the
 * computed sha256 (S3 copies are atomic).
 *
 * Checks its options eagerly (no I/O): throws `TypeError` / `RangeError`.
 */
export function createS3BlobStore(options: S3BlobStoreOptions): S3BlobStore {
  if (options === null || typeof options !== 'object') throw new TypeError('createS3BlobStore: options are required');
  if (!(options.client instanceof Minio.Client)) throw new TypeError('createS3BlobStore: client must be a constructed Minio.Client');
  if (typeof options.bucket !== 'string' || !BUCKET_NAME.test(options.bucket) || options.bucket.includes('..')) {
    throw new TypeError('createS3BlobStore: bucket must be a valid S3 bucket name');
  }
  const region = options.region ?? 'us-east-1';
  if (typeof region !== 'string' || !/^[a-z0-9-]{1,32}$/.test(region)) throw new TypeError('createS3BlobStore: region must look like "us-east-1"');
  const maxBytes = options.maxBytes === undefined ? DEFAULT_MAX_BLOB_BYTES : assertByteLimit(options.maxBytes, 'maxBytes');
  if (maxBytes > DEFAULT_MAX_BLOB_BYTES) throw new RangeError('createS3BlobStore: maxBytes is at most 5 GiB (S3 copy limit)');
  const partBytes = options.partBytes ?? 8 * 1024 * 1024;
  if (!Number.isSafeInteger(partBytes) || partBytes < MIN_PART || partBytes > MAX_PART) {
    throw new RangeError('createS3BlobStore: partBytes must be an integer between 5 MiB and 64 MiB');
  }
  const healthTimeoutMs = options.healthTimeoutMs ?? 2000;
  if (!Number.isSafeInteger(healthTimeoutMs) || healthTimeoutMs < 1) throw new RangeError('createS3BlobStore: healthTimeoutMs must be a positive integer');
  const endpointName = options.endpointName ?? clientHost(options.client);
  return new S3Store(options.client, options.bucket, region, maxBytes, partBytes, endpointName, healthTimeoutMs);
}

interface Multipart {
  readonly objectName: string;
  readonly uploadId: string;
  readonly parts: { part: number; etag: string }[];
}

class S3Store implements S3BlobStore {
  readonly kind = 's3' as const;
  readonly #client: Minio.Client;
  readonly #bucket: string;
  readonly #region: string;
  readonly #maxBytes: number;
  readonly #partBytes: number;
  readonly #endpoint: string;
  readonly #healthTimeoutMs: number;

  constructor(client: Minio.Client, bucket: string, region: string, maxBytes: number, partBytes: number, endpoint: string, healthTimeoutMs: number) {
    this.#client = client;
    this.#bucket = bucket;
    this.#region = region;
    this.#maxBytes = maxBytes;
    this.#partBytes = partBytes;
    this.#endpoint = endpoint;
    this.#healthTimeoutMs = healthTimeoutMs;
  }

  async ensureBucket(): Promise<void> {
    try {
      if (await this.#client.bucketExists(this.#bucket)) return;
      await this.#client.makeBucket(this.#bucket, this.#region);
    } catch (err) {
      const code = s3Code(err);
      if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return; // another replica won the race
      throw this.#mapError(err, '');
    }
  }

  async put(key: string, source: BlobSource, opts?: PutOptions): Promise<PutResult> {
    assertBlobKey(key);
    const { maxBytes, expectedSha256, contentType } = resolvePutOptions(opts, this.#maxBytes);
    // A blob that fits the cap never fills a capped buffer, so it always goes up in one PUT.
    const partBytes = Math.min(this.#partBytes, maxBytes + 1);
    // Grows by doubling up to one part, so a small blob costs about its own size, not a part.
    let buffer = Buffer.allocUnsafe(Math.min(partBytes, 64 * 1024));
    let filled = 0;
    let bytes = 0;
    const hash = createHash('sha256');
    let upload: Multipart | undefined;
    let completed: string | undefined; // a completed upload object that is not (yet) the blob
    try {
      for await (const chunk of cappedChunks(source, maxBytes)) {
        hash.update(chunk);
        bytes += chunk.byteLength;
        let offset = 0;
        while (offset < chunk.byteLength) {
          if (filled === buffer.byteLength) {
            const grown = Buffer.allocUnsafe(Math.min(partBytes, buffer.byteLength * 2));
            buffer.copy(grown, 0, 0, filled);
            buffer = grown;
          }
          const n = Math.min(chunk.byteLength - offset, buffer.byteLength - filled);
          buffer.set(chunk.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled === partBytes) {
            // A full part and maybe more to come: from here on it is a multipart upload.
            upload ??= await this.#startMultipart(key, expectedSha256, contentType);
            await this.#uploadPart(upload, buffer);
            filled = 0;
          }
        }
      }
      const sha256 = hash.digest('hex');
      if (expectedSha256 !== undefined && expectedSha256 !== sha256) throw integrityError();
      const headers = { 'Content-Type': contentType, [META_SHA256]: sha256 };
      if (upload === undefined) {
        await this.#client.putObject(this.#bucket, key, buffer.subarray(0, filled), filled, headers);
        return { key, bytes, sha256 };
      }
      if (filled > 0) await this.#uploadPart(upload, buffer.subarray(0, filled));
      if (upload.objectName !== key) completed = upload.objectName;
      await this.#client.completeMultipartUpload(this.#bucket, upload.objectName, upload.uploadId, upload.parts);
      upload = undefined;
      if (completed !== undefined) {
        await this.#client.copyObject(
          new Minio.CopySourceOptions({ Bucket: this.#bucket, Object: completed }),
          new Minio.CopyDestinationOptions({
            Bucket: this.#bucket,
            Object: key,
            MetadataDirective: 'REPLACE',
            UserMetadata: { sha256 },
            Headers: { 'Content-Type': contentType },
          }),
        );
      }
      return { key, bytes, sha256 };
    } catch (err) {
      if (isSourceError(err)) throw err;
      throw this.#mapError(err, key);
    } finally {
      // Best effort: a failed upload leaves nothing visible under `key` either way.
      if (upload !== undefined) await this.#client.abortMultipartUpload(this.#bucket, upload.objectName, upload.uploadId).catch(() => undefined);
      if (completed !== undefined) await this.#client.removeObject(this.#bucket, completed).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Readable> {
    assertBlobKey(key);
    let stream: Readable;
    try {
      stream = await this.#client.getObject(this.#bucket, key);
    } catch (err) {
      throw this.#mapError(err, key);
    }
    return guardedReadable(stream, (err) => this.#mapError(err, key));
  }

  async getBytes(key: string, maxBytes: number): Promise<Uint8Array> {
    assertByteLimit(maxBytes, 'maxBytes');
    const stream = await this.get(key);
    return readAllCapped(stream, maxBytes);
  }

  async head(key: string): Promise<BlobHead | null> {
    assertBlobKey(key);
    try {
      const stat = await this.#client.statObject(this.#bucket, key);
      const meta = lowerKeys(stat.metaData);
      const sha256 = meta['sha256'];
      const contentType = meta['content-type'];
      return {
        bytes: stat.size,
        ...(isSha256Hex(sha256) ? { sha256 } : {}),
        ...(typeof contentType === 'string' ? { contentType } : {}),
        modifiedAt: stat.lastModified,
      };
    } catch (err) {
      const mapped = this.#mapError(err, key);
      if (isBlobError(mapped, 'BLOB_NOT_FOUND')) return null;
      throw mapped;
    }
  }

  async delete(key: string): Promise<void> {
    assertBlobKey(key);
    try {
      await this.#client.removeObject(this.#bucket, key);
    } catch (err) {
      const mapped = this.#mapError(err, key);
      if (!isBlobError(mapped, 'BLOB_NOT_FOUND')) throw mapped;
    }
  }

  async list(prefix: string, opts?: ListOptions): Promise<ListPage> {
    assertBlobPrefix(prefix);
    const limit = resolveListLimit(opts);
    let marker = opts?.cursor === undefined ? '' : decodeCursor(opts.cursor, prefix);
    const items: BlobListItem[] = [];
    try {
      // ListObjects V1 with a marker: supported by every S3 implementation we target (s3rver's
      // V2 continuation tokens need a cipher OpenSSL 3 no longer offers).
      for (;;) {
        const page = await this.#client.listObjectsQuery(this.#bucket, prefix, marker, { Delimiter: '', MaxKeys: limit + 1 - items.length });
        let last = '';
        for (const obj of page.objects) {
          const name = obj.name ?? obj.key;
          if (typeof name !== 'string') continue;
          last = name;
          if (!isBlobKey(name) || items.length > limit) continue; // skips ~uploads/ and foreign keys
          items.push({ key: name, bytes: obj.size ?? 0, modifiedAt: obj.lastModified ?? new Date(0) });
        }
        if (items.length > limit || page.isTruncated !== true || last === '') break;
        marker = last;
      }
    } catch (err) {
      throw this.#mapError(err, prefix);
    }
    return toListPage(items, limit);
  }

  async health(): Promise<BlobHealth> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BlobError('BLOB_UNAVAILABLE', `S3 endpoint ${this.#endpoint} did not answer within ${this.#healthTimeoutMs} ms`)), this.#healthTimeoutMs);
      timer.unref();
    });
    try {
      const exists = await Promise.race([this.#client.bucketExists(this.#bucket), timeout]);
      if (!exists) return { ok: false, kind: 's3', code: 'BLOB_UNAVAILABLE', message: `bucket ${this.#bucket} does not exist at ${this.#endpoint}` };
      return { ok: true, kind: 's3' };
    } catch (err) {
      return { ok: false, kind: 's3', code: 'BLOB_UNAVAILABLE', message: this.#mapError(err, '').message };
    } finally {
      clearTimeout(timer);
    }
  }

  async sweepTemp(olderThan: Date): Promise<number> {
    if (!(olderThan instanceof Date) || !Number.isFinite(olderThan.getTime())) throw new TypeError('olderThan must be a valid Date');
    let removed = 0;
    try {
      // Staging objects of puts without a known hash that never reached their copy.
      let marker = '';
      for (;;) {
        const page = await this.#client.listObjectsQuery(this.#bucket, S3_UPLOAD_PREFIX, marker, { Delimiter: '', MaxKeys: 1000 });
        let last = '';
        for (const obj of page.objects) {
          const name = obj.name ?? obj.key;
          if (typeof name !== 'string') continue;
          last = name;
          if (name.startsWith(S3_UPLOAD_PREFIX) && (obj.lastModified ?? new Date(0)) < olderThan) {
            await this.#client.removeObject(this.#bucket, name);
            removed++;
          }
        }
        if (page.isTruncated !== true || last === '') break;
        marker = last;
      }
      // Multipart uploads a crashed put never completed or aborted (they hold parts, invisible to listings).
      const stale: string[] = [];
      try {
        for await (const upload of this.#client.listIncompleteUploads(this.#bucket, '', true) as AsyncIterable<{ key?: string; initiated?: Date }>) {
          if (typeof upload.key === 'string' && upload.initiated instanceof Date && upload.initiated < olderThan) stale.push(upload.key);
        }
      } catch (err) {
        // Some S3 servers (s3rver) do not list multipart uploads; a lifecycle rule is then the only sweep.
        if (s3Code(err) !== 'NotImplemented') throw err;
      }
      for (const key of new Set(stale)) {
        await this.#client.removeIncompleteUpload(this.#bucket, key);
        removed++;
      }
    } catch (err) {
      throw this.#mapError(err, S3_UPLOAD_PREFIX);
    }
    return removed;
  }

  async #startMultipart(key: string, expectedSha256: string | undefined, contentType: string): Promise<Multipart> {
    // With a known hash the metadata can be set now and the upload aimed at the key itself;
    // otherwise it goes to a private name and is copied into place once the hash is known.
    const objectName = expectedSha256 === undefined ? `${S3_UPLOAD_PREFIX}${randomUUID()}` : key;
    const headers: Record<string, string> = { 'Content-Type': contentType };
    if (expectedSha256 !== undefined) headers[META_SHA256] = expectedSha256;
    const uploadId = await this.#client.initiateNewMultipartUpload(this.#bucket, objectName, headers);
    return { objectName, uploadId, parts: [] };
  }

  async #uploadPart(upload: Multipart, data: Buffer): Promise<void> {
    const part = upload.parts.length + 1;
    const res = await this.#client.uploadPart(
      { bucketName: this.#bucket, objectName: upload.objectName, uploadID: upload.uploadId, partNumber: part, headers: { 'Content-Length': String(data.byteLength) } },
      data,
    );
    upload.parts.push({ part, etag: res.etag });
  }

  #mapError(err: unknown, key: string): BlobError | TypeError | RangeError {
    if (isBlobError(err) || err instanceof TypeError || err instanceof RangeError) return err;
    const code = s3Code(err);
    if (code === 'NoSuchKey' || code === 'NotFound') return new BlobError('BLOB_NOT_FOUND', `blob ${JSON.stringify(key)} not found`);
    if (code === 'NoSuchBucket') return new BlobError('BLOB_UNAVAILABLE', `bucket ${this.#bucket} does not exist at S3 endpoint ${this.#endpoint}`, { cause: err });
    if (code !== undefined && NETWORK_CODES.has(code)) return new BlobError('BLOB_UNAVAILABLE', `S3 endpoint ${this.#endpoint} is unreachable`, { cause: err });
    if (code !== undefined && AUTH_CODES.has(code)) return new BlobError('BLOB_UNAVAILABLE', `S3 endpoint ${this.#endpoint} refused the credentials (${code})`, { cause: err });
    if (code !== undefined && FULL_CODES.has(code)) return new BlobError('BLOB_STORAGE_FULL', `S3 endpoint ${this.#endpoint} is out of space (${code}): nothing was stored`, { cause: err });
    // Only a bare S3 error code (letters) is echoed; never a driver message.
    const shown = code !== undefined && /^[A-Za-z]{1,64}$/.test(code) ? ` (${code})` : '';
    return new BlobError('BLOB_UNAVAILABLE', `S3 endpoint ${this.#endpoint} failed${shown}`, { cause: err });
  }
}

/** S3/MinIO codes for a store that is out of space. */
const FULL_CODES = new Set(['XMinioStorageFull', 'QuotaExceeded', 'XMinioBucketQuotaExceeded']);

function s3Code(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  // minio wraps retried failures in a plain Error; look one level into `cause` for a network code.
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function lowerKeys(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) out[k.toLowerCase()] = v;
  return out;
}

/** The client's host (a protected field of minio's client); used only in messages. */
function clientHost(client: Minio.Client): string {
  const host: unknown = Reflect.get(client, 'host');
  return typeof host === 'string' && host !== '' ? host : 'unknown';
}
