import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnToArray } from './column-to-array.ts';
import { isDatasetError } from './dataset-error.ts';
import { parseJsonRows } from './parse-json-rows.ts';

test('an array of rows and an object of columns give the same columns', () => {
  const rows = parseJsonRows('[{"region":"North","units":3,"price":1.5},{"region":"South","units":null,"price":2}]');
  const cols = parseJsonRows(new TextEncoder().encode('{"region":["North","South"],"units":[3,null],"price":[1.5,2]}'));
  assert.deepEqual(rows, cols);
  assert.deepEqual(
    rows.map((c) => [c.name, c.kind, columnToArray(c)]),
    [
      ['region', 'string', ['North', 'South']],
      ['units', 'int', [3, null]],
      ['price', 'number', [1.5, 2]],
    ],
  );
});

test('errors: invalid JSON, wrong shape, nested values name the row and column', () => {
  assert.throws(
    () => parseJsonRows('[{"a":1},'),
    (e: unknown) => isDatasetError(e, 'DATASET_PARSE'),
  );
  assert.throws(
    () => parseJsonRows('  '),
    (e: unknown) => isDatasetError(e, 'DATASET_EMPTY'),
  );
  assert.throws(
    () => parseJsonRows('[]'),
    (e: unknown) => isDatasetError(e, 'DATASET_EMPTY'),
  );
  assert.throws(
    () => parseJsonRows('42'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA'),
  );
  assert.throws(
    () => parseJsonRows('[{"a":1},[1]]'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && /row 2/.test(e.message),
  );
  assert.throws(
    () => parseJsonRows('[{"a":1},{"a":{"b":2}}]'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.column === 'a' && e.row === 1,
  );
  assert.throws(
    () => parseJsonRows('{"a":[1],"b":2}'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.column === 'b',
  );
  assert.throws(
    () => parseJsonRows('[{"a":1},{"a":2},{"a":3}]', { limits: { maxRows: 2 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE'),
  );
});
