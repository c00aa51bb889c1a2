/**
 * The conformance suite every BlobStore adapter must pass (DESIGN §4.5). Run it from a node:test
 * test with a fresh store:
 *
 * ```ts
 * test('dir adapter', async (t) => { await runBlobStoreConformance(t, { store }); });
 * ```
 *
 * Subtests use their own random key namespace, so one store can serve the whole suite.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isBlobError } from './blob-error.ts';
import type { BlobErrorCode } from './blob-error.ts';
import type { BlobStore } from './blob-store.ts';

/** What the suite needs from an adapter's test. */
export interface BlobStoreFixture {
  readonly store: BlobStore;
  /**
   * Names the adapter keeps outside the keyspace (temp files, in-flight upload objects). Checked
   * to be empty after failed puts, when no put is running.
   */
  readonly leftovers?: () => Promise<readonly string[]>;
  /** Bytes a put may legitimately hold in memory (the S3 part size); default 0. */
  readonly bufferedBytes?: number;
}

const MiB = 1024 * 1024;

/** Runs every conformance check as a subtest of `t`. */
export async function runBlobStoreConformance(t: TestContext, fixture: BlobStoreFixture): Promise<void> {
  const { store } = fixture;
  const ns = (): string => `conf-${randomUUID().slice(0, 8)}`;
  const noLeftovers = async (): Promise<void> => {
    if (fixture.leftovers) assert.deepEqual([...(await fixture.leftovers())], [], 'a failed put left something behind');
  };

  await t.test('health reports ok', async () => {
    const health = await store.health();
    assert.equal(health.ok, true);
    assert.equal(health.kind, store.kind);
    if (health.ok && health.freeBytes !== undefined) assert.ok(Number.isSafeInteger(health.freeBytes) && health.freeBytes >= 0);
  });

  await t.test('sweepTemp never touches a blob and checks its argument', async () => {
    const key = `${ns()}/kept`;
    await store.put(key, new TextEncoder().encode('kept'));
    const removed = await store.sweepTemp(new Date(Date.now() + 60_000));
    assert.ok(Number.isSafeInteger(removed) && removed >= 0);
    assert.equal(new TextDecoder().decode(await store.getBytes(key, 100)), 'kept');
    await assert.rejects(store.sweepTemp(new Date(Number.NaN)), TypeError);
    await noLeftovers();
  });

  await t.test('round trip: empty blob, from a buffer and from an empty stream', async () => {
    const emptySha = sha256(new Uint8Array(0));
    const key = `${ns()}/empty`;
    assert.deepEqual(await store.put(key, new Uint8Array(0)), { key, bytes: 0, sha256: emptySha });
    const head = await store.head(key);
    assert.equal(head?.bytes, 0);
    assert.equal(head?.sha256, emptySha);
    assert.ok(head?.modifiedAt instanceof Date);
    assert.equal((await store.getBytes(key, 0)).byteLength, 0);
    assert.equal((await collect(await store.get(key))).byteLength, 0);
    const key2 = `${ns()}/empty-stream`;
    assert.equal((await store.put(key2, chunked(new Uint8Array(0), 10))).bytes, 0);
    assert.equal((await store.head(key2))?.bytes, 0);
  });

  await t.test('round trip: small text and binary blobs byte for byte, with content type', async () => {
    const p = ns();
    const text = new TextEncoder().encode('a,b\n1,2\n');
    const r = await store.put(`${p}/small.csv`, text, { contentType: 'text/csv; charset=utf-8' });
    assert.deepEqual(r, { key: `${p}/small.csv`, bytes: text.byteLength, sha256: sha256(text) });
    assert.deepEqual(await store.getBytes(`${p}/small.csv`, 1024), text);
    assert.equal((await store.head(`${p}/small.csv`))?.contentType, 'text/csv; charset=utf-8');

    const binary = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7 + 3) % 256); // every byte value
    await store.put(`${p}/bin`, binary);
    assert.deepEqual(await store.getBytes(`${p}/bin`, 4096), binary);
    assert.deepEqual(await collect(await store.get(`${p}/bin`)), binary);
    assert.equal((await store.head(`${p}/bin`))?.contentType, 'application/octet-stream');
  });

  await t.test('round trip: multi-MiB random blobs, buffer and uneven stream, with and without expected hash', async () => {
    const p = ns();
    const a = randomBytes(3 * MiB + 17);
    const ra = await store.put(`${p}/a`, a);
    assert.equal(ra.sha256, sha256(a));
    assert.ok(Buffer.from(await store.getBytes(`${p}/a`, 4 * MiB)).equals(a));

    const b = randomBytes(6 * MiB + 5);
    const rb = await store.put(`${p}/b`, chunked(b, 777_777), { expectedSha256: sha256(b).toUpperCase() });
    assert.deepEqual(rb, { key: `${p}/b`, bytes: b.byteLength, sha256: sha256(b) });
    assert.ok(Buffer.from(await collect(await store.get(`${p}/b`))).equals(b));
    const head = await store.head(`${p}/b`);
    assert.equal(head?.bytes, b.byteLength);
    assert.equal(head?.sha256, sha256(b));

    const c = randomBytes(7 * MiB + 1);
    await store.put(`${p}/c`, chunked(c, 1 * MiB + 3));
    assert.equal((await store.head(`${p}/c`))?.sha256, sha256(c));
    assert.ok(Buffer.from(await store.getBytes(`${p}/c`, 8 * MiB)).equals(c));

    // Overwrite replaces the whole blob.
    await store.put(`${p}/a`, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await store.getBytes(`${p}/a`, 10), new Uint8Array([1, 2, 3]));
    for (const k of ['a', 'b', 'c']) await store.delete(`${p}/${k}`);
  });

  await t.test('streaming put of 48 MiB from a generator keeps memory bounded', async () => {
    const key = `${ns()}/big`;
    // Large enough that buffering (≥ 48 MiB held) and streaming (a part or two, plus whatever an
    // in-process test server holds at that moment) are far apart, so the check cannot flake.
    const total = 48 * MiB;
    const chunk = 256 * 1024;
    const gc = exposeGc();
    gc?.();
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const hash = createHash('sha256');
    async function* generate(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < total / chunk; i++) {
        const data = Buffer.alloc(chunk, i % 251);
        hash.update(data);
        if (gc && i % 4 === 0) {
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
        }
        yield data;
      }
    }
    const result = await store.put(key, generate());
    assert.equal(result.bytes, total);
    assert.equal(result.sha256, hash.digest('hex'));
    if (gc) {
      const allowed = (fixture.bufferedBytes ?? 0) + 20 * MiB;
      assert.ok(allowed < total, 'the check must be able to tell streaming from buffering');
      assert.ok(peak < allowed, `put held ${(peak / MiB).toFixed(1)} MiB in memory while streaming (allowed ${allowed / MiB} MiB)`);
    }
    const readHash = createHash('sha256');
    let read = 0;
    for await (const part of await store.get(key)) {
      readHash.update(part as Uint8Array);
      read += (part as Uint8Array).byteLength;
    }
    assert.equal(read, total);
    assert.equal(readHash.digest('hex'), result.sha256);
    await store.delete(key);
  });

  await t.test('a blob is invisible until its put completes; the old one stays readable meanwhile', async () => {
    const p = ns();
    const key = `${p}/k`;
    const old = new TextEncoder().encode('old');
    await store.put(key, old);
    const fresh = `${p}/fresh`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const midway = new Promise<void>((resolve) => (reached = resolve));
    const slow = (): AsyncGenerator<Uint8Array> =>
      (async function* () {
        yield randomBytes(64 * 1024);
        reached();
        await gate;
        yield randomBytes(64 * 1024);
      })();
    const putOld = store.put(key, slow());
    await midway;
    await sleep(20);
    assert.deepEqual(await store.getBytes(key, 1024), old);
    release();
    await putOld;
    assert.equal((await store.head(key))?.bytes, 128 * 1024);

    let release2!: () => void;
    const gate2 = new Promise<void>((resolve) => (release2 = resolve));
    const putFresh = store.put(
      fresh,
      (async function* () {
        yield randomBytes(1000);
        await gate2;
      })(),
    );
    await sleep(20);
    assert.equal(await store.head(fresh), null);
    await assertCode(store.get(fresh), 'BLOB_NOT_FOUND');
    assert.deepEqual((await store.list(`${p}/f`)).items, []);
    release2();
    assert.equal((await putFresh).bytes, 1000);
  });

  await t.test('cap exceeded mid-stream: BLOB_TOO_LARGE, source closed early, nothing left, old blob intact', async () => {
    const p = ns();
    let yielded = 0;
    let closed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < 16; i++) {
          yielded += 256 * 1024;
          yield randomBytes(256 * 1024);
        }
      } finally {
        closed = true;
      }
    }
    await assertCode(store.put(`${p}/x`, source(), { maxBytes: 1 * MiB }), 'BLOB_TOO_LARGE');
    assert.ok(closed, 'the source was not closed');
    assert.ok(yielded <= 1 * MiB + 512 * 1024, `read ${yielded} bytes past a 1 MiB cap`);
    assert.equal(await store.head(`${p}/x`), null);

    // Past the S3 part size, so a multipart upload is under way when the cap trips.
    await assertCode(store.put(`${p}/y`, chunked(randomBytes(12 * MiB), MiB), { maxBytes: 7 * MiB }), 'BLOB_TOO_LARGE');
    assert.equal(await store.head(`${p}/y`), null);

    await assertCode(store.put(`${p}/z`, new Uint8Array(10), { maxBytes: 9 }), 'BLOB_TOO_LARGE');
    assert.equal((await store.put(`${p}/z`, new Uint8Array(10), { maxBytes: 10 })).bytes, 10);
    await assertCode(store.put(`${p}/z`, chunked(randomBytes(100), 30), { maxBytes: 99 }), 'BLOB_TOO_LARGE');
    assert.deepEqual(await store.getBytes(`${p}/z`, 100), new Uint8Array(10));
    assert.deepEqual(
      (await store.list(`${p}/`)).items.map((i) => i.key),
      [`${p}/z`],
    );
    await noLeftovers();
  });

  await t.test('expected hash mismatch: BLOB_INTEGRITY, nothing left, old blob intact', async () => {
    const p = ns();
    const data = randomBytes(4096);
    const wrong = sha256(new TextEncoder().encode('something else'));
    await assertCode(store.put(`${p}/x`, data, { expectedSha256: wrong }), 'BLOB_INTEGRITY');
    assert.equal(await store.head(`${p}/x`), null);

    const big = randomBytes(6 * MiB);
    await assertCode(store.put(`${p}/y`, chunked(big, MiB), { expectedSha256: wrong }), 'BLOB_INTEGRITY');
    assert.equal(await store.head(`${p}/y`), null);

    await store.put(`${p}/z`, data, { expectedSha256: sha256(data) });
    await assertCode(store.put(`${p}/z`, randomBytes(10), { expectedSha256: wrong }), 'BLOB_INTEGRITY');
    assert.ok(Buffer.from(await store.getBytes(`${p}/z`, 8192)).equals(data));
    assert.deepEqual(
      (await store.list(`${p}/`)).items.map((i) => i.key),
      [`${p}/z`],
    );
    await noLeftovers();
  });

  await t.test('a failing source rejects with its own error and leaves nothing', async () => {
    const p = ns();
    const boom = new Error('client went away');
    async function* source(): AsyncGenerator<Uint8Array> {
      yield randomBytes(1000);
      throw boom;
    }
    await assert.rejects(store.put(`${p}/x`, source()), (err) => err === boom);
    assert.equal(await store.head(`${p}/x`), null);
    await assert.rejects(store.put(`${p}/x`, [42] as unknown as AsyncIterable<Uint8Array>), TypeError);
    await noLeftovers();
  });

  await t.test('options are checked', async () => {
    const key = `${ns()}/x`;
    await assert.rejects(store.put(key, new Uint8Array(1), { maxBytes: -1 }), RangeError);
    await assert.rejects(store.put(key, new Uint8Array(1), { expectedSha256: 'abc' }), TypeError);
    await assert.rejects(store.put(key, new Uint8Array(1), { contentType: 'text/html\r\nX-Evil: 1' }), TypeError);
    await assert.rejects(store.getBytes(key, -1), RangeError);
    await assert.rejects(store.list('', { limit: 0 }), RangeError);
    await assert.rejects(store.list('', { limit: 1001 }), RangeError);
  });

  await t.test('missing blobs: get and getBytes throw BLOB_NOT_FOUND, head is null', async () => {
    const key = `${ns()}/nope/deeper`;
    await assertCode(store.get(key), 'BLOB_NOT_FOUND');
    await assertCode(store.getBytes(key, 100), 'BLOB_NOT_FOUND');
    assert.equal(await store.head(key), null);
    assert.equal(await store.head(`${ns()}`), null);
  });

  await t.test('getBytes refuses a blob over its limit', async () => {
    const key = `${ns()}/x`;
    await store.put(key, randomBytes(1000));
    await assertCode(store.getBytes(key, 999), 'BLOB_TOO_LARGE');
    assert.equal((await store.getBytes(key, 1000)).byteLength, 1000);
  });

  await t.test('delete is idempotent', async () => {
    const key = `${ns()}/x`;
    await store.put(key, new Uint8Array([1]));
    await store.delete(key);
    assert.equal(await store.head(key), null);
    await store.delete(key);
    await store.delete(`${ns()}/never/was`);
    await assertCode(store.get(key), 'BLOB_NOT_FOUND');
  });

  await t.test('list pages through keys in byte order, by prefix', async () => {
    const p = ns();
    // (Not `sub-y` next to `sub/x`: s3rver, the test server, walks folders and misorders those.)
    const names = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'sub/x', 'sub/y', 'K9'];
    for (const [i, name] of names.entries()) await store.put(`${p}/${name}`, new Uint8Array(i));
    await store.put(`${p}x-outside`, new Uint8Array(1));
    const expected = names.map((n) => `${p}/${n}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(`${p}/`, { limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      assert.ok(page.items.length <= 3);
      for (const item of page.items) {
        assert.equal(item.bytes, names.indexOf(item.key.slice(p.length + 1)));
        assert.ok(item.modifiedAt instanceof Date);
        seen.push(item.key);
      }
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined && pages < 10);
    assert.deepEqual(seen, expected);
    assert.equal(pages, 4);

    const all = await store.list(`${p}/`, { limit: 10 });
    assert.equal(all.items.length, 10);
    assert.equal(all.cursor, undefined);
    assert.deepEqual(
      (await store.list(`${p}/k`)).items.map((i) => i.key),
      names.slice(0, 7).map((n) => `${p}/${n}`),
    );
    assert.deepEqual(
      (await store.list(`${p}/sub/`)).items.map((i) => i.key),
      [`${p}/sub/x`, `${p}/sub/y`],
    );
    assert.deepEqual((await store.list(`${ns()}/`)).items, []);
    const first = await store.list(`${p}/`, { limit: 2 });
    assert.ok(first.cursor !== undefined);
    await assertCode(store.list(`${p}/`, { cursor: 'not a cursor!' }), 'BLOB_INVALID_KEY');
    await assertCode(store.list(`${ns()}/`, { cursor: first.cursor }), 'BLOB_INVALID_KEY');
  });

  await t.test('invalid keys are refused with BLOB_INVALID_KEY by every method', async () => {
    const bad = ['', '../x', '/etc/passwd', 'a\\b', 'a/../../b', 'a\0b', 'x'.repeat(2000), 'a//b', 'a/', '.hidden', 'a/./b', 'a/..', 'ä', 'a b', 'a\nb', '~uploads/x', 'C:\\x'];
    for (const key of bad) {
      const what = JSON.stringify(key.slice(0, 20));
      await assertCode(store.put(key, new Uint8Array(1)), 'BLOB_INVALID_KEY', `put ${what}`);
      await assertCode(store.get(key), 'BLOB_INVALID_KEY', `get ${what}`);
      await assertCode(store.getBytes(key, 10), 'BLOB_INVALID_KEY', `getBytes ${what}`);
      await assertCode(store.head(key), 'BLOB_INVALID_KEY', `head ${what}`);
      await assertCode(store.delete(key), 'BLOB_INVALID_KEY', `delete ${what}`);
    }
    for (const prefix of ['../', '/etc', 'a\\', 'a/../', '.x', 'a//', 'x'.repeat(2000)]) {
      await assertCode(store.list(prefix), 'BLOB_INVALID_KEY', `list ${JSON.stringify(prefix.slice(0, 20))}`);
    }
    // Non-strings too (the API may pass unchecked input).
    await assertCode(store.head(42 as unknown as string), 'BLOB_INVALID_KEY');
  });

  await t.test('concurrent puts of one key end with one complete blob', async () => {
    const key = `${ns()}/same`;
    const contents = [randomBytes(300 * 1024), randomBytes(MiB), randomBytes(2 * MiB + 1), randomBytes(6 * MiB + 3)];
    const results = await Promise.all(contents.map((c) => store.put(key, chunked(c, 256 * 1024, true))));
    results.forEach((r, i) => assert.equal(r.sha256, sha256(contents[i] as Uint8Array)));
    const stored = Buffer.from(await store.getBytes(key, 8 * MiB));
    const winner = contents.find((c) => c.equals(stored));
    assert.ok(winner, 'the stored blob is not exactly one of the puts');
    const head = await store.head(key);
    assert.equal(head?.bytes, winner.byteLength);
    assert.equal(head?.sha256, sha256(winner));
    await noLeftovers();
    await store.delete(key);
  });
}

/** Lower-case hex sha256 of `data`. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Yields `data` in chunks of `size` (fresh copies), optionally yielding to the event loop between. */
export async function* chunked(data: Uint8Array, size: number, interleave = false): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.byteLength; offset += size) {
    if (interleave) await tick();
    yield data.slice(offset, offset + size);
  }
}

/** Reads a whole stream into one buffer. */
export async function collect(stream: AsyncIterable<unknown>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array));
  return new Uint8Array(Buffer.concat(parts));
}

/** Asserts that `promise` rejects with a BlobError of `code`. */
export async function assertCode(promise: Promise<unknown>, code: BlobErrorCode, message?: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isBlobError(err), `${message ?? ''} expected BlobError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, message);
    return true;
  });
}

/** V8's gc(), if it can be exposed at run time (for the memory check); else undefined. */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? () => void (gc as () => unknown)() : undefined;
  } catch {
    return undefined;
  }
}
