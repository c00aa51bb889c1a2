// Grouping the dataset through dictionary codes, and rolling it up over its typed columns, must give
// exactly arquero's results: compared on random data (repeated and unused dictionary entries,
// out-of-range codes as nulls, the text "null" beside nulls, null and NaN numbers) for the verbs
// analysts chain after groupby, bit for bit (sums and means in arquero's order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { createGlobals } from './create-globals.ts';
import { dictionaryGroups, singleColumnKey } from './fast-agg.ts';
import { datasetOf } from './dataset.ts';
import type { PayloadColumn } from './columns.ts';
import { seededRandom } from './seeded-random.ts';

/**
 * `nulls: false` gives the shape of most real data, which rollup aggregates per code: every code
 * in range, and (for odd seeds) no repeated dictionary entry.
 */
function randomPayload(seed: number, nulls = true): { rowCount: number; columns: PayloadColumn[] } {
  const r = seededRandom(seed);
  const rowCount = Math.floor(r() * 400);
  const words = !nulls && seed % 2 === 1 ? ['a', 'b', 'c', 'null', 'd', '', 'é'] : ['a', 'b', 'c', 'null', 'd', 'a', '', 'é', 'b'];
  const dictionary = words.slice(0, 1 + Math.floor(r() * words.length));
  const nullCode = (): number => (r() < 0.5 ? -1 : dictionary.length + 3);
  const codes = Int32Array.from({ length: rowCount }, () => (nulls && r() < 0.12 ? nullCode() : Math.floor(r() * dictionary.length)));
  const ints = Int32Array.from({ length: rowCount }, () => Math.floor(r() * 100) - 20);
  const floats = Float64Array.from({ length: rowCount }, () => r() * 1000 - 300);
  const valid = Uint8Array.from({ length: rowCount }, () => (r() < 0.1 ? 0 : 1));
  return {
    rowCount,
    columns: [
      { name: 'k', kind: 'string', dictionary, codes },
      { name: 'i', kind: 'int', values: ints },
      { name: 'f', kind: 'number', values: floats, valid },
    ],
  };
}

/** What analysts chain after a groupby; each run on the fast-path df and on a plain arquero table. */
const VERBS: readonly ((t: aq.ColumnTable) => unknown)[] = [
  (t) =>
    t
      .groupby('k')
      .rollup({ s: aq.op.sum('i'), m: aq.op.mean('f'), n: aq.op.count(), lo: aq.op.min('f'), hi: aq.op.max('i'), v: aq.op.valid('f') })
      .objects(),
  (t) => t.groupby(['k']).count().objects(),
  (t) =>
    t
      .groupby('k')
      .rollup({ s: aq.op.sum('i') })
      .orderby(aq.desc('s'))
      .slice(0, 3)
      .objects(),
  (t) =>
    t
      .groupby('k')
      .derive({ rank: aq.op.row_number(), share: (d: { i: number }) => d.i / 2 })
      .objects(),
  (t) =>
    t
      .groupby('k')
      .filter((d: { i: number }) => d.i > 10)
      .count()
      .objects(),
  (t) =>
    t
      .groupby('k')
      .rollup({ med: aq.op.median('f'), d: aq.op.distinct('i') })
      .objects(),
  (t) => t.groupby('k').ungroup().objects().length,
  (t) => t.groupby('k').groups()?.size,
  (t) => t.rollup({ s: aq.op.sum('i'), m: aq.op.mean('f'), n: aq.op.count(), lo: aq.op.min('i'), hi: aq.op.max('f'), v: aq.op.valid('f') }).objects(),
  (t) =>
    t
      .groupby('k')
      .rollup({ k: aq.op.count(), s: aq.op.sum('f') })
      .objects(),
  (t) =>
    t
      .groupby('k')
      .rollup({ s: aq.op.sum('f') })
      .groupby('k')
      .count()
      .objects(),
  (t) =>
    t
      .groupby('k')
      .rollup({ s: aq.op.sum('i') })
      .columnNames(),
];

test('grouping by a dictionary column through its codes gives exactly arquero’s results', () => {
  for (let seed = 1; seed <= 800; seed++) {
    const payload = randomPayload(seed, seed <= 400);
    const g = createGlobals(payload);
    const plain = aq.table({ k: [...(g.data['k'] ?? [])], i: [...(g.data['i'] ?? [])], f: [...(g.data['f'] ?? [])] });
    const view = datasetOf(g.df);
    assert.ok(view, 'the base df is registered');
    assert.ok(dictionaryGroups(view, 'k'), 'the fast path applies');
    for (const [v, verb] of VERBS.entries()) {
      assert.deepEqual(verb(g.df), verb(plain), `seed ${seed}, verb ${v}`);
    }
  }
});

test('the fast path is taken only for one dictionary column of the dataset itself', () => {
  const g = createGlobals(randomPayload(7));
  const view = datasetOf(g.df);
  assert.ok(view);
  assert.equal(dictionaryGroups(view, 'i'), undefined, 'an int column takes arquero’s path');
  assert.equal(dictionaryGroups(view, 'nope'), undefined);
  assert.equal(singleColumnKey(['k']), 'k');
  assert.equal(singleColumnKey([['k']]), 'k');
  assert.equal(singleColumnKey(['k', 'i']), undefined);
  assert.equal(singleColumnKey([{ k: 'k' }]), undefined);
  // Derived tables (filtered, reordered) are not the dataset: arquero groups them itself, and
  // still agrees with a plain table.
  const filtered = g.df.filter((d: { i: number }) => d.i > 0);
  assert.equal(datasetOf(filtered), undefined);
  const plain = aq.table({ k: [...(g.data['k'] ?? [])], i: [...(g.data['i'] ?? [])] }).filter((d: { i: number }) => d.i > 0);
  assert.deepEqual(filtered.groupby('k').count().objects(), plain.groupby('k').count().objects());
});
