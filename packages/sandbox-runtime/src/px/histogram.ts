/**
 * `px.histogram`: equal-width bins counted in the sandbox (the figure carries bin centres, widths
 * and counts as bar traces, never the raw values), one trace per colour group and facet subplot,
 * every trace on the same edges; optional marginal plot above. Pure ECMAScript; runs inside the isolate.
 */
import { countBins, makeBins } from '../stats.ts';
import { toSource } from '../px-source.ts';
import { groupName, numericColumn, orderedKeys, splitRows } from './groups.ts';
import { checkOptions, fail, label, layoutFor, numberOption, oneOf, palette, rangeOption, ref } from './options.ts';
import type { Figure, Trace } from './options.ts';
import { facetGrid, legendOnce } from './facets.ts';
import { addMarginals, readMarginal } from './marginals.ts';
import { safeTemplates, templateText } from './templates.ts';

/** Shortest readable form of a bin edge: six significant digits. */
export function fmt(v: number): string {
  return String(Number(v.toPrecision(6)));
}

const HISTNORMS = ['', 'percent', 'probability', 'density', 'probability density'] as const;
export type HistNorm = (typeof HISTNORMS)[number];

/** Normalise bin counts per trace as plotly's `histnorm` does. */
export function normalise(counts: readonly number[], histnorm: HistNorm, width: number): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => {
    switch (histnorm) {
      case '':
        return c;
      case 'percent':
        return total === 0 ? 0 : (100 * c) / total;
      case 'probability':
        return total === 0 ? 0 : c / total;
      case 'density':
        return c / width;
      case 'probability density':
        return total === 0 ? 0 : c / (total * width);
    }
  });
}

export function histogram(table: unknown, options: unknown): Figure {
  const c = checkOptions('histogram', options);
  const src = toSource(c.fn, table);
  const xRef = ref(c, 'x', true);
  const colorRef = ref(c, 'color', false);
  const x = numericColumn(c, src, xRef, 'x');
  const n = x.length;
  const color = colorRef === undefined ? undefined : orderedKeys(c, src, colorRef, 'color');
  const nbins = numberOption(c, 'nbins', { min: 1, max: 10_000, integer: true }) ?? 30;
  const range = rangeOption(c, 'range');
  const histnorm = oneOf(c, 'histnorm', HISTNORMS) ?? '';
  const opacity = numberOption(c, 'opacity', { min: 0, max: 1 });
  if (c.o['marginal'] !== undefined && c.o['marginal_x'] !== undefined) fail(c, 'give marginal or marginal_x, not both');
  const marginal = readMarginal(c, c.o['marginal'] !== undefined ? 'marginal' : 'marginal_x');
  const bins = makeBins(x, nbins, range);
  const xTitle = label(c, xRef, 'x');
  const yTitle = histnorm === '' ? 'count' : histnorm;
  const grid = facetGrid(c, src, null, n);
  if (grid.faceted && marginal !== undefined) fail(c, 'marginal cannot be combined with facets');
  const colors = palette(c);
  const traces: Trace[] = [];
  const drawn: { rows: ArrayLike<number> | null; all: ArrayLike<number> | null; color: string; name: string }[] = [];
  if (bins !== null) {
    const { edges, width } = bins;
    const last = edges.length - 2;
    const centers = edges.slice(0, -1).map((e, i) => (i === last ? (e + (edges[i + 1] as number)) / 2 : e + width / 2));
    const ranges = centers.map((_, i) => `[${fmt(edges[i] as number)}, ${fmt(edges[i + 1] as number)}${i === last ? ']' : ')'}`);
    for (const cell of grid.cells) {
      for (const group of splitRows(color, cell.rows, n)) {
        const counts = countBins(x, bins, group.rows === null ? undefined : group.rows);
        const name = color === undefined ? xTitle : groupName(group.key);
        const c0 = colors[group.index % colors.length] as string;
        const marker: Record<string, unknown> = { color: c0 };
        if (opacity !== undefined) marker['opacity'] = opacity;
        const trace: Trace = {
          type: 'bar',
          name,
          x: centers,
          y: normalise(counts, histnorm, width),
          width,
          marker,
          hovertext: ranges,
          hovertemplate: `${templateText(xTitle)}: %{hovertext}<br>${templateText(yTitle)}: %{y}<extra>${color === undefined ? '' : templateText(name)}</extra>`,
          showlegend: color !== undefined,
        };
        if (color !== undefined) trace['legendgroup'] = name;
        traces.push(grid.place(trace, cell));
        drawn.push({ rows: group.rows, all: group.rows, color: c0, name });
      }
    }
  }
  const layout = layoutFor(c, xTitle, yTitle, color === undefined ? undefined : label(c, colorRef, 'color'));
  layout['barmode'] = oneOf(c, 'barmode', ['relative', 'group', 'overlay', 'stack'] as const) ?? 'relative';
  layout['bargap'] = 0;
  const fig: Figure = { data: legendOnce(traces), layout };
  grid.apply(layout);
  if (marginal !== undefined) addMarginals(c, src, fig, { x: marginal, y: undefined }, { xRef, yRef: xRef, n, groups: drawn, colorKeys: color, nbins });
  return safeTemplates(fig);
}
