/**
 * Option parsing shared by every px builder: the allowed names come from the catalog, and every
 * refusal is a TypeError whose message names the builder, the option and (where one is involved)
 * the column, so the analyst sees `px.violin: y: column "region" holds text, not numbers`.
 * Pure ECMAScript; runs inside the isolate.
 */
import { isFiniteNumber } from '../stats.ts';
import { isArrayLikeColumn, isRowFunction } from '../px-source.ts';
import type { ColumnRef } from '../px-source.ts';
import { optionsOf } from './catalog.ts';

/** Plotly's default qualitative palette (plotly express `Plotly`), one colour per group, in group order. */
export const DEFAULT_PALETTE: readonly string[] = Object.freeze(['#636efa', '#EF553B', '#00cc96', '#ab63fa', '#FFA15A', '#19d3f3', '#FF6692', '#B6E880', '#FF97FF', '#FECB52']);

const PLASMA = ['#0d0887', '#46039f', '#7201a8', '#9c179e', '#bd3786', '#d8576b', '#ed7953', '#fb9f3a', '#fdca26', '#f0f921'];

/**
 * plotly express's default continuous colour scale (its template's `sequential`: plasma), as
 * fresh stops the analyst may edit. plotly.js has no scale of that name, so it travels as stops,
 * as plotly express sends it.
 */
export function defaultScale(): [number, string][] {
  return PLASMA.map((c, i) => [Math.round((i / 9) * 1e6) / 1e6, c]);
}

/** A Plotly figure as px builds it: JSON-ready plain objects. */
export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export type Trace = Record<string, unknown>;
export type Opts = Readonly<Record<string, unknown>>;

/** One builder call: its name (`bar`), how errors name it (`px.bar`) and its checked options. */
export interface Ctx {
  readonly name: string;
  readonly fn: string;
  readonly o: Opts;
}

/** Throw the analyst-facing error of builder `c`. */
export function fail(c: Ctx | string, message: string): never {
  throw new TypeError(`${typeof c === 'string' ? c : c.fn}: ${message}`);
}

/** Levenshtein distance, bounded: enough to suggest `color` for `colour`. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** Check `options` of builder `name` against the catalog; unknown names are refused with the list (and a suggestion). */
export function checkOptions(name: string, options: unknown, allowed: readonly string[] = optionsOf(name)): Ctx {
  const fn = `px.${name}`;
  if (options === undefined) return { name, fn, o: {} };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) fail(fn, "options must be an object like { x: 'col', y: 'col' }");
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const near = allowed.filter((a) => distance(a, key) <= Math.max(1, Math.floor(key.length / 4))).sort((a, b) => distance(a, key) - distance(b, key))[0];
    fail(fn, `unknown option "${key}"${near === undefined ? '' : ` (did you mean "${near}"?)`} (options: ${allowed.join(', ')})`);
  }
  return { name, fn, o: options as Opts };
}

/** A string option restricted to `values`. */
export function oneOf<T extends string>(c: Ctx, key: string, values: readonly T[]): T | undefined {
  const v = c.o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !values.includes(v as T)) fail(c, `${key} must be one of ${values.map((s) => `'${s}'`).join(', ')}`);
  return v as T;
}

/** A finite number option, optionally bounded and integral. */
export function numberOption(c: Ctx, key: string, bounds: { min?: number; max?: number; integer?: boolean; above?: number } = {}): number | undefined {
  const v = c.o[key];
  if (v === undefined) return undefined;
  const { min, max, integer, above } = bounds;
  const range = integer === true ? 'an integer' : 'a number';
  const limits = above !== undefined ? ` above ${above}` : min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` ≥ ${min}` : max !== undefined ? ` ≤ ${max}` : '';
  if (!isFiniteNumber(v) || (integer === true && !Number.isInteger(v)) || (min !== undefined && v < min) || (max !== undefined && v > max) || (above !== undefined && !(v > above))) {
    fail(c, `${key} must be ${range}${limits}`);
  }
  return v;
}

/** A boolean option. */
export function boolOption(c: Ctx, key: string): boolean | undefined {
  const v = c.o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(c, `${key} must be true or false`);
  return v;
}

/** A string option. */
export function stringOption(c: Ctx, key: string): string | undefined {
  const v = c.o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(c, `${key} must be a string`);
  return v;
}

/** A `[min, max]` option with min < max. */
export function rangeOption(c: Ctx, key: string): [number, number] | undefined {
  const v = c.o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || !isFiniteNumber(v[0]) || !isFiniteNumber(v[1]) || !(v[0] < v[1])) fail(c, `${key} must be [min, max] with min < max`);
  return [v[0], v[1]];
}

