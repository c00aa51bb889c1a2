/**
 * Synthetic sales data with the schema and distributions of the Depictio baseline's generator
 * (/work/shared/bench/depictio-baseline/gen_data.py), from a small seeded PRNG: the same shape,
 * not numpy's bytes.
 */
import type { Column, ColumnKind } from '@plotbox/sandbox-protocol';
import { columnsFromObject } from './columns-from-values.ts';
import { DatasetError } from './dataset-error.ts';
import type { DatasetLimits } from './dataset-limits.ts';
import { canonicalizeColumn } from './validate-columns.ts';

/** The baseline's seed. */
export const SALES_SEED = 20240101;
/** Column names, in order, and their kinds. */
export const SALES_SCHEMA: Readonly<Record<string, ColumnKind>> = Object.freeze({ date: 'string', region: 'string', product: 'string', units: 'int', price: 'number', cost: 'number' });
const REGIONS = ['North', 'South', 'East', 'West', 'Central', 'Northeast', 'Northwest', 'Southeast'];
const REGION_WEIGHTS = [0.18, 0.16, 0.15, 0.14, 0.12, 0.1, 0.08, 0.07];
const PRODUCTS = Array.from({ length: 50 }, (_, i) => `P${String(i + 1).padStart(3, '0')}`);
const N_DAYS = 730;
const EPOCH_MS = Date.UTC(2023, 0, 1);

/** sfc32: a small, fast, well-distributed 32-bit PRNG; returns floats in [0, 1). */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function seeded(...parts: number[]): () => number {
  const rand = sfc32(0x9e3779b9, parts[0] ?? 0, parts[1] ?? 0, (parts[0] ?? 0) ^ 0x5bd1e995);
  for (let i = 0; i < 16; i++) rand(); // warm up: the first outputs of sfc32 still echo the seed
  return rand;
}

function cumulative(weights: readonly number[]): Float64Array {
  const total = weights.reduce((s, w) => s + w, 0);
  const out = new Float64Array(weights.length);
  let acc = 0;
  weights.forEach((w, i) => {
    acc += w / total;
    out[i] = acc;
  });
  out[out.length - 1] = 1;
  return out;
}

function pick(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < (cdf[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Generate `rows` rows of sales data, deterministic for (`rows`, `seed`): date `YYYY-MM-DD` over
 * 730 days from 2023-01-01 in ascending order; region from 8 values with the baseline's weights;
 * product P001…P050 with Zipf-like popularity (exponent 0.8); units 1 + Poisson(4); price a
 * per-product lognormal(3, 0.6) base (fixed by the seed alone) × uniform(0.85, 1.15), 2 dp;
 * cost price × uniform(0.35, 0.85), 2 dp. Columns are canonical (see `canonicalizeColumn`).
 */
export function generateSales(rows: number, seed: number = SALES_SEED): Column[] {
  if (!Number.isSafeInteger(rows) || rows < 0) throw new TypeError('rows must be a non-negative integer');
  const baseRand = seeded(seed, 0);
  const basePrice = PRODUCTS.map(() => {
    const z = Math.sqrt(-2 * Math.log(1 - baseRand())) * Math.cos(2 * Math.PI * baseRand());
    return round2(Math.exp(3 + 0.6 * z));
  });
  const rand = seeded(seed, rows + 1);
  // Dates: uniform days, then a counting sort (sorted ascending like the baseline's np.sort).
  const perDay = new Int32Array(N_DAYS);
  for (let i = 0; i < rows; i++) perDay[Math.floor(rand() * N_DAYS)]!++;
  const dateCodes = new Int32Array(rows);
  const dateDictionary: string[] = [];
  let at = 0;
  for (let day = 0; day < N_DAYS; day++) {
    const count = perDay[day] as number;
    if (count === 0) continue;
    dateCodes.fill(dateDictionary.length, at, at + count);
    dateDictionary.push(new Date(EPOCH_MS + day * 86_400_000).toISOString().slice(0, 10));
    at += count;
  }
  const regionCdf = cumulative(REGION_WEIGHTS);
  const productCdf = cumulative(PRODUCTS.map((_, i) => 1 / (i + 1) ** 0.8));
  const region = new Int32Array(rows);
  const product = new Int32Array(rows);
  const units = new Int32Array(rows);
  const price = new Float64Array(rows);
  const cost = new Float64Array(rows);
  const poissonL = Math.exp(-4);
  for (let i = 0; i < rows; i++) region[i] = pick(regionCdf, rand());
  for (let i = 0; i < rows; i++) product[i] = pick(productCdf, rand());
  for (let i = 0; i < rows; i++) {
    let k = 0;
    let p = rand();
    while (p > poissonL) {
      k++;
      p *= rand();
    }
    units[i] = 1 + k;
  }
  for (let i = 0; i < rows; i++) price[i] = round2((basePrice[product[i] as number] as number) * (0.85 + 0.3 * rand()));
  for (let i = 0; i < rows; i++) cost[i] = round2((price[i] as number) * (0.35 + 0.5 * rand()));
  return [
    { name: 'date', kind: 'string', dictionary: dateDictionary, codes: dateCodes },
    canonicalizeColumn({ name: 'region', kind: 'string', dictionary: REGIONS, codes: region }),
    canonicalizeColumn({ name: 'product', kind: 'string', dictionary: PRODUCTS, codes: product }),
    { name: 'units', kind: 'int', values: units },
    { name: 'price', kind: 'number', values: price },
    { name: 'cost', kind: 'number', values: cost },
  ];
}

/**
 * Turn the baseline's `sales_<size>.columnar.json` (already parsed: `{"date": [...], ...}`) into
 * columns with the sales kinds forced (so a price column that happens to hold only whole numbers
 * is still `number`). The caller reads and parses the file.
 * @throws DatasetError DATASET_SCHEMA when a sales column is missing or a value does not fit.
 */
export function loadBaselineColumnar(json: Readonly<Record<string, readonly unknown[]>>, limits?: Partial<DatasetLimits>): Column[] {
  for (const name of Object.keys(SALES_SCHEMA)) {
    if (json === null || typeof json !== 'object' || !Array.isArray(json[name])) throw new DatasetError('DATASET_SCHEMA', `baseline data has no "${name}" column`, { column: name });
  }
  return columnsFromObject(json, { kinds: SALES_SCHEMA, ...(limits === undefined ? {} : { limits }) });
}
