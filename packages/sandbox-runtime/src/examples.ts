/**
 * The eight charts of the Depictio-style baseline (bench/depictio-baseline/README.md) as Code
 * Mode snippets over the sales dataset (date 'YYYY-MM-DD' string, region, product, units, price,
 * cost). They drive the benchmark, the tests and the demo dashboard, so they are written the way
 * an analyst would write them: `px` options (agg, nbins, functions of the row) where they express
 * the chart directly, arquero where the data needs reshaping (sampling, top N).
 */

export interface ExampleChart {
  /** Stable id, as in the baseline. */
  readonly name: string;
  readonly title: string;
  /** Code Mode source (a script body that assigns `fig`). */
  readonly code: string;
}

const chart = (name: string, title: string, code: string): ExampleChart => Object.freeze({ name, title, code: code.trim() + '\n' });

export const EXAMPLE_CHARTS: readonly ExampleChart[] = Object.freeze([
  chart(
    'bar_units_by_region',
    'Units sold by region',
    `
// agg: 'sum' adds up units per region in one pass; the same with arquero would be
// df.groupby('region').rollup({ units: op.sum('units') }) (about 3× slower at 100k rows).
fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum', sort: 'descending', title: 'Units sold by region' });
`,
  ),
  chart(
    'line_daily_revenue',
    'Daily revenue',
    `
// y can be a function of the row; agg: 'sum' adds it up per date in one pass over the typed
// columns. The arquero way, df.groupby('date').rollup({ revenue: d => op.sum(d.units * d.price) }),
// gives the same figure but compiles an expression first, which a fresh sandbox pays for every run.
// px.line sorts each trace by x, so the days need no orderby.
fig = px.line(df, { x: 'date', y: d => d.units * d.price, agg: 'sum', title: 'Daily revenue', labels: { y: 'Revenue' } });
`,
  ),
  chart(
    'scatter_price_cost',
    'Price vs cost (5,000-row sample)',
    `
aq.seed(42); // a fixed seed keeps the sample, and so the figure, the same on every run
const sample = df.sample(5000);

fig = px.scatter(sample, {
  x: 'price',
  y: 'cost',
  color: 'region',
  opacity: 0.6,
  title: 'Price vs cost (5,000-row sample)',
});
`,
  ),
  chart(
    'hist_price',
    'Price distribution',
    `
// Binned here, in the sandbox: the figure carries 50 counts, not the raw prices.
fig = px.histogram(df, { x: 'price', nbins: 50, title: 'Price distribution' });
`,
  ),
  chart(
    'box_price_by_region',
    'Price by region',
    `
// Quartiles, fences and means are computed in the sandbox; only outliers (capped) travel as points.
fig = px.box(df, { x: 'region', y: 'price', title: 'Price by region' });
`,
  ),
  chart(
    'corr_heatmap',
    'Correlation of units, price and cost',
    `
const columns = ['units', 'price', 'cost'];

fig = px.heatmap(px.corr(df, columns), {
  title: 'Correlation of units, price and cost',
  zmin: -1,
  zmax: 1,
  colorscale: 'RdBu',
  text: true,
});
`,
  ),
  chart(
    'top10_products',
    'Top 10 products by units',
    `
const top = df
  .groupby('product')
  .rollup({ units: op.sum('units') })
  .orderby(aq.desc('units'))
  .slice(0, 10);

fig = px.bar(top, {
  x: 'units',
  y: 'product',
  orientation: 'h',
  sort: 'descending',
  title: 'Top 10 products by units',
});
`,
  ),
  chart(
    'pivot_region_month',
    'Revenue by region and month',
    `
// x and z are functions of the row; z is summed per (month, region) cell. A function that reads
// one column (here the date) runs once per distinct value, not once per row.
fig = px.heatmap(df, {
  x: d => d.date.slice(0, 7),
  y: 'region',
  z: d => d.units * d.price,
  labels: { x: 'month', z: 'revenue' },
  title: 'Revenue by region and month',
  colorscale: 'Viridis',
});
`,
  ),
]);
