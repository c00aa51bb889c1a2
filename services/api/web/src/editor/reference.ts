/**
 * What the chart editor tells the analyst about Code Mode (docs/code-mode.md): the five globals,
 * the px builders with their options and a one-line example each, and the arquero names worth
 * completing. Shared by the reference panel and the autocompletion, so both say the same thing.
 */
import { COMMON_OPTIONS, FACET_OPTIONS, OPTION_DOCS, PX_CATALOG, optionsOf, signatureOf } from '@plotbox/sandbox-runtime/px-catalog';

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
  { name: 'df', detail: 'the dataset as an arquero table (immutable)', example: 'df.filter(d => d.units > 10).numRows()' },
  { name: 'aq', detail: 'arquero’s namespace (aq.desc, aq.seed, aq.from, …)', example: "df.orderby(aq.desc('units'))" },
  { name: 'op', detail: 'arquero’s operators (op.sum, op.mean, op.year, …)', example: "df.groupby('region').rollup({ units: op.sum('units') })" },
  { name: 'data', detail: 'the dataset as frozen column arrays', example: 'const first = data.units[0]; const n = data.units.length;' },
  { name: 'px', detail: 'figure builders returning Plotly figure JSON', example: "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum' })" },
  { name: 'fig', detail: 'assign the figure here: { data: [...], layout }', example: "fig = px.pie(df, { names: 'region', values: 'units' })" },
];

/** The Code Mode runtimes a chart can choose (the sandbox protocol's `RUNTIMES`). */
export type RuntimeName = 'arquero' | 'danfo';

/** The runtimes as the editor's picker shows them. */
export const RUNTIME_CHOICES: readonly { readonly name: RuntimeName; readonly label: string; readonly detail: string }[] = [
  { name: 'arquero', label: 'arquero (default)', detail: 'df is an immutable arquero table; aq and op are in scope.' },
  { name: 'danfo', label: 'danfo (pandas-like)', detail: 'df is a danfo DataFrame (pandas-like, made for each run); dfd is danfojs. No aq or op.' },
];

/** The globals of the danfo runtime (docs/code-mode.md "The danfo runtime"). */
export const DANFO_GLOBALS: readonly RefEntry[] = [
  { name: 'df', detail: 'the dataset as a danfo DataFrame (made for each run; changing it changes only this run’s copy)', example: "df.groupby(['region']).col(['units']).sum()" },
  { name: 'dfd', detail: 'danfojs (dfd.DataFrame, dfd.Series, dfd.concat, dfd.merge, dfd.toDateTime, …)', example: 'new dfd.Series([1, 2, 3]).mean()' },
  { name: 'data', detail: 'the dataset as frozen column arrays', example: 'const first = data.units[0]; const n = data.units.length;' },
  {
    name: 'px',
    detail: 'figure builders returning Plotly figure JSON; they take danfo DataFrames',
    example: "fig = px.bar(df.groupby(['region']).col(['units']).sum(), { x: 'region', y: 'units_sum' })",
  },
  { name: 'fig', detail: 'assign the figure here: { data: [...], layout }', example: "fig = px.histogram(df, { x: 'price', nbins: 40 })" },
];

/** The globals of `runtime`, for the reference panel and completions. */
export function globalsOf(runtime: RuntimeName): readonly RefEntry[] {
  return runtime === 'danfo' ? DANFO_GLOBALS : GLOBALS;
}

/** danfojs namespace members worth completing after `dfd.`. */
export const DFD_NAMES: readonly string[] = [
  'DataFrame',
  'Series',
  'concat',
  'merge',
  'toDateTime',
  'dateRange',
  'getDummies',
  'LabelEncoder',
  'OneHotEncoder',
  'MinMaxScaler',
  'StandardScaler',
  'Str',
  'Dt',
  'Utils',
  'Config',
  'NDframe',
];

