/** The render cache on MongoDB: `render_cache`, keyed by the JSON of its key (no TTL index: see `indexes.ts`). */
import { RENDER_CACHE_INPUTS, assembleRepository, parseJson } from '@plotbox/store';
import type { RenderCacheEntry, RenderCacheKey, RenderCacheRepository, RenderCacheText } from '@plotbox/store';
import type { RenderCacheDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { isDuplicateKey } from '../errors.ts';
import { findOne } from '../queries.ts';

const cacheId = (k: RenderCacheKey): string => JSON.stringify([k.codeHash, k.datasetVersionId, k.runtimeVersion]);

function toEntry(d: RenderCacheDoc): RenderCacheEntry {
  return {
    key: { codeHash: d.codeHash, datasetVersionId: d.datasetVersionId, runtimeVersion: d.runtimeVersion },
    figure: d.figure === null ? null : parseJson(d.figure),
    blobKey: d.blobKey,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
  };
}

/** The stored text, unparsed (issue 16: the API serves it as it is). */
function toText(d: RenderCacheDoc): RenderCacheText {
  return {
    key: { codeHash: d.codeHash, datasetVersionId: d.datasetVersionId, runtimeVersion: d.runtimeVersion },
    figureJson: d.figure,
    blobKey: d.blobKey,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
  };
}

export function createRenderCacheRepository(h: MongoHandle, bounds: { readonly ttlMs: number; readonly maxEntries: number }): RenderCacheRepository {
  const cache = h.c.renderCache;
  /** Remove `entries`, adding their blob keys to `blobKeys`; returns how many went. */
  const remove = async (entries: readonly Pick<RenderCacheDoc, '_id' | 'blobKey'>[], blobKeys: string[]): Promise<number> => {
    for (const e of entries) if (e.blobKey !== null) blobKeys.push(e.blobKey);
    return entries.length === 0 ? 0 : (await cache.deleteMany({ _id: { $in: entries.map((e) => e._id) } })).deletedCount;
  };

  return assembleRepository(RENDER_CACHE_INPUTS, h.op, {
    get: (k) => findOne(cache, { _id: cacheId(k), expiresAt: { $gt: h.now() } }, toEntry),
    getText: (k) => findOne(cache, { _id: cacheId(k), expiresAt: { $gt: h.now() } }, toText),
    put: async ({ key: k, value: v }) => {
      const t = h.now();
      const doc: RenderCacheDoc = { _id: cacheId(k), ...k, figure: v.figure, blobKey: v.blobKey, createdAt: t, expiresAt: new Date(t.getTime() + bounds.ttlMs) };
      try {
        await cache.replaceOne({ _id: doc._id }, doc, { upsert: true });
      } catch (error) {
        // Two first writes of one key raced on the upsert; the second now replaces.
        if (!isDuplicateKey(error)) throw error;
        await cache.replaceOne({ _id: doc._id }, doc, { upsert: true });
      }
      return toEntry(doc);
    },
    prune: async () => {
      const t = h.now();
      const blobKeys: string[] = [];
      let removed = await remove(await cache.find({ expiresAt: { $lte: t } }, { projection: { blobKey: 1 } }).toArray(), blobKeys);
      const excess = (await cache.countDocuments({})) - bounds.maxEntries;
      if (excess > 0)
        removed += await remove(
          await cache
            .find({}, { projection: { blobKey: 1 } })
            .sort({ createdAt: 1, _id: 1 })
            .limit(excess)
            .toArray(),
          blobKeys,
        );
      return { removed, blobKeys };
    },
  });
}
