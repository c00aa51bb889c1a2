// The Depictio-style baseline (../shared/bench/depictio-baseline), run as its own Python processes
// in the same benchmark run, so its figures and Plotbox's are taken under the same conditions.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BASELINE_DATA, BASELINE_DIR, type SizeTag } from './data.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(BASELINE_DIR, 'depictio_style.py');

/** Why the baseline cannot run here, or undefined when it can. */
export function baselineUnavailable(): string | undefined {
  if (!existsSync(SCRIPT)) return `no baseline at ${BASELINE_DIR}`;
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (!existsSync(join(BASELINE_DATA, 'manifest.json'))) return 'its data is not generated (run ../shared/bench/depictio-baseline/setup.sh as root)';
  const probe = spawnSync(PYTHON, ['-c', 'import pandas, plotly'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0) return 'pandas/plotly are not installed for /usr/bin/python3 (run its setup.sh)';
  return undefined;
}

export interface BaselineLatency {
  readonly snippet: string;
  readonly size: SizeTag;
  readonly p50: number;
  readonly p95: number;
}

function runBaseline(args: readonly string[], timeoutMs: number): string | undefined {
  const out = mkdtempSync(join(tmpdir(), 'plotbox-baseline-'));
  try {
    const file = join(out, 'result.json');
    const r = spawnSync(PYTHON, [SCRIPT, ...args, '--out', file], {
      cwd: BASELINE_DIR,
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { ...process.env, PERF_DATA: BASELINE_DATA },
    });
    if (r.status !== 0 || !existsSync(file)) {
      console.log(`baseline failed: ${(r.stderr || r.error?.message || '').split('\n').slice(-3).join(' ')}`);
      return undefined;
    }
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Per-snippet render latency of the baseline, one fresh Python process per snippet and size (its own method). */
export function baselineLatency(sizes: readonly SizeTag[], runs: number, runs1m: number): BaselineLatency[] {
  const text = runBaseline(['latency', '--sizes', sizes.join(','), '--runs', String(runs), '--runs-1m', String(runs1m)], 60 * 60_000);
  if (!text) return [];
  const parsed = JSON.parse(text) as { results: { snippet: string; size: SizeTag; phases_ms: { total: { median: number; p95: number } } }[] };
  return parsed.results.map((r) => ({ snippet: r.snippet, size: r.size, p50: r.phases_ms.total.median, p95: r.phases_ms.total.p95 }));
}

/** Baseline throughput (renders/s) of the mixed eight-chart workload with N Python workers. */
export function baselineThroughput(size: SizeTag, workers: number, tasks: number): number | undefined {
  const text = runBaseline(['throughput', '--size', size, '--workers', String(workers), '--tasks', String(tasks)], 30 * 60_000);
  if (!text) return undefined;
  const parsed = JSON.parse(text) as { runs: { workers: number; snippets_per_s: number }[] };
  return parsed.runs.find((r) => r.workers === workers)?.snippets_per_s;
}
