// Pins the messages isolated-vm 7 produces for each limit and failure (provoked for real in a child
// process: the last case ends it) and checks classifyIsolateError against exactly those strings,
// so an isolated-vm upgrade that rewords them fails here instead of turning limits into runtime errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, type RunError } from '@plotbox/sandbox-protocol';
import { chartPosition, classifyIsolateError, fatalLooksLikeMemory, prepareError, type ErrorContext } from './isolate-errors.ts';
import { FATAL_MARKER } from './worker-protocol.ts';

const PROBE = fileURLToPath(new URL('./isolate-errors-probe.ts', import.meta.url));

interface Probed {
  readonly message: string | null;
  readonly type: string;
  readonly stack: string | null;
}

function probe(): { cases: Map<string, Probed>; status: number | null; signal: string | null } {
  const r = spawnSync(process.execPath, ['--no-node-snapshot', PROBE], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 20 });
  const cases = new Map<string, Probed>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const { case: name, ...rest } = JSON.parse(line) as Probed & { case: string };
    cases.set(name, rest);
  }
  return { cases, status: r.status, signal: r.signal };
}

const probed = probe();

function thrown(name: string): Error {
  const p = probed.cases.get(name);
  assert.ok(p, `the probe reported ${name}`);
  const err = new Error(p.message ?? '');
  if (p.stack !== null) err.stack = p.stack;
  return err;
}

const ctx = (over: Partial<ErrorContext> = {}): ErrorContext => ({ deadlineHit: false, limits: DEFAULT_LIMITS, phase: 'code', ...over });
const codeOf = (e: RunError): string => e.code;

test('isolated-vm 7 reports each limit with exactly these messages', () => {
  const expected: Record<string, string> = {
    timeout: 'Script execution timed out.',
    'memory-limit': 'Isolate was disposed during execution due to memory limit',
    'array-buffer': 'Array buffer allocation failed',
    'string-length': 'Invalid string length',
    'disposed-during-execution': 'Isolate was disposed during execution',
    'use-after-dispose': 'Isolate is disposed',
    'non-error-thrown': 'An object was thrown from supplied code within isolated-vm, but that object was not an instance of `Error`.',
    catastrophic: 'Catastrophic out-of-memory error',
  };
  for (const [name, message] of Object.entries(expected)) assert.equal(probed.cases.get(name)?.message, message, name);
  // The catastrophic error ends the process, as it ends a worker (worker.ts aborts the same way).
  assert.equal(probed.signal, 'SIGABRT');
});

test('classifyIsolateError turns each of them into its typed error', () => {
  assert.equal(codeOf(classifyIsolateError(thrown('timeout'), ctx())), 'SANDBOX_TIMEOUT');
  assert.deepEqual(classifyIsolateError(thrown('timeout'), ctx()).limit, { name: 'timeMs', value: DEFAULT_LIMITS.timeMs });
  for (const name of ['memory-limit', 'array-buffer', 'string-length', 'disposed-during-execution', 'use-after-dispose']) {
    const e = classifyIsolateError(thrown(name), ctx());
    assert.equal(e.code, 'SANDBOX_MEMORY', name);
    assert.deepEqual(e.limit, { name: 'memoryMb', value: DEFAULT_LIMITS.memoryMb }, name);
  }
  // Our own deadline disposed the isolate: time, whatever the message says.
  assert.equal(codeOf(classifyIsolateError(thrown('disposed-during-execution'), ctx({ deadlineHit: true }))), 'SANDBOX_TIMEOUT');
  const nonError = classifyIsolateError(thrown('non-error-thrown'), ctx());
  assert.equal(nonError.code, 'SANDBOX_RUNTIME_ERROR');
  assert.match(nonError.message, /not an Error/);
  const runtime = classifyIsolateError(thrown('runtime-error'), ctx());
  assert.equal(runtime.code, 'SANDBOX_RUNTIME_ERROR');
  assert.deepEqual(chartPosition(thrown('runtime-error')), { line: 2, column: 6 });
  assert.equal(runtime.line, 2);
  assert.match(runtime.message, /null.*\(line 2\)$/);
});

test('failures while preparing a run never blame the analyst', () => {
  for (const name of ['timeout', 'memory-limit', 'disposed-during-execution']) {
    const e = prepareError(thrown(name));
    assert.equal(e.code, 'SANDBOX_UNAVAILABLE', name);
    assert.match(e.message, /not caused by your code/);
  }
  assert.equal(classifyIsolateError(thrown('timeout'), ctx({ phase: 'boot' })).code, 'SANDBOX_UNAVAILABLE');
  assert.equal(prepareError(new TypeError('dataset column "x": codes must be an Int32Array of rowCount entries')).code, 'SANDBOX_DATASET_INVALID');
});

test("a dead worker's last words tell memory from other crashes", () => {
  // Node's own fatal out-of-memory report, produced for real.
  const oom = spawnSync(process.execPath, ['--max-old-space-size=16', '-e', 'const a = []; for (;;) a.push({ i: a.length });'], { encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(oom.status, 0);
  assert.ok(fatalLooksLikeMemory(oom.stderr), oom.stderr.slice(-500));
  // isolated-vm's catastrophic error never reaches a caller: the worker prints it and aborts.
  assert.ok(fatalLooksLikeMemory(`${FATAL_MARKER} memory: catastrophic isolate error: ${thrown('catastrophic').message}\n`));
  assert.ok(!fatalLooksLikeMemory(`${FATAL_MARKER} crash: catastrophic isolate error: Script failed to terminate\n`));
  const abort = spawnSync(process.execPath, ['-e', 'process.abort()'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(abort.signal, 'SIGABRT');
  assert.ok(!fatalLooksLikeMemory(abort.stderr));
});