/** A column reference: a name, an array (or typed array) of values, or a function of the row. */
export function ref(c: Ctx, key: string, required: true): ColumnRef;
export function ref(c: Ctx, key: string, required: boolean): ColumnRef | undefined;
export function ref(c: Ctx, key: string, required: boolean): ColumnRef | undefined {
  const v = c.o[key];
  if (v === undefined || v === null) {
    if (required) fail(c, `option ${key} is required`);
    return undefined;
  }
  if (!isColumnRef(v)) fail(c, `${key} must be a column name, an array or a function of the row`);
  return v;
}

export function isColumnRef(v: unknown): v is ColumnRef {
  return typeof v === 'string' || isArrayLikeColumn(v) || isRowFunction(v);
}

/** A list of column references (`dimensions`, `path`). */
export function refList(c: Ctx, key: string): ColumnRef[] | undefined {
  const v = c.o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every(isColumnRef)) fail(c, `${key} must be a non-empty array of column names (or arrays, or functions of the row)`);
  return v.slice() as ColumnRef[];
}

/** The display name of a column reference: its `labels` entry, else its name, else the option's name. */
export function label(c: Ctx, r: ColumnRef | undefined, option: string): string {
  const labels = c.o['labels'];
  const name = typeof r === 'string' ? r : option;
  if (labels !== undefined && labels !== null && typeof labels === 'object') {
    const l = (labels as Record<string, unknown>)[name];
    if (typeof l === 'string') return l;
  }
  return name;
}

/** The key `category_orders` and `labels` use for a reference: its column name, or the option name. */
export function refName(r: ColumnRef | undefined, option: string): string {
  return typeof r === 'string' ? r : option;
}

/** Colours for successive groups. */
export function palette(c: Ctx): readonly string[] {
  const v = c.o['colors'];
  if (v === undefined) return DEFAULT_PALETTE;
  if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string')) fail(c, "colors must be a non-empty array of colours like ['#636efa', 'red']");
  return v as string[];
}

/** A continuous colour scale: a Plotly scale name or `[[0, colour], …, [1, colour]]`. */
export function colorscaleOption(c: Ctx, key = 'colorscale'): unknown {
  const v = c.o[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length >= 2 && v.every((s) => Array.isArray(s) && s.length === 2 && isFiniteNumber(s[0]) && typeof s[1] === 'string')) return v.map((s: unknown[]) => [s[0], s[1]]);
  fail(c, `${key} must be a Plotly colorscale name like 'Viridis' or [[0, colour], [1, colour]]`);
}

/** Figure-level layout: title, axis titles, legend title, size. Checks the common options once. */
export function layoutFor(c: Ctx, xTitle: string | undefined, yTitle: string | undefined, legendTitle?: string): Record<string, unknown> {
  const o = c.o;
  const layout: Record<string, unknown> = {};
  const labels = o['labels'];
  if (labels !== undefined && (labels === null || typeof labels !== 'object' || Array.isArray(labels))) fail(c, "labels must be an object like { units: 'Units sold' }");
  if (o['title'] !== undefined && typeof o['title'] !== 'string') fail(c, 'title must be a string');
  if (typeof o['title'] === 'string') layout['title'] = { text: o['title'] };
  if (xTitle !== undefined) layout['xaxis'] = { title: { text: xTitle } };
  if (yTitle !== undefined) layout['yaxis'] = { title: { text: yTitle } };
  if (legendTitle !== undefined) layout['legend'] = { title: { text: legendTitle } };
  const width = numberOption(c, 'width', { min: 10, max: 100_000 });
  const height = numberOption(c, 'height', { min: 10, max: 100_000 });
  if (width !== undefined) layout['width'] = width;
  if (height !== undefined) layout['height'] = height;
  return layout;
}

/** `1234567` → `'1,234,567'` (deterministic: no locale data involved). */
export function thousands(n: number): string {
  const s = String(Math.trunc(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Tell the analyst the figure does not show every row as it is (sampled, folded, downsampled):
 * a subtitle under the figure title, so it is seen with the chart and survives `fig.layout` edits.
 */
export function addNote(layout: Record<string, unknown>, note: string): void {
  const title = (layout['title'] ??= {}) as Record<string, unknown>;
  const sub = (title['subtitle'] ??= {}) as Record<string, unknown>;
  sub['text'] = typeof sub['text'] === 'string' && sub['text'] !== '' ? `${sub['text']}; ${note}` : note;
}
