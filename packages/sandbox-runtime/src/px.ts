/**
 * `px`: figure builders in the spirit of plotly express, returning plain Plotly figure JSON
 * (`{ data: [...traces], layout }`). Summaries (histogram bins, box quartiles, heatmap cells,
 * aggregations) are computed here, inside the sandbox, so a figure carries results rather than
 * the dataset's raw rows. Pure ECMAScript; runs inside the isolate.
 */
import { AGGREGATIONS, boxStats, countBins, createAccumulator, isFiniteNumber, makeBins, pearson } from './stats.ts';
import type { Accumulator, Aggregation } from './stats.ts';
import { datasetFunctionKeys, isArrayLikeColumn, isRowFunction, isTableLike, toSource } from './px-source.ts';
import type { ColumnRef, Source } from './px-source.ts';
import type { KeyColumn } from './dataset.ts';

export type { ColumnRef, RowFunction } from './px-source.ts';
export type { Aggregation } from './stats.ts';

/** Plotly's default qualitative palette (plotly express `Plotly`), one colour per group, in group order. */
export const DEFAULT_PALETTE: readonly string[] = Object.freeze(['#636efa', '#EF553B', '#00cc96', '#ab63fa', '#FFA15A', '#19d3f3', '#FF6692', '#B6E880', '#FF97FF', '#FECB52']);

/** A Plotly figure as px builds it: JSON-ready plain objects. */
export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** Options every builder takes. */
export interface CommonOptions {
  /** Figure title. */
  title?: string;
  /** Display names for columns: `{ units: 'Units sold' }` → axis, legend and colorbar titles. */
  labels?: Readonly<Record<string, string>>;
  /** Colours for successive groups (default {@link DEFAULT_PALETTE}). */
  colors?: readonly string[];
  width?: number;
  height?: number;
}

export interface XYOptions extends CommonOptions {
  x?: ColumnRef;
  y?: ColumnRef;
  /** One trace per distinct value, in order of first appearance. */
  color?: ColumnRef;
  /** Aggregate `y` per (x, color) before plotting. */
  agg?: Aggregation;
}
export interface ScatterOptions extends XYOptions {
  opacity?: number;
  /** Marker size in px. */
  size?: number;
  /** `'webgl'` emits `scattergl` traces (faster in the browser past ~10k points). */
  render?: 'svg' | 'webgl';
}
export interface LineOptions extends XYOptions {
  /** Sort each trace by x (default true). */
  sort?: boolean;
  markers?: boolean;
}
export interface AreaOptions extends LineOptions {
  /** Stack the groups (default true); false fills each to zero. */
  stack?: boolean;
}
export interface BarOptions extends XYOptions {
  /** `'h'`: horizontal bars; then `x` holds the values and `y` the categories. */
  orientation?: 'v' | 'h';
  barmode?: 'relative' | 'group' | 'overlay' | 'stack';
  /** Order categories by bar total: `'descending'` puts the largest first (left, or top for `'h'`). */
  sort?: 'ascending' | 'descending';
}
export interface HistogramOptions extends CommonOptions {
  x: ColumnRef;
  color?: ColumnRef;
  /** Number of equal-width bins over [min, max] (default 30). */
  nbins?: number;
  /** Bin over this range instead of [min, max]; values outside are left out. */
  range?: readonly [number, number];
  histnorm?: '' | 'percent' | 'probability' | 'density' | 'probability density';
  barmode?: 'relative' | 'group' | 'overlay' | 'stack';
  opacity?: number;
}
export interface BoxOptions extends CommonOptions {
  /** Category column (vertical boxes); omit for one box per trace. */
  x?: ColumnRef;
  /** Value column (vertical boxes). */
  y?: ColumnRef;
  color?: ColumnRef;
  orientation?: 'v' | 'h';
  /** `'outliers'` (default) adds up to 200 outliers per box as points; `false` draws none. */
  points?: 'outliers' | false;
}
export interface PieOptions extends CommonOptions {
  names: ColumnRef;
  /** Summed per name; omitted → rows are counted. */
  values?: ColumnRef;
  hole?: number;
  /** Let Plotly sort slices by size (default true). */
  sort?: boolean;
}
export interface HeatmapOptions extends CommonOptions {
  x?: ColumnRef;
  y?: ColumnRef;
  /** Cell values, aggregated per (x, y) with `agg`; omitted → rows are counted. */
  z?: ColumnRef;
  agg?: Aggregation;
  /** Sort x and y categories ascending (default true); false keeps first appearance. */
  sort?: boolean;
  zmin?: number;
  zmax?: number;
  colorscale?: string | readonly (readonly [number, string])[];
  /** Print values in cells: true → `'%{z:.2f}'`, or a Plotly texttemplate. */
  text?: boolean | string;
}
/** A ready matrix for {@link Px.heatmap}: `z[row][col]`, with optional labels. */
export interface HeatmapMatrix {
  z: readonly (readonly (number | null)[])[];
  x?: readonly unknown[];
  y?: readonly unknown[];
}

