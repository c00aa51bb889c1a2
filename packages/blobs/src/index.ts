/**
 * The blob port (dataset bytes) with a local-directory adapter (the default) and an S3 / MinIO
 * adapter on the minio client. The shared conformance suite is at `@plotbox/blobs/conformance`.
 */
export { BLOB_ERROR_CODES, BlobError, isBlobError } from './blob-error.ts';
export type { BlobErrorCode } from './blob-error.ts';
export { MAX_KEY_LENGTH, MAX_SEGMENT_LENGTH, assertBlobKey, assertBlobPrefix, isBlobKey } from './blob-key.ts';
export type { BlobHead, BlobHealth, BlobListItem, BlobSource, BlobStore, BlobStoreKind, ListOptions, ListPage, PutOptions, PutResult } from './blob-store.ts';
export { DEFAULT_MAX_BLOB_BYTES, isSha256Hex } from './blob-stream.ts';
export { createDirBlobStore } from './dir-blob-store.ts';
export type { DirBlobStoreOptions } from './dir-blob-store.ts';
export { S3_UPLOAD_PREFIX, createS3BlobStore } from './s3-blob-store.ts';
export type { S3BlobStore, S3BlobStoreOptions } from './s3-blob-store.ts';
export { createS3Client, parseS3Endpoint } from './s3-client.ts';
export type { S3ClientConfig, S3Endpoint } from './s3-client.ts';
export { createBlobStoreFromConfig } from './blob-store-from-config.ts';
export type { BlobStoreConfig } from './blob-store-from-config.ts';
