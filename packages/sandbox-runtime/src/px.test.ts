import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { px, DEFAULT_PALETTE } from './px.ts';
import { boxStats, boxSummary, countBins, makeBins, pearson, quantileSorted } from './stats.ts';

type Trace = Record<string, unknown>;
const trace = (fig: { data: Trace[] }, i = 0): Trace => fig.data[i] as Trace;

const sales = aq.table({
  region: ['N', 'S', 'N', 'E', 'S', 'N', null],
  units: [1, 2, 3, 4, 5, 6, 7],
  price: [10, 20, null, 40, 50, 60, 70],
});

test('bar: agg sums per category, in order of first appearance; axis titles from labels', () => {
  const fig = px.bar(sales, { x: 'region', y: 'units', agg: 'sum', labels: { units: 'Units sold' }, title: 'T' });
  assert.deepEqual(trace(fig)['x'], ['N', 'S', 'E', null]);
  assert.deepEqual(trace(fig)['y'], [10, 7, 4, 7]);
  assert.equal(trace(fig)['type'], 'bar');
  assert.deepEqual(fig.layout['title'], { text: 'T' });
  assert.deepEqual(fig.layout['xaxis'], { title: { text: 'region' } });
  assert.deepEqual(fig.layout['yaxis'], { title: { text: 'Units sold' } });
  assert.equal(fig.layout['barmode'], 'relative');
});

test('bar: categories alone are counted; mean skips nulls', () => {
  assert.deepEqual(trace(px.bar(sales, { x: 'region' }))['y'], [3, 2, 1, 1]);
  assert.deepEqual(trace(px.bar(sales, { x: 'region', y: 'price', agg: 'mean' }))['y'], [35, 35, 40, 70]);
});

test('bar: color splits into one trace per group with palette colours; horizontal bars and sort', () => {
  const fig = px.bar(sales, { x: 'units', y: 'region', color: 'region', orientation: 'h', sort: 'descending' });
  assert.deepEqual(
    fig.data.map((t) => t['name']),
    ['N', 'S', 'E', '(null)'],
  );
  assert.deepEqual(
    fig.data.map((t) => (t['marker'] as { color: string }).color),
    DEFAULT_PALETTE.slice(0, 4),
  );
  assert.deepEqual(trace(fig)['x'], [1, 3, 6]);
  assert.equal(trace(fig)['orientation'], 'h');
  assert.equal((fig.layout['yaxis'] as Record<string, unknown>)['categoryorder'], 'total ascending');
  assert.deepEqual(fig.layout['legend'], { title: { text: 'region' } });
});

test('line sorts each trace by x; area stacks; scatter keeps rows', () => {
  const t = { x: [3, 1, 2, 1], y: [30, 10, 20, 11], g: ['a', 'a', 'a', 'b'] };
  const line = px.line(t, { x: 'x', y: 'y', color: 'g' });
  assert.deepEqual(trace(line)['x'], [1, 2, 3]);
  assert.deepEqual(trace(line)['y'], [10, 20, 30]);
  assert.deepEqual(trace(line, 1)['y'], [11]);
  assert.equal(trace(line)['mode'], 'lines');
  assert.equal(trace(px.area(t, { x: 'x', y: 'y' }))['stackgroup'], 'one');
  const scatter = px.scatter(t, { x: 'x', y: 'y', opacity: 0.5 });
  assert.deepEqual(trace(scatter)['x'], [3, 1, 2, 1]);
  assert.deepEqual(trace(scatter)['marker'], { color: DEFAULT_PALETTE[0], opacity: 0.5 });
});

test('px accepts arrays of rows, objects of arrays, filtered and ordered tables', () => {
  const rows = [
    { k: 'a', v: 1 },
    { k: 'b', v: 2 },
    { k: 'a', v: 3 },
  ];
  assert.deepEqual(trace(px.bar(rows, { x: 'k', y: 'v', agg: 'sum' }))['y'], [4, 2]);
  const filtered = sales.filter((d: { units: number }) => d.units > 4).orderby(aq.desc('units'));
  assert.deepEqual(trace(px.scatter(filtered, { x: 'units', y: 'price' }))['x'], [7, 6, 5]);
  assert.deepEqual(trace(px.scatter(null, { x: [1, 2], y: [3, 4] }))['y'], [3, 4]);
});

