/**
 * `plotbox backup` and `plotbox restore` as functions of a store and a blob store (any adapters:
 * the archive does not depend on them, which makes a backup of one and a restore into another the
 * migration path: SQLite → MongoDB, a directory → S3, and back).
 *
 * Backup: the store's records (one snapshot on SQLite), then every blob a dataset version names.
 * Blobs are never rewritten under a key, so what the snapshot names is what gets copied, unless a
 * dataset was deleted after the snapshot and its blobs went with it: then, writing to a file, the
 * backup starts again (a new snapshot); a blob missing for a version that still exists was already
 * lost and is recorded as missing (the restore reproduces that state). Render-cache entries are not
 * in a backup: they are rebuilt on demand.
 *
 * Restore: a first pass reads and checks the whole archive (authentication, framing, every record
 * as strictly as any store input, every blob's hash) without writing anything; only then, into an
 * EMPTY store, a second pass loads the records and writes the blobs, and the store commits after
 * the last blob is in place (SQLite: one transaction; MongoDB: what was written is removed on
 * failure).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { isBlobError, type BlobStore } from '@plotbox/blobs';
import { BACKUP_RECORD_TYPES, checkBackupRecord, isStoreError, type BackupLoadResult, type BackupRecordType, type Store } from '@plotbox/store';
import { BackupError } from './backup-error.ts';
import { openArchive, writeArchive, type ArchiveKey, type ArchiveManifest, type ArchiveTotals, type WriteOptions, type WriterEntry } from './archive.ts';

export interface BackupDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly now: () => Date;
}

export interface BackupOptions extends WriteOptions {
  readonly key: ArchiveKey;
  /** Keep sessions (people stay signed in after a restore). Default: everyone signs in again. */
  readonly sessions?: boolean;
  /** What the archive says it came from: the store and blob store kinds. */
  readonly source: { readonly store: string; readonly blobs: string };
  /** How many fresh starts when blobs vanish under the backup (file output only). Default 3. */
  readonly attempts?: number;
}

export interface BackupResult extends ArchiveTotals {
  readonly archiveId: string;
  readonly encryptedBytes: number;
  readonly byType: Readonly<Record<BackupRecordType, number>>;
  /** Blobs a dataset version names that the blob store no longer had (already lost before the backup). */
  readonly missingBlobs: readonly string[];
  readonly attempts: number;
}

const zero = (): Record<BackupRecordType, number> => Object.fromEntries(BACKUP_RECORD_TYPES.map((t) => [t, 0])) as Record<BackupRecordType, number>;

/** A blob vanished because its dataset was deleted after the snapshot: start again. */
class Vanished extends Error {}

async function* entries(deps: BackupDeps, sessions: boolean, restartOnVanished: boolean, byType: Record<BackupRecordType, number>, missing: string[]): AsyncGenerator<WriterEntry> {
  const blobKeys = new Map<string, string>();
  for await (const record of deps.store.backup.dump({ sessions })) {
    byType[record.type] += 1;
    if (record.type === 'dataset_version' && !blobKeys.has(record.blobKey)) blobKeys.set(record.blobKey, record.id);
    yield { kind: 'record', record };
  }
  for (const [key, versionId] of blobKeys) {
    const head = await deps.blobs.head(key);
    let data: Readable | null = null;
    if (head !== null) {
      try {
        data = await deps.blobs.get(key);
      } catch (err) {
        if (!isBlobError(err, 'BLOB_NOT_FOUND')) throw err;
      }
    }
    if (head === null || data === null) {
      // Deleted since the snapshot (its version is gone too), or lost before (the version is still there).
      if (restartOnVanished && (await deps.store.datasets.findVersion(versionId)) === null) throw new Vanished();
      missing.push(key);
      yield { kind: 'missing', key };
      continue;
    }
    yield { kind: 'blob', key, bytes: head.bytes, contentType: head.contentType, data };
  }
}

/** Write a backup to `out` once (e.g. stdout): a blob that vanishes meanwhile is recorded as missing. */
export async function backupToStream(deps: BackupDeps, out: Writable, options: BackupOptions): Promise<BackupResult> {
  const byType = zero();
  const missing: string[] = [];
  const written = await writeArchive(
    out,
    options.key,
    { createdAt: deps.now().toISOString(), source: options.source, sessions: options.sessions === true },
    entries(deps, options.sessions === true, false, byType, missing),
    options,
  );
  return { ...written, byType, missingBlobs: missing, attempts: 1 };
}

/**
 * Write a backup to the file `path`: into a temporary file beside it (mode 0600), flushed to disk,
 * then renamed over `path`, so `path` is always a whole archive or absent. Starts again with a
 * new snapshot when blobs vanish under it (datasets deleted meanwhile).
 */
