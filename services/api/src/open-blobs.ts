/**
 * The configured blob store (SPEC §1): a local directory under the data dir by default, S3/MinIO
 * when `S3_ENDPOINT` is set. Credentials go to the client only, never to logs or errors.
 */
import { join } from 'node:path';
import { createBlobStoreFromConfig, type BlobStore } from '@plotbox/blobs';
import type { ApiConfig } from '@plotbox/config';

export async function openBlobs(config: ApiConfig): Promise<BlobStore> {
  if (config.s3 === null) return createBlobStoreFromConfig({ kind: 'dir', dir: join(config.dataDir, 'blobs'), maxBytes: config.maxUploadBytes });
  const { endpoint, accessKey, secretKey, bucket, region } = config.s3;
  return createBlobStoreFromConfig({ kind: 's3', endpoint, accessKey, secretKey, bucket, region, maxBytes: config.maxUploadBytes });
}
