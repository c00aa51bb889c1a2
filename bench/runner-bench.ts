// Runner section: the eight example charts at each size through `run()` (worker process + isolate,
// end to end) with isolate reuse on (the tenant's kept isolate) and off (a fresh pooled isolate per
// run), the same snippets in-process with no sandbox, the same charts written the danfo way on the
// danfo runtime, and the Depictio-style baseline, in one table; then isolate start per runtime.
// Reuse on is measured interleaved with the in-process runs; reuse off, then danfo, after it, per chart.
import { EXAMPLE_CHARTS, createGlobals, serializeFigure } from '@plotbox/sandbox-runtime';
import { DANFO_EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime/danfo-examples';
import { createRunner } from '@plotbox/sandbox';
import { DEFAULT_LIMITS } from '@plotbox/sandbox-protocol';
import { baselineLatency, baselineUnavailable, type BaselineLatency } from './baseline.ts';
import { fmt, pct, printTable, type LoadedSales, type SizeTag } from './data.ts';
import { printIsolateStarts } from './isolate-start.ts';

export interface RunnerBenchOptions {
  readonly sizes: readonly SizeTag[];
  readonly quick: boolean;
  readonly load: (size: SizeTag) => LoadedSales;
}

type Globals = ReturnType<typeof createGlobals>;

/** Runs a snippet in this process with the same globals, no isolate: the floor a sandbox adds to. */
function inProcess(code: string): (g: Globals) => unknown {
  const fn = new Function('df', 'aq', 'op', 'data', 'px', `${code}\n;return fig;`) as (...a: unknown[]) => unknown;
  return (g) => fn(g.df, g.aq, g.op, g.data, g.px);
}

/** Waits (up to 2 s) until every worker of `runner` has its warm pool full again. */
async function poolFull(runner: ReturnType<typeof createRunner>, size = 2): Promise<void> {
  for (const deadline = Date.now() + 2000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 2))) {
    if (runner.stats().workers.every((w) => w.pool >= size)) return;
  }
}

