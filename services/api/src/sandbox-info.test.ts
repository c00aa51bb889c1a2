import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DEFAULT_LIMITS } from '@plotbox/sandbox-protocol';
import { createSqliteStore } from '@plotbox/store-sqlite';
import { createLogger } from './logger.ts';
import { SANDBOX_INFO_KEY, createSandboxInfoSource } from './sandbox-info.ts';
import type { SandboxInfo, SandboxPort } from './sandbox-port.ts';

/** A sandbox port whose `info()` answers what the test says (the code under test is the memo around the port). */
function fakeSandbox(): { port: SandboxPort; calls: () => number; answer: (info: SandboxInfo | 'down') => void } {
  let current: SandboxInfo | 'down' = 'down';
  let calls = 0;
  const port: SandboxPort = {
    run: () => Promise.reject(new Error('not used')),
    putDataset: () => Promise.reject(new Error('not used')),
    ready: () => Promise.resolve(current !== 'down'),
    info: async () => {
      calls += 1;
      await new Promise((r) => setImmediate(r));
      if (current === 'down') throw new Error('connection refused');
      return current;
    },
  };
  return { port, calls: () => calls, answer: (info) => void (current = info) };
}

test('sandbox info: asked once per freshness window, persisted, and known while the sandbox is down', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-info-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let at = Date.parse('2026-05-01T00:00:00Z');
  const now = (): Date => new Date(at);
  const store = createSqliteStore({ path: join(dir, 'db'), now, newId: randomUUID });
  t.after(() => store.close());
  const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
  const v1: SandboxInfo = { runtimeVersion: 'rt-1', limits: DEFAULT_LIMITS };
  const sandbox = fakeSandbox();

  // Never reached and nothing stored: null, never a throw.
  const first = createSandboxInfoSource({ sandbox: sandbox.port, store, logger, now, freshMs: 30_000, retryMs: 5_000 });
  assert.equal(await first.current(), null);

  at += 6_000;
  sandbox.answer(v1);
  // Concurrent callers share one question.
  const answers = await Promise.all([first.current(), first.current(), first.current()]);
  assert.deepEqual(answers, [v1, v1, v1]);
  const asked = sandbox.calls();
  assert.equal((await store.settings.get(SANDBOX_INFO_KEY))?.value && true, true, 'persisted for other replicas');
  at += 10_000;
  assert.deepEqual(await first.current(), v1);
  assert.equal(sandbox.calls(), asked, 'fresh: not asked again');

  // The sandbox goes down; this process keeps its value, and a new process (a restarted or second
  // replica) finds it in the store without reaching the sandbox.
  sandbox.answer('down');
  at += 31_000;
  assert.deepEqual(await first.current(), v1);
  const restarted = createSandboxInfoSource({ sandbox: sandbox.port, store, logger, now });
  assert.deepEqual(await restarted.current(), v1);

  // A rolled sandbox reports a new runtime with a figure: learned at once, limits included.
  const v2: SandboxInfo = { runtimeVersion: 'rt-2', limits: { ...DEFAULT_LIMITS, codeBytes: 1000 } };
  sandbox.answer(v2);
  await restarted.observe('rt-2');
  assert.deepEqual(await restarted.current(), v2);
  assert.deepEqual((await store.settings.get(SANDBOX_INFO_KEY))?.value, { runtimeVersion: 'rt-2', limits: { ...DEFAULT_LIMITS, codeBytes: 1000 } });
  const before = sandbox.calls();
  await restarted.observe('rt-2');
  assert.equal(sandbox.calls(), before, 'a known version costs nothing');
  assert.throws(() => createSandboxInfoSource({ sandbox: sandbox.port, store, logger, now, freshMs: 0 }), TypeError);
});
