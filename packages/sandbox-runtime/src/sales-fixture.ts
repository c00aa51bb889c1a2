/**
 * A deterministic, sales-like columnar dataset (the shape of bench/depictio-baseline's data) for
 * tests and benchmarks: date ('YYYY-MM-DD' string, 730 days), region (8), product (50, Zipf-like),
 * units (int), price and cost (number).
 */
import type { DatasetPayload } from './columns.ts';

export const REGIONS = Object.freeze(['North', 'South', 'East', 'West', 'Central', 'Northeast', 'Southwest', 'Islands']);

/** Build `rows` rows from `seed`; the same arguments always give the same data. */
export function createSalesPayload(rows: number, seed = 1): DatasetPayload {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    // xorshift32: fast, deterministic, good enough for synthetic data.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const day0 = Date.UTC(2024, 0, 1);
  const dates = Array.from({ length: 730 }, (_, i) => new Date(day0 + i * 86_400_000).toISOString().slice(0, 10));
  const products = Array.from({ length: 50 }, (_, i) => `P${String(i + 1).padStart(3, '0')}`);
  // Zipf-like product weights: product k is picked with probability ∝ 1/(k+1).
  const weights = products.map((_, k) => 1 / (k + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  weights.reduce((acc, w) => (cumulative.push((acc + w) / total), acc + w), 0);
  const basePrice = products.map((_, k) => 5 + ((k * 37) % 95));
  const dateCodes = new Int32Array(rows);
  const regionCodes = new Int32Array(rows);
  const productCodes = new Int32Array(rows);
  const units = new Int32Array(rows);
  const price = new Float64Array(rows);
  const cost = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    dateCodes[i] = Math.floor(random() * 730);
    regionCodes[i] = Math.floor(random() * REGIONS.length);
    const u = random();
    let p = 0;
    while (p < 49 && (cumulative[p] as number) < u) p++;
    productCodes[i] = p;
    units[i] = 1 + Math.floor(random() * 20);
    const pr = Math.round((basePrice[p] as number) * (0.8 + 0.4 * random()) * 100) / 100;
    price[i] = pr;
    cost[i] = Math.round(pr * (0.5 + 0.4 * random()) * 100) / 100;
  }
  return {
    rowCount: rows,
    columns: [
      { name: 'date', kind: 'string', dictionary: dates, codes: dateCodes },
      { name: 'region', kind: 'string', dictionary: REGIONS.slice(), codes: regionCodes },
      { name: 'product', kind: 'string', dictionary: products, codes: productCodes },
      { name: 'units', kind: 'int', values: units },
      { name: 'price', kind: 'number', values: price },
      { name: 'cost', kind: 'number', values: cost },
    ],
  };
}
