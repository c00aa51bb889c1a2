/**
 * The ingest pool: a few worker **processes** that parse uploads off the API's event loop, with
 * admission control so that concurrent huge uploads cannot queue unbounded work.
 *
 * Processes rather than worker threads: a V8 heap limit on a worker thread (`resourceLimits`) is
 * not a safe last line, since an allocation that overshoots it aborts the whole process, API
 * included (nodejs/node#47224; reproduced here with a growing Map). A child process with its own
 * `--max-old-space-size` dies alone: its task becomes a typed 422 and a new worker is started.
 * The parsers' own limits (rows, columns, field length, decoded size) stop bad input long before
 * that; the heap limit is only the backstop.
 *
 * Hand-written over `child_process.fork` rather than a pool library: piscina has threads only, and
 * workerpool's process mode forwards the parent's `--inspect` (opening a debugger port in every
 * worker) and `--max-old-space-size` (overriding the worker's own limit) and overrides `stdio`.
 * Here the workers get exactly one V8 flag, an empty environment (no secrets) and no stdout.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PlotboxError, errorGuard } from '@plotbox/errors';
import { WORKER_FLAG, type IngestOutcome, type IngestTask, type WorkerMessage } from './ingest-protocol.ts';

/** Options of {@link createIngestPool}. */
export interface IngestPoolOptions {
  /** Worker processes (uploads parsed at once). */
  readonly workers: number;
  /** Uploads admitted beyond the running ones (staging their bodies or waiting for a worker). */
  readonly queue: number;
  /** V8 heap of each worker, MiB. */
  readonly memoryMb: number;
  /** Longest one upload may take to parse; then its worker is killed. */
  readonly timeoutMs: number;
  /** Start the workers now rather than at the first upload (saves ~0.3 s on the first). */
  readonly warm?: boolean;
}

export const INGEST_ERROR_CODES = ['INGEST_MEMORY', 'INGEST_TIMEOUT', 'INGEST_CRASHED', 'INGEST_STORAGE_FULL', 'INGEST_CLOSED'] as const;
export type IngestErrorCode = (typeof INGEST_ERROR_CODES)[number];

/** The worker limit an upload ran into (named in the API's `DATASET_TOO_LARGE`). */
export interface IngestLimit {
  readonly name: 'ingestMemoryMb' | 'ingestSeconds';
  readonly value: number;
}

/** Why the pool could not parse an upload (the upload's own faults are outcomes, not errors). */
export class IngestError extends PlotboxError<IngestErrorCode, never> {
  /** `INGEST_MEMORY` and `INGEST_TIMEOUT`: the worker's limit that was reached. */
  readonly limit: IngestLimit | undefined;
  constructor(code: IngestErrorCode, message: string, options: { readonly cause?: unknown; readonly limit?: IngestLimit } = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'IngestError';
    this.limit = options.limit;
  }
}

/** Is `value` an {@link IngestError} (optionally of `code`)? */
export const isIngestError = errorGuard(IngestError);

/** One admitted upload: run its task (at most once), then release the place. */
export interface IngestSlot {
  run(task: IngestTask): Promise<IngestOutcome>;
  release(): void;
}

