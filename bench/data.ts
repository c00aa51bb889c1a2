// Benchmark data: the baseline's own generated files when its setup has run (so both sides chart
// the same rows), otherwise Plotbox's generator with the same schema and distributions.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { datasetFromColumns, generateSales, loadBaselineColumnar } from '@plotbox/datasets';
import type { ColumnarDataset } from '@plotbox/sandbox-protocol';

export type SizeTag = '1k' | '100k' | '1m';
export const ROWS: Record<SizeTag, number> = { '1k': 1_000, '100k': 100_000, '1m': 1_000_000 };

export const BASELINE_DIR = resolve(import.meta.dirname, '../../shared/bench/depictio-baseline');
export const BASELINE_DATA = resolve(BASELINE_DIR, '.bench-data');

export interface LoadedSales {
  readonly dataset: ColumnarDataset;
  /** Where the rows came from: the baseline's files, or Plotbox's generator. */
  readonly source: 'baseline' | 'generated';
}

const cache = new Map<SizeTag, LoadedSales>();

export function loadSales(size: SizeTag): LoadedSales {
  const hit = cache.get(size);
  if (hit) return hit;
  const file = resolve(BASELINE_DATA, `sales_${size}.columnar.json`);
  let loaded: LoadedSales;
  if (existsSync(file)) {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown[]>;
    loaded = { dataset: datasetFromColumns(loadBaselineColumnar(json)), source: 'baseline' };
  } else {
    loaded = { dataset: datasetFromColumns(generateSales(ROWS[size], 20240101)), source: 'generated' };
  }
  cache.set(size, loaded);
  return loaded;
}

/** Percentile of a sample (linear interpolation, like the baseline's). */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const k = ((s.length - 1) * p) / 100;
  const lo = Math.floor(k);
  const hi = Math.min(lo + 1, s.length - 1);
  return (s[lo] ?? 0) + ((s[hi] ?? 0) - (s[lo] ?? 0)) * (k - lo);
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

export function fmt(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}
