import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync, existsSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isBlobError } from './blob-error.ts';
import { assertCode, runBlobStoreConformance, sha256 } from './conformance.ts';
import { HEADER_BYTES, createDirBlobStore } from './dir-blob-store.ts';

function tempRoot(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-blobs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every name under `dir` starting with '.' (temp files a failed put might leave). */
function dotFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.split('/').some((s) => s.startsWith('.')));
}

test('directory adapter passes the conformance suite', async (t) => {
  const root = tempRoot(t);
  const store = createDirBlobStore({ dir: join(root, 'blobs') });
  await runBlobStoreConformance(t, { store, leftovers: async () => dotFiles(join(root, 'blobs')) });
});

test('never follows symbolic links out of the root', async (t) => {
  const root = tempRoot(t);
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'top secret');
  const dir = join(root, 'blobs');
  const store = createDirBlobStore({ dir });
  symlinkSync(outside, join(dir, 'evil'));
  symlinkSync(join(outside, 'secret'), join(dir, 'link'));

  for (const key of ['evil/secret', 'link']) {
    await assertCode(store.get(key), 'BLOB_INVALID_KEY', key);
    await assertCode(store.getBytes(key, 100), 'BLOB_INVALID_KEY', key);
    await assertCode(store.head(key), 'BLOB_INVALID_KEY', key);
    await assertCode(store.delete(key), 'BLOB_INVALID_KEY', key);
  }
  await assertCode(store.put('evil/new', new Uint8Array([1])), 'BLOB_INVALID_KEY');
  await assertCode(store.put('evil/deeper/new', new Uint8Array([1])), 'BLOB_INVALID_KEY');
  assert.deepEqual(readdirSync(outside), ['secret']);
  assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'top secret');
  // Links are skipped by list, and replacing a link-named key replaces the link, not its target.
  assert.deepEqual((await store.list('')).items, []);
  await store.put('link', new Uint8Array([7]));
  assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'top secret');
  assert.deepEqual(await store.getBytes('link', 10), new Uint8Array([7]));
});

test('stores one file per blob: header with the sha256, then the bytes', async (t) => {
  const dir = tempRoot(t);
  const store = createDirBlobStore({ dir });
  const data = new TextEncoder().encode('x,y\n1,2\n');
  const key = `datasets/p1/${sha256(data)}`;
  await store.put(key, data, { expectedSha256: sha256(data) });
  const file = readFileSync(join(dir, key));
  assert.equal(file.byteLength, HEADER_BYTES + data.byteLength);
  assert.ok(file.subarray(0, HEADER_BYTES).toString('utf8').includes(sha256(data)));
  assert.deepEqual(new Uint8Array(file.subarray(HEADER_BYTES)), data);
  assert.deepEqual(readdirSync(join(dir, 'datasets/p1')), [sha256(data)]);
});

test('a damaged blob file is reported as BLOB_INTEGRITY, not served', async (t) => {
  const dir = tempRoot(t);
  const store = createDirBlobStore({ dir });
  await store.put('a/b', new Uint8Array(100));
  writeFileSync(join(dir, 'a/b'), Buffer.concat([readFileSync(join(dir, 'a/b')), Buffer.from('extra')]));
  await assertCode(store.head('a/b'), 'BLOB_INTEGRITY');
  writeFileSync(join(dir, 'a/c'), 'not a blob');
  await assertCode(store.get('a/c'), 'BLOB_INTEGRITY');
});

test('a key that is also a prefix of another cannot be stored (directory layout)', async (t) => {
  const store = createDirBlobStore({ dir: tempRoot(t) });
  await store.put('a/b', new Uint8Array([1]));
  await assertCode(store.put('a', new Uint8Array([1])), 'BLOB_INVALID_KEY');
  await assertCode(store.put('a/b/c', new Uint8Array([1])), 'BLOB_INVALID_KEY');
  assert.equal(await store.head('a'), null);
});

test('factory checks options and the root eagerly', (t) => {
  const root = tempRoot(t);
  assert.throws(() => createDirBlobStore({ dir: '' }), TypeError);
  assert.throws(() => createDirBlobStore(undefined as never), TypeError);
  assert.throws(() => createDirBlobStore({ dir: root, maxBytes: -5 }), RangeError);
  writeFileSync(join(root, 'file'), 'x');
  assert.throws(
    () => createDirBlobStore({ dir: join(root, 'file') }),
    (err: unknown) => isBlobError(err, 'BLOB_UNAVAILABLE') && !err.message.includes(root),
  );
  createDirBlobStore({ dir: join(root, 'made/on/demand') });
  assert.ok(existsSync(join(root, 'made/on/demand')));
});

