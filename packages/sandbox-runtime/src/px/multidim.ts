/**
 * Many columns at once: `px.scatter_matrix` (a `splom` trace per colour group),
 * `px.parallel_coordinates` (a `parcoords` trace over numeric columns) — both one mark per row,
 * sampled past `max_points` — and `px.parallel_categories` (a `parcats` trace whose paths are
 * counted in the sandbox: one entry per distinct combination with its count, never one per row).
 * Pure ECMAScript; runs inside the isolate.
 */
import { isFiniteNumber } from '../stats.ts';
import { toSource } from '../px-source.ts';
import type { ColumnRef, Source } from '../px-source.ts';
import type { KeyColumn } from '../dataset.ts';
import { columnReader, firstIsNumber, groupName, numericColumn, orderedKeys, pick, pickRows, rowCount, rowPicker, splitRows } from './groups.ts';
import type { RowPicker } from './groups.ts';
import { defaultScale, addNote, checkOptions, colorscaleOption, fail, label, layoutFor, numberOption, palette, ref, refList } from './options.ts';
import type { Ctx, Figure, Trace } from './options.ts';
import { legendOnce } from './facets.ts';
import { pointBudget } from './sample.ts';
import { safeTemplates } from './templates.ts';

/** The columns of the table whose values are numbers (first non-null value decides). */
function numericNames(src: Source): string[] {
  return src.names.filter((name) => {
    const raw = src.dataset?.raw(name);
    if (raw !== undefined) return raw.kind === 'number' || raw.kind === 'int';
    const values = src.column(name, 'dimensions');
    for (let i = 0; i < values.length; i++) if (values[i] !== null && values[i] !== undefined) return typeof values[i] === 'number';
    return false;
  });
}

function dimensionsOf(c: Ctx, fallback: () => string[]): ColumnRef[] {
  const dims = refList(c, 'dimensions') ?? fallback();
  if (dims.length === 0) fail(c, 'no dimensions: give dimensions: [column, …]');
  if (dims.length > 30) fail(c, `${dims.length} dimensions are too many (at most 30)`);
  return dims;
}

/** Default row budget for multi-column marks: ≈250,000 values in all. */
const budgetFor = (dims: number): number => Math.max(1000, Math.floor(250_000 / dims));

export function scatterMatrix(table: unknown, options: unknown): Figure {
  const c = checkOptions('scatter_matrix', options);
  const src = toSource(c.fn, table);
  const dims = dimensionsOf(c, () => numericNames(src));
  const columns = dims.map((r, i) => rowPicker(src, r, `dimensions[${i}]`));
  const n = rowCount(
    src,
    dims,
    dims.map((_, i) => `dimensions[${i}]`),
  );
  const colorRef = ref(c, 'color', false);
  const color = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const budget = pointBudget(c, null, n, 'points', budgetFor(dims.length));
  const colors = palette(c);
  const marker: Record<string, unknown> = {};
  const opacity = numberOption(c, 'opacity', { min: 0, max: 1 });
  const size = numberOption(c, 'size', { min: 0, max: 100 });
  if (opacity !== undefined) marker['opacity'] = opacity;
  if (size !== undefined) marker['size'] = size;
  const traces: Trace[] = [];
  for (const group of splitRows(color, budget.rows, n)) {
    const name = color === undefined ? '' : groupName(group.key);
    const trace: Trace = {
      type: 'splom',
      name,
      dimensions: dims.map((r, i) => ({ label: label(c, r, `dimensions[${i}]`), values: pickRows(columns[i] as RowPicker, group.rows, n) })),
      marker: { ...marker, color: colors[group.index % colors.length] },
      diagonal: { visible: true },
      showupperhalf: true,
      showlegend: color !== undefined,
    };
    if (color !== undefined) trace['legendgroup'] = name;
    traces.push(trace);
  }
  const layout = layoutFor(c, undefined, undefined, color === undefined ? undefined : label(c, colorRef, 'color'));
  layout['dragmode'] = 'select';
  if (budget.note !== undefined) addNote(layout, budget.note);
  return safeTemplates({ data: legendOnce(traces), layout });
}

export function parallelCoordinates(table: unknown, options: unknown): Figure {
  const c = checkOptions('parallel_coordinates', options);
  const src = toSource(c.fn, table);
  const dims = dimensionsOf(c, () => numericNames(src));
  const columns = dims.map((r, i) => numericColumn(c, src, r, typeof r === 'string' ? 'dimensions' : `dimensions[${i}]`));
  const n = (columns[0] as ArrayLike<unknown>).length;
  const colorRef = ref(c, 'color', false);
  const budget = pointBudget(c, null, n, 'lines', budgetFor(dims.length + 1));
  const trace: Trace = {
    type: 'parcoords',
    dimensions: dims.map((r, i) => ({ label: label(c, r, `dimensions[${i}]`), values: pick(columns[i] as ArrayLike<unknown>, budget.rows).map((v) => (isFiniteNumber(v) ? v : null)) })),
  };
  if (colorRef !== undefined) {
    const values = numericColumn(c, src, colorRef, 'color');
    trace['line'] = {
      color: pick(values, budget.rows).map((v) => (isFiniteNumber(v) ? v : null)),
      colorscale: colorscaleOption(c) ?? defaultScale(),
      showscale: true,
      colorbar: { title: { text: label(c, colorRef, 'color') } },
    };
  } else if (c.o['colorscale'] !== undefined) fail(c, 'colorscale needs color');
  const layout = layoutFor(c, undefined, undefined);
  if (budget.note !== undefined) addNote(layout, budget.note);
  return safeTemplates({ data: [trace], layout });
}

