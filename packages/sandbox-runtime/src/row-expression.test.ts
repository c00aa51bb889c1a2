import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Column } from '@plotbox/sandbox-protocol';
import { arithmeticRows, parseRowArithmetic } from './row-expression.ts';
import { createGlobals } from './create-globals.ts';
import type { RowFunction } from './px-source.ts';
import { seededRandom } from './seeded-random.ts';

function columns(n: number): Column[] {
  const r = seededRandom(7);
  const price = new Float64Array(n);
  const cost = new Float64Array(n);
  const costValid = new Uint8Array(n);
  const units = new Int32Array(n);
  const qty = new Int32Array(n);
  const qtyValid = new Uint8Array(n);
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    price[i] = r() < 0.02 ? [0, -0, NaN, Infinity, -Infinity][i % 5]! : (r() - 0.3) * 1000;
    cost[i] = r() * 50;
    costValid[i] = r() < 0.1 ? 0 : 1;
    units[i] = Math.floor(r() * 200) - 20;
    qty[i] = Math.floor(r() * 9);
    qtyValid[i] = r() < 0.2 ? 0 : 1;
    codes[i] = i % 3;
  }
  return [
    { name: 'price', kind: 'number', values: price },
    { name: 'cost', kind: 'number', values: cost, valid: costValid },
    { name: 'units', kind: 'int', values: units },
    { name: 'qty', kind: 'int', values: qty, valid: qtyValid },
    { name: 'region', kind: 'string', codes, dictionary: ['N', 'S', 'E'] },
  ];
}

/** What calling `f` on every row gives (nulls as `data` holds them). */
function rowByRow(f: (d: Row) => unknown, cols: readonly Column[], n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const d: Record<string, unknown> = {};
    for (const c of cols) {
      if (c.kind === 'string') d[c.name] = c.dictionary[c.codes[i]!];
      else if (c.kind === 'number' || c.kind === 'int') d[c.name] = c.valid !== undefined && c.valid[i] === 0 ? null : c.values[i];
    }
    out.push(f(d as unknown as Row));
  }
  return out;
}

/** The test dataset's row as analyst code sees it (numbers may be null at run time: that is under test). */
interface Row {
  readonly units: number;
  readonly price: number;
  readonly cost: number;
  readonly qty: number;
  readonly region: string;
  readonly missing: number;
}

/** A function of the test's {@link Row} as px takes it. */
const rowFunction = (f: (d: Row, i: number) => unknown): RowFunction => f as unknown as RowFunction;

const SAME_AS_ROW_BY_ROW: ((d: Row) => unknown)[] = [
  (d) => d.units * d.price,
  (d) => d.price - d.cost,
  (d) => (d.price - d.cost) / d.price,
  (d) => d.qty * d.cost + 1.5,
  (d) => -d.qty,
  (d) => +d.cost,
  (d) => -(d.units % 7) * 2e-3,
  (d) => d.units / 0,
  (d) => (100 * (d.price - d.cost)) / (d.units + d.qty),
  (d) => d.cost * d.cost - d.qty - -d.units,
  (d) => {
    return d.price * 2;
  },
  (_d) => 3 - 4,
];

test('arithmetic row functions give exactly the numbers of running them row by row (nulls, NaN, ±0, infinities)', () => {
  const n = 5000;
  const cols = columns(n);
  const raw = (name: string) => cols.find((c) => c.name === name);
  for (const f of SAME_AS_ROW_BY_ROW) {
    const fast = arithmeticRows(f, raw, n);
    assert.ok(fast instanceof Float64Array, `${String(f)} runs a column at a time`);
    const expected = rowByRow(f, cols, n);
    for (let i = 0; i < n; i++) assert.ok(Object.is(fast[i], expected[i]), `${String(f)} row ${i}: ${fast[i]} vs ${String(expected[i])}`);
  }
});

test('a column read as is (`+d.price`) comes back as a new array: the bound one is never handed out', () => {
  const n = 100;
  const cols = columns(n);
  const raw = (name: string) => cols.find((c) => c.name === name);
  const price = raw('price');
  assert.ok(price !== undefined && price.kind === 'number' && price.valid === undefined, 'the fixture has a number column without nulls');
  const before = price.values.slice();
  const out = arithmeticRows(
    rowFunction((d) => +d.price),
    raw,
    n,
  );
  assert.ok(out instanceof Float64Array);
  assert.notEqual(out, price.values);
  out.fill(7);
  assert.deepEqual(price.values, before, 'writing into the result leaves the column as it was');
});

