import { test } from 'node:test';
import assert from 'node:assert/strict';
import { px } from '../px.ts';
import { lowess, ols } from './trendline.ts';

type Obj = Record<string, unknown>;
const trends = (fig: { data: Obj[] }): Obj[] => fig.data.filter((t) => t['mode'] === 'lines');

/** Deterministic noise in [-1, 1). */
function noise(i: number): number {
  const s = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return 2 * (s - Math.floor(s)) - 1;
}

test('OLS: slope, intercept and R² from the closed form, the fit shown in the hover, drawn min to max', () => {
  const x = Array.from({ length: 50 }, (_, i) => i / 2);
  const y = x.map((v, i) => 3 - 0.7 * v + noise(i));
  // Closed form from raw sums: a different computation from the runtime's centred two passes.
  const n = x.length;
  const sx = x.reduce((a, b) => a + b, 0);
  const sy = y.reduce((a, b) => a + b, 0);
  const sxy = x.reduce((a, v, i) => a + v * (y[i] as number), 0);
  const sxx = x.reduce((a, v) => a + v * v, 0);
  const syy = y.reduce((a, v) => a + v * v, 0);
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const intercept = (sy - slope * sx) / n;
  const r2 = (n * sxy - sx * sy) ** 2 / ((n * sxx - sx * sx) * (n * syy - sy * sy));
  const fit = ols(x, y);
  assert.ok(fit !== null);
  assert.ok(Math.abs(fit.slope - slope) < 1e-12 && Math.abs(fit.intercept - intercept) < 1e-12 && Math.abs((fit.r2 as number) - r2) < 1e-12);
  const fig = px.scatter({ price: x, cost: y }, { x: 'price', y: 'cost', trendline: 'ols' });
  const [line] = trends(fig);
  assert.ok(line);
  assert.deepEqual(line['x'], [0, 24.5]);
  const ys = line['y'] as number[];
  assert.ok(Math.abs((ys[0] as number) - intercept) < 1e-9 && Math.abs((ys[1] as number) - (intercept + slope * 24.5)) < 1e-9);
  const hover = line['hovertext'] as string;
  assert.match(hover, /<b>OLS trendline<\/b><br>cost = -0\.\d+ \* price \+ 3\.\d+<br>R<sup>2<\/sup>=0\.\d{6}<br>n=50/);
  assert.ok(hover.includes(`R<sup>2</sup>=${r2.toFixed(6)}`));
  assert.ok(hover.includes(String(Number(slope.toPrecision(6)))));
  assert.equal(line['hoverinfo'], 'x+y+text+name');
  assert.equal(fig.data[0]?.['mode'], 'markers', 'the points come first, then their trendline');
});

