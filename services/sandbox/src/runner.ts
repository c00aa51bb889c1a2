import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkCode } from '@plotbox/code-check';
import { DEFAULT_LIMITS, type CodeLang, type ColumnarDataset, type Limits, type RunError, type RunResult } from '@plotbox/sandbox-protocol';
import { DEFAULT_CEILINGS, LimitsError, resolveLimits, type LimitCeilings } from './limits.ts';
import { timeoutError } from './isolate-errors.ts';
import type { ParentMessage, WorkerConfig, WorkerMessage } from './worker-protocol.ts';

/** A dataset for a run: decoded columns, Arrow IPC bytes, or only its hash (a worker must hold it). */
export type DatasetRef =
  | ColumnarDataset
  | { readonly sha256: string; readonly arrow: Uint8Array }
  | { readonly sha256: string };

export interface RunInput {
  readonly code: string;
  readonly lang?: CodeLang;
  readonly dataset: DatasetRef;
  readonly limits?: Partial<Limits>;
  /** Fair-share key: runs are taken round-robin across projects. */
  readonly project?: string;
}

export interface RunnerOptions {
  /** Worker processes (default: number of CPUs). */
  readonly workers?: number;
  /** Warm isolates per worker (default 2). */
  readonly poolSize?: number;
  /** Memory limit of warm isolates, MiB (default 192: 64 for the analyst plus room for a dataset of ~100k rows). */
  readonly warmMemoryMb?: number;
  /** Bytes of decoded datasets each worker keeps (default 512 MiB). */
  readonly cacheBytes?: number;
  /** Limits applied when a run names none. */
  readonly defaultLimits?: Limits;
  /** The most a run may ask for. */
  readonly ceilings?: LimitCeilings;
  /** Runs waiting for a worker before new ones are refused with SANDBOX_BUSY (default 256). */
  readonly maxQueue?: number;
  /** After a run's time limit: the worker disposes the isolate after graceMs (default 250)... */
  readonly graceMs?: number;
  /** ...and the runner kills the worker process after watchdogMs (default 1500). */
  readonly watchdogMs?: number;
  /** Synthetic rows each pooled isolate warms its JIT on before use (0: off). */
  readonly jitWarmUpRows?: number;
  /** Path of the bundled runtime (default: @plotbox/sandbox-runtime's dist/runtime.js). */
  readonly runtimePath?: string;
  /**
   * Skip the static code check and run whatever is given. Only for tests that prove the isolate
   * holds against code that passes (or never saw) the check; never set from configuration.
   */
  readonly unsafeSkipCodeCheck?: boolean;
  /** Where worker stderr goes (default: inherited). */
  readonly workerStderr?: 'inherit' | 'ignore';
}

export interface WorkerInfo {
  readonly pid: number | undefined;
  readonly ready: boolean;
  readonly busy: boolean;
  readonly datasets: number;
  readonly pool: number;
}

export interface RunnerStats {
  readonly workers: readonly WorkerInfo[];
  readonly queued: number;
  readonly restarts: number;
  readonly crashes: number;
  readonly watchdogKills: number;
}

export interface Runner {
  /** sha256 (hex, first 16) of the runtime bundle charts run with; the API keys its render cache on it. */
  readonly runtimeVersion: string;
  /** Checks and runs chart code on a dataset; always resolves to a typed result. */
  run(input: RunInput): Promise<RunResult>;
  /** Does some worker hold this dataset? */
  holds(sha256: string): boolean;
  /** Workers that are up with a warm pool. */
  readyWorkers(): number;
  /** Resolves once every worker is ready. */
  ready(): Promise<void>;
  stats(): RunnerStats;
  /** Stops taking runs, lets in-flight runs finish (up to timeoutMs), then stops the workers. */
  close(timeoutMs?: number): Promise<void>;
}

interface Job {
  readonly js: string;
  readonly dataset: DatasetRef;
  readonly limits: Limits;
  readonly project: string;
  readonly resolve: (r: RunResult) => void;
}

interface WorkerSlot {
  child: ChildProcess;
  ready: boolean;
  job: (Job & { id: number; watchdog: NodeJS.Timeout; killedByWatchdog: boolean }) | undefined;
  datasets: Set<string>;
  pool: number;
  readyWaiters: (() => void)[];
}

const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));

function defaultRuntimePath(): string {
  return fileURLToPath(import.meta.resolve('@plotbox/sandbox-runtime/dist/runtime.js'));
}

function busy(queued: number): RunResult {
  return { ok: false, error: { code: 'SANDBOX_BUSY', message: `The sandbox is busy (${queued} runs waiting). Try again shortly.` } };
}

function errorResult(error: RunError): RunResult {
  return { ok: false, error };
}

/**
 * The Code Mode runner: a supervised set of worker processes, each with a warm pool of
 * single-use isolates. A worker that dies fails only its in-flight run (SANDBOX_CRASHED) and is
 * replaced. Runs queue fairly across projects, bounded by `maxQueue`.
 */
