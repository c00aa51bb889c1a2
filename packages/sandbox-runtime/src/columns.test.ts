import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLazyColumns, decodeColumn, packStringColumn } from './columns.ts';
import type { DatasetPayload } from './columns.ts';

const day = 86_400_000;

test('decodes every column kind, with nulls from valid masks and code -1', () => {
  assert.deepEqual(decodeColumn({ name: 'n', kind: 'number', values: Float64Array.of(1.5, 2, 3), valid: Uint8Array.of(1, 0, 1) }, 3), [1.5, null, 3]);
  assert.deepEqual(decodeColumn({ name: 'i', kind: 'int', values: Int32Array.of(-1, 7) }, 2), [-1, 7]);
  assert.deepEqual(decodeColumn({ name: 'b', kind: 'bool', values: Uint8Array.of(1, 0, 1), valid: Uint8Array.of(1, 1, 0) }, 3), [true, false, null]);
  assert.deepEqual(decodeColumn({ name: 's', kind: 'string', dictionary: ['a', 'b'], codes: Int32Array.of(1, -1, 0, 1) }, 4), ['b', null, 'a', 'b']);
});

test('dates become ISO strings: date-only when every value is a UTC midnight', () => {
  const midnight = Date.UTC(2024, 1, 29);
  assert.deepEqual(decodeColumn({ name: 'd', kind: 'date', values: Float64Array.of(midnight, midnight + day, 0), valid: Uint8Array.of(1, 1, 0) }, 3), ['2024-02-29', '2024-03-01', null]);
  assert.deepEqual(decodeColumn({ name: 'd', kind: 'date', values: Float64Array.of(midnight, midnight + 90_061_001, NaN) }, 3), ['2024-02-29T00:00:00.000Z', '2024-03-01T01:01:01.001Z', null]);
});

test('decoded columns are frozen plain arrays', () => {
  const col = decodeColumn({ name: 'n', kind: 'number', values: Float64Array.of(1, 2) }, 2);
  assert.ok(Array.isArray(col));
  assert.ok(Object.isFrozen(col));
  assert.throws(() => ((col as number[])[0] = 9), TypeError);
  assert.throws(() => (col as number[]).push(3), TypeError);
});

test('columns decode lazily, once, on first read', () => {
  const decoded: string[] = [];
  const payload: DatasetPayload = {
    rowCount: 2,
    columns: [
      { name: 'a', kind: 'int', values: Int32Array.of(1, 2) },
      { name: 'b', kind: 'string', dictionary: ['x'], codes: Int32Array.of(0, 0) },
    ],
  };
  const { columns, names } = createLazyColumns(payload, { onDecode: (n) => decoded.push(n) });
  assert.deepEqual(names, ['a', 'b']);
  assert.deepEqual(Object.keys(columns), ['a', 'b']);
  assert.deepEqual(decoded, []);
  assert.equal(columns['b'], columns['b']);
  assert.deepEqual(decoded, ['b']);
  assert.ok(Object.isFrozen(columns));
  assert.equal(Object.getPrototypeOf(columns), null);
});

test('malformed payloads fail at once, naming the column', () => {
  const bad = (columns: unknown[], rowCount = 2): DatasetPayload => ({ rowCount, columns }) as unknown as DatasetPayload;
  assert.throws(() => createLazyColumns(bad([{ name: 'a', kind: 'int', values: Int32Array.of(1) }])), /column "a".*rowCount/);
  assert.throws(() => createLazyColumns(bad([{ name: 'a', kind: 'int', values: Float64Array.of(1, 2) }])), /column "a": values must be an Int32Array/);
  assert.throws(() => createLazyColumns(bad([{ name: 's', kind: 'string', dictionary: [1], codes: Int32Array.of(0, 0) }])), /dictionary/);
  assert.throws(() => createLazyColumns(bad([{ name: 'x', kind: 'weird', values: Int32Array.of(0, 0) }])), /unknown kind/);
  assert.throws(
    () =>
      createLazyColumns(
        bad([
          { name: 'a', kind: 'int', values: Int32Array.of(1, 2) },
          { name: 'a', kind: 'int', values: Int32Array.of(1, 2) },
        ]),
      ),
    /two columns named "a"/,
  );
  assert.throws(() => createLazyColumns(bad([], -1)), /rowCount/);
});

test('a packed string column (one dictionary string + offsets) decodes exactly like the plain one, slicing only when read', () => {
  const plain = { name: 's', kind: 'string' as const, dictionary: ['north', '', 'söuth', 'e🚀st', 'north-west'], codes: Int32Array.of(0, 4, -1, 2, 3, 1, 5) };
  const packed = packStringColumn(plain);
  assert.ok('dictionaryText' in packed);
  assert.equal(packed.dictionaryText, 'northsöuthe🚀stnorth-west');
  assert.deepEqual([...packed.dictionaryOffsets], [0, 5, 5, 10, 15, 25]);
  const { columns, raw } = createLazyColumns({ rowCount: 7, columns: [packed] });
  const column = raw.get('s');
  assert.ok(column && column.kind === 'string');
  assert.equal(typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(column) as object, 'dictionary')?.get, 'function', 'the dictionary is sliced out on first use');
  assert.deepEqual(columns.s, decodeColumn(plain, 7));
  assert.deepEqual(column.dictionary, plain.dictionary);
  assert.equal(column.dictionary, column.dictionary, 'sliced once');
});

test('malformed packed columns fail at boot, naming the column', () => {
  const good = packStringColumn({ name: 'p', kind: 'string', dictionary: ['a', 'bb'], codes: Int32Array.of(0, 1) });
  assert.ok('dictionaryText' in good);
  const bad = (over: Record<string, unknown>): DatasetPayload => ({ rowCount: 2, columns: [{ ...good, ...over } as never] });
  for (const over of [
    { dictionaryOffsets: Int32Array.of(0, 2, 1) },
    { dictionaryOffsets: Int32Array.of(1, 2, 3) },
    { dictionaryOffsets: Int32Array.of(0, 1, 9) },
    { dictionaryOffsets: [0, 1, 3] },
    { codes: Int32Array.of(0) },
  ]) {
    assert.throws(() => createLazyColumns(bad(over)), /dataset column "p"/, JSON.stringify(Object.keys(over)));
  }
});
