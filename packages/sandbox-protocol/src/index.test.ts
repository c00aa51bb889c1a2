import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, DEFAULT_RUNTIME, RUNTIMES, RUNTIME_GLOBALS, SANDBOX_ERROR_CODES, isRuntimeName, isSandboxErrorCode } from './index.ts';

test('error codes are unique and recognised', () => {
  assert.equal(new Set(SANDBOX_ERROR_CODES).size, SANDBOX_ERROR_CODES.length);
  for (const c of SANDBOX_ERROR_CODES) assert.ok(isSandboxErrorCode(c));
  assert.ok(!isSandboxErrorCode('NOPE'));
  assert.ok(!isSandboxErrorCode(42));
});

test('default limits are SPEC §2 defaults and frozen', () => {
  assert.deepEqual({ ...DEFAULT_LIMITS }, { codeBytes: 65536, timeMs: 2000, memoryMb: 64, outputBytes: 4194304, rows: 1_000_000 });
  assert.ok(Object.isFrozen(DEFAULT_LIMITS));
});

test('runtimes: arquero (the default) and danfo, each with its globals', () => {
  assert.deepEqual([...RUNTIMES], ['arquero', 'danfo']);
  assert.equal(DEFAULT_RUNTIME, 'arquero');
  for (const r of RUNTIMES) assert.ok(isRuntimeName(r));
  for (const bad of ['pandas', 'Danfo', '', 'constructor', '__proto__', null, 1, ['danfo']]) assert.ok(!isRuntimeName(bad), String(bad));
  assert.deepEqual(RUNTIME_GLOBALS.danfo, ['df', 'dfd', 'data', 'px']);
  assert.ok(!RUNTIME_GLOBALS.danfo.includes('aq'));
  assert.ok(Object.isFrozen(RUNTIME_GLOBALS) && Object.isFrozen(RUNTIME_GLOBALS.arquero));
});
