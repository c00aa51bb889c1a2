import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as A from 'apache-arrow';
import type { Column } from '@plotbox/sandbox-protocol';
import { MAX_BATCH_ROWS, planBatches } from './arrow-encode.ts';
import { decodeArrowIPC, encodeArrowIPC } from './arrow-ipc.ts';
import { cutText, previewRows, readArrowPrefix } from './arrow-prefix.ts';
import { columnToArray } from './column-to-array.ts';
import { buildDataset } from './dataset-from-columns.ts';
import { isDatasetError } from './dataset-error.ts';
import { generateSales } from './generate-sales.ts';
import { MESSAGE_TYPES, readMessageHeader } from './ipc-verify.ts';

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Record batch lengths and dictionary batches' isDelta flags, in stream order (framing walked by hand). */
function messages(bytes: Uint8Array): { batches: number[]; dictionaries: boolean[] } {
  const batches: number[] = [];
  const dictionaries: boolean[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 8 <= bytes.length) {
    const length = view.getInt32(at + 4, true);
    if (length === 0) break;
    const meta = bytes.subarray(at + 8, at + 8 + length);
    const header = readMessageHeader(meta);
    if (header.headerType === MESSAGE_TYPES.recordBatch) batches.push(header.rows);
    else if (header.headerType === MESSAGE_TYPES.dictionaryBatch) dictionaries.push(header.isDelta);
    at += 8 + length + header.bodyLength;
  }
  return { batches, dictionaries };
}

test('large datasets are stored as bounded record batches, strings as an initial dictionary plus deltas', () => {
  const rows = 300_000;
  const columns: Column[] = [
    { name: 'i', kind: 'int', values: Int32Array.from({ length: rows }, (_, k) => k) },
    // Every row a new string: each batch brings its own delta.
    { name: 'id', kind: 'string', dictionary: Array.from({ length: rows }, (_, k) => `id-${k}`), codes: Int32Array.from({ length: rows }, (_, k) => k) },
    { name: 'x', kind: 'number', values: Float64Array.from({ length: rows }, (_, k) => k / 3), valid: Uint8Array.from({ length: rows }, (_, k) => (k % 7 === 0 ? 0 : 1)) },
  ];
  const { bytes, dataset } = buildDataset(columns);
  const plan = planBatches(dataset.columns);
  assert.ok(plan.length > 1);
  assert.ok(plan.every(([a, b]) => b - a >= 1 && b - a <= MAX_BATCH_ROWS));
  const { batches, dictionaries } = messages(bytes);
  assert.deepEqual(
    batches,
    plan.map(([a, b]) => b - a),
  );
  assert.equal(dictionaries[0], false);
  assert.ok(dictionaries.slice(1).every((d) => d));
  assert.equal(dictionaries.length, batches.length);
  // Round trip through our decoder and through apache-arrow itself.
  const back = decodeArrowIPC(bytes);
  assert.equal(back.rowCount, rows);
  for (let c = 0; c < columns.length; c++) assert.deepEqual(columnToArray(back.columns[c] as Column), columnToArray(dataset.columns[c] as Column));
  const table = A.tableFromIPC(bytes);
  assert.equal(table.getChild('id')?.get(rows - 1), `id-${rows - 1}`);
  // Equal content, equal bytes.
  assert.deepEqual(buildDataset(columns).bytes, bytes);
});

test('a string column that introduces no strings in later batches writes no empty deltas', () => {
  const rows = 200_000;
  const col: Column = { name: 's', kind: 'string', dictionary: ['a', 'b'], codes: Int32Array.from({ length: rows }, (_, k) => k % 2) };
  const { bytes } = buildDataset([col]);
  const { batches, dictionaries } = messages(bytes);
  assert.ok(batches.length > 1);
  assert.deepEqual(dictionaries, [false]);
  assert.deepEqual(columnToArray(decodeArrowIPC(bytes).columns[0] as Column).slice(-2), ['a', 'b']);
});