export function createRunner(options: RunnerOptions = {}): Runner {
  const workerCount = options.workers ?? availableParallelism();
  const defaults = options.defaultLimits ?? DEFAULT_LIMITS;
  const ceilings = options.ceilings ?? DEFAULT_CEILINGS;
  const maxQueue = options.maxQueue ?? 256;
  const watchdogMs = options.watchdogMs ?? 1500;
  const runtimePath = options.runtimePath ?? defaultRuntimePath();
  if (!Number.isInteger(workerCount) || workerCount < 1) throw new Error('workers must be a positive whole number');
  if (!existsSync(runtimePath)) throw new Error(`sandbox runtime bundle missing at ${runtimePath}: run npm install (it builds it)`);
  const runtimeVersion = createHash('sha256').update(readFileSync(runtimePath)).digest('hex').slice(0, 16);
  const config: WorkerConfig = {
    runtimePath,
    poolSize: options.poolSize ?? 2,
    warmMemoryMb: options.warmMemoryMb ?? 192,
    cacheBytes: options.cacheBytes ?? 512 * 1024 * 1024,
    graceMs: options.graceMs ?? 250,
    jitWarmUpRows: options.jitWarmUpRows ?? 0,
  };

  const slots: WorkerSlot[] = [];
  /** Waiting jobs per project, and the round-robin order of projects with waiting jobs. */
  const queues = new Map<string, Job[]>();
  let queued = 0;
  let nextId = 1;
  let closing = false;
  let restarts = 0;
  let crashes = 0;
  let watchdogKills = 0;
  const recentExits: number[] = [];

  function spawnWorker(slot?: WorkerSlot): WorkerSlot {
    const child = fork(WORKER_PATH, [JSON.stringify(config)], {
      execArgv: ['--no-node-snapshot'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', options.workerStderr ?? 'inherit', 'ipc'],
    });
    const s: WorkerSlot = slot ?? { child, ready: false, job: undefined, datasets: new Set(), pool: 0, readyWaiters: [] };
    s.child = child;
    s.ready = false;
    s.job = undefined;
    s.datasets = new Set();
    child.on('message', (msg: WorkerMessage) => onMessage(s, child, msg));
    child.on('exit', () => onExit(s, child));
    child.on('error', () => undefined);
    return s;
  }

  function onMessage(slot: WorkerSlot, child: ChildProcess, msg: WorkerMessage): void {
    if (slot.child !== child) return;
    switch (msg.type) {
      case 'ready':
        slot.ready = true;
        slot.pool = msg.pool;
        for (const w of slot.readyWaiters.splice(0)) w();
        dispatch();
        return;
      case 'pool':
        slot.pool = msg.pool;
        return;
      case 'dataset-ok':
        for (const sha of msg.evicted) slot.datasets.delete(sha);
        return;
      case 'dataset-error':
        slot.datasets.delete(msg.sha256);
        return;
      case 'result': {
        const job = slot.job;
        if (!job || job.id !== msg.id) return;
        clearTimeout(job.watchdog);
        slot.job = undefined;
        slot.pool = msg.pool;
        // A retiring worker exits next; it is replaced on exit and gets no more runs meanwhile.
        if (msg.retiring) slot.ready = false;
        for (const sha of msg.evicted) slot.datasets.delete(sha);
        job.resolve(msg.result);
        dispatch();
        return;
      }
    }
  }

  function onExit(slot: WorkerSlot, child: ChildProcess): void {
    if (slot.child !== child) return;
    const job = slot.job;
    slot.job = undefined;
    slot.ready = false;
    if (job) {
      clearTimeout(job.watchdog);
      if (job.killedByWatchdog) {
        job.resolve(errorResult(timeoutError(job.limits)));
      } else {
        crashes++;
        job.resolve(
          errorResult({
            code: 'SANDBOX_CRASHED',
            message: 'The sandbox process running this chart stopped (usually a memory-hungry operation such as a huge array or string). Your other charts are unaffected; try again with less data or simpler code.',
          }),
        );
      }
    }
    if (closing) return;
    restarts++;
    // A worker that keeps dying at start (a broken runtime bundle, no memory) must not spin the CPU.
    const now = Date.now();
    recentExits.push(now);
    while (recentExits.length > 0 && (recentExits[0] ?? now) < now - 10_000) recentExits.shift();
    const delay = recentExits.length > 3 * workerCount + 5 ? 1000 : 0;
    setTimeout(() => {
      if (!closing) spawnWorker(slot);
    }, delay).unref();
  }

  for (let i = 0; i < workerCount; i++) slots.push(spawnWorker());

  function takeNext(): Job | undefined {
    // Round-robin across projects: take from the first project, then move it to the back.
    for (const [project, jobs] of queues) {
      const job = jobs.shift();
      queues.delete(project);
      if (jobs.length > 0) queues.set(project, jobs);
      if (job) {
        queued--;
        return job;
      }
    }
    return undefined;
  }

  function pickWorker(job: Job): WorkerSlot | undefined {
    let fallback: WorkerSlot | undefined;
    for (const s of slots) {
      if (!s.ready || s.job) continue;
      if (s.datasets.has(job.dataset.sha256)) return s;
      fallback ??= s;
    }
    return fallback;
  }

  function dispatch(): void {
    while (queued > 0) {
      const idle = slots.some((s) => s.ready && !s.job);
      if (!idle) return;
      const job = takeNext();
      if (!job) return;
      const slot = pickWorker(job);
      if (!slot) return;
      start(slot, job);
    }
  }

  function start(slot: WorkerSlot, job: Job): void {
    const sha = job.dataset.sha256;
    if (!slot.datasets.has(sha)) {
      const id = nextId++;
      let msg: ParentMessage | undefined;
      if ('columns' in job.dataset) {
        msg = { type: 'dataset', id, sha256: sha, rowCount: job.dataset.rowCount, columns: job.dataset.columns };
      } else if ('arrow' in job.dataset) {
        msg = { type: 'dataset-arrow', id, sha256: sha, bytes: job.dataset.arrow };
      }
      if (!msg) {
        job.resolve(errorResult({ code: 'SANDBOX_DATASET_MISSING', message: 'The sandbox does not hold this dataset; upload it first.' }));
        return;
      }
      slot.child.send(msg);
      slot.datasets.add(sha);
    }
    const id = nextId++;
    const watchdog = setTimeout(() => {
      if (slot.job?.id !== id) return;
      slot.job.killedByWatchdog = true;
      watchdogKills++;
      slot.child.kill('SIGKILL');
    }, job.limits.timeMs + watchdogMs);
    slot.job = { ...job, id, watchdog, killedByWatchdog: false };
    slot.child.send({ type: 'run', id, js: job.js, sha256: sha, limits: job.limits } satisfies ParentMessage);
  }

  return {
    runtimeVersion,
    run(input: RunInput): Promise<RunResult> {
      if (closing) return Promise.resolve(errorResult({ code: 'SANDBOX_UNAVAILABLE', message: 'The sandbox is shutting down.' }));
      let limits: Limits;
      try {
        limits = resolveLimits(input.limits, defaults, ceilings);
      } catch (err) {
        if (err instanceof LimitsError) return Promise.resolve(errorResult({ code: 'SANDBOX_BAD_REQUEST', message: err.message }));
        throw err;
      }
      const checked = options.unsafeSkipCodeCheck
        ? ({ ok: true, js: input.code } as const)
        : checkCode(input.code, { lang: input.lang ?? 'js', maxBytes: limits.codeBytes });
      if (!checked.ok) {
        const first = checked.diagnostics[0];
        return Promise.resolve(
          errorResult({
            code: checked.code,
            message: first ? `${first.message} (line ${first.line})` : 'The code was rejected.',
            ...(first ? { line: first.line, column: first.column } : {}),
            ...(checked.code === 'CODE_TOO_LARGE' ? { limit: { name: 'codeBytes' as const, value: limits.codeBytes } } : {}),
            diagnostics: checked.diagnostics,
          }),
        );
      }
      if (queued >= maxQueue) return Promise.resolve(busy(queued));
      return new Promise<RunResult>((resolve) => {
        const project = input.project ?? '';
        const job: Job = { js: checked.js, dataset: input.dataset, limits, project, resolve };
        const q = queues.get(project);
        if (q) q.push(job);
        else queues.set(project, [job]);
        queued++;
        dispatch();
      });
    },
    holds(sha256: string): boolean {
      return slots.some((s) => s.datasets.has(sha256));
    },
    readyWorkers(): number {
      return slots.filter((s) => s.ready).length;
    },
    async ready(): Promise<void> {
      await Promise.all(slots.map((s) => (s.ready ? Promise.resolve() : new Promise<void>((r) => s.readyWaiters.push(r)))));
    },
    stats(): RunnerStats {
      return {
        workers: slots.map((s) => ({ pid: s.child.pid, ready: s.ready, busy: !!s.job, datasets: s.datasets.size, pool: s.pool })),
        queued,
        restarts,
        crashes,
        watchdogKills,
      };
    },
    async close(timeoutMs = 10_000): Promise<void> {
      closing = true;
      // Runs still queued will not start.
      for (const jobs of queues.values()) for (const job of jobs) job.resolve(errorResult({ code: 'SANDBOX_UNAVAILABLE', message: 'The sandbox is shutting down.' }));
      queues.clear();
      queued = 0;
      const deadline = Date.now() + timeoutMs;
      while (slots.some((s) => s.job) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
              s.child.once('exit', () => resolve());
              s.child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
