import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS } from '@plotbox/sandbox-protocol';
import { ConfigError, parseSandboxConfig } from './config.ts';

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
    assert.throws(() => parseSandboxConfig({ SANDBOX_TOKEN: TOKEN, [name]: value }, noFile), (err: unknown) => err instanceof ConfigError && err.message.includes(name), `${name}=${value}`);
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
