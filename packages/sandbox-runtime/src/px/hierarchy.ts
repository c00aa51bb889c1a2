/**
 * `px.sunburst`, `px.treemap`, `px.icicle`.
 *
 * With `path` (columns from root to leaf) the tree is aggregated in the sandbox as plotly express
 * does it: one node per distinct path prefix, ids joined with '/', leaf values summed from
 * `values` (rows counted without), every parent the sum of its children (`branchvalues:
 * 'total'`); a numeric `color` becomes the values-weighted mean per node on a colour scale, a
 * text `color` colours a node when all its rows share one value. Past `max_nodes` leaves the
 * smallest of each parent fold into one "(other)" leaf, and the figure says so. With `names` and
 * `parents` (and optional `ids`) the rows are the nodes, passed through.
 * Pure ECMAScript; runs inside the isolate.
 */
import { isFiniteNumber } from '../stats.ts';
import { toSource } from '../px-source.ts';
import type { ColumnRef } from '../px-source.ts';
import { firstIsNumber, groupName, keyColumn, numericColumn, pick } from './groups.ts';
import { defaultScale, addNote, checkOptions, colorscaleOption, fail, label, layoutFor, numberOption, palette, ref, refList, thousands } from './options.ts';
import type { Ctx, Figure, Trace } from './options.ts';
import { safeTemplates } from './templates.ts';

type Kind = 'sunburst' | 'treemap' | 'icicle';

const DEFAULT_MAX_NODES = 5000;
const MAX_ROW_NODES = 100_000;

interface Node {
  /** Filled in for the nodes drawn only (a million-leaf tree builds few strings). */
  id: string;
  readonly label: string;
  readonly parent: number;
  value: number;
  /** Σ value × color (numeric colour). */
  weighted: number;
  /** Colour group id shared by every row of the node, −1 none yet, −2 mixed. */
  colorId: number;
  leaf: boolean;
  /** The "(other)" leaf that holds folded leaves: an id no real label can produce. */
  readonly folded?: boolean;
}

/** A path segment in an id: '/' and '\' escaped so ids stay unique. */
const segment = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\//g, '\\/');

function hierarchy(kind: Kind, table: unknown, options: unknown): Figure {
  const c = checkOptions(kind, options);
  const src = toSource(c.fn, table);
  const path = refList(c, 'path');
  const maxdepth = numberOption(c, 'maxdepth', { min: -1, integer: true });
  const trace: Trace = { type: kind };
  const layout = layoutFor(c, undefined, undefined);
  if (path === undefined) {
    rowNodes(c, src, trace);
  } else {
    for (const key of ['names', 'parents', 'ids']) if (c.o[key] !== undefined) fail(c, `give path, or names and parents, not both (${key})`);
    const note = pathNodes(c, src, path, trace);
    if (note !== undefined) addNote(layout, note);
  }
  if (maxdepth !== undefined) trace['maxdepth'] = maxdepth;
  return safeTemplates({ data: [trace], layout });
}

/** names/parents/ids: every row is a node, as given. */
function rowNodes(c: Ctx, src: ReturnType<typeof toSource>, trace: Trace): void {
  const namesRef = ref(c, 'names', false);
  const parentsRef = ref(c, 'parents', false);
  if (namesRef === undefined || parentsRef === undefined) fail(c, 'give path: [column, …] (root to leaf), or names and parents');
  const names = src.column(namesRef, 'names');
  if (names.length > MAX_ROW_NODES) fail(c, `${thousands(names.length)} nodes are too many to draw (at most ${thousands(MAX_ROW_NODES)}); aggregate with path instead`);
  trace['labels'] = pick(names, null).map(groupName);
  trace['parents'] = pick(src.column(parentsRef, 'parents'), null).map((p) => (p === null ? '' : String(p)));
  const idsRef = ref(c, 'ids', false);
  if (idsRef !== undefined) trace['ids'] = pick(src.column(idsRef, 'ids'), null).map(groupName);
  const valuesRef = ref(c, 'values', false);
  if (valuesRef !== undefined) trace['values'] = pick(numericColumn(c, src, valuesRef, 'values'), null).map((v) => (isFiniteNumber(v) ? v : 0));
  const colorRef = ref(c, 'color', false);
  if (colorRef !== undefined) {
    const colors = numericColumn(c, src, colorRef, 'color');
    trace['marker'] = { colors: pick(colors, null), colorscale: colorscaleOption(c) ?? defaultScale(), showscale: true, colorbar: { title: { text: label(c, colorRef, 'color') } } };
  }
}