test('helpful errors: unknown options and columns', () => {
  assert.throws(() => px.bar(sales, { x: 'region', colour: 'region' } as never), /unknown option "colour"/);
  assert.throws(() => px.bar(sales, { x: 'nope', y: 'units' }), /no column named "nope" \(columns: "region", "units", "price"\)/);
  assert.throws(() => px.histogram(sales, { x: 'units', nbins: 0 }), /nbins/);
  assert.throws(() => px.bar(sales, { x: 'region', y: 'units', agg: 'avg' as never }), /agg must be one of/);
  assert.throws(() => px.histogram(sales, { x: 'region' }), /px.histogram: x: column "region" holds text, not numbers/);
  assert.throws(() => px.box(sales, { x: 'region', y: 'region' }), /px.box: y: column "region" holds text, not numbers/);
  assert.throws(() => px.bar(sales, { x: 'region', y: (d) => d['region'], agg: 'sum' }), /px.bar: y: the values hold text, not numbers/);
  assert.throws(() => px.scatter(sales, { x: 'units', y: 'price', opacity: 2 }), /px.scatter: opacity must be a number from 0 to 1/);
  assert.throws(() => px.pie(sales, { names: 'region', hole: 1 }), /px.pie: hole must be a number from 0 to 0.99/);
});

test('quantiles and box statistics on known sets', () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  const a = boxStats(Float64Array.of(9, 1, 8, 2, 7, 3, 6, 4, 5));
  assert.deepEqual({ ...a, outliers: a?.outliers }, { count: 9, q1: 3, median: 5, q3: 7, lowerfence: 1, upperfence: 9, mean: 5, outliers: [] });
  const b = boxStats(Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 100));
  assert.deepEqual(b, { count: 10, q1: 3.25, median: 5.5, q3: 7.75, lowerfence: 1, upperfence: 9, mean: 14.5, outliers: [100] });
  assert.equal(boxStats(new Float64Array(0)), null);
});

test('box: one precomputed box per category, never the raw values; outliers as points', () => {
  const t = { g: ['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'a', 'a', 'a', 'a', 'a'], v: [1, 2, 3, 4, 5, 10, 20, null, 6, 7, 8, 9, 100] };
  const fig = px.box(t, { x: 'g', y: 'v' });
  const box = trace(fig);
  assert.equal(box['type'], 'box');
  assert.deepEqual(box['x'], ['a', 'b']);
  assert.deepEqual(box['q1'], [3.25, 12.5]);
  assert.deepEqual(box['median'], [5.5, 15]);
  assert.deepEqual(box['q3'], [7.75, 17.5]);
  assert.deepEqual(box['lowerfence'], [1, 10]);
  assert.deepEqual(box['upperfence'], [9, 20]);
  assert.deepEqual(box['mean'], [14.5, 15]);
  assert.equal(box['y'], undefined);
  const points = trace(fig, 1);
  assert.deepEqual([points['x'], points['y']], [['a'], [100]]);
  assert.equal(px.box(t, { x: 'g', y: 'v', points: false }).data.length, 1);
});

test('histogram: edges over [min, max], the maximum in the last bin, counts as a bar trace', () => {
  const fig = px.histogram({ v: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, null, 'x'] }, { x: 'v', nbins: 5 });
  const bar = trace(fig);
  assert.equal(bar['type'], 'bar');
  assert.deepEqual(bar['x'], [1, 3, 5, 7, 9]);
  assert.deepEqual(bar['y'], [2, 2, 2, 2, 3]);
  assert.equal(bar['width'], 2);
  assert.deepEqual(bar['hovertext'], ['[0, 2)', '[2, 4)', '[4, 6)', '[6, 8)', '[8, 10]']);
  assert.deepEqual(fig.layout['yaxis'], { title: { text: 'count' } });
  const pct = trace(px.histogram({ v: [0, 1, 2, 3] }, { x: 'v', nbins: 2, histnorm: 'percent' }));
  assert.deepEqual(pct['y'], [50, 50]);
  const density = trace(px.histogram({ v: [0, 1, 2, 3] }, { x: 'v', nbins: 2, histnorm: 'probability density' }));
  assert.deepEqual(density['y'], [1 / 3, 1 / 3]);
});

test('histogram bins agree with their edges under floating point', () => {
  const values = Array.from({ length: 101 }, (_, i) => i / 10);
  const bins = makeBins(values, 7);
  assert.ok(bins);
  const counts = countBins(values, bins);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    101,
  );
  const expected = new Array<number>(7).fill(0);
  for (const v of values) {
    const i = bins.edges.findIndex((e, k) => k < 7 && v >= e && (v < (bins.edges[k + 1] as number) || k === 6));
    expected[i] = (expected[i] as number) + 1;
  }
  assert.deepEqual(counts, expected);
  assert.deepEqual(trace(px.histogram({ v: [5, 5] }, { x: 'v' }))['y'], [2]);
});

