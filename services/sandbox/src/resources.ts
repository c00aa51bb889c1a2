/**
 * Sizing the sandbox to what it is allowed: how many worker processes, how much memory each may
 * hold (its RSS ceiling) and how large the dataset caches are, from the CPU and memory the cgroup
 * grants (cgroup.ts) unless the operator set them. Pure: every input is a parameter.
 */
import type { CgroupLimits } from './cgroup.ts';

const MiB = 1024 * 1024;

/**
 * Resident memory of an idle supervisor (HTTP, queue, logger, runtime bundle), MiB, rounded up
 * from what was measured (≈121 MiB; docs/operations.md "Memory").
 */
export const SUPERVISOR_BASELINE_MB = 128;
/**
 * Resident memory of a worker with its warm pool of 2 isolates, MiB: ≈111 MiB measured idle,
 * ≈134 MiB after charts, rounded up.
 */
export const WORKER_BASELINE_MB = 160;
/**
 * What a run needs beyond the analyst's allowance: the dataset's copy in the isolate, the young
 * generation, the figure parsed on the host. Enough for datasets of a few hundred thousand rows.
 */
export const RUN_OVERHEAD_MB = 128;
/** Cache sizes when nothing limits memory, MiB. */
export const DEFAULT_CACHE_MB = 512;
/** The least a worker's RSS ceiling may be: below this a worker cannot start its pool. */
export const MIN_WORKER_RSS_MB = 256;

export interface ResourceInput {
  /** CPUs this process may run on (`os.availableParallelism()`: affinity-aware). */
  readonly parallelism: number;
  readonly cgroup: CgroupLimits;
  /** What the operator set explicitly (undefined: derive). */
  readonly workers?: number | undefined;
  readonly workerMaxRssMb?: number | undefined;
  readonly workerCacheMb?: number | undefined;
  readonly supervisorCacheMb?: number | undefined;
  /** The default analyst memory per run, MiB. */
  readonly defaultMemoryMb: number;
  /** The most memory a run may ask for, MiB. */
  readonly ceilingMemoryMb: number;
}

export interface ResourcePlan {
  readonly workers: number;
  /** RSS above which the supervisor kills a worker, MiB. */
  readonly workerMaxRssMb: number;
  readonly workerCacheBytes: number;
  readonly supervisorCacheBytes: number;
  /** Why each number is what it is, for the start-up log. */
  readonly reasons: readonly string[];
  /** Configurations that do not fit the memory limit (logged as warnings; the service still starts). */
  readonly warnings: readonly string[];
}

/**
 * Worker processes for a CPU quota: whole CPUs only (rounded down, at least 1), never more than
 * the CPUs this process may run on. Rounding down because time limits are wall-clock: a run
 * throttled by CFS would time out for the sandbox's own oversubscription.
 */
export function workersForCpu(parallelism: number, cpu: CgroupLimits['cpu']): { workers: number; reason: string } {
  const cpus = Math.max(1, Math.floor(parallelism));
  if (!cpu) return { workers: cpus, reason: `${cpus} CPU(s) available (no cgroup CPU quota)` };
  const quota = cpu.quotaUs / cpu.periodUs;
  const workers = Math.max(1, Math.min(cpus, Math.floor(quota)));
  return { workers, reason: `cgroup CPU quota ${cpu.quotaUs}/${cpu.periodUs} µs = ${quota.toFixed(2)} CPU(s) (${cpu.file}), ${cpus} CPU(s) available → ${workers}` };
}

/**
 * Plans workers, per-worker RSS ceiling and caches. With a memory limit M (MiB):
 * caches default to min(512, M/8) (the workers' share divided among them), and
 * workers = min(CPU workers, ⌊(M − supervisor) / (worker baseline + worker cache + default run)⌋),
 * each with a ceiling of (M − supervisor) / workers. Without one: caches 512 MiB, workers from CPU,
 * ceiling = worker baseline + cache + the largest run a request may ask for + overhead.
 */
