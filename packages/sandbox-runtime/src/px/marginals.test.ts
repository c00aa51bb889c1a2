import { test } from 'node:test';
import assert from 'node:assert/strict';
import { px } from '../px.ts';
import { boxStats, countBins, makeBins } from '../stats.ts';

type Obj = Record<string, unknown>;
const ax = (fig: { layout: Obj }, key: string): Obj => fig.layout[key] as Obj;
const on = (fig: { data: Obj[] }, xaxis: string): Obj[] => fig.data.filter((t) => (t['xaxis'] ?? 'x') === xaxis);

const n = 300;
const table = {
  price: Array.from({ length: n }, (_, i) => ((i * 37) % 101) + (i % 7) / 10),
  cost: Array.from({ length: n }, (_, i) => ((i * 53) % 97) / 2),
  kind: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'bulk' : 'single')),
};
const rowsOf = (k: string): number[] => table.kind.flatMap((v, i) => (v === k ? [i] : []));

test('marginal_x histogram and marginal_y box: laid out as plotly express, summaries from every row', () => {
  const fig = px.scatter(table, { x: 'price', y: 'cost', color: 'kind', marginal_x: 'histogram', marginal_y: 'box' });
  // Main plot bottom-left at 74% (a histogram / colour groups), marginal y = subplot 2, marginal x = subplot 3.
  assert.deepEqual(ax(fig, 'xaxis')['domain'], [0, Math.round(0.74 * 0.995 * 1e6) / 1e6]);
  assert.deepEqual(ax(fig, 'yaxis')['domain'], [0, Math.round(0.74 * 0.99 * 1e6) / 1e6]);
  assert.equal(ax(fig, 'xaxis3')['matches'], 'x');
  assert.equal(ax(fig, 'yaxis2')['matches'], 'y');
  assert.equal(ax(fig, 'xaxis3')['showticklabels'], false);
  assert.ok(((ax(fig, 'yaxis3')['domain'] as number[])[0] as number) > 0.73);
  assert.ok(((ax(fig, 'xaxis2')['domain'] as number[])[0] as number) > 0.73);
  const hists = on(fig, 'x3');
  assert.deepEqual(
    hists.map((t) => [t['type'], t['name'], t['showlegend']]),
    [
      ['bar', 'bulk', false],
      ['bar', 'single', false],
    ],
  );
  const bins = makeBins(table.price, 30);
  assert.ok(bins);
  assert.deepEqual(hists[0]?.['y'], countBins(table.price, bins, rowsOf('bulk')));
  assert.deepEqual(hists[1]?.['y'], countBins(table.price, bins, rowsOf('single')));
  const boxes = on(fig, 'x2');
  const expected = boxStats(Float64Array.from(rowsOf('bulk'), (i) => table.cost[i] as number));
  assert.ok(expected);
  const bulk = boxes.find((b) => b['name'] === 'bulk') as Obj;
  assert.deepEqual([bulk['q1'], bulk['median'], bulk['q3'], bulk['lowerfence'], bulk['upperfence']], [[expected.q1], [expected.median], [expected.q3], [expected.lowerfence], [expected.upperfence]]);
  assert.deepEqual(bulk['x'], ['bulk']);
  assert.equal(bulk['orientation'], 'v');
  assert.equal(fig.layout['barmode'], 'overlay');
});

