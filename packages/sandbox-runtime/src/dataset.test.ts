import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Column } from '@plotbox/sandbox-protocol';
import { createGlobals } from './create-globals.ts';
import { datasetOf } from './dataset.ts';
import { createSalesPayload } from './sales-fixture.ts';
import type { DatasetPayload } from './columns.ts';

/** A payload with nulls (valid), a duplicated dictionary entry, out-of-range codes, dates, bools and NaN. */
function awkwardPayload(rows: number): DatasetPayload {
  const codes = new Int32Array(rows);
  const num = new Float64Array(rows);
  const numValid = new Uint8Array(rows);
  const ints = new Int32Array(rows);
  const intValid = new Uint8Array(rows);
  const dates = new Float64Array(rows);
  const dateValid = new Uint8Array(rows);
  const bools = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    codes[i] = i % 11 === 0 ? -1 : i % 13 === 0 ? 99 : (i * 7) % 5;
    num[i] = i % 17 === 0 ? NaN : ((i * 7919) % 1000) / 7 - 40;
    numValid[i] = i % 9 === 0 ? 0 : 1;
    ints[i] = ((i * 31) % 23) - 5;
    intValid[i] = i % 10 === 3 ? 0 : 1;
    dates[i] = Date.UTC(2024, 0, 1) + ((i * 13) % 60) * 86_400_000;
    dateValid[i] = i % 19 === 0 ? 0 : 1;
    bools[i] = i % 3 === 0 ? 1 : 0;
  }
  const columns: Column[] = [
    { name: 'cat', kind: 'string', dictionary: ['a', 'b', 'a', 'c', 'd'], codes },
    { name: 'num', kind: 'number', values: num, valid: numValid },
    { name: 'int', kind: 'int', values: ints, valid: intValid },
    { name: 'day', kind: 'date', values: dates, valid: dateValid },
    { name: 'flag', kind: 'bool', values: bools },
  ];
  return { rowCount: rows, columns };
}