test('the first rows of a stored version are read without reading the rest', async () => {
  const { bytes } = buildDataset(generateSales(200_000, 7));
  let read = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const c of chunksOf(bytes, 64 * 1024)) {
      read += c.byteLength;
      yield c;
    }
  }
  const prefix = await readArrowPrefix(counted(), 20, 64 * 1024 * 1024);
  assert.ok(prefix.rows >= 20);
  assert.equal(prefix.complete, false);
  assert.ok(read < bytes.length / 4, `read ${read} of ${bytes.length} bytes`);
  const preview = previewRows(prefix.bytes, { rows: 20, maxCellChars: 100, maxTotalChars: 1_000_000 });
  const full = decodeArrowIPC(bytes);
  assert.equal(preview.rows.length, 20);
  assert.deepEqual(
    preview.columns.map((c) => c.name),
    full.columns.map((c) => c.name),
  );
  for (let i = 0; i < 20; i++) for (const c of full.columns) assert.deepEqual(preview.rows[i]?.[c.name], columnToArray(c)[i], `${c.name}[${i}]`);
  // A small stream: the whole of it, complete.
  const small = await readArrowPrefix(chunksOf(encodeArrowIPC(generateSales(10, 1)), 5), 20, 1 << 20);
  assert.equal(small.rows, 10);
  assert.equal(small.complete, true);
  // Broken input is DATASET_PARSE, and the byte cap holds.
  await assert.rejects(readArrowPrefix(chunksOf(bytes.subarray(0, 300), 7), 20, 1 << 20), (e: unknown) => isDatasetError(e, 'DATASET_PARSE'));
  await assert.rejects(readArrowPrefix(chunksOf(bytes, 1024), 1_000_000, 100_000), (e: unknown) => isDatasetError(e, 'DATASET_PARSE'));
});

test('previews cut long strings and stop adding rows past their size budget', () => {
  const long = 'é'.repeat(10_000);
  const bytes = encodeArrowIPC([{ name: 's', kind: 'string', dictionary: [long, 'x'], codes: Int32Array.from([0, 1, 0, 0]) }]);
  const p = previewRows(bytes, { rows: 4, maxCellChars: 50, maxTotalChars: 100 });
  assert.equal(p.rows[0]?.s, `${'é'.repeat(50)}…`);
  assert.equal(p.truncated, true);
  assert.ok(p.rows.length < 4);
  assert.equal(cutText('a😀b', 2), 'a…');
});

