import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, SANDBOX_ERROR_CODES, isSandboxErrorCode } from './index.ts';

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
