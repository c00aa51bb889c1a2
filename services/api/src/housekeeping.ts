/**
 * Periodic clean-up of the store's expiring records: expired and surplus cached renders (with the
 * blobs of large ones), finished rate-limit windows and forgotten login failures, expired
 * settings (used setup tokens). Every step is idempotent and safe to run on several replicas at
 * once (each deletes only what has expired), so no leader election is needed.
 */
import type { Logger } from 'pino';
import type { BlobStore } from '@plotbox/blobs';
import type { Store } from '@plotbox/store';

/** One round of housekeeping; never throws (each failure is logged and the next step runs). */
export async function runHousekeeping(deps: { readonly store: Store; readonly blobs: BlobStore; readonly logger: Logger }): Promise<void> {
  const { store, blobs, logger } = deps;
  const step = async (name: string, fn: () => Promise<number>): Promise<void> => {
    try {
      const removed = await fn();
      if (removed > 0) logger.info({ step: name, removed }, 'housekeeping');
    } catch (err) {
      logger.warn({ step: name, reason: (err as { code?: unknown }).code ?? 'unknown' }, 'housekeeping step failed');
    }
  };
  await step('render_cache', async () => {
    const pruned = await store.renderCache.prune();
    for (const key of pruned.blobKeys) await blobs.delete(key).catch(() => undefined);
    return pruned.removed;
  });
  await step('counters', () => store.counters.prune());
  await step('settings', () => store.settings.prune());
}
