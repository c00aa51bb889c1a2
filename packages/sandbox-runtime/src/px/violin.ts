/**
 * `px.violin` and `px.strip`.
 *
 * A violin's density is estimated in the sandbox (Gaussian KDE with plotly.js's bandwidth, see
 * kde.ts) and drawn as a filled outline per category, so the figure carries ~200 numbers per
 * violin instead of every row; categories sit at 0, 1, 2, … on a value axis labelled with their
 * names. `box: true` adds the quartile box (precomputed), `points` the outliers or a sample.
 * A strip is every value as a jittered point (Plotly box traces with only their points shown, as
 * plotly express draws it), sampled past `max_points`. Pure ECMAScript; runs inside the isolate.
 */
import { boxStats } from '../stats.ts';
import { groupName, pick, pickRows, rowPicker, splitRows } from './groups.ts';
import { addNote, boolOption, checkOptions, fail, label, layoutFor, numberOption, oneOf, thousands } from './options.ts';
import type { Figure, Trace } from './options.ts';
import { legendOnce } from './facets.ts';
import { pointBudget, sampleRows, maxPoints } from './sample.ts';
import { bucketValues, categoryAxisOrder, readDistribution } from './box.ts';
import { kde, violinOutline } from './kde.ts';
import { safeTemplates } from './templates.ts';

const g6 = (v: number): string => String(Number(v.toPrecision(6)));

export function violin(table: unknown, options: unknown): Figure {
  const c = checkOptions('violin', options);
  const d = readDistribution(c, table);
  const { cat, color, grid, colors, n, horizontal, valTitle } = d;
  const showBox = boolOption(c, 'box') ?? false;
  const points = c.o['points'] ?? 'outliers';
  if (points !== 'outliers' && points !== 'all' && points !== false) fail(c, "points must be 'outliers', 'all' or false");
  const mode = oneOf(c, 'violinmode', ['group', 'overlay'] as const) ?? 'group';
  const bandwidth = numberOption(c, 'bandwidth', { above: 0 });
  const nCats = cat === undefined ? 1 : cat.keys.length;
  const nGroups = color === undefined ? 1 : color.keys.length;
  const slots = mode === 'group' ? nGroups : 1;
  const half = 0.4 / slots;
  const offsetOf = (g: number): number => (mode === 'group' ? (g - (nGroups - 1) / 2) * (0.8 / nGroups) : 0);
  const catNames = cat === undefined ? [color === undefined ? valTitle : ''] : cat.keys.map(groupName);
  const traces: Trace[] = [];
  const extras: Trace[] = [];
  let budgetNote: string | undefined;
  // points: 'all' shares max_points among every violin drawn.
  const limit = Math.max(100, Math.floor(maxPoints(c) / Math.max(1, grid.cells.length * nCats * nGroups)));
  const [vk, pk] = horizontal ? (['x', 'y'] as const) : (['y', 'x'] as const);
  for (const cell of grid.cells) {
    for (const group of splitRows(color, cell.rows, n)) {
      const name = color === undefined ? valTitle : groupName(group.key);
      const col = colors[group.index % colors.length] as string;
      const buckets = bucketValues(d.val, cat, group.rows, n);
      const stats = { pos: [] as number[], q1: [] as number[], median: [] as number[], q3: [] as number[], lowerfence: [] as number[], upperfence: [] as number[], mean: [] as number[] };
      const dots = { v: [] as number[], p: [] as number[] };
      buckets.forEach((bucket, ci) => {
        const s = boxStats(bucket);
        const density = kde(bucket, bandwidth);
        if (s === null || density === null) return;
        const position = ci + offsetOf(group.index);
        const o = violinOutline(density, position, half, Math.max(...density.density));
        // One trace per violin: its statistics are one hover text, not one per outline point.
        const hovertext = `${catNames[ci]}<br>n=${thousands(s.count)}<br>median=${g6(s.median)}<br>q1=${g6(s.q1)}, q3=${g6(s.q3)}<br>bandwidth=${g6(density.bandwidth)}`;
        const outline: Trace = {
          type: 'scatter',
          mode: 'lines',
          name,
          [vk]: o.v,
          [pk]: o.p,
          fill: 'toself',
          fillcolor: col,
          opacity: 0.6,
          line: { color: col, width: 1 },
          hovertext,
          hoverinfo: 'text+name',
          hoveron: 'points+fills',
          legendgroup: name,
          showlegend: color !== undefined,
        };
        traces.push(grid.place(outline, cell));
        stats.pos.push(position);
        stats.q1.push(s.q1);
        stats.median.push(s.median);
        stats.q3.push(s.q3);
        stats.lowerfence.push(s.lowerfence);
        stats.upperfence.push(s.upperfence);
        stats.mean.push(s.mean);
        if (points === 'outliers') {
          for (const v of s.outliers) {
            dots.v.push(v);
            dots.p.push(position);
          }
        } else if (points === 'all') {
          // Every value (a sample past max_points), spread deterministically across the violin.
          const shown = bucket.length > limit ? sampleRows(null, bucket.length, limit) : null;
          if (shown !== null) budgetNote = `points: at most ${thousands(limit)} sampled values per violin (max_points)`;
          const count = shown === null ? bucket.length : shown.length;
          for (let k = 0; k < count; k++) {
            dots.v.push(bucket[shown === null ? k : (shown[k] as number)] as number);
            dots.p.push(Math.round((position + (((k * 0.618034) % 1) - 0.5) * half) * 1e4) / 1e4);
          }
        }
      });
      if (stats.pos.length === 0) continue;
      if (showBox) {
        const b: Trace = {
          type: 'box',
          name,
          [pk]: stats.pos,
          q1: stats.q1,
          median: stats.median,
          q3: stats.q3,
          lowerfence: stats.lowerfence,
          upperfence: stats.upperfence,
          mean: stats.mean,
          width: half * 0.3,
          boxpoints: false,
          fillcolor: '#ffffff',
          line: { color: col, width: 1 },
          legendgroup: name,
          showlegend: false,
        };
        if (horizontal) b['orientation'] = 'h';
        extras.push(grid.place(b, cell));
      }
      if (dots.v.length > 0) {
        extras.push(
          grid.place({ type: 'scatter', mode: 'markers', name, [vk]: dots.v, [pk]: dots.p, marker: { color: col, size: 4 }, legendgroup: name, showlegend: false, hoverinfo: `${vk}+name` }, cell),
        );
      }
    }
  }
  const catTitle = d.catTitle;
  const layout = layoutFor(c, horizontal ? valTitle : catTitle, horizontal ? catTitle : valTitle, color === undefined ? undefined : label(c, d.colorRef, 'color'));
  const catAxis = (layout[horizontal ? 'yaxis' : 'xaxis'] ??= {}) as Record<string, unknown>;
  Object.assign(catAxis, { tickmode: 'array', tickvals: catNames.map((_, i) => i), ticktext: catNames, range: [-0.5, nCats - 0.5], zeroline: false, showgrid: false });
  const fig: Figure = { data: legendOnce([...traces, ...extras]), layout };
  grid.apply(layout);
  if (budgetNote !== undefined) addNote(layout, budgetNote);
  return safeTemplates(fig);
}

