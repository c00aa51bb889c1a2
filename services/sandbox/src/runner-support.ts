/**
 * The runner's bookkeeping: the jobs and worker slots the supervisor tracks, its constants, and the
 * small pure helpers around them (results it answers without a worker, RSS slack, /proc reads).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Limits, RunError, RunResult, RuntimeName } from '@plotbox/sandbox-protocol';
import type { DatasetRef, KillReason } from './runner-types.ts';

export interface Job {
  readonly js: string;
  readonly dataset: DatasetRef;
  readonly limits: Limits;
  readonly project: string;
  readonly runtime: RuntimeName;
  /** worker-protocol.ts `tenantKey`, or undefined when the run has no project. */
  readonly tenant: string | undefined;
  readonly resolve: (r: RunResult) => void;
}

export interface ActiveJob extends Job {
  readonly id: number;
  /** `prepare` until the worker says the analyst's code starts, then `run`. */
  phase: 'prepare' | 'run';
  /** The preparation watchdog, then the run's time watchdog. */
  watchdog: NodeJS.Timeout;
  /** RSS when the analyst's code started, bytes. */
  rssAtStart: number | undefined;
  /** What the run may add (analyst allowance + decode reserve), bytes. */
  budgetBytes: number;
  /** RSS above which this run's worker is killed, bytes (the worker's ceiling until the run starts). */
  rssCeiling: number;
}

export interface WorkerSlot {
  child: ChildProcess;
  ready: boolean;
  job: ActiveJob | undefined;
  datasets: Set<string>;
  pool: number;
  readyWaiters: (() => void)[];
  /** Set when the supervisor itself ends this process, and why. */
  killedFor: KillReason | undefined;
  lastRss: number;
  /** Highest RSS read since the current run's code started. */
  peakRss: number;
  /** The last few KiB the worker wrote to stderr (its last words when it dies). */
  stderrTail: string;
  /** The worker said it exits after its last result (an isolate outlived its deadline). */
  retiring: boolean;
  /** Tenants the worker keeps an idle isolate for (its last word on it). */
  kept: ReadonlySet<string>;
}

export const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));

/**
 * V8 flags of the worker processes (besides those the runner always sets). With one worker per
 * core, V8's background GC threads only compete with the other workers (docs/operations.md
 * "Worker tuning").
 */
export const DEFAULT_WORKER_V8_FLAGS: readonly string[] = Object.freeze(['--single-threaded-gc']);
export const MiB = 1024 * 1024;
export const STDERR_TAIL_CHARS = 4096;
/** Signals a worker gets from outside (an operator, the OS, the kernel OOM killer), not from its own crash. */
export const EXTERNAL_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE']);

export function defaultRuntimePath(): string {
  return fileURLToPath(import.meta.resolve('@plotbox/sandbox-runtime/dist/runtime.js'));
}

export function defaultDanfoRuntimePath(): string {
  return fileURLToPath(import.meta.resolve('@plotbox/sandbox-runtime/dist/danfo-runtime.js'));
}

/** VmRSS of a process from /proc (Linux), bytes; works however stuck the process is. */
export function readProcRss(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function busy(queued: number): RunResult {
  return { ok: false, error: { code: 'SANDBOX_BUSY', message: `The sandbox is busy (${queued} runs waiting). Try again shortly.` } };
}

export function errorResult(error: RunError): RunResult {
  return { ok: false, error };
}

/**
 * Memory a run may take beyond its budget as RSS before the supervisor steps in: V8's young
 * generation and code, allocator slack, and the figure parsed on the host (up to ~8× its JSON).
 */
export function rssSlackBytes(limits: Limits): number {
  return 64 * MiB + 8 * limits.outputBytes;
}

/**
 * The Code Mode runner: a supervised set of worker processes, each with a warm pool of
 * locked-down isolates and, with isolate reuse, isolates kept per tenant. The supervisor holds each worker to a time watchdog per run and to a
 * resident-memory ceiling (read from /proc, so it works however stuck the worker is), and tells
 * apart how a worker ended: killed for time (SANDBOX_TIMEOUT) or memory (SANDBOX_MEMORY), died of
 * memory or another crash during the analyst's code (SANDBOX_MEMORY / SANDBOX_CRASHED), or lost to
 * something outside the run (SANDBOX_WORKER_LOST). Only the in-flight run fails; the worker is
 * replaced. Runs queue fairly across projects, bounded by `maxQueue`.
 */