/** danfo DataFrame members worth completing after `df.` in the danfo runtime. */
export const FRAME_METHODS: readonly string[] = [
  'groupby',
  'query',
  'loc',
  'iloc',
  'head',
  'tail',
  'sortValues',
  'addColumn',
  'drop',
  'rename',
  'column',
  'columns',
  'shape',
  'dtypes',
  'describe',
  'sum',
  'mean',
  'median',
  'min',
  'max',
  'std',
  'var',
  'count',
  'cumSum',
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'round',
  'apply',
  'applyMap',
  'fillNa',
  'dropNa',
  'isNa',
  'dropDuplicates',
  'asType',
  'setIndex',
  'resetIndex',
  'nUnique',
  'corr',
  'values',
  'toJSON',
];

/**
 * px builders and helpers, generated from the runtime's own catalogue (the table the sandbox
 * checks options against), so the panel and completions cannot drift from what runs.
 */
export const PX: readonly RefEntry[] = PX_CATALOG.map((e) => ({
  name: e.name,
  detail: e.kind === 'builder' ? `${signatureOf(e)} — ${e.summary}` : e.kind === 'helper' ? `${e.signature ?? ''} → ${e.summary}` : e.summary,
  example: e.example,
}));

/** Options every px builder accepts. */
export const PX_COMMON_OPTIONS = COMMON_OPTIONS.join(', ');

/** An option of a px builder, for completion inside its options object. */
export interface PxOptionRef {
  readonly name: string;
  readonly detail: string;
  /** The builder's own options rank above the common and facet ones. */
  readonly own: boolean;
}

/** The options of builder `name` with a one-line description each (empty for helpers and unknown names). */
export function pxOptions(name: string): readonly PxOptionRef[] {
  return optionsOf(name).map((o) => ({ name: o, detail: OPTION_DOCS[o] ?? '', own: !COMMON_OPTIONS.includes(o) && !FACET_OPTIONS.includes(o) }));
}

/** arquero operators worth completing after `op.`. */
export const OP_NAMES: readonly string[] = [
  'sum',
  'mean',
  'median',
  'count',
  'distinct',
  'min',
  'max',
  'stdev',
  'variance',
  'quantile',
  'corr',
  'covariance',
  'any',
  'valid',
  'invalid',
  'array_agg',
  'object_agg',
  'first_value',
  'last_value',
  'row_number',
  'rank',
  'lag',
  'lead',
  'abs',
  'round',
  'floor',
  'ceil',
  'sqrt',
  'log',
  'exp',
  'pow',
  'substring',
  'lower',
  'upper',
  'trim',
  'replace',
  'split',
  'startswith',
  'endswith',
  'includes',
  'padstart',
  'parse_float',
  'parse_int',
  'year',
  'month',
  'date',
  'dayofweek',
  'hours',
  'utcyear',
  'utcmonth',
  'utcdate',
  'format_date',
  'format_utcdate',
  'datetime',
  'now',
  'is_nan',
  'is_finite',
  'equal',
  'recode',
];

/** arquero namespace members worth completing after `aq.`. */
export const AQ_NAMES: readonly string[] = [
  'desc',
  'seed',
  'table',
  'from',
  'fromCSV',
  'fromJSON',
  'escape',
  'not',
  'range',
  'all',
  'matches',
  'startswith',
  'endswith',
  'names',
  'bin',
  'frac',
  'rolling',
  'op',
  'agg',
];

/** arquero table verbs worth completing after `df.`. */
export const TABLE_VERBS: readonly string[] = [
  'filter',
  'derive',
  'select',
  'rename',
  'groupby',
  'ungroup',
  'rollup',
  'count',
  'orderby',
  'unorder',
  'sample',
  'slice',
  'dedupe',
  'impute',
  'fold',
  'pivot',
  'spread',
  'unroll',
  'join',
  'join_left',
  'semijoin',
  'antijoin',
  'concat',
  'union',
  'array',
  'objects',
  'object',
  'get',
  'column',
  'columnNames',
  'numRows',
  'numCols',
  'totalRows',
  'params',
  'toCSV',
  'toJSON',
];
