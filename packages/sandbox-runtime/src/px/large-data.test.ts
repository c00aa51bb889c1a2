// At the dataset row limit (1,000,000), every builder's figure fits the default 4 MiB output
// limit: summaries by construction, per-row builders by sampling, which the figure then states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGlobals } from '../create-globals.ts';
import { createSalesPayload } from '../sales-fixture.ts';
import { serializeFigure } from '../serialize-figure.ts';
import { PX_CATALOG } from './catalog.ts';

const LIMIT = 4 * 1024 * 1024;

/** Charts that would draw a mark per row, and must say they sampled. */
const PER_ROW: readonly string[] = [
  "fig = px.scatter(df, { x: 'price', y: 'cost', color: 'region' })",
  "fig = px.scatter(df, { x: 'price', y: 'cost', trendline: 'lowess', marginal_x: 'rug', marginal_y: 'violin' })",
  "fig = px.scatter(df, { x: 'price', y: 'cost', facet_col: 'region', facet_col_wrap: 4, trendline: 'ols' })",
  "fig = px.line(df, { x: 'date', y: 'units' })",
  "fig = px.bar(df, { x: 'product', y: 'units' })",
  "fig = px.strip(df, { x: 'region', y: 'price', color: 'product' })",
  "fig = px.violin(df, { x: 'region', y: 'price', points: 'all', box: true })",
  "fig = px.ecdf(df, { x: 'price', color: 'region', facet_col: d => d.date.slice(0, 4) })",
  "fig = px.scatter_matrix(df, { dimensions: ['units', 'price', 'cost'], color: 'region' })",
  "fig = px.parallel_coordinates(df, { dimensions: ['units', 'price', 'cost'], color: 'cost' })",
  "fig = px.timeline(df, { x_start: 'date', x_end: 'date', y: 'product' })",
  "fig = px.scatter_polar(df, { r: 'price', theta: 'region' })",
  "fig = px.line_polar(df, { r: 'price', theta: 'region' })",
  "fig = px.sunburst(df, { path: ['region', 'product', 'date'], values: 'units' })",
];

/** Charts that summarise, whatever the rows. */
const SUMMARIES: readonly string[] = [
  "fig = px.histogram(df, { x: 'price', color: 'region', facet_row: d => d.units > 10 ? 'bulk' : 'single' })",
  "fig = px.histogram(df, { x: 'price', color: 'region', marginal: 'violin' })",
  "fig = px.box(df, { x: 'product', y: 'price', color: 'region' })",
  "fig = px.violin(df, { x: 'product', y: 'price' })",
  "fig = px.density_heatmap(df, { x: 'price', y: 'cost', nbinsx: 200, nbinsy: 200, marginal_x: 'box', marginal_y: 'histogram' })",
  "fig = px.density_contour(df, { x: 'price', y: 'cost', color: 'region' })",
  "fig = px.funnel(df, { x: 'units', y: 'region', color: 'product' })",
  "fig = px.parallel_categories(df, { dimensions: ['region', 'product'], color: 'units' })",
  "fig = px.bar_polar(df, { r: 'units', theta: 'product', color: 'region' })",
  "fig = px.treemap(df, { path: ['region', 'product'], values: 'units', color: 'price' })",
  'fig = px.imshow(Array.from({ length: 1000 }, (_, r) => Array.from({ length: 1000 }, (_, c) => data.price[r * 1000 + c])))',
];

test('at 1,000,000 rows every builder’s figure stays within the 4 MiB output limit, and says when it sampled', () => {
  const g = createGlobals(createSalesPayload(1_000_000));
  const run = (code: string): { bytes: number; note: string | undefined } => {
    const f = new Function('df', 'aq', 'op', 'data', 'px', `let fig;\n${code}\nreturn fig;`) as (...a: unknown[]) => { layout: { title?: { subtitle?: { text?: string } } } };
    const fig = f(g.df, g.aq, g.op, g.data, g.px);
    const s = serializeFigure(fig, LIMIT);
    assert.ok(s.ok, `${code}: ${s.ok ? '' : s.message}`);
    return { bytes: s.json.length, note: fig.layout.title?.subtitle?.text };
  };
  for (const e of PX_CATALOG) run(e.example);
  for (const code of PER_ROW) {
    const { note } = run(code);
    assert.match(note ?? '', /sampled|thinned|drawn through|folded/, `${code} must say what it left out`);
  }
  for (const code of SUMMARIES) {
    const { bytes, note } = run(code);
    assert.ok(bytes < LIMIT / 2, `${code}: ${bytes} bytes`);
    assert.ok(note === undefined || /averaged/.test(note), `${code}: ${note}`);
  }
});
