/**
 * `px.funnel` (values summed per stage and colour, stages in order of first appearance) and
 * `px.timeline` (a horizontal bar per row from `x_start` to `x_end` on a date axis, sampled past
 * `max_points`). Pure ECMAScript; runs inside the isolate.
 */
import { toSource } from '../px-source.ts';
import { aggregateInKeyOrder, columnReader, groupName, numericColumn, orderedKeys, rowCount, splitRows } from './groups.ts';
import { addNote, checkOptions, fail, label, layoutFor, oneOf, palette, ref } from './options.ts';
import type { Figure, Trace } from './options.ts';
import { facetGrid, legendOnce } from './facets.ts';
import { pointBudget } from './sample.ts';
import { dateMs, isoOf } from './dates.ts';
import { categoryAxisOrder } from './box.ts';
import { safeTemplates, templateText } from './templates.ts';

export function funnel(table: unknown, options: unknown): Figure {
  const c = checkOptions('funnel', options);
  const src = toSource(c.fn, table);
  const vertical = oneOf(c, 'orientation', ['v', 'h'] as const) === 'v';
  const valKey = vertical ? 'y' : 'x';
  const stageKey = vertical ? 'x' : 'y';
  const valRef = ref(c, valKey, true);
  const stageRef = ref(c, stageKey, true);
  const colorRef = ref(c, 'color', false);
  const values = numericColumn(c, src, valRef, valKey);
  const stages = orderedKeys(c, src, stageRef, stageKey);
  const color = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const n = values.length;
  const grid = facetGrid(c, src, null, n);
  const colors = palette(c);
  const traces: Trace[] = [];
  for (const cell of grid.cells) {
    for (const group of splitRows(color, cell.rows, n)) {
      // Stages in their global order, so every trace lists them alike.
      const a = aggregateInKeyOrder(stages, values, group.rows, 'sum', n);
      const name = color === undefined ? label(c, valRef, valKey) : groupName(group.key);
      const trace: Trace = {
        type: 'funnel',
        name,
        [stageKey]: a.keys.map(groupName),
        [valKey]: a.values.map((v) => v ?? 0),
        marker: { color: colors[group.index % colors.length] },
        showlegend: color !== undefined,
      };
      if (vertical) trace['orientation'] = 'v';
      if (color !== undefined) trace['legendgroup'] = name;
      traces.push(grid.place(trace, cell));
    }
  }
  const layout = layoutFor(
    c,
    vertical ? label(c, stageRef, stageKey) : label(c, valRef, valKey),
    vertical ? label(c, valRef, valKey) : label(c, stageRef, stageKey),
    color === undefined ? undefined : label(c, colorRef, 'color'),
  );
  categoryAxisOrder(c, layout, vertical ? 'xaxis' : 'yaxis', stageRef, stageKey, stages.keys);
  grid.apply(layout);
  return safeTemplates({ data: legendOnce(traces), layout });
}

export function timeline(table: unknown, options: unknown): Figure {
  const c = checkOptions('timeline', options);
  const src = toSource(c.fn, table);
  const startRef = ref(c, 'x_start', true);
  const endRef = ref(c, 'x_end', true);
  const yRef = ref(c, 'y', false);
  const colorRef = ref(c, 'color', false);
  const starts = columnReader(src, startRef, 'x_start');
  const ends = columnReader(src, endRef, 'x_end');
  const n = rowCount(src, [startRef], ['x_start']);
  const ys = yRef === undefined ? undefined : columnReader(src, yRef, 'y');
  const color = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const budget = pointBudget(c, null, n, 'bars');
  const shown = budget.rows === null ? undefined : new Uint8Array(n);
  if (shown !== undefined && budget.rows !== null) for (let k = 0; k < budget.rows.length; k++) shown[budget.rows[k] as number] = 1;
  const grid = facetGrid(c, src, null, n);
  const colors = palette(c);
  const traces: Trace[] = [];
  const read = (values: (row: number) => unknown, row: number, option: string, r: unknown): number | null => {
    const value = values(row);
    const ms = dateMs(value);
    if (ms !== null && Number.isNaN(ms))
      fail(
        c,
        `${option}: ${typeof r === 'string' ? `column "${r}" ` : ''}must hold dates (ISO text like '2024-03-01', Date objects or epoch milliseconds); row ${row} holds ${JSON.stringify(String(value).slice(0, 40))}`,
      );
    return ms;
  };
  const yTitle = yRef === undefined ? undefined : label(c, yRef, 'y');
  for (const cell of grid.cells) {
    for (const group of splitRows(color, cell.rows, n)) {
      const base: string[] = [];
      const width: number[] = [];
      const cats: unknown[] = [];
      const custom: string[][] = [];
      const count = group.rows === null ? n : group.rows.length;
      for (let k = 0; k < count; k++) {
        const r = group.rows === null ? k : (group.rows[k] as number);
        if (shown !== undefined && shown[r] !== 1) continue;
        const s = read(starts, r, 'x_start', startRef);
        const e = read(ends, r, 'x_end', endRef);
        if (s === null || e === null) continue;
        base.push(isoOf(s));
        width.push(e - s);
        custom.push([isoOf(s), isoOf(e)]);
        if (ys !== undefined) cats.push(ys(r) ?? '(null)');
      }
      if (base.length === 0) continue;
      const name = color === undefined ? '' : groupName(group.key);
      const trace: Trace = {
        type: 'bar',
        orientation: 'h',
        name,
        base,
        x: width,
        customdata: custom,
        marker: { color: colors[group.index % colors.length] },
        hovertemplate: `${yTitle === undefined ? '' : `${templateText(yTitle)}=%{y}<br>`}start=%{customdata[0]}<br>end=%{customdata[1]}<extra>${templateText(name)}</extra>`,
        showlegend: color !== undefined,
      };
      if (ys !== undefined) trace['y'] = cats;
      if (color !== undefined) trace['legendgroup'] = name;
      traces.push(grid.place(trace, cell));
    }
  }
  const layout = layoutFor(c, undefined, yTitle, color === undefined ? undefined : label(c, colorRef, 'color'));
  layout['xaxis'] = { type: 'date' };
  layout['barmode'] = 'overlay';
  grid.apply(layout);
  if (budget.note !== undefined) addNote(layout, budget.note);
  return safeTemplates({ data: legendOnce(traces), layout });
}