/** The ingest port the API uses (part of AppDeps.ingest). */
export interface IngestPort {
  /** The settings it was built with (the memory and time limits are named in errors). */
  readonly options: Readonly<Required<IngestPoolOptions>>;
  /** A place for one upload, or `null` when every worker is busy and the queue is full. */
  admit(): IngestSlot | null;
  /** Uploads admitted and not yet released, tasks running, worker processes alive, and the capacity. */
  stats(): { readonly admitted: number; readonly running: number; readonly workers: number; readonly capacity: number };
  /** The worker processes' ids (for tests and the benchmark's memory sampling). */
  pids(): readonly number[];
  /** Stop the workers; running and waiting tasks end with INGEST_CLOSED. */
  close(): Promise<void>;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./ingest-worker.ts', import.meta.url));

function checkCount(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw new TypeError(`createIngestPool: ${name} must be an integer in ${min}..${max}`);
  return value;
}

interface Job {
  readonly task: IngestTask;
  resolve(outcome: IngestOutcome): void;
  reject(error: IngestError): void;
}

interface Worker {
  readonly child: ChildProcess;
  ready: boolean;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Set when the pool itself killed it (timeout, close): its exit is not a crash. */
  killedFor: IngestError | undefined;
}

/**
 * Build the pool. Options are checked now; worker processes start now with `warm`, else at the
 * first upload, and a worker that dies is replaced at the next task.
 */
export function createIngestPool(options: IngestPoolOptions): IngestPort {
  if (options === null || typeof options !== 'object') throw new TypeError('createIngestPool: options are required');
  const resolved = Object.freeze({
    workers: checkCount(options.workers, 'workers', 1, 64),
    queue: checkCount(options.queue, 'queue', 0, 10_000),
    memoryMb: checkCount(options.memoryMb, 'memoryMb', 16, 1 << 20),
    timeoutMs: checkCount(options.timeoutMs, 'timeoutMs', 1, 24 * 3_600_000),
    warm: options.warm === true,
  });
  const capacity = resolved.workers + resolved.queue;
  const workers = new Set<Worker>();
  const waiting: Job[] = [];
  let admitted = 0;
  let running = 0;
  let closed = false;

  const finish = (w: Worker): Job | undefined => {
    const job = w.job;
    w.job = undefined;
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.timer = undefined;
    if (job !== undefined) running--;
    return job;
  };

  const spawnWorker = (): Worker => {
    const child = fork(WORKER_SCRIPT, [WORKER_FLAG], {
      execArgv: [`--max-old-space-size=${resolved.memoryMb}`],
      env: {},
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const w: Worker = { child, ready: false, job: undefined, timer: undefined, killedFor: undefined };
    workers.add(w);
    child.on('message', (raw: unknown) => {
      const msg = raw as WorkerMessage;
      if (msg.type === 'ready') {
        w.ready = true;
        dispatch();
        return;
      }
      const job = finish(w);
      if (job === undefined) return;
      if (msg.type === 'outcome') job.resolve(msg.outcome);
      else if (msg.storageFull === true) job.reject(new IngestError('INGEST_STORAGE_FULL', 'the ingest worker could not write its output: no space', { cause: new Error(msg.message) }));
      else job.reject(new IngestError('INGEST_CRASHED', 'the ingest worker failed', { cause: new Error(msg.message) }));
      dispatch();
    });
    // A spawn failure is reported here; the exit handler (if it ever runs) then finds no job.
    child.on('error', (err) => {
      const job = finish(w);
      workers.delete(w);
      job?.reject(new IngestError('INGEST_CRASHED', 'the ingest worker could not run', { cause: err }));
      child.kill('SIGKILL');
      dispatch();
    });
    child.on('exit', (code, signal) => {
      workers.delete(w);
      const job = finish(w);
      if (job !== undefined) {
        if (w.killedFor !== undefined) job.reject(w.killedFor);
        else {
          // V8's out-of-memory abort is SIGABRT (exit 134 through a shell); the kernel's OOM killer sends SIGKILL.
          const memory = signal === 'SIGABRT' || signal === 'SIGKILL' || code === 134;
          job.reject(
            memory
              ? new IngestError('INGEST_MEMORY', `the ingest worker ran out of its ${resolved.memoryMb} MiB`, { limit: { name: 'ingestMemoryMb', value: resolved.memoryMb } })
              : new IngestError('INGEST_CRASHED', `the ingest worker exited (${signal ?? String(code)})`),
          );
        }
      }
      dispatch();
    });
    return w;
  };

  const kill = (w: Worker, reason: IngestError): void => {
    w.killedFor = reason;
    w.child.kill('SIGKILL');
  };

  /** Hand waiting jobs to ready idle workers, starting workers up to the limit. */
  const dispatch = (): void => {
    if (closed) return;
    for (const w of workers) {
      if (waiting.length === 0) return;
      if (!w.ready || w.job !== undefined) continue;
      const job = waiting.shift() as Job;
      w.job = job;
      running++;
      const seconds = Math.round(resolved.timeoutMs / 1000);
      w.timer = setTimeout(
        () => kill(w, new IngestError('INGEST_TIMEOUT', `reading the upload took longer than ${resolved.timeoutMs} ms`, { limit: { name: 'ingestSeconds', value: seconds } })),
        resolved.timeoutMs,
      );
      w.child.send({ type: 'task', task: job.task }, (err) => {
        if (err !== null && err !== undefined) kill(w, new IngestError('INGEST_CRASHED', 'the ingest worker could not be reached', { cause: err }));
      });
    }
    // Still waiting: start another worker if allowed (it takes the job once it says it is ready).
    const starting = [...workers].filter((w) => !w.ready).length;
    if (waiting.length > starting && workers.size < resolved.workers) spawnWorker();
  };

  if (resolved.warm) for (let i = 0; i < resolved.workers; i++) spawnWorker();

  return {
    options: resolved,
    admit() {
      if (closed || admitted >= capacity) return null;
      admitted++;
      let released = false;
      let used = false;
      return {
        run(task) {
          if (used) return Promise.reject(new Error('an ingest slot runs one task'));
          used = true;
          if (closed) return Promise.reject(new IngestError('INGEST_CLOSED', 'the ingest pool was closed'));
          return new Promise<IngestOutcome>((resolve, reject) => {
            waiting.push({ task, resolve, reject });
            dispatch();
          });
        },
        release() {
          if (released) return;
          released = true;
          admitted--;
        },
      };
    },
    stats: () => ({ admitted, running, workers: workers.size, capacity }),
    pids: () => [...workers].map((w) => w.child.pid).filter((pid): pid is number => pid !== undefined),
    async close() {
      if (closed) return;
      closed = true;
      const reason = new IngestError('INGEST_CLOSED', 'the ingest pool was closed');
      for (const job of waiting.splice(0)) job.reject(reason);
      const exits = [...workers].map(
        (w) =>
          new Promise<void>((done) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null) return done();
            w.child.once('exit', () => done());
            kill(w, reason);
          }),
      );
      await Promise.all(exits);
    },
  };
}
