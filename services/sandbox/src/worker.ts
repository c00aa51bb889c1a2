// A sandbox worker process: holds a warm pool of fresh (locked-down) isolates, the isolates it keeps
// for tenants between their runs (isolate reuse), and a cache of datasets, and runs one chart at a
// time for its supervisor over IPC. Started by the runner with `--no-node-snapshot`; the supervisor
// restarts it if it dies, so nothing here tries to limp on.
import { readFileSync, writeFileSync } from 'node:fs';
import ivm from 'isolated-vm';
import { decodeArrowIPC, generateSales } from '@plotbox/datasets';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime/examples';
import { DANFO_EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime/danfo-examples';
import { packStringColumn, type PayloadColumn } from '@plotbox/sandbox-runtime/columns';
import type { Column, RunResult, RuntimeName } from '@plotbox/sandbox-protocol';
import { danfoFrameBytes, decodeReserveBytes, executeRun, settleForReuse, type HeldDataset } from './execute.ts';
import { createIsolatePool, disposeIsolate, type IsolatePool, type WarmIsolate } from './isolate-pool.ts';
import { FATAL_MARKER, type ParentMessage, type WorkerConfig, type WorkerMessage } from './worker-protocol.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const send = (msg: WorkerMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });

// When memory runs short, the kernel's OOM killer should pick a worker (the supervisor replaces
// it) rather than the supervisor. Raising one's own score needs no privilege; where /proc is not
// writable this simply does not happen.
try {
  writeFileSync('/proc/self/oom_score_adj', '1000');
} catch {
  // Not Linux, or /proc read-only: nothing to do.
}

const pool = createIsolatePool({
  runtimeSource: readFileSync(config.runtimePath, 'utf8'),
  size: config.poolSize,
  memoryMb: config.warmMemoryMb,
  jitWarmUpRows: config.jitWarmUpRows,
  // Isolates that may serve several runs of a tenant are locked down; single-use ones need not be.
  lockdown: config.reuse,
  onRefilled: (ready) => void send({ type: 'pool', pool: ready }),
  // The code cache is made after running the example charts on a small synthetic dataset, so it
  // holds bytecode for what charts typically call.
  warmUp: { payload: { rowCount: 2000, columns: generateSales(2000, 1) }, scripts: EXAMPLE_CHARTS.map((c) => c.code) },
  onCatastrophicError: (message) => {
    // V8 lost control of an isolate: nothing in this process can be trusted to finish. The marker
    // line tells the supervisor whether it was memory (stderr to a pipe is synchronous on Linux).
    const kind = /memory/i.test(message) ? 'memory' : 'crash';
    process.stderr.write(`${FATAL_MARKER} ${kind}: catastrophic isolate error: ${message}\n`);
    process.abort();
  },
});

/**
 * The danfo runtime's pool (packages/sandbox-runtime dist/danfo-runtime.js), made on this worker's
 * first danfo run: danfo is opt-in per chart and its isolates cost more to make and hold (a
 * bundle half again as large, tfjs's engine), so a worker whose charts never ask for it never pays.
 * Its isolates are always locked down, and serve one run each (the runner gives danfo runs no
 * tenant).
 */
let danfoPool: IsolatePool | undefined;

function poolFor(runtime: RuntimeName): IsolatePool {
  if (runtime !== 'danfo') return pool;
  danfoPool ??= createIsolatePool({
    runtimeSource: readFileSync(config.danfoRuntimePath, 'utf8'),
    size: config.poolSize,
    memoryMb: config.warmMemoryMb,
    jitWarmUpRows: config.jitWarmUpRows > 0 ? Math.min(config.jitWarmUpRows, 2000) : 0,
    lockdown: true,
    warmUp: { payload: { rowCount: 2000, columns: generateSales(2000, 1) }, scripts: DANFO_EXAMPLE_CHARTS.map((c) => c.code) },
    onCatastrophicError: (message) => {
      const kind = /memory/i.test(message) ? 'memory' : 'crash';
      process.stderr.write(`${FATAL_MARKER} ${kind}: catastrophic isolate error: ${message}\n`);
      process.abort();
    },
  });
  return danfoPool;
}

/**
 * Idle isolates kept for their tenant's next run, by tenant key, least recently used first. Each
 * is bound to one dataset version of one project and runtime (worker-protocol.ts `tenantKey`) and
 * was settled after its last run (execute.ts `settleForReuse`).
 */
const kept = new Map<string, { readonly entry: WarmIsolate; readonly sha256: string }>();

function keptKeys(): string[] {
  return [...kept.keys()];
}

function dropKept(key: string): void {
  const k = kept.get(key);
  kept.delete(key);
  if (k) disposeIsolate(k.entry);
}

/** Keeps a settled isolate for its tenant, disposing the least recently used beyond the limit. */
function keep(key: string, entry: WarmIsolate, sha256: string): void {
  dropKept(key);
  kept.set(key, { entry, sha256 });
  for (const k of kept.keys()) {
    if (kept.size <= config.keptIsolates) break;
    dropKept(k);
  }
}

/** Datasets by sha256, least recently used first (Map keeps insertion order). */
const datasets = new Map<string, HeldDataset>();
let heldBytes = 0;

function hold(sha256: string, rowCount: number, columns: readonly Column[]): string[] {
  const existing = datasets.get(sha256);
  if (existing) {
    datasets.delete(sha256);
    datasets.set(sha256, existing);
    return [];
  }
  let bytes = 0;
  const packed: PayloadColumn[] = [];
  for (const c of columns) {
    if (c.kind === 'string') {
      bytes += c.codes.byteLength + c.dictionary.reduce((n, s) => n + 2 * s.length + 16, 0);
      // One string per dictionary instead of one per entry: the copy into each run's isolate is a
      // memcpy, and entries are sliced out only if the chart reads the column.
      packed.push(packStringColumn(c));
    } else {
      bytes += c.values.byteLength + (c.valid?.byteLength ?? 0);
      packed.push(c);
    }
  }
  const payload = new ivm.ExternalCopy({ rowCount, columns: packed });
  const held: HeldDataset = { sha256, rowCount, bytes, decodeBytes: decodeReserveBytes(rowCount, columns), payload, copyBytes: undefined, columnCount: columns.length };
  datasets.set(sha256, held);
  heldBytes += bytes;
  const evicted: string[] = [];
  for (const [key, value] of datasets) {
    if (heldBytes <= config.cacheBytes || key === sha256) break;
    datasets.delete(key);
    heldBytes -= value.bytes;
    value.payload.release();
    evicted.push(key);
    // A kept isolate serves a dataset the worker still holds (runs check the cache first).
    for (const [k, v] of kept) if (v.sha256 === key) dropKept(k);
  }
  return evicted;
}

let queue: Promise<void> = Promise.resolve();
let tainted = false;
/** Messages received and not yet handled: work after a run yields to a waiting one. */
let pending = 0;

process.on('message', (msg: ParentMessage) => {
  // One run at a time: runs are CPU-bound and the supervisor spreads them over workers.
  pending++;
  queue = queue
    .then(() => {
      pending--;
      return handle(msg);
    })
    .catch((err: unknown) => {
      process.stderr.write(`sandbox worker: ${err instanceof Error ? err.message : String(err)}\n`);
    });
});

async function handle(msg: ParentMessage): Promise<void> {
  switch (msg.type) {
    case 'dataset': {
      const evicted = hold(msg.sha256, msg.rowCount, msg.columns);
      void send({ type: 'dataset-ok', id: msg.id, sha256: msg.sha256, rowCount: msg.rowCount, evicted });
      return;
    }
    case 'dataset-arrow': {
      let decoded;
      try {
        decoded = decodeArrowIPC(msg.bytes);
      } catch (err) {
        const message = err instanceof Error ? err.message : 'unreadable dataset';
        void send({ type: 'dataset-error', id: msg.id, sha256: msg.sha256, message: message.slice(0, 500) });
        return;
      }
      const evicted = hold(msg.sha256, decoded.rowCount, decoded.columns);
      void send({ type: 'dataset-ok', id: msg.id, sha256: msg.sha256, rowCount: decoded.rowCount, evicted });
      return;
    }
    case 'run': {
      const dataset = datasets.get(msg.sha256);
      const tenant = config.reuse ? msg.tenant : undefined;
      let result: RunResult;
      let after: (() => Promise<void>) | undefined;
      let expectKept = false;
      if (!dataset) {
        result = { ok: false, error: { code: 'SANDBOX_DATASET_MISSING', message: 'The sandbox does not hold this dataset.' } };
      } else {
        datasets.delete(msg.sha256);
        datasets.set(msg.sha256, dataset);
        const reuse = tenant === undefined ? undefined : kept.get(tenant)?.entry;
        if (tenant !== undefined) kept.delete(tenant);
        const runtime = msg.runtime;
        const outcome = await executeRun(poolFor(runtime), {
          js: msg.js,
          ...(runtime === 'danfo' ? { runtimeBytes: danfoFrameBytes(dataset.rowCount, dataset.columnCount ?? 1) } : {}),
          dataset,
          limits: msg.limits,
          graceMs: config.graceMs,
          prepareMs: config.prepareMs,
          shared: tenant !== undefined,
          ...(reuse ? { reuse } : {}),
          onStarted: ({ budgetBytes }) => void send({ type: 'started', id: msg.id, budgetBytes }),
          onForcedDispose: () => {
            tainted = true;
          },
        });
        result = outcome.result;
        const entry = outcome.isolate;
        if (entry !== undefined) {
          expectKept = outcome.reusable && tenant !== undefined && !tainted && entry.runs < config.maxRunsPerIsolate;
          after = async () => {
            // After the result is on its way: settle the isolate for the tenant's next run, or dispose it.
            if (expectKept && tenant !== undefined && !tainted) {
              const bytes = await settleForReuse(entry, () => pending > 0);
              if (bytes !== undefined && bytes <= config.maxKeptHeapBytes && !tainted) {
                keep(tenant, entry, msg.sha256);
                return;
              }
            }
            disposeIsolate(entry);
            if (expectKept) void send({ type: 'kept', kept: keptKeys() });
          };
        }
      }
      const keys = keptKeys();
      if (expectKept && tenant !== undefined && !keys.includes(tenant)) keys.push(tenant);
      await send({ type: 'result', id: msg.id, result, evicted: [], pool: pool.ready, retiring: tainted, kept: keys });
      if (after) await after();
      if (!tainted) {
        pool.refill();
        danfoPool?.refill();
      }
      if (tainted) {
        // An isolate outlived its deadline; it may still hold a thread. Start afresh (the
        // supervisor replaces this process) rather than run the next chart beside it.
        for (const k of keptKeys()) dropKept(k);
        pool.close();
        danfoPool?.close();
        process.disconnect();
      }
      return;
    }
  }
}

process.on('disconnect', () => {
  for (const k of keptKeys()) dropKept(k);
  pool.close();
  danfoPool?.close();
  process.exit(0);
});

pool.filled().then(
  () => send({ type: 'ready', pool: pool.ready }),
  (err: unknown) => {
    // No isolate can be made (a broken runtime bundle, no memory): exit, and let the supervisor
    // replace this process (it backs off when workers keep dying at start).
    process.stderr.write(`sandbox worker: cannot start isolates: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
