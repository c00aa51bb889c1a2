/**
 * `px.density_heatmap` and `px.density_contour`: 2-D histograms binned in the sandbox. The figure
 * carries `heatmap` / `contour` traces with bin centres and the binned `z` (counts, or
 * `histfunc` of `z`, normalised by `histnorm`), never the raw points for the browser to bin.
 * Numeric axes get equal-width bins; text axes one bin per category. Facets share one colour
 * axis; marginals go above and beside. Pure ECMAScript; runs inside the isolate.
 */
import { isFiniteNumber, makeBins } from '../stats.ts';
import type { Bins } from '../stats.ts';
import { toSource } from '../px-source.ts';
import type { ColumnRef, Source } from '../px-source.ts';
import { aggregateIds, columnReader, groupName, numericColumn, orderedKeys, rowAt, rowCount, sizeOf, splitRows } from './groups.ts';
import type { RowSet } from './groups.ts';
import { defaultScale, boolOption, checkOptions, colorscaleOption, fail, label, layoutFor, numberOption, oneOf, palette, rangeOption, ref, thousands } from './options.ts';
import type { Ctx, Figure, Trace } from './options.ts';
import { facetGrid, legendOnce } from './facets.ts';
import { addMarginals, readMarginal } from './marginals.ts';
import { fmt } from './histogram.ts';
import { safeTemplates, templateText } from './templates.ts';

/** An axis of the 2-D histogram: bin index per row (−1: outside or missing), and the labels. */
interface BinAxis {
  readonly index: Int32Array;
  readonly size: number;
  /** Bin centres (numbers) or category names. */
  readonly labels: (number | string)[];
  /** Hover text per bin: `[a, b)` ranges or the category. */
  readonly ranges: string[];
  readonly numeric: boolean;
}

function binAxis(c: Ctx, src: Source, r: ColumnRef, option: 'x' | 'y', nbinsKey: string, rangeKey: string): BinAxis {
  // The first value decides; read per row, so a numeric column of df is never decoded.
  const read = columnReader(src, r, option);
  const n = rowCount(src, [r], [option]);
  let numeric = true;
  for (let i = 0; i < n; i++) {
    const v = read(i);
    if (v === null || v === undefined) continue;
    numeric = typeof v === 'number';
    break;
  }
  if (!numeric) {
    const keys = orderedKeys(c, src, r, option);
    const names = keys.keys.map(groupName);
    return { index: keys.ids, size: names.length, labels: names, ranges: names, numeric: false };
  }
  const values = numericColumn(c, src, r, option);
  const nbins = numberOption(c, nbinsKey, { min: 1, max: 2000, integer: true }) ?? 30;
  const bins: Bins | null = makeBins(values, nbins, rangeOption(c, rangeKey));
  const index = new Int32Array(values.length).fill(-1);
  if (bins === null) return { index, size: 0, labels: [], ranges: [], numeric: true };
  const { edges, width } = bins;
  const nb = edges.length - 1;
  const min = edges[0] as number;
  const max = edges[nb] as number;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isFiniteNumber(v) || v < min || v > max) continue;
    let b = Math.floor((v - min) / width);
    if (b >= nb) b = nb - 1;
    else if (v < (edges[b] as number)) b--;
    else if (b + 1 < nb && v >= (edges[b + 1] as number)) b++;
    index[i] = b;
  }
  const labels = edges.slice(0, -1).map((e, i) => Number(((e + (edges[i + 1] as number)) / 2).toPrecision(12)));
  const ranges = labels.map((_, i) => `[${fmt(edges[i] as number)}, ${fmt(edges[i + 1] as number)}${i === nb - 1 ? ']' : ')'}`);
  return { index, size: nb, labels, ranges, numeric: true };
}

const HISTFUNCS = ['count', 'sum', 'avg', 'min', 'max'] as const;

/** Most cells of one 2-D histogram: past it the figure could not be drawn or sent anyway. */
const MAX_CELLS = 1_000_000;
const HISTNORMS = ['', 'percent', 'probability', 'density', 'probability density'] as const;

/** Binned `z[y][x]` over `rows`. */
function bin2d(
  xa: BinAxis,
  ya: BinAxis,
  z: ArrayLike<unknown> | undefined,
  histfunc: (typeof HISTFUNCS)[number],
  histnorm: (typeof HISTNORMS)[number],
  rows: RowSet,
  n: number,
  area: number,
): (number | null)[][] {
  const cellOf = new Int32Array(n).fill(-1);
  const count = sizeOf(rows, n);
  const picked: number[] = [];
  for (let k = 0; k < count; k++) {
    const r = rowAt(rows, k);
    const xi = xa.index[r] as number;
    const yi = ya.index[r] as number;
    if (xi < 0 || yi < 0) continue;
    cellOf[r] = yi * xa.size + xi;
    picked.push(r);
  }
  const agg = histfunc === 'avg' ? 'mean' : histfunc;
  const a = aggregateIds(cellOf, xa.size * ya.size, histfunc === 'count' ? undefined : z, picked, agg, n);
  const filled = new Uint8Array(xa.size * ya.size);
  for (const id of a.order) filled[id] = 1;
  const cells: (number | null)[][] = [];
  let total = 0;
  for (let yi = 0; yi < ya.size; yi++) {
    const row: (number | null)[] = [];
    for (let xi = 0; xi < xa.size; xi++) {
      const id = yi * xa.size + xi;
      const v = filled[id] === 1 ? a.result(id) : histfunc === 'count' || histfunc === 'sum' ? 0 : null;
      row.push(v);
      if (v !== null) total += v;
    }
    cells.push(row);
  }
  if (histnorm === '') return cells;
  return cells.map((row) =>
    row.map((v) => {
      if (v === null) return null;
      switch (histnorm) {
        case 'percent':
          return total === 0 ? 0 : (100 * v) / total;
        case 'probability':
          return total === 0 ? 0 : v / total;
        case 'density':
          return v / area;
        case 'probability density':
          return total === 0 ? 0 : v / (total * area);
      }
    }),
  );
}