/** Does the column have at most `max` distinct values? (stops reading past max) */
function fewValues(read: (row: number) => unknown, n: number, max: number): boolean {
  const seen = new Set<unknown>();
  for (let i = 0; i < n; i++) {
    seen.add(read(i) ?? null);
    if (seen.size > max) return false;
  }
  return true;
}

export function parallelCategories(table: unknown, options: unknown): Figure {
  const c = checkOptions('parallel_categories', options);
  const src = toSource(c.fn, table);
  const maxCard = numberOption(c, 'dimensions_max_cardinality', { min: 1, max: 1000, integer: true }) ?? 50;
  const colorRef = ref(c, 'color', false);
  const dims = dimensionsOf(c, () => src.names.filter((name) => name !== colorRef && fewValues(columnReader(src, name, 'dimensions'), rowCount(src, [name], ['dimensions']), maxCard)));
  const keys: KeyColumn[] = dims.map((r, i) => orderedKeys(c, src, r, typeof r === 'string' ? r : `dimensions[${i}]`));
  const n = (keys[0] as KeyColumn).ids.length;
  for (let i = 0; i < keys.length; i++) {
    if ((keys[i] as KeyColumn).keys.length > 1000) fail(c, `dimensions[${i}] has ${(keys[i] as KeyColumn).keys.length} distinct values; parallel categories draw at most 1,000 per dimension`);
  }
  // Colour: numbers → the mean per path on a scale; categories → part of the path, one colour each.
  let colorNumbers: ArrayLike<unknown> | undefined;
  let colorKeys: KeyColumn | undefined;
  if (colorRef !== undefined) {
    if (firstIsNumber(src, colorRef, 'color')) colorNumbers = numericColumn(c, src, colorRef, 'color');
    else colorKeys = orderedKeys(c, src, colorRef, 'color');
  }
  const parts = colorKeys === undefined ? keys : [...keys, colorKeys];
  // A path's key: its ids in mixed radix (exact: at most 30 dimensions of ≤1,000 values would
  // overflow, so fall back to text keys past 2^52 combinations).
  const strides: number[] = [];
  let combos = 1;
  for (const k of parts) {
    strides.push(combos);
    combos *= Math.max(1, k.keys.length);
  }
  const numericKey = combos <= 2 ** 52;
  const index = new Map<number | string, number>();
  const paths: number[][] = [];
  const counts: number[] = [];
  const sums: number[] = [];
  const valid: number[] = [];
  for (let r = 0; r < n; r++) {
    let id: number | string = 0;
    if (numericKey) for (let d = 0; d < parts.length; d++) id += ((parts[d] as KeyColumn).ids[r] as number) * (strides[d] as number);
    else id = parts.map((k) => k.ids[r] as number).join(',');
    let p = index.get(id);
    if (p === undefined) {
      p = paths.length;
      index.set(id, p);
      paths.push(parts.map((k) => k.ids[r] as number));
      counts.push(0);
      sums.push(0);
      valid.push(0);
    }
    counts[p] = (counts[p] as number) + 1;
    const cv = colorNumbers === undefined ? undefined : colorNumbers[r];
    if (isFiniteNumber(cv)) {
      sums[p] = (sums[p] as number) + cv;
      valid[p] = (valid[p] as number) + 1;
    }
  }
  const trace: Trace = {
    type: 'parcats',
    dimensions: dims.map((r, d) => ({ label: label(c, r, `dimensions[${d}]`), values: paths.map((p) => groupName((keys[d] as KeyColumn).keys[p[d] as number])) })),
    counts,
  };
  if (colorNumbers !== undefined) {
    trace['line'] = {
      color: paths.map((_, p) => ((valid[p] as number) > 0 ? (sums[p] as number) / (valid[p] as number) : null)),
      colorscale: colorscaleOption(c) ?? defaultScale(),
      showscale: true,
      colorbar: { title: { text: label(c, colorRef, 'color') } },
    };
  } else if (colorKeys !== undefined) {
    const colors = palette(c);
    const k = colorKeys.keys.length;
    const at = keys.length;
    trace['line'] = {
      color: paths.map((p) => p[at] as number),
      // A stepped scale: category i gets colour i.
      colorscale:
        k === 1
          ? [
              [0, colors[0]],
              [1, colors[0]],
            ]
          : colorKeys.keys.flatMap((_, i) => [
              [i / k, colors[i % colors.length]],
              [(i + 1) / k, colors[i % colors.length]],
            ]),
      cmin: -0.5,
      cmax: k - 0.5,
      shape: 'hspline',
    };
  }
  return safeTemplates({ data: [trace], layout: layoutFor(c, undefined, undefined) });
}