test('untrusted Arrow: the decoded size is budgeted from the schema before any batch is read', () => {
  // 1,000 Null columns × 1M rows: a few hundred bytes on the wire, gigabytes decoded.
  const rows = 1_000_000;
  const fields = Array.from({ length: 1000 }, (_, i) => new A.Field(`n${i}`, new A.Null(), true));
  const schema = new A.Schema(fields);
  const data = A.makeData({ type: new A.Struct(fields), length: rows, nullCount: 0, children: fields.map(() => A.makeData({ type: new A.Null(), length: rows })) });
  const bomb = A.tableToIPC(new A.Table(schema, [new A.RecordBatch(schema, data)]), 'stream');
  assert.ok(bomb.length < 200_000);
  const started = performance.now();
  assert.throws(
    () => decodeArrowIPC(bomb, { limits: {} }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'decodedBytes',
  );
  assert.ok(performance.now() - started < 2000);
  // A few Null columns fit the decoded budget and are stored as Null columns: a few hundred bytes
  // stay a few hundred bytes (they used to become 4 bytes per row per column).
  const few = new A.Table({ a: A.makeVector(A.makeData({ type: new A.Null(), length: rows })), b: A.makeVector(A.makeData({ type: new A.Null(), length: rows })) });
  const decoded = decodeArrowIPC(A.tableToIPC(few), { limits: { maxStoredBytes: 1_000_000 } });
  assert.equal(decoded.rowCount, rows);
  const stored = buildDataset(decoded.columns);
  assert.ok(stored.bytes.byteLength < 10_000, `stored ${stored.bytes.byteLength} bytes`);
  assert.equal(decodeArrowIPC(stored.bytes).rowCount, rows);
  // All-null typed columns are all-null string columns once canonical, stored the same way.
  const nullFloats = buildDataset([{ name: 'f', kind: 'number', values: new Float64Array(rows), valid: new Uint8Array(rows) }]);
  assert.ok(nullFloats.bytes.byteLength < 10_000);
  assert.equal(nullFloats.dataset.columns[0]?.kind, 'string');
  // Columns with values still count at their width: refused from the batches' field nodes, before decoding.
  const ints = A.tableToIPC(new A.Table({ i: A.makeVector(A.makeData({ type: new A.Int32(), length: rows, data: new Int32Array(rows) })) }));
  assert.throws(
    () => decodeArrowIPC(ints, { limits: { maxStoredBytes: 1_000_000 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'storedBytes',
  );
});

test('untrusted Arrow: all-null columns without value buffers keep their row count and read as nulls', () => {
  const rows = 100_000;
  const f = A.makeData({ type: new A.Float64(), length: rows, nullCount: rows, nullBitmap: new Uint8Array(0), data: new Float64Array(0) });
  const i = A.makeData({ type: new A.Int32(), length: rows, data: Int32Array.from({ length: rows }, (_, k) => k) });
  const ds = decodeArrowIPC(A.tableToIPC(new A.Table({ f: A.makeVector(f), i: A.makeVector(i) })), { limits: {} });
  assert.deepEqual(columnToArray(decodeArrowIPC(A.tableToIPC(new A.Table({ f: A.makeVector(f) }))).columns[0] as Column).slice(0, 2), [null, null], 'alone (one chunk) too');
  assert.equal(ds.rowCount, rows);
  const col = ds.columns[0] as Column & { kind: 'number' };
  assert.equal(col.kind, 'number');
  assert.equal(col.valid?.length, rows);
  assert.ok(col.valid?.every((v) => v === 0));
});

test('untrusted Arrow: strings are held to the field limit; nested and binary types are refused from the schema', () => {
  const table = new A.Table({ s: A.vectorFromArray(['ok', 'x'.repeat(5000)], new A.Utf8()) });
  assert.throws(
    () => decodeArrowIPC(A.tableToIPC(table), { limits: { maxFieldChars: 1000 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'fieldChars' && e.column === 's',
  );
  assert.equal(decodeArrowIPC(A.tableToIPC(table)).rowCount, 2, 'stored versions are not held to the new limits');
  const dict = new A.Table({ d: A.vectorFromArray(['a', 'y'.repeat(5000)], new A.Dictionary(new A.Utf8(), new A.Int32())) });
  assert.throws(
    () => decodeArrowIPC(A.tableToIPC(dict), { limits: { maxFieldChars: 1000 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'fieldChars',
  );
  const large = new A.Table({ l: A.vectorFromArray(['a', 'bb'], new A.LargeUtf8()) });
  assert.deepEqual(columnToArray(decodeArrowIPC(A.tableToIPC(large), { limits: {} }).columns[0] as Column), ['a', 'bb']);
  for (const type of [new A.Struct([new A.Field('x', new A.Int32())]), new A.Binary(), new A.Dictionary(new A.Int32(), new A.Int32())]) {
    const t = new A.Table({ bad: A.makeVector(A.makeData({ type: type as A.DataType, length: 0 } as never)) });
    assert.throws(
      () => decodeArrowIPC(A.tableToIPC(t), { limits: {} }),
      (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.column === 'bad',
      String(type),
    );
  }
});

test('dictionary strings are encoded together, the same as one by one (also lone surrogates at the joins)', () => {
  const dictionary = ['a\uD800', '\uDC00b', 'é', '', 'plain'];
  const { bytes } = buildDataset([{ name: 's', kind: 'string', dictionary, codes: Int32Array.from([0, 1, 2, 3, 4]) }]);
  const back = columnToArray(decodeArrowIPC(bytes).columns[0] as Column);
  assert.deepEqual(
    back,
    dictionary.map((s) => new TextDecoder().decode(new TextEncoder().encode(s))),
  );
});