export async function runnerBench(opts: RunnerBenchOptions): Promise<void> {
  const runsFor = (size: SizeTag): number => (opts.quick ? 5 : size === '1m' ? 10 : 20);
  // Reuse on and in-process take a few ms a run at 100k: more runs steady their medians, which the
  // targets compare, at little cost (reuse off and danfo, 10-1000× slower a run, keep runsFor).
  const fastRunsFor = (size: SizeTag): number => (opts.quick ? 5 : size === '1m' ? 20 : 100);
  const runner = createRunner({ workers: 1, poolSize: 2, isolateReuse: true });
  const single = createRunner({ workers: 1, poolSize: 2, isolateReuse: false });
  // danfo runs always get a fresh (pooled) isolate, whatever the reuse setting.
  const danfo = createRunner({ workers: 1, poolSize: 2, isolateReuse: true });
  await Promise.all([runner.ready(), single.ready(), danfo.ready()]);
  // With reuse the runs are one tenant's (a project); without, every run gets a fresh isolate.
  const project = 'bench';
  // Default limits (64 MiB for the analyst: runs take warm isolates), but time enough for 1M rows.
  const limits = { ...DEFAULT_LIMITS, timeMs: 30_000 };
  const rows: string[][] = [];
  const danfoFailures: string[] = [];
  const summary: { size: SizeTag; chart: string; plotbox: number; off: number; inproc: number; danfo: number; baseline?: number }[] = [];
  try {
    for (const size of opts.sizes) {
      const { dataset, source } = opts.load(size);
      console.log(`runner: ${size} (${dataset.rowCount} rows, data: ${source})`);
      const payload = { rowCount: dataset.rowCount, columns: dataset.columns };
      for (const chart of EXAMPLE_CHARTS) {
        const n = runsFor(size);
        const nFast = fastRunsFor(size);
        // Warm up both paths (the first run also moves the dataset into the worker).
        const fn = inProcess(chart.code);
        for (let i = 0; i < 2; i++) {
          for (const r of [await runner.run({ code: chart.code, dataset, limits, project }), await single.run({ code: chart.code, dataset, limits, project })]) {
            if (!r.ok) throw new Error(`${chart.name} ${size}: ${r.error.code} ${r.error.message}`);
          }
          serializeFigure(fn(createGlobals(payload)), limits.outputBytes);
        }
        const sandboxed: number[] = [];
        const inWorker: number[] = [];
        const fresh: number[] = [];
        const local: number[] = [];
        let bytes = 0;
        // Reuse on and in-process interleaved; then reuse off, each run once that runner's pool is
        // full again (its background isolate creation and disposal would otherwise compete with
        // the measurements on this 2-core machine).
        await poolFull(single);
        for (let i = 0; i < nFast; i++) {
          const t0 = performance.now();
          const r = await runner.run({ code: chart.code, dataset, limits, project });
          sandboxed.push(performance.now() - t0);
          if (r.ok) {
            bytes = r.stats.outputBytes;
            inWorker.push(r.stats.durationMs);
          }
          const t1 = performance.now();
          const s = serializeFigure(fn(createGlobals(payload)), limits.outputBytes);
          local.push(performance.now() - t1);
          if (!s.ok) throw new Error(`${chart.name} in-process: ${s.message}`);
        }
        for (let i = 0; i < n; i++) {
          await poolFull(single);
          const tf = performance.now();
          await single.run({ code: chart.code, dataset, limits, project });
          fresh.push(performance.now() - tf);
        }
        // The same chart written the danfo way, on the danfo runtime (its pool refills between runs:
        // danfo isolates serve one run each).
        const danfoCode = DANFO_EXAMPLE_CHARTS.find((c) => c.name === chart.name)?.code;
        const onDanfo: number[] = [];
        let danfoFailed: string | undefined;
        if (danfoCode !== undefined) {
          for (let i = 0; i < 2 && danfoFailed === undefined; i++) {
            const r = await danfo.run({ code: danfoCode, dataset, limits, project, runtime: 'danfo' });
            // A danfo frame is ~85 bytes a cell: at 1M rows some charts exceed the run's memory limit. Say so, go on.
            if (!r.ok) danfoFailed = r.error.code;
          }
          if (danfoFailed !== undefined) danfoFailures.push(`${chart.name} ${size}: ${danfoFailed}`);
          for (let i = 0; i < n && danfoFailed === undefined; i++) {
            await new Promise((r) => setTimeout(r, 250));
            const td = performance.now();
            await danfo.run({ code: danfoCode, dataset, limits, project, runtime: 'danfo' });
            onDanfo.push(performance.now() - td);
          }
        }
        summary.push({ size, chart: chart.name, plotbox: pct(sandboxed, 50), off: pct(fresh, 50), inproc: pct(local, 50), danfo: pct(onDanfo, 50) });
        rows.push([size, chart.name, fmt(pct(sandboxed, 50)), fmt(pct(sandboxed, 95)), fmt(pct(inWorker, 50)), fmt(pct(fresh, 50)), fmt(pct(local, 50)), String(bytes)]);
      }
    }
  } finally {
    await Promise.all([runner.close(), single.close(), danfo.close()]);
  }

  const why = baselineUnavailable();
  let baseline: BaselineLatency[] = [];
  if (why) console.log(`baseline unavailable: ${why}`);
  else {
    console.log('baseline: running the Depictio-style runner (one Python process per chart and size)...');
    baseline = baselineLatency(opts.sizes, opts.quick ? 5 : 20, opts.quick ? 3 : 10);
  }
  const header = [
    'size',
    'chart',
    'plotbox p50',
    'plotbox p95',
    'in worker p50',
    'reuse off p50',
    'in-process p50',
    'overhead',
    'target ≤1.5×+1',
    'danfo p50',
    'danfo ÷ plotbox',
    'baseline p50',
    'baseline ÷ plotbox',
    'figure bytes',
  ];
  const table = rows.map((r, i) => {
    const s = summary[i];
    if (!s) return r;
    const b = baseline.find((x) => x.snippet === s.chart && x.size === s.size);
    const target = 1.5 * s.inproc + 1;
    return [
      r[0] ?? '',
      r[1] ?? '',
      r[2] ?? '',
      r[3] ?? '',
      r[4] ?? '',
      r[5] ?? '',
      r[6] ?? '',
      `${fmt(s.plotbox - s.inproc)}`,
      s.plotbox <= target ? 'met' : `missed (${fmt(target)})`,
      fmt(s.danfo),
      Number.isFinite(s.danfo) ? `${(s.danfo / s.plotbox).toFixed(1)}×` : '—',
      b ? fmt(b.p50) : '—',
      b ? `${(b.p50 / s.plotbox).toFixed(1)}×` : '—',
      r[7] ?? '',
    ];
  });
  printTable(
    `Code Mode runner: latency per render, ms; plotbox = isolate reuse on (the default) and in-process: ${opts.sizes.map((z) => `${fastRunsFor(z)} runs at ${z}`).join(', ')}, interleaved; reuse off and danfo: ${opts.sizes.map((z) => `${runsFor(z)} at ${z}`).join(', ')}; reuse off = a fresh isolate per run, danfo = the chart written the danfo way on the danfo runtime (a fresh isolate per run, its DataFrame built in the preparation) (histogram and box are binned/summarised in the sandbox; the baseline ships raw values)`,
    header,
    table,
  );
  if (danfoFailures.length > 0) console.log(`danfo runs that failed under the bench's limits (shown as —): ${danfoFailures.join('; ')}`);
  printIsolateStarts(opts.quick ? 5 : 10);
}
