// The sandbox service as a real process: protocol, crash containment, backpressure, fairness and
// graceful shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import type { ColumnarDataset } from '@plotbox/sandbox-protocol';
import { HEALTHY_CHART, salesDataset } from './helpers/sandbox.ts';
import { runBody, startSandboxService, type SandboxService } from './helpers/service.ts';

/** Allocation that used to make V8 abort the whole worker process; the RSS watchdog now stops it first. */
const ABORTING = "const parts = 'x'.repeat(2 ** 28).split('');";

let svc: SandboxService;
let dataset: ColumnarDataset;

before(async () => {
  dataset = salesDataset(2000);
  svc = await startSandboxService({ SANDBOX_LIMIT_TIME_MS: '1000' });
  const put = await svc.putDataset(dataset);
  assert.equal(put.status, 201);
});
after(async () => {
  await svc.stop();
});

describe('protocol', () => {
  test('health and readiness are public and minimal', async () => {
    const h = await fetch(`${svc.url}/healthz`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: 'ok' });
    const r = await fetch(`${svc.url}/readyz`);
    assert.equal(r.status, 200);
  });

  test('every other route needs the exact bearer token', async () => {
    for (const authorization of [undefined, 'Bearer', 'Bearer ', `Bearer ${svc.token}x`, `Bearer ${svc.token.slice(1)}`, `Basic ${svc.token}`, `bearer ${svc.token}`, 'Bearer ' + 'a'.repeat(10_000)]) {
      for (const path of ['/metrics', '/v1/runs', '/v1/info', `/v1/datasets/${dataset.sha256}`]) {
        const res = await fetch(svc.url + path, { method: path === '/metrics' ? 'GET' : 'POST', headers: authorization ? { authorization } : {} });
        assert.equal(res.status, 401, `${path} with ${String(authorization).slice(0, 20)}`);
        const body = (await res.json()) as { error: { code: string } };
        assert.equal(body.error.code, 'SANDBOX_UNAUTHORIZED');
      }
    }
  });

  test('a run returns the figure and its stats', async () => {
    const res = await svc.call('/v1/runs', runBody(HEALTHY_CHART, dataset.sha256, { project: 'p1' }));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { figure: { data: unknown[] }; stats: { durationMs: number; outputBytes: number; cpuMs: number } };
    assert.ok(Array.isArray(body.figure.data));
    assert.ok(body.stats.durationMs > 0 && body.stats.outputBytes > 0 && body.stats.cpuMs >= 0);
  });

  test('malformed and hostile requests get typed 4xx errors', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['not JSON', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code":' }, 400, 'SANDBOX_BAD_REQUEST'],
      ['wrong content type', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, 400, 'SANDBOX_BAD_REQUEST'],
      ['unknown field', runBody(HEALTHY_CHART, dataset.sha256, { admin: true }), 400, 'SANDBOX_BAD_REQUEST'],
      [
        'operator object as code',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: { $ne: null }, dataset: { sha256: dataset.sha256 } }) },
        400,
        'SANDBOX_BAD_REQUEST',
      ],
      [
        'operator object as hash',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'fig = 1', dataset: { sha256: { $ne: null } } }) },
        400,
        'SANDBOX_BAD_REQUEST',
      ],
      ['bad hash', runBody(HEALTHY_CHART, 'abc'), 400, 'SANDBOX_BAD_REQUEST'],
      ['limits wrong type', runBody(HEALTHY_CHART, dataset.sha256, { limits: { timeMs: '5' } }), 400, 'SANDBOX_BAD_REQUEST'],
      ['limits out of range', runBody(HEALTHY_CHART, dataset.sha256, { limits: { timeMs: 10_000_000 } }), 400, 'SANDBOX_BAD_REQUEST'],
      ['unknown runtime', runBody(HEALTHY_CHART, dataset.sha256, { runtime: 'python' }), 400, 'SANDBOX_BAD_REQUEST'],
      [
        'oversize body',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'x'.repeat(2 * 1024 * 1024), dataset: { sha256: dataset.sha256 } }) },
        413,
        'SANDBOX_PAYLOAD_TOO_LARGE',
      ],
      ['unknown dataset', runBody(HEALTHY_CHART, 'f'.repeat(64)), 409, 'SANDBOX_DATASET_MISSING'],
      ['code rule', runBody('fig = eval("1")', dataset.sha256), 422, 'CODE_RULE'],
    ];
    for (const [name, init, status, code] of cases) {
      const res = await svc.call('/v1/runs', init);
      assert.equal(res.status, status, name);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, code, name);
      assert.ok(!/node_modules|\/work\/|at .*\.ts/.test(body.error.message), `${name} leaks: ${body.error.message}`);
    }
    const nf = await svc.call('/v2/whatever');
    assert.equal(nf.status, 404);
  });

  test('dataset uploads are verified against their name', async () => {
    const other = salesDataset(50);
    const { encodeArrowIPC } = await import('@plotbox/datasets');
    const bytes = encodeArrowIPC(other.columns);
    const wrong = await svc.call(`/v1/datasets/${'0'.repeat(64)}`, { method: 'PUT', body: bytes });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'SANDBOX_DATASET_INVALID');
    const junk = new Uint8Array([1, 2, 3, 4, 5]);
    const { createHash } = await import('node:crypto');
    const junkSha = createHash('sha256').update(junk).digest('hex');
    const bad = await svc.call(`/v1/datasets/${junkSha}`, { method: 'PUT', body: junk });
    assert.equal(bad.status, 400);
    const badName = await svc.call('/v1/datasets/..%2f..%2fetc', { method: 'PUT', body: junk });
    assert.equal(badName.status, 400);
    // Missing, then uploaded, then runnable: the API's 409 → PUT → retry path.
    const missing = await svc.call('/v1/runs', runBody(HEALTHY_CHART, other.sha256));
    assert.equal(missing.status, 409);
    const ok = await svc.call(`/v1/datasets/${other.sha256}`, { method: 'PUT', body: bytes });
    assert.equal(ok.status, 201);
    const run = await svc.call('/v1/runs', runBody(HEALTHY_CHART, other.sha256));
    assert.equal(run.status, 200);
  });

  test('there is no separate check route: code is checked as part of a run', async () => {
    const gone = await svc.call('/v1/check', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'fig = 1;' }) });
    assert.equal(gone.status, 404);
    assert.equal(((await gone.json()) as { error: { code: string } }).error.code, 'SANDBOX_NOT_FOUND');
    const res = await svc.call('/v1/runs', runBody('const a = 1;\nfig = eval(a);', dataset.sha256));
    assert.equal(res.status, 422);
    const body = (await res.json()) as { error: { code: string; diagnostics?: { line: number }[] } };
    assert.equal(body.error.code, 'CODE_RULE');
    assert.equal(body.error.diagnostics?.[0]?.line, 2);
  });

  test('metrics are Prometheus text with runs by outcome, queue, pool, restarts and cache', async () => {
    const res = await svc.call('/metrics');
    assert.equal(res.status, 200);
    const text = await res.text();
    for (const name of [
      'plotbox_sandbox_runs_total{outcome="ok"}',
      'plotbox_sandbox_run_duration_seconds_bucket',
      'plotbox_sandbox_queue_depth',
      'plotbox_sandbox_pool_isolates',
      'plotbox_sandbox_worker_restarts_total',
      'plotbox_sandbox_dataset_cache_bytes',
    ]) {
      assert.ok(text.includes(name), name);
    }
  });

  test('the pool gauge comes back to full after runs (the background refill is reported)', async () => {
    const gauge = (text: string): number => Number(/^plotbox_sandbox_pool_isolates (\d+)$/m.exec(text)?.[1] ?? -1);
    const waitFull = async (): Promise<number> => {
      let seen = -1;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline && seen !== 2; await new Promise((res) => setTimeout(res, 50))) {
        seen = gauge(await (await svc.call('/metrics')).text());
      }
      return seen;
    };
    // Back-to-back runs: some start while the pool is still refilling, so some refills find the
    // pool already full (this once left the pool unable to refill ever again).
    await Promise.all(
      [0, 1].map(async () => {
        for (let i = 0; i < 4; i++) assert.equal((await svc.call('/v1/runs', runBody(HEALTHY_CHART, dataset.sha256))).status, 200);
      }),
    );
    // Then, run after run, each one gets a pooled (warm) isolate once the pool has had time to refill.
    for (let i = 0; i < 5; i++) {
      assert.equal(await waitFull(), 2, `two workers with a pool of one each, before run ${i}`);
      const res = await svc.call('/v1/runs', runBody(HEALTHY_CHART, dataset.sha256));
      assert.equal(res.status, 200);
      const body = (await res.json()) as { stats: { warm: boolean } };
      assert.equal(body.stats.warm, true, `run ${i} used a pooled isolate`);
    }
    assert.equal(await waitFull(), 2);
  });
});

