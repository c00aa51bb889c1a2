/** The render cache. */
import type { JsonValue } from './common.ts';

/** What a cached render is keyed by (SPEC §3.6). */
export interface RenderCacheKey {
  readonly codeHash: string;
  readonly datasetVersionId: string;
  readonly runtimeVersion: string;
}

/** A cached figure: inline JSON, or a blob key for large figures (exactly one is non-null). */
export interface RenderCacheEntry {
  readonly key: RenderCacheKey;
  readonly figure: JsonValue | null;
  readonly blobKey: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/**
 * A cached figure as stored: an inline figure as the JSON text it was stored as (never parsed,
 * so the API can serve it as it is), or a blob key (exactly one is non-null).
 */
export interface RenderCacheText {
  readonly key: RenderCacheKey;
  readonly figureJson: string | null;
  readonly blobKey: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/**
 * Render cache, bounded two ways: every entry expires `ttlMs` after it is written (expired entries
 * are never returned), and {@link RenderCacheRepository.prune} trims to `maxEntries` (oldest
 * first). Both limits are adapter options.
 */
export interface RenderCacheRepository {
  get(key: RenderCacheKey): Promise<RenderCacheEntry | null>;
  /**
   * {@link RenderCacheRepository.get}, with an inline figure as its stored JSON text: the text
   * `JSON.stringify` made of the figure `put` was given, returned without parsing.
   */
  getText(key: RenderCacheKey): Promise<RenderCacheText | null>;
  /** Insert or replace. */
  put(key: RenderCacheKey, value: { readonly figure: JsonValue } | { readonly blobKey: string }): Promise<RenderCacheEntry>;
  /**
   * Delete expired entries, then the oldest beyond `maxEntries`. Returns the removed entries'
   * blob keys (the caller deletes the blobs) and how many were removed.
   */
  prune(): Promise<{ readonly removed: number; readonly blobKeys: readonly string[] }>;
}
