/**
 * `px.ecdf`: the empirical cumulative distribution of a column per colour group and facet, as
 * step lines through each distinct value (a run of equal values is one step, as tall as the
 * run). Past `max_points` steps in all (shared by the lines in proportion) each line is thinned
 * evenly, keeping its first and last step (the vertical error stays below k/n for every k-th
 * step kept), and the figure says so.
 * Pure ECMAScript; runs inside the isolate.
 */
import { toSource } from '../px-source.ts';
import { finiteAt, groupName, numericColumn, orderedKeys, splitRows } from './groups.ts';
import { addNote, boolOption, checkOptions, fail, label, layoutFor, oneOf, palette, ref, thousands } from './options.ts';
import type { Figure, Trace } from './options.ts';
import { facetGrid, legendOnce } from './facets.ts';
import { maxPoints } from './sample.ts';
import { safeTemplates } from './templates.ts';

/** Distinct ascending values of `sorted` and how many values are ≤ each. */
export function ecdfSteps(sorted: Float64Array): { x: number[]; atOrBelow: number[] } {
  const x: number[] = [];
  const atOrBelow: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i] as number;
    if (i + 1 < sorted.length && sorted[i + 1] === v) continue;
    x.push(v);
    atOrBelow.push(i + 1);
  }
  return { x, atOrBelow };
}

export function ecdf(table: unknown, options: unknown): Figure {
  const c = checkOptions('ecdf', options);
  const src = toSource(c.fn, table);
  const xRef = ref(c, 'x', false);
  const yRef = ref(c, 'y', false);
  if ((xRef === undefined) === (yRef === undefined)) fail(c, 'give x (vertical steps) or y (horizontal), not both');
  const horizontal = xRef === undefined;
  const valKey = horizontal ? 'y' : 'x';
  const valRef = (xRef ?? yRef) as NonNullable<typeof xRef>;
  const values = numericColumn(c, src, valRef, valKey);
  const n = values.length;
  const colorRef = ref(c, 'color', false);
  const color = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const norm = c.o['ecdfnorm'] === null ? null : (oneOf(c, 'ecdfnorm', ['probability', 'percent'] as const) ?? 'probability');
  const mode = oneOf(c, 'ecdfmode', ['standard', 'complementary', 'reversed'] as const) ?? 'standard';
  const markers = boolOption(c, 'markers') ?? false;
  const drawLines = boolOption(c, 'lines') ?? true;
  if (!markers && !drawLines) fail(c, 'markers and lines cannot both be false');
  const limit = maxPoints(c);
  const grid = facetGrid(c, src, null, n);
  const colors = palette(c);
  const traces: Trace[] = [];
  let thinned = 0;
  let largest = 0;
  // Standard and complementary steps are right-continuous ('hv'); reversed counts values ≥ x,
  // which is left-continuous ('vh'). Horizontal charts swap the two.
  const shape = (mode === 'reversed') !== horizontal ? 'vh' : 'hv';
  const series: { cell: (typeof grid.cells)[number]; index: number; key: unknown; total: number; steps: { x: number[]; atOrBelow: number[] } }[] = [];
  for (const cell of grid.cells) {
    for (const group of splitRows(color, cell.rows, n)) {
      const sorted = finiteAt(values, group.rows).sort();
      if (sorted.length > 0) series.push({ cell, index: group.index, key: group.key, total: sorted.length, steps: ecdfSteps(sorted) });
    }
  }
  // max_points is shared by every line, in proportion to its steps.
  const allSteps = series.reduce((a, l) => a + l.steps.x.length, 0);
  for (const line of series) {
    const { steps, total } = line;
    let keep: number[] = steps.x.map((_, i) => i);
    const share = allSteps <= limit ? keep.length : Math.max(2, Math.floor((limit * keep.length) / allSteps));
    if (keep.length > share) {
      const stride = (keep.length - 1) / (share - 1);
      keep = Array.from({ length: share }, (_, k) => Math.round(k * stride));
      thinned += share;
      largest += steps.x.length;
    }
    const scale = norm === 'probability' ? 1 / total : norm === 'percent' ? 100 / total : 1;
    const full = norm === null ? total : norm === 'percent' ? 100 : 1;
    const xs: number[] = [];
    const ys: number[] = [];
    for (const i of keep) {
      const below = steps.atOrBelow[i] as number;
      // standard: #{v ≤ x}; complementary: #{v > x}; reversed: #{v ≥ x}.
      const count = mode === 'standard' ? below : mode === 'complementary' ? total - below : total - (i === 0 ? 0 : (steps.atOrBelow[i - 1] as number));
      xs.push(steps.x[i] as number);
      ys.push(norm === null ? count : Math.min(full, count * scale));
    }
    const name = color === undefined ? label(c, valRef, valKey) : groupName(line.key);
    const col = colors[line.index % colors.length] as string;
    const trace: Trace = {
      type: 'scatter',
      mode: drawLines && markers ? 'lines+markers' : drawLines ? 'lines' : 'markers',
      name,
      [valKey]: xs,
      [horizontal ? 'x' : 'y']: ys,
      line: { color: col, shape },
      marker: { color: col },
      showlegend: color !== undefined,
    };
    if (color !== undefined) trace['legendgroup'] = name;
    traces.push(grid.place(trace, line.cell));
  }
  const valTitle = label(c, valRef, valKey);
  const yTitle = norm === null ? 'count' : norm === 'percent' ? 'percent' : 'probability';
  const layout = layoutFor(c, horizontal ? yTitle : valTitle, horizontal ? valTitle : yTitle, color === undefined ? undefined : label(c, colorRef, 'color'));
  grid.apply(layout);
  if (thinned > 0) addNote(layout, `ECDF drawn through ${thousands(thinned)} of ${thousands(largest)} steps (max_points)`);
  return safeTemplates({ data: legendOnce(traces), layout });
}
