/**
 * Polar builders: `px.scatter_polar` and `px.line_polar` (one point per row, sampled past
 * `max_points`; `line_polar` can `agg` per angle), and `px.bar_polar` (r summed per angle and
 * colour in the sandbox: the stacked bars plotly would draw row by row, as one bar each). Angles
 * are degrees, or categories for text; plotly express's defaults: clockwise from 12 o'clock.
 * Pure ECMAScript; runs inside the isolate.
 */
import { AGGREGATIONS } from '../stats.ts';
import { toSource } from '../px-source.ts';
import { aggregateInKeyOrder, groupName, numericColumn, orderedKeys, pickRows, rowCount, rowPicker, splitRows } from './groups.ts';
import type { RowPicker } from './groups.ts';
import type { KeyColumn } from '../dataset.ts';
import { addNote, boolOption, checkOptions, label, layoutFor, numberOption, oneOf, palette, rangeOption, ref } from './options.ts';
import type { Ctx, Figure, Trace } from './options.ts';
import { legendOnce } from './facets.ts';
import { pointBudget } from './sample.ts';
import { safeTemplates } from './templates.ts';

type Kind = 'scatter_polar' | 'line_polar' | 'bar_polar';

function polarLayout(c: Ctx, layout: Record<string, unknown>, rTitle: string): void {
  const direction = oneOf(c, 'direction', ['clockwise', 'counterclockwise'] as const) ?? 'clockwise';
  const rotation = numberOption(c, 'start_angle', { min: -360, max: 360 }) ?? 90;
  const rangeR = rangeOption(c, 'range_r');
  const radial: Record<string, unknown> = { title: { text: rTitle } };
  if (rangeR !== undefined) radial['range'] = rangeR;
  layout['polar'] = { angularaxis: { direction, rotation }, radialaxis: radial };
}

function polar(kind: Kind, table: unknown, options: unknown): Figure {
  const c = checkOptions(kind, options);
  const src = toSource(c.fn, table);
  const rRef = ref(c, 'r', true);
  const thetaRef = ref(c, 'theta', true);
  const colorRef = ref(c, 'color', false);
  const agg = kind === 'bar_polar' ? 'sum' : kind === 'line_polar' ? oneOf(c, 'agg', AGGREGATIONS) : undefined;
  const r = agg !== undefined ? numericColumn(c, src, rRef, 'r') : undefined;
  const rRead = agg === undefined ? rowPicker(src, rRef, 'r') : undefined;
  const n = r?.length ?? rowCount(src, [rRef], ['r']);
  const thetaKeys = agg !== undefined ? orderedKeys(c, src, thetaRef, 'theta') : undefined;
  const theta = thetaKeys === undefined ? rowPicker(src, thetaRef, 'theta') : undefined;
  const color = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const budget = agg === undefined ? pointBudget(c, null, n, 'points') : { rows: null, note: undefined };
  const colors = palette(c);
  const traces: Trace[] = [];
  const close = kind === 'line_polar' ? (boolOption(c, 'line_close') ?? false) : false;
  const markers = kind === 'line_polar' ? (boolOption(c, 'markers') ?? false) : false;
  for (const group of splitRows(color, budget.rows, n)) {
    let rs: unknown[];
    let ts: unknown[];
    if (agg !== undefined) {
      // Angles in their global order (first appearance or category_orders), alike in every trace.
      const a = aggregateInKeyOrder(thetaKeys as KeyColumn, r, group.rows, agg, n);
      ts = a.keys.map((k) => (typeof k === 'number' ? k : groupName(k)));
      rs = a.values.map((v) => v ?? 0);
    } else {
      ts = pickRows(theta as RowPicker, group.rows, n);
      rs = pickRows(rRead as RowPicker, group.rows, n);
    }
    if (close && rs.length > 0) {
      rs.push(rs[0]);
      ts.push(ts[0]);
    }
    const name = color === undefined ? label(c, rRef, 'r') : groupName(group.key);
    const col = colors[group.index % colors.length] as string;
    const trace: Trace = { type: kind === 'bar_polar' ? 'barpolar' : 'scatterpolar', name, r: rs, theta: ts, showlegend: color !== undefined };
    if (kind === 'bar_polar') trace['marker'] = { color: col };
    else if (kind === 'line_polar') {
      trace['mode'] = markers ? 'lines+markers' : 'lines';
      trace['line'] = { color: col };
    } else {
      const marker: Record<string, unknown> = { color: col };
      const opacity = numberOption(c, 'opacity', { min: 0, max: 1 });
      const size = numberOption(c, 'size', { min: 0, max: 1000 });
      if (opacity !== undefined) marker['opacity'] = opacity;
      if (size !== undefined) marker['size'] = size;
      trace['mode'] = 'markers';
      trace['marker'] = marker;
    }
    if (color !== undefined) trace['legendgroup'] = name;
    traces.push(trace);
  }
  const layout = layoutFor(c, undefined, undefined, color === undefined ? undefined : label(c, colorRef, 'color'));
  polarLayout(c, layout, agg !== undefined && agg !== 'sum' ? `${agg} of ${label(c, rRef, 'r')}` : label(c, rRef, 'r'));
  if (kind === 'bar_polar') {
    const mode = oneOf(c, 'barmode', ['stack', 'overlay'] as const) ?? 'stack';
    (layout['polar'] as Record<string, unknown>)['barmode'] = mode;
  }
  if (budget.note !== undefined) addNote(layout, budget.note);
  return safeTemplates({ data: legendOnce(traces), layout });
}

export const scatterPolar = (table: unknown, options: unknown): Figure => polar('scatter_polar', table, options);
export const linePolar = (table: unknown, options: unknown): Figure => polar('line_polar', table, options);
export const barPolar = (table: unknown, options: unknown): Figure => polar('bar_polar', table, options);
