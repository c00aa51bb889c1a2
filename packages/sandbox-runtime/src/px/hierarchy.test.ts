import { test } from 'node:test';
import assert from 'node:assert/strict';
import { px } from '../px.ts';

type Obj = Record<string, unknown>;

const t = {
  region: ['N', 'N', 'S', 'S', 'S', 'N'],
  product: ['p1', 'p2', 'p1', 'p1', 'p3', 'p1'],
  units: [1, 2, 3, 4, 5, 6],
  price: [10, 20, 30, 40, 50, 60],
};

/** Node values keyed by id. */
const byId = (tr: Obj): Record<string, { parent: string; value: number; label: string }> => {
  const ids = tr['ids'] as string[];
  return Object.fromEntries(
    ids.map((id, i) => [id, { parent: (tr['parents'] as string[])[i] as string, value: (tr['values'] as number[])[i] as number, label: (tr['labels'] as string[])[i] as string }]),
  );
};

test('path: a node per prefix, ids joined with /, leaves summed, parents the sum of their children', () => {
  for (const kind of ['sunburst', 'treemap', 'icicle'] as const) {
    const fig = px[kind](t, { path: ['region', 'product'], values: 'units' });
    const tr = fig.data[0] as Obj;
    assert.equal(tr['type'], kind);
    assert.equal(tr['branchvalues'], 'total');
    assert.deepEqual(byId(tr), {
      N: { parent: '', value: 9, label: 'N' },
      'N/p1': { parent: 'N', value: 7, label: 'p1' },
      'N/p2': { parent: 'N', value: 2, label: 'p2' },
      S: { parent: '', value: 12, label: 'S' },
      'S/p1': { parent: 'S', value: 7, label: 'p1' },
      'S/p3': { parent: 'S', value: 5, label: 'p3' },
    });
  }
  const counted = byId(px.sunburst(t, { path: ['region', 'product'] }).data[0] as Obj);
  assert.equal(counted['N']?.value, 3, 'without values, rows are counted');
  assert.equal(counted['S/p1']?.value, 2);
});

test('every parent equals the sum of its children on a generated tree; labels with / stay distinct', () => {
  const n = 2000;
  const table = { a: [] as string[], b: [] as string[], c: [] as (string | null)[], v: [] as number[] };
  for (let i = 0; i < n; i++) {
    table.a.push(`a${i % 3}`);
    table.b.push(i % 5 === 0 ? 'x/y' : `b${i % 7}`);
    table.c.push(i % 11 === 0 ? null : `c${i % 4}`);
    table.v.push((i * 13) % 17);
  }
  const tr = px.treemap(table, { path: ['a', 'b', 'c'], values: 'v' }).data[0] as Obj;
  const nodes = byId(tr);
  const sums = new Map<string, number>();
  for (const [, nd] of Object.entries(nodes)) if (nd.parent !== '') sums.set(nd.parent, (sums.get(nd.parent) ?? 0) + nd.value);
  for (const [id, total] of sums) assert.equal(nodes[id]?.value, total, id);
  const roots = Object.values(nodes).filter((nd) => nd.parent === '');
  assert.equal(
    roots.reduce((a, nd) => a + nd.value, 0),
    table.v.reduce((a, b) => a + b, 0),
  );
  assert.ok(nodes['a0/x\\/y'] !== undefined, "a '/' in a label is escaped in ids");
  assert.ok(
    Object.values(nodes).some((nd) => nd.label === '(null)'),
    'nulls are a node of their own',
  );
  assert.equal(new Set(tr['ids'] as string[]).size, (tr['ids'] as string[]).length);
});

test('numeric color: the values-weighted mean per node on a colour scale; text color: a colour per value', () => {
  const tr = px.sunburst(t, { path: ['region', 'product'], values: 'units', color: 'price' }).data[0] as Obj;
  const ids = tr['ids'] as string[];
  const colors = (tr['marker'] as Obj)['colors'] as number[];
  const at = (id: string): number => colors[ids.indexOf(id)] as number;
  assert.ok(Math.abs(at('N') - (1 * 10 + 2 * 20 + 6 * 60) / 9) < 1e-12);
  assert.ok(Math.abs(at('S/p1') - (3 * 30 + 4 * 40) / 7) < 1e-12);
  assert.deepEqual(((tr['marker'] as Obj)['colorscale'] as unknown[])[0], [0, '#0d0887'], 'plotly express’s plasma');
  const byRegion = px.treemap(t, { path: ['region', 'product'], color: 'region' }).data[0] as Obj;
  const c = (byRegion['marker'] as Obj)['colors'] as string[];
  const rid = byRegion['ids'] as string[];
  assert.equal(c[rid.indexOf('N/p2')], c[rid.indexOf('N')]);
  assert.notEqual(c[rid.indexOf('S')], c[rid.indexOf('N')]);
  const mixed = px.treemap(t, { path: ['region'], color: 'product' }).data[0] as Obj;
  assert.deepEqual((mixed['marker'] as Obj)['colors'], ['#d0d4dc', '#d0d4dc'], 'a node whose rows disagree is left grey');
});

test('past max_nodes the smallest leaves fold into “(other)” per parent, totals kept, and the figure says so', () => {
  const n = 300;
  const table = { g: Array.from({ length: n }, (_, i) => `g${i % 2}`), leaf: Array.from({ length: n }, (_, i) => `l${i}`), v: Array.from({ length: n }, (_, i) => i + 1) };
  const fig = px.treemap(table, { path: ['g', 'leaf'], values: 'v', max_nodes: 10 });
  const nodes = byId(fig.data[0] as Obj);
  const leaves = Object.entries(nodes).filter(([, nd]) => nd.parent !== '');
  assert.equal(leaves.filter(([, nd]) => nd.label !== '(other)').length, 10);
  assert.deepEqual(
    leaves
      .filter(([, nd]) => nd.label !== '(other)')
      .map(([, nd]) => nd.value)
      .sort((a, b) => b - a),
    [300, 299, 298, 297, 296, 295, 294, 293, 292, 291],
  );
  assert.equal(
    nodes['g0']?.value,
    Array.from({ length: 150 }, (_, i) => 2 * i + 1).reduce((a, b) => a + b, 0),
  );
  const otherG0 = Object.entries(nodes).find(([id]) => id === 'g0/\\(other)');
  assert.ok(otherG0);
  assert.equal(otherG0[1].value, (nodes['g0']?.value as number) - (300 + 298 + 296 + 294 + 292 - 5));
  assert.match(((fig.layout['title'] as Obj)['subtitle'] as Obj)['text'] as string, /290 smallest of 300 leaves folded into “\(other\)” \(max_nodes\)/);
});

test('names / parents / ids: rows are the nodes, passed through', () => {
  const tr = px.sunburst({ n: ['root', 'a', 'b'], p: ['', 'root', 'root'], v: [0, 3, 4] }, { names: 'n', parents: 'p', values: 'v' }).data[0] as Obj;
  assert.deepEqual(
    [tr['labels'], tr['parents'], tr['values']],
    [
      ['root', 'a', 'b'],
      ['', 'root', 'root'],
      [0, 3, 4],
    ],
  );
  assert.throws(() => px.sunburst(t, { values: 'units' }), /give path: \[column, …\] \(root to leaf\), or names and parents/);
  assert.throws(() => px.sunburst(t, { path: ['region'], names: 'region' }), /give path, or names and parents, not both/);
  assert.throws(() => px.icicle(t, { path: 'region' as never }), /path must be a non-empty array/);
  assert.throws(() => px.treemap(t, { path: ['region'], values: 'product' }), /values: column "product" holds text, not numbers/);
});