test('histogram with color: shared edges, one trace per group', () => {
  const fig = px.histogram({ v: [0, 1, 2, 3], g: ['a', 'b', 'a', 'a'] }, { x: 'v', color: 'g', nbins: 3 });
  assert.deepEqual(
    fig.data.map((t) => t['y']),
    [
      [1, 0, 2],
      [0, 1, 0],
    ],
  );
  assert.deepEqual(trace(fig)['x'], trace(fig, 1)['x']);
});

test('heatmap from long data: sum, mean and count per cell, sorted axes, null for empty cells', () => {
  const t = { m: ['2024-02', '2024-01', '2024-01', '2024-02', '2024-01'], r: ['S', 'N', 'N', 'N', 'S'], v: [1, 2, 3, 4, 5] };
  const sum = trace(px.heatmap(t, { x: 'm', y: 'r', z: 'v' }));
  assert.deepEqual(sum['x'], ['2024-01', '2024-02']);
  assert.deepEqual(sum['y'], ['N', 'S']);
  assert.deepEqual(sum['z'], [
    [5, 4],
    [5, 1],
  ]);
  assert.deepEqual(trace(px.heatmap(t, { x: 'm', y: 'r', z: 'v', agg: 'mean' }))['z'], [
    [2.5, 4],
    [5, 1],
  ]);
  assert.deepEqual(trace(px.heatmap(t, { x: 'm', y: 'r' }))['z'], [
    [2, 1],
    [1, 1],
  ]);
  const sparse = trace(px.heatmap({ a: ['x', 'y'], b: ['p', 'q'] }, { x: 'a', y: 'b' }));
  assert.deepEqual(sparse['z'], [
    [1, null],
    [null, 1],
  ]);
});

test('heatmap from a matrix, and px.corr', () => {
  const t = aq.table({ a: [1, 2, 3, 4], b: [2, 4, 6, 8], c: [4, 3, 2, 1], s: ['w', 'x', 'y', 'z'] });
  const m = px.corr(t, ['a', 'b', 'c']);
  assert.deepEqual(m, {
    z: [
      [1, 1, -1],
      [1, 1, -1],
      [-1, -1, 1],
    ],
    x: ['a', 'b', 'c'],
    y: ['a', 'b', 'c'],
  });
  assert.deepEqual(px.corr(t).x, ['a', 'b', 'c']);
  const fig = px.heatmap(m, { zmin: -1, zmax: 1, colorscale: 'RdBu', text: true, title: 'Correlation' });
  assert.deepEqual(trace(fig), { type: 'heatmap', z: m.z, x: m.x, y: m.y, zmin: -1, zmax: 1, colorscale: 'RdBu', texttemplate: '%{z:.2f}', hoverongaps: false });
  assert.throws(() => px.heatmap(m, { x: 'a' }), /long data/);
});

test('pie sums values per name (or counts rows)', () => {
  const t = { k: ['a', 'b', 'a'], v: [1, 2, 3] };
  const p = trace(px.pie(t, { names: 'k', values: 'v', hole: 0.4 }));
  assert.deepEqual([p['type'], p['labels'], p['values'], p['hole']], ['pie', ['a', 'b'], [4, 2], 0.4]);
  assert.deepEqual(trace(px.pie(t, { names: 'k' }))['values'], [2, 1]);
});

test('px.figure wraps raw traces', () => {
  const fig = px.figure([{ type: 'bar', x: [1], y: [2] }], { title: { text: 'raw' } });
  assert.deepEqual(fig, { data: [{ type: 'bar', x: [1], y: [2] }], layout: { title: { text: 'raw' } } });
  assert.throws(() => px.figure('nope' as never), /array of trace objects/);
});

