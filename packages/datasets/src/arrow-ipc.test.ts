import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import * as A from 'apache-arrow';
import type { Column } from '@plotbox/sandbox-protocol';
import { decodeArrowIPC, encodeArrowIPC } from './arrow-ipc.ts';
import { columnToArray } from './column-to-array.ts';
import { buildDataset } from './dataset-from-columns.ts';
import { isDatasetError, type DatasetErrorCode } from './dataset-error.ts';

const sample: Column[] = [
  { name: 'n', kind: 'number', values: Float64Array.from([1.5, -2, 0, NaN, 1e300]), valid: Uint8Array.from([1, 1, 0, 1, 1]) },
  { name: 'i', kind: 'int', values: Int32Array.from([1, -2147483648, 2147483647, 0, 7]) },
  { name: 'b', kind: 'bool', values: Uint8Array.from([1, 0, 1, 0, 0]), valid: Uint8Array.from([1, 1, 1, 1, 0]) },
  { name: 's', kind: 'string', dictionary: ['x', 'héllo ✓', ''], codes: Int32Array.from([0, 1, -1, 2, 0]) },
  { name: 'd', kind: 'date', values: Float64Array.from([0, Date.UTC(2024, 1, 29), -86_400_000, 8.64e15, Date.UTC(2023, 0, 1, 12, 30, 1, 5)]), valid: Uint8Array.from([1, 1, 1, 1, 0]) },
];

function expectCode(fn: () => unknown, code: DatasetErrorCode | readonly DatasetErrorCode[]): void {
  const codes = typeof code === 'string' ? [code] : code;
  assert.throws(fn, (e: unknown) => isDatasetError(e) && codes.includes(e.code), `expected ${codes.join('|')}`);
}

test('columns → Arrow → columns keeps every kind, value and null', () => {
  const bytes = encodeArrowIPC(sample);
  const ds = decodeArrowIPC(bytes);
  assert.equal(ds.rowCount, 5);
  assert.deepEqual(
    ds.columns.map((c) => [c.name, c.kind]),
    sample.map((c) => [c.name, c.kind]),
  );
  for (let i = 0; i < sample.length; i++) assert.deepEqual(columnToArray(ds.columns[i] as Column), columnToArray(sample[i] as Column), (sample[i] as Column).name);
  assert.equal(ds.sha256, createHash('sha256').update(bytes).digest('hex'));
  // valid only where a null exists
  assert.equal((ds.columns[1] as { valid?: Uint8Array }).valid, undefined);
});

test('the bytes are stable and equal for equal content, whatever the dictionary order', () => {
  const a = encodeArrowIPC(sample);
  const b = encodeArrowIPC(sample);
  assert.deepEqual(a, b);
  const reordered = sample.map((c) => (c.kind === 'string' ? { ...c, dictionary: ['', 'unused', 'x', 'héllo ✓'], codes: Int32Array.from([2, 3, -1, 0, 2]) } : c));
  assert.deepEqual(encodeArrowIPC(reordered), a);
  const nullJunk = sample.map((c) => (c.name === 'n' ? ({ ...c, values: Float64Array.from([1.5, -2, 99, NaN, 1e300]) } as Column) : c));
  assert.deepEqual(encodeArrowIPC(nullJunk), a);
  const changed = sample.map((c) => (c.name === 'i' ? ({ ...c, values: Int32Array.from([1, -2147483648, 2147483647, 0, 8]) } as Column) : c));
  assert.notDeepEqual(encodeArrowIPC(changed), a);
  // A known hash pins the format across runs and library upgrades: if this changes, every stored
  // dataset would get a new address, so treat it as a migration, not a test to update.
  assert.equal(buildDataset(sample).dataset.sha256, 'c6372ad638307d329d81b0ac2d6c5418abfdd8d2f6994d9a1f400cd2b7266b6f');
  assert.equal(buildDataset(sample).dataset.sha256, createHash('sha256').update(a).digest('hex'));
});

