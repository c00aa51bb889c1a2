/**
 * Cells: `px.heatmap` (long data aggregated per (x, y), or a ready matrix), `px.imshow` (a
 * matrix or RGB image, averaged in blocks past `max_cells`), `px.corr` (Pearson matrix) and
 * `px.figure` (raw traces). Pure ECMAScript; runs inside the isolate.
 */
import { AGGREGATIONS, correlationMatrix, isFiniteNumber } from '../stats.ts';
import { isArrayLikeColumn, isTableLike, toSource } from '../px-source.ts';
import { aggregateIds, compareValues, groupName, keyColumn, numericToRead } from './groups.ts';
import { defaultScale, addNote, checkOptions, colorscaleOption, fail, label, layoutFor, numberOption, oneOf, ref, thousands } from './options.ts';
import type { Ctx, Figure, Trace } from './options.ts';
import { safeTemplates } from './templates.ts';

/** A ready matrix for `px.heatmap` / `px.imshow`: `z[row][col]`, with optional labels. */
export interface HeatmapMatrix {
  z: readonly (readonly (number | null)[])[];
  x?: readonly unknown[];
  y?: readonly unknown[];
}

function isMatrix(value: unknown): value is HeatmapMatrix {
  if (value === null || typeof value !== 'object' || isTableLike(value) || Array.isArray(value)) return false;
  const z = (value as Record<string, unknown>)['z'];
  return Array.isArray(z) && z.length > 0 && z.every((row) => isArrayLikeColumn(row));
}

function cellsTrace(c: Ctx, trace: Trace, zTitle: string | undefined): Trace {
  const zmin = numberOption(c, 'zmin');
  const zmax = numberOption(c, 'zmax');
  if (zmin !== undefined) trace['zmin'] = zmin;
  if (zmax !== undefined) trace['zmax'] = zmax;
  const scale = colorscaleOption(c);
  if (scale !== undefined) trace['colorscale'] = scale;
  const text = c.o['text'];
  if (text === true) trace['texttemplate'] = '%{z:.2f}';
  else if (typeof text === 'string') trace['texttemplate'] = text;
  else if (text !== undefined && text !== false) fail(c, "text must be true, false or a texttemplate like '%{z:.1f}'");
  if (zTitle !== undefined) trace['colorbar'] = { title: { text: zTitle } };
  trace['hoverongaps'] = false;
  return trace;
}

export function heatmap(table: unknown, options: unknown): Figure {
  const c = checkOptions('heatmap', options);
  if (isMatrix(table)) {
    for (const key of ['x', 'y', 'z', 'agg', 'sort']) if (c.o[key] !== undefined) fail(c, `option ${key} applies to long data; a { z, x, y } matrix already has its cells`);
    const rows = table.z.map((row) => Array.from(row, (v) => (isFiniteNumber(v) ? v : null)));
    const trace: Trace = { type: 'heatmap', z: rows };
    if (table.x !== undefined) trace['x'] = Array.from(table.x);
    if (table.y !== undefined) trace['y'] = Array.from(table.y);
    return safeTemplates({ data: [cellsTrace(c, trace, undefined)], layout: layoutFor(c, undefined, undefined) });
  }
  const src = toSource(c.fn, table);
  const xRef = ref(c, 'x', true);
  const yRef = ref(c, 'y', true);
  const zRef = ref(c, 'z', false);
  const agg = oneOf(c, 'agg', AGGREGATIONS) ?? (zRef === undefined ? 'count' : 'sum');
  if (agg !== 'count' && zRef === undefined) fail(c, `agg '${agg}' needs z`);
  const xs = keyColumn(src, xRef, 'x');
  const ys = keyColumn(src, yRef, 'y');
  // Only aggregated into new numbers: read without a copy.
  const z = zRef === undefined ? undefined : numericToRead(c, src, zRef, 'z');
  const nx = xs.keys.length;
  if (nx * ys.keys.length > 4_000_000) fail(c, `${nx} × ${ys.keys.length} cells are too many to draw (at most 4,000,000): aggregate x or y to fewer values`);
  const nRows = xs.ids.length;
  const cellOf = new Int32Array(nRows);
  for (let r = 0; r < nRows; r++) cellOf[r] = (ys.ids[r] as number) * nx + (xs.ids[r] as number);
  const a = aggregateIds(cellOf, nx * ys.keys.length, z, null, agg, nRows);
  const filled = new Uint8Array(nx * ys.keys.length);
  for (const id of a.order) filled[id] = 1;
  let xOrder = xs.keys.map((_, i) => i);
  let yOrder = ys.keys.map((_, i) => i);
  if (c.o['sort'] !== false) {
    xOrder = xOrder.sort((p, q) => compareValues(xs.keys[p], xs.keys[q]));
    yOrder = yOrder.sort((p, q) => compareValues(ys.keys[p], ys.keys[q]));
  }
  const matrix = yOrder.map((yi) => xOrder.map((xi) => (filled[yi * nx + xi] === 1 ? a.result(yi * nx + xi) : null)));
  const zTitle = zRef === undefined ? 'count' : agg === 'sum' ? label(c, zRef, 'z') : `${agg} of ${label(c, zRef, 'z')}`;
  const trace = cellsTrace(c, { type: 'heatmap', x: xOrder.map((i) => groupName(xs.keys[i])), y: yOrder.map((i) => groupName(ys.keys[i])), z: matrix }, zTitle);
  return safeTemplates({ data: [trace], layout: layoutFor(c, label(c, xRef, 'x'), label(c, yRef, 'y')) });
}

