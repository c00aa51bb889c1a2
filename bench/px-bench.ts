// px section: the builders, facets, trendlines and marginals beyond the eight baseline charts
// (bench/px-charts.ts), each through `run()` (worker process + warm isolate, end to end, the host
// figure check included) beside the Depictio-style baseline rendering the same chart with pandas +
// plotly express in its own sandbox, in one table. Never fails on slowness; it reports.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRunner } from '@plotbox/sandbox';
import { DEFAULT_LIMITS } from '@plotbox/sandbox-protocol';
import { baselineUnavailable } from './baseline.ts';
import { BASELINE_DATA, BASELINE_DIR, fmt, pct, printTable, type LoadedSales, type SizeTag } from './data.ts';
import { PX_BENCH_CHARTS, type PxBenchChart } from './px-charts.ts';

export interface PxBenchOptions {
  readonly sizes: readonly SizeTag[];
  readonly quick: boolean;
  readonly load: (size: SizeTag) => LoadedSales;
  /** Only these charts (by name); all when empty. */
  readonly only?: readonly string[];
}

interface BaselineResult {
  readonly ok: boolean;
  readonly p50?: number;
  readonly json_bytes?: number;
  readonly error?: string;
}

const DRIVER = resolve(import.meta.dirname, 'depictio_px.py');

/** One chart on one size in a fresh Python process, as the baseline measures its own charts. */
function baselineRun(chart: PxBenchChart, size: SizeTag, runs: number, dir: string): BaselineResult {
  const file = join(dir, `${chart.name}.py`);
  writeFileSync(file, chart.python);
  const r = spawnSync('/usr/bin/python3', [DRIVER, '--baseline', BASELINE_DIR, '--size', size, '--name', chart.name, '--code-file', file, '--runs', String(runs)], {
    cwd: BASELINE_DIR,
    encoding: 'utf8',
    timeout: 10 * 60_000,
    env: { ...process.env, PERF_DATA: BASELINE_DATA },
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as BaselineResult;
  } catch {
    return { ok: false, error: (r.stderr || r.error?.message || 'no output').split('\n').slice(-2).join(' ') };
  }
}

/** What the figure says it left out (sampled, thinned, folded), shortened for the table. */
function noteOf(figureJson: string): string {
  const fig = JSON.parse(figureJson) as { layout?: { title?: { subtitle?: { text?: string } } } };
  const text = fig.layout?.title?.subtitle?.text ?? '';
  return text.replace(/ \(max_[a-z]+\)/g, '').slice(0, 60);
}

export async function pxBench(opts: PxBenchOptions): Promise<void> {
  const charts = PX_BENCH_CHARTS.filter((c) => opts.only === undefined || opts.only.length === 0 || opts.only.includes(c.name));
  const runsFor = (size: SizeTag): number => (opts.quick ? 3 : size === '1m' ? 5 : 10);
  const runner = createRunner({ workers: 1, poolSize: 2 });
  await runner.ready();
  // Default limits, but time enough for 1M rows (the eight-chart section does the same).
  const limits = { ...DEFAULT_LIMITS, timeMs: 30_000 };
  const rows: { size: SizeTag; chart: PxBenchChart; p50: number; p95: number; bytes: number; note: string; error?: string }[] = [];
  try {
    for (const size of opts.sizes) {
      const { dataset, source } = opts.load(size);
      console.log(`px: ${size} (${dataset.rowCount} rows, data: ${source})`);
      for (const chart of charts) {
        const first = await runner.run({ code: chart.plotbox, dataset, limits });
        if (!first.ok) {
          rows.push({ size, chart, p50: NaN, p95: NaN, bytes: 0, note: '', error: `${first.error.code}: ${first.error.message.slice(0, 80)}` });
          continue;
        }
        const times: number[] = [];
        let bytes = 0;
        let note = '';
        for (let i = 0; i < runsFor(size); i++) {
          const t0 = performance.now();
          const r = await runner.run({ code: chart.plotbox, dataset, limits });
          times.push(performance.now() - t0);
          if (r.ok) {
            bytes = r.stats.outputBytes;
            note = noteOf(r.figureJson);
          }
        }
        rows.push({ size, chart, p50: pct(times, 50), p95: pct(times, 95), bytes, note });
      }
    }
  } finally {
    await runner.close();
  }

  const why = baselineUnavailable();
  const baseline = new Map<string, BaselineResult>();
  if (why) console.log(`baseline unavailable: ${why}`);
  else {
    console.log('baseline: rendering the same charts with pandas + plotly express in the Depictio-style sandbox (one Python process per chart and size)...');
    const dir = mkdtempSync(join(tmpdir(), 'plotbox-px-baseline-'));
    try {
      for (const size of opts.sizes) for (const chart of charts) baseline.set(`${size}/${chart.name}`, baselineRun(chart, size, runsFor(size), dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const header = ['size', 'chart', 'feature', 'plotbox p50', 'plotbox p95', 'figure bytes', 'plotbox note', 'baseline p50', 'baseline bytes', 'baseline ÷ plotbox'];
  const table = rows.map((r) => {
    const b = baseline.get(`${r.size}/${r.chart.name}`);
    const bp50 = b?.ok === true && b.p50 !== undefined ? b.p50 : undefined;
    return [
      r.size,
      r.chart.name,
      r.chart.feature,
      r.error === undefined ? fmt(r.p50) : 'failed',
      r.error === undefined ? fmt(r.p95) : '—',
      r.error === undefined ? String(r.bytes) : r.error,
      r.note,
      bp50 !== undefined ? fmt(bp50) : b === undefined ? '—' : `failed: ${(b.error ?? '').slice(0, 40)}`,
      b?.json_bytes !== undefined ? String(b.json_bytes) : '—',
      bp50 !== undefined && r.error === undefined ? `${(bp50 / r.p50).toFixed(1)}×` : '—',
    ];
  });
  printTable('px builders, facets, trendlines, marginals: latency per render, ms (Plotbox bins/summarises/samples in the sandbox; plotly express ships the rows it is given)', header, table);
}