test('marginal violin: a closed outline per group, as wide as the Gaussian KDE plotly.js would compute', () => {
  const fig = px.scatter(table, { x: 'price', y: 'cost', marginal_x: 'violin' });
  assert.deepEqual(ax(fig, 'xaxis')['domain'], [0, 1]);
  assert.deepEqual(ax(fig, 'yaxis')['domain'], [0, Math.round(0.84 * 0.99 * 1e6) / 1e6], 'no histogram, no colour: 84%');
  const [violin] = on(fig, 'x2');
  assert.ok(violin);
  assert.equal(violin['fill'], 'toself');
  const xs = violin['x'] as number[];
  const ys = violin['y'] as number[];
  assert.equal(xs[0], xs[xs.length - 1]);
  assert.equal(ys[0], ys[ys.length - 1]);
  // plotly.js: bandwidth = max(1.059 · min(sd, IQR / 1.349) · n^-0.2, span / 100), Gaussian kernel.
  const v = table.price.slice().sort((a, b) => a - b);
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const q = (p: number): number => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return (v[lo] as number) + (h - lo) * ((v[Math.min(lo + 1, n - 1)] as number) - (v[lo] as number));
  };
  const bw = Math.max(1.059 * Math.min(sd, (q(0.75) - q(0.25)) / 1.349) * n ** -0.2, ((v[n - 1] as number) - (v[0] as number)) / 100);
  const density = (t: number): number => v.reduce((a, x) => a + Math.exp(-0.5 * ((t - x) / bw) ** 2), 0) / (n * bw * Math.sqrt(2 * Math.PI));
  const half = (xs.length - 1) >> 1;
  const exact = xs.slice(0, half).map(density);
  const peak = Math.max(...exact);
  // The outline is written with six significant digits: compare to a thousandth of its width.
  exact.forEach((d, i) => assert.ok(Math.abs((ys[i] as number) - (0.45 * d) / peak) < 5e-4, `outline at ${xs[i]}`));
  assert.ok(Math.abs((xs[0] as number) - ((v[0] as number) - 2 * bw)) < 1e-3, 'starts 2 bandwidths below the minimum');
  // Symmetric: the lower half mirrors the upper.
  for (let i = 0; i < half; i++) assert.ok(Math.abs((ys[i] as number) + (ys[xs.length - 2 - i] as number)) < 1e-5);
});

test('marginal rug: one tick per drawn point, at the point', () => {
  const fig = px.scatter(table, { x: 'price', y: 'cost', marginal_y: 'rug', max_points: 100 });
  const [rug] = on(fig, 'x2');
  const [points] = on(fig, 'x');
  assert.deepEqual(rug?.['y'], points?.['y']);
  assert.equal((rug?.['y'] as number[]).length, 100);
  assert.equal((rug?.['marker'] as Obj)['symbol'], 'line-ew-open');
});

test('px.histogram marginal (and its marginal_x spelling) above the bars', () => {
  const a = px.histogram(table, { x: 'price', marginal: 'box' });
  assert.deepEqual(a, px.histogram(table, { x: 'price', marginal_x: 'box' }));
  const [box] = on(a, 'x2');
  const s = boxStats(Float64Array.from(table.price));
  assert.deepEqual(box?.['median'], [s?.median]);
  assert.equal(box?.['orientation'], 'h');
  assert.throws(() => px.histogram(table, { x: 'price', marginal: 'box', marginal_x: 'rug' }), /not both/);
  assert.throws(() => px.histogram(table, { x: 'price', marginal: 'kde' }), /marginal must be one of 'histogram', 'box', 'violin', 'rug'/);
});

test('density heatmap marginals; marginals and facets do not mix', () => {
  const fig = px.density_heatmap(table, { x: 'price', y: 'cost', marginal_x: 'histogram', marginal_y: 'histogram' });
  assert.equal(on(fig, 'x3')[0]?.['type'], 'bar');
  assert.equal(on(fig, 'x2')[0]?.['orientation'], 'h');
  assert.deepEqual(
    (on(fig, 'x2')[0]?.['x'] as number[]).reduce((a, b) => a + b, 0),
    n,
  );
  assert.throws(() => px.scatter(table, { x: 'price', y: 'cost', marginal_x: 'box', facet_col: 'kind' }), /cannot be combined with facets/);
  assert.throws(() => px.scatter(table, { x: 'kind', y: 'cost', marginal_x: 'box' }), /x: column "kind" holds text, not numbers/);
});