test('row functions: numbers, then other values, then nulls are all kept in row order; d offers only the columns', () => {
  const t = aq.table({ k: ['a', 'b', 'c', 'd'], v: [1, 2, 3, 4] });
  // Numbers first (kept in a typed array), then a string and undefined: the rest goes to a plain array.
  const mixed = px.scatter(t, { x: 'k', y: (d) => (d['v'] === 3 ? 'three' : d['v'] === 4 ? undefined : (d['v'] as number) * 1.5) });
  assert.deepEqual(trace(mixed)['y'], [1.5, 3, 'three', null]);
  const numbers = px.scatter(t, { x: 'k', y: (d) => (d['v'] as number) / 2 });
  assert.deepEqual(trace(numbers)['y'], [0.5, 1, 1.5, 2]);
  const seen: unknown[] = [];
  px.scatter(t, {
    x: 'k',
    y: (d) => {
      const proto = Object.getPrototypeOf(d) as object | null;
      seen.push([proto === null ? null : [Object.getPrototypeOf(proto), Reflect.ownKeys(proto).length], 'toString' in d, 'constructor' in d, Object.keys(d).join(',')]);
      return 1;
    },
  });
  // The first call probes which columns the function reads (a null-prototype object); the rest
  // get the row object, whose prototype is empty and has no prototype of its own.
  assert.deepEqual(seen[0], [null, false, false, 'k,v']);
  for (const s of seen.slice(1)) assert.deepEqual(s, [[null, 0], false, false, 'k,v']);
});

test('pearson on typed columns gives the generic result to the last bit (nulls as NaN, infinities skipped)', () => {
  let seed = 7;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let round = 0; round < 20; round++) {
    const n = 1 + Math.floor(rand() * 3000);
    const a = new Float64Array(n);
    const b = new Int32Array(n);
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = rand() < 0.05 ? NaN : rand() < 0.01 ? Infinity : (rand() - 0.5) * 1e6 + 1e9;
      b[i] = Math.floor(rand() * 1000) - 500;
      c[i] = a[i]! * 0.25 + b[i]! * rand();
    }
    for (const [x, y] of [
      [a, b],
      [b, c],
      [a, c],
      [c, c],
    ] as const) {
      // The generic path sees plain arrays; the typed path the typed columns.
      assert.equal(pearson(x, y), pearson(Array.from(x), Array.from(y)), `round ${round}`);
    }
  }
  assert.equal(pearson(new Float64Array([1, NaN]), new Float64Array([2, 3])), null);
  assert.equal(pearson(new Int32Array([1, 1, 1]), new Int32Array([1, 2, 3])), null);
});

test('boxSummary (selection) gives what boxStats (sorting) gives, as figures carry it (JSON: -0 is 0), mean aside', () => {
  let seed = 11;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const sets: Float64Array[] = [Float64Array.of(1), Float64Array.of(2, 1), Float64Array.of(3, 3, 3), Float64Array.of(-0, 0, -0, 0, 1)];
  for (let round = 0; round < 60; round++) {
    const n = 1 + Math.floor(rand() * (round < 40 ? 50 : 5000));
    const kind = round % 5;
    sets.push(
      Float64Array.from({ length: n }, (_, i) => (kind === 0 ? rand() * 100 : kind === 1 ? Math.floor(rand() * 4) : kind === 2 ? i : kind === 3 ? n - i : (rand() < 0.1 ? 1e6 : 1) * (rand() - 0.5))),
    );
  }
  for (const set of sets) {
    const sorted = boxStats(set.slice(), 40);
    const selected = boxSummary(set.slice(), 40);
    assert.ok(sorted !== null && selected !== null);
    const { mean: m1, ...a } = sorted;
    const { mean: m2, ...b } = selected;
    assert.equal(JSON.stringify(b), JSON.stringify(a));
    assert.ok(Math.abs(m1 - m2) <= 1e-9 * Math.max(1, Math.abs(m1)));
  }
  assert.equal(boxSummary(new Float64Array(0)), null);
  assert.deepEqual(boxSummary(Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 100)), { count: 10, q1: 3.25, median: 5.5, q3: 7.75, lowerfence: 1, upperfence: 9, mean: 14.5, outliers: [100] });
});
