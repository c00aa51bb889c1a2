// Service section: the mixed eight-chart workload at 100k rows through the sandbox service's HTTP
// API on loopback (dataset cached), at concurrency 1, 4 and 16, with isolate reuse on and off; the
// workers' CPU per render and peak resident memory under that load (from /proc); the charts at
// concurrency 1 through HTTP and through the runner called directly in-process, run by run in turn
// (to isolate the service's own overhead); and the Depictio-style baseline's throughput with 2
// workers, in the same run.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { encodeArrowIPC } from '@plotbox/datasets';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import { createRunner } from '@plotbox/sandbox';
import { baselineThroughput, baselineUnavailable } from './baseline.ts';
import { fmt, pct, printTable, type LoadedSales, type SizeTag } from './data.ts';

export interface ServiceBenchOptions {
  readonly quick: boolean;
  readonly load: (size: SizeTag) => LoadedSales;
}

const MAIN = resolve(import.meta.dirname, '../services/sandbox/src/main.ts');

/** The real sandbox service in its own process on port 0, ready (also used by the render section). */
export async function startService(token: string, env: Record<string, string> = {}): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = fork(MAIN, [], {
    execArgv: ['--no-node-snapshot'],
    env: { PATH: process.env.PATH ?? '', SANDBOX_TOKEN: token, SANDBOX_PORT: '0', SANDBOX_WORKERS: String(availableParallelism()), SANDBOX_MAX_QUEUE: '4096', ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((res, rej) => {
    child.on('message', (m: { type?: string; port?: number }) => m.type === 'listening' && m.port && res(m.port));
    child.on('exit', (c) => rej(new Error(`sandbox exited ${c}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400 && (await fetch(`${url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
  return {
    url,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((res) => {
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

/** The service's worker processes (its children), from /proc. */
function workerPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** CPU time (user + system) of a process, ms. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

function rssBytes(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

interface Sample {
  readonly chart: string;
  readonly ms: number;
  readonly workerMs: number;
}

/** Runs `total` requests with `concurrency` lanes over the eight charts round-robin. */
async function drive(total: number, concurrency: number, once: (chart: number) => Promise<{ ms: number; workerMs: number }>): Promise<{ samples: Sample[]; seconds: number }> {
  const samples: Sample[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const c = i % EXAMPLE_CHARTS.length;
        const r = await once(c);
        samples.push({ chart: EXAMPLE_CHARTS[c]?.name ?? '', ...r });
      }
    }),
  );
  return { samples, seconds: (performance.now() - t0) / 1000 };
}

export async function serviceBench(opts: ServiceBenchOptions): Promise<void> {
  const { dataset, source } = opts.load('100k');
  const arrow = encodeArrowIPC(dataset.columns);
  const token = randomBytes(32).toString('base64url');
  const perLevel = opts.quick ? 80 : 400;
  console.log(`service: 100k rows (data: ${source}), ${availableParallelism()} workers, ${perLevel} renders per concurrency level`);

  // 1. Direct: the runner in this process, no HTTP. Its latency is what the service adds to; it is
  // measured interleaved with the service's (below), so both see the same load on this machine.
  const runner = createRunner({ workers: availableParallelism() });
  await runner.ready();
  const direct = async (c: number): Promise<{ ms: number; workerMs: number }> => {
    const t = performance.now();
    const r = await runner.run({ code: EXAMPLE_CHARTS[c]?.code ?? '', dataset, project: `p${c % 3}` });
    if (!r.ok) throw new Error(`${EXAMPLE_CHARTS[c]?.name}: ${r.error.code} ${r.error.message}`);
    return { ms: performance.now() - t, workerMs: r.stats.durationMs };
  };
  await drive(EXAMPLE_CHARTS.length * availableParallelism() * 3, availableParallelism(), direct);

  // 2. Through the service, with isolate reuse on (the default) and off.
  const rows: string[][] = [];
  const overheadRows: string[][] = [];
  const resourceRows: string[][] = [];
  for (const reuse of ['on', 'off'] as const) {
    const svc = await startService(token, { SANDBOX_ISOLATE_REUSE: reuse });
    try {
      const auth = { authorization: `Bearer ${token}` };
      const put = await fetch(`${svc.url}/v1/datasets/${dataset.sha256}`, { method: 'PUT', headers: auth, body: arrow });
      if (put.status !== 201) throw new Error(`dataset upload failed: ${put.status}`);
      const viaHttp = async (c: number): Promise<{ ms: number; workerMs: number }> => {
        const t = performance.now();
        const res = await fetch(`${svc.url}/v1/runs`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ code: EXAMPLE_CHARTS[c]?.code, dataset: { sha256: dataset.sha256 }, project: `p${c % 3}` }),
        });
        const text = await res.text();
        const ms = performance.now() - t;
        if (res.status !== 200) throw new Error(`${EXAMPLE_CHARTS[c]?.name}: ${res.status} ${text.slice(0, 200)}`);
        const statsAt = text.lastIndexOf('"stats":');
        const stats = JSON.parse(text.slice(statsAt + 8, -1)) as { durationMs: number };
        return { ms, workerMs: stats.durationMs };
      };
      // Warm every worker on every chart (and move the dataset into each worker once).
      await drive(EXAMPLE_CHARTS.length * availableParallelism() * 3, availableParallelism(), viaHttp);
      const workers = workerPids(svc.pid);
      for (const concurrency of [1, 4, 16]) {
        const cpu0 = workers.reduce((n, p) => n + cpuMs(p), 0);
        const peak = new Map<number, number>();
        const poll = setInterval(() => {
          for (const p of workers) peak.set(p, Math.max(peak.get(p) ?? 0, rssBytes(p)));
        }, 20);
        const { samples, seconds } = await drive(concurrency === 1 ? perLevel / 2 : perLevel, concurrency, viaHttp);
        clearInterval(poll);
        const cpuPerRender = (workers.reduce((n, p) => n + cpuMs(p), 0) - cpu0) / samples.length;
        const ms = samples.map((x) => x.ms);
        rows.push([reuse, String(concurrency), String(samples.length), (samples.length / seconds).toFixed(1), fmt(pct(ms, 50)), fmt(pct(ms, 95))]);
        resourceRows.push([reuse, String(concurrency), fmt(cpuPerRender), [...peak.values()].map((b) => (b / 2 ** 20).toFixed(0)).join(' / ')]);
        if (concurrency === 1 && reuse === 'on') {
          // The same charts one at a time, each through HTTP and directly in turn (which goes first
          // alternates from round to round), so the difference is the service's and not the
          // machine's load of the moment.
          const http: Sample[] = [];
          const dir: Sample[] = [];
          for (let i = 0; i < perLevel / 2; i++) {
            const c = i % EXAMPLE_CHARTS.length;
            const chart = EXAMPLE_CHARTS[c]?.name ?? '';
            const first = Math.floor(i / EXAMPLE_CHARTS.length) % 2 === 0 ? viaHttp : direct;
            const second = first === viaHttp ? direct : viaHttp;
            const a = await first(c);
            const b = await second(c);
            http.push({ chart, ...(first === viaHttp ? a : b) });
            dir.push({ chart, ...(first === viaHttp ? b : a) });
          }
          await runner.close();
          for (const chart of EXAMPLE_CHARTS) {
            const httpChart = http.filter((x) => x.chart === chart.name);
            const dirChart = dir.filter((x) => x.chart === chart.name);
            const httpP50 = pct(
              httpChart.map((x) => x.ms),
              50,
            );
            const dirP50 = pct(
              dirChart.map((x) => x.ms),
              50,
            );
            const workerP50 = pct(
              httpChart.map((x) => x.workerMs),
              50,
            );
            overheadRows.push([chart.name, fmt(httpP50), fmt(dirP50), fmt(workerP50), fmt(httpP50 - dirP50), fmt(httpP50 - workerP50)]);
          }
        }
      }
    } finally {
      await svc.stop();
    }
  }

  const why = baselineUnavailable();
  let baseline: number | undefined;
  if (why) console.log(`baseline unavailable: ${why}`);
  else {
    console.log('baseline: Depictio-style throughput, 2 Python workers, mixed eight charts at 100k...');
    baseline = baselineThroughput('100k', 2, opts.quick ? 32 : 96);
  }
  printTable(
    'Sandbox service over HTTP, mixed eight charts at 100k rows (dataset cached), three projects',
    ['isolate reuse', 'concurrency', 'renders', 'renders/s', 'p50 ms', 'p95 ms'],
    [...rows, ['baseline (2 workers)', '', '', baseline ? baseline.toFixed(1) : 'unavailable', '', '']],
  );
  printTable('Sandbox workers under that load (from /proc)', ['isolate reuse', 'concurrency', 'worker CPU ms per render', 'peak RSS per worker, MiB'], resourceRows);
  printTable('Service overhead at concurrency 1, p50 ms (target: HTTP − direct ≤ 1 ms)', ['chart', 'HTTP', 'direct run()', 'in worker', 'HTTP − direct', 'HTTP − worker'], overheadRows);
}
