import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Column } from '@plotbox/sandbox-protocol';
import { columnToArray } from './column-to-array.ts';
import { isDatasetError } from './dataset-error.ts';
import { parseCsv } from './parse-csv.ts';

const table = (cols: Column[]): Record<string, [string, unknown[]]> => Object.fromEntries(cols.map((c) => [c.name, [c.kind, columnToArray(c)]]));

test('header, quotes, CRLF, BOM, empty fields as null, types inferred', () => {
  const csv = '\uFEFFname,qty,price,ok,note\r\n"Smith, J.",3,1.5,true,"said ""hi""\r\nthen left"\r\nLee,,2,FALSE,\r\n\r\nKim,-7,3e2,true,x\r\n';
  assert.deepEqual(table(parseCsv(new TextEncoder().encode(csv))), {
    name: ['string', ['Smith, J.', 'Lee', 'Kim']],
    qty: ['int', [3, null, -7]],
    price: ['number', [1.5, 2, 300]],
    ok: ['bool', [true, false, true]],
    note: ['string', ['said "hi"\r\nthen left', null, 'x']],
  });
});

test('numbers that turn out to be text keep their exact text; leading zeros stay text', () => {
  const cols = parseCsv('a,zip,f\n1.50,02139,1.0\n2,10001,2\nn/a,00501,3\n');
  assert.deepEqual(table(cols), {
    a: ['string', ['1.50', '2', 'n/a']],
    zip: ['string', ['02139', '10001', '00501']],
    f: ['number', [1, 2, 3]],
  });
});

test('ISO dates stay strings unless parseDates; a column of only nulls is an empty string column', () => {
  const csv = 'date,empty\n2023-01-01,\n2023-01-02,\n';
  assert.deepEqual(table(parseCsv(csv)), { date: ['string', ['2023-01-01', '2023-01-02']], empty: ['string', [null, null]] });
  assert.deepEqual(table(parseCsv(csv, { parseDates: true })).date, ['date', [Date.UTC(2023, 0, 1), Date.UTC(2023, 0, 2)]]);
  assert.deepEqual(table(parseCsv(csv, { kinds: { empty: 'number' } })).empty, ['number', [null, null]]);
});

test('other delimiters and null tokens', () => {
  assert.deepEqual(table(parseCsv('a;b\n1;NA\n2;x\n', { delimiter: ';', nullValues: ['', 'NA'] })), { a: ['int', [1, 2]], b: ['string', [null, 'x']] });
});

test('errors name the line', () => {
  assert.throws(
    () => parseCsv('a,b\n1,2\n3\n'),
    (e: unknown) => isDatasetError(e, 'DATASET_PARSE') && e.line === 3 && /line 3/.test(e.message),
  );
  assert.throws(
    () => parseCsv('a,b\n1,"open\n'),
    (e: unknown) => isDatasetError(e, 'DATASET_PARSE'),
  );
  assert.throws(
    () => parseCsv(Uint8Array.of(0x61, 0x0a, 0xff, 0xfe)),
    (e: unknown) => isDatasetError(e, 'DATASET_PARSE') && /UTF-8/.test(e.message),
  );
  assert.throws(
    () => parseCsv(''),
    (e: unknown) => isDatasetError(e, 'DATASET_EMPTY'),
  );
  assert.throws(
    () => parseCsv('a,a\n1,2\n'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA'),
  );
  assert.throws(
    () => parseCsv('a,\n1,2\n'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA'),
  );
});

test('header only gives zero rows', () => {
  const cols = parseCsv('a,b\n');
  assert.deepEqual(
    cols.map((c) => [c.name, c.kind, columnToArray(c).length]),
    [
      ['a', 'string', 0],
      ['b', 'string', 0],
    ],
  );
});

test('caps: rows, columns, field length', () => {
  assert.throws(
    () => parseCsv('a\n1\n2\n3\n', { limits: { maxRows: 2 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'rows' && e.line === 4,
  );
  assert.equal(parseCsv('a\n1\n2\n', { limits: { maxRows: 2 } })[0]?.kind, 'int');
  assert.throws(
    () => parseCsv(`${Array.from({ length: 1001 }, (_, i) => `c${i}`).join(',')}\n`),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'columns',
  );
  assert.equal(parseCsv(`${Array.from({ length: 1000 }, (_, i) => `c${i}`).join(',')}\n`).length, 1000);
  assert.throws(
    () => parseCsv(`a\n${'x'.repeat(101)}\n`, { limits: { maxFieldChars: 100 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'fieldChars',
  );
  assert.throws(
    () => parseCsv(`a\n"${'x'.repeat(101)}"\n`, { limits: { maxFieldChars: 100 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE'),
  );
});
