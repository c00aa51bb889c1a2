import { availableParallelism } from 'node:os';
import { DEFAULT_LIMITS, type Limits } from '@plotbox/sandbox-protocol';
import { DEFAULT_CEILINGS, type LimitCeilings } from './limits.ts';

/** The sandbox service's configuration, read once from the environment by main.ts. */
export interface SandboxConfig {
  readonly host: string;
  readonly port: number;
  /** Bearer token the API presents. */
  readonly token: string;
  readonly workers: number;
  readonly poolSize: number;
  readonly warmMemoryMb: number;
  /** Synthetic rows each pooled isolate warms its JIT on before use (0: off). */
  readonly jitWarmUpRows: number;
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

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID' as const;
}

const KNOWN = new Set([
  'SANDBOX_HOST',
  'SANDBOX_PORT',
  'SANDBOX_TOKEN',
  'SANDBOX_TOKEN_FILE',
  'SANDBOX_WORKERS',
  'SANDBOX_POOL_SIZE',
  'SANDBOX_WARM_MEMORY_MB',
  'SANDBOX_JIT_WARMUP_ROWS',
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

/**
 * Parses the sandbox's environment. Pure apart from `readFile`, which is used only for
 * `SANDBOX_TOKEN_FILE` (Kubernetes secrets). Unknown `SANDBOX_` variables are refused so a typo
 * cannot silently fall back to a default. Error messages never include secret values.
 */
export function parseSandboxConfig(env: Readonly<Record<string, string | undefined>>, readFile: (path: string) => string): SandboxConfig {
  for (const key of Object.keys(env)) {
    if (key.startsWith('SANDBOX_') && !KNOWN.has(key)) throw new ConfigError(`unknown setting ${key}`);
  }
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
    return n;
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
  return Object.freeze({
    host,
    port: int('SANDBOX_PORT', 8081, 0, 65535),
    token,
    workers: int('SANDBOX_WORKERS', availableParallelism(), 1, 256),
    poolSize: int('SANDBOX_POOL_SIZE', 2, 0, 64),
    warmMemoryMb: int('SANDBOX_WARM_MEMORY_MB', 192, 16, 4096),
    jitWarmUpRows: int('SANDBOX_JIT_WARMUP_ROWS', 0, 0, 100_000),
    workerCacheBytes: int('SANDBOX_WORKER_CACHE_MB', 512, 1, 65536) * MiB,
    supervisorCacheBytes: int('SANDBOX_SUPERVISOR_CACHE_MB', 512, 1, 65536) * MiB,
    maxDatasetBytes: int('SANDBOX_MAX_DATASET_MB', 100, 1, 4096) * MiB,
    maxBodyBytes: 1 * MiB,
    maxQueue: int('SANDBOX_MAX_QUEUE', 256, 1, 100_000),
    defaultLimits,
    ceilings: DEFAULT_CEILINGS,
    shutdownMs: int('SANDBOX_SHUTDOWN_MS', 10_000, 0, 600_000),
  });
}