test('OLS on an exact line; one fit per colour group, in the group colour; an overall fit', () => {
  const t = { x: [0, 1, 2, 3, 0, 1, 2, 3], y: [1, 3, 5, 7, 10, 9, 8, 7], g: ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'] };
  const fig = px.scatter(t, { x: 'x', y: 'y', color: 'g', trendline: 'ols' });
  const [a, b] = trends(fig);
  assert.deepEqual(
    [a?.['y'], b?.['y']],
    [
      [1, 7],
      [10, 7],
    ],
  );
  assert.match(a?.['hovertext'] as string, /y = 2 \* x \+ 1<br>R<sup>2<\/sup>=1\.000000/);
  assert.match(b?.['hovertext'] as string, /y = -1 \* x \+ 10/);
  assert.deepEqual([(a?.['line'] as Obj)['color'], a?.['legendgroup'], a?.['showlegend']], ['#636efa', 'a', false]);
  const overall = trends(px.scatter(t, { x: 'x', y: 'y', color: 'g', trendline: 'ols', trendline_scope: 'overall', trendline_color_override: 'black' }));
  assert.equal(overall.length, 1);
  assert.equal(overall[0]?.['name'], 'Overall Trendline');
  assert.deepEqual((overall[0]?.['line'] as Obj)['color'], 'black');
});

test('OLS with log_x / log_y fits in log10 space and draws the curve', () => {
  const x = [1, 10, 100, 1000];
  const y = x.map((v) => 2 + 3 * Math.log10(v));
  const [line] = trends(px.scatter({ x, y }, { x: 'x', y: 'y', trendline: 'ols', trendline_options: { log_x: true } }));
  assert.match(line?.['hovertext'] as string, /y = 3 \* log10\(x\) \+ 2/);
  const xs = line?.['x'] as number[];
  assert.equal(xs.length, 101);
  assert.ok(Math.abs((xs[50] as number) - Math.sqrt(1000)) < 1e-9, 'geometric spacing');
  const [logy] = trends(px.scatter({ x: [0, 1, 2], y: [1, 10, 100] }, { x: 'x', y: 'y', trendline: 'ols', trendline_options: { log_y: true } }));
  assert.ok(Math.abs(((logy?.['y'] as number[])[100] as number) - 100) < 1e-9);
});

test('trendlines on dates fit on milliseconds and draw ISO dates', () => {
  const t = { day: ['2024-01-01', '2024-01-02', '2024-01-03'], v: [10, 12, 14] };
  const [line] = trends(px.scatter(t, { x: 'day', y: 'v', trendline: 'ols' }));
  assert.deepEqual(line?.['x'], ['2024-01-01', '2024-01-03']);
  assert.deepEqual(line?.['y'], [10, 14]);
  assert.throws(() => px.scatter({ x: ['a', 'b'], y: [1, 2] }, { x: 'x', y: 'y', trendline: 'ols' }), /trendline: x column "x" must hold numbers or dates; row 0 holds "a"/);
});

/**
 * LOWESS as Cleveland (1979) states it, written independently of the runtime: for each point,
 * the k = floor(frac·n) nearest neighbours by distance, tricube weights on distance / (distance
 * of the k-th), a weighted straight-line fit evaluated at the point; then `it` times, bisquare
 * robustness weights on residuals / (6 · median |residual|).
 */
function referenceLowess(x: number[], y: number[], frac: number, it: number): number[] {
  const n = x.length;
  const k = Math.floor(frac * n + 1e-10);
  let robust = new Array<number>(n).fill(1);
  let fit: number[] = [];
  for (let iteration = 0; iteration <= it; iteration++) {
    fit = x.map((xi) => {
      const dist = x.map((xj) => Math.abs(xj - xi));
      const h = dist.slice().sort((a, b) => a - b)[k - 1] as number;
      const w = dist.map((d, j) => (d < h ? (1 - (d / h) ** 3) ** 3 : 0) * (robust[j] as number));
      const sw = w.reduce((a, b) => a + b, 0);
      const mx = w.reduce((a, wj, j) => a + wj * (x[j] as number), 0) / sw;
      const my = w.reduce((a, wj, j) => a + wj * (y[j] as number), 0) / sw;
      const sxy = w.reduce((a, wj, j) => a + wj * ((x[j] as number) - mx) * ((y[j] as number) - my), 0);
      const sxx = w.reduce((a, wj, j) => a + wj * ((x[j] as number) - mx) ** 2, 0);
      return my + (sxy / sxx) * (xi - mx);
    });
    const resid = y.map((v, i) => Math.abs(v - (fit[i] as number)));
    const sorted = resid.slice().sort((a, b) => a - b);
    const median = n % 2 ? (sorted[(n - 1) / 2] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
    robust = resid.map((r) => {
      const u = Math.min(1, r / (6 * median));
      return (1 - u * u) ** 2;
    });
  }
  return fit;
}

test('LOWESS equals an independent implementation of Cleveland’s algorithm (tricube, frac, 3 robust iterations)', () => {
  // Distinct x (no neighbourhood ties), a curved signal, noise and two gross outliers.
  const x = Array.from({ length: 80 }, (_, i) => i * 0.25 + 0.01 * noise(i + 500));
  const y = x.map((v, i) => Math.sin(v / 3) * 10 + noise(i) * 2 + (i === 20 ? 40 : i === 55 ? -35 : 0));
  for (const [frac, it] of [
    [2 / 3, 3],
    [0.3, 3],
    [0.5, 0],
  ] as const) {
    const expected = referenceLowess(x, y, frac, it);
    const { fit, anchors } = lowess(Float64Array.from(x), Float64Array.from(y), frac, it, 0);
    assert.ok(
      anchors.every((a) => a === 1),
      'delta 0 fits every point',
    );
    const worst = Math.max(...expected.map((e, i) => Math.abs(e - (fit[i] as number))));
    assert.ok(worst < 1e-9, `frac ${frac} it ${it}: off by ${worst}`);
  }
  // Robustness: the outliers barely move the robust fit, but do move the plain one.
  const robust = lowess(Float64Array.from(x), Float64Array.from(y), 0.3, 3, 0).fit;
  const plain = lowess(Float64Array.from(x), Float64Array.from(y), 0.3, 0, 0).fit;
  const truth = Math.sin((x[20] as number) / 3) * 10;
  assert.ok(Math.abs((robust[20] as number) - truth) < Math.abs((plain[20] as number) - truth));
});

test('LOWESS through px: fitted at every distinct x, sorted; delta fits fewer points exactly and interpolates the rest', () => {
  const x = Array.from({ length: 60 }, (_, i) => (i * 7) % 60);
  const y = x.map((v, i) => v * 0.5 + noise(i));
  const [line] = trends(px.scatter({ x, y }, { x: 'x', y: 'y', trendline: 'lowess', trendline_options: { frac: 0.4 } }));
  const sortedX = x.slice().sort((a, b) => a - b);
  assert.deepEqual(line?.['x'], sortedX);
  const sortedY = sortedX.map((v) => y[x.indexOf(v)] as number);
  const expected = referenceLowess(sortedX, sortedY, 0.4, 3);
  (line?.['y'] as number[]).forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-9));
  assert.match(line?.['hovertext'] as string, /LOWESS trendline<\/b><br>frac=0\.4, it=3<br>n=60/);
  const withDelta = lowess(Float64Array.from(sortedX), Float64Array.from(sortedY), 0.4, 3, 5);
  const fitted = [...withDelta.anchors].filter((a) => a === 1).length;
  assert.ok(fitted < 20 && fitted > 5, `${fitted} points fitted`);
  // Points fitted directly get the same value as the exact fit at that point would with the
  // same robustness weights; interpolated points lie on the segment between their neighbours.
  for (let i = 1; i < 59; i++) {
    if (withDelta.anchors[i] === 1) continue;
    let lo = i - 1;
    while (withDelta.anchors[lo] !== 1) lo--;
    let hi = i + 1;
    while (withDelta.anchors[hi] !== 1) hi++;
    const t = ((sortedX[i] as number) - (sortedX[lo] as number)) / ((sortedX[hi] as number) - (sortedX[lo] as number));
    const interpolated = (withDelta.fit[lo] as number) + t * ((withDelta.fit[hi] as number) - (withDelta.fit[lo] as number));
    assert.ok(Math.abs((withDelta.fit[i] as number) - interpolated) < 1e-9);
  }
});

