import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Column } from '@plotbox/sandbox-protocol';
import { decodeArrowIPC } from './arrow-ipc.ts';
import { columnToArray } from './column-to-array.ts';
import { buildDataset, datasetFromColumns } from './dataset-from-columns.ts';
import { isDatasetError, type DatasetErrorCode } from './dataset-error.ts';

const int = (name: string, values: number[], valid?: number[]): Column => ({ name, kind: 'int', values: Int32Array.from(values), ...(valid === undefined ? {} : { valid: Uint8Array.from(valid) }) });
const fails = (code: DatasetErrorCode, fn: () => unknown): void => assert.throws(fn, (e: unknown) => isDatasetError(e, code));

test('the sha256 is the hash of the stored bytes, and decoding them gives the same dataset', () => {
  const { dataset, bytes } = buildDataset([int('a', [1, 2, 3]), { name: 's', kind: 'string', dictionary: ['z', 'y'], codes: Int32Array.from([1, -1, 0]) }]);
  assert.equal(dataset.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(dataset.rowCount, 3);
  const back = decodeArrowIPC(bytes);
  assert.equal(back.sha256, dataset.sha256);
  assert.deepEqual(back.columns.map(columnToArray), dataset.columns.map(columnToArray));
  // Columns come back canonical: dictionary in first-use order.
  const s = dataset.columns[1];
  assert.ok(s?.kind === 'string');
  assert.deepEqual(s.dictionary, ['y', 'z']);
  assert.equal(datasetFromColumns([int('a', [1, 2, 3]), { name: 's', kind: 'string', dictionary: ['y', 'z'], codes: Int32Array.from([0, -1, 1]) }]).sha256, dataset.sha256);
});

test('canonical form: all-ones valid dropped, values under nulls ignored', () => {
  const a = datasetFromColumns([int('a', [1, 2], [1, 1])]);
  assert.equal((a.columns[0] as { valid?: unknown }).valid, undefined);
  assert.equal(a.sha256, datasetFromColumns([int('a', [1, 2])]).sha256);
  assert.equal(datasetFromColumns([int('a', [1, 5], [1, 0])]).sha256, datasetFromColumns([int('a', [1, 9], [1, 0])]).sha256);
  assert.notEqual(datasetFromColumns([int('a', [1, 0], [1, 0])]).sha256, datasetFromColumns([int('a', [1, 0])]).sha256);
});

test('validation: columns, names, lengths, codes, dates, caps', () => {
  fails('DATASET_EMPTY', () => datasetFromColumns([]));
  fails('DATASET_SCHEMA', () => datasetFromColumns([int('a', [1]), int('a', [2])]));
  fails('DATASET_SCHEMA', () => datasetFromColumns([int('', [1])]));
  fails('DATASET_SCHEMA', () => datasetFromColumns([int('a\u0007', [1])]));
  fails('DATASET_SCHEMA', () => datasetFromColumns([int('__proto__', [1])]));
  fails('DATASET_TOO_LARGE', () => datasetFromColumns([int('n'.repeat(257), [1])]));
  assert.equal(datasetFromColumns([int('n'.repeat(256), [1])]).rowCount, 1);
  fails('DATASET_SCHEMA', () => datasetFromColumns([int('a', [1, 2]), int('b', [1])]));
  fails('DATASET_SCHEMA', () => datasetFromColumns([{ name: 's', kind: 'string', dictionary: ['x'], codes: Int32Array.from([1]) }]));
  fails('DATASET_SCHEMA', () => datasetFromColumns([{ name: 'n', kind: 'number', values: Int32Array.from([1]) } as unknown as Column]));
  fails('DATASET_SCHEMA', () => datasetFromColumns([{ name: 'd', kind: 'date', values: Float64Array.from([NaN]) }]));
  fails('DATASET_SCHEMA', () => datasetFromColumns([{ name: 'x', kind: 'weird' } as unknown as Column]));
  fails('DATASET_TOO_LARGE', () => datasetFromColumns([int('a', [1, 2, 3])], { limits: { maxRows: 2 } }));
  fails('DATASET_TOO_LARGE', () => datasetFromColumns([int('a', [1]), int('b', [1])], { limits: { maxColumns: 1 } }));
  assert.throws(() => datasetFromColumns([int('a', [1])], { limits: { maxRows: -1 } }), TypeError);
});
