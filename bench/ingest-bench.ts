// Ingest section (issue 10): the real API process (services/api/src/main.ts) takes 1,000,000 sales
// rows as CSV (~47 MB), as JSON rows and as Arrow IPC, one after the other, while a second client
// (its own thread) polls GET /api/health every 100 ms. For each upload: its time, the health
// latencies during it (p50/p99/max), and the peak RSS of the API process and of its ingest worker
// processes above their idle size; then a one-row preview of the 1M-row version. Targets: health
// p99 ≤ 50 ms during any upload, API RSS ≤ idle + 512 MiB, the CSV ingested in ≤ 5 s. Reports,
// never fails on slowness.
import { fork, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { columnToArray, encodeArrowIPC, generateSales } from '@plotbox/datasets';
import type { Column } from '@plotbox/sandbox-protocol';
import { fmt, pct, printTable } from './data.ts';

const MAIN = resolve(import.meta.dirname, '../services/api/src/main.ts');
const ADMIN = { email: 'ingest-bench@example.com', password: 'an ingest benchmark passphrase' };
const MIB = 1024 * 1024;

export interface IngestBenchOptions {
  readonly quick: boolean;
}

/** The sales columns plus an order id, so the CSV is about 47 MB at 1M rows (the size in issue 10). */
function salesWithIds(rows: number): Column[] {
  const sales = generateSales(rows, 20240101);
  const ids = Array.from({ length: rows }, (_, i) => `ORD-${String(i).padStart(7, '0')}`);
  return [{ name: 'order_id', kind: 'string', dictionary: ids, codes: Int32Array.from({ length: rows }, (_, i) => i) }, ...sales];
}

async function writeLines(path: string, header: string | null, rows: number, line: (i: number) => string, footer: string | null): Promise<void> {
  const out = createWriteStream(path);
  async function* lines(): AsyncGenerator<string> {
    if (header !== null) yield header;
    let buf = '';
    for (let i = 0; i < rows; i++) {
      buf += line(i);
      if (buf.length > 1 << 20) {
        yield buf;
        buf = '';
      }
    }
    yield buf;
    if (footer !== null) yield footer;
  }
  await pipeline(lines(), out);
}

/** CSV, JSON rows and Arrow files of the same rows. */
async function makeFiles(dir: string, rows: number): Promise<{ csv: string; json: string; arrow: string }> {
  const columns = salesWithIds(rows);
  const arrays = columns.map((c) => columnToArray(c));
  const names = columns.map((c) => c.name);
  const csv = join(dir, 'sales.csv');
  await writeLines(csv, `${names.join(',')}\n`, rows, (i) => `${arrays.map((a) => String(a[i] ?? '')).join(',')}\n`, null);
  const json = join(dir, 'sales.json');
  await writeLines(json, '[', rows, (i) => `${i === 0 ? '' : ',\n'}${JSON.stringify(Object.fromEntries(names.map((n, k) => [n, arrays[k]?.[i] ?? null])))}`, ']');
  const arrow = join(dir, 'sales.arrow');
  writeFileSync(arrow, encodeArrowIPC(columns));
  return { csv, json, arrow };
}

interface Api {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startApi(dir: string): Promise<Api> {
  const child = fork(MAIN, [], {
    execArgv: ['--no-node-snapshot'],
    env: {
      PATH: process.env.PATH ?? '',
      PLOTBOX_DATA_DIR: dir,
      PLOTBOX_PORT: '0',
      PLOTBOX_LOG_LEVEL: 'warn',
      PLOTBOX_SEED_DEMO: 'false',
      PLOTBOX_ADMIN_EMAIL: ADMIN.email,
      PLOTBOX_ADMIN_PASSWORD: ADMIN.password,
      // The JSON rows of 1M rows are ~130 MB: above the default 100 MiB upload cap.
      PLOTBOX_MAX_UPLOAD_MB: '256',
      PLOTBOX_API_RATE_LIMIT: '1000000',
      PLOTBOX_MIN_FREE_DISK_MB: '0',
      SANDBOX_URL: 'http://127.0.0.1:9',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((res, rej) => {
    child.on('message', (m: { type?: string; port?: number }) => m.type === 'listening' && typeof m.port === 'number' && res(m.port));
    child.once('exit', (c) => rej(new Error(`api exited ${c}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** VmRSS of a process, bytes (0 when gone). */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/u.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      return text === '' ? [] : text.split(/\s+/u).map(Number);
    });
  } catch {
    return [];
  }
}

/** Samples the API's RSS and its children's every 50 ms until stopped; returns the peaks. */
function sampleMemory(pid: number): () => { api: number; workers: number } {
  let api = rssOf(pid);
  let workers = 0;
  const timer = setInterval(() => {
    api = Math.max(api, rssOf(pid));
    workers = Math.max(
      workers,
      childrenOf(pid).reduce((sum, c) => sum + rssOf(c), 0),
    );
  }, 50);
  return () => {
    clearInterval(timer);
    return { api, workers };
  };
}

/** A second client in its own thread: GET /api/health every 100 ms, latencies in ms. */
function pollHealth(url: string): { stop: () => Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const lat = []; let on = true;
     parentPort.on('message', () => { on = false; });
     (async () => {
       while (on) {
         const t0 = performance.now();
         try { const r = await fetch(workerData + '/api/health'); await r.arrayBuffer(); } catch {}
         lat.push(performance.now() - t0);
         await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - t0))));
       }
       parentPort.postMessage(lat);
     })();`,
    { eval: true, workerData: url },
  );
  return {
    stop: () =>
      new Promise((res) => {
        worker.once('message', (lat: number[]) => {
          void worker.terminate();
          res(lat);
        });
        worker.postMessage('stop');
      }),
  };
}

function post(api: Api, cookie: string, path: string, file: string, type: string): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const u = new URL(api.url + path);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { cookie, 'content-type': type, 'x-requested-with': 'plotbox', 'content-length': statSync(file).size } },
      (response) => {
        let body = '';
        response.on('data', (d: Buffer) => void (body += d.toString()));
        response.on('end', () => res({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on('error', rej);
    createReadStream(file, { highWaterMark: MIB }).pipe(req);
  });
}

export async function ingestBench(options: IngestBenchOptions): Promise<void> {
  const rows = options.quick ? 100_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-ingest-bench-'));
  const dataDir = join(dir, 'data');
  let api: Api | undefined;
  try {
    const files = await makeFiles(dir, rows);
    api = await startApi(dataDir);
    const login = await fetch(`${api.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-requested-with': 'plotbox' }, body: JSON.stringify(ADMIN) });
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const headers = { cookie, 'content-type': 'application/json', 'x-requested-with': 'plotbox' };
    const project = (await (await fetch(`${api.url}/api/projects`, { method: 'POST', headers, body: JSON.stringify({ name: 'Ingest bench' }) })).json()) as { project: { id: string } };
    const base = `/api/projects/${project.project.id}/datasets`;
    // Warm up: a small upload starts the worker's code paths; then the idle size.
    const small = join(dir, 'small.csv');
    writeFileSync(small, 'a,b\n1,x\n');
    await post(api, cookie, `${base}?name=warmup`, small, 'text/csv');
    await new Promise((r) => setTimeout(r, 1000));
    const pid = api.child.pid as number;
    const idleApi = rssOf(pid);
    const idleWorkers = childrenOf(pid).reduce((sum, c) => sum + rssOf(c), 0);

    const table: string[][] = [];
    const verdicts: string[] = [];
    let lastVersion: { dataset: string; version: string } | undefined;
    for (const [format, file, type] of [
      ['CSV', files.csv, 'text/csv'],
      ['JSON rows', files.json, 'application/json'],
      ['Arrow IPC', files.arrow, 'application/vnd.apache.arrow.stream'],
    ] as const) {
      const poller = pollHealth(api.url);
      await new Promise((r) => setTimeout(r, 300));
      const memory = sampleMemory(pid);
      const t0 = performance.now();
      const res = await post(api, cookie, `${base}?name=${encodeURIComponent(format)}`, file, type);
      const seconds = (performance.now() - t0) / 1000;
      const peaks = memory();
      const lat = await poller.stop();
      const ok = res.status === 201;
      if (ok) {
        const b = JSON.parse(res.body) as { dataset: { id: string }; version: { id: string; rowCount: number } };
        lastVersion = { dataset: b.dataset.id, version: b.version.id };
        if (b.version.rowCount !== rows) verdicts.push(`${format}: stored ${b.version.rowCount} rows, not ${rows}`);
      } else verdicts.push(`${format}: ${res.status} ${res.body.slice(0, 200)}`);
      const p99 = pct(lat, 99);
      table.push([
        format,
        (statSync(file).size / 1e6).toFixed(1),
        ok ? seconds.toFixed(2) : `failed (${res.status})`,
        fmt(pct(lat, 50)),
        fmt(p99),
        fmt(Math.max(...lat)),
        String(lat.length),
        ((peaks.api - idleApi) / MIB).toFixed(0),
        ((peaks.workers - idleWorkers) / MIB).toFixed(0),
      ]);
      if (p99 > 50) verdicts.push(`${format}: health p99 ${fmt(p99)} ms > 50 ms`);
      if (peaks.api - idleApi > 512 * MIB) verdicts.push(`${format}: API RSS ${((peaks.api - idleApi) / MIB).toFixed(0)} MiB over idle > 512 MiB`);
      if (format === 'CSV' && seconds > 5) verdicts.push(`CSV: ${seconds.toFixed(2)} s > 5 s`);
    }
    printTable(
      `Ingest: ${rows.toLocaleString('en-US')} rows uploaded to the API process, /api/health polled every 100 ms by a second client (idle RSS: API ${(idleApi / MIB).toFixed(0)} MiB, ingest workers ${(idleWorkers / MIB).toFixed(0)} MiB)`,
      ['format', 'MB', 'upload s', 'health p50 ms', 'p99 ms', 'max ms', 'polls', 'API RSS +MiB', 'workers RSS +MiB'],
      table,
    );
    if (lastVersion !== undefined) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const r = await fetch(`${api.url}${base}/${lastVersion.dataset}/versions/${lastVersion.version}/preview?limit=1`, { headers: { cookie } });
        await r.arrayBuffer();
        times.push(performance.now() - t0);
      }
      console.log(`preview of 1 row of the ${rows.toLocaleString('en-US')}-row version: median ${fmt(pct(times, 50))} ms, max ${fmt(Math.max(...times))} ms (5 requests)`);
    }
    console.log(verdicts.length === 0 ? 'targets (health p99 ≤ 50 ms, API RSS ≤ idle + 512 MiB, CSV ≤ 5 s): all met' : `targets missed: ${verdicts.join('; ')}`);
  } finally {
    if (api !== undefined) {
      const child = api.child;
      await new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
