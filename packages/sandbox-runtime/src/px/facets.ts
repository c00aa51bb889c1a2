/**
 * Facets: `facet_row` / `facet_col` / `facet_col_wrap` split the rows into a grid of subplots laid
 * out as Plotly Express lays them out: subplots numbered from the bottom-left (`x`, `x2`, …), the
 * first facet value at the top-left, `label=value` annotations above columns and right of rows,
 * axes shared through `matches` (tick labels on the outer subplots only) unless `shared_xaxes` /
 * `shared_yaxes` is false. Facet values come in order of first appearance, or `category_orders`.
 * Pure ECMAScript; runs inside the isolate.
 */
import type { Source } from '../px-source.ts';
import type { ColumnRef } from '../px-source.ts';
import { groupName, orderedKeys, rowAt, sizeOf } from './groups.ts';
import type { RowSet } from './groups.ts';
import { boolOption, fail, label, numberOption, ref } from './options.ts';
import type { Ctx, Trace } from './options.ts';
import type { KeyColumn } from '../dataset.ts';

/** One subplot of the grid. */
export interface FacetCell {
  /** 0-based; row 0 is the top row. */
  readonly row: number;
  readonly col: number;
  /** The rows of the table that fall in this subplot. */
  readonly rows: RowSet;
  /** Plotly axis ids of the subplot: `x`, `x2`, …; `y`, `y2`, … */
  readonly xaxis: string;
  readonly yaxis: string;
}

export interface FacetGrid {
  /** False when no facet option was given: one cell, and the figure is laid out as without facets. */
  readonly faceted: boolean;
  readonly cells: readonly FacetCell[];
  /** Put `trace` on the subplot of `cell` (cartesian traces). */
  place(trace: Trace, cell: FacetCell): Trace;
  /** `{ x: [x0, x1], y: [y0, y1] }` of the cell, for domain-based traces (pie). */
  domain(cell: FacetCell): { x: [number, number]; y: [number, number] };
  /**
   * Lay out the subplots: `layout.xaxis` / `layout.yaxis` (as the builder set them) become every
   * subplot's axes, titled on the outer subplots only, plus the facet label annotations.
   */
  apply(layout: Record<string, unknown>, cartesian?: boolean): void;
}

const axisId = (letter: 'x' | 'y', k: number): string => (k === 1 ? letter : `${letter}${k}`);
const axisKey = (letter: 'x' | 'y', k: number): string => (k === 1 ? `${letter}axis` : `${letter}axis${k}`);

interface Facet {
  readonly ref: ColumnRef;
  readonly option: string;
  readonly key: KeyColumn;
}

function readFacet(c: Ctx, src: Source, option: 'facet_row' | 'facet_col'): Facet | undefined {
  const r = ref(c, option, false);
  if (r === undefined) return undefined;
  return { ref: r, option, key: orderedKeys(c, src, r, option) };
}

