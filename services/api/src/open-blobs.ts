/**
 * The configured blob store (SPEC §1): a local directory under the data dir by default, S3/MinIO
 * when `S3_ENDPOINT` is set. Credentials go to the client only, never to logs or errors.
 */
import { join } from 'node:path';
import { createBlobStoreFromConfig, type BlobStore } from '@plotbox/blobs';
import type { ApiConfig } from '@plotbox/config';

export async function openBlobs(config: ApiConfig): Promise<BlobStore> {
  // A stored version may be larger than the upload it came from (a one-digit CSV number becomes 4 or 8 bytes).
  const maxBytes = Math.max(config.maxUploadBytes, config.datasetLimits.maxStoredBytes);
  if (config.s3 === null) return createBlobStoreFromConfig({ kind: 'dir', dir: join(config.dataDir, 'blobs'), maxBytes });
  const { endpoint, accessKey, secretKey, bucket, region } = config.s3;
  return createBlobStoreFromConfig({ kind: 's3', endpoint, accessKey, secretKey, bucket, region, maxBytes });
}