test('decoding our own bytes is zero-copy for numbers and dictionary codes', () => {
  const n = 10_000;
  const cols: Column[] = [
    { name: 'x', kind: 'number', values: Float64Array.from({ length: n }, (_, i) => i / 2) },
    { name: 'k', kind: 'int', values: Int32Array.from({ length: n }, (_, i) => i) },
    { name: 's', kind: 'string', dictionary: ['a', 'b', 'c'], codes: Int32Array.from({ length: n }, (_, i) => i % 3) },
  ];
  const bytes = encodeArrowIPC(cols);
  const ds = decodeArrowIPC(bytes);
  for (const c of ds.columns) assert.equal((c.kind === 'string' ? c.codes : c.values).buffer, bytes.buffer, c.name);
  // An unaligned copy still decodes (copied once to align).
  const shifted = new Uint8Array(bytes.length + 3).subarray(3);
  shifted.set(bytes);
  assert.deepEqual(columnToArray(decodeArrowIPC(shifted).columns[2] as Column).slice(0, 4), ['a', 'b', 'c', 'a']);
});

test('zero rows round-trip', () => {
  const ds = decodeArrowIPC(
    encodeArrowIPC([
      { name: 'a', kind: 'int', values: new Int32Array(0) },
      { name: 's', kind: 'string', dictionary: [], codes: new Int32Array(0) },
    ]),
  );
  assert.equal(ds.rowCount, 0);
  assert.deepEqual(
    ds.columns.map((c) => c.kind),
    ['int', 'string'],
  );
});

test('foreign Arrow: integer, float, decimal, date and timestamp types map to the column kinds', () => {
  const n = 4;
  const vec = <T extends A.DataType>(type: T, values: unknown[]): A.Vector<T> => A.vectorFromArray(values as never, type) as A.Vector<T>;
  const table = new A.Table({
    i8: vec(new A.Int8(), [1, -2, null, 127]),
    u16: vec(new A.Uint16(), [1, 2, 3, 65535]),
    u32: vec(new A.Uint32(), [1, 2, 3, 4294967295]),
    i64: vec(new A.Int64(), [1n, -2n, 2n ** 53n, null]),
    u64: vec(new A.Uint64(), [1n, 2n, 3n, 2n ** 64n - 1n]),
    f32: vec(new A.Float32(), [0.5, -1.25, null, 3]),
    day: vec(new A.DateDay(), [new Date(Date.UTC(2023, 0, 1)), null, new Date(0), new Date(Date.UTC(1969, 11, 31))]),
    tss: A.makeVector(A.makeData({ type: new A.TimestampSecond(), length: n, data: BigInt64Array.of(1n, 2n, 3n, 4n) })),
    tsus: A.makeVector(A.makeData({ type: new A.TimestampMicrosecond(), length: n, data: BigInt64Array.of(1000n, 2000n, 3000n, 4000n) })),
    txt: vec(new A.Utf8(), ['a', null, 'b', 'a']),
    big: vec(new A.LargeUtf8(), ['x', 'y', 'x', null]),
    nothing: A.makeVector(A.makeData({ type: new A.Null(), length: n })),
  });
  const ds = decodeArrowIPC(A.tableToIPC(table));
  const byName = Object.fromEntries(ds.columns.map((c) => [c.name, c]));
  const kinds = Object.fromEntries(ds.columns.map((c) => [c.name, c.kind]));
  assert.deepEqual(kinds, {
    i8: 'int',
    u16: 'int',
    u32: 'number',
    i64: 'number',
    u64: 'number',
    f32: 'number',
    day: 'date',
    tss: 'date',
    tsus: 'date',
    txt: 'string',
    big: 'string',
    nothing: 'string',
  });
  const get = (name: string): unknown[] => columnToArray(byName[name] as Column);
  assert.deepEqual(get('i8'), [1, -2, null, 127]);
  assert.deepEqual(get('u16'), [1, 2, 3, 65535]);
  assert.deepEqual(get('u32'), [1, 2, 3, 4294967295]);
  assert.deepEqual(get('i64'), [1, -2, 2 ** 53, null]);
  assert.deepEqual(get('u64'), [1, 2, 3, 2 ** 64]);
  assert.deepEqual(get('f32'), [0.5, -1.25, null, 3]);
  assert.deepEqual(get('day'), [Date.UTC(2023, 0, 1), null, 0, -86_400_000]);
  assert.deepEqual(get('tss'), [1000, 2000, 3000, 4000]);
  assert.deepEqual(get('tsus'), [1, 2, 3, 4]);
  assert.deepEqual(get('txt'), ['a', null, 'b', 'a']);
  assert.deepEqual(get('big'), ['x', 'y', 'x', null]);
  assert.deepEqual(get('nothing'), [null, null, null, null]);
});

