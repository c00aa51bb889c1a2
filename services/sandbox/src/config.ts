import { availableParallelism } from 'node:os';
import { PlotboxError } from '@plotbox/errors';
import { DEFAULT_LIMITS, type Limits } from '@plotbox/sandbox-protocol';
import type { CgroupLimits } from './cgroup.ts';
import { DEFAULT_CEILINGS, type LimitCeilings } from './limits.ts';
import { MIN_WORKER_RSS_MB, planResources } from './resources.ts';

/** The sandbox service's configuration, read once from the environment by main.ts. */
export interface SandboxConfig {
  readonly host: string;
  readonly port: number;
  /** Bearer token the API presents. */
  readonly token: string;
  readonly workers: number;
  readonly poolSize: number;
  /** V8 heap limit of warm isolates, MiB (what a run may use is enforced separately: execute.ts). */
  readonly warmMemoryMb: number;
  /** RSS above which the supervisor kills a worker, MiB. */
  readonly workerMaxRssMb: number;
  /** Budget for preparing a run (dataset into the worker and the isolate, globals booted), ms. */
  readonly prepareTimeoutMs: number;
  /** How the worker count, RSS ceiling and caches were chosen (logged at start). */
  readonly resources: { readonly reasons: readonly string[]; readonly warnings: readonly string[] };
  /** Synthetic rows each pooled isolate warms its JIT on before use (0: off). */
  readonly jitWarmUpRows: number;
  /** SANDBOX_ISOLATE_REUSE: keep an isolate for its tenant's next run (docs/architecture.md "Isolate reuse"). */
  readonly isolateReuse: boolean;
  /** Runs an isolate serves before it is disposed. */
  readonly maxRunsPerIsolate: number;
  /** Heap an idle kept isolate may hold, MiB. */
  readonly maxKeptHeapMb: number;
  /** Idle kept isolates per worker. */
  readonly keptIsolates: number;
  /** Decoded dataset bytes each worker keeps. */
  readonly workerCacheBytes: number;
  /** Arrow IPC bytes the supervisor keeps to hand to workers that lack a dataset. */
  readonly supervisorCacheBytes: number;
  /** Largest dataset upload, bytes. */
  readonly maxDatasetBytes: number;
  /** Largest JSON request body, bytes. */
  readonly maxBodyBytes: number;
  readonly maxQueue: number;
  readonly defaultLimits: Limits;
  readonly ceilings: LimitCeilings;
  /** How long SIGTERM waits for in-flight runs, ms. */
  readonly shutdownMs: number;
}

/** V8 heap limit of warm isolates, MiB: room for the default run on datasets up to a few 100k rows. */
export const DEFAULT_WARM_MEMORY_MB = 384;
/** Budget for preparing a run (dataset transfer and decode, isolate, copy, boot), ms. */
export const DEFAULT_PREPARE_TIMEOUT_MS = 30_000;