/**
 * Pearson correlation matrix of `columns` (pairwise complete rows), ready for `px.heatmap`.
 * Columns default to every column whose first non-null value is a number.
 */
export function corr(table: unknown, columns?: readonly string[]): { z: (number | null)[][]; x: string[]; y: string[] } {
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
    if (!Array.isArray(columns) || !columns.every((col) => typeof col === 'string')) throw new TypeError('px.corr: columns must be an array of column names');
    names = columns.slice();
  }
  // Only read into new numbers: the dataset's bound arrays, without a per-run copy.
  const values = names.map((name) => numericToRead('px.corr', src, name, 'columns'));
  return { z: correlationMatrix(values), x: names.slice(), y: names.slice() };
}

/** Wrap raw traces (and an optional layout) as a figure, checking the shape early. */
export function figure(traces: unknown, layout?: unknown): Figure {
  if (!Array.isArray(traces) || !traces.every((t) => t !== null && typeof t === 'object' && !Array.isArray(t))) {
    throw new TypeError("px.figure: the first argument must be an array of trace objects like [{ type: 'bar', x: [...], y: [...] }]");
  }
  if (layout !== undefined && (layout === null || typeof layout !== 'object' || Array.isArray(layout))) throw new TypeError('px.figure: layout must be an object');
  return { data: traces.slice() as Record<string, unknown>[], layout: { ...(layout as Record<string, unknown> | undefined) } };
}

/** Cells drawn by `px.imshow` unless `max_cells` says otherwise (≈2 MB of JSON). */
const DEFAULT_MAX_CELLS = 250_000;

/** Average `f × f` blocks of a matrix (nulls skipped); RGB(A) pixels per channel. */
function downsample(z: readonly ArrayLike<unknown>[], f: number, width: number, channels: number): unknown[][] {
  const out: unknown[][] = [];
  const sum = new Float64Array(Math.max(1, channels));
  for (let r0 = 0; r0 < z.length; r0 += f) {
    const row: unknown[] = [];
    for (let c0 = 0; c0 < width; c0 += f) {
      sum.fill(0);
      let count = 0;
      for (let r = r0; r < Math.min(z.length, r0 + f); r++) {
        const src = z[r] as ArrayLike<unknown>;
        for (let col = c0; col < Math.min(width, c0 + f); col++) {
          const v = src[col];
          if (channels === 0) {
            if (!isFiniteNumber(v)) continue;
            sum[0] = (sum[0] as number) + v;
          } else {
            if (!isArrayLikeColumn(v)) continue;
            const px = v as ArrayLike<unknown>;
            for (let ch = 0; ch < channels; ch++) {
              const value = px[ch];
              sum[ch] = (sum[ch] as number) + (isFiniteNumber(value) ? value : 0);
            }
          }
          count++;
        }
      }
      if (count === 0) row.push(null);
      else if (channels === 0) row.push(Number(((sum[0] as number) / count).toPrecision(8)));
      else row.push(Array.from(sum, (s) => Math.round(s / count)));
    }
    out.push(row);
  }
  return out;
}