describe('crash containment', () => {
  test('a worker-killing memory bomb fails alone as SANDBOX_MEMORY; other runs succeed; readiness holds', async () => {
    let notReadySince: number | undefined;
    let longestNotReady = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const r = await fetch(`${svc.url}/readyz`);
        const now = performance.now();
        if (r.status !== 200) notReadySince ??= now;
        else if (notReadySince !== undefined) {
          longestNotReady = Math.max(longestNotReady, now - notReadySince);
          notReadySince = undefined;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    const crash = svc.call('/v1/runs', runBody(ABORTING, dataset.sha256));
    const others = Array.from({ length: 6 }, (_, i) => svc.call('/v1/runs', runBody(EXAMPLE_CHARTS[i % EXAMPLE_CHARTS.length]?.code ?? HEALTHY_CHART, dataset.sha256)));
    const crashed = await crash;
    assert.equal(crashed.status, 422);
    const body = (await crashed.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'SANDBOX_MEMORY');
    for (const r of await Promise.all(others)) assert.equal(r.status, 200);
    const next = await svc.call('/v1/runs', runBody(HEALTHY_CHART, dataset.sha256));
    assert.equal(next.status, 200);
    polling = false;
    await poller;
    if (notReadySince !== undefined) longestNotReady = Math.max(longestNotReady, performance.now() - notReadySince);
    assert.ok(longestNotReady <= 1000, `not ready for ${longestNotReady} ms`);
  });
});

describe('worker loss', () => {
  test('a worker killed from outside mid-run answers 503 SANDBOX_WORKER_LOST with Retry-After, then the service recovers', async () => {
    const spin = 'const end = Date.now() + 4000; while (Date.now() < end) {} fig = { data: [] };';
    const before = await (await svc.call('/metrics')).text();
    const inflight = svc.call('/v1/runs', runBody(spin, dataset.sha256, { limits: { timeMs: 10_000 } }));
    // Wait until a worker is busy, then kill every worker (only one holds the run).
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 20))) {
      if (/^plotbox_sandbox_workers_busy 1$/m.test(await (await svc.call('/metrics')).text())) break;
    }
    await new Promise((res) => setTimeout(res, 200));
    const workers = childPids(svc.child.pid ?? 0);
    assert.equal(workers.length, 2, 'two workers');
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    const res = await inflight;
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'SANDBOX_WORKER_LOST');
    assert.match(body.error.message, /not caused by your code/);
    let next: Response | undefined;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      next = await svc.call('/v1/runs', runBody(HEALTHY_CHART, dataset.sha256));
      if (next.status !== 409) break;
      // The replacement workers do not hold the dataset yet: upload it again, as the API does.
      assert.equal((await svc.putDataset(dataset)).status, 201);
    }
    assert.equal(next?.status, 200);
    const after = await (await svc.call('/metrics')).text();
    const lost = (text: string): number => Number(/^plotbox_sandbox_workers_lost_total (\d+)$/m.exec(text)?.[1] ?? -1);
    assert.equal(lost(after), lost(before) + 1);
    assert.match(after, /^plotbox_sandbox_worker_rss_bytes\{worker="0"\} \d+$/m);
  });
});

