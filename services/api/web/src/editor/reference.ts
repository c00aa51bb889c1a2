/**
 * What the chart editor tells the analyst about Code Mode (docs/code-mode.md): the five globals,
 * the px builders with a one-line example each, and the arquero names worth completing. Shared by
 * the reference panel and the autocompletion, so both say the same thing.
 */

export interface RefEntry {
  /** The name as typed after its namespace (`bar`) or bare (`df`). */
  readonly name: string;
  /** A short signature or description shown beside a completion. */
  readonly detail: string;
  /** One line of code that works on the sales dataset. */
  readonly example: string;
}

/** The globals Code Mode puts in scope (plus `fig`, which the code assigns). */
export const GLOBALS: readonly RefEntry[] = [
  { name: 'df', detail: 'the dataset as an arquero table (immutable)', example: "df.filter(d => d.units > 10).numRows()" },
  { name: 'aq', detail: 'arquero’s namespace (aq.desc, aq.seed, aq.from, …)', example: "df.orderby(aq.desc('units'))" },
  { name: 'op', detail: 'arquero’s operators (op.sum, op.mean, op.year, …)', example: "df.groupby('region').rollup({ units: op.sum('units') })" },
  { name: 'data', detail: 'the dataset as frozen column arrays', example: 'const first = data.units[0]; const n = data.units.length;' },
  { name: 'px', detail: 'figure builders returning Plotly figure JSON', example: "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum' })" },
  { name: 'fig', detail: 'assign the figure here: { data: [...], layout }', example: "fig = px.pie(df, { names: 'region', values: 'units' })" },
];

/** px builders and helpers. */
export const PX: readonly RefEntry[] = [
  { name: 'bar', detail: '(table, { x, y, color, agg, orientation, barmode, sort })', example: "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum', sort: 'descending' })" },
  { name: 'line', detail: '(table, { x, y, color, agg, sort, markers })', example: "fig = px.line(df, { x: 'date', y: d => d.units * d.price, agg: 'sum' })" },
  { name: 'scatter', detail: '(table, { x, y, color, opacity, size, render })', example: "fig = px.scatter(df.sample(5000), { x: 'price', y: 'cost', color: 'region' })" },
  { name: 'histogram', detail: '(table, { x, color, nbins, range, histnorm, barmode })', example: "fig = px.histogram(df, { x: 'price', nbins: 50 })" },
  { name: 'box', detail: '(table, { x, y, color, orientation, points })', example: "fig = px.box(df, { x: 'region', y: 'price' })" },
  { name: 'pie', detail: '(table, { names, values, hole, sort })', example: "fig = px.pie(df, { names: 'region', values: 'units', hole: 0.4 })" },
  { name: 'heatmap', detail: '(table, { x, y, z, agg, sort, zmin, zmax, colorscale, text })', example: "fig = px.heatmap(df, { x: d => d.date.slice(0, 7), y: 'region', z: 'units' })" },
  { name: 'area', detail: '(table, { x, y, color, agg, stack })', example: "fig = px.area(df, { x: 'date', y: 'units', color: 'region', agg: 'sum' })" },
  { name: 'corr', detail: '(table, columns?) → { z, x, y } for px.heatmap', example: "fig = px.heatmap(px.corr(df, ['units', 'price', 'cost']), { zmin: -1, zmax: 1 })" },
  { name: 'figure', detail: '(traces, layout?) → a checked figure', example: "fig = px.figure([{ type: 'bar', x: ['a', 'b'], y: [1, 2] }])" },
  { name: 'palette', detail: 'Plotly’s qualitative colours (array)', example: "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum', colors: px.palette })" },
];

/** Options every px builder accepts (completed inside the options object is out of scope; listed). */
export const PX_COMMON_OPTIONS = 'title, labels, colors, width, height';

/** arquero operators worth completing after `op.`. */
export const OP_NAMES: readonly string[] = [
  'sum', 'mean', 'median', 'count', 'distinct', 'min', 'max', 'stdev', 'variance', 'quantile', 'corr', 'covariance',
  'any', 'valid', 'invalid', 'array_agg', 'object_agg', 'first_value', 'last_value', 'row_number', 'rank', 'lag', 'lead',
  'abs', 'round', 'floor', 'ceil', 'sqrt', 'log', 'exp', 'pow',
  'substring', 'lower', 'upper', 'trim', 'replace', 'split', 'startswith', 'endswith', 'includes', 'padstart', 'parse_float', 'parse_int',
  'year', 'month', 'date', 'dayofweek', 'hours', 'utcyear', 'utcmonth', 'utcdate', 'format_date', 'format_utcdate', 'datetime', 'now',
  'is_nan', 'is_finite', 'equal', 'recode',
];

/** arquero namespace members worth completing after `aq.`. */
export const AQ_NAMES: readonly string[] = ['desc', 'seed', 'table', 'from', 'fromCSV', 'fromJSON', 'escape', 'not', 'range', 'all', 'matches', 'startswith', 'endswith', 'names', 'bin', 'frac', 'rolling', 'op', 'agg'];

/** arquero table verbs worth completing after `df.`. */
export const TABLE_VERBS: readonly string[] = [
  'filter', 'derive', 'select', 'rename', 'groupby', 'ungroup', 'rollup', 'count', 'orderby', 'unorder', 'sample', 'slice',
  'dedupe', 'impute', 'fold', 'pivot', 'spread', 'unroll', 'join', 'join_left', 'semijoin', 'antijoin', 'concat', 'union',
  'array', 'objects', 'object', 'get', 'column', 'columnNames', 'numRows', 'numCols', 'totalRows', 'params', 'toCSV', 'toJSON',
];