export function strip(table: unknown, options: unknown): Figure {
  const c = checkOptions('strip', options);
  const d = readDistribution(c, table);
  const { cat, color, grid, colors, n, horizontal, valTitle, valKey, catKey } = d;
  const mode = oneOf(c, 'stripmode', ['group', 'overlay'] as const) ?? 'group';
  const budget = pointBudget(c, null, n, 'points');
  const shown = budget.rows === null ? undefined : new Uint8Array(n);
  if (shown !== undefined && budget.rows !== null) for (let k = 0; k < budget.rows.length; k++) shown[budget.rows[k] as number] = 1;
  const catRead = d.catRef === undefined ? undefined : rowPicker(d.src, d.catRef, catKey);
  const traces: Trace[] = [];
  for (const cell of grid.cells) {
    for (const group of splitRows(color, cell.rows, n)) {
      const rows: number[] = [];
      const count = group.rows === null ? n : group.rows.length;
      for (let k = 0; k < count; k++) {
        const r = group.rows === null ? k : (group.rows[k] as number);
        if (shown === undefined || shown[r] === 1) rows.push(r);
      }
      if (rows.length === 0) continue;
      const name = color === undefined ? valTitle : groupName(group.key);
      const col = colors[group.index % colors.length] as string;
      const trace: Trace = {
        type: 'box',
        name,
        [valKey]: pick(d.val, rows),
        boxpoints: 'all',
        jitter: 1,
        pointpos: 0,
        fillcolor: 'rgba(255,255,255,0)',
        line: { color: 'rgba(255,255,255,0)' },
        hoveron: 'points',
        marker: { color: col, size: 5 },
        legendgroup: name,
        showlegend: color !== undefined,
      };
      if (catRead !== undefined) trace[catKey] = pickRows(catRead, rows, n).map((v) => (v === null ? '(null)' : v));
      if (horizontal) trace['orientation'] = 'h';
      traces.push(grid.place(trace, cell));
    }
  }
  const layout = layoutFor(c, horizontal ? valTitle : d.catTitle, horizontal ? d.catTitle : valTitle, color === undefined ? undefined : label(c, d.colorRef, 'color'));
  layout['boxmode'] = color !== undefined && mode === 'group' ? 'group' : 'overlay';
  categoryAxisOrder(c, layout, horizontal ? 'yaxis' : 'xaxis', d.catRef, catKey, cat?.keys);
  grid.apply(layout);
  if (budget.note !== undefined) addNote(layout, budget.note);
  return safeTemplates({ data: legendOnce(traces), layout });
}