test('store-wide maxBytes caps every put', async (t) => {
  const store = createDirBlobStore({ dir: tempRoot(t), maxBytes: 10 });
  await assertCode(store.put('a', new Uint8Array(11), { maxBytes: 1000 }), 'BLOB_TOO_LARGE');
  assert.equal((await store.put('a', new Uint8Array(10))).bytes, 10);
});

test('health fails without leaking the path when the root is not writable', async (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'blobs');
  const store = createDirBlobStore({ dir });
  const healthy = await store.health();
  assert.equal(healthy.ok, true);
  assert.ok(healthy.ok && typeof healthy.freeBytes === 'number' && healthy.freeBytes > 0);
  rmSync(dir, { recursive: true });
  const health = await store.health();
  assert.equal(health.ok, false);
  assert.ok(!health.ok && !health.message.includes(root));
  await assertCode(store.put('a', new Uint8Array(1)), 'BLOB_UNAVAILABLE');
});

test('list orders keys by bytes across folders, as S3 does', async (t) => {
  const store = createDirBlobStore({ dir: tempRoot(t) });
  for (const key of ['p/sub/x', 'p/sub-y', 'p/sub0', 'p/su', 'p/sub/a/b']) await store.put(key, new Uint8Array(1));
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list('p/', { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
    keys.push(...page.items.map((i) => i.key));
    cursor = page.cursor;
  } while (cursor !== undefined);
  assert.deepEqual(keys, ['p/su', 'p/sub-y', 'p/sub/a/b', 'p/sub/x', 'p/sub0']);
});

test('sweepTemp removes stale temp files of interrupted puts, and nothing else', async (t) => {
  const root = tempRoot(t);
  const dir = join(root, 'blobs');
  const store = createDirBlobStore({ dir });
  await store.put('datasets/p1/v1.arrow', new TextEncoder().encode('data'));
  const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
  const stale = join(dir, 'datasets', 'p1', `.v2.arrow.${uuid}.tmp`);
  const fresh = join(dir, 'datasets', 'p1', `.v3.arrow.${uuid.replace('0f', '1f')}.tmp`);
  const other = join(dir, 'datasets', 'p1', '.keep-me');
  writeFileSync(stale, 'partial');
  writeFileSync(fresh, 'partial');
  writeFileSync(other, 'not ours');
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(stale, hourAgo, hourAgo);
  assert.equal(await store.sweepTemp(new Date(Date.now() - 60_000)), 1);
  assert.equal(existsSync(stale), false);
  assert.equal(existsSync(fresh), true);
  assert.equal(existsSync(other), true);
  assert.equal(new TextDecoder().decode(await store.getBytes('datasets/p1/v1.arrow', 10)), 'data');
  assert.equal(await store.sweepTemp(new Date(Date.now() + 60_000)), 1);
  assert.equal(existsSync(fresh), false);
});

test('a full filesystem: puts fail with BLOB_STORAGE_FULL leaving nothing, health says full', async (t) => {
  if (process.getuid?.() !== 0) {
    console.log('# skipped: mounting a tiny tmpfs needs root');
    t.skip('mounting a tiny tmpfs needs root');
    return;
  }
  const mnt = mkdtempSync(join(tmpdir(), 'plotbox-tiny-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    rmSync(mnt, { recursive: true, force: true });
    console.log('# skipped: mount -t tmpfs is not allowed here');
    t.skip('mount -t tmpfs is not allowed here');
    return;
  }
  t.after(() => {
    execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
    rmSync(mnt, { recursive: true, force: true });
  });
  const store = createDirBlobStore({ dir: join(mnt, 'blobs') });
  const before = await store.health();
  assert.ok(before.ok && (before.freeBytes ?? 0) <= 1024 * 1024);
  await assertCode(store.put('big', new Uint8Array(2 * 1024 * 1024).fill(7)), 'BLOB_STORAGE_FULL');
  assert.deepEqual(dotFiles(join(mnt, 'blobs')), [], 'the temp file is gone');
  assert.equal(await store.head('big'), null);
  // Fill it up: health reports full.
  writeFileSync(join(mnt, 'filler'), Buffer.alloc(1)); // may be the last byte
  try {
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(2 * 1024 * 1024));
  } catch {
    // ENOSPC: the filesystem is now full
  }
  const full = await store.health();
  assert.equal(full.ok, false);
  assert.ok(!full.ok && full.code === 'BLOB_STORAGE_FULL' && !full.message.includes(mnt));
});