export function planResources(input: ResourceInput): ResourcePlan {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const cpu = workersForCpu(input.parallelism, input.cgroup.cpu);
  const cpuWorkers = input.workers ?? cpu.workers;
  const limitMb = input.cgroup.memory ? Math.floor(input.cgroup.memory.bytes / MiB) : undefined;

  const supervisorCacheMb = input.supervisorCacheMb ?? (limitMb === undefined ? DEFAULT_CACHE_MB : clamp(Math.floor(limitMb / 8), 16, DEFAULT_CACHE_MB));
  const workerCacheMb = input.workerCacheMb ?? (limitMb === undefined ? DEFAULT_CACHE_MB : clamp(Math.floor(limitMb / 8 / cpuWorkers), 16, DEFAULT_CACHE_MB));
  const perWorkerMin = WORKER_BASELINE_MB + workerCacheMb + input.defaultMemoryMb + RUN_OVERHEAD_MB;

  let workers: number;
  let workerMaxRssMb: number;
  if (limitMb === undefined) {
    workers = cpuWorkers;
    reasons.push(input.workers === undefined ? `workers: ${cpu.reason}` : 'workers: SANDBOX_WORKERS');
    workerMaxRssMb = input.workerMaxRssMb ?? WORKER_BASELINE_MB + workerCacheMb + input.ceilingMemoryMb + 2 * RUN_OVERHEAD_MB;
    reasons.push(
      input.workerMaxRssMb === undefined
        ? `worker RSS ceiling: no cgroup memory limit → baseline ${WORKER_BASELINE_MB} + cache ${workerCacheMb} + largest run ${input.ceilingMemoryMb} + ${2 * RUN_OVERHEAD_MB} MiB`
        : 'worker RSS ceiling: SANDBOX_WORKER_MAX_RSS_MB',
    );
  } else {
    const available = limitMb - SUPERVISOR_BASELINE_MB - supervisorCacheMb;
    const fit = Math.floor(available / perWorkerMin);
    if (input.workers === undefined) {
      workers = Math.max(1, Math.min(cpuWorkers, fit));
      reasons.push(
        `workers: ${cpu.reason}; memory limit ${limitMb} MiB (${input.cgroup.memory?.file ?? ''}) fits ${Math.max(0, fit)} worker(s) of ${perWorkerMin} MiB after the supervisor's ${SUPERVISOR_BASELINE_MB + supervisorCacheMb} MiB → ${workers}`,
      );
    } else {
      workers = input.workers;
      reasons.push('workers: SANDBOX_WORKERS');
    }
    if (fit < 1)
      warnings.push(
        `the memory limit (${limitMb} MiB) is below what one worker needs (${SUPERVISOR_BASELINE_MB + supervisorCacheMb + perWorkerMin} MiB with the supervisor): expect SANDBOX_MEMORY on ordinary charts`,
      );
    else if (workers > fit) warnings.push(`${workers} workers of ${perWorkerMin} MiB do not fit the memory limit (${limitMb} MiB); at most ${fit} do`);
    workerMaxRssMb = input.workerMaxRssMb ?? Math.max(MIN_WORKER_RSS_MB, Math.floor(Math.max(0, available) / workers));
    reasons.push(
      input.workerMaxRssMb === undefined
        ? `worker RSS ceiling: (memory limit ${limitMb} − supervisor ${SUPERVISOR_BASELINE_MB + supervisorCacheMb}) / ${workers} worker(s)`
        : 'worker RSS ceiling: SANDBOX_WORKER_MAX_RSS_MB',
    );
    if (input.workerMaxRssMb !== undefined && workers * input.workerMaxRssMb + SUPERVISOR_BASELINE_MB + supervisorCacheMb > limitMb) {
      warnings.push(
        `${workers} × SANDBOX_WORKER_MAX_RSS_MB ${input.workerMaxRssMb} MiB plus the supervisor exceed the memory limit (${limitMb} MiB): the kernel may kill workers before the sandbox does`,
      );
    }
  }
  if (workerMaxRssMb < WORKER_BASELINE_MB + workerCacheMb + input.defaultMemoryMb) {
    warnings.push(
      `the worker RSS ceiling (${workerMaxRssMb} MiB) leaves less than the default run's ${input.defaultMemoryMb} MiB after the worker's baseline and cache (${WORKER_BASELINE_MB + workerCacheMb} MiB)`,
    );
  }
  reasons.push(`caches: supervisor ${supervisorCacheMb} MiB, ${workerCacheMb} MiB per worker${limitMb === undefined ? '' : ' (from the memory limit unless set)'}`);
  return {
    workers,
    workerMaxRssMb,
    workerCacheBytes: workerCacheMb * MiB,
    supervisorCacheBytes: supervisorCacheMb * MiB,
    reasons,
    warnings,
  };
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
