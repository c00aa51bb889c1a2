import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as Minio from 'minio';
import { createBlobStoreFromConfig } from './blob-store-from-config.ts';
import { createS3Client, parseS3Endpoint } from './s3-client.ts';

test('parseS3Endpoint accepts hosts and http(s) origins', () => {
  assert.deepEqual(parseS3Endpoint('minio:9000'), { host: 'minio', port: 9000, useSSL: true });
  assert.deepEqual(parseS3Endpoint('minio:9000', false), { host: 'minio', port: 9000, useSSL: false });
  assert.deepEqual(parseS3Endpoint('http://minio:9000'), { host: 'minio', port: 9000, useSSL: false });
  assert.deepEqual(parseS3Endpoint('https://s3.eu-west-1.amazonaws.com/'), { host: 's3.eu-west-1.amazonaws.com', port: undefined, useSSL: true });
  assert.deepEqual(parseS3Endpoint('http://[::1]:9000'), { host: '::1', port: 9000, useSSL: false });
});

test('parseS3Endpoint refuses credentials, paths and other schemes without echoing them', () => {
  for (const endpoint of ['http://user:hunter2@minio:9000', 'ftp://minio', 'http://minio:9000/bucket', 'http://minio?x=hunter2', '', 'http://']) {
    assert.throws(
      () => parseS3Endpoint(endpoint),
      (err: unknown) => err instanceof TypeError && !err.message.includes('hunter2'),
      endpoint,
    );
  }
});

test('createS3Client builds a path-style client and checks settings', () => {
  const client = createS3Client({ endpoint: 'http://127.0.0.1:9000', accessKey: 'a', secretKey: 'b' });
  assert.ok(client instanceof Minio.Client);
  assert.throws(() => createS3Client({ endpoint: 'minio:9000', accessKey: '', secretKey: 'b' }), TypeError);
  assert.throws(() => createS3Client({ endpoint: 'minio:9000', accessKey: 'a', secretKey: '' }), TypeError);
  assert.throws(() => createS3Client({ endpoint: 'minio:9000', accessKey: 'a', secretKey: 'b', region: 'EU WEST' }), TypeError);
});

test('createBlobStoreFromConfig builds a directory store and refuses unknown kinds', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-blobs-cfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await createBlobStoreFromConfig({ kind: 'dir', dir, maxBytes: 4 });
  assert.equal(store.kind, 'dir');
  await store.put('a', new Uint8Array(4));
  await assert.rejects(store.put('a', new Uint8Array(5)), { code: 'BLOB_TOO_LARGE' });
  await assert.rejects(createBlobStoreFromConfig({ kind: 'gcs' } as never), TypeError);
  await assert.rejects(
    createBlobStoreFromConfig({ kind: 's3', endpoint: 'http://k:hunter2@h', accessKey: 'a', secretKey: 'b', bucket: 'plotbox' }),
    (err: unknown) => err instanceof TypeError && !err.message.includes('hunter2'),
  );
});
