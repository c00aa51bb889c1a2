import { createHash, randomUUID } from 'node:crypto';
import { accessSync, constants as fsConstants, mkdirSync, realpathSync, statSync } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, statfs, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { BlobError, isBlobError } from './blob-error.ts';
import { assertBlobKey, assertBlobPrefix, decodeCursor, isBlobKey, isKeySegment, toListPage } from './blob-key.ts';
import type { BlobHead, BlobHealth, BlobListItem, BlobSource, BlobStore, ListOptions, ListPage, PutOptions, PutResult } from './blob-store.ts';
import { DEFAULT_MAX_BLOB_BYTES, assertByteLimit, cappedChunks, guardedReadable, integrityError, isSha256Hex, isSourceError, resolveListLimit, resolvePutOptions, tooLarge } from './blob-stream.ts';

/** Options of {@link createDirBlobStore}. */
export interface DirBlobStoreOptions {
  /** Root directory; created if missing. Nothing outside it is ever read or written. */
  readonly dir: string;
  /** Store-wide ceiling for one blob (per-call `maxBytes` can only lower it). Default 5 GiB. */
  readonly maxBytes?: number;
}

/**
 * Each blob is one file `<root>/<key>`: a fixed {@link HEADER_BYTES}-byte header (magic + JSON
 * with sha256, size and content type, space-padded) followed by the bytes. One file rather than a
 * sidecar so that a single rename publishes bytes and hash together: a sidecar could pair one
 * writer's bytes with another's hash under concurrent puts.
 */
export const HEADER_BYTES = 256;
const MAGIC = 'PBLOB1 ';

const OPEN_READ = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW;
const OPEN_TEMP = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;

interface StoredMeta {
  readonly sha256: string;
  readonly bytes: number;
  readonly contentType: string;
}

interface OpenBlob {
  readonly fh: FileHandle;
  readonly meta: StoredMeta;
  readonly modifiedAt: Date;
}

/**
 * Blob store on a local directory (the default). Writes go to a temp file in the target's own
 * directory, are fsynced and renamed into place, so a reader never sees a partial blob and a crash
 * leaves none under the real name (only a `.*.tmp` file, which listing ignores). Keys are
 * validated and every path component is checked not to be a symbolic link, so the store never
 * touches anything outside its root.
 *
 * Checks its options and the root eagerly: throws `BLOB_UNAVAILABLE` if the root cannot be
 * created or is not a readable, writable directory.
 */
