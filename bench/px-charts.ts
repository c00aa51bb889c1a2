// The px vocabulary beyond the eight baseline charts, each written twice on the sales data: as
// an analyst writes it in Plotbox's Code Mode, and as an analyst writes it in the Depictio-style
// baseline (pandas + plotly express, run by ../shared/bench/depictio-baseline's own sandboxed
// `render`). Where plotly express would ship every row to the browser, the Python side is written
// the way its docs show it (plotly express has no output limit); where an analyst would sample
// first on either side, both sample the same number of rows.

export interface PxBenchChart {
  readonly name: string;
  /** What the row measures: a new builder, or a facet/trendline/marginal feature. */
  readonly feature: string;
  /** Code Mode snippet (JavaScript). */
  readonly plotbox: string;
  /** Depictio-style snippet (Python; `df` has `date` parsed as datetime). */
  readonly python: string;
}

const bulk = (js: boolean): string => (js ? "d => (d.units > 5 ? 'bulk' : 'single')" : "np.where(df['units'] > 5, 'bulk', 'single')");

export const PX_BENCH_CHARTS: readonly PxBenchChart[] = Object.freeze([
  {
    name: 'violin_price_by_region',
    feature: 'violin',
    plotbox: "fig = px.violin(df, { x: 'region', y: 'price', box: true });",
    python: "fig = px.violin(df, x='region', y='price', box=True)",
  },
  {
    name: 'strip_price_by_region',
    feature: 'strip',
    plotbox: "fig = px.strip(df, { x: 'region', y: 'price' });",
    python: "fig = px.strip(df, x='region', y='price')",
  },
  {
    name: 'ecdf_price_by_region',
    feature: 'ecdf',
    plotbox: "fig = px.ecdf(df, { x: 'price', color: 'region' });",
    python: "fig = px.ecdf(df, x='price', color='region')",
  },
  {
    name: 'funnel_units_by_size',
    feature: 'funnel',
    plotbox: `fig = px.funnel(df, { x: 'units', y: ${bulk(true)} });`,
    python: `agg = df.assign(size=${bulk(false)}).groupby('size', as_index=False)['units'].sum()\nfig = px.funnel(agg, x='units', y='size')`,
  },
  {
    name: 'sunburst_region_product',
    feature: 'sunburst',
    plotbox: "fig = px.sunburst(df, { path: ['region', 'product'], values: 'units' });",
    python: "fig = px.sunburst(df, path=['region', 'product'], values='units')",
  },
  {
    name: 'treemap_region_product',
    feature: 'treemap',
    plotbox: "fig = px.treemap(df, { path: ['region', 'product'], values: 'units', color: 'price' });",
    python: "fig = px.treemap(df, path=['region', 'product'], values='units', color='price')",
  },
  {
    name: 'icicle_region_product',
    feature: 'icicle',
    plotbox: "fig = px.icicle(df, { path: ['region', 'product'], values: 'units' });",
    python: "fig = px.icicle(df, path=['region', 'product'], values='units')",
  },
  {
    name: 'scatter_matrix_5k',
    feature: 'scatter_matrix',
    plotbox: "fig = px.scatter_matrix(df, { dimensions: ['units', 'price', 'cost'], color: 'region', max_points: 5000 });",
    python: "s = df.sample(n=min(5000, len(df)), random_state=0)\nfig = px.scatter_matrix(s, dimensions=['units', 'price', 'cost'], color='region')",
  },
  {
    name: 'density_heatmap_price_cost',
    feature: 'density_heatmap',
    plotbox: "fig = px.density_heatmap(df, { x: 'price', y: 'cost', nbinsx: 40, nbinsy: 40 });",
    python: "fig = px.density_heatmap(df, x='price', y='cost', nbinsx=40, nbinsy=40)",
  },
  {
    name: 'density_contour_price_cost',
    feature: 'density_contour',
    plotbox: "fig = px.density_contour(df, { x: 'price', y: 'cost', nbinsx: 25, nbinsy: 25 });",
    python: "fig = px.density_contour(df, x='price', y='cost', nbinsx=25, nbinsy=25)",
  },
  {
    name: 'timeline_first_200',
    feature: 'timeline',
    plotbox: "fig = px.timeline(df.slice(0, 200), { x_start: 'date', x_end: d => Date.parse(d.date) + 86400000 * d.units, y: 'product' });",
    python: "t = df.head(200).assign(end=lambda d: d['date'] + pd.to_timedelta(d['units'], unit='D'))\nfig = px.timeline(t, x_start='date', x_end='end', y='product')",
  },
  {
    name: 'imshow_units_product_month',
    feature: 'imshow',
    plotbox: "const h = px.heatmap(df, { x: d => d.date.slice(0, 7), y: 'product', z: 'units' }).data[0];\nfig = px.imshow({ z: h.z, x: h.x, y: h.y }, { aspect: 'auto' });",
    python: "pt = df.assign(month=df['date'].dt.to_period('M').astype(str)).pivot_table(index='product', columns='month', values='units', aggfunc='sum')\nfig = px.imshow(pt, aspect='auto')",
  },
  {
    name: 'parallel_coordinates_5k',
    feature: 'parallel_coordinates',
    plotbox: "fig = px.parallel_coordinates(df, { dimensions: ['units', 'price', 'cost'], color: 'price', max_points: 5000 });",
    python: "s = df.sample(n=min(5000, len(df)), random_state=0)\nfig = px.parallel_coordinates(s, dimensions=['units', 'price', 'cost'], color='price')",
  },
  {
    name: 'parallel_categories_region_size',
    feature: 'parallel_categories',
    plotbox: `fig = px.parallel_categories(df, { dimensions: ['region', ${bulk(true)}] });`,
    python: `fig = px.parallel_categories(df.assign(size=${bulk(false)}), dimensions=['region', 'size'])`,
  },
  {
    name: 'bar_polar_units_by_region',
    feature: 'bar_polar',
    plotbox: `fig = px.bar_polar(df, { r: 'units', theta: 'region', color: ${bulk(true)} });`,
    python: `agg = df.assign(size=${bulk(false)}).groupby(['region', 'size'], as_index=False)['units'].sum()\nfig = px.bar_polar(agg, r='units', theta='region', color='size')`,
  },
  {
    name: 'line_polar_mean_price',
    feature: 'line_polar',
    plotbox: "fig = px.line_polar(df, { r: 'price', theta: 'region', agg: 'mean', line_close: true });",
    python: "agg = df.groupby('region', as_index=False)['price'].mean()\nfig = px.line_polar(agg, r='price', theta='region', line_close=True)",
  },
  {
    name: 'scatter_polar_5k',
    feature: 'scatter_polar',
    plotbox: "fig = px.scatter_polar(df, { r: 'price', theta: 'region', max_points: 5000 });",
    python: "s = df.sample(n=min(5000, len(df)), random_state=0)\nfig = px.scatter_polar(s, r='price', theta='region')",
  },
  {
    name: 'facet_hist_price_by_region',
    feature: 'facets',
    plotbox: "fig = px.histogram(df, { x: 'price', nbins: 30, facet_col: 'region', facet_col_wrap: 4 });",
    python: "fig = px.histogram(df, x='price', nbins=30, facet_col='region', facet_col_wrap=4)",
  },
  {
    name: 'scatter_ols_5k',
    feature: 'trendline ols',
    plotbox: "fig = px.scatter(df, { x: 'price', y: 'cost', trendline: 'ols', max_points: 5000 });",
    python: "s = df.sample(n=min(5000, len(df)), random_state=0)\nfig = px.scatter(s, x='price', y='cost', trendline='ols')",
  },
  {
    name: 'scatter_lowess_5k',
    feature: 'trendline lowess',
    plotbox: "fig = px.scatter(df, { x: 'price', y: 'cost', trendline: 'lowess', max_points: 5000 });",
    python: "s = df.sample(n=min(5000, len(df)), random_state=0)\nfig = px.scatter(s, x='price', y='cost', trendline='lowess')",
  },
  {
    name: 'scatter_marginals_5k',
    feature: 'marginals',
    plotbox: "fig = px.scatter(df, { x: 'price', y: 'cost', color: 'region', marginal_x: 'histogram', marginal_y: 'box', max_points: 5000 });",
    python: "s = df.sample(n=min(5000, len(df)), random_state=0)\nfig = px.scatter(s, x='price', y='cost', color='region', marginal_x='histogram', marginal_y='box')",
  },
]);
