/**
 * The px vocabulary in one table: every builder, the options it accepts, what each option means
 * and a one-line example on the sales dataset. The runtime checks options against it (so an
 * option missing here is refused at run time) and the web editor's reference panel and
 * autocompletion are generated from it (`@plotbox/sandbox-runtime/px-catalog`), so the three
 * cannot drift. Pure data: no imports, safe to bundle into the browser.
 */

/** One entry of the `px` namespace. */
export interface PxEntry {
  /** The member name: `px.<name>`. */
  readonly name: string;
  /** `builder`: `(table, options) → figure`; `helper`: other functions; `value`: a constant. */
  readonly kind: 'builder' | 'helper' | 'value';
  /** One line: what it draws. */
  readonly summary: string;
  /** For helpers and values: the call shape (`(table, columns?)`); builders' shapes are generated from `options`. */
  readonly signature?: string;
  /** What a builder takes first, when not a table (`matrix`). */
  readonly input?: string;
  /** Accepted option names, in the order the reference lists them (builders only). */
  readonly options: readonly string[];
  /** One line that works on the sales dataset (date, region, product, units, price, cost). */
  readonly example: string;
}

/** Options every builder takes. */
export const COMMON_OPTIONS: readonly string[] = Object.freeze(['title', 'labels', 'colors', 'width', 'height']);

/** Facet options (subplot grids), on the builders where Plotly Express has them. */
export const FACET_OPTIONS: readonly string[] = Object.freeze(['facet_row', 'facet_col', 'facet_col_wrap', 'facet_row_spacing', 'facet_col_spacing', 'shared_xaxes', 'shared_yaxes']);

const C = COMMON_OPTIONS;
const F = FACET_OPTIONS;
const PIE_FACETS = ['facet_row', 'facet_col', 'facet_col_wrap', 'facet_row_spacing', 'facet_col_spacing'];

const entry = (name: string, summary: string, options: readonly string[], example: string, input?: string): PxEntry =>
  Object.freeze({ name, kind: 'builder' as const, summary, options: Object.freeze([...C, ...options]), example, ...(input === undefined ? {} : { input }) });

