/**
 * `px.bar`, `px.line`, `px.area`, `px.scatter`: one mark per row (sampled past `max_points`), or
 * per category with `agg`; one trace per `color` group and facet subplot; scatter adds
 * trendlines and marginal plots. Pure ECMAScript; runs inside the isolate.
 */
import { AGGREGATIONS } from '../stats.ts';
import { toSource } from '../px-source.ts';
import type { ColumnRef } from '../px-source.ts';
import type { KeyColumn } from '../dataset.ts';
import { aggregateBy, groupName, keyColumn, numericToRead, orderedKeys, pickRows, rowCount, rowPicker, sortTogether, splitRows } from './groups.ts';
import type { RowSet } from './groups.ts';
import { addNote, boolOption, checkOptions, fail, label, layoutFor, numberOption, oneOf, palette, ref } from './options.ts';
import type { Ctx, Figure, Trace } from './options.ts';
import { facetGrid, legendOnce } from './facets.ts';
import { pointBudget } from './sample.ts';
import { safeTemplates } from './templates.ts';
import { readTrend, trendFitter } from './trendline.ts';
import { addMarginals, readMarginal } from './marginals.ts';

export type XYKind = 'scatter' | 'line' | 'area' | 'bar';

const LINE_SHAPES = ['linear', 'spline', 'hv', 'vh', 'hvh', 'vhv'] as const;

/** Keep the rows of `rows` that `mask` marks (the drawn sample). */
function masked(rows: RowSet, mask: Uint8Array | undefined, n: number): RowSet {
  if (mask === undefined) return rows;
  const out: number[] = [];
  const count = rows === null ? n : rows.length;
  for (let k = 0; k < count; k++) {
    const r = rows === null ? k : (rows[k] as number);
    if (mask[r] === 1) out.push(r);
  }
  return out;
}

function markTrace(c: Ctx, kind: XYKind, trace: Trace, color: string, horizontal: boolean): void {
  if (kind === 'bar') {
    trace['marker'] = { color };
    if (horizontal) trace['orientation'] = 'h';
  } else if (kind === 'scatter') {
    const marker: Record<string, unknown> = { color };
    const opacity = numberOption(c, 'opacity', { min: 0, max: 1 });
    const size = numberOption(c, 'size', { min: 0, max: 1000 });
    if (opacity !== undefined) marker['opacity'] = opacity;
    if (size !== undefined) marker['size'] = size;
    trace['mode'] = 'markers';
    trace['marker'] = marker;
  } else {
    trace['mode'] = boolOption(c, 'markers') === true ? 'lines+markers' : 'lines';
    const shape = oneOf(c, 'line_shape', LINE_SHAPES);
    trace['line'] = shape === undefined ? { color } : { color, shape };
    if (kind === 'area') {
      if (boolOption(c, 'stack') === false) trace['fill'] = 'tozeroy';
      else trace['stackgroup'] = 'one';
    }
  }
}

