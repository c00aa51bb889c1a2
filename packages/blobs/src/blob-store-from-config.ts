import type { BlobStore } from './blob-store.ts';
import { createDirBlobStore } from './dir-blob-store.ts';
import { createS3BlobStore } from './s3-blob-store.ts';
import { createS3Client, parseS3Endpoint } from './s3-client.ts';

/** Blob store settings as the services' config holds them (SPEC §1, §7). */
export type BlobStoreConfig =
  | { readonly kind: 'dir'; readonly dir: string; readonly maxBytes?: number }
  | {
      readonly kind: 's3';
      readonly endpoint: string;
      readonly accessKey: string;
      readonly secretKey: string;
      readonly bucket: string;
      readonly region?: string;
      readonly useSSL?: boolean;
      readonly maxBytes?: number;
    };

/**
 * Builds the configured blob store and makes it ready: the directory is created, or the S3 client
 * is built and the bucket created if missing. Bad settings throw before any I/O; an unreachable
 * S3 endpoint rejects with `BLOB_UNAVAILABLE` naming the host only.
 */
export async function createBlobStoreFromConfig(config: BlobStoreConfig): Promise<BlobStore> {
  if (config === null || typeof config !== 'object') throw new TypeError('blob store config is required');
  switch (config.kind) {
    case 'dir':
      return createDirBlobStore({ dir: config.dir, ...(config.maxBytes === undefined ? {} : { maxBytes: config.maxBytes }) });
    case 's3': {
      const client = createS3Client(config);
      const store = createS3BlobStore({
        client,
        bucket: config.bucket,
        endpointName: parseS3Endpoint(config.endpoint, config.useSSL).host,
        ...(config.region === undefined ? {} : { region: config.region }),
        ...(config.maxBytes === undefined ? {} : { maxBytes: config.maxBytes }),
      });
      await store.ensureBucket();
      return store;
    }
    default:
      throw new TypeError('blob store kind must be "dir" or "s3"');
  }
}