/** Every member of `px`, builders first. */
export const PX_CATALOG: readonly PxEntry[] = Object.freeze([
  entry(
    'bar',
    'bars per row, or per category with agg',
    ['x', 'y', 'color', 'agg', 'orientation', 'barmode', 'sort', 'category_orders', ...F, 'max_points'],
    "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum', sort: 'descending' })",
  ),
  entry(
    'line',
    'lines per color group, sorted by x',
    ['x', 'y', 'color', 'agg', 'sort', 'markers', 'line_shape', 'category_orders', ...F, 'max_points'],
    "fig = px.line(df, { x: 'date', y: d => d.units * d.price, agg: 'sum' })",
  ),
  entry(
    'area',
    'stacked areas per color group',
    ['x', 'y', 'color', 'agg', 'sort', 'markers', 'line_shape', 'stack', 'category_orders', ...F, 'max_points'],
    "fig = px.area(df, { x: 'date', y: 'units', color: 'region', agg: 'sum' })",
  ),
  entry(
    'scatter',
    'one point per row; trendlines and marginals',
    [
      'x',
      'y',
      'color',
      'agg',
      'opacity',
      'size',
      'render',
      'trendline',
      'trendline_options',
      'trendline_scope',
      'trendline_color_override',
      'marginal_x',
      'marginal_y',
      'category_orders',
      ...F,
      'max_points',
    ],
    "fig = px.scatter(df, { x: 'price', y: 'cost', color: 'region', trendline: 'ols' })",
  ),
  entry(
    'histogram',
    'counts in equal-width bins, binned in the sandbox',
    ['x', 'color', 'nbins', 'range', 'histnorm', 'barmode', 'opacity', 'marginal', 'marginal_x', 'category_orders', ...F],
    "fig = px.histogram(df, { x: 'price', nbins: 50, marginal: 'box' })",
  ),
  entry('box', 'quartiles, fences and outliers per category', ['x', 'y', 'color', 'orientation', 'points', 'category_orders', ...F], "fig = px.box(df, { x: 'region', y: 'price' })"),
  entry(
    'violin',
    'density outlines (kernel density computed in the sandbox)',
    ['x', 'y', 'color', 'orientation', 'box', 'points', 'violinmode', 'bandwidth', 'category_orders', ...F, 'max_points'],
    "fig = px.violin(df, { x: 'region', y: 'price', box: true })",
  ),
  entry(
    'strip',
    'every value as a jittered point per category',
    ['x', 'y', 'color', 'orientation', 'stripmode', 'category_orders', ...F, 'max_points'],
    "fig = px.strip(df, { x: 'region', y: 'price' })",
  ),
  entry(
    'ecdf',
    'empirical cumulative distribution as steps',
    ['x', 'y', 'color', 'ecdfnorm', 'ecdfmode', 'markers', 'lines', 'category_orders', ...F, 'max_points'],
    "fig = px.ecdf(df, { x: 'price', color: 'region' })",
  ),
  entry('pie', 'slices summed per name', ['names', 'values', 'hole', 'sort', 'category_orders', ...PIE_FACETS], "fig = px.pie(df, { names: 'region', values: 'units', hole: 0.4 })"),
  entry(
    'funnel',
    'funnel stages, values summed per stage',
    ['x', 'y', 'color', 'orientation', 'category_orders', ...F],
    "fig = px.funnel({ stage: ['visit', 'cart', 'buy'], n: [1000, 300, 120] }, { x: 'n', y: 'stage' })",
  ),
  entry(
    'heatmap',
    'cells from long data (aggregated) or a ready matrix',
    ['x', 'y', 'z', 'agg', 'sort', 'zmin', 'zmax', 'colorscale', 'text'],
    "fig = px.heatmap(df, { x: d => d.date.slice(0, 7), y: 'region', z: 'units' })",
    'table | { z, x, y }',
  ),
  entry(
    'density_heatmap',
    '2-D histogram, binned in the sandbox',
    ['x', 'y', 'z', 'histfunc', 'histnorm', 'nbinsx', 'nbinsy', 'range_x', 'range_y', 'colorscale', 'zmin', 'zmax', 'text', 'marginal_x', 'marginal_y', 'category_orders', ...F],
    "fig = px.density_heatmap(df, { x: 'price', y: 'cost', nbinsx: 40, nbinsy: 40 })",
  ),
  entry(
    'density_contour',
    '2-D histogram as contours, binned in the sandbox',
    ['x', 'y', 'z', 'color', 'histfunc', 'histnorm', 'nbinsx', 'nbinsy', 'range_x', 'range_y', 'colorscale', 'fill', 'ncontours', 'marginal_x', 'marginal_y', 'category_orders', ...F],
    "fig = px.density_contour(df, { x: 'price', y: 'cost', fill: true })",
  ),
  entry(
    'imshow',
    'a matrix or image as cells',
    ['x', 'y', 'zmin', 'zmax', 'colorscale', 'aspect', 'origin', 'text', 'max_cells'],
    "fig = px.imshow(px.corr(df, ['units', 'price', 'cost']), { text: true })",
    'matrix',
  ),
  entry(
    'sunburst',
    'hierarchy as rings (path of columns)',
    ['path', 'names', 'parents', 'ids', 'values', 'color', 'colorscale', 'maxdepth', 'max_nodes'],
    "fig = px.sunburst(df, { path: ['region', 'product'], values: 'units' })",
  ),
  entry(
    'treemap',
    'hierarchy as nested rectangles',
    ['path', 'names', 'parents', 'ids', 'values', 'color', 'colorscale', 'maxdepth', 'max_nodes'],
    "fig = px.treemap(df, { path: ['region', 'product'], values: 'units' })",
  ),
  entry(
    'icicle',
    'hierarchy as stacked bars',
    ['path', 'names', 'parents', 'ids', 'values', 'color', 'colorscale', 'maxdepth', 'max_nodes'],
    "fig = px.icicle(df, { path: ['region', 'product'], values: 'units' })",
  ),
  entry(
    'scatter_matrix',
    'every pair of columns as scatter plots',
    ['dimensions', 'color', 'opacity', 'size', 'category_orders', 'max_points'],
    "fig = px.scatter_matrix(df, { dimensions: ['units', 'price', 'cost'], color: 'region' })",
  ),
  entry(
    'parallel_coordinates',
    'one line per row across numeric axes',
    ['dimensions', 'color', 'colorscale', 'max_points'],
    "fig = px.parallel_coordinates(df, { dimensions: ['units', 'price', 'cost'], color: 'price' })",
  ),
  entry(
    'parallel_categories',
    'flows between categories, counted in the sandbox',
    ['dimensions', 'color', 'colorscale', 'dimensions_max_cardinality'],
    "fig = px.parallel_categories(df, { dimensions: ['region', d => d.units > 10 ? 'bulk' : 'single'] })",
  ),
  entry(
    'timeline',
    'horizontal bars from start to end dates',
    ['x_start', 'x_end', 'y', 'color', 'category_orders', ...F, 'max_points'],
    "fig = px.timeline({ task: ['a', 'b'], start: ['2024-01-01', '2024-02-01'], end: ['2024-03-01', '2024-02-20'] }, { x_start: 'start', x_end: 'end', y: 'task' })",
  ),
  entry(
    'bar_polar',
    'bars on a polar axis, summed per angle',
    ['r', 'theta', 'color', 'barmode', 'start_angle', 'direction', 'range_r', 'category_orders'],
    "fig = px.bar_polar(df, { r: 'units', theta: 'region', color: 'product' })",
  ),
  entry(
    'line_polar',
    'lines on a polar axis',
    ['r', 'theta', 'color', 'agg', 'line_close', 'markers', 'start_angle', 'direction', 'range_r', 'category_orders', 'max_points'],
    "fig = px.line_polar(df, { r: 'units', theta: 'region', agg: 'sum', line_close: true })",
  ),
  entry(
    'scatter_polar',
    'points on a polar axis',
    ['r', 'theta', 'color', 'opacity', 'size', 'start_angle', 'direction', 'range_r', 'category_orders', 'max_points'],
    "fig = px.scatter_polar(df.sample(500), { r: 'price', theta: 'region', color: 'region' })",
  ),
  Object.freeze({
    name: 'corr',
    kind: 'helper' as const,
    summary: 'Pearson correlation matrix { z, x, y } for px.heatmap / px.imshow',
    signature: '(table, columns?)',
    options: Object.freeze([]),
    example: "fig = px.heatmap(px.corr(df, ['units', 'price', 'cost']), { zmin: -1, zmax: 1 })",
  }),
  Object.freeze({
    name: 'figure',
    kind: 'helper' as const,
    summary: 'raw traces and layout, shape-checked',
    signature: '(traces, layout?)',
    options: Object.freeze([]),
    example: "fig = px.figure([{ type: 'bar', x: ['a', 'b'], y: [1, 2] }])",
  }),
  Object.freeze({
    name: 'palette',
    kind: 'value' as const,
    summary: 'Plotly’s qualitative colours (array)',
    options: Object.freeze([]),
    example: "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum', colors: px.palette })",
  }),
]);