describe('backpressure and fairness', () => {
  test('a flooding project does not starve another project', async () => {
    const slow = 'const end = Date.now() + 150; while (Date.now() < end) {} fig = { data: [] };';
    const flood = Array.from({ length: 16 }, () =>
      svc.call('/v1/runs', runBody(slow, dataset.sha256, { project: 'flood' })).then(async (r) => ({ at: performance.now(), status: r.status, _: await r.arrayBuffer() })),
    );
    await new Promise((res) => setTimeout(res, 30));
    const t0 = performance.now();
    const fair = await svc.call('/v1/runs', runBody(HEALTHY_CHART, dataset.sha256, { project: 'quiet' }));
    const fairAt = performance.now();
    assert.equal(fair.status, 200);
    const floodDone = await Promise.all(flood);
    const finishedAfter = floodDone.filter((f) => f.at > fairAt).length;
    // Round-robin: the quiet project's run goes next, ahead of most of the flood.
    assert.ok(finishedAfter >= 10, `only ${finishedAfter} flood runs finished after the quiet one (${fairAt - t0} ms)`);
  });
});

describe('busy and shutdown', () => {
  test('a full queue answers 503 SANDBOX_BUSY with Retry-After', async () => {
    const small = await startSandboxService({ SANDBOX_MAX_QUEUE: '2', SANDBOX_WORKERS: '1' });
    try {
      assert.equal((await small.putDataset(dataset)).status, 201);
      const slow = 'const end = Date.now() + 300; while (Date.now() < end) {} fig = { data: [] };';
      const results = await Promise.all(Array.from({ length: 8 }, () => small.call('/v1/runs', runBody(slow, dataset.sha256))));
      const busy = results.filter((r) => r.status === 503);
      assert.ok(busy.length >= 1, 'some runs were refused');
      assert.equal(busy[0]?.headers.get('retry-after'), '1');
      assert.equal(((await busy[0]?.json()) as { error: { code: string } }).error.code, 'SANDBOX_BUSY');
      assert.ok(results.some((r) => r.status === 200));
    } finally {
      await small.stop();
    }
  });

  test('SIGTERM finishes the in-flight run and exits 0', async () => {
    const s = await startSandboxService({ SANDBOX_WORKERS: '1' });
    assert.equal((await s.putDataset(dataset)).status, 201);
    const slow = "const end = Date.now() + 400; while (Date.now() < end) {} fig = { data: [], layout: { title: { text: 'done' } } };";
    const inflight = s.call('/v1/runs', runBody(slow, dataset.sha256));
    await new Promise((res) => setTimeout(res, 100));
    const code = s.stop();
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(await code, 0);
  });
});

/** Child processes of `pid` (the sandbox's workers), from /proc. */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}