function density(kind: 'density_heatmap' | 'density_contour', table: unknown, options: unknown): Figure {
  const c = checkOptions(kind, options);
  const src = toSource(c.fn, table);
  const xRef = ref(c, 'x', true);
  const yRef = ref(c, 'y', true);
  const zRef = ref(c, 'z', false);
  const histfunc = oneOf(c, 'histfunc', HISTFUNCS) ?? (zRef === undefined ? 'count' : 'sum');
  if (histfunc !== 'count' && zRef === undefined) fail(c, `histfunc '${histfunc}' needs z`);
  const histnorm = oneOf(c, 'histnorm', HISTNORMS) ?? '';
  const xa = binAxis(c, src, xRef, 'x', 'nbinsx', 'range_x');
  const ya = binAxis(c, src, yRef, 'y', 'nbinsy', 'range_y');
  if (xa.size * ya.size > MAX_CELLS) fail(c, `${xa.size} × ${ya.size} bins are too many (at most ${thousands(MAX_CELLS)} cells): use fewer bins or columns with fewer values`);
  const z = zRef === undefined ? undefined : numericColumn(c, src, zRef, 'z');
  const n = xa.index.length;
  const colorRef = kind === 'density_contour' ? ref(c, 'color', false) : undefined;
  const color = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const grid = facetGrid(c, src, null, n);
  const mx = readMarginal(c, 'marginal_x');
  const my = readMarginal(c, 'marginal_y');
  if (grid.faceted && (mx !== undefined || my !== undefined)) fail(c, 'marginal_x / marginal_y cannot be combined with facets');
  const binW = xa.numeric && xa.size > 1 ? (xa.labels[1] as number) - (xa.labels[0] as number) : 1;
  const binH = ya.numeric && ya.size > 1 ? (ya.labels[1] as number) - (ya.labels[0] as number) : 1;
  const xTitle = label(c, xRef, 'x');
  const yTitle = label(c, yRef, 'y');
  const zName = histfunc === 'count' ? 'count' : `${histfunc} of ${label(c, zRef, 'z')}`;
  const zTitle = histnorm === '' ? zName : `${histnorm} (${zName})`;
  const fill = kind === 'density_contour' ? (boolOption(c, 'fill') ?? false) : true;
  const ncontours = kind === 'density_contour' ? numberOption(c, 'ncontours', { min: 1, max: 100, integer: true }) : undefined;
  const colors = palette(c);
  const traces: Trace[] = [];
  const hover = `${templateText(xTitle)}=%{x}<br>${templateText(yTitle)}=%{y}<br>${templateText(zTitle)}=%{z}<extra></extra>`;
  const drawn: { rows: RowSet; all: RowSet; color: string; name: string }[] = [];
  for (const cell of grid.cells) {
    for (const group of splitRows(color, cell.rows, n)) {
      const cells = bin2d(xa, ya, z, histfunc, histnorm, group.rows, n, binW * binH);
      const name = color === undefined ? zTitle : groupName(group.key);
      const col = colors[group.index % colors.length] as string;
      drawn.push({ rows: group.rows, all: group.rows, color: col, name });
      const trace: Trace = { type: kind === 'density_heatmap' ? 'heatmap' : 'contour', name, x: xa.labels, y: ya.labels, z: cells, hovertemplate: hover };
      if (kind === 'density_heatmap' || fill) trace['coloraxis'] = 'coloraxis';
      if (kind === 'density_contour') {
        // As plotly express: contour lines in the group's colour; filled contours share a colour axis.
        trace['contours'] = { coloring: fill ? 'fill' : 'none' };
        if (ncontours !== undefined) trace['ncontours'] = ncontours;
        if (!fill) trace['line'] = { color: col };
        if (color !== undefined) {
          trace['legendgroup'] = name;
          trace['showlegend'] = true;
        }
      } else {
        trace['hoverongaps'] = false;
        const text = c.o['text'];
        if (text === true) trace['texttemplate'] = '%{z:.3g}';
        else if (typeof text === 'string') trace['texttemplate'] = text;
        else if (text !== undefined && text !== false) fail(c, "text must be true, false or a texttemplate like '%{z:.1f}'");
      }
      traces.push(grid.place(trace, cell));
    }
  }
  const layout = layoutFor(c, xTitle, yTitle, color === undefined ? undefined : label(c, colorRef, 'color'));
  if (traces.some((t) => t['coloraxis'] !== undefined)) {
    const axis: Record<string, unknown> = { colorbar: { title: { text: zTitle } } };
    const scale = colorscaleOption(c);
    axis['colorscale'] = scale ?? defaultScale();
    const zmin = kind === 'density_heatmap' ? numberOption(c, 'zmin') : undefined;
    const zmax = kind === 'density_heatmap' ? numberOption(c, 'zmax') : undefined;
    if (zmin !== undefined) axis['cmin'] = zmin;
    if (zmax !== undefined) axis['cmax'] = zmax;
    layout['coloraxis'] = axis;
  }
  const fig: Figure = { data: legendOnce(traces), layout };
  grid.apply(layout);
  if (mx !== undefined || my !== undefined) addMarginals(c, src, fig, { x: mx, y: my }, { xRef, yRef, n, groups: drawn, colorKeys: color });
  return safeTemplates(fig);
}

export const densityHeatmap = (table: unknown, options: unknown): Figure => density('density_heatmap', table, options);
export const densityContour = (table: unknown, options: unknown): Figure => density('density_contour', table, options);