export function createDirBlobStore(options: DirBlobStoreOptions): BlobStore {
  if (options === null || typeof options !== 'object') throw new TypeError('createDirBlobStore: options are required');
  if (typeof options.dir !== 'string' || options.dir.trim() === '' || options.dir.includes('\0')) {
    throw new TypeError('createDirBlobStore: dir must be a non-empty path');
  }
  const storeMax = options.maxBytes === undefined ? DEFAULT_MAX_BLOB_BYTES : assertByteLimit(options.maxBytes, 'maxBytes');
  let root: string;
  try {
    mkdirSync(options.dir, { recursive: true });
    root = realpathSync(options.dir);
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
    accessSync(root, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
  } catch (err) {
    throw new BlobError('BLOB_UNAVAILABLE', 'blob directory is not a readable, writable directory', { cause: err });
  }
  return new DirBlobStore(root, storeMax);
}

class DirBlobStore implements BlobStore {
  readonly kind = 'dir' as const;
  readonly #root: string;
  readonly #maxBytes: number;

  constructor(root: string, maxBytes: number) {
    this.#root = root;
    this.#maxBytes = maxBytes;
  }

  async put(key: string, source: BlobSource, opts?: PutOptions): Promise<PutResult> {
    const segments = assertBlobKey(key);
    const { maxBytes, expectedSha256, contentType } = resolvePutOptions(opts, this.#maxBytes);
    const name = segments[segments.length - 1] as string;
    const dir = await this.#prepareParent(segments);
    const target = this.#inside(join(dir, name));
    const temp = join(dir, `.${name}.${randomUUID()}.tmp`);
    let fh: FileHandle | undefined;
    let published = false;
    try {
      fh = await open(temp, OPEN_TEMP, 0o640);
      await writeAll(fh, Buffer.alloc(HEADER_BYTES, 0x20), 0);
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of cappedChunks(source, maxBytes)) {
        hash.update(chunk);
        await writeAll(fh, chunk, HEADER_BYTES + bytes);
        bytes += chunk.byteLength;
      }
      const sha256 = hash.digest('hex');
      if (expectedSha256 !== undefined && expectedSha256 !== sha256) throw integrityError();
      await writeAll(fh, encodeHeader({ sha256, bytes, contentType }), 0);
      await fh.sync();
      await fh.close();
      fh = undefined;
      await rename(temp, target);
      published = true;
      await syncDir(dir);
      return { key, bytes, sha256 };
    } catch (err) {
      if (isSourceError(err)) throw err;
      // The parent directories were just made: a missing one means the root itself went away.
      if (errno(err) === 'ENOENT') throw new BlobError('BLOB_UNAVAILABLE', 'blob directory is missing', { cause: err });
      throw this.#mapError(err, key);
    } finally {
      if (fh !== undefined) await fh.close().catch(() => undefined);
      if (!published) await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Readable> {
    const blob = await this.#open(key);
    const stream = blob.fh.createReadStream({ start: HEADER_BYTES, autoClose: true });
    return guardedReadable(stream, (err) => this.#mapError(err, key));
  }

  async getBytes(key: string, maxBytes: number): Promise<Uint8Array> {
    assertByteLimit(maxBytes, 'maxBytes');
    const blob = await this.#open(key);
    try {
      if (blob.meta.bytes > maxBytes) throw tooLarge(maxBytes);
      const out = new Uint8Array(blob.meta.bytes);
      let filled = 0;
      while (filled < out.byteLength) {
        const { bytesRead } = await blob.fh.read(out, filled, out.byteLength - filled, HEADER_BYTES + filled);
        if (bytesRead === 0) throw corrupt();
        filled += bytesRead;
      }
      return out;
    } catch (err) {
      throw this.#mapError(err, key);
    } finally {
      await blob.fh.close().catch(() => undefined);
    }
  }

  async head(key: string): Promise<BlobHead | null> {
    let blob: OpenBlob;
    try {
      blob = await this.#open(key);
    } catch (err) {
      if (isBlobError(err, 'BLOB_NOT_FOUND')) return null;
      throw err;
    }
    await blob.fh.close().catch(() => undefined);
    return { bytes: blob.meta.bytes, sha256: blob.meta.sha256, contentType: blob.meta.contentType, modifiedAt: blob.modifiedAt };
  }

  async delete(key: string): Promise<void> {
    const segments = assertBlobKey(key);
    try {
      const path = await this.#existingPath(segments);
      const st = await lstat(path);
      if (st.isSymbolicLink()) throw symlinkRefused();
      if (!st.isFile()) return;
      await unlink(path);
    } catch (err) {
      if (isBlobError(err, 'BLOB_NOT_FOUND') || isMissing(err)) return;
      throw this.#mapError(err, key);
    }
  }

  async list(prefix: string, opts?: ListOptions): Promise<ListPage> {
    assertBlobPrefix(prefix);
    const limit = resolveListLimit(opts);
    const after = opts?.cursor === undefined ? undefined : decodeCursor(opts.cursor, prefix);
    const items: BlobListItem[] = [];
    try {
      await this.#walk(this.#root, '', prefix, after, items, limit + 1);
    } catch (err) {
      throw this.#mapError(err, prefix);
    }
    return toListPage(items, limit);
  }

  async health(): Promise<BlobHealth> {
    const probe = join(this.#root, `.health.${randomUUID()}.tmp`);
    try {
      const fh = await open(probe, OPEN_TEMP, 0o600);
      try {
        // A byte, not just an inode: a full filesystem may still create empty files.
        await writeAll(fh, Buffer.from('1'), 0);
      } finally {
        await fh.close();
      }
      await unlink(probe);
      const fs = await statfs(this.#root);
      return { ok: true, kind: 'dir', freeBytes: Number(fs.bavail) * Number(fs.bsize) };
    } catch (err) {
      await rm(probe, { force: true }).catch(() => undefined);
      if (isFull(err)) return { ok: false, kind: 'dir', code: 'BLOB_STORAGE_FULL', message: `blob directory is full (${errno(err) ?? 'error'})` };
      return { ok: false, kind: 'dir', code: 'BLOB_UNAVAILABLE', message: `blob directory is not writable (${errno(err) ?? 'error'})` };
    }
  }

  async sweepTemp(olderThan: Date): Promise<number> {
    if (!(olderThan instanceof Date) || !Number.isFinite(olderThan.getTime())) throw new TypeError('olderThan must be a valid Date');
    const cutoff = olderThan.getTime();
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (isKeySegment(entry.name)) await walk(path);
          continue;
        }
        if (!entry.isFile() || !TEMP_NAME.test(entry.name)) continue;
        try {
          const st = await lstat(path);
          if (st.isFile() && st.mtimeMs < cutoff) {
            await unlink(path);
            removed++;
          }
        } catch (err) {
          if (!isMissing(err)) throw err; // finished or swept by someone else meanwhile
        }
      }
    };
    try {
      await walk(this.#root);
    } catch (err) {
      throw this.#mapError(err, '');
    }
    return removed;
  }

  /** Opens a blob file for reading and checks its header. */
  async #open(key: string): Promise<OpenBlob> {
    const segments = assertBlobKey(key);
    let fh: FileHandle | undefined;
    try {
      fh = await open(await this.#existingPath(segments), OPEN_READ);
      const st = await fh.stat();
      if (!st.isFile()) throw notFound(key);
      const header = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await fh.read(header, 0, HEADER_BYTES, 0);
      if (bytesRead !== HEADER_BYTES) throw corrupt();
      const meta = decodeHeader(header);
      if (meta.bytes !== st.size - HEADER_BYTES) throw corrupt();
      return { fh, meta, modifiedAt: st.mtime };
    } catch (err) {
      await fh?.close().catch(() => undefined);
      throw this.#mapError(err, key);
    }
  }

  /** The path of an existing key; every directory on the way must be a real directory. */
  async #existingPath(segments: readonly string[]): Promise<string> {
    let dir = this.#root;
    for (const segment of segments.slice(0, -1)) {
      dir = join(dir, segment);
      const st = await lstat(dir); // ENOENT / ENOTDIR are mapped to BLOB_NOT_FOUND by the caller
      if (st.isSymbolicLink()) throw symlinkRefused();
      if (!st.isDirectory()) throw new BlobError('BLOB_NOT_FOUND', 'blob not found');
    }
    return this.#inside(join(dir, segments[segments.length - 1] as string));
  }

  /** Creates the parent directories of a key, refusing to pass through symbolic links. */
  async #prepareParent(segments: readonly string[]): Promise<string> {
    let dir = this.#root;
    try {
      for (const segment of segments.slice(0, -1)) {
        dir = join(dir, segment);
        try {
          await mkdir(dir, 0o750);
        } catch (err) {
          if (errno(err) !== 'EEXIST') throw err;
        }
        const st = await lstat(dir);
        if (st.isSymbolicLink()) throw symlinkRefused();
        if (!st.isDirectory()) throw conflict();
      }
    } catch (err) {
      if (errno(err) === 'ENOTDIR') throw conflict();
      throw this.#mapError(err, segments.join('/'));
    }
    return this.#inside(dir);
  }

  /** Defence in depth: the lexical path must stay under the root (keys are validated already). */
  #inside(path: string): string {
    const rel = relative(this.#root, path);
    if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) throw new BlobError('BLOB_INVALID_KEY', 'blob key resolves outside the store');
    return path;
  }

  async #walk(dirPath: string, dirKey: string, prefix: string, after: string | undefined, out: BlobListItem[], want: number): Promise<void> {
    let entries;
    try {
      entries = await readdir(dirPath, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    // Sorting directories as "name/" makes a depth-first walk yield keys in byte order, as S3 does.
    const named = entries
      .filter((e) => isKeySegment(e.name) && (e.isFile() || e.isDirectory()))
      .map((e) => ({ name: e.name, isDir: e.isDirectory(), sortKey: dirKey + e.name + (e.isDirectory() ? '/' : '') }))
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    for (const entry of named) {
      if (out.length >= want) return;
      if (entry.isDir) {
        const sub = entry.sortKey;
        if (!sub.startsWith(prefix) && !prefix.startsWith(sub)) continue;
        // Every key under `sub` sorts before `after` unless `after` itself lies under `sub`.
        if (after !== undefined && sub < after && !after.startsWith(sub)) continue;
        await this.#walk(join(dirPath, entry.name), sub, prefix, after, out, want);
      } else {
        const key = entry.sortKey;
        if (!key.startsWith(prefix) || !isBlobKey(key) || (after !== undefined && key <= after)) continue;
        let st;
        try {
          st = await lstat(join(dirPath, entry.name));
        } catch (err) {
          if (isMissing(err)) continue; // deleted while listing
          throw err;
        }
        if (!st.isFile() || st.size < HEADER_BYTES) continue;
        out.push({ key, bytes: st.size - HEADER_BYTES, modifiedAt: st.mtime });
      }
    }
  }

  #mapError(err: unknown, key: string): BlobError | TypeError | RangeError {
    if (isBlobError(err) || err instanceof TypeError || err instanceof RangeError) return err;
    const code = errno(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return notFound(key);
    if (code === 'ELOOP') return symlinkRefused();
    if (code === 'EISDIR' || code === 'ENOTEMPTY') return conflict();
    if (isFull(err)) return new BlobError('BLOB_STORAGE_FULL', `blob directory is full (${code ?? 'error'}): nothing was stored`, { cause: err });
    return new BlobError('BLOB_UNAVAILABLE', `blob directory failed (${code ?? 'error'})`, { cause: err });
  }
}

function encodeHeader(meta: StoredMeta): Buffer {
  const text = MAGIC + JSON.stringify({ v: 1, sha256: meta.sha256, bytes: meta.bytes, contentType: meta.contentType });
  // contentType is at most 127 token characters, so this always fits; the check guards edits.
  if (Buffer.byteLength(text) > HEADER_BYTES - 1) throw new RangeError('blob header overflow');
  const buf = Buffer.alloc(HEADER_BYTES, 0x20);
  buf.write(text, 0, 'utf8');
  buf[HEADER_BYTES - 1] = 0x0a;
  return buf;
}

function decodeHeader(buf: Buffer): StoredMeta {
  const text = buf.toString('utf8');
  if (!text.startsWith(MAGIC)) throw corrupt();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(MAGIC.length).trimEnd());
  } catch {
    throw corrupt();
  }
  if (parsed === null || typeof parsed !== 'object') throw corrupt();
  const { sha256, bytes, contentType } = parsed as Record<string, unknown>;
  if (!isSha256Hex(sha256) || typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0 || typeof contentType !== 'string') {
    throw corrupt();
  }
  return { sha256, bytes, contentType };
}

async function writeAll(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < data.byteLength) {
    const { bytesWritten } = await fh.write(data, offset, data.byteLength - offset, position + offset);
    offset += bytesWritten;
  }
}

/** fsync the directory so the rename itself survives a crash. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the data file itself is already synced.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

function errno(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Out of space or over quota. */
function isFull(err: unknown): boolean {
  const code = errno(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Names of the temp files puts and health probes write: `.<name>.<uuid>.tmp`, `.health.<uuid>.tmp`. */
const TEMP_NAME = /^\..+\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/u;

function isMissing(err: unknown): boolean {
  const code = errno(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function notFound(key: string): BlobError {
  return new BlobError('BLOB_NOT_FOUND', `blob ${JSON.stringify(key)} not found`);
}

function symlinkRefused(): BlobError {
  return new BlobError('BLOB_INVALID_KEY', 'blob key passes through a symbolic link; refused');
}

function conflict(): BlobError {
  return new BlobError('BLOB_INVALID_KEY', 'blob key conflicts with an existing key (a key cannot be both a blob and a prefix of another in the directory store)');
}

function corrupt(): BlobError {
  return new BlobError('BLOB_INTEGRITY', 'stored blob is damaged (bad header or size)');
}
