/**
 * `px.pie`: values summed per name (rows counted without `values`); with facets, one pie per
 * subplot, each name the same colour in every pie. Pure ECMAScript; runs inside the isolate.
 */
import { toSource } from '../px-source.ts';
import { aggregateIds, groupName, numericColumn, orderedKeys } from './groups.ts';
import { boolOption, checkOptions, label, layoutFor, numberOption, palette, ref } from './options.ts';
import type { Figure, Trace } from './options.ts';
import { facetGrid } from './facets.ts';
import { safeTemplates } from './templates.ts';

export function pie(table: unknown, options: unknown): Figure {
  const c = checkOptions('pie', options);
  const src = toSource(c.fn, table);
  const namesRef = ref(c, 'names', true);
  const valuesRef = ref(c, 'values', false);
  const names = orderedKeys(c, src, namesRef, 'names');
  const values = valuesRef === undefined ? undefined : numericColumn(c, src, valuesRef, 'values');
  const n = names.ids.length;
  const hole = numberOption(c, 'hole', { min: 0, max: 0.99 });
  const sort = boolOption(c, 'sort');
  const colors = palette(c);
  const grid = facetGrid(c, src, null, n);
  const traces: Trace[] = [];
  for (const cell of grid.cells) {
    // Slices in the names' global order (first appearance, or category_orders): alike in every pie.
    const a = aggregateIds(names.ids, names.keys.length, values, cell.rows, values === undefined ? 'count' : 'sum', n);
    const ids = a.order.slice().sort((p, q) => p - q);
    const trace: Trace = {
      type: 'pie',
      name: label(c, namesRef, 'names'),
      labels: ids.map((id) => groupName(names.keys[id])),
      values: ids.map((id) => a.result(id) ?? 0),
      marker: { colors: ids.map((id) => colors[id % colors.length]) },
    };
    if (hole !== undefined) trace['hole'] = hole;
    if (sort === false) trace['sort'] = false;
    if (grid.faceted) trace['domain'] = grid.domain(cell);
    traces.push(trace);
  }
  const layout = layoutFor(c, undefined, undefined, label(c, namesRef, 'names'));
  grid.apply(layout, false);
  return safeTemplates({ data: traces, layout });
}
