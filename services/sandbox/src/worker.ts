// A sandbox worker process: holds a warm pool of single-use isolates and a cache of datasets, and
// runs one chart at a time for its supervisor over IPC. Started by the runner with
// `--no-node-snapshot`; the supervisor restarts it if it dies, so nothing here tries to limp on.
import { readFileSync, writeFileSync } from 'node:fs';
import ivm from 'isolated-vm';
import { decodeArrowIPC, generateSales } from '@plotbox/datasets';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime/examples';
import { packStringColumn, type PayloadColumn } from '@plotbox/sandbox-runtime/columns';
import type { Column, RunResult } from '@plotbox/sandbox-protocol';
import { createIsolatePool } from './isolate-pool.ts';
import { decodeReserveBytes, executeRun, type HeldDataset } from './execute.ts';
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
  const held: HeldDataset = { sha256, rowCount, bytes, decodeBytes: decodeReserveBytes(rowCount, columns), payload, copyBytes: undefined };
  datasets.set(sha256, held);
  heldBytes += bytes;
  const evicted: string[] = [];
  for (const [key, value] of datasets) {
    if (heldBytes <= config.cacheBytes || key === sha256) break;
    datasets.delete(key);
    heldBytes -= value.bytes;
    value.payload.release();
    evicted.push(key);
  }
  return evicted;
}

let queue: Promise<void> = Promise.resolve();
let tainted = false;

process.on('message', (msg: ParentMessage) => {
  // One run at a time: runs are CPU-bound and the supervisor spreads them over workers.
  queue = queue.then(() => handle(msg)).catch((err: unknown) => {
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
      let result: RunResult;
      if (!dataset) {
        result = { ok: false, error: { code: 'SANDBOX_DATASET_MISSING', message: 'The sandbox does not hold this dataset.' } };
      } else {
        datasets.delete(msg.sha256);
        datasets.set(msg.sha256, dataset);
        result = await executeRun(pool, {
          js: msg.js,
          dataset,
          limits: msg.limits,
          graceMs: config.graceMs,
          prepareMs: config.prepareMs,
          onStarted: ({ budgetBytes }) => void send({ type: 'started', id: msg.id, budgetBytes }),
          onForcedDispose: () => {
            tainted = true;
          },
        });
      }
      await send({ type: 'result', id: msg.id, result, evicted: [], pool: pool.ready, retiring: tainted });
      if (!tainted) pool.refill();
      if (tainted) {
        // An isolate outlived its deadline; it may still hold a thread. Start afresh (the
        // supervisor replaces this process) rather than run the next chart beside it.
        pool.close();
        process.disconnect();
      }
      return;
    }
  }
}

process.on('disconnect', () => {
  pool.close();
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