/** The subplot grid of a builder call; `rows` are the rows the builder draws (all when null). */
export function facetGrid(c: Ctx, src: Source, rows: RowSet, n: number): FacetGrid {
  const rowFacet = readFacet(c, src, 'facet_row');
  const colFacet = readFacet(c, src, 'facet_col');
  const wrap = numberOption(c, 'facet_col_wrap', { min: 0, integer: true });
  const sharedX = boolOption(c, 'shared_xaxes') ?? true;
  const sharedY = boolOption(c, 'shared_yaxes') ?? true;
  if (rowFacet === undefined && colFacet === undefined) {
    for (const key of ['facet_col_wrap', 'facet_row_spacing', 'facet_col_spacing', 'shared_xaxes', 'shared_yaxes']) {
      if (c.o[key] !== undefined) fail(c, `${key} needs facet_row or facet_col`);
    }
    const only: FacetCell = { row: 0, col: 0, rows, xaxis: 'x', yaxis: 'y' };
    return { faceted: false, cells: [only], place: (t) => t, domain: () => ({ x: [0, 1], y: [0, 1] }), apply: () => undefined };
  }
  const wrapped = wrap !== undefined && wrap > 0 && colFacet !== undefined;
  if (wrap !== undefined && wrap > 0 && (colFacet === undefined || rowFacet !== undefined)) fail(c, 'facet_col_wrap needs facet_col and no facet_row');
  const nColValues = colFacet?.key.keys.length ?? 1;
  const nRowValues = rowFacet?.key.keys.length ?? 1;
  const ncols = wrapped ? Math.min(wrap, nColValues) : nColValues;
  const nrows = wrapped ? Math.ceil(nColValues / wrap) : nRowValues;
  if (nrows * ncols > 400) fail(c, `${nrows * ncols} subplots are too many to draw (at most 400); facet on a column with fewer values`);
  // Defaults as plotly express's, shrunk when there are so many subplots that they would not fit.
  const rowGap = numberOption(c, 'facet_row_spacing', { min: 0, max: 0.5 }) ?? Math.min(wrapped ? 0.07 : 0.03, 0.3 / Math.max(1, nrows - 1));
  const colGap = numberOption(c, 'facet_col_spacing', { min: 0, max: 0.5 }) ?? Math.min(0.02, 0.3 / Math.max(1, ncols - 1));
  if (nrows > 1 && rowGap * (nrows - 1) >= 1) fail(c, `facet_row_spacing must be below ${1 / (nrows - 1)} for ${nrows} rows`);
  if (ncols > 1 && colGap * (ncols - 1) >= 1) fail(c, `facet_col_spacing must be below ${1 / (ncols - 1)} for ${ncols} columns`);
  // Row labels sit right of the grid, inside the paper, so the legend (at x = 1.02) clears them.
  const right = rowFacet !== undefined && !wrapped ? 0.97 : 1;
  const width = (right - colGap * (ncols - 1)) / ncols;
  const height = (1 - rowGap * (nrows - 1)) / nrows;

  // Cell of each (row value, column value); rows of the table bucketed by cell.
  const cellOf = (ri: number, ci: number): { row: number; col: number } => (wrapped ? { row: Math.floor(ci / ncols), col: ci % ncols } : { row: ri, col: ci });
  const nCells = nRowValues * nColValues;
  const count = sizeOf(rows, n);
  const sizes = new Int32Array(nCells);
  const rowIds = rowFacet?.key.ids;
  const colIds = colFacet?.key.ids;
  const idOf = (r: number): number => (rowIds === undefined ? 0 : (rowIds[r] as number)) * nColValues + (colIds === undefined ? 0 : (colIds[r] as number));
  for (let k = 0; k < count; k++) {
    const id = idOf(rowAt(rows, k));
    sizes[id] = (sizes[id] as number) + 1;
  }
  const buckets = Array.from(sizes, (s) => new Int32Array(s));
  const fill = new Int32Array(nCells);
  for (let k = 0; k < count; k++) {
    const r = rowAt(rows, k);
    const id = idOf(r);
    (buckets[id] as Int32Array)[fill[id] as number] = r;
    fill[id] = (fill[id] as number) + 1;
  }
  const cells: FacetCell[] = [];
  const labels: { text: string; x: number; y: number; side: 'top' | 'right' }[] = [];
  for (let ri = 0; ri < nRowValues; ri++) {
    for (let ci = 0; ci < nColValues; ci++) {
      const { row, col } = cellOf(ri, ci);
      const k = (nrows - 1 - row) * ncols + col + 1;
      cells.push({ row, col, rows: buckets[ri * nColValues + ci] as Int32Array, xaxis: axisId('x', k), yaxis: axisId('y', k) });
    }
  }
  const domainOf = (cell: FacetCell): { x: [number, number]; y: [number, number] } => {
    const x0 = cell.col * (width + colGap);
    const y1 = 1 - cell.row * (height + rowGap);
    return { x: [round(x0), round(Math.min(1, x0 + width))], y: [round(Math.max(0, y1 - height)), round(y1)] };
  };
  const facetText = (f: Facet, value: unknown): string => `${label(c, f.ref, f.option)}=${groupName(value)}`;
  if (wrapped && colFacet !== undefined) {
    cells.forEach((cell, i) => {
      const d = domainOf(cell);
      labels.push({ text: facetText(colFacet, colFacet.key.keys[i]), x: (d.x[0] + d.x[1]) / 2, y: d.y[1], side: 'top' });
    });
  } else {
    if (colFacet !== undefined) {
      colFacet.key.keys.forEach((v, ci) => {
        const d = domainOf(cells[ci] as FacetCell);
        labels.push({ text: facetText(colFacet, v), x: (d.x[0] + d.x[1]) / 2, y: 1, side: 'top' });
      });
    }
    if (rowFacet !== undefined) {
      rowFacet.key.keys.forEach((v, ri) => {
        const d = domainOf(cells[ri * nColValues] as FacetCell);
        labels.push({ text: facetText(rowFacet, v), x: right, y: (d.y[0] + d.y[1]) / 2, side: 'right' });
      });
    }
  }
  // The lowest cell of each column and the leftmost of each row carry tick labels and titles.
  const bottomOf = new Map<number, number>();
  for (const cell of cells) bottomOf.set(cell.col, Math.max(bottomOf.get(cell.col) ?? 0, cell.row));

  return {
    faceted: true,
    cells,
    place(trace, cell) {
      if (cell.xaxis !== 'x') trace['xaxis'] = cell.xaxis;
      if (cell.yaxis !== 'y') trace['yaxis'] = cell.yaxis;
      return trace;
    },
    domain: domainOf,
    apply(layout, cartesian = true) {
      if (cartesian) {
        const xTemplate = { ...((layout['xaxis'] ?? {}) as Record<string, unknown>) };
        const yTemplate = { ...((layout['yaxis'] ?? {}) as Record<string, unknown>) };
        const xTitle = xTemplate['title'];
        const yTitle = yTemplate['title'];
        delete xTemplate['title'];
        delete yTemplate['title'];
        for (const cell of cells) {
          const k = Number(cell.xaxis.slice(1) || '1');
          const d = domainOf(cell);
          const bottom = bottomOf.get(cell.col) === cell.row;
          const left = cell.col === 0;
          const x: Record<string, unknown> = { ...xTemplate, domain: d.x, anchor: axisId('y', k) };
          const y: Record<string, unknown> = { ...yTemplate, domain: d.y, anchor: axisId('x', k) };
          if (sharedX) {
            if (k !== 1) x['matches'] = 'x';
            if (!bottom) x['showticklabels'] = false;
          }
          if (sharedY) {
            if (k !== 1) y['matches'] = 'y';
            if (!left) y['showticklabels'] = false;
          }
          if (bottom && xTitle !== undefined) x['title'] = xTitle;
          if (left && yTitle !== undefined) y['title'] = yTitle;
          layout[axisKey('x', k)] = x;
          layout[axisKey('y', k)] = y;
        }
      }
      const annotations = Array.isArray(layout['annotations']) ? (layout['annotations'] as unknown[]) : [];
      for (const l of labels) {
        annotations.push(
          l.side === 'top'
            ? { text: l.text, x: round(l.x), y: round(l.y), xref: 'paper', yref: 'paper', xanchor: 'center', yanchor: 'bottom', showarrow: false }
            : { text: l.text, x: right, y: round(l.y), xref: 'paper', yref: 'paper', xanchor: 'left', yanchor: 'middle', xshift: 2, textangle: 90, showarrow: false },
        );
      }
      layout['annotations'] = annotations;
    },
  };
}

/** Domains to 6 decimals: exact enough, and stable in the JSON. */
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** A colour group shows in the legend once, however many subplots it appears in. */
export function legendOnce(traces: Trace[]): Trace[] {
  const seen = new Set<unknown>();
  for (const t of traces) {
    if (t['showlegend'] !== true || t['legendgroup'] === undefined) continue;
    if (seen.has(t['legendgroup'])) t['showlegend'] = false;
    else seen.add(t['legendgroup']);
  }
  return traces;
}
