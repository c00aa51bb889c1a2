import type { Column, Limits, RunResult, RuntimeName } from '@plotbox/sandbox-protocol';

/** Configuration a worker process is started with (passed as JSON in argv). */
export interface WorkerConfig {
  /** Absolute path of the bundled runtime script. */
  readonly runtimePath: string;
  /** Absolute path of the danfo runtime's bundle (its pool is made on the worker's first danfo run). */
  readonly danfoRuntimePath: string;
  /** Warm isolates kept ready. */
  readonly poolSize: number;
  /** V8 heap limit of warm isolates, MiB (what a run may use is enforced per run: execute.ts). */
  readonly warmMemoryMb: number;
  /** Bytes of datasets the worker keeps (LRU). */
  readonly cacheBytes: number;
  /** Grace after a run's time limit before the worker disposes the isolate, ms. */
  readonly graceMs: number;
  /** Budget for preparing a run (isolate, dataset copy, globals), ms. */
  readonly prepareMs: number;
  /** Synthetic rows each pooled isolate warms its JIT on (0: off). */
  readonly jitWarmUpRows: number;
  /** Keep an isolate after a successful run for its tenant's next run (SANDBOX_ISOLATE_REUSE). */
  readonly reuse: boolean;
  /** Runs an isolate serves before it is disposed. */
  readonly maxRunsPerIsolate: number;
  /** Bytes a kept isolate may hold between runs (after collecting) before it is disposed. */
  readonly maxKeptHeapBytes: number;
  /** Idle kept isolates per worker (least recently used go first). */
  readonly keptIsolates: number;
}

/**
 * The tenant an isolate may serve several runs of: never across projects, dataset versions or
 * runtimes. Runs without a project are never kept.
 */
export function tenantKey(runtime: string, project: string, sha256: string): string {
  return `${runtime}\u0000${project}\u0000${sha256}`;
}

export type ParentMessage =
  | { readonly type: 'dataset'; readonly id: number; readonly sha256: string; readonly rowCount: number; readonly columns: readonly Column[] }
  | { readonly type: 'dataset-arrow'; readonly id: number; readonly sha256: string; readonly bytes: Uint8Array }
  | {
      readonly type: 'run';
      readonly id: number;
      readonly js: string;
      readonly sha256: string;
      readonly limits: Limits;
      /** The run's tenant ({@link tenantKey}), or undefined: a single-use isolate. */
      readonly tenant: string | undefined;
      /** The runtime bundle to run on. */
      readonly runtime: RuntimeName;
    };

export type WorkerMessage =
  | { readonly type: 'ready'; readonly pool: number }
  /** The warm pool grew (background refill); keeps the supervisor's pool gauge true between runs. */
  | { readonly type: 'pool'; readonly pool: number }
  | { readonly type: 'dataset-ok'; readonly id: number; readonly sha256: string; readonly rowCount: number; readonly evicted: readonly string[] }
  | { readonly type: 'dataset-error'; readonly id: number; readonly sha256: string; readonly message: string }
  /**
   * The run is prepared (dataset copied in, globals booted) and the analyst's code starts now: the
   * supervisor starts the run's time watchdog and its memory ceiling from here. `budgetBytes` is
   * what the run may add on top of what the worker holds now (analyst allowance + decode reserve).
   */
  | { readonly type: 'started'; readonly id: number; readonly budgetBytes: number }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly result: RunResult;
      readonly evicted: readonly string[];
      readonly pool: number;
      /** The worker is exiting after this result (an isolate outlived its deadline): send it nothing more. */
      readonly retiring: boolean;
      /** Tenants the worker expects to have an idle kept isolate for once this run's isolate is settled. */
      readonly kept: readonly string[];
    }
  /** Tenants with an idle kept isolate, after a kept isolate was settled or dropped. */
  | { readonly type: 'kept'; readonly kept: readonly string[] };

/**
 * The line a worker writes to stderr just before it aborts on a fatal isolate error, so the
 * supervisor can tell "out of memory" from other crashes without parsing V8's own messages.
 */
export const FATAL_MARKER = 'plotbox-worker-fatal:';
