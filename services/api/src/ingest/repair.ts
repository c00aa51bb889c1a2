/**
 * Repair after crashes: what an upload interrupted at any instant (a `kill -9`, a lost node) can
 * leave behind, removed at start and then periodically.
 *
 * The upload path writes in an order that keeps the visible state consistent: staged files, then
 * the blob (its own temp name, renamed or completed into place), then one store operation that
 * makes the version exist (for a new dataset, together with the dataset). So a crash can leave
 * only invisible things: staged files, blob temp files, a blob no version points at, and (on a
 * store without transactions) a version without its dataset. Each is removed here. Anything
 * another API process may still be writing is younger than the grace period (uploads take
 * seconds to minutes; `PLOTBOX_UPLOAD_GRACE_MIN`, at least 10 in production), so only older
 * leftovers go; staged files of processes known to be gone go at once.
 */
import type { Logger } from 'pino';
import type { BlobStore } from '@plotbox/blobs';
import type { Store } from '@plotbox/store';
import type { Staging } from './staging.ts';

export interface RepairDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly staging: Staging;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly graceMs: number;
}

/** What one round removed. */
export interface RepairReport {
  readonly stagedFiles: number;
  readonly blobTempFiles: number;
  readonly incompleteDatasets: number;
  readonly orphanVersions: number;
  readonly unreferencedBlobs: number;
}

const DATASET_PREFIX = 'datasets/';

/**
 * Delete the blobs under `datasets/` older than `olderThan` that no version of their project
 * points at. Keys are `datasets/<projectId>/…`, listed in key order, so each project's set of
 * referenced keys is loaded once.
 */
async function sweepUnreferencedBlobs(store: Store, blobs: BlobStore, olderThan: Date): Promise<number> {
  let removed = 0;
  let cursor: string | undefined;
  let project: string | undefined;
  let referenced = new Set<string>();
  do {
    const page = await blobs.list(DATASET_PREFIX, { limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    for (const item of page.items) {
      if (item.modifiedAt >= olderThan) continue;
      const projectId = item.key.split('/')[1];
      if (projectId === undefined) continue;
      if (projectId !== project) {
        project = projectId;
        try {
          referenced = new Set(await store.datasets.versionBlobKeys(projectId));
        } catch {
          // Not a project id the store accepts: nothing can reference it.
          referenced = new Set();
        }
      }
      if (referenced.has(item.key)) continue;
      // Checked again just before deleting: a version may have been recorded meanwhile.
      if ((await store.datasets.versionBlobKeys(projectId).catch(() => [] as readonly string[])).includes(item.key)) continue;
      await blobs.delete(item.key);
      removed++;
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return removed;
}

/** One round of repairs. Each step is independent: a failing step is logged and the next runs. */
export async function repairUploads(deps: RepairDeps): Promise<RepairReport> {
  const { store, blobs, staging, logger } = deps;
  const now = deps.now();
  const olderThan = new Date(now.getTime() - deps.graceMs);
  const step = async (name: string, fn: () => Promise<number>): Promise<number> => {
    try {
      return await fn();
    } catch (err) {
      logger.warn({ step: name, reason: (err as { code?: unknown }).code ?? 'unknown' }, 'upload repair step failed');
      return 0;
    }
  };
  const stagedFiles = await step('staging', () => staging.sweep(deps.graceMs, now));
  const blobTempFiles = await step('blob_temp', () => blobs.sweepTemp(olderThan));
  let incompleteDatasets = 0;
  let orphanVersions = 0;
  await step('incomplete', async () => {
    const r = await store.datasets.removeIncomplete(olderThan);
    incompleteDatasets = r.datasets;
    orphanVersions = r.versions;
    for (const key of r.blobKeys) await blobs.delete(key).catch(() => undefined);
    return r.datasets + r.versions;
  });
  const unreferencedBlobs = await step('unreferenced_blobs', () => sweepUnreferencedBlobs(store, blobs, olderThan));
  const report = { stagedFiles, blobTempFiles, incompleteDatasets, orphanVersions, unreferencedBlobs };
  if (Object.values(report).some((n) => n > 0)) logger.info({ repair: report }, 'removed what interrupted uploads left behind');
  return report;
}