/** `px.bar` / `px.line` / `px.area` / `px.scatter`. */
export function xyFigure(kind: XYKind, table: unknown, options: unknown): Figure {
  const c = checkOptions(kind, options);
  const src = toSource(c.fn, table);
  const horizontal = kind === 'bar' && oneOf(c, 'orientation', ['v', 'h'] as const) === 'h';
  const xRef = ref(c, 'x', false);
  const yRef = ref(c, 'y', false);
  const colorRef = ref(c, 'color', false);
  // Category and value axes: x/y for vertical charts, swapped for horizontal bars.
  const catRef = horizontal ? yRef : xRef;
  const valRef = horizontal ? xRef : yRef;
  if (catRef === undefined && valRef === undefined) fail(c, `give at least ${horizontal ? 'x (values)' : 'y'}`);
  let agg = oneOf(c, 'agg', AGGREGATIONS);
  // A bar chart of categories alone counts rows, as plotly express's histogram of a category would.
  if (kind === 'bar' && valRef === undefined) agg ??= 'count';
  if (agg !== undefined && agg !== 'count' && valRef === undefined) fail(c, `agg '${agg}' needs ${horizontal ? 'x' : 'y'}`);
  const catOption = horizontal ? 'y' : 'x';
  const valOption = horizontal ? 'x' : 'y';
  // With agg, categories are only grouped and values only summed: read them the fast way.
  const catKeys = agg !== undefined && catRef !== undefined ? keyColumn(src, catRef, catOption) : undefined;
  // Without agg, marks are per row: read the rows drawn (a sample past max_points), not whole columns.
  const catRead = catRef === undefined || catKeys !== undefined ? undefined : rowPicker(src, catRef, catOption);
  // Only summed into new numbers (aggregateBy): read without a copy.
  const val = valRef !== undefined && agg !== undefined ? numericToRead(c, src, valRef, valOption) : undefined;
  const valRead = valRef !== undefined && agg === undefined ? rowPicker(src, valRef, valOption) : undefined;
  const colorKeys: KeyColumn | undefined = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const n = catKeys?.ids.length ?? val?.length ?? rowCount(src, [catRef, valRef, colorRef], [catOption, valOption, 'color']);
  const sortByX = (kind === 'line' || kind === 'area') && c.o['sort'] !== false;
  if ((kind === 'line' || kind === 'area') && c.o['sort'] !== undefined) boolOption(c, 'sort');
  const colors = palette(c);
  const trend = kind === 'scatter' ? readTrend(c) : undefined;
  const marginalX = kind === 'scatter' ? readMarginal(c, 'marginal_x') : undefined;
  const marginalY = kind === 'scatter' ? readMarginal(c, 'marginal_y') : undefined;
  if (kind === 'scatter' && c.o['render'] !== undefined) oneOf(c, 'render', ['svg', 'webgl'] as const);
  if (agg !== undefined && (trend !== undefined || marginalX !== undefined || marginalY !== undefined)) fail(c, 'trendline and marginals draw the rows themselves; leave out agg');

  // Per-row marks are sampled past max_points; fits and marginal summaries still use every row.
  const budget = agg === undefined ? pointBudget(c, null, n, kind === 'bar' ? 'bars' : kind === 'scatter' ? 'points' : 'rows') : { rows: null, note: undefined };
  let mask: Uint8Array | undefined;
  if (budget.rows !== null) {
    mask = new Uint8Array(n);
    for (let k = 0; k < budget.rows.length; k++) mask[budget.rows[k] as number] = 1;
  }
  const grid = facetGrid(c, src, null, n);
  const fitTrend = trend !== undefined && xRef !== undefined && yRef !== undefined ? trendFitter(c, src, trend, xRef, yRef, n) : undefined;
  if (trend !== undefined && fitTrend === undefined) fail(c, 'trendline needs both x and y');
  if (grid.faceted && (marginalX !== undefined || marginalY !== undefined)) fail(c, 'marginal_x / marginal_y cannot be combined with facets');
  const traces: Trace[] = [];
  const catTitle = catRef === undefined ? 'index' : label(c, catRef, catOption);
  const valTitle = valRef === undefined ? 'count' : agg !== undefined && agg !== 'sum' ? `${agg} of ${label(c, valRef, valOption)}` : label(c, valRef, valOption);
  const drawn: { rows: RowSet; all: RowSet; index: number; key: unknown; color: string; name: string }[] = [];
  for (const cell of grid.cells) {
    for (const group of splitRows(colorKeys, cell.rows, n)) {
      const rows = masked(group.rows, mask, n);
      let cats: unknown[];
      let vals: unknown[];
      if (agg !== undefined) {
        const a = aggregateBy(catKeys, val, rows, agg, n);
        cats = a.keys;
        vals = a.values;
      } else {
        cats = catRead === undefined ? (rows === null ? Array.from({ length: n }, (_, i) => i) : Array.from(rows)) : pickRows(catRead, rows, n);
        vals = valRead === undefined ? cats.map(() => null) : pickRows(valRead, rows, n);
      }
      if (sortByX) sortTogether(cats, vals);
      const color = colors[group.index % colors.length] as string;
      const trace: Trace = { type: kind === 'bar' ? 'bar' : kind === 'scatter' && c.o['render'] === 'webgl' ? 'scattergl' : 'scatter' };
      trace[horizontal ? 'y' : 'x'] = cats;
      trace[horizontal ? 'x' : 'y'] = vals;
      const name = colorKeys !== undefined ? groupName(group.key) : label(c, valRef, valOption);
      trace['name'] = name;
      if (colorKeys !== undefined) {
        trace['legendgroup'] = name;
        trace['showlegend'] = true;
      } else trace['showlegend'] = false;
      markTrace(c, kind, trace, color, horizontal);
      traces.push(grid.place(trace, cell));
      drawn.push({ rows, all: group.rows, index: group.index, key: group.key, color, name });
      if (fitTrend !== undefined && trend?.scope === 'trace') {
        for (const t of fitTrend.fit(group.rows, { color: trend.color ?? color, name, legendgroup: colorKeys === undefined ? undefined : name })) traces.push(grid.place(t, cell));
      }
    }
    if (fitTrend !== undefined && trend?.scope === 'overall') {
      for (const t of fitTrend.fit(cell.rows, { color: trend.color ?? '#444', name: 'Overall Trendline', legendgroup: undefined })) traces.push(grid.place(t, cell));
    }
  }
  const layout = layoutFor(c, horizontal ? valTitle : catTitle, horizontal ? catTitle : valTitle, colorKeys === undefined ? undefined : label(c, colorRef, 'color'));
  if (kind === 'bar') {
    layout['barmode'] = oneOf(c, 'barmode', ['relative', 'group', 'overlay', 'stack'] as const) ?? 'relative';
    const sort = oneOf(c, 'sort', ['ascending', 'descending'] as const);
    if (sort !== undefined) {
      // The y axis runs bottom-up, so "largest first" on a horizontal chart is ascending order.
      const order = horizontal === (sort === 'descending') ? 'total ascending' : 'total descending';
      const axis = layout[horizontal ? 'yaxis' : 'xaxis'] as Record<string, unknown>;
      axis['categoryorder'] = order;
    }
  }
  const fig: Figure = { data: legendOnce(traces), layout };
  grid.apply(layout);
  if ((marginalX !== undefined || marginalY !== undefined) && xRef !== undefined && yRef !== undefined) {
    addMarginals(c, src, fig, { x: marginalX, y: marginalY }, { xRef, yRef, n, groups: drawn, colorKeys });
  }
  if (budget.note !== undefined) addNote(layout, budget.note);
  const trendNote = fitTrend?.note();
  if (trendNote !== undefined) addNote(layout, trendNote);
  return safeTemplates(fig);
}

export type { ColumnRef };
