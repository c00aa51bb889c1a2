/**
 * `px.box`: box plots computed in the sandbox (each box a Plotly `box` trace with precomputed
 * quartiles, fences and mean; outliers, capped, as a points trace), one trace per colour group
 * and facet subplot. Also the shared reading of (category, value, colour) options used by the
 * violin and strip builders. Pure ECMAScript; runs inside the isolate.
 */
import { boxSummary, isFiniteNumber } from '../stats.ts';
import { toSource } from '../px-source.ts';
import type { ColumnRef, Source } from '../px-source.ts';
import type { KeyColumn } from '../dataset.ts';
import { groupName, numericColumn, orderedKeys, rowAt, sizeOf, splitRows } from './groups.ts';
import type { RowSet } from './groups.ts';
import { checkOptions, label, layoutFor, oneOf, palette, ref, refName } from './options.ts';
import type { Ctx, Figure, Trace } from './options.ts';
import { facetGrid, legendOnce } from './facets.ts';
import type { FacetGrid } from './facets.ts';
import { safeTemplates, templateText } from './templates.ts';

/** The (category, value, colour) reading shared by box, violin and strip. */
export interface Distribution {
  readonly src: Source;
  readonly horizontal: boolean;
  /** Option names of the value and category axes ('y'/'x', swapped when horizontal). */
  readonly valKey: 'x' | 'y';
  readonly catKey: 'x' | 'y';
  readonly valRef: ColumnRef;
  readonly catRef: ColumnRef | undefined;
  readonly val: ArrayLike<unknown>;
  readonly cat: KeyColumn | undefined;
  readonly color: KeyColumn | undefined;
  readonly colorRef: ColumnRef | undefined;
  readonly n: number;
  readonly valTitle: string;
  readonly catTitle: string | undefined;
  readonly grid: FacetGrid;
  readonly colors: readonly string[];
}

export function readDistribution(c: Ctx, table: unknown): Distribution {
  const src = toSource(c.fn, table);
  const horizontal = oneOf(c, 'orientation', ['v', 'h'] as const) === 'h';
  const valKey = horizontal ? 'x' : 'y';
  const catKey = horizontal ? 'y' : 'x';
  const valRef = ref(c, valKey, true);
  const catRef = ref(c, catKey, false);
  const colorRef = ref(c, 'color', false);
  const val = numericColumn(c, src, valRef, valKey);
  const cat = catRef === undefined ? undefined : orderedKeys(c, src, catRef, catKey);
  const color = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const n = val.length;
  return {
    src,
    horizontal,
    valKey,
    catKey,
    valRef,
    catRef,
    val,
    cat,
    color,
    colorRef,
    n,
    valTitle: label(c, valRef, valKey),
    catTitle: catRef === undefined ? undefined : label(c, catRef, catKey),
    grid: facetGrid(c, src, null, n),
    colors: palette(c),
  };
}

/** Finite values of `val` over `rows`, bucketed by category id (one bucket without categories). */
export function bucketValues(val: ArrayLike<unknown>, cat: KeyColumn | undefined, rows: RowSet, n: number): Float64Array[] {
  const nCats = cat === undefined ? 1 : cat.keys.length;
  const ids = cat?.ids;
  const sizes = new Int32Array(nCats);
  const count = sizeOf(rows, n);
  for (let k = 0; k < count; k++) {
    const r = rowAt(rows, k);
    if (isFiniteNumber(val[r])) {
      const c = ids === undefined ? 0 : (ids[r] as number);
      sizes[c] = (sizes[c] as number) + 1;
    }
  }
  const buckets = Array.from(sizes, (s) => new Float64Array(s));
  const fill = new Int32Array(nCats);
  for (let k = 0; k < count; k++) {
    const r = rowAt(rows, k);
    const v = val[r];
    if (isFiniteNumber(v)) {
      const c = ids === undefined ? 0 : (ids[r] as number);
      const at = fill[c] as number;
      (buckets[c] as Float64Array)[at] = v;
      fill[c] = at + 1;
    }
  }
  return buckets;
}

/** `categoryorder: 'array'` for the category axis when the analyst ordered that column. */
export function categoryAxisOrder(c: Ctx, layout: Record<string, unknown>, axisKey: 'xaxis' | 'yaxis', r: ColumnRef | undefined, option: string, keys: readonly unknown[] | undefined): void {
  const orders = c.o['category_orders'] as Record<string, unknown> | undefined;
  if (r === undefined || keys === undefined || orders === undefined || orders === null || orders[refName(r, option)] === undefined) return;
  const axis = (layout[axisKey] ??= {}) as Record<string, unknown>;
  axis['categoryorder'] = 'array';
  axis['categoryarray'] = keys.map(groupName);
}

export function box(table: unknown, options: unknown): Figure {
  const c = checkOptions('box', options);
  const d = readDistribution(c, table);
  const points = c.o['points'] ?? 'outliers';
  if (points !== 'outliers' && points !== false) throw new TypeError(`${c.fn}: points must be 'outliers' or false`);
  const { cat, color, valKey, catKey, valTitle, grid, colors, n } = d;
  const traces: Trace[] = [];
  const outlierTraces: Trace[] = [];
  for (const cell of grid.cells) {
    for (const group of splitRows(color, cell.rows, n)) {
      const buckets = bucketValues(d.val, cat, group.rows, n);
      const name = color === undefined ? valTitle : groupName(group.key);
      const stat = { pos: [] as unknown[], q1: [] as number[], median: [] as number[], q3: [] as number[], lowerfence: [] as number[], upperfence: [] as number[], mean: [] as number[] };
      const outPos: unknown[] = [];
      const outVal: number[] = [];
      buckets.forEach((bucket, ci) => {
        const s = boxSummary(bucket);
        if (s === null) return;
        const pos = cat !== undefined ? (cat.keys[ci] ?? null) : color !== undefined ? name : valTitle;
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
      const col = colors[group.index % colors.length] as string;
      const trace: Trace = {
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
        marker: { color: col },
        legendgroup: name,
        showlegend: color !== undefined,
      };
      if (d.horizontal) trace['orientation'] = 'h';
      traces.push(grid.place(trace, cell));
      // With both x and color, Plotly offsets grouped boxes sideways and a points trace would not line up.
      if (points === 'outliers' && outVal.length > 0 && !(cat !== undefined && color !== undefined)) {
        outlierTraces.push(
          grid.place(
            {
              type: 'scatter',
              mode: 'markers',
              name,
              [catKey]: outPos,
              [valKey]: outVal,
              marker: { color: col, size: 4 },
              legendgroup: name,
              showlegend: false,
              hovertemplate: `${templateText(valTitle)}: %{${valKey}}<extra>outlier</extra>`,
            },
            cell,
          ),
        );
      }
    }
  }
  const layout = layoutFor(c, d.horizontal ? valTitle : d.catTitle, d.horizontal ? d.catTitle : valTitle, color === undefined ? undefined : label(c, d.colorRef, 'color'));
  if (cat !== undefined && color !== undefined) layout['boxmode'] = 'group';
  categoryAxisOrder(c, layout, d.horizontal ? 'yaxis' : 'xaxis', d.catRef, catKey, cat?.keys);
  grid.apply(layout);
  return safeTemplates({ data: legendOnce([...traces, ...outlierTraces]), layout });
}