test('foreign Arrow: decimals, float16, file format and several batches with their own dictionaries', () => {
  // Decimal(scale 2): 12345 → 123.45, -1 → -0.01 (128-bit two's complement words).
  const dec = A.makeData({ type: new A.Decimal(2, 10, 128), length: 2, data: Uint32Array.from([12345, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]) });
  const half = A.makeData({ type: new A.Float16(), length: 2, data: Uint16Array.from([0x3c00, 0xc000]) });
  const t1 = new A.Table({ dec: A.makeVector(dec), half: A.makeVector(half) });
  const ds = decodeArrowIPC(A.tableToIPC(t1, 'file'));
  assert.deepEqual(columnToArray(ds.columns[0] as Column), [123.45, -0.01]);
  assert.deepEqual(columnToArray(ds.columns[1] as Column), [1, -2]);
  // Columns of unequal length: apache-arrow pads the short one with an all-null chunk without values.
  const padded = new A.Table({ a: A.makeVector(dec), b: A.vectorFromArray([1, 2, 3], new A.Int32()) });
  assert.deepEqual(columnToArray(decodeArrowIPC(A.tableToIPC(padded)).columns[0] as Column), [123.45, -0.01, null]);

  const b1 = new A.Table({ s: A.vectorFromArray(['a', 'b', 'a']) });
  const b2 = new A.Table({ s: A.vectorFromArray(['c', 'a']) });
  const joined = b1.concat(b2);
  // Stream only: the file format forbids replacement dictionaries.
  const out = decodeArrowIPC(A.tableToIPC(joined, 'stream'));
  assert.equal(out.rowCount, 5);
  assert.deepEqual(columnToArray(out.columns[0] as Column), ['a', 'b', 'a', 'c', 'a']);
  const plain = new A.Table({ s: A.vectorFromArray(['a', null], new A.Utf8()), x: A.vectorFromArray([1.5, 2]) }).concat(
    new A.Table({ s: A.vectorFromArray(['b'], new A.Utf8()), x: A.vectorFromArray([3]) }),
  );
  const fromFile = decodeArrowIPC(A.tableToIPC(plain, 'file'));
  assert.deepEqual(
    fromFile.columns.map((c) => columnToArray(c)),
    [
      ['a', null, 'b'],
      [1.5, 2, 3],
    ],
  );
});

test('unsupported Arrow types are DATASET_SCHEMA naming the column and the type', () => {
  const table = new A.Table({ ok: A.vectorFromArray([1, 2]), tags: A.vectorFromArray([[1], [2, 3]], new A.List(new A.Field('item', new A.Int32(), true))) });
  assert.throws(
    () => decodeArrowIPC(A.tableToIPC(table)),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && /"tags"/.test(e.message) && /List/.test(e.message),
  );
});

test('row and column caps, and the expected hash', () => {
  const bytes = encodeArrowIPC([{ name: 'a', kind: 'int', values: new Int32Array(100) }]);
  expectCode(() => decodeArrowIPC(bytes, { maxRows: 99 }), 'DATASET_TOO_LARGE');
  assert.equal(decodeArrowIPC(bytes, { maxRows: 100 }).rowCount, 100);
  const wide = encodeArrowIPC(Array.from({ length: 5 }, (_, i): Column => ({ name: `c${i}`, kind: 'int', values: new Int32Array(1) })));
  expectCode(() => decodeArrowIPC(wide, { maxColumns: 4 }), 'DATASET_TOO_LARGE');
  const sha = createHash('sha256').update(bytes).digest('hex');
  assert.equal(decodeArrowIPC(bytes, { expectSha256: sha }).sha256, sha);
  expectCode(() => decodeArrowIPC(bytes, { expectSha256: '0'.repeat(64) }), 'DATASET_HASH_MISMATCH');
});

