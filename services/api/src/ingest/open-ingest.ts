/**
 * Dataset ingest as the API composes it: the worker pool, the staging directory and the storage
 * probe, from the configuration. Used by main.ts and by tests that start the API in-process.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '@plotbox/blobs';
import type { ApiConfig } from '@plotbox/config';
import { createIngestPool, type IngestPort } from './ingest-pool.ts';
import { createStaging, type Staging } from './staging.ts';
import { createStorageProbe, type StorageProbe } from './storage.ts';

/** What the dataset routes use (AppDeps.ingest). */
export interface IngestDeps {
  readonly pool: IngestPort;
  readonly staging: Staging;
}

/** Where uploads are staged: `PLOTBOX_STAGING_DIR`, else the data dir, or the OS temp dir when blobs go to S3. */
export function stagingDirOf(config: ApiConfig): string {
  return config.ingest.stagingDir ?? (config.s3 === null ? join(config.dataDir, 'staging') : join(tmpdir(), 'plotbox-staging'));
}

/**
 * Build the ingest pool (workers start now with `warm`), create the staging directory, and the
 * storage probe over the data directory (when SQLite lives there), the staging directory and the
 * blob store. `close` stops the workers.
 */
export function openIngest(config: ApiConfig, blobs: BlobStore, options: { readonly warm?: boolean } = {}): { readonly ingest: IngestDeps; readonly storage: StorageProbe; close(): Promise<void> } {
  const staging = createStaging({ dir: stagingDirOf(config) });
  const pool = createIngestPool({ ...config.ingest, warm: options.warm === true });
  const storage = createStorageProbe({ dataDir: config.mongo === null ? config.dataDir : null, stagingDir: staging.dir, blobs, minFreeBytes: config.minFreeDiskBytes });
  return { ingest: { pool, staging }, storage, close: () => pool.close() };
}
