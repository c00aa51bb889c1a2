import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as aq from 'arquero';
import { createGlobals } from '../create-globals.ts';
import { toSource } from '../px-source.ts';
import { px } from '../px.ts';
import { createSalesPayload } from '../sales-fixture.ts';
import { columnReader, pickRows, pickWith, rowPicker } from './groups.ts';
import type { RowSet } from './groups.ts';

test('pickRows gives what pickWith gives with the column reader, for every kind of source and row set', () => {
  const g = createGlobals(createSalesPayload(500));
  const values = [1, null, undefined, 'a', 2.5, Number.NaN, 0, -0, true, 'b'];
  const sources = [
    toSource('t', g.df),
    toSource('t', g.df.sample(7)),
    toSource('t', aq.table({ v: values, w: Float64Array.from(values, (v) => (typeof v === 'number' ? v : 3)) })),
    toSource('t', { v: values, w: new Int32Array(10) }),
    toSource(
      't',
      values.map((v) => ({ v, w: v })),
    ),
  ];
  const rowSets: RowSet[] = [null, Int32Array.of(3, 0, 2, 2), [9, 1, 4], new Int32Array(0)];
  for (const src of sources) {
    const n = src.rows;
    for (const ref of [src.names[0] as string, src.names[1] as string, (d: Record<string, unknown>) => d[src.names[0] as string]]) {
      for (const rows of rowSets) {
        const expected = pickWith(columnReader(src, ref, 'x'), rows, n);
        assert.deepEqual(pickRows(rowPicker(src, ref, 'x'), rows, n), expected);
      }
    }
  }
  // Without a table, `n` is the first option's length: a longer array is read only that far.
  const bare = toSource('t', null);
  assert.deepEqual(pickRows(rowPicker(bare, [1, 2, 3, 4], 'y'), null, 2), [1, 2]);
  assert.deepEqual(pickRows(rowPicker(bare, [1, 2], 'y'), null, 4), pickWith(columnReader(bare, [1, 2], 'y'), null, 4));
});

test('px.scatter of a sample of df draws the same figure as of the same rows given as arrays', () => {
  const g = createGlobals(createSalesPayload(3000));
  g.aq.seed(7);
  const sample = g.df.sample(400);
  const options = { x: 'price', y: 'cost', color: 'region', opacity: 0.6 };
  const columns = { price: sample.array('price'), cost: sample.array('cost'), region: sample.array('region') };
  assert.deepEqual(px.scatter(sample, options), px.scatter(columns, options));
  // x and y of every trace are the sample's rows of that region, in order.
  const fig = px.scatter(sample, options) as unknown as { data: { name: string; x: unknown[]; y: unknown[] }[] };
  for (const trace of fig.data) {
    const rows = [...Array(400).keys()].filter((k) => columns.region[k] === trace.name);
    assert.deepEqual(
      trace.x,
      rows.map((k) => columns.price[k]),
    );
    assert.deepEqual(
      trace.y,
      rows.map((k) => columns.cost[k]),
    );
  }
});