test('Arrow field names are held to the column-name rules', () => {
  const dup = A.tableToIPC(
    new A.Table(new A.Schema([new A.Field('a', new A.Int32()), new A.Field('a', new A.Int32())]), [
      new A.RecordBatch(
        new A.Schema([new A.Field('a', new A.Int32()), new A.Field('a', new A.Int32())]),
        A.makeData({
          type: new A.Struct([new A.Field('a', new A.Int32()), new A.Field('a', new A.Int32())]),
          length: 1,
          children: [A.makeData({ type: new A.Int32(), data: Int32Array.of(1) }), A.makeData({ type: new A.Int32(), data: Int32Array.of(2) })],
        }),
      ),
    ]),
  );
  expectCode(() => decodeArrowIPC(dup), 'DATASET_SCHEMA');
});

/** Positions of an int64 little-endian value in bytes. */
function findInt64(bytes: Uint8Array, value: bigint): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 8 <= bytes.length; i++) if (view.getBigInt64(i, true) === value) out.push(i);
  return out;
}

test('hostile bytes: claimed lengths far beyond the buffer are refused before anything is allocated', () => {
  const good = encodeArrowIPC([{ name: 'v', kind: 'number', values: new Float64Array(77).fill(1.25) }]);
  const patched = (value: bigint): Uint8Array => {
    const b = good.slice();
    const view = new DataView(b.buffer);
    for (const at of findInt64(good, 77n)) view.setBigInt64(at, value, true);
    return b;
  };
  expectCode(() => decodeArrowIPC(patched(2n ** 31n - 1n)), 'DATASET_TOO_LARGE');
  expectCode(() => decodeArrowIPC(patched(2n ** 31n - 1n), { maxRows: 2 ** 31 }), 'DATASET_PARSE');
  expectCode(() => decodeArrowIPC(patched(2n ** 62n), { maxRows: 2 ** 40 }), 'DATASET_TOO_LARGE');
  expectCode(() => decodeArrowIPC(patched(-1n)), 'DATASET_PARSE');
  // metadata length (bytes 4..7 after the continuation marker): huge, negative, zero
  for (const len of [0x7fffffff, -5, 0]) {
    const b = good.slice();
    new DataView(b.buffer).setInt32(4, len, true);
    expectCode(() => decodeArrowIPC(b), 'DATASET_PARSE');
  }
  // body length of every message → huge
  const b = good.slice();
  for (const at of findInt64(good, BigInt(77 * 8))) new DataView(b.buffer).setBigInt64(at, 2n ** 40n, true);
  expectCode(() => decodeArrowIPC(b), 'DATASET_PARSE');
});

test('hostile bytes: empty, random, truncated and mutated input is DATASET_PARSE (or SCHEMA/TOO_LARGE), never a crash or a hang', () => {
  const sources = [encodeArrowIPC(sample), A.tableToIPC(new A.Table({ x: A.vectorFromArray([1, 2, 3]), s: A.vectorFromArray(['a', 'b', null]), b: A.vectorFromArray([true, null, false]) }), 'file')];
  let seed = 42;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const inputs: Uint8Array[] = [new Uint8Array(0), new Uint8Array(3), Uint8Array.of(0xff, 0xff, 0xff, 0xff), new TextEncoder().encode('ARROW1')];
  for (let i = 0; i < 400; i++) inputs.push(Uint8Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
  for (const src of sources) {
    for (let cut = 0; cut < src.length; cut += 7) inputs.push(src.slice(0, cut));
    for (let i = 0; i < 600; i++) {
      const b = src.slice();
      const m = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < m; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      inputs.push(b);
    }
  }
  const started = performance.now();
  let slowest = 0;
  for (const input of inputs) {
    const t0 = performance.now();
    try {
      const ds = decodeArrowIPC(input);
      assert.ok(ds.rowCount >= 0);
    } catch (error) {
      assert.ok(isDatasetError(error), `not a DatasetError: ${String(error)}`);
    }
    slowest = Math.max(slowest, performance.now() - t0);
  }
  assert.ok(slowest < 500, `slowest input took ${slowest} ms`);
  assert.ok(performance.now() - started < 20_000);
});