/** `px.imshow(matrix | { z, x, y } | rgbImage, options)`. */
export function imshow(input: unknown, options: unknown): Figure {
  const c = checkOptions('imshow', options);
  let z: readonly ArrayLike<unknown>[];
  let xLabels: readonly unknown[] | undefined;
  let yLabels: readonly unknown[] | undefined;
  if (isMatrix(input)) {
    z = input.z;
    xLabels = input.x;
    yLabels = input.y;
  } else if (Array.isArray(input) && input.length > 0 && input.every((row) => isArrayLikeColumn(row))) {
    z = input as ArrayLike<unknown>[];
  } else if (isTableLike(input)) {
    fail(c, 'takes a matrix (an array of rows, or { z, x, y } like px.corr returns), not a table; for long data use px.heatmap or px.density_heatmap');
  } else {
    fail(c, 'the first argument must be a matrix: an array of rows of numbers ([[1, 2], [3, 4]]), rows of [r, g, b] pixels, or { z, x, y }');
  }
  const opt = (key: string): readonly unknown[] | undefined => {
    const v = c.o[key];
    if (v === undefined) return undefined;
    if (!isArrayLikeColumn(v)) fail(c, `${key} must be an array of labels`);
    return Array.from(v as ArrayLike<unknown>);
  };
  xLabels = opt('x') ?? xLabels;
  yLabels = opt('y') ?? yLabels;
  const height = z.length;
  const width = Math.max(...z.map((row) => row.length));
  const first = (z[0] as ArrayLike<unknown>)[0];
  const rgb = isArrayLikeColumn(first);
  if (rgb && ![3, 4].includes((first as ArrayLike<unknown>).length)) fail(c, 'image pixels must be [r, g, b] or [r, g, b, a]');
  const maxCells = numberOption(c, 'max_cells', { min: 1, max: 4_000_000, integer: true }) ?? DEFAULT_MAX_CELLS;
  const factor = height * width > maxCells ? Math.ceil(Math.sqrt((height * width) / maxCells)) : 1;
  let cells: unknown[][];
  if (factor > 1) {
    cells = downsample(z, factor, width, rgb ? (first as ArrayLike<unknown>).length : 0);
    const every = (labels: readonly unknown[] | undefined): unknown[] | undefined => labels?.filter((_, i) => i % factor === 0);
    xLabels = every(xLabels);
    yLabels = every(yLabels);
  } else {
    cells = z.map((row) =>
      Array.from({ length: width }, (_, i) => {
        const v = row[i];
        return rgb ? (isArrayLikeColumn(v) ? Array.from(v as ArrayLike<unknown>, (ch) => (isFiniteNumber(ch) ? ch : 0)) : null) : isFiniteNumber(v) ? v : null;
      }),
    );
  }
  const layout = layoutFor(c, label(c, undefined, 'x') === 'x' ? undefined : label(c, undefined, 'x'), label(c, undefined, 'y') === 'y' ? undefined : label(c, undefined, 'y'));
  const origin = oneOf(c, 'origin', ['upper', 'lower'] as const) ?? 'upper';
  const aspect = oneOf(c, 'aspect', ['equal', 'auto'] as const) ?? 'equal';
  const xaxis = (layout['xaxis'] ??= {}) as Record<string, unknown>;
  const yaxis = (layout['yaxis'] ??= {}) as Record<string, unknown>;
  xaxis['constrain'] = 'domain';
  yaxis['constrain'] = 'domain';
  if (origin === 'upper') yaxis['autorange'] = 'reversed';
  if (aspect === 'equal') yaxis['scaleanchor'] = 'x';
  let trace: Trace;
  if (rgb) {
    for (const key of ['zmin', 'zmax', 'colorscale', 'text']) if (c.o[key] !== undefined) fail(c, `${key} applies to matrices of numbers, not to RGB images`);
    trace = { type: 'image', z: cells, colormodel: (first as ArrayLike<unknown>).length === 4 ? 'rgba' : 'rgb' };
    if (factor > 1) {
      trace['dx'] = factor;
      trace['dy'] = factor;
    }
  } else {
    trace = cellsTrace(c, { type: 'heatmap', z: cells }, label(c, undefined, 'color') === 'color' ? undefined : label(c, undefined, 'color'));
    trace['colorscale'] ??= defaultScale();
    if (xLabels !== undefined) trace['x'] = Array.from(xLabels);
    if (yLabels !== undefined) trace['y'] = Array.from(yLabels);
  }
  if (factor > 1)
    addNote(
      layout,
      `averaged in ${factor}×${factor} blocks: ${thousands(width)}×${thousands(height)} → ${thousands(Math.ceil(width / factor))}×${thousands(Math.ceil(height / factor))} cells (max_cells)`,
    );
  return safeTemplates({ data: [trace], layout });
}
