import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import * as Minio from 'minio';
import S3rver from 's3rver';
import { isBlobError } from './blob-error.ts';
import { createBlobStoreFromConfig } from './blob-store-from-config.ts';
import { assertCode, runBlobStoreConformance } from './conformance.ts';
import { S3_UPLOAD_PREFIX, createS3BlobStore } from './s3-blob-store.ts';

const MiB = 1024 * 1024;
// s3rver knows one account; it does not check signatures, but the client still signs with these.
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';

/** A real S3-protocol server on 127.0.0.1, port 0, in a temp directory; closed after the test. */
async function startS3rver(t: TestContext): Promise<{ port: number; client: Minio.Client }> {
  const directory = mkdtempSync(join(tmpdir(), 'plotbox-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = await server.run();
  t.after(async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });
  const client = new Minio.Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: 'us-east-1', retryOptions: { disableRetry: true } });
  return { port, client };
}

async function rawKeys(client: Minio.Client, bucket: string, prefix: string): Promise<string[]> {
  const page = await client.listObjectsQuery(bucket, prefix, '', { Delimiter: '', MaxKeys: 1000 });
  return page.objects.map((o) => o.name ?? o.key ?? '?');
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

test('S3 adapter passes the conformance suite against s3rver', async (t) => {
  const { client } = await startS3rver(t);
  const bucket = 'plotbox-conformance';
  const store = createS3BlobStore({ client, bucket, partBytes: 5 * MiB });
  await store.ensureBucket();
  await store.ensureBucket(); // idempotent
  assert.equal(await client.bucketExists(bucket), true);
  await runBlobStoreConformance(t, { store, bufferedBytes: 5 * MiB, leftovers: () => rawKeys(client, bucket, S3_UPLOAD_PREFIX) });
});

test('stores the sha256 as object metadata; objects written by others have none', async (t) => {
  const { client } = await startS3rver(t);
  const store = createS3BlobStore({ client, bucket: 'plotbox-meta' });
  await store.ensureBucket();
  const result = await store.put('datasets/p1/x', new TextEncoder().encode('hello'));
  const stat = await client.statObject('plotbox-meta', 'datasets/p1/x');
  assert.equal(stat.metaData['sha256'], result.sha256);

  await client.putObject('plotbox-meta', 'foreign', Buffer.from('abc'));
  const head = await store.head('foreign');
  assert.equal(head?.bytes, 3);
  assert.equal(head?.sha256, undefined);
  assert.deepEqual(await store.getBytes('foreign', 10), new TextEncoder().encode('abc'));
});

test('a missing bucket is BLOB_UNAVAILABLE naming the bucket, and health says so', async (t) => {
  const { client } = await startS3rver(t);
  const store = createS3BlobStore({ client, bucket: 'never-created' });
  await assertCode(store.put('a', new Uint8Array(1)), 'BLOB_UNAVAILABLE');
  await assert.rejects(store.put('a', new Uint8Array(1)), /never-created/);
  const health = await store.health();
  assert.equal(health.ok, false);
});

test('an unreachable endpoint is BLOB_UNAVAILABLE naming the host only, never credentials', async () => {
  const port = await closedPort();
  const accessKey = 'AKIA-VERY-SECRET-ACCESS';
  const secretKey = 'super-secret-key-value';
  const client = new Minio.Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey, secretKey, retryOptions: { disableRetry: true } });
  const store = createS3BlobStore({ client, bucket: 'plotbox' });
  const leaks = (err: unknown): boolean => {
    assert.ok(isBlobError(err, 'BLOB_UNAVAILABLE'), `expected BLOB_UNAVAILABLE, got ${String(err)}`);
    assert.match(err.message, /127\.0\.0\.1/);
    for (const secret of [accessKey, secretKey]) assert.ok(!err.message.includes(secret));
    return true;
  };
  await assert.rejects(store.put('a', new Uint8Array(10)), leaks);
  await assert.rejects(store.put('a', new Uint8Array(6 * MiB)), leaks);
  await assert.rejects(store.get('a'), leaks);
  await assert.rejects(store.head('a'), leaks);
  await assert.rejects(store.delete('a'), leaks);
  await assert.rejects(store.list(''), leaks);
  await assert.rejects(store.ensureBucket(), leaks);
  const health = await store.health();
  assert.ok(!health.ok && health.message.includes('127.0.0.1') && !health.message.includes(secretKey));
  await assert.rejects(createBlobStoreFromConfig({ kind: 's3', endpoint: `http://127.0.0.1:${port}`, accessKey, secretKey, bucket: 'plotbox' }), leaks);
});

test('health times out on an endpoint that never answers', async (t) => {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket)); // accepts and stays silent
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const client = new Minio.Client({ endPoint: '127.0.0.1', port: address.port, useSSL: false, accessKey: 'a', secretKey: 'b', retryOptions: { disableRetry: true } });
  const store = createS3BlobStore({ client, bucket: 'plotbox', healthTimeoutMs: 100 });
  const health = await store.health();
  assert.ok(!health.ok && /did not answer/.test(health.message));
});

test('createBlobStoreFromConfig builds an S3 store and creates its bucket', async (t) => {
  const { port, client } = await startS3rver(t);
  const store = await createBlobStoreFromConfig({ kind: 's3', endpoint: `http://127.0.0.1:${port}`, accessKey: ACCESS_KEY, secretKey: SECRET_KEY, bucket: 'from-config' });
  assert.equal(store.kind, 's3');
  assert.equal(await client.bucketExists('from-config'), true);
  await store.put('k', new Uint8Array([1, 2]));
  assert.deepEqual(await store.getBytes('k', 2), new Uint8Array([1, 2]));
  assert.deepEqual(await store.health(), { ok: true, kind: 's3' });
});

test('factory checks options eagerly', () => {
  const client = new Minio.Client({ endPoint: '127.0.0.1', port: 9, useSSL: false, accessKey: 'a', secretKey: 'b' });
  assert.throws(() => createS3BlobStore({ client: {} as Minio.Client, bucket: 'plotbox' }), TypeError);
  for (const bucket of ['', 'ab', 'Bad_Bucket', 'a'.repeat(64), '-x-', '192.168.1.1', 'a..b']) {
    assert.throws(() => createS3BlobStore({ client, bucket }), TypeError, bucket);
  }
  assert.throws(() => createS3BlobStore({ client, bucket: 'plotbox', partBytes: MiB }), RangeError);
  assert.throws(() => createS3BlobStore({ client, bucket: 'plotbox', maxBytes: 6 * 1024 ** 3 }), RangeError);
  assert.throws(() => createS3BlobStore({ client, bucket: 'plotbox', region: 'Not A Region' }), TypeError);
  assert.equal(createS3BlobStore({ client, bucket: 'plotbox' }).kind, 's3');
});