/** Anything px builders accept as a table. */
export type TableInput = unknown;

const COMMON = ['title', 'labels', 'colors', 'width', 'height'];
const XY = [...COMMON, 'x', 'y', 'color', 'agg'];
const ALLOWED: Record<string, readonly string[]> = {
  scatter: [...XY, 'opacity', 'size', 'render'],
  line: [...XY, 'sort', 'markers'],
  area: [...XY, 'sort', 'markers', 'stack'],
  bar: [...XY, 'orientation', 'barmode', 'sort'],
  histogram: [...COMMON, 'x', 'color', 'nbins', 'range', 'histnorm', 'barmode', 'opacity'],
  box: [...COMMON, 'x', 'y', 'color', 'orientation', 'points'],
  pie: [...COMMON, 'names', 'values', 'hole', 'sort'],
  heatmap: [...COMMON, 'x', 'y', 'z', 'agg', 'sort', 'zmin', 'zmax', 'colorscale', 'text'],
};

type Opts = Record<string, unknown>;

function checkOptions(fn: string, options: unknown): Opts {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`px.${fn}: options must be an object like { x: 'col', y: 'col' }`);
  const allowed = ALLOWED[fn] ?? [];
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`px.${fn}: unknown option "${key}" (options: ${allowed.join(', ')})`);
  }
  return options as Opts;
}

function oneOf<T extends string>(fn: string, o: Opts, key: string, values: readonly T[]): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !values.includes(v as T)) throw new TypeError(`px.${fn}: ${key} must be one of ${values.map((s) => `'${s}'`).join(', ')}`);
  return v as T;
}

function numberOption(fn: string, o: Opts, key: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!isFiniteNumber(v)) throw new TypeError(`px.${fn}: ${key} must be a finite number`);
  return v;
}