export async function backupToFile(deps: BackupDeps, path: string, options: BackupOptions): Promise<BackupResult> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt += 1) {
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
    const fd = openSync(temp, 'wx', 0o600);
    const out = createWriteStream('', { fd, autoClose: false });
    try {
      const byType = zero();
      const missing: string[] = [];
      const written = await writeArchive(
        out,
        options.key,
        { createdAt: deps.now().toISOString(), source: options.source, sessions: options.sessions === true },
        entries(deps, options.sessions === true, true, byType, missing),
        options,
      );
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(temp, path);
      return { ...written, byType, missingBlobs: missing, attempts: attempt };
    } catch (err) {
      out.destroy();
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      rmSync(temp, { force: true });
      if (!(err instanceof Vanished)) throw err;
      if (attempt >= attempts)
        throw new BackupError('BACKUP_BLOBS_CHANGING', `datasets kept being deleted while the backup read their blobs (${attempts} attempts); run it again when that has stopped`);
    }
  }
}

/** What the first pass found. */
export interface VerifiedArchive {
  readonly manifest: ArchiveManifest;
  readonly totals: ArchiveTotals;
  readonly byType: Readonly<Record<BackupRecordType, number>>;
  readonly missingBlobs: readonly string[];
}

/** A record the store would refuse, as the operator should hear it. */
function invalidRecord(err: unknown, index: number): BackupError {
  const field = isStoreError(err) ? (err.reason ?? 'record') : 'record';
  return new BackupError('BACKUP_INVALID', `record ${index + 1} of the archive is not valid (${field.slice(0, 80)}); the archive was not written by a compatible plotbox backup`, { cause: err });
}

/**
 * Pass 1: read the whole archive and check it (see the file comment) without writing anything.
 * `open` opens the archive file anew.
 */
export async function verifyArchive(open: () => Readable, key: ArchiveKey): Promise<VerifiedArchive> {
  const input = open();
  try {
    const archive = await openArchive(input, key);
    const byType = zero();
    const missing: string[] = [];
    let index = 0;
    for await (const item of archive.items) {
      if (item.kind === 'record') {
        try {
          const checked = checkBackupRecord(item.record);
          byType[checked.type] += 1;
        } catch (err) {
          throw invalidRecord(err, index);
        }
        index += 1;
      } else if (item.kind === 'blob') {
        for await (const piece of item.data) void piece;
      } else if (item.kind === 'missing') {
        missing.push(item.key);
      } else {
        return { manifest: archive.manifest, totals: item.totals, byType, missingBlobs: missing };
      }
    }
    throw new BackupError('BACKUP_DAMAGED', 'the archive ended without its last line');
  } finally {
    input.destroy();
  }
}

export interface RestoreResult extends BackupLoadResult {
  readonly manifest: ArchiveManifest;
  readonly blobs: number;
  readonly blobBytes: number;
  readonly missingBlobs: readonly string[];
}

/**
 * Restore the archive into an EMPTY store and its blob store: pass 1 ({@link verifyArchive}, or
 * `checked`, its result when the caller ran it before opening the store), then pass 2 writes. Refused (nothing written) for a store that holds records, or an archive that
 * fails any check.
 */
export async function restoreArchive(deps: Pick<BackupDeps, 'store' | 'blobs'>, open: () => Readable, key: ArchiveKey, checked?: VerifiedArchive): Promise<RestoreResult> {
  const verified = checked ?? (await verifyArchive(open, key));
  if (!(await deps.store.backup.isEmpty())) throw notEmpty();
  const input = open();
  try {
    const archive = await openArchive(input, key);
    if (archive.manifest.archiveId !== verified.manifest.archiveId) throw new BackupError('BACKUP_DAMAGED', 'the archive changed between the check and the restore');
    let blobs = 0;
    let blobBytes = 0;
    const missing: string[] = [];
    let index = 0;
    // Records go to the store as they come; blobs are written as they come after them; the store
    // commits only when this generator ends, i.e. after the last blob is in place.
    async function* records(): AsyncGenerator<unknown> {
      for await (const item of archive.items) {
        if (item.kind === 'record') {
          index += 1;
          yield item.record;
        } else if (item.kind === 'blob') {
          await deps.blobs.put(item.key, item.data, item.contentType === undefined ? {} : { contentType: item.contentType });
          blobs += 1;
          blobBytes += item.bytes;
        } else if (item.kind === 'missing') {
          missing.push(item.key);
        }
      }
    }
    let loaded: BackupLoadResult;
    try {
      loaded = await deps.store.backup.load(records());
    } catch (err) {
      if (isStoreError(err, 'STORE_CONFLICT') && err.reason === 'not_empty') throw notEmpty();
      if (isStoreError(err, 'STORE_INVALID')) throw invalidRecord(err, index - 1);
      throw err;
    }
    return { ...loaded, manifest: archive.manifest, blobs, blobBytes, missingBlobs: missing };
  } finally {
    input.destroy();
  }
}

function notEmpty(): BackupError {
  return new BackupError('BACKUP_NOT_EMPTY', 'the store is not empty: restore into a new, empty store (a new data directory or MongoDB database) that the API has not been started on with demo data');
}
