/**
 * Is there room to write? The readiness probe's storage checks (each directory the API writes to
 * can be written, and keeps at least `PLOTBOX_MIN_FREE_DISK_MB` free). What "storage is full"
 * looks like in every layer's errors is in the error table (`STORAGE_FULL`).
 */
import { randomUUID } from 'node:crypto';
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '@plotbox/blobs';
import { isNoSpace } from './staging.ts';

/** One storage check as `/api/ready` reports it. */
export interface StorageCheck {
  readonly ok: boolean;
  /** Why not: cannot write there, full, or below the free-space floor. */
  readonly reason?: 'not_writable' | 'full' | 'low_space' | 'unavailable';
  /** Bytes available, when the filesystem says. */
  readonly freeBytes?: number;
}

/** The storage checks of the API's writable places. */
export interface StorageProbe {
  check(): Promise<Readonly<Record<string, StorageCheck>>>;
}

/** Can `dir` be written (a byte is written and removed), and how much is free there? */
export async function checkDirectory(dir: string, minFreeBytes: number): Promise<StorageCheck> {
  const probe = join(dir, `.ready.${randomUUID()}.tmp`);
  try {
    const fh = await open(probe, 'wx', 0o600);
    try {
      await fh.write(Buffer.from('1'));
    } finally {
      await fh.close();
    }
  } catch (err) {
    await rm(probe, { force: true }).catch(() => undefined);
    return { ok: false, reason: isNoSpace(err) ? 'full' : 'not_writable' };
  }
  await rm(probe, { force: true }).catch(() => undefined);
  try {
    const fs = await statfs(dir);
    const freeBytes = Number(fs.bavail) * Number(fs.bsize);
    return freeBytes < minFreeBytes ? { ok: false, reason: 'low_space', freeBytes } : { ok: true, freeBytes };
  } catch {
    return { ok: true };
  }
}

/**
 * The probe for the API: the data directory (when SQLite lives there), the staging directory,
 * and the blob store (its own write test; free space for the directory store).
 */
export function createStorageProbe(options: { readonly dataDir: string | null; readonly stagingDir: string; readonly blobs: BlobStore; readonly minFreeBytes: number }): StorageProbe {
  const { dataDir, stagingDir, blobs, minFreeBytes } = options;
  return {
    async check() {
      const blobCheck = async (): Promise<StorageCheck> => {
        const h = await blobs.health().catch(() => null);
        if (h === null) return { ok: false, reason: 'unavailable' };
        if (!h.ok) return { ok: false, reason: h.code === 'BLOB_STORAGE_FULL' ? 'full' : 'unavailable' };
        if (h.freeBytes === undefined) return { ok: true };
        return h.freeBytes < minFreeBytes ? { ok: false, reason: 'low_space', freeBytes: h.freeBytes } : { ok: true, freeBytes: h.freeBytes };
      };
      const [data, staging, blobsCheck] = await Promise.all([dataDir === null ? Promise.resolve(null) : checkDirectory(dataDir, minFreeBytes), checkDirectory(stagingDir, minFreeBytes), blobCheck()]);
      return { ...(data === null ? {} : { data }), staging, blobs: blobsCheck };
    },
  };
}
