// How a worker process ended decides what the analyst is told. Each case kills (or stops) a real
// worker from outside at a precise moment — idle, while its run is being prepared, during the
// analyst's code, past a deadline, at shutdown — and checks the run's typed result, that nothing
// outside the run is blamed on the analyst, and that the runner recovers by itself.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ColumnarDataset } from '@plotbox/sandbox-protocol';
import type { Runner, RunnerOptions } from '@plotbox/sandbox';
import { HEALTHY_CHART, assertNoHostDetails, salesDataset, startRunner } from './helpers/sandbox.ts';

const SPIN = (ms: number): string => `const end = Date.now() + ${ms}; while (Date.now() < end) {} fig = { data: [] };`;

const runners: Runner[] = [];
function runner(options: RunnerOptions = {}): Runner {
  const r = startRunner({ workers: 1, ...options });
  runners.push(r);
  return r;
}
after(async () => {
  await Promise.all(runners.map((r) => r.close(500)));
});

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((res) => setTimeout(res, 5))) if (check()) return;
  assert.fail(`timed out waiting for ${what}`);
}

function worker(r: Runner): { pid: number; state: string } {
  const w = r.stats().workers[0];
  assert.ok(w?.pid !== undefined);
  return { pid: w.pid, state: w.state };
}

/** A dataset no worker holds yet, so a run starts by sending it. */
let seed = 100;
function freshDataset(rows = 2000): ColumnarDataset {
  return salesDataset(rows + seed++);
}

async function healthy(r: Runner): Promise<void> {
  const next = await r.run({ code: HEALTHY_CHART, dataset: salesDataset(500) });
  assert.ok(next.ok, `the runner recovered: ${JSON.stringify(next)}`);
}

describe('worker loss', () => {
  test('a worker killed while idle is replaced, and no run is affected', async () => {
    const r = runner();
    await r.ready();
    const { pid } = worker(r);
    process.kill(pid, 'SIGKILL');
    await until(() => r.stats().restarts === 1 && r.readyWorkers() === 1, 'the replacement worker');
    assert.notEqual(worker(r).pid, pid);
    assert.equal(r.stats().workersLost, 0);
    await healthy(r);
  });

  test('killed while its run is being prepared: SANDBOX_WORKER_LOST, not the analyst’s fault', async () => {
    const r = runner();
    await r.ready();
    const pending = r.run({ code: HEALTHY_CHART, dataset: freshDataset() });
    // run() dispatches at once to the idle worker: it is now receiving the dataset.
    const { pid, state } = worker(r);
    assert.equal(state, 'preparing');
    process.kill(pid, 'SIGKILL');
    const result = await pending;
    assertNoHostDetails(result);
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'SANDBOX_WORKER_LOST');
    assert.match(result.error.message, /not caused by your code/);
    assert.match(result.error.message, /preparing the dataset/);
    assert.equal(r.stats().crashes, 0);
    await healthy(r);
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    test(`${signal} from outside during the analyst's code: SANDBOX_WORKER_LOST naming the signal`, async () => {
      const r = runner();
      await r.ready();
      const pending = r.run({ code: SPIN(5000), dataset: salesDataset(500), limits: { timeMs: 10_000 } });
      await until(() => worker(r).state === 'running', 'the analyst code to start');
      process.kill(worker(r).pid, signal);
      const result = await pending;
      assert.ok(!result.ok);
      assert.equal(result.error.code, 'SANDBOX_WORKER_LOST');
      assert.match(result.error.message, new RegExp(`${signal}.*not caused by your code`));
      assert.equal(r.stats().crashes, 0);
      assert.equal(r.stats().workersLost, 1);
      await healthy(r);
    });
  }

  test('a worker dying of its own kind of signal during the code (an abort) is SANDBOX_CRASHED', async () => {
    const r = runner();
    await r.ready();
    const pending = r.run({ code: SPIN(5000), dataset: salesDataset(500), limits: { timeMs: 10_000 } });
    await until(() => worker(r).state === 'running', 'the analyst code to start');
    process.kill(worker(r).pid, 'SIGABRT');
    const result = await pending;
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'SANDBOX_CRASHED');
    assert.equal(r.stats().crashes, 1);
    await healthy(r);
  });

  test('a worker stuck past the run’s deadline is killed by the watchdog: SANDBOX_TIMEOUT', async () => {
    const r = runner({ watchdogMs: 300 });
    await r.ready();
    const started = performance.now();
    const pending = r.run({ code: SPIN(5000), dataset: salesDataset(500), limits: { timeMs: 400 } });
    await until(() => worker(r).state === 'running', 'the analyst code to start');
    // Frozen: neither the isolate's timeout nor the worker's own timer can act; only the supervisor can.
    process.kill(worker(r).pid, 'SIGSTOP');
    const result = await pending;
    const elapsed = performance.now() - started;
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'SANDBOX_TIMEOUT');
    assert.deepEqual(result.error.limit, { name: 'timeMs', value: 400 });
    assert.equal(r.stats().watchdogKills, 1);
    assert.ok(elapsed < 400 + 300 + 2000, `answered after ${elapsed} ms`);
    await healthy(r);
  });

  test('a worker stuck while preparing is killed at the preparation budget: SANDBOX_WORKER_LOST', async () => {
    const r = runner({ prepareTimeoutMs: 300, watchdogMs: 200 });
    await r.ready();
    const started = performance.now();
    const pending = r.run({ code: HEALTHY_CHART, dataset: freshDataset(), limits: { timeMs: 30_000 } });
    assert.equal(worker(r).state, 'preparing');
    process.kill(worker(r).pid, 'SIGSTOP');
    const result = await pending;
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'SANDBOX_WORKER_LOST');
    assert.match(result.error.message, /longer than 300 ms/);
    assert.ok(performance.now() - started < 300 + 200 + 2000, 'the preparation budget, not the 30 s time limit');
    await healthy(r);
  });

  test('memory growing outside V8’s accounting (Intl objects) is stopped by the RSS watchdog: SANDBOX_MEMORY', async () => {
    const r = runner({ unsafeSkipCodeCheck: true });
    await r.ready();
    let peak = 0;
    const pending = r.run({
      code: "const a = []; for (;;) a.push(new Intl.DateTimeFormat('en', { timeZone: 'UTC' }), new Intl.NumberFormat('de', { style: 'currency', currency: 'EUR' }));",
      dataset: salesDataset(500),
      limits: { timeMs: 20_000, memoryMb: 32 },
    });
    const poll = setInterval(() => (peak = Math.max(peak, rssOf(worker(r).pid))), 10);
    const result = await pending;
    clearInterval(poll);
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'SANDBOX_MEMORY');
    assert.deepEqual(result.error.limit, { name: 'memoryMb', value: 32 });
    assert.equal(r.stats().memoryKills, 1, 'the supervisor killed it');
    assert.ok(peak < 1024 * 1024 ** 2, `the worker peaked at ${Math.round(peak / 1024 ** 2)} MiB`);
    await healthy(r);
  });

  test('shutting down with a run in flight: SANDBOX_WORKER_LOST, and close() returns', async () => {
    const r = startRunner({ workers: 1 });
    await r.ready();
    const pending = r.run({ code: SPIN(10_000), dataset: salesDataset(500), limits: { timeMs: 20_000 } });
    await until(() => r.stats().workers[0]?.state === 'running', 'the analyst code to start');
    const closing = r.close(100);
    const result = await pending;
    await closing;
    assert.ok(!result.ok);
    assert.equal(result.error.code, 'SANDBOX_WORKER_LOST');
    assert.match(result.error.message, /shutting down/);
  });
});

function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
