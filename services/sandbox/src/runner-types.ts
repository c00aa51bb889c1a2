/**
 * The runner's public shape: what a run takes (a dataset reference, limits, the tenant), what the
 * supervisor reports about its workers, and the {@link Runner} interface itself (runner.ts builds it).
 */
import type { CodeLang, ColumnarDataset, Limits, RunResult, RuntimeName } from '@plotbox/sandbox-protocol';
import type { LimitCeilings } from './limits.ts';

/** A dataset for a run: decoded columns, Arrow IPC bytes, or only its hash (a worker must hold it). */
export type DatasetRef = ColumnarDataset | { readonly sha256: string; readonly arrow: Uint8Array } | { readonly sha256: string };

export interface RunInput {
  readonly code: string;
  readonly lang?: CodeLang;
  readonly dataset: DatasetRef;
  readonly limits?: Partial<Limits>;
  /**
   * Fair-share key: runs are taken round-robin across projects. Also the tenant isolates are kept
   * for (with isolate reuse): runs without a project always get a single-use isolate.
   */
  readonly project?: string;
  /** The runtime bundle the code runs on (default `arquero`). */
  readonly runtime?: RuntimeName;
}

/** Why the supervisor ended a worker process itself. */
export type KillReason = 'timeout' | 'memory' | 'prepare-timeout' | 'shutdown';

/** Something that happened to a worker process, for the service's log (no analyst data in it). */
export interface WorkerEvent {
  readonly event: 'worker_killed' | 'worker_lost' | 'worker_crashed';
  readonly pid: number | undefined;
  /** For kills: why; for losses and crashes: what the run was doing. */
  readonly reason: string;
  readonly signal?: string | null;
  readonly exitCode?: number | null;
  readonly rssMb?: number;
  readonly ceilingMb?: number;
}

export interface RunnerOptions {
  /** Worker processes (default: number of CPUs). */
  readonly workers?: number;
  /** Warm isolates per worker (default 2). */
  readonly poolSize?: number;
  /** V8 heap limit of warm isolates, MiB (default 384); a run's own budget is enforced inside it. */
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
  /**
   * Budget for preparing a run before its time limit starts: the dataset into the worker, an
   * isolate, the copy into it, the globals (default 30 s). Past it the worker is killed and the run
   * ends as SANDBOX_WORKER_LOST.
   */
  readonly prepareTimeoutMs?: number;
  /** Resident memory (RSS) above which the supervisor kills a worker, MiB (default 1536). */
  readonly workerMaxRssMb?: number;
  /** How often each worker's RSS is read while it runs a chart, ms (default 20; ten times slower when idle). */
  readonly rssPollMs?: number;
  /** Reads a process's resident memory, bytes (default: VmRSS from /proc/<pid>/status; undefined when unknown). */
  readonly readRss?: (pid: number) => number | undefined;
  /** Called when a worker is killed, lost or crashes (for the service's log). */
  readonly onWorkerEvent?: (event: WorkerEvent) => void;
  /** Synthetic rows each pooled isolate warms its JIT on before use (0: off). */
  readonly jitWarmUpRows?: number;
  /**
   * Keep an isolate after a successful run for the next run of the same tenant (project, dataset
   * version, runtime), each run in a fresh compartment of a locked-down realm (default true); false
   * gives every run a fresh isolate (docs/architecture.md "Isolate reuse").
   */
  readonly isolateReuse?: boolean;
  /** Runs an isolate serves before it is disposed (default 200). */
  readonly maxRunsPerIsolate?: number;
  /** Heap an idle kept isolate may hold after collecting, MiB, else it is disposed (default 192). */
  readonly maxKeptHeapMb?: number;
  /** Idle kept isolates per worker, least recently used disposed first (default 4). */
  readonly keptIsolates?: number;
  /** V8 flags for the worker processes (default {@link DEFAULT_WORKER_V8_FLAGS}). */
  readonly workerV8Flags?: readonly string[];
  /** Path of the bundled runtime (default: @plotbox/sandbox-runtime's dist/runtime.js). */
  readonly runtimePath?: string;
  /** Path of the danfo runtime's bundle (default: @plotbox/sandbox-runtime's dist/danfo-runtime.js). */
  readonly danfoRuntimePath?: string;
  /**
   * Skip the static code check and run whatever is given. Only for tests that prove the isolate
   * holds against code that passes (or never saw) the check; never set from configuration.
   */
  readonly unsafeSkipCodeCheck?: boolean;
  /** Where worker stderr goes besides the supervisor's own diagnosis: copied to this process's stderr (default) or not. */
  readonly workerStderr?: 'inherit' | 'ignore';
}

export interface WorkerInfo {
  readonly pid: number | undefined;
  readonly ready: boolean;
  readonly busy: boolean;
  /** `preparing` a run (dataset into the worker and the isolate), `running` the analyst's code, or `idle`. */
  readonly state: 'idle' | 'preparing' | 'running';
  readonly datasets: number;
  readonly pool: number;
  /** Last resident memory read, bytes (0 until read). */
  readonly rssBytes: number;
}

export interface RunnerStats {
  readonly workers: readonly WorkerInfo[];
  readonly queued: number;
  readonly restarts: number;
  readonly crashes: number;
  /** Workers killed for overrunning a deadline (the run's time limit, or the preparation budget). */
  readonly watchdogKills: number;
  /** Workers killed for resident memory above their ceiling. */
  readonly memoryKills: number;
  /** Runs that ended SANDBOX_WORKER_LOST. */
  readonly workersLost: number;
  /** The RSS ceiling each worker is held to, bytes. */
  readonly workerMaxRssBytes: number;
}

export interface Runner {
  /** sha256 (hex, first 16) of the default (arquero) runtime bundle; the API keys its render cache on it. */
  readonly runtimeVersion: string;
  /** The same for every runtime, by name: a figure is cached under the runtime's name and version. */
  readonly runtimeVersions: Readonly<Record<RuntimeName, string>>;
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
