/**
 * Marginal plots (`marginal_x` / `marginal_y` on scatter and the density builders, `marginal` on
 * histogram): a strip above and/or beside the main plot, laid out as Plotly Express does it (main
 * plot 74% of the width/height with a histogram or colour groups, else 84%; axes matched to the
 * main plot's, tick labels hidden), each colour group summarised there: histogram counts, box
 * statistics and violin densities from every row, rug ticks from the rows drawn.
 * Pure ECMAScript; runs inside the isolate.
 */
import { boxSummary, countBins, makeBins } from '../stats.ts';
import type { ColumnRef, Source } from '../px-source.ts';
import type { KeyColumn } from '../dataset.ts';
import { finiteAt, numericColumn, pick } from './groups.ts';
import type { RowSet } from './groups.ts';
import { oneOf } from './options.ts';
import type { Ctx, Figure, Trace } from './options.ts';
import { kde, violinOutline } from './kde.ts';

export type MarginalKind = 'histogram' | 'box' | 'violin' | 'rug';
const KINDS = ['histogram', 'box', 'violin', 'rug'] as const;

export function readMarginal(c: Ctx, key: string): MarginalKind | undefined {
  return oneOf(c, key, KINDS);
}

/** A colour group as the main plot drew it. */
export interface MarginalGroup {
  /** Rows drawn (a sample past max_points): what the rug shows. */
  readonly rows: RowSet;
  /** Every row of the group: what histograms, boxes and violins summarise. */
  readonly all: RowSet;
  readonly color: string;
  readonly name: string;
}

export interface MarginalData {
  readonly xRef: ColumnRef;
  readonly yRef: ColumnRef;
  readonly n: number;
  readonly groups: readonly MarginalGroup[];
  readonly colorKeys: KeyColumn | undefined;
  /** Bins for histogram marginals (default 30). */
  readonly nbins?: number;
}

const round = (v: number): number => Math.round(v * 1e6) / 1e6;

function marginalTraces(kind: MarginalKind, values: ArrayLike<unknown>, along: 'x' | 'y', data: MarginalData, axes: { x: string; y: string }): Trace[] {
  const traces: Trace[] = [];
  const cross = along === 'x' ? 'y' : 'x';
  const common = (g: MarginalGroup): Trace => ({ name: g.name, legendgroup: data.colorKeys === undefined ? undefined : g.name, showlegend: false, xaxis: axes.x, yaxis: axes.y });
  if (kind === 'histogram') {
    const bins = makeBins(values, data.nbins ?? 30);
    if (bins === null) return traces;
    const centers = bins.edges.slice(0, -1).map((e, i) => (e + (bins.edges[i + 1] as number)) / 2);
    for (const g of data.groups) {
      const counts = countBins(values, bins, g.all === null ? undefined : g.all);
      traces.push({
        type: 'bar',
        ...common(g),
        [along]: centers,
        [cross]: counts,
        width: bins.width,
        orientation: along === 'x' ? 'v' : 'h',
        marker: { color: g.color },
        opacity: data.groups.length > 1 ? 0.6 : 1,
      });
    }
  } else if (kind === 'box') {
    for (const g of data.groups) {
      const s = boxSummary(finiteAt(values, g.all));
      if (s === null) continue;
      traces.push({
        type: 'box',
        ...common(g),
        [cross]: [g.name],
        q1: [s.q1],
        median: [s.median],
        q3: [s.q3],
        lowerfence: [s.lowerfence],
        upperfence: [s.upperfence],
        mean: [s.mean],
        boxpoints: false,
        orientation: along === 'x' ? 'h' : 'v',
        marker: { color: g.color },
      });
    }
  } else if (kind === 'violin') {
    data.groups.forEach((g, i) => {
      const d = kde(finiteAt(values, g.all).sort());
      if (d === null) return;
      const scale = Math.max(...d.density);
      const o = violinOutline(d, i, 0.45, scale);
      traces.push({ type: 'scatter', mode: 'lines', ...common(g), [along]: o.v, [cross]: o.p, fill: 'toself', line: { color: g.color, width: 1 }, hoverinfo: 'name' });
    });
  } else {
    for (const g of data.groups) {
      const vs = pick(values, g.rows);
      traces.push({
        type: 'scatter',
        mode: 'markers',
        ...common(g),
        [along]: vs,
        [cross]: vs.map(() => g.name),
        marker: { color: g.color, symbol: along === 'x' ? 'line-ns-open' : 'line-ew-open', size: 8 },
      });
    }
  }
  for (const t of traces) if (t['legendgroup'] === undefined) delete t['legendgroup'];
  return traces;
}

/**
 * Add marginal plots to `fig` (in place): re-lays the main axes into a corner and appends one
 * marginal trace per colour group on new axes.
 */
export function addMarginals(c: Ctx, src: Source, fig: Figure, kinds: { x: MarginalKind | undefined; y: MarginalKind | undefined }, data: MarginalData): void {
  const { x: mx, y: my } = kinds;
  if (mx === undefined && my === undefined) return;
  const layout = fig.layout;
  const grouped = data.colorKeys !== undefined;
  const mainH = mx === undefined ? 1 : (mx === 'histogram' || grouped ? 0.74 : 0.84) * 0.99;
  const mainW = my === undefined ? 1 : (my === 'histogram' || grouped ? 0.74 : 0.84) * 0.995;
  const xaxis = (layout['xaxis'] ??= {}) as Record<string, unknown>;
  const yaxis = (layout['yaxis'] ??= {}) as Record<string, unknown>;
  xaxis['domain'] = [0, round(mainW)];
  yaxis['domain'] = [0, round(mainH)];
  // Subplots numbered from the bottom-left, as make_subplots numbers them.
  const yId = my === undefined ? 0 : 2;
  const xId = mx === undefined ? 0 : my === undefined ? 2 : 3;
  if (mx !== undefined) {
    const values = numericColumn(c, src, data.xRef, 'x');
    const axes = { x: `x${xId}`, y: `y${xId}` };
    layout[`xaxis${xId}`] = { domain: [0, round(mainW)], anchor: axes.y, matches: 'x', showticklabels: false, showgrid: true };
    layout[`yaxis${xId}`] = { domain: [round(mainH + 0.01), 1], anchor: axes.x, showticklabels: false, showgrid: mx === 'histogram', zeroline: false, ticks: '', showline: false };
    fig.data.push(...marginalTraces(mx, values, 'x', data, axes));
  }
  if (my !== undefined) {
    const values = numericColumn(c, src, data.yRef, 'y');
    const axes = { x: `x${yId}`, y: `y${yId}` };
    layout[`xaxis${yId}`] = { domain: [round(mainW + 0.005), 1], anchor: axes.y, showticklabels: false, showgrid: my === 'histogram', zeroline: false, ticks: '', showline: false };
    layout[`yaxis${yId}`] = { domain: [0, round(mainH)], anchor: axes.x, matches: 'y', showticklabels: false, showgrid: true };
    fig.data.push(...marginalTraces(my, values, 'y', data, axes));
  }
  if ((mx === 'histogram' || my === 'histogram') && layout['barmode'] === undefined) layout['barmode'] = 'overlay';
}