test('anything but arithmetic over numeric columns is left to run row by row', () => {
  const n = 10;
  const cols = columns(n);
  const raw = (name: string) => cols.find((c) => c.name === name);
  const scale = 2;
  const others: unknown[] = [
    (d: Row) => d.price,
    (d: Row) => d.region + 1,
    (d: Row) => d.missing * 2,
    (d: Row) => d.price * scale,
    (d: Row, i: number) => d.price * i,
    (d: Row) => Math.abs(d.price),
    (d: Row) => d.price ** 2,
    (d: Row) => d?.price * 2,
    (d: Row) => d['price'] * 2,
    (d: Row) => d.price /* a comment */ * 2,
    (d: Row) => (d.price > 0 ? d.price : 0),
    function (d: Row) {
      return d.price * 2;
    },
    async (d: Row) => d.price * 2,
    ((d: Row) => d.price * 2).bind(null),
    Object.assign((d: Row) => d.price, { toString: () => '(d) => d.price * 2' }),
    'price',
    undefined,
  ];
  for (const f of others) assert.equal(arithmeticRows(f, raw, n), undefined, String(f));
});

test('the parser reads the expression as JavaScript does and refuses what it does not know', () => {
  assert.deepEqual(parseRowArithmetic('d => d.a - d.b * 2'), {
    kind: 'binary',
    op: '-',
    left: { kind: 'column', name: 'a' },
    right: { kind: 'binary', op: '*', left: { kind: 'column', name: 'b' }, right: { kind: 'number', value: 2 } },
  });
  assert.deepEqual(parseRowArithmetic('(row) => (row.a - row.b) / .5e1'), {
    kind: 'binary',
    op: '/',
    left: { kind: 'binary', op: '-', left: { kind: 'column', name: 'a' }, right: { kind: 'column', name: 'b' } },
    right: { kind: 'number', value: 5 },
  });
  for (const source of [
    'd => d.a * 010',
    'd => d.a * 0x10',
    'd => d.a * 1_000',
    'd => d.a.b * 2',
    'd => d.a * 2; d.b',
    'd => e.a * 2',
    'd => d.a ** 2',
    'd => d.a * 2 // x',
    'd => 1.2.3 * d.a',
    '(d, i) => d.a * i',
    'd => `${d.a}`',
  ])
    assert.equal(parseRowArithmetic(source), undefined, source);
});

test('px over the dataset: an arithmetic row function gives the same figure as the same function run row by row', () => {
  const n = 3000;
  const cols = columns(n);
  const g = createGlobals({ rowCount: n, columns: cols });
  // A function that reads `i` runs row by row; the same arithmetic otherwise.
  const columnwise = g.px.line(g.df, { x: 'region', y: rowFunction((d) => d.qty * d.price - d.cost), agg: 'sum' });
  const perRow = g.px.line(g.df, { x: 'region', y: rowFunction((d, i) => d.qty * d.price - d.cost + i * 0), agg: 'sum' });
  assert.deepEqual(JSON.parse(JSON.stringify(columnwise)), JSON.parse(JSON.stringify(perRow)));
});

test('a row function run row by row reads each row’s values from one row object that moves from row to row (docs/code-mode.md)', () => {
  const n = 200;
  const cols = columns(n);
  const g = createGlobals({ rowCount: n, columns: cols });
  const rows: object[] = [];
  const units: unknown[] = [];
  g.px.bar(g.df, {
    x: 'region',
    y: rowFunction((d, i) => {
      rows.push(d);
      units.push(d.units);
      return d.units + i * 0;
    }),
    agg: 'sum',
  });
  // The first call is px's probe of which columns the function reads; then one call per row.
  assert.equal(units.length, n + 1);
  assert.deepEqual(
    units.slice(1),
    rowByRow((d) => d.units, cols, n),
  );
  assert.equal(new Set(rows.slice(1)).size, 1, 'one row object, refreshed per row: keep values, not d');
});
