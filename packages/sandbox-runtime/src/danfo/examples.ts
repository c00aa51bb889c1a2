/**
 * The eight benchmark charts of examples.ts written the danfo way, for charts whose runtime is
 * `danfo`: the reshaping (group sums, derived columns, sorting, top N, sampling) in danfo, the
 * figure from `px`, which takes danfo frames. They drive the benchmark (beside arquero and the
 * Depictio-style baseline), the danfo tests and the danfo pool's code cache.
 */
import type { ExampleChart } from '../examples.ts';

const chart = (name: string, title: string, code: string): ExampleChart => Object.freeze({ name, title, code: code.trim() + '\n' });

export const DANFO_EXAMPLE_CHARTS: readonly ExampleChart[] = Object.freeze([
  chart(
    'bar_units_by_region',
    'Units sold by region',
    `
// groupby + sum names the result column units_sum, as pandas' agg would with a suffix.
const byRegion = df.groupby(['region']).col(['units']).sum();
fig = px.bar(byRegion, { x: 'region', y: 'units_sum', sort: 'descending', title: 'Units sold by region', labels: { units_sum: 'units' } });
`,
  ),
  chart(
    'line_daily_revenue',
    'Daily revenue',
    `
// Series arithmetic is element-wise: units × price per row, then summed per day.
const withRevenue = df.addColumn('revenue', df['units'].mul(df['price']));
const daily = withRevenue.groupby(['date']).col(['revenue']).sum().sortValues('date');
fig = px.line(daily, { x: 'date', y: 'revenue_sum', title: 'Daily revenue', labels: { revenue_sum: 'Revenue' } });
`,
  ),
  chart(
    'scatter_price_cost',
    'Price vs cost (5,000-row sample)',
    `
// danfo's sample() is asynchronous (Code Mode is not): take every k-th row with iloc instead.
const n = Math.min(5000, df.shape[0]);
const step = Math.max(1, Math.floor(df.shape[0] / n));
const sample = df.iloc({ rows: Array.from({ length: n }, (_, i) => i * step) });
fig = px.scatter(sample, { x: 'price', y: 'cost', color: 'region', opacity: 0.6, title: 'Price vs cost (5,000-row sample)' });
`,
  ),
  chart(
    'hist_price',
    'Price distribution',
    `
// px bins danfo frames in the sandbox too: the figure carries 50 counts, not the raw prices.
fig = px.histogram(df, { x: 'price', nbins: 50, title: 'Price distribution' });
`,
  ),
  chart(
    'box_price_by_region',
    'Price by region',
    `
fig = px.box(df, { x: 'region', y: 'price', title: 'Price by region' });
`,
  ),
  chart(
    'corr_heatmap',
    'Correlation of units, price and cost',
    `
// drop, not loc: danfo's loc({ columns }) looks every row up by label (≈3.5 s at 100k rows).
const numeric = df.drop({ columns: ['date', 'region', 'product'] });
fig = px.heatmap(px.corr(numeric), { title: 'Correlation of units, price and cost', zmin: -1, zmax: 1, colorscale: 'RdBu', text: true });
`,
  ),
  chart(
    'top10_products',
    'Top 10 products by units',
    `
const top = df.groupby(['product']).col(['units']).sum().sortValues('units_sum', { ascending: false }).head(10);
fig = px.bar(top, { x: 'units_sum', y: 'product', orientation: 'h', sort: 'descending', title: 'Top 10 products by units', labels: { units_sum: 'units' } });
`,
  ),
  chart(
    'pivot_region_month',
    'Revenue by region and month',
    `
const monthly = df
  .addColumn('month', df['date'].str.slice(0, 7))
  .addColumn('revenue', df['units'].mul(df['price']))
  .groupby(['month', 'region'])
  .col(['revenue'])
  .sum();
fig = px.heatmap(monthly, { x: 'month', y: 'region', z: 'revenue_sum', labels: { z: 'revenue' }, title: 'Revenue by region and month', colorscale: 'Viridis' });
`,
  ),
]);
