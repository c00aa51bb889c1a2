import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Column } from '@plotbox/sandbox-protocol';
import { columnToArray } from './column-to-array.ts';
import { buildDataset, datasetFromColumns } from './dataset-from-columns.ts';
import { isDatasetError } from './dataset-error.ts';
import { SALES_SCHEMA, generateSales, loadBaselineColumnar } from './generate-sales.ts';

test('same rows and seed → same dataset; another seed → another', () => {
  const a = datasetFromColumns(generateSales(2000));
  assert.equal(datasetFromColumns(generateSales(2000)).sha256, a.sha256);
  assert.notEqual(datasetFromColumns(generateSales(2000, 7)).sha256, a.sha256);
  // Generated columns are already canonical: building the dataset copies nothing.
  const cols = generateSales(500);
  const built = buildDataset(cols).dataset;
  cols.forEach((c, i) => assert.equal(built.columns[i], c));
});

test('schema and distributions match the baseline generator', () => {
  const n = 50_000;
  const cols = generateSales(n);
  assert.deepEqual(Object.fromEntries(cols.map((c) => [c.name, c.kind])), SALES_SCHEMA);
  const [date, region, product, units, price, cost] = cols.map(columnToArray) as [string[], string[], string[], number[], number[], number[]];
  // Dates: YYYY-MM-DD, ascending, within 2023-01-01 .. 2024-12-30.
  assert.ok(date.every((d, i) => /^\d{4}-\d{2}-\d{2}$/.test(d) && (i === 0 || (date[i - 1] as string) <= d)));
  assert.ok((date[0] as string) >= '2023-01-01' && (date[n - 1] as string) <= '2024-12-30');
  // Regions: North ≈ 18 %, Southeast ≈ 7 %.
  const share = (xs: string[], v: string): number => xs.filter((x) => x === v).length / n;
  assert.ok(Math.abs(share(region, 'North') - 0.18) < 0.01);
  assert.ok(Math.abs(share(region, 'Southeast') - 0.07) < 0.01);
  assert.equal(new Set(region).size, 8);
  // Products: Zipf(0.8) over 50 — P001 ≈ 15.3 %, P050 ≈ 0.67 % (50^0.8 ≈ 23× rarer).
  assert.ok(Math.abs(share(product, 'P001') - 0.1534) < 0.01);
  assert.ok(Math.abs(share(product, 'P050') - 0.0067) < 0.002);
  assert.ok(share(product, 'P001') > 10 * share(product, 'P050'));
  // Units: 1 + Poisson(4) → mean ≈ 5, min 1.
  const mean = units.reduce((s, u) => s + u, 0) / n;
  assert.ok(Math.abs(mean - 5) < 0.1, `mean units ${mean}`);
  assert.ok(Math.min(...units) >= 1);
  // Prices and costs: 2 dp, cost between 35 % and 85 % of price (up to rounding).
  assert.ok(price.every((p) => Math.round(p * 100) / 100 === p && p > 0));
  assert.ok(cost.every((c, i) => Math.round(c * 100) / 100 === c && c >= (price[i] as number) * 0.35 - 0.01 && c <= (price[i] as number) * 0.85 + 0.01));
  // Per-product price varies ±15 % around a fixed base.
  const p1 = price.filter((_, i) => product[i] === 'P001');
  assert.ok(Math.max(...p1) / Math.min(...p1) < 1.15 / 0.85 + 0.01);
});

test('loadBaselineColumnar forces the sales kinds', () => {
  const json = { date: ['2023-01-01', '2023-01-02'], region: ['North', 'East'], product: ['P001', 'P002'], units: [3, 4], price: [12, 13], cost: [5.5, 6] };
  const cols: Column[] = loadBaselineColumnar(json);
  assert.deepEqual(Object.fromEntries(cols.map((c) => [c.name, c.kind])), SALES_SCHEMA);
  assert.deepEqual(columnToArray(cols[4] as Column), [12, 13]);
  assert.throws(
    () => loadBaselineColumnar({ date: [] }),
    (e: unknown) => isDatasetError(e, 'DATASET_SCHEMA') && e.column === 'region',
  );
});