/** What each option means (one line), for the reference panel and completion details. */
export const OPTION_DOCS: Readonly<Record<string, string>> = Object.freeze({
  title: 'figure title',
  labels: "display names for columns: { units: 'Units sold' }",
  colors: 'colours for successive groups (default px.palette)',
  width: 'figure width, px',
  height: 'figure height, px',
  x: 'column (name, array or d => …) for x',
  y: 'column (name, array or d => …) for y',
  z: 'values aggregated per cell (default: rows are counted)',
  color: 'one trace (and colour) per distinct value',
  agg: "'sum' | 'mean' | 'count' | 'min' | 'max' | 'median' | 'first' | 'last' per category",
  orientation: "'v' | 'h' (horizontal: x holds the values)",
  barmode: "'relative' | 'group' | 'overlay' | 'stack'",
  sort: 'bar: order by total; line: sort by x (default true); pie/heatmap: see docs',
  markers: 'draw points on the lines',
  line_shape: "'linear' | 'spline' | 'hv' | 'vh' | 'hvh' | 'vhv'",
  stack: 'stack the groups (default true)',
  opacity: 'marker opacity 0–1',
  size: 'marker size, px',
  render: "'svg' | 'webgl' (scattergl, faster past ~10k points)",
  trendline: "'ols' (least squares; fit in hover) | 'lowess'",
  trendline_options: 'lowess: { frac: 0.667, it: 3, delta }; ols: { log_x, log_y }',
  trendline_scope: "'trace' (one fit per group, default) | 'overall'",
  trendline_color_override: 'one colour for every trendline',
  marginal_x: "'histogram' | 'box' | 'violin' | 'rug' above the plot",
  marginal_y: "'histogram' | 'box' | 'violin' | 'rug' beside the plot",
  marginal: "'histogram' | 'box' | 'violin' | 'rug' above a histogram",
  nbins: 'number of equal-width bins (default 30)',
  range: '[min, max] to bin over',
  histnorm: "'' | 'percent' | 'probability' | 'density' | 'probability density'",
  points: "'outliers' (default) | 'all' (violin) | false",
  box: 'draw the quartile box inside each violin',
  violinmode: "'group' | 'overlay'",
  bandwidth: 'kernel bandwidth (default: Silverman’s rule, as plotly.js)',
  stripmode: "'group' | 'overlay'",
  ecdfnorm: "'probability' (default) | 'percent' | null (counts)",
  ecdfmode: "'standard' | 'complementary' | 'reversed'",
  lines: 'draw the steps (default true)',
  names: 'slice / node names',
  values: 'summed per slice / node (default: rows are counted)',
  hole: 'donut hole 0–1',
  zmin: 'colour range minimum',
  zmax: 'colour range maximum',
  colorscale: "Plotly colour scale name ('Viridis', 'RdBu', …) or [[0, c], [1, c]]",
  text: "print values in cells: true or a texttemplate like '%{z:.1f}'",
  histfunc: "'count' | 'sum' | 'avg' | 'min' | 'max' of z per cell",
  nbinsx: 'bins along x (default 30)',
  nbinsy: 'bins along y (default 30)',
  range_x: '[min, max] to bin x over',
  range_y: '[min, max] to bin y over',
  fill: 'filled contours instead of lines',
  ncontours: 'number of contour levels (default 15)',
  aspect: "'equal' (square cells, default) | 'auto'",
  origin: "'upper' (row 0 at the top, default) | 'lower'",
  max_cells: 'larger matrices are averaged in blocks down to this many cells (default 250,000)',
  path: 'columns from root to leaf: [region, product]',
  parents: 'parent name per row (with names)',
  ids: 'unique id per row (with names and parents)',
  maxdepth: 'levels shown at once',
  max_nodes: 'most leaves drawn; the smallest fold into “(other)” (default 5,000)',
  dimensions: 'the columns to plot (default: every suitable column)',
  dimensions_max_cardinality: 'default dimensions have at most this many values (default 50)',
  x_start: 'start date column',
  x_end: 'end date column',
  r: 'radius column',
  theta: 'angle column (degrees, or categories)',
  line_close: 'join the last point to the first',
  start_angle: 'angle of the first category, degrees (default 90)',
  direction: "'clockwise' (default) | 'counterclockwise'",
  range_r: '[min, max] of the radial axis',
  facet_row: 'one row of subplots per distinct value',
  facet_col: 'one column of subplots per distinct value',
  facet_col_wrap: 'wrap facet columns after this many',
  facet_row_spacing: 'gap between facet rows (fraction of the height)',
  facet_col_spacing: 'gap between facet columns (fraction of the width)',
  shared_xaxes: 'facets share one x range (default true)',
  shared_yaxes: 'facets share one y range (default true)',
  category_orders: "order of values: { region: ['North', 'South'] } (facets, colours, categories)",
  max_points: 'most rows drawn; larger tables are sampled (deterministically) and the figure says so (default 50,000)',
});

/** The names of every builder (functions of `(table, options)`). */
export const PX_BUILDER_NAMES: readonly string[] = Object.freeze(PX_CATALOG.filter((e) => e.kind === 'builder').map((e) => e.name));

/** Options of builder `name` (empty for unknown names). */
export function optionsOf(name: string): readonly string[] {
  return PX_CATALOG.find((e) => e.name === name)?.options ?? [];
}

/**
 * A builder's call shape for the reference: `(table, { x, y, color, … })` with its own options;
 * the common ones and the facet group are summarised.
 */
export function signatureOf(e: PxEntry): string {
  if (e.kind !== 'builder') return e.signature ?? '';
  const own = e.options.filter((o) => !COMMON_OPTIONS.includes(o) && !FACET_OPTIONS.includes(o));
  const facets = FACET_OPTIONS.every((o) => e.options.includes(o)) ? ', facet_*' : e.options.includes('facet_col') ? ', facet_row/col' : '';
  return `(${e.input ?? 'table'}, { ${own.join(', ')}${facets} })`;
}
