import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS } from '@plotbox/sandbox-protocol';
import { isPlotboxError } from '@plotbox/errors';
import { ConfigError, DEFAULT_PREPARE_TIMEOUT_MS, DEFAULT_WARM_MEMORY_MB, parseSandboxConfig } from './config.ts';
import { LimitsError, resolveLimits } from './limits.ts';

const TOKEN = 't'.repeat(40);
const noFile = (): string => {
  throw new Error('no such file');
};

test('defaults: loopback, port 8081, pool of 2, JIT warm-up off, default limits', () => {
  const c = parseSandboxConfig({ SANDBOX_TOKEN: TOKEN }, noFile);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8081);
  assert.equal(c.poolSize, 2);
  assert.equal(c.jitWarmUpRows, 0);
  assert.deepEqual({ ...c.defaultLimits }, { ...DEFAULT_LIMITS });
  assert.ok(Object.isFrozen(c));
});

test('settings are read and bounded', () => {
  const c = parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_POOL_SIZE: '4', SANDBOX_JIT_WARMUP_ROWS: '2000', SANDBOX_LIMIT_TIME_MS: '500' }, noFile);
  assert.equal(c.poolSize, 4);
  assert.equal(c.jitWarmUpRows, 2000);
  assert.equal(c.defaultLimits.timeMs, 500);
  for (const [name, value] of [
    ['SANDBOX_JIT_WARMUP_ROWS', '100001'],
    ['SANDBOX_POOL_SIZE', '-1'],
    ['SANDBOX_POOL_SIZE', '1e3'],
    ['SANDBOX_PORT', '70000'],
    ['SANDBOX_WORKERS', '0'],
  ] as const) {
    assert.throws(
      () => parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, [name]: value }, noFile),
      (err: unknown) => err instanceof ConfigError && err.message.includes(name),
      `${name}=${value}`,
    );
  }
});

test('a misspelt setting is refused rather than silently defaulted', () => {
  assert.throws(() => parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_POOLSIZE: '4' }, noFile), /unknown setting SANDBOX_POOLSIZE/);
});

test('the token is required, long enough, from the environment or a file, never echoed', () => {
  assert.throws(() => parseSandboxConfig({}, noFile), /required/);
  const short = 'short-secret-value';
  assert.throws(
    () => parseSandboxConfig({ SANDBOX_TOKEN: short }, noFile),
    (err: unknown) => err instanceof ConfigError && !err.message.includes(short),
  );
  assert.equal(parseSandboxConfig({ SANDBOX_TOKEN_FILE: '/run/secrets/token' }, () => `${TOKEN}\n`).token, TOKEN);
  assert.throws(() => parseSandboxConfig({ SANDBOX_TOKEN_FILE: '/nope' }, noFile), /cannot be read/);
  assert.throws(() => parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_TOKEN_FILE: '/x' }, () => TOKEN), /not both/);
});

test('worker count, RSS ceiling and caches come from what the machine allows unless set', () => {
  const machine = { parallelism: 8, cgroup: { cpu: { quotaUs: 200_000, periodUs: 100_000, file: 'cpu.max' }, memory: { bytes: 2 * 1024 ** 3, file: 'memory.max' } } };
  const c = parseSandboxConfig({ SANDBOX_TOKEN: TOKEN }, noFile, machine);
  assert.equal(c.workers, 2);
  assert.ok(c.workerMaxRssMb >= 256 && 2 * c.workerMaxRssMb < 2048);
  assert.equal(c.workerCacheBytes, 128 * 1024 ** 2);
  assert.ok(c.resources.reasons.length > 0);
  assert.equal(c.warmMemoryMb, DEFAULT_WARM_MEMORY_MB);
  assert.equal(c.prepareTimeoutMs, DEFAULT_PREPARE_TIMEOUT_MS);
  const set = parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_WORKERS: '3', SANDBOX_WORKER_MAX_RSS_MB: '700', SANDBOX_WORKER_CACHE_MB: '64', SANDBOX_PREPARE_TIMEOUT_MS: '5000' }, noFile, machine);
  assert.equal(set.workers, 3);
  assert.equal(set.workerMaxRssMb, 700);
  assert.equal(set.workerCacheBytes, 64 * 1024 ** 2);
  assert.equal(set.prepareTimeoutMs, 5000);
  for (const [name, value] of [
    ['SANDBOX_WORKER_MAX_RSS_MB', '100'],
    ['SANDBOX_PREPARE_TIMEOUT_MS', '10'],
    ['SANDBOX_WARM_MEMORY_MB', '32'],
  ] as const) {
    assert.throws(
      () => parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, [name]: value }, noFile, machine),
      (err: unknown) => err instanceof ConfigError && err.message.includes(name),
      `${name}=${value}`,
    );
  }
});

test('isolate reuse: on by default, on/off only, with its bounds', () => {
  const d = parseSandboxConfig({ SANDBOX_TOKEN: TOKEN }, noFile);
  assert.deepEqual([d.isolateReuse, d.maxRunsPerIsolate, d.maxKeptHeapMb, d.keptIsolates], [true, 200, 192, 4]);
  const c = parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_ISOLATE_REUSE: 'off', SANDBOX_ISOLATE_MAX_RUNS: '5', SANDBOX_ISOLATE_MAX_HEAP_MB: '64', SANDBOX_ISOLATES_KEPT: '0' }, noFile);
  assert.deepEqual([c.isolateReuse, c.maxRunsPerIsolate, c.maxKeptHeapMb, c.keptIsolates], [false, 5, 64, 0]);
  for (const [name, value] of [
    ['SANDBOX_ISOLATE_REUSE', 'yes'],
    ['SANDBOX_ISOLATE_REUSE', 'true'],
    ['SANDBOX_ISOLATE_MAX_RUNS', '0'],
    ['SANDBOX_ISOLATE_MAX_HEAP_MB', '8'],
    ['SANDBOX_ISOLATES_KEPT', '65'],
  ] as const) {
    assert.throws(
      () => parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, [name]: value }, noFile),
      (err: unknown) => err instanceof ConfigError && err.message.includes(name),
      `${name}=${value}`,
    );
  }
});

test('its errors are Plotbox errors with stable codes (the one base, DESIGN §4.1)', () => {
  assert.throws(
    () => parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, SANDBOX_NOPE: '1' }, noFile),
    (err: unknown) => err instanceof ConfigError && isPlotboxError(err) && err.code === 'CONFIG_INVALID' && err.name === 'ConfigError',
  );
  assert.throws(
    () => resolveLimits({ timeMs: -1 }),
    (err: unknown) => err instanceof LimitsError && isPlotboxError(err) && err.code === 'SANDBOX_BAD_REQUEST' && err.name === 'LimitsError',
  );
});
