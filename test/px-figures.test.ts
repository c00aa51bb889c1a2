// Every px builder, in its option variants, yields a figure the host's figure check accepts:
// trace types and attributes plotly.js knows, layout axes and subplots it recognises, templates
// that pass the markup rules. In-process (createGlobals), on the generated sales data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFigure } from '@plotbox/figure';
import { generateSales } from '@plotbox/datasets';
import { createGlobals, serializeFigure } from '@plotbox/sandbox-runtime';

const VARIANTS: readonly string[] = [
  "px.bar(df, { x: 'region', y: 'units', agg: 'sum', color: 'product', facet_row: d => d.date.slice(0, 4), shared_yaxes: false })",
  "px.bar(df, { y: 'region', x: 'units', orientation: 'h', agg: 'mean', facet_col: 'region', facet_col_wrap: 3, sort: 'ascending' })",
  "px.line(df, { x: 'date', y: 'units', agg: 'sum', color: 'region', line_shape: 'spline', markers: true, facet_col: d => d.date.slice(0, 4) })",
  "px.area(df, { x: 'date', y: 'units', agg: 'sum', color: 'region', stack: false })",
  "px.scatter(df, { x: 'price', y: 'cost', color: 'region', render: 'webgl', trendline: 'ols', trendline_options: { log_x: true, log_y: true } })",
  "px.scatter(df, { x: 'date', y: 'price', trendline: 'lowess', trendline_scope: 'overall', trendline_color_override: 'black', color: 'region', max_points: 2000 })",
  "px.scatter(df, { x: 'price', y: 'cost', marginal_x: 'violin', marginal_y: 'rug', color: 'region' })",
  "px.scatter(df, { x: 'price', y: 'cost', marginal_x: 'box' })",
  "px.scatter(df, { x: 'price', y: 'cost', marginal_y: 'histogram' })",
  "px.histogram(df, { x: 'price', color: 'region', histnorm: 'probability density', marginal: 'rug', barmode: 'overlay', opacity: 0.5 })",
  "px.histogram(df, { x: 'price', facet_row: 'region', facet_row_spacing: 0.01, category_orders: { region: ['West', 'East'] } })",
  "px.box(df, { y: 'region', x: 'price', orientation: 'h', color: d => d.units > 5, facet_col: d => d.date.slice(0, 4) })",
  "px.violin(df, { x: 'region', y: 'price', color: d => d.units > 5 ? 'bulk' : 'single', violinmode: 'overlay', points: false, facet_row: d => d.date.slice(0, 4) })",
  "px.violin(df, { y: 'region', x: 'price', orientation: 'h', points: 'all', bandwidth: 2, box: true })",
  "px.strip(df, { y: 'region', x: 'price', orientation: 'h', stripmode: 'overlay', color: 'region', facet_col: d => d.units > 5 })",
  "px.ecdf(df, { y: 'price', color: 'region', ecdfnorm: null, ecdfmode: 'reversed', markers: true, lines: false })",
  "px.ecdf(df, { x: 'price', ecdfnorm: 'percent', ecdfmode: 'complementary', facet_col: 'region', facet_col_wrap: 4 })",
  "px.pie(df, { names: 'region', values: 'units', hole: 0.3, facet_row: d => d.units > 5, facet_col: d => d.date.slice(0, 4) })",
  "px.funnel(df, { y: 'units', x: 'region', orientation: 'v', color: d => d.date.slice(0, 4), facet_col: d => d.units > 5 })",
  "px.heatmap(df, { x: 'region', y: 'product', z: 'units', agg: 'median', text: '%{z:.0f}' })",
  "px.density_heatmap(df, { x: 'region', y: 'price', z: 'units', histfunc: 'avg', text: true, zmin: 0, zmax: 20, colorscale: 'Viridis', facet_col: d => d.date.slice(0, 4) })",
  "px.density_heatmap(df, { x: 'price', y: 'cost', histnorm: 'probability', range_x: [0, 50], range_y: [0, 40], marginal_x: 'violin', marginal_y: 'box' })",
  "px.density_contour(df, { x: 'price', y: 'cost', fill: true, ncontours: 8, colorscale: [[0, 'white'], [1, 'navy']], marginal_x: 'histogram' })",
  "px.density_contour(df, { x: 'price', y: 'cost', color: 'region', facet_col: d => d.units > 5 })",
  "px.imshow([[1, 2, 3], [4, 5, null]], { origin: 'lower', aspect: 'auto', labels: { x: 'col', y: 'row', color: 'value' }, x: ['a', 'b', 'c'] })",
  'px.imshow([[[255, 0, 0, 1], [0, 0, 255, 0.5]], [[0, 255, 0, 1], [20, 20, 20, 1]]])',
  'px.imshow(Array.from({ length: 300 }, (_, r) => Array.from({ length: 300 }, (_, c) => [r % 256, c % 256, 99])), { max_cells: 10000 })',
  "px.sunburst(df, { path: ['region', 'product'], values: 'units', color: 'price', maxdepth: 2 })",
  "px.treemap(df, { path: [d => d.date.slice(0, 4), 'region', 'product'], color: 'region', max_nodes: 50 })",
  "px.icicle({ n: ['all', 'a', 'b'], p: ['', 'all', 'all'], v: [10, 4, 6], c: [1, 2, 3] }, { names: 'n', parents: 'p', values: 'v', color: 'c' })",
  "px.scatter_matrix(df, { color: 'region', opacity: 0.5, size: 3 })",
  "px.parallel_coordinates(df, { color: 'units', colorscale: 'Jet' })",
  "px.parallel_categories(df, { dimensions: ['region', d => d.date.slice(0, 4)], color: 'price' })",
  "px.parallel_categories(df, { dimensions: ['region'], color: 'region' })",
  "px.timeline(df.slice(0, 50), { x_start: 'date', x_end: d => Date.parse(d.date) + 86400000, y: 'region', color: 'product', facet_col: 'region', facet_col_wrap: 4 })",
  "px.bar_polar(df, { r: 'units', theta: d => (d.units * 20) % 360, color: 'region', barmode: 'overlay', start_angle: 0, direction: 'counterclockwise', range_r: [0, 2000] })",
  "px.line_polar(df, { r: 'price', theta: 'region', color: d => d.units > 5, agg: 'max', markers: true })",
  "px.scatter_polar(df, { r: 'price', theta: 'region', color: 'region', opacity: 0.3, size: 4, max_points: 1000 })",
];

test('every builder variant passes the host figure check', () => {
  const g = createGlobals({ rowCount: 4000, columns: generateSales(4000, 11) });
  for (const code of VARIANTS) {
    const f = new Function('df', 'aq', 'op', 'data', 'px', `return ${code};`) as (...a: unknown[]) => unknown;
    const s = serializeFigure(f(g.df, g.aq, g.op, g.data, g.px), 4 * 1024 * 1024);
    assert.ok(s.ok, `${code}: ${s.ok ? '' : s.message}`);
    const r = checkFigure(JSON.parse(s.json));
    assert.ok(r.ok, `${code}\n→ ${r.ok ? '' : r.error.message}`);
  }
});
