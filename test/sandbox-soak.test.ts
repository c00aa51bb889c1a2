// A bounded soak of the sandbox service: 1,000 runs at concurrency 16, the eight example charts
// mixed with 10% hostile runs. Every request must get the right outcome; afterwards no worker
// processes are left behind, the supervisor's memory is back near its start, and every worker's
// warm pool is full again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import { salesDataset } from './helpers/sandbox.ts';
import { runBody, startSandboxService } from './helpers/service.ts';

const TOTAL = Number(process.env.SOAK_RUNS ?? 1000);
const CONCURRENCY = 16;

const HOSTILE: { code: string; expect: readonly string[] }[] = [
  { code: 'for (;;) {}', expect: ['SANDBOX_TIMEOUT'] },
  // At a 600 ms limit under full load the growing array may meet the time limit first; never a crash.
  { code: 'const a = []; for (;;) a.push({ i: a.length, s: "pad" + a.length });', expect: ['SANDBOX_MEMORY', 'SANDBOX_TIMEOUT'] },
  { code: "const parts = 'x'.repeat(2 ** 28).split('');", expect: ['SANDBOX_MEMORY'] },
];

/** Children of a process (Linux /proc), to find leftover or zombie workers. */
function childrenOf(pid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) out.push({ pid: Number(entry), state: fields[0] ?? '?' });
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return Number(m?.[1] ?? 0) * 1024;
}

function metric(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && !line.startsWith('#')) total += Number(line.split(' ').pop());
  return total;
}

test(`soak: ${TOTAL} runs at concurrency ${CONCURRENCY}, 10% hostile`, { timeout: 15 * 60_000 }, async () => {
  const dataset = salesDataset(5000);
  // The time limit is wall-clock: 600 ms is 10× a healthy 5,000-row chart even on a machine also
  // running the browser test, and short enough that the hostile spinners keep the soak brief.
  const svc = await startSandboxService({ SANDBOX_LIMIT_TIME_MS: '600', SANDBOX_POOL_SIZE: '2', SANDBOX_MAX_QUEUE: '1000' });
  const pid = svc.child.pid ?? 0;
  try {
    assert.equal((await svc.putDataset(dataset)).status, 201);
    // Warm up, then take the supervisor's baseline memory.
    for (const chart of EXAMPLE_CHARTS) assert.equal((await svc.call('/v1/runs', runBody(chart.code, dataset.sha256))).status, 200);
    const rssStart = rssOf(pid);

    const outcomes = new Map<string, number>();
    const wrong: string[] = [];
    let next = 0;
    const started = performance.now();
    async function lane(): Promise<void> {
      for (;;) {
        const i = next++;
        if (i >= TOTAL) return;
        const hostile = i % 10 === 9 ? HOSTILE[Math.floor(i / 10) % HOSTILE.length] : undefined;
        const chart = EXAMPLE_CHARTS[i % EXAMPLE_CHARTS.length];
        const code = hostile?.code ?? chart?.code ?? '';
        const res = await svc.call('/v1/runs', runBody(code, dataset.sha256, { project: `p${i % 3}` }));
        const body = (await res.json()) as { error?: { code: string } };
        const got = body.error?.code ?? 'ok';
        outcomes.set(got, (outcomes.get(got) ?? 0) + 1);
        const ok = hostile ? hostile.expect.includes(got) : res.status === 200;
        if (!ok) wrong.push(`#${i} ${hostile ? 'hostile' : chart?.name}: ${res.status} ${got}`);
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const seconds = (performance.now() - started) / 1000;
    console.log(`soak: ${TOTAL} runs in ${seconds.toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
    assert.deepEqual(wrong, [], wrong.slice(0, 10).join('\n'));

    // The pools refill in the background: wait (bounded) until the gauges say so, then check the
    // workers and the supervisor are back where they started.
    let metrics = '';
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 250))) {
      metrics = await (await svc.call('/metrics')).text();
      if (metric(metrics, 'plotbox_sandbox_pool_isolates') === 2 * 2 && metric(metrics, 'plotbox_sandbox_workers_ready') === 2) break;
    }
    const workersReady = metric(metrics, 'plotbox_sandbox_workers_ready');
    assert.equal(workersReady, 2);
    assert.equal(metric(metrics, 'plotbox_sandbox_pool_isolates'), 2 * 2, 'every worker pool is full again');
    assert.equal(metric(metrics, 'plotbox_sandbox_queue_depth'), 0);
    const kids = childrenOf(pid);
    assert.equal(kids.length, 2, `worker processes: ${JSON.stringify(kids)}`);
    assert.ok(
      kids.every((k) => k.state !== 'Z'),
      'no zombie workers',
    );
    const rssEnd = rssOf(pid);
    console.log(`soak: supervisor RSS ${(rssStart / 2 ** 20).toFixed(1)} MiB → ${(rssEnd / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(rssEnd < rssStart + 64 * 2 ** 20, `supervisor memory grew from ${rssStart} to ${rssEnd}`);
  } finally {
    const workers = childrenOf(pid).map((k) => k.pid);
    assert.equal(await svc.stop(), 0);
    // After a graceful stop no worker is left running (orphans would be re-parented, so look them up by pid).
    await new Promise((res) => setTimeout(res, 200));
    const alive = workers.filter((w) => {
      try {
        return !readFileSync(`/proc/${w}/stat`, 'utf8').includes(') Z');
      } catch {
        return false;
      }
    });
    assert.deepEqual(alive, []);
  }
});