const CHARTS: readonly string[] = [
  `px.bar(T, { x: 'cat', y: 'num', agg: 'sum' })`,
  `px.bar(T, { x: 'cat', y: 'int', agg: 'mean', color: 'flag' })`,
  `px.bar(T, { x: 'cat' })`,
  `px.bar(T, { y: 'cat', x: 'num', agg: 'max', orientation: 'h' })`,
  `px.line(T, { x: 'day', y: 'num', agg: 'min', color: 'cat' })`,
  `px.line(T, { x: 'day', y: 'int', agg: 'median' })`,
  `px.line(T, { x: 'day', y: 'num', agg: 'first' })`,
  `px.line(T, { x: 'day', y: 'num', agg: 'count' })`,
  `px.line(T, { x: 'day', y: d => d.num * 2 + d.int, agg: 'sum' })`,
  `px.line(T, { x: d => d.day === null ? null : d.day.slice(0, 7), y: 'num', agg: 'last' })`,
  `px.scatter(T, { x: 'num', y: 'int', color: 'cat' })`,
  `px.scatter(T, { x: 'num', y: d => d.int, color: d => d.flag })`,
  `px.area(T, { x: 'day', y: 'num', agg: 'sum', color: 'cat' })`,
  `px.histogram(T, { x: 'num', nbins: 13 })`,
  `px.histogram(T, { x: 'int', color: 'cat', histnorm: 'percent' })`,
  `px.box(T, { x: 'cat', y: 'num' })`,
  `px.box(T, { x: 'cat', y: 'int', color: 'flag' })`,
  `px.box(T, { y: 'num', color: d => d.cat })`,
  `px.pie(T, { names: 'cat', values: 'num' })`,
  `px.pie(T, { names: 'day' })`,
  `px.heatmap(T, { x: 'cat', y: 'day', z: 'num' })`,
  `px.heatmap(T, { x: 'cat', y: 'flag', z: 'int', agg: 'mean' })`,
  `px.heatmap(T, { x: d => d.day === null ? 'none' : d.day.slice(0, 7), y: 'cat', z: d => d.num * d.int })`,
  `px.heatmap(T, { x: 'cat', y: 'flag' })`,
  `px.heatmap(px.corr(T))`,
  `px.heatmap(px.corr(T, ['num', 'int']))`,
  `px.violin(T, { x: 'cat', y: 'num', color: 'flag', box: true })`,
  `px.strip(T, { x: 'cat', y: 'int', color: 'flag', max_points: 300 })`,
  `px.ecdf(T, { x: 'num', color: 'cat' })`,
  `px.funnel(T, { x: 'int', y: 'cat', color: 'flag' })`,
  `px.sunburst(T, { path: ['cat', 'flag'], values: 'int', color: 'num' })`,
  `px.treemap(T, { path: ['cat', 'day'], color: 'cat' })`,
  `px.icicle(T, { path: ['flag', 'cat'] })`,
  `px.scatter_matrix(T, { dimensions: ['num', 'int'], color: 'cat', max_points: 500 })`,
  `px.density_heatmap(T, { x: 'num', y: 'int', z: 'num', histfunc: 'avg', nbinsx: 7, nbinsy: 5 })`,
  `px.density_heatmap(T, { x: 'cat', y: 'flag' })`,
  `px.density_contour(T, { x: 'num', y: 'int', color: 'flag' })`,
  `px.timeline(T, { x_start: 'day', x_end: 'day', y: 'cat', color: 'flag', max_points: 400 })`,
  `px.parallel_coordinates(T, { dimensions: ['num', 'int'], color: 'int', max_points: 700 })`,
  `px.parallel_categories(T, { dimensions: ['cat', 'flag'], color: 'num' })`,
  `px.bar_polar(T, { r: 'int', theta: 'cat', color: 'flag' })`,
  `px.line_polar(T, { r: 'num', theta: 'cat', agg: 'mean' })`,
  `px.scatter_polar(T, { r: 'num', theta: 'int', color: 'cat', max_points: 250 })`,
  `px.scatter(T, { x: 'num', y: 'int', color: 'flag', trendline: 'ols', max_points: 100 })`,
  `px.scatter(T, { x: 'day', y: 'num', trendline: 'lowess', trendline_options: { frac: 0.3 } })`,
  `px.scatter(T, { x: 'num', y: 'int', marginal_x: 'histogram', marginal_y: 'violin', color: 'cat' })`,
  `px.histogram(T, { x: 'num', facet_col: 'cat', facet_row: 'flag', marginal: undefined })`,
  `px.box(T, { x: 'cat', y: 'num', facet_col: 'flag', category_orders: { flag: [true, false], cat: ['d', 'c'] } })`,
  `px.bar(T, { x: 'cat', y: 'num', agg: 'sum', facet_col: d => d.flag, facet_col_wrap: 1 })`,
  `px.pie(T, { names: 'cat', values: 'int', facet_col: 'flag' })`,
];

/** Each chart on `df` (fast path) and on `data` (a plain object of the decoded arrays: generic path). */
function compare(payload: DatasetPayload, rename: Readonly<Record<string, string>> = {}): void {
  const g = createGlobals(payload);
  assert.ok(datasetOf(g.df), 'df is recognised');
  assert.equal(datasetOf(g.df.filter(() => true)), undefined, 'derived tables are not');
  for (const template of CHARTS) {
    const chart = template.replace(/\b(cat|num|int|day|flag)\b/g, (name) => rename[name] ?? name);
    const run = (table: unknown): string => JSON.stringify((new Function('T', 'px', `return ${chart};`) as (t: unknown, p: unknown) => unknown)(table, g.px));
    assert.equal(run(g.df), run(g.data), chart);
  }
}

test('px on df (typed fast paths) gives exactly the figures of the generic path', () => {
  compare(awkwardPayload(2000));
  compare(awkwardPayload(1));
  compare(createSalesPayload(3000), { cat: 'region', num: 'price', int: 'units', day: 'date', flag: 'product' });
});