test('LOWESS on many rows is fitted on a deterministic sample, and the figure says so', () => {
  const n = 60_000;
  const x = Float64Array.from({ length: n }, (_, i) => (i * 7919) % n);
  const y = Float64Array.from(x, (v, i) => 2 * v + 100 * noise(i));
  const fig = px.scatter({ x, y }, { x: 'x', y: 'y', trendline: 'lowess' });
  const line = trends(fig)[0] as Obj;
  const xs = line['x'] as number[];
  const ys = line['y'] as number[];
  assert.ok(xs.length > 50 && xs.length < 500, `${xs.length} points drawn`);
  xs.forEach((v, i) => assert.ok(Math.abs((ys[i] as number) - 2 * v) < 60, 'the fit follows the line'));
  const sub = ((fig.layout['title'] as Obj)['subtitle'] as Obj)['text'] as string;
  assert.match(sub, /sampled 50,000 of 60,000 points \(max_points\); LOWESS fitted on a sample of 50,000 of 60,000 points/);
  assert.deepEqual(px.scatter({ x, y }, { x: 'x', y: 'y', trendline: 'lowess' }), fig, 'deterministic');
});

test('trendline options are checked', () => {
  const t = { x: [1, 2], y: [1, 2] };
  assert.throws(() => px.scatter(t, { x: 'x', y: 'y', trendline: 'loess' }), /trendline must be one of 'ols', 'lowess'/);
  assert.throws(() => px.scatter(t, { x: 'x', y: 'y', trendline: 'lowess', trendline_options: { frac: 2 } }), /trendline_options: frac must be a number above 0/);
  assert.throws(() => px.scatter(t, { x: 'x', y: 'y', trendline: 'ols', trendline_options: { frac: 0.5 } }), /unknown option "frac" for 'ols'/);
  assert.throws(() => px.scatter(t, { x: 'x', y: 'y', trendline_scope: 'overall' }), /trendline_scope needs trendline/);
  assert.throws(() => px.scatter(t, { x: 'x', y: 'y', trendline: 'ols', agg: 'sum' }), /leave out agg/);
});
