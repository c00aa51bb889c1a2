import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Column } from '@plotbox/sandbox-protocol';
import { columnToArray } from './column-to-array.ts';
import { createCsvReader } from './csv-reader.ts';
import { isDatasetError, type DatasetError } from './dataset-error.ts';
import { createJsonReader } from './json-reader.ts';
import { parseCsv } from './parse-csv.ts';
import { parseJsonRows } from './parse-json-rows.ts';

const table = (cols: readonly Column[]): Record<string, [string, unknown[]]> => Object.fromEntries(cols.map((c) => [c.name, [c.kind, columnToArray(c)]]));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Feed `bytes` in pieces of 1..`max` bytes (cutting through UTF-8 sequences and line breaks). */
function pieces(bytes: Uint8Array, seed: number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = seed;
  for (let at = 0; at < bytes.length;) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const n = 1 + (s % max);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** The error a reader throws, and whether it came from `write` (while reading) or from `end`. */
function failure(run: () => void): { error: DatasetError; during: 'write' | 'end' } {
  try {
    run();
  } catch (error) {
    assert.ok(isDatasetError(error), `not a DatasetError: ${String(error)}`);
    return { error, during: (error as { during?: 'write' | 'end' }).during ?? 'end' };
  }
  assert.fail('expected a DatasetError');
}

function feedAll(reader: { write(p: Uint8Array | string): void; end(): unknown }, parts: readonly (Uint8Array | string)[]): { error: DatasetError; during: 'write' | 'end'; written: number } {
  let written = 0;
  let during: 'write' | 'end' = 'write';
  try {
    for (const p of parts) {
      reader.write(p);
      written += typeof p === 'string' ? p.length : p.byteLength;
    }
    during = 'end';
    reader.end();
  } catch (error) {
    assert.ok(isDatasetError(error), `not a DatasetError: ${String(error)}`);
    return { error, during, written };
  }
  return assert.fail('expected a DatasetError');
}

const CSV = '\uFEFFname,qty,price,ok,note\r\n"Smith, J.",3,1.5,true,"said ""hi""\r\nthen left"\r\nLee,,2,FALSE,\r\n\r\nKim,-7,3e2,true,"Zoë ✓"\r\n';

test('CSV in pieces of any size (through UTF-8 sequences, quotes and CRLF) gives the same columns as at once', () => {
  const whole = table(parseCsv(CSV));
  for (let seed = 1; seed <= 40; seed++) {
    const reader = createCsvReader();
    for (const p of pieces(enc(CSV), seed, 1 + (seed % 9))) reader.write(p);
    assert.deepEqual(table(reader.end()), whole, `seed ${seed}`);
  }
});

test('CSV line breaks: CR only, and a stray CRLF in an LF file', () => {
  assert.deepEqual(table(parseCsv('a,b\r1,x\r2,y\r')), { a: ['int', [1, 2]], b: ['string', ['x', 'y']] });
  assert.deepEqual(table(parseCsv('a,b\n1,x\r\n2,y\n')), { a: ['int', [1, 2]], b: ['string', ['x', 'y']] });
});

test('CSV limits are enforced while reading, before the input ends', () => {
  // An endless quoted field: refused once it passes the field limit, not at the end of the input.
  const reader = createCsvReader({ limits: { maxFieldChars: 10_000 } });
  const chunk = 'x'.repeat(64 * 1024);
  const parts = ['a,b\n1,"', ...Array.from({ length: 200 }, () => chunk)];
  const field = feedAll(reader, parts);
  assert.equal(field.during, 'write');
  assert.equal(field.error.limit?.name, 'fieldChars');
  assert.ok(field.written < (200 * chunk.length) / 10, `read ${field.written} characters before refusing`);
  assert.equal(field.error.line, 2);

  // Rows: refused at the row past the cap.
  const rows = feedAll(createCsvReader({ limits: { maxRows: 1000 } }), ['n\n', ...Array.from({ length: 100 }, () => '1\n'.repeat(100))]);
  assert.equal(rows.during, 'write');
  assert.equal(rows.error.limit?.name, 'rows');
  assert.equal(rows.error.line, 1002);

  // Decoded size: a long text column stops the reader once its strings pass the budget.
  const big = feedAll(createCsvReader({ limits: { maxDecodedBytes: 1_000_000 } }), [
    's\n',
    ...Array.from({ length: 200 }, (_, i) => Array.from({ length: 100 }, (_, j) => `value-${i}-${j}-${'y'.repeat(40)}`).join('\n') + '\n'),
  ]);
  assert.equal(big.during, 'write');
  assert.equal(big.error.limit?.name, 'decodedBytes');

  // A header that never ends.
  const header = feedAll(
    createCsvReader(),
    Array.from({ length: 40 }, () => 'c'.repeat(64 * 1024)),
  );
  assert.equal(header.during, 'write');
  assert.equal(header.error.code, 'DATASET_TOO_LARGE');
});

test('CSV errors: ragged rows and unclosed quotes name the line; invalid UTF-8 is DATASET_PARSE', () => {
  const { error } = failure(() => parseCsv('a,b\n1,2\n"x\ny",2\n3\n'));
  assert.equal(error.code, 'DATASET_PARSE');
  assert.equal(error.line, 5);
  assert.match(failure(() => parseCsv('a,b\n1,"open\n2,3\n')).error.message, /never closed/);
  assert.match(failure(() => parseCsv(Uint8Array.of(0x61, 0x0a, 0xc3))).error.message, /UTF-8/);
});

test('JSON in pieces of any size gives the same columns as at once, for both shapes', () => {
  const rows = '[{"region":"North","units":3,"price":1.5,"ok":true},{"region":"Zoë ✓","units":null,"price":2,"extra":"late"},{"units":-4,"ok":false}]';
  const cols = '{"region":["North","Zoë ✓",null],"units":[3,null,-4],"price":[1.5,2,null],"ok":[true,null,false],"extra":[null,"late",null]}';
  const expected = {
    region: ['string', ['North', 'Zoë ✓', null]],
    units: ['int', [3, null, -4]],
    price: ['number', [1.5, 2, null]],
    ok: ['bool', [true, null, false]],
    extra: ['string', [null, 'late', null]],
  };
  assert.deepEqual(table(parseJsonRows(rows)), expected);
  assert.deepEqual(table(parseJsonRows(cols)), expected);
  for (let seed = 1; seed <= 30; seed++) {
    for (const text of [rows, cols]) {
      const reader = createJsonReader();
      for (const p of pieces(enc(text), seed, 1 + (seed % 11))) reader.write(p);
      assert.deepEqual(table(reader.end()), expected, `seed ${seed}`);
    }
  }
});

test('JSON typing matches the in-memory rules: mixed kinds become text, all-null is an empty string column', () => {
  assert.deepEqual(table(parseJsonRows('[{"m":1,"n":null},{"m":"a","n":null},{"m":true,"n":null},{"m":2.5,"n":null}]')), {
    m: ['string', ['1', 'a', 'true', '2.5']],
    n: ['string', [null, null, null, null]],
  });
  assert.deepEqual(table(parseJsonRows('[{"b":null},{"b":true}]')), { b: ['bool', [null, true]] });
  assert.deepEqual(table(parseJsonRows('[{"x":1},{"x":4294967296}]')), { x: ['number', [1, 4294967296]] });
  assert.deepEqual(table(parseJsonRows('[{"d":"2023-01-02"}]', { parseDates: true })), { d: ['date', [Date.UTC(2023, 0, 2)]] });
});

test('JSON limits are enforced while reading: nesting at its first bracket, long strings while they arrive, rows, columns, decoded size', () => {
  // A deeply nested bomb costs one bracket.
  const nested = feedAll(createJsonReader(), ['[[[[', ...Array.from({ length: 100 }, () => '['.repeat(64 * 1024))]);
  assert.equal(nested.during, 'write');
  assert.equal(nested.error.code, 'DATASET_SCHEMA');
  assert.equal(nested.written, 0, 'refused within the first piece');
  const inRow = feedAll(createJsonReader(), ['[{"a":[', ...Array.from({ length: 10 }, () => '1,'.repeat(1000))]);
  assert.equal(inRow.error.code, 'DATASET_SCHEMA');
  assert.equal(inRow.error.column, 'a');
  assert.equal(inRow.during, 'write');

  // One endless string: refused once it passes the field limit.
  const long = feedAll(createJsonReader({ limits: { maxFieldChars: 100_000 } }), ['[{"note":"', ...Array.from({ length: 500 }, () => 'z'.repeat(64 * 1024))]);
  assert.equal(long.during, 'write');
  assert.equal(long.error.limit?.name, 'fieldChars');
  assert.ok(long.written < (500 * 64 * 1024) / 10);
  assert.throws(
    () => parseJsonRows(`[{"a":"${'q'.repeat(101)}"}]`, { limits: { maxFieldChars: 100 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'fieldChars' && e.column === 'a' && e.row === 0,
  );
  assert.throws(
    () => parseJsonRows(`{"a":["${'q'.repeat(101)}"]}`, { limits: { maxFieldChars: 100 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'fieldChars',
  );
  // An endless number.
  const num = feedAll(createJsonReader(), ['[{"n":1', ...Array.from({ length: 20 }, () => '1'.repeat(64 * 1024))]);
  assert.equal(num.during, 'write');
  assert.equal(num.error.code, 'DATASET_PARSE');

  // `[{},{},…]`: refused at the row past the cap, long before the end.
  const empties = feedAll(createJsonReader({ limits: { maxRows: 10_000 } }), ['[{}', ...Array.from({ length: 100 }, () => ',{}'.repeat(10_000)), ']']);
  assert.equal(empties.during, 'write');
  assert.equal(empties.error.limit?.name, 'rows');
  assert.throws(
    () => parseJsonRows('[{},{}]'),
    (e: unknown) => isDatasetError(e, 'DATASET_EMPTY'),
  );

  // Columns: refused at the key past the cap.
  const wide = `[{${Array.from({ length: 11 }, (_, i) => `"c${i}":1`).join(',')}}]`;
  assert.throws(
    () => parseJsonRows(wide, { limits: { maxColumns: 10 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'columns',
  );

  // Decoded size.
  const many = `[${Array.from({ length: 5000 }, (_, i) => `{"s":"${i}-${'w'.repeat(100)}"}`).join(',')}]`;
  assert.throws(
    () => parseJsonRows(many, { limits: { maxDecodedBytes: 200_000 } }),
    (e: unknown) => isDatasetError(e, 'DATASET_TOO_LARGE') && e.limit?.name === 'decodedBytes',
  );
});

test('JSON shape errors name the row and column; a key twice in a row is refused', () => {
  assert.throws(
    () => parseJsonRows('[{"a":1,"a":2}]'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.row === 0 && e.column === 'a',
  );
  assert.throws(
    () => parseJsonRows('[{"a":1},5]'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.row === 1,
  );
  assert.throws(
    () => parseJsonRows('{"a":[1,2],"b":[1,2,3]}'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.column === 'b',
  );
  assert.throws(
    () => parseJsonRows('{"a":[1],"a":[2]}'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA'),
  );
  assert.throws(
    () => parseJsonRows('[{"__proto__":1}]'),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA'),
  );
  assert.throws(
    () => parseJsonRows('[{"a":1}] [{"a":2}]'),
    (e: unknown) => isDatasetError(e, 'DATASET_PARSE'),
  );
  assert.throws(
    () => parseJsonRows(Uint8Array.of(0x5b, 0x7b, 0x22, 0xff, 0x22)),
    (e: unknown) => isDatasetError(e, 'DATASET_PARSE'),
  );
});

test('CSV: numeric texts in a column that turns out to be text keep their exact text (random decimals)', () => {
  let seed = 7;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const texts: string[] = ['0.0000001', '1.50', '.5', '5.', '-0', '-0.0', '+1', '1e3', '123456789012345678', '0.1234567890123456'];
  for (let k = 0; k < 20_000; k++) {
    const ip = rnd() < 0.2 ? '0' : String(Math.floor(rnd() * 10 ** Math.floor(rnd() * 12)));
    const digits = Math.floor(rnd() * 9);
    let fraction = '';
    for (let j = 0; j < digits; j++) fraction += String(Math.floor(rnd() * 10));
    texts.push(`${rnd() < 0.3 ? '-' : ''}${ip}${digits === 0 ? '' : `.${fraction}`}`);
  }
  const back = columnToArray(parseCsv(`v\n${texts.join('\n')}\nnot a number\n`)[0] as Column);
  assert.deepEqual(back.slice(0, texts.length), texts);
});

test('the stored size is refused while reading, as soon as the rows read prove it cannot fit', () => {
  const csv = feedAll(createCsvReader({ limits: { maxStoredBytes: 200_000 } }), ['a,b,c\n', ...Array.from({ length: 200 }, () => '1,2,3\n'.repeat(1000))]);
  assert.equal(csv.during, 'write');
  assert.equal(csv.error.limit?.name, 'storedBytes');
  assert.ok(csv.written < (200 * 6000) / 2);
  const json = feedAll(createJsonReader({ limits: { maxStoredBytes: 200_000 } }), ['[{"a":1}', ...Array.from({ length: 200 }, () => ',{"a":1}'.repeat(1000)), ']']);
  assert.equal(json.during, 'write');
  assert.equal(json.error.limit?.name, 'storedBytes');
  // Columns of nulls store nothing: they never trip it.
  const reader = createCsvReader({ limits: { maxStoredBytes: 1000 } });
  reader.write('a,b\n');
  for (let i = 0; i < 100; i++) reader.write(',\n'.repeat(1000));
  assert.equal(columnToArray(reader.end()[0] as Column).length, 100_000);
});
