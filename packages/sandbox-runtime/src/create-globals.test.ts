import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGlobals } from './create-globals.ts';
import { createSalesPayload } from './sales-fixture.ts';

test('df is built without decoding; verbs decode only the columns they read', () => {
  const decoded: string[] = [];
  const { df, op } = createGlobals(createSalesPayload(500), { onDecode: (n) => decoded.push(n) });
  assert.equal(df.numRows(), 500);
  assert.deepEqual(df.columnNames(), ['date', 'region', 'product', 'units', 'price', 'cost']);
  assert.deepEqual(decoded, []);
  const t = df
    .groupby('region')
    .filter((d: { units: number }) => d.units > 3)
    .rollup({ units: op.sum('units') });
  assert.ok(t.numRows() > 0);
  // Grouping by a dictionary column reads its codes (fast-agg.ts), so only units is decoded.
  assert.deepEqual(decoded.sort(), ['units']);
});

test('df and data agree, and sums match a hand loop', () => {
  const { df, op, data } = createGlobals(createSalesPayload(2000));
  const sums = new Map<unknown, number>();
  data['region']?.forEach((r, i) => sums.set(r, (sums.get(r) ?? 0) + (data['units']?.[i] as number)));
  const rolled = df
    .groupby('region')
    .rollup({ units: op.sum('units') })
    .objects() as { region: string; units: number }[];
  assert.equal(rolled.length, sums.size);
  for (const row of rolled) assert.equal(row.units, sums.get(row.region));
  assert.equal(df.column('price'), data['price']);
});

test('data is deep-frozen and df columns cannot be changed', () => {
  const { df, data } = createGlobals(createSalesPayload(10));
  assert.ok(Object.isFrozen(data));
  for (const name of Object.keys(data)) assert.ok(Object.isFrozen(data[name]), name);
  assert.throws(() => ((data as Record<string, unknown>)['units'] = []), TypeError);
  assert.throws(() => ((data as Record<string, unknown>)['extra'] = []), TypeError);
  assert.throws(() => ((data['units'] as number[])[0] = 1e9), TypeError);
  assert.throws(() => ((df.column('units') as unknown as number[])[0] = 1e9), TypeError);
  assert.throws(() => ((df.data() as Record<string, unknown>)['units'] = []), TypeError);
  assert.throws(() => (df.column('units') as unknown as number[]).push(1), TypeError);
  assert.notEqual(df.get('units', 0), 1e9);
});

test('derived tables are ordinary arquero tables', () => {
  const { df, op, aq } = createGlobals(createSalesPayload(100));
  const t = df.derive({ revenue: (d: { units: number; price: number }) => d.units * d.price }).select('revenue');
  assert.equal(t.numRows(), 100);
  assert.equal(df.filter((d: { units: number }) => d.units > 100).numRows(), 0);
  assert.equal(
    aq
      .table({ a: [1, 2] })
      .rollup({ s: op.sum('a') })
      .get('s', 0),
    3,
  );
});

test('aq is frozen and has no URL or stream loaders', () => {
  const { aq } = createGlobals(createSalesPayload(1));
  assert.ok(Object.isFrozen(aq));
  const names = Object.keys(aq);
  assert.ok(names.includes('table') && names.includes('desc') && names.includes('seed') && names.includes('fromCSV'));
  assert.ok(!names.includes('loadCSV') && !names.includes('fromCSVStream') && !names.includes('loadArrow'));
});