test('an empty dataset works on both paths', () => {
  const g = createGlobals({
    rowCount: 0,
    columns: [
      { name: 'cat', kind: 'string', dictionary: [], codes: new Int32Array(0) },
      { name: 'num', kind: 'number', values: new Float64Array(0) },
    ],
  });
  const charts = [
    `px.bar(T, { x: 'cat', y: 'num', agg: 'sum' })`,
    `px.box(T, { x: 'cat', y: 'num' })`,
    `px.histogram(T, { x: 'num', facet_col: 'cat' })`,
    `px.violin(T, { x: 'cat', y: 'num', box: true })`,
    `px.strip(T, { x: 'cat', y: 'num' })`,
    `px.ecdf(T, { x: 'num' })`,
    `px.funnel(T, { x: 'num', y: 'cat' })`,
    `px.sunburst(T, { path: ['cat'], values: 'num' })`,
    `px.density_heatmap(T, { x: 'num', y: 'num', marginal_x: 'violin' })`,
    `px.density_contour(T, { x: 'num', y: 'cat' })`,
    `px.scatter(T, { x: 'num', y: 'num', trendline: 'lowess', marginal_y: 'box' })`,
    `px.parallel_categories(T, { dimensions: ['cat'] })`,
    `px.bar_polar(T, { r: 'num', theta: 'cat' })`,
  ];
  for (const chart of charts) {
    const run = (table: unknown): string => JSON.stringify((new Function('T', 'px', `return ${chart};`) as (t: unknown, p: unknown) => unknown)(table, g.px));
    assert.equal(run(g.df), run(g.data), chart);
  }
});

test('sampling the dataset decodes only the sampled rows, with the values data holds', () => {
  const decoded: string[] = [];
  const g = createGlobals(awkwardPayload(500), { onDecode: (name) => decoded.push(name) });
  g.aq.seed(7);
  const sample = g.df.sample(50);
  const sliced = g.df.slice(10, 20).reify();
  assert.deepEqual(decoded, []);
  const indices = sample.columnNames();
  assert.deepEqual(indices, ['cat', 'num', 'int', 'day', 'flag']);
  g.aq.seed(7);
  const objects = sample.objects();
  const expected = g.df.objects();
  assert.equal(objects.length, 50);
  for (const row of objects) assert.ok(expected.some((e) => JSON.stringify(e) === JSON.stringify(row)));
  assert.deepEqual(sliced.objects(), expected.slice(10, 20));
});

test('writes to the row never reach another row; single-column functions are memoised', () => {
  const g = createGlobals(createSalesPayload(400));
  let calls = 0;
  g.px.heatmap(g.df, { x: (d) => (calls++, String(d['date']).slice(0, 7)), y: 'region' });
  assert.ok(calls <= 731 + 1, `called ${calls} times, once per distinct date (+1 probe)`);
  calls = 0;
  g.px.heatmap(g.df, { x: (d) => (calls++, `${String(d['date'])}${String(d['region'])}`), y: 'region' });
  assert.ok(calls >= 400);
  const fig = g.px.line(g.df, {
    x: 'date',
    y: (d) => {
      const units = d['units'];
      (d as Record<string, unknown>)['units'] = 5;
      try {
        (d as Record<string, unknown>)['extra'] = 1;
      } catch {
        /* not extensible */
      }
      return d['extra'] === undefined ? units : -1;
    },
    agg: 'sum',
  });
  const total = (fig.data[0]?.['y'] as number[]).reduce((a, b) => a + b, 0);
  assert.equal(
    total,
    (g.data['units'] as readonly number[]).reduce((a, b) => a + b, 0),
  );
});

test('a sample of the dataset (its columns decoded when read) behaves as arquero’s sample of the same table', () => {
  const g = createGlobals(awkwardPayload(500));
  const plain = g.aq.table(Object.fromEntries(g.df.columnNames().map((name) => [name, Array.from(g.data[name] ?? [])])));
  const verbs: [string, (t: typeof g.df) => unknown][] = [
    ['objects', (t) => t.objects()],
    [
      'filter and orderby',
      (t) =>
        t
          .filter((d: Record<string, number>) => d['num']! > 0)
          .orderby('int')
          .objects(),
    ],
    [
      'groupby and rollup',
      (t) =>
        t
          .groupby('cat')
          .rollup({ n: g.op.count(), s: g.op.sum('num') })
          .objects(),
    ],
    ['sample of the sample', (t) => t.sample(10).objects()],
    [
      'derive and select',
      (t) =>
        t
          .derive({ x: (d: Record<string, number>) => d['int']! * 2 })
          .select('x', 'day')
          .objects(),
    ],
    ['one column', (t) => t.array('flag')],
  ];
  for (const [name, verb] of verbs) {
    g.aq.seed(3);
    const ours = verb(g.df.sample(40));
    g.aq.seed(3);
    assert.deepEqual(ours, verb(plain.sample(40)), name);
  }
});