/** path: aggregate rows into the tree of path prefixes. */
function pathNodes(c: Ctx, src: ReturnType<typeof toSource>, path: readonly ColumnRef[], trace: Trace): string | undefined {
  const levels = path.map((r, i) => keyColumn(src, r, `path[${i}]`));
  const n = (levels[0] as { ids: Int32Array }).ids.length;
  const valuesRef = ref(c, 'values', false);
  const values = valuesRef === undefined ? undefined : numericColumn(c, src, valuesRef, 'values');
  const colorRef = ref(c, 'color', false);
  let colorNumbers: ArrayLike<unknown> | undefined;
  let colorKeys: { ids: Int32Array; keys: unknown[] } | undefined;
  if (colorRef !== undefined) {
    if (firstIsNumber(src, colorRef, 'color')) colorNumbers = numericColumn(c, src, colorRef, 'color');
    else colorKeys = keyColumn(src, colorRef, 'color');
  }
  const nodes: Node[] = [];
  // Child of node p (−1: root) with level key k → node index.
  const children = new Map<number, number>();
  const widths = levels.map((l) => l.keys.length);
  for (let r = 0; r < n; r++) {
    const v = values === undefined ? 1 : values[r];
    const w = isFiniteNumber(v) ? v : 0;
    let parent = -1;
    for (let d = 0; d < levels.length; d++) {
      const level = levels[d] as { ids: Int32Array; keys: unknown[] };
      const k = level.ids[r] as number;
      const slot = (parent + 1) * (widths[d] as number) + k;
      // Node ids of different depths never collide: depth is folded into the map by level width.
      const mapKey = slot * levels.length + d;
      let node = children.get(mapKey);
      if (node === undefined) {
        node = nodes.length;
        const name = groupName(level.keys[k]);
        nodes.push({ id: '', label: name, parent, value: 0, weighted: 0, colorId: -1, leaf: d === levels.length - 1 });
        children.set(mapKey, node);
      }
      const nd = nodes[node] as Node;
      nd.value += w;
      if (colorNumbers !== undefined) {
        const cv = colorNumbers[r];
        if (isFiniteNumber(cv)) nd.weighted += w * cv;
      } else if (colorKeys !== undefined) {
        const id = colorKeys.ids[r] as number;
        nd.colorId = nd.colorId === -1 ? id : nd.colorId === id ? id : -2;
      }
      parent = node;
    }
  }
  const maxNodes = numberOption(c, 'max_nodes', { min: 1, max: 100_000, integer: true }) ?? DEFAULT_MAX_NODES;
  const leaves = nodes.filter((nd) => nd.leaf);
  let note: string | undefined;
  let keep: Node[] = nodes;
  if (leaves.length > maxNodes) {
    // Keep the largest leaves; fold the others into one "(other)" leaf per parent.
    const ranked = leaves.slice().sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
    const dropped = new Set(ranked.slice(maxNodes));
    const others = new Map<number, Node>();
    keep = [];
    for (const nd of nodes) {
      if (!dropped.has(nd)) {
        keep.push(nd);
        continue;
      }
      let other = others.get(nd.parent);
      if (other === undefined) {
        other = { id: '', label: '(other)', parent: nd.parent, value: 0, weighted: 0, colorId: nd.colorId, leaf: true, folded: true };
        others.set(nd.parent, other);
        keep.push(other);
      }
      other.value += nd.value;
      other.weighted += nd.weighted;
      other.colorId = other.colorId === nd.colorId ? nd.colorId : -2;
    }
    note = `${thousands(dropped.size)} smallest of ${thousands(leaves.length)} leaves folded into “(other)” (max_nodes)`;
  }
  // Parents come before their children in `nodes`, so one pass builds every id from its parent's.
  const idOf = (nd: Node): string => {
    if (nd.id === '') {
      const own = nd.folded === true ? '\\(other)' : segment(nd.label);
      nd.id = nd.parent < 0 ? own : `${idOf(nodes[nd.parent] as Node)}/${own}`;
    }
    return nd.id;
  };
  for (const nd of keep) idOf(nd);
  trace['ids'] = keep.map((nd) => nd.id);
  trace['labels'] = keep.map((nd) => nd.label);
  trace['parents'] = keep.map((nd) => (nd.parent < 0 ? '' : idOf(nodes[nd.parent] as Node)));
  trace['values'] = keep.map((nd) => nd.value);
  trace['branchvalues'] = 'total';
  if (colorNumbers !== undefined) {
    trace['marker'] = {
      colors: keep.map((nd) => (nd.value !== 0 ? nd.weighted / nd.value : null)),
      colorscale: colorscaleOption(c) ?? defaultScale(),
      showscale: true,
      colorbar: { title: { text: label(c, colorRef, 'color') } },
    };
  } else if (colorKeys !== undefined) {
    const colors = palette(c);
    trace['marker'] = { colors: keep.map((nd) => (nd.colorId >= 0 ? colors[nd.colorId % colors.length] : '#d0d4dc')) };
  }
  return note;
}

export const sunburst = (table: unknown, options: unknown): Figure => hierarchy('sunburst', table, options);
export const treemap = (table: unknown, options: unknown): Figure => hierarchy('treemap', table, options);
export const icicle = (table: unknown, options: unknown): Figure => hierarchy('icicle', table, options);
