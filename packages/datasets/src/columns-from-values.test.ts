import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Column } from '@plotbox/sandbox-protocol';
import { columnToArray } from './column-to-array.ts';
import { columnsFromObject, columnsFromRows } from './columns-from-values.ts';
import { isDatasetError } from './dataset-error.ts';
import { parseIsoDate } from './parse-cell-text.ts';

const kinds = (cols: Column[]): Record<string, string> => Object.fromEntries(cols.map((c) => [c.name, c.kind]));

test('inference: int32 → int, other numbers → number, bool, string, Date → date, mixed → string', () => {
  const cols = columnsFromObject({
    i: [1, -2, 2147483647, -2147483648],
    big: [1, 2, 3, 2147483648],
    f: [1, 2.5, 3, 4],
    nan: [1, NaN, 2, 3],
    b: [true, false, true, false],
    s: ['a', 'b', 'a', 'c'],
    d: [new Date(0), new Date(86_400_000), new Date(Number.NaN), null],
    mixed: [1, 'two', true, new Date(0)],
    empty: [null, undefined, null, null],
  });
  assert.deepEqual(kinds(cols), { i: 'int', big: 'number', f: 'number', nan: 'number', b: 'bool', s: 'string', d: 'date', mixed: 'string', empty: 'string' });
  const get = (name: string): unknown[] => columnToArray(cols.find((c) => c.name === name) as Column);
  assert.deepEqual(get('mixed'), ['1', 'two', 'true', '1970-01-01T00:00:00.000Z']);
  assert.deepEqual(get('d'), [0, 86_400_000, null, null]); // an invalid Date is a null
  assert.deepEqual(get('empty'), [null, null, null, null]);
  assert.deepEqual(get('s'), ['a', 'b', 'a', 'c']);
  const s = cols.find((c) => c.name === 's');
  assert.ok(s?.kind === 'string');
  assert.deepEqual(s.dictionary, ['a', 'b', 'c']);
});

test('valid is present only when a null exists', () => {
  const [a, b] = columnsFromObject({ a: [1, 2], b: [1, null] }) as [Column, Column];
  assert.ok(a.kind === 'int' && a.valid === undefined);
  assert.ok(b.kind === 'int' && b.valid !== undefined);
  assert.deepEqual([...b.valid], [1, 0]);
});

test('ISO dates stay strings unless parseDates is asked for', () => {
  const obj = { date: ['2023-01-01', '2023-01-02', null], ts: ['2024-02-29T12:00:00Z', '2024-03-01T00:00:00+01:00', '2024-03-01 10:30'] };
  assert.deepEqual(kinds(columnsFromObject(obj)), { date: 'string', ts: 'string' });
  const parsed = columnsFromObject(obj, { parseDates: true });
  assert.deepEqual(kinds(parsed), { date: 'date', ts: 'date' });
  assert.deepEqual(columnToArray(parsed[0] as Column), [Date.UTC(2023, 0, 1), Date.UTC(2023, 0, 2), null]);
  assert.deepEqual(columnToArray(parsed[1] as Column), [Date.UTC(2024, 1, 29, 12), Date.UTC(2024, 1, 29, 23), Date.UTC(2024, 2, 1, 10, 30)]);
  // Not all dates → stays string.
  assert.equal(columnsFromObject({ d: ['2023-01-01', 'soon'] }, { parseDates: true })[0]?.kind, 'string');
  assert.equal(parseIsoDate('2023-02-29'), undefined);
  assert.equal(parseIsoDate('2023-13-01'), undefined);
  assert.equal(parseIsoDate('2023-01-01T24:00'), undefined);
});

test('forced kinds convert or fail naming the row', () => {
  const cols = columnsFromObject({ p: [1, 2, 3], s: [1, 2, null], d: ['2023-01-01', null, 0] }, { kinds: { p: 'number', s: 'string', d: 'date' } });
  assert.deepEqual(kinds(cols), { p: 'number', s: 'string', d: 'date' });
  assert.deepEqual(columnToArray(cols[1] as Column), ['1', '2', null]);
  assert.throws(
    () => columnsFromObject({ u: [1, 2.5] }, { kinds: { u: 'int' } }),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.row === 1 && /row 2/.test(e.message),
  );
});

test('nested values, bad names and ragged columns are DATASET_SCHEMA', () => {
  const schema = (fn: () => unknown): void => assert.throws(fn, (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA'));
  schema(() => columnsFromObject({ a: [1, { x: 1 }] }));
  schema(() => columnsFromObject({ a: [[1]] }));
  schema(() => columnsFromObject({ a: [1, 2], b: [1] }));
  schema(() => columnsFromObject({ a: 'nope' } as never));
  schema(() => columnsFromObject({ 'a\nb': [1] }));
  schema(() => columnsFromObject({ '': [1] }));
  schema(() => columnsFromRows([{ ['__proto__']: 1 }].map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>)));
  schema(() => columnsFromRows(JSON.parse('[{"__proto__": 1}]') as Record<string, unknown>[]));
  assert.throws(
    () => columnsFromObject({ ['x'.repeat(257)]: [1] }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'nameChars',
  );
  assert.throws(
    () => columnsFromObject({}),
    (e: unknown) => isDatasetError(e, 'DATASET_EMPTY'),
  );
});

test('rows: union of keys in first-seen order, missing keys are null, own keys only', () => {
  const cols = columnsFromRows([{ a: 1, b: 'x' }, { b: 'y', c: true }, { a: 3 }]);
  assert.deepEqual(
    cols.map((c) => c.name),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(cols.map(columnToArray), [
    [1, null, 3],
    ['x', 'y', null],
    [null, true, null],
  ]);
  // `constructor` is absent from the rows: a null, not Object.
  const [, ctor] = columnsFromRows([{ a: 1 }, { a: 2, constructor: 'c' }]) as [Column, Column];
  assert.deepEqual(columnToArray(ctor), [null, 'c']);
  assert.throws(
    () => columnsFromRows([{ a: 1 }, 5 as never]),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.row === 1,
  );
  assert.throws(
    () => columnsFromRows([]),
    (e: unknown) => isDatasetError(e, 'DATASET_EMPTY'),
  );
});

test('row and column caps', () => {
  assert.throws(
    () => columnsFromObject({ a: [1, 2, 3] }, { limits: { maxRows: 2 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'rows',
  );
  assert.throws(
    () => columnsFromRows([{ a: 1, b: 2, c: 3 }], { limits: { maxColumns: 2 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'columns',
  );
});