function ref(fn: string, o: Opts, key: string, required: boolean): ColumnRef | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new TypeError(`px.${fn}: option ${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string' && !isArrayLikeColumn(v) && !isRowFunction(v)) throw new TypeError(`px.${fn}: ${key} must be a column name, an array or a function of the row`);
  return v;
}

function label(o: Opts, r: ColumnRef | undefined, option: string): string {
  const labels = (o['labels'] ?? {}) as Record<string, unknown>;
  const name = typeof r === 'string' ? r : option;
  const l = labels[name];
  return typeof l === 'string' ? l : name;
}

function palette(o: Opts): readonly string[] {
  const c = o['colors'];
  return Array.isArray(c) && c.length > 0 ? (c as string[]) : DEFAULT_PALETTE;
}

function layoutFor(o: Opts, xTitle: string | undefined, yTitle: string | undefined, legendTitle?: string): Record<string, unknown> {
  const layout: Record<string, unknown> = {};
  if (typeof o['title'] === 'string') layout['title'] = { text: o['title'] };
  if (xTitle !== undefined) layout['xaxis'] = { title: { text: xTitle } };
  if (yTitle !== undefined) layout['yaxis'] = { title: { text: yTitle } };
  if (legendTitle !== undefined) layout['legend'] = { title: { text: legendTitle } };
  if (isFiniteNumber(o['width'])) layout['width'] = o['width'];
  if (isFiniteNumber(o['height'])) layout['height'] = o['height'];
  return layout;
}

/** Group label for a value: nulls are a group of their own, shown as "(null)". */
function groupName(value: unknown): string {
  return value === null || value === undefined ? '(null)' : String(value);
}

interface Groups {
  /** Distinct values in order of first appearance (one entry, `undefined`, when ungrouped). */
  readonly keys: unknown[];
  /** Row indices per group, or `null` for "all rows" when ungrouped. */
  readonly rows: number[][] | null;
}

/** Group ids per row from plain values: nulls (and undefined) are one group; first appearance order. */
function keysFromValues(values: ArrayLike<unknown>): KeyColumn {
  const index = new Map<unknown, number>();
  const keys: unknown[] = [];
  const ids = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? null;
    let g = index.get(v);
    if (g === undefined) {
      g = keys.length;
      index.set(v, g);
      keys.push(v);
    }
    ids[i] = g;
  }
  return { ids, keys };
}

/**
 * The grouping of `ref`: straight from dictionary codes (or a memoised row function) for the
 * base `df`, else from the column's values. Both give the same groups in the same order.
 */
function keyColumn(src: Source, ref: ColumnRef, option: string): KeyColumn {
  const view = src.dataset;
  if (view !== undefined) {
    if (typeof ref === 'string' && view.raw(ref) !== undefined) {
      const keys = view.keys(ref);
      if (keys !== undefined) return keys;
    } else if (isRowFunction(ref)) {
      const keys = datasetFunctionKeys(view, ref);
      if (keys !== undefined) return keys;
    }
  }
  return keysFromValues(src.column(ref, option));
}

/**
 * Values of `ref` for numeric summaries only (aggregation, bins, quartiles, correlation): for a
 * number/int column of the base `df`, its typed array with nulls as NaN, which every summary
 * skips exactly as it skips null.
 */
function numericColumn(src: Source, ref: ColumnRef, option: string): ArrayLike<unknown> {
  const view = src.dataset;
  if (view !== undefined && typeof ref === 'string' && view.raw(ref) !== undefined) {
    const values = view.numeric(ref);
    if (values !== undefined) return values;
  }
  return src.column(ref, option);
}

function groupRows(key: KeyColumn | undefined): Groups {
  if (key === undefined) return { keys: [undefined], rows: null };
  const rows: number[][] = key.keys.map(() => []);
  const ids = key.ids;
  for (let i = 0; i < ids.length; i++) (rows[ids[i] as number] as number[]).push(i);
  return { keys: key.keys, rows };
}

/** Plain array of `values` at `rows` (all rows when `rows` is null); `undefined` → null. */
function pick(values: ArrayLike<unknown>, rows: readonly number[] | null): unknown[] {
  const out: unknown[] = [];
  if (rows === null) for (let i = 0; i < values.length; i++) out.push(values[i] ?? null);
  else for (const r of rows) out.push(values[r] ?? null);
  return out;
}

/** Order for sorting mixed cells: numbers numerically, text by code units, nulls last. */
export function compareValues(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a !== typeof b) return typeof a < typeof b ? -1 : 1;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Sort `keys` ascending and apply the same permutation to `others`, in place; skips sorted input. */
function sortTogether(keys: unknown[], ...others: unknown[][]): void {
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = compareValues(keys[i - 1], keys[i]) <= 0;
  if (sorted) return;
  const order = keys.map((_, i) => i).sort((i, j) => compareValues(keys[i], keys[j]) || i - j);
  for (const arr of [keys, ...others]) {
    const copy = arr.slice();
    for (let i = 0; i < order.length; i++) arr[i] = copy[order[i] as number];
  }
}

/**
 * Aggregate `values` per group id (`ids[row]`, `nIds` groups) over `rows` (all `n` rows when null).
 * @returns the ids in order of first appearance among those rows, and each id's result.
 */
function aggregateIds(ids: ArrayLike<number>, nIds: number, values: ArrayLike<unknown> | undefined, rows: readonly number[] | null, agg: Aggregation, n: number): { order: number[]; result: (id: number) => number | null } {
  const order: number[] = [];
  const count = rows === null ? n : rows.length;
  if (agg === 'sum' || agg === 'mean' || agg === 'count' || agg === 'min' || agg === 'max') {
    // Typed accumulators: the same arithmetic, in the same row order, as createAccumulator's.
    const acc = new Float64Array(nIds);
    const cnt = new Float64Array(nIds);
    const seen = new Uint8Array(nIds);
    const kind = agg === 'count' || values === undefined ? 0 : agg === 'sum' || agg === 'mean' ? 1 : agg === 'min' ? 2 : 3;
    for (let k = 0; k < count; k++) {
      const r = rows === null ? k : (rows[k] as number);
      const id = ids[r] as number;
      if (seen[id] === 0) {
        seen[id] = 1;
        order.push(id);
      }
      if (kind === 0) {
        cnt[id] = (cnt[id] as number) + 1;
        continue;
      }
      const v = (values as ArrayLike<unknown>)[r];
      if (typeof v !== 'number' || v - v !== 0) continue;
      const c = cnt[id] as number;
      if (kind === 1) acc[id] = (acc[id] as number) + v;
      else if (c === 0 || (kind === 2 ? v < (acc[id] as number) : v > (acc[id] as number))) acc[id] = v;
      cnt[id] = c + 1;
    }
    const result = (id: number): number | null => {
      const c = cnt[id] as number;
      if (agg === 'count') return c;
      if (c === 0) return null;
      return agg === 'mean' ? (acc[id] as number) / c : (acc[id] as number);
    };
    return { order, result };
  }
  const accs: (Accumulator | undefined)[] = new Array<Accumulator | undefined>(nIds);
  for (let k = 0; k < count; k++) {
    const r = rows === null ? k : (rows[k] as number);
    const id = ids[r] as number;
    let a = accs[id];
    if (a === undefined) {
      a = accs[id] = createAccumulator(agg);
      order.push(id);
    }
    a.add(values === undefined ? 1 : values[r]);
  }
  return { order, result: (id) => (accs[id] as Accumulator).result() };
}

/** Aggregate `values` per key (restricted to `rows`), keys in first-appearance order; no key → one group per row. */
function aggregateBy(key: KeyColumn | undefined, values: ArrayLike<unknown> | undefined, rows: readonly number[] | null, agg: Aggregation, n: number): { keys: unknown[]; values: (number | null)[] } {
  if (key === undefined) {
    const all = rows ?? Array.from({ length: n }, (_, i) => i);
    const ids = new Int32Array(n);
    all.forEach((r, i) => (ids[r] = i));
    const a = aggregateIds(ids, all.length, values, rows, agg, n);
    return { keys: a.order.map((id) => all[id]), values: a.order.map(a.result) };
  }
  const a = aggregateIds(key.ids, key.keys.length, values, rows, agg, n);
  return { keys: a.order.map((id) => key.keys[id]), values: a.order.map(a.result) };
}

function aggOption(fn: string, o: Opts): Aggregation | undefined {
  return oneOf(fn, o, 'agg', AGGREGATIONS);
}

type XYKind = 'scatter' | 'line' | 'area' | 'bar';

function xyFigure(kind: XYKind, table: TableInput, options: unknown): Figure {
  const fn = `px.${kind}`;
  const o = checkOptions(kind, options);
  const src = toSource(fn, table);
  const horizontal = kind === 'bar' && oneOf(kind, o, 'orientation', ['v', 'h'] as const) === 'h';
  const xRef = ref(kind, o, 'x', false);
  const yRef = ref(kind, o, 'y', false);
  const colorRef = ref(kind, o, 'color', false);
  // Category and value axes: x/y for vertical charts, swapped for horizontal bars.
  const catRef = horizontal ? yRef : xRef;
  const valRef = horizontal ? xRef : yRef;
  if (catRef === undefined && valRef === undefined) throw new TypeError(`${fn}: give at least ${horizontal ? 'x (values)' : 'y'}`);
  let agg = aggOption(kind, o);
  // A bar chart of categories alone counts rows, as plotly express's histogram of a category would.
  if (kind === 'bar' && valRef === undefined) agg ??= 'count';
  if (agg !== undefined && agg !== 'count' && valRef === undefined) throw new TypeError(`${fn}: agg '${agg}' needs ${horizontal ? 'x' : 'y'}`);
  const catOption = horizontal ? 'y' : 'x';
  const valOption = horizontal ? 'x' : 'y';
  // With agg, categories are only grouped and values only summed: read them the fast way.
  const catKeys = agg !== undefined && catRef !== undefined ? keyColumn(src, catRef, catOption) : undefined;
  const cat = catRef === undefined || catKeys !== undefined ? undefined : src.column(catRef, catOption);
  const val = valRef === undefined ? undefined : agg !== undefined ? numericColumn(src, valRef, valOption) : src.column(valRef, valOption);
  const colorKeys = colorRef === undefined ? undefined : keyColumn(src, colorRef, 'color');
  const n = catKeys?.ids.length ?? (cat ?? val ?? colorKeys?.ids ?? []).length;
  const sortByX = (kind === 'line' || kind === 'area') && o['sort'] !== false;
  const groups = groupRows(colorKeys);
  const color = colorKeys;
  const colors = palette(o);
  const traces: Record<string, unknown>[] = [];
  groups.keys.forEach((key, g) => {
    const rows = groups.rows === null ? null : (groups.rows[g] as number[]);
    let cats: unknown[];
    let vals: unknown[];
    if (agg !== undefined) {
      const a = aggregateBy(catKeys, val, rows, agg, n);
      cats = a.keys;
      vals = a.values;
    } else {
      cats = cat === undefined ? (rows ?? pick({ length: n }, null).map((_, i) => i)) : pick(cat, rows);
      vals = val === undefined ? cats.map(() => null) : pick(val, rows);
    }
    if (sortByX) sortTogether(cats, vals);
    const c = colors[g % colors.length] as string;
    const trace: Record<string, unknown> = { type: kind === 'bar' ? 'bar' : kind === 'scatter' && o['render'] === 'webgl' ? 'scattergl' : 'scatter' };
    trace[horizontal ? 'y' : 'x'] = cats;
    trace[horizontal ? 'x' : 'y'] = vals;
    if (color !== undefined) {
      trace['name'] = groupName(key);
      trace['legendgroup'] = groupName(key);
      trace['showlegend'] = true;
    } else {
      trace['name'] = label(o, valRef, horizontal ? 'x' : 'y');
      trace['showlegend'] = false;
    }
    if (kind === 'bar') {
      trace['marker'] = { color: c };
      if (horizontal) trace['orientation'] = 'h';
    } else if (kind === 'scatter') {
      const marker: Record<string, unknown> = { color: c };
      const opacity = numberOption(kind, o, 'opacity');
      const size = numberOption(kind, o, 'size');
      if (opacity !== undefined) marker['opacity'] = opacity;
      if (size !== undefined) marker['size'] = size;
      trace['mode'] = 'markers';
      trace['marker'] = marker;
    } else {
      trace['mode'] = o['markers'] === true ? 'lines+markers' : 'lines';
      trace['line'] = { color: c };
      if (kind === 'area') {
        if (o['stack'] === false) trace['fill'] = 'tozeroy';
        else trace['stackgroup'] = 'one';
      }
    }
    traces.push(trace);
  });
  const catTitle = catRef === undefined ? 'index' : label(o, catRef, horizontal ? 'y' : 'x');
  const valTitle = valRef === undefined ? 'count' : agg !== undefined && agg !== 'sum' ? `${agg} of ${label(o, valRef, horizontal ? 'x' : 'y')}` : label(o, valRef, horizontal ? 'x' : 'y');
  const layout = layoutFor(o, horizontal ? valTitle : catTitle, horizontal ? catTitle : valTitle, color === undefined ? undefined : label(o, colorRef, 'color'));
  if (kind === 'bar') {
    layout['barmode'] = oneOf(kind, o, 'barmode', ['relative', 'group', 'overlay', 'stack'] as const) ?? 'relative';
    const sort = oneOf(kind, o, 'sort', ['ascending', 'descending'] as const);
    if (sort !== undefined) {
      // The y axis runs bottom-up, so "largest first" on a horizontal chart is ascending order.
      const order = horizontal === (sort === 'descending') ? 'total ascending' : 'total descending';
      const axis = layout[horizontal ? 'yaxis' : 'xaxis'] as Record<string, unknown>;
      axis['categoryorder'] = order;
    }
  }
  return { data: traces, layout };
}

/** Shortest readable form of a bin edge: six significant digits. */
function fmt(v: number): string {
  return String(Number(v.toPrecision(6)));
}

const HISTNORMS = ['', 'percent', 'probability', 'density', 'probability density'] as const;

function histogram(table: TableInput, options: unknown): Figure {
  const fn = 'px.histogram';
  const o = checkOptions('histogram', options);
  const src = toSource(fn, table);
  const xRef = ref('histogram', o, 'x', true) as ColumnRef;
  const colorRef = ref('histogram', o, 'color', false);
  const x = numericColumn(src, xRef, 'x');
  const color = colorRef === undefined ? undefined : keyColumn(src, colorRef, 'color');
  const nbins = numberOption('histogram', o, 'nbins') ?? 30;
  if (!Number.isInteger(nbins) || nbins < 1 || nbins > 10_000) throw new TypeError(`${fn}: nbins must be an integer from 1 to 10000`);
  const rangeOpt = o['range'];
  let range: [number, number] | undefined;
  if (rangeOpt !== undefined) {
    if (!Array.isArray(rangeOpt) || rangeOpt.length !== 2 || !isFiniteNumber(rangeOpt[0]) || !isFiniteNumber(rangeOpt[1]) || !(rangeOpt[0] < rangeOpt[1])) {
      throw new TypeError(`${fn}: range must be [min, max] with min < max`);
    }
    range = [rangeOpt[0], rangeOpt[1]];
  }
  const histnorm = oneOf('histogram', o, 'histnorm', HISTNORMS) ?? '';
  const opacity = numberOption('histogram', o, 'opacity');
  const bins = makeBins(x, nbins, range);
  const xTitle = label(o, xRef, 'x');
  const yTitle = histnorm === '' ? 'count' : histnorm;
  const groups = groupRows(color);
  const colors = palette(o);
  const traces: Record<string, unknown>[] = [];
  if (bins !== null) {
    const { edges, width } = bins;
    const last = edges.length - 2;
    const centers = edges.slice(0, -1).map((e, i) => (i === last ? (e + (edges[i + 1] as number)) / 2 : e + width / 2));
    const ranges = centers.map((_, i) => `[${fmt(edges[i] as number)}, ${fmt(edges[i + 1] as number)}${i === last ? ']' : ')'}`);
    groups.keys.forEach((key, g) => {
      const counts = countBins(x, bins, groups.rows === null ? undefined : groups.rows[g]);
      const total = counts.reduce((a, b) => a + b, 0);
      const y = counts.map((c) => {
        switch (histnorm) {
          case '':
            return c;
          case 'percent':
            return total === 0 ? 0 : (100 * c) / total;
          case 'probability':
            return total === 0 ? 0 : c / total;
          case 'density':
            return c / width;
          case 'probability density':
            return total === 0 ? 0 : c / (total * width);
        }
      });
      const name = color === undefined ? xTitle : groupName(key);
      const marker: Record<string, unknown> = { color: colors[g % colors.length] };
      if (opacity !== undefined) marker['opacity'] = opacity;
      traces.push({
        type: 'bar',
        name,
        x: centers,
        y,
        width,
        marker,
        hovertext: ranges,
        hovertemplate: `${xTitle}: %{hovertext}<br>${yTitle}: %{y}<extra>${color === undefined ? '' : name}</extra>`,
        showlegend: color !== undefined,
      });
    });
  }
  const layout = layoutFor(o, xTitle, yTitle, color === undefined ? undefined : label(o, colorRef, 'color'));
  layout['barmode'] = oneOf('histogram', o, 'barmode', ['relative', 'group', 'overlay', 'stack'] as const) ?? 'relative';
  layout['bargap'] = 0;
  return { data: traces, layout };
}

function box(table: TableInput, options: unknown): Figure {
  const fn = 'px.box';
  const o = checkOptions('box', options);
  const src = toSource(fn, table);
  const horizontal = oneOf('box', o, 'orientation', ['v', 'h'] as const) === 'h';
  const valKey = horizontal ? 'x' : 'y';
  const catKey = horizontal ? 'y' : 'x';
  const valRef = ref('box', o, valKey, true) as ColumnRef;
  const catRef = ref('box', o, catKey, false);
  const colorRef = ref('box', o, 'color', false);
  const points = o['points'] ?? 'outliers';
  if (points !== 'outliers' && points !== false) throw new TypeError(`${fn}: points must be 'outliers' or false`);
  const val = numericColumn(src, valRef, valKey);
  const cat = catRef === undefined ? undefined : keyColumn(src, catRef, catKey);
  const color = colorRef === undefined ? undefined : keyColumn(src, colorRef, 'color');
  const valTitle = label(o, valRef, valKey);
  const catOrder = { keys: cat === undefined ? [undefined] : cat.keys };
  const colorGroups = groupRows(color);
  const colors = palette(o);
  // Per (color group, category): collect finite values into typed arrays, which sort numerically and fast.
  const nCats = catOrder.keys.length;
  const catIndex = cat === undefined ? new Int32Array(val.length) : cat.ids;
  const traces: Record<string, unknown>[] = [];
  const outlierTraces: Record<string, unknown>[] = [];
  colorGroups.keys.forEach((key, g) => {
    const rows = colorGroups.rows === null ? null : (colorGroups.rows[g] as number[]);
    const sizes = new Int32Array(nCats);
    const count = rows === null ? val.length : rows.length;
    for (let k = 0; k < count; k++) {
      const r = rows === null ? k : (rows[k] as number);
      if (isFiniteNumber(val[r])) {
        const c = catIndex[r] as number;
        sizes[c] = (sizes[c] as number) + 1;
      }
    }
    const buckets = Array.from(sizes, (s) => new Float64Array(s));
    const fill = new Int32Array(nCats);
    for (let k = 0; k < count; k++) {
      const r = rows === null ? k : (rows[k] as number);
      const v = val[r];
      if (isFiniteNumber(v)) {
        const c = catIndex[r] as number;
        const at = fill[c] as number;
        (buckets[c] as Float64Array)[at] = v;
        fill[c] = at + 1;
      }
    }
    const name = color === undefined ? valTitle : groupName(key);
    const stat = { pos: [] as unknown[], q1: [] as number[], median: [] as number[], q3: [] as number[], lowerfence: [] as number[], upperfence: [] as number[], mean: [] as number[] };
    const outPos: unknown[] = [];
    const outVal: number[] = [];
    buckets.forEach((bucket, c) => {
      const s = boxStats(bucket);
      if (s === null) return;
      const pos = cat !== undefined ? (catOrder.keys[c] ?? null) : color !== undefined ? name : valTitle;
      stat.pos.push(pos === null ? '(null)' : pos);
      stat.q1.push(s.q1);
      stat.median.push(s.median);
      stat.q3.push(s.q3);
      stat.lowerfence.push(s.lowerfence);
      stat.upperfence.push(s.upperfence);
      stat.mean.push(s.mean);
      for (const v of s.outliers) {
        outPos.push(pos === null ? '(null)' : pos);
        outVal.push(v);
      }
    });
    const c = colors[g % colors.length] as string;
    const trace: Record<string, unknown> = {
      type: 'box',
      name,
      [catKey]: stat.pos,
      q1: stat.q1,
      median: stat.median,
      q3: stat.q3,
      lowerfence: stat.lowerfence,
      upperfence: stat.upperfence,
      mean: stat.mean,
      boxpoints: false,
      marker: { color: c },
      legendgroup: name,
      showlegend: color !== undefined,
    };
    if (horizontal) trace['orientation'] = 'h';
    traces.push(trace);
    // With both x and color, Plotly offsets grouped boxes sideways and a points trace would not line up.
    if (points === 'outliers' && outVal.length > 0 && !(cat !== undefined && color !== undefined)) {
      outlierTraces.push({ type: 'scatter', mode: 'markers', name, [catKey]: outPos, [valKey]: outVal, marker: { color: c, size: 4 }, legendgroup: name, showlegend: false, hovertemplate: `${valTitle}: %{${valKey}}<extra>outlier</extra>` });
    }
  });
  const catTitle = catRef === undefined ? undefined : label(o, catRef, catKey);
  const layout = layoutFor(o, horizontal ? valTitle : catTitle, horizontal ? catTitle : valTitle, color === undefined ? undefined : label(o, colorRef, 'color'));
  if (cat !== undefined && color !== undefined) layout['boxmode'] = 'group';
  return { data: [...traces, ...outlierTraces], layout };
}

function pie(table: TableInput, options: unknown): Figure {
  const fn = 'px.pie';
  const o = checkOptions('pie', options);
  const src = toSource(fn, table);
  const namesRef = ref('pie', o, 'names', true) as ColumnRef;
  const valuesRef = ref('pie', o, 'values', false);
  const names = keyColumn(src, namesRef, 'names');
  const values = valuesRef === undefined ? undefined : numericColumn(src, valuesRef, 'values');
  const a = aggregateBy(names, values, null, values === undefined ? 'count' : 'sum', names.ids.length);
  const trace: Record<string, unknown> = {
    type: 'pie',
    name: label(o, namesRef, 'names'),
    labels: a.keys.map(groupName),
    values: a.values.map((v) => v ?? 0),
    marker: { colors: a.keys.map((_, i) => palette(o)[i % palette(o).length]) },
  };
  const hole = numberOption('pie', o, 'hole');
  if (hole !== undefined) {
    if (hole < 0 || hole >= 1) throw new TypeError(`${fn}: hole must be from 0 to below 1`);
    trace['hole'] = hole;
  }
  if (o['sort'] === false) trace['sort'] = false;
  const layout = layoutFor(o, undefined, undefined, label(o, namesRef, 'names'));
  return { data: [trace], layout };
}

function isMatrix(value: unknown): value is HeatmapMatrix {
  if (value === null || typeof value !== 'object' || isTableLike(value) || Array.isArray(value)) return false;
  const z = (value as Record<string, unknown>)['z'];
  return Array.isArray(z) && z.length > 0 && z.every((row) => Array.isArray(row));
}

function heatmapTrace(o: Opts, trace: Record<string, unknown>, zTitle: string | undefined): Record<string, unknown> {
  const zmin = numberOption('heatmap', o, 'zmin');
  const zmax = numberOption('heatmap', o, 'zmax');
  if (zmin !== undefined) trace['zmin'] = zmin;
  if (zmax !== undefined) trace['zmax'] = zmax;
  const scale = o['colorscale'];
  if (scale !== undefined) {
    if (typeof scale !== 'string' && !Array.isArray(scale)) throw new TypeError("px.heatmap: colorscale must be a Plotly colorscale name like 'Viridis' or [[0, color], [1, color]]");
    trace['colorscale'] = scale;
  }
  const text = o['text'];
  if (text === true) trace['texttemplate'] = '%{z:.2f}';
  else if (typeof text === 'string') trace['texttemplate'] = text;
  if (zTitle !== undefined) trace['colorbar'] = { title: { text: zTitle } };
  trace['hoverongaps'] = false;
  return trace;
}

function heatmap(table: TableInput, options: unknown): Figure {
  const fn = 'px.heatmap';
  const o = checkOptions('heatmap', options);
  if (isMatrix(table)) {
    for (const key of ['x', 'y', 'z', 'agg', 'sort']) {
      if (o[key] !== undefined) throw new TypeError(`${fn}: option ${key} applies to long data; a { z, x, y } matrix already has its cells`);
    }
    const rows = table.z.map((row) => Array.from(row, (v) => (isFiniteNumber(v) ? v : null)));
    const trace: Record<string, unknown> = { type: 'heatmap', z: rows };
    if (table.x !== undefined) trace['x'] = Array.from(table.x);
    if (table.y !== undefined) trace['y'] = Array.from(table.y);
    return { data: [heatmapTrace(o, trace, undefined)], layout: layoutFor(o, undefined, undefined) };
  }
  const src = toSource(fn, table);
  const xRef = ref('heatmap', o, 'x', true) as ColumnRef;
  const yRef = ref('heatmap', o, 'y', true) as ColumnRef;
  const zRef = ref('heatmap', o, 'z', false);
  const agg = aggOption('heatmap', o) ?? (zRef === undefined ? 'count' : 'sum');
  if (agg !== 'count' && zRef === undefined) throw new TypeError(`${fn}: agg '${agg}' needs z`);
  const xs = keyColumn(src, xRef, 'x');
  const ys = keyColumn(src, yRef, 'y');
  const z = zRef === undefined ? undefined : numericColumn(src, zRef, 'z');
  const xIndex = xs.ids;
  const yIndex = ys.ids;
  const nx = xs.keys.length;
  const nRows = xIndex.length;
  const cellOf = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) cellOf[r] = (yIndex[r] as number) * nx + (xIndex[r] as number);
  const a = aggregateIds(cellOf, nx * ys.keys.length, z, null, agg, nRows);
  const filled = new Uint8Array(nx * ys.keys.length);
  for (const id of a.order) filled[id] = 1;
  const cells = { at: (cell: number): number | null => (filled[cell] === 1 ? a.result(cell) : null) };
  let xOrder = xs.keys.map((_, i) => i);
  let yOrder = ys.keys.map((_, i) => i);
  if (o['sort'] !== false) {
    xOrder = xOrder.sort((a, b) => compareValues(xs.keys[a], xs.keys[b]));
    yOrder = yOrder.sort((a, b) => compareValues(ys.keys[a], ys.keys[b]));
  }
  const matrix = yOrder.map((yi) => xOrder.map((xi) => cells.at(yi * nx + xi)));
  const zTitle = zRef === undefined ? 'count' : agg === 'sum' ? label(o, zRef, 'z') : `${agg} of ${label(o, zRef, 'z')}`;
  const trace = heatmapTrace(o, { type: 'heatmap', x: xOrder.map((i) => groupName(xs.keys[i])), y: yOrder.map((i) => groupName(ys.keys[i])), z: matrix }, zTitle);
  return { data: [trace], layout: layoutFor(o, label(o, xRef, 'x'), label(o, yRef, 'y')) };
}

/**
 * Pearson correlation matrix of `columns` (pairwise complete rows), ready for `px.heatmap`.
 * Columns default to every column whose first non-null value is a number.
 */
function corr(table: TableInput, columns?: readonly string[]): { z: (number | null)[][]; x: string[]; y: string[] } {
  const src = toSource('px.corr', table);
  let names: string[];
  if (columns === undefined) {
    const view = src.dataset;
    names = src.names.filter((name) => {
      const raw = view?.raw(name);
      if (raw !== undefined) {
        if (raw.kind !== 'number' && raw.kind !== 'int') return false;
        const valid = raw.valid;
        return valid === undefined ? raw.values.length > 0 : valid.includes(1) || valid.some((v) => v !== 0);
      }
      const values = src.column(name, 'columns');
      for (let i = 0; i < values.length; i++) if (values[i] !== null && values[i] !== undefined) return typeof values[i] === 'number';
      return false;
    });
  } else {
    if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) throw new TypeError('px.corr: columns must be an array of column names');
    names = columns.slice();
  }
  const values = names.map((name) => numericColumn(src, name, 'columns'));
  const z = names.map(() => names.map((): number | null => null));
  for (let i = 0; i < names.length; i++) {
    for (let j = i; j < names.length; j++) {
      const r = i === j ? 1 : pearson(values[i] as ArrayLike<unknown>, values[j] as ArrayLike<unknown>);
      (z[i] as (number | null)[])[j] = r;
      (z[j] as (number | null)[])[i] = r;
    }
  }
  return { z, x: names.slice(), y: names.slice() };
}

/** Wrap raw traces (and an optional layout) as a figure, checking the shape early. */
function figure(traces: unknown, layout?: unknown): Figure {
  if (!Array.isArray(traces) || !traces.every((t) => t !== null && typeof t === 'object' && !Array.isArray(t))) {
    throw new TypeError("px.figure: the first argument must be an array of trace objects like [{ type: 'bar', x: [...], y: [...] }]");
  }
  if (layout !== undefined && (layout === null || typeof layout !== 'object' || Array.isArray(layout))) throw new TypeError('px.figure: layout must be an object');
  return { data: traces.slice() as Record<string, unknown>[], layout: { ...(layout as Record<string, unknown> | undefined) } };
}

/** The `px` global. */
export interface Px {
  bar(table: TableInput, options: BarOptions): Figure;
  line(table: TableInput, options: LineOptions): Figure;
  scatter(table: TableInput, options: ScatterOptions): Figure;
  area(table: TableInput, options: AreaOptions): Figure;
  histogram(table: TableInput, options: HistogramOptions): Figure;
  box(table: TableInput, options: BoxOptions): Figure;
  pie(table: TableInput, options: PieOptions): Figure;
  heatmap(table: TableInput | HeatmapMatrix, options?: HeatmapOptions): Figure;
  corr(table: TableInput, columns?: readonly string[]): { z: (number | null)[][]; x: string[]; y: string[] };
  figure(traces: readonly Record<string, unknown>[], layout?: Record<string, unknown>): Figure;
  readonly palette: readonly string[];
}

/** The figure builders, frozen (analyst code cannot swap one out from under another chart). */
export const px: Px = Object.freeze({
  bar: (table: TableInput, options: BarOptions) => xyFigure('bar', table, options),
  line: (table: TableInput, options: LineOptions) => xyFigure('line', table, options),
  scatter: (table: TableInput, options: ScatterOptions) => xyFigure('scatter', table, options),
  area: (table: TableInput, options: AreaOptions) => xyFigure('area', table, options),
  histogram: (table: TableInput, options: HistogramOptions) => histogram(table, options),
  box: (table: TableInput, options: BoxOptions) => box(table, options),
  pie: (table: TableInput, options: PieOptions) => pie(table, options),
  heatmap: (table: TableInput | HeatmapMatrix, options?: HeatmapOptions) => heatmap(table, options),
  corr,
  figure: (traces: readonly Record<string, unknown>[], layout?: Record<string, unknown>) => figure(traces, layout),
  palette: DEFAULT_PALETTE,
});