/** A refused sandbox configuration. Messages name variables, never secret values. */
export class ConfigError extends PlotboxError<'CONFIG_INVALID', never> {
  constructor(message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

const KNOWN = new Set([
  'SANDBOX_HOST',
  'SANDBOX_PORT',
  'SANDBOX_TOKEN',
  'SANDBOX_TOKEN_FILE',
  'SANDBOX_WORKERS',
  'SANDBOX_POOL_SIZE',
  'SANDBOX_WARM_MEMORY_MB',
  'SANDBOX_WORKER_MAX_RSS_MB',
  'SANDBOX_PREPARE_TIMEOUT_MS',
  'SANDBOX_JIT_WARMUP_ROWS',
  'SANDBOX_ISOLATE_REUSE',
  'SANDBOX_ISOLATE_MAX_RUNS',
  'SANDBOX_ISOLATE_MAX_HEAP_MB',
  'SANDBOX_ISOLATES_KEPT',
  'SANDBOX_WORKER_CACHE_MB',
  'SANDBOX_SUPERVISOR_CACHE_MB',
  'SANDBOX_MAX_DATASET_MB',
  'SANDBOX_MAX_QUEUE',
  'SANDBOX_SHUTDOWN_MS',
  'SANDBOX_LIMIT_TIME_MS',
  'SANDBOX_LIMIT_MEMORY_MB',
  'SANDBOX_LIMIT_OUTPUT_BYTES',
  'SANDBOX_LIMIT_CODE_BYTES',
  'SANDBOX_LIMIT_ROWS',
]);

/** What the host allows, read by main.ts (cgroup.ts) and passed in. */
export interface HostResources {
  /** CPUs this process may run on (`os.availableParallelism()`, which honours CPU affinity). */
  readonly parallelism: number;
  readonly cgroup: CgroupLimits;
}

/**
 * Parses the sandbox's environment. Pure apart from `readFile`, which is used only for
 * `SANDBOX_TOKEN_FILE` (Kubernetes secrets), and the default of `machine`
 * (`os.availableParallelism()`, no cgroup limits), which main.ts replaces with what it reads.
 * Unknown `SANDBOX_` variables are refused so a typo cannot silently fall back to a default.
 * Error messages never include secret values. Worker count, worker RSS ceiling and caches not set
 * explicitly are derived from `machine` (resources.ts).
 */
export function parseSandboxConfig(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
  machine: HostResources = { parallelism: availableParallelism(), cgroup: {} },
): SandboxConfig {
  for (const key of Object.keys(env)) {
    if (key.startsWith('SANDBOX_') && !KNOWN.has(key)) throw new ConfigError(`unknown setting ${key}`);
  }
  const optionalInt = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
    return n;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => optionalInt(name, min, max) ?? fallback;
  const onOff = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'on') return true;
    if (raw === 'off') return false;
    throw new ConfigError(`${name} must be on or off`);
  };
  let token = env.SANDBOX_TOKEN;
  if (env.SANDBOX_TOKEN_FILE) {
    if (token) throw new ConfigError('set SANDBOX_TOKEN or SANDBOX_TOKEN_FILE, not both');
    try {
      token = readFile(env.SANDBOX_TOKEN_FILE).trim();
    } catch {
      throw new ConfigError('SANDBOX_TOKEN_FILE cannot be read');
    }
  }
  if (!token) throw new ConfigError('SANDBOX_TOKEN or SANDBOX_TOKEN_FILE is required');
  if (token.length < 32) throw new ConfigError('the sandbox token must be at least 32 characters');
  const host = env.SANDBOX_HOST ?? '127.0.0.1';
  if (!/^[0-9A-Za-z.:-]+$/.test(host)) throw new ConfigError('SANDBOX_HOST is not a host name or address');
  const MiB = 1024 * 1024;
  const defaultLimits: Limits = Object.freeze({
    timeMs: int('SANDBOX_LIMIT_TIME_MS', DEFAULT_LIMITS.timeMs, 10, DEFAULT_CEILINGS.timeMs),
    memoryMb: int('SANDBOX_LIMIT_MEMORY_MB', DEFAULT_LIMITS.memoryMb, 8, DEFAULT_CEILINGS.memoryMb),
    outputBytes: int('SANDBOX_LIMIT_OUTPUT_BYTES', DEFAULT_LIMITS.outputBytes, 1024, DEFAULT_CEILINGS.outputBytes),
    codeBytes: int('SANDBOX_LIMIT_CODE_BYTES', DEFAULT_LIMITS.codeBytes, 1, DEFAULT_CEILINGS.codeBytes),
    rows: int('SANDBOX_LIMIT_ROWS', DEFAULT_LIMITS.rows, 0, DEFAULT_CEILINGS.rows),
  });
  const plan = planResources({
    parallelism: machine.parallelism,
    cgroup: machine.cgroup,
    workers: optionalInt('SANDBOX_WORKERS', 1, 256),
    workerMaxRssMb: optionalInt('SANDBOX_WORKER_MAX_RSS_MB', MIN_WORKER_RSS_MB, 1 << 20),
    workerCacheMb: optionalInt('SANDBOX_WORKER_CACHE_MB', 1, 65536),
    supervisorCacheMb: optionalInt('SANDBOX_SUPERVISOR_CACHE_MB', 1, 65536),
    defaultMemoryMb: defaultLimits.memoryMb,
    ceilingMemoryMb: DEFAULT_CEILINGS.memoryMb,
  });
  return Object.freeze({
    host,
    port: int('SANDBOX_PORT', 8081, 0, 65535),
    token,
    workers: plan.workers,
    poolSize: int('SANDBOX_POOL_SIZE', 2, 0, 64),
    warmMemoryMb: int('SANDBOX_WARM_MEMORY_MB', DEFAULT_WARM_MEMORY_MB, 64, 4096),
    workerMaxRssMb: plan.workerMaxRssMb,
    prepareTimeoutMs: int('SANDBOX_PREPARE_TIMEOUT_MS', DEFAULT_PREPARE_TIMEOUT_MS, 100, 600_000),
    resources: Object.freeze({ reasons: plan.reasons, warnings: plan.warnings }),
    jitWarmUpRows: int('SANDBOX_JIT_WARMUP_ROWS', 0, 0, 100_000),
    isolateReuse: onOff('SANDBOX_ISOLATE_REUSE', true),
    maxRunsPerIsolate: int('SANDBOX_ISOLATE_MAX_RUNS', 200, 1, 100_000),
    maxKeptHeapMb: int('SANDBOX_ISOLATE_MAX_HEAP_MB', 192, 16, 4096),
    keptIsolates: int('SANDBOX_ISOLATES_KEPT', 4, 0, 64),
    workerCacheBytes: plan.workerCacheBytes,
    supervisorCacheBytes: plan.supervisorCacheBytes,
    maxDatasetBytes: int('SANDBOX_MAX_DATASET_MB', 100, 1, 4096) * MiB,
    maxBodyBytes: 1 * MiB,
    maxQueue: int('SANDBOX_MAX_QUEUE', 256, 1, 100_000),
    defaultLimits,
    ceilings: DEFAULT_CEILINGS,
    shutdownMs: int('SANDBOX_SHUTDOWN_MS', 10_000, 0, 600_000),
  });
}
