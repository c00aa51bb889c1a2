/** Input checks of the render cache. */
import { invalid } from '../store-error.ts';
import type { RenderCacheRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { assertId, assertInt, assertKnownKeys, assertObject, assertString, serializeJson } from '../validate.ts';
import { FIELD_LIMITS } from './common.ts';

export function checkRenderCacheKey(key: unknown) {
  const v = assertObject(key, 'key');
  assertKnownKeys(v, 'key', ['codeHash', 'datasetVersionId', 'runtimeVersion']);
  return {
    codeHash: assertString(v.codeHash, 'key.codeHash', FIELD_LIMITS.hash, 1),
    datasetVersionId: assertId(v.datasetVersionId, 'key.datasetVersionId'),
    runtimeVersion: assertString(v.runtimeVersion, 'key.runtimeVersion', FIELD_LIMITS.name, 1),
  };
}

export function checkRenderValue(value: unknown): { figure: string | null; blobKey: string | null } {
  const v = assertObject(value, 'value');
  assertKnownKeys(v, 'value', ['figure', 'blobKey']);
  if (v.figure !== undefined && v.blobKey === undefined) return { figure: serializeJson(v.figure, 'figure', FIELD_LIMITS.figureBytes), blobKey: null };
  if (v.blobKey !== undefined && v.figure === undefined) return { figure: null, blobKey: assertString(v.blobKey, 'blobKey', FIELD_LIMITS.hash, 1) };
  throw invalid('value', 'must be { figure } or { blobKey }');
}

/** Options of the render cache bounds, checked at the adapter factory. */
export function checkRenderCacheOptions(value: unknown): { ttlMs: number; maxEntries: number } {
  const v = value === undefined ? {} : assertObject(value, 'renderCache');
  return {
    ttlMs: v.ttlMs === undefined ? 7 * 24 * 60 * 60 * 1000 : assertInt(v.ttlMs, 'renderCache.ttlMs', 1),
    maxEntries: v.maxEntries === undefined ? 10_000 : assertInt(v.maxEntries, 'renderCache.maxEntries', 1),
  };
}

/** The input check of every {@link RenderCacheRepository} operation; figures serialized. */
export const RENDER_CACHE_INPUTS = {
  get: (key: unknown) => checkRenderCacheKey(key),
  getText: (key: unknown) => checkRenderCacheKey(key),
  put: (key: unknown, value: unknown) => ({ key: checkRenderCacheKey(key), value: checkRenderValue(value) }),
  prune: () => undefined,
} satisfies InputChecks<RenderCacheRepository>;
