/**
 * The render cache (SPEC §3.6): figures of saved charts by (code hash, dataset version, runtime
 * version). Small figures live inline in the store, large ones as a blob keyed by the cache key,
 * so replacing an entry overwrites its blob. Reading never fails a render (a missing or unreadable
 * entry is a miss), nor does writing (logged).
 */
import { createHash } from 'node:crypto';
import type { BlobStore } from '@plotbox/blobs';
import type { JsonValue, RenderCacheKey, Store } from '@plotbox/store';
import type { Logger } from 'pino';

/** Figures up to this size (JSON bytes) are cached inline in the store; larger ones as a blob. */
export const INLINE_FIGURE_BYTES = 256 * 1024;
/** Refuse to read back a cached figure blob larger than this (the sandbox caps output far below). */
const MAX_CACHED_FIGURE_BYTES = 64 * 1024 * 1024;

export interface RenderCacheDeps {
  readonly store: Pick<Store, 'renderCache'>;
  readonly blobs: BlobStore;
  readonly logger: Logger;
}

/** Where a large cached figure lives: one blob per cache key. */
export function figureBlobKey(key: RenderCacheKey): string {
  const id = createHash('sha256').update(`${key.codeHash}\n${key.datasetVersionId}\n${key.runtimeVersion}`).digest('hex');
  return `renders/${id}.json`;
}

/**
 * The cached figure's JSON text, or `null` (no entry, expired, or its blob is gone). Inline
 * figures come back from the store as the text it stored, served as it is: never parsed and
 * re-serialized on the cached path (issue 16).
 */
export async function cachedFigure(deps: RenderCacheDeps, key: RenderCacheKey): Promise<string | null> {
  const entry = await deps.store.renderCache.getText(key);
  if (entry === null) return null;
  if (entry.figureJson !== null) return entry.figureJson;
  if (entry.blobKey === null) return null;
  try {
    return Buffer.from(await deps.blobs.getBytes(entry.blobKey, MAX_CACHED_FIGURE_BYTES)).toString('utf8');
  } catch {
    return null; // pruned or unreadable: render again
  }
}

/** Remember a figure; a failure to cache is logged and never fails the render. */
export async function cacheFigure(deps: RenderCacheDeps, key: RenderCacheKey, figureJson: string, requestId: string): Promise<void> {
  try {
    const bytes = Buffer.from(figureJson, 'utf8');
    if (bytes.byteLength <= INLINE_FIGURE_BYTES) {
      // The store's port takes JSON values; small figures are cheap to parse once.
      await deps.store.renderCache.put(key, { figure: JSON.parse(figureJson) as JsonValue });
    } else {
      const blobKey = figureBlobKey(key);
      await deps.blobs.put(blobKey, bytes, { contentType: 'application/json' });
      await deps.store.renderCache.put(key, { blobKey });
    }
  } catch (err) {
    deps.logger.warn({ requestId, err: { name: (err as Error).name, code: (err as { code?: unknown }).code } }, 'render cache write failed');
  }
}
