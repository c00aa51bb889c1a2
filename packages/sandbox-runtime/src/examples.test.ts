import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGlobals } from './create-globals.ts';
import { EXAMPLE_CHARTS } from './examples.ts';
import { createSalesPayload } from './sales-fixture.ts';
import { serializeFigure } from './serialize-figure.ts';

interface Fig {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

function run(name: string, rows = 3000): Fig {
  const example = EXAMPLE_CHARTS.find((e) => e.name === name);
  assert.ok(example, name);
  const g = createGlobals(createSalesPayload(rows));
  const f = new Function('df', 'aq', 'op', 'data', 'px', `let fig;\n${example.code}\nreturn fig;`) as (...args: unknown[]) => unknown;
  const r = serializeFigure(f(g.df, g.aq, g.op, g.data, g.px), 4 * 1024 * 1024);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return JSON.parse(r.json) as Fig;
}

test('the eight baseline charts, in baseline order', () => {
  assert.deepEqual(
    EXAMPLE_CHARTS.map((e) => e.name),
    ['bar_units_by_region', 'line_daily_revenue', 'scatter_price_cost', 'hist_price', 'box_price_by_region', 'corr_heatmap', 'top10_products', 'pivot_region_month'],
  );
  for (const e of EXAMPLE_CHARTS) assert.match(e.code, /fig = px\./);
});

test('each example builds the chart it names', () => {
  const bar = run('bar_units_by_region');
  assert.deepEqual((bar.data[0]?.['x'] as string[]).slice().sort(), ['Central', 'East', 'Islands', 'North', 'Northeast', 'South', 'Southwest', 'West']);
  assert.equal((bar.layout['xaxis'] as Record<string, unknown>)['categoryorder'], 'total descending');
  const line = run('line_daily_revenue');
  const days = line.data[0]?.['x'] as string[];
  assert.ok(days.length > 700 && days.length <= 730 && new Set(days).size === days.length);
  assert.deepEqual(days.slice().sort(), days);
  const scatter = run('scatter_price_cost', 8000);
  assert.equal(
    scatter.data.reduce((n, t) => n + (t['x'] as unknown[]).length, 0),
    5000,
  );
  assert.equal(scatter.data.length, 8);
  assert.deepEqual(run('scatter_price_cost', 8000), scatter, 'the seeded sample is deterministic');
  const hist = run('hist_price');
  assert.equal(
    (hist.data[0]?.['y'] as number[]).reduce((a, b) => a + b, 0),
    3000,
  );
  assert.equal((hist.data[0]?.['x'] as number[]).length, 50);
  const box = run('box_price_by_region');
  assert.equal(box.data[0]?.['type'], 'box');
  assert.equal((box.data[0]?.['median'] as number[]).length, 8);
  const corr = run('corr_heatmap');
  assert.deepEqual(corr.data[0]?.['x'], ['units', 'price', 'cost']);
  assert.equal((corr.data[0]?.['z'] as number[][])[1]?.[1], 1);
  assert.ok(((corr.data[0]?.['z'] as number[][])[1]?.[2] as number) > 0.9, 'price and cost correlate');
  const top = run('top10_products');
  assert.equal((top.data[0]?.['y'] as string[]).length, 10);
  const units = top.data[0]?.['x'] as number[];
  assert.deepEqual(
    units.slice().sort((a, b) => b - a),
    units,
  );
  const pivot = run('pivot_region_month');
  assert.equal((pivot.data[0]?.['x'] as string[]).length, 24);
  assert.equal((pivot.data[0]?.['y'] as string[]).length, 8);
});

test('pivot_region_month matches a hand-written loop over data', () => {
  const g = createGlobals(createSalesPayload(3000));
  const { date, region, units, price } = g.data as Record<string, readonly (string | number)[]>;
  const sums = new Map<string, number>();
  for (let i = 0; i < (date?.length ?? 0); i++) {
    const key = `${String(region?.[i])}|${String(date?.[i]).slice(0, 7)}`;
    sums.set(key, (sums.get(key) ?? 0) + (units?.[i] as number) * (price?.[i] as number));
  }
  const pivot = run('pivot_region_month');
  const t = pivot.data[0] as { x: string[]; y: string[]; z: number[][] };
  t.y.forEach((r, yi) => t.x.forEach((m, xi) => assert.ok(Math.abs((t.z[yi]?.[xi] as number) - (sums.get(`${r}|${m}`) as number)) < 1e-6)));
});
