// Abuse: code that tries to starve or crash the sandbox. Every case must end in its typed result,
// and a healthy chart must render right after it (the pool recovers by itself). The suite runs
// against every runtime (arquero, danfo) and, for arquero, in both isolate modes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { datasetFromColumns, generateSales } from '@plotbox/datasets';
import type { Column, ColumnarDataset, Limits, RuntimeName } from '@plotbox/sandbox-protocol';
import type { Runner } from '@plotbox/sandbox';
import { SUITE_MODES, assertNoHostDetails, healthyChart, salesDataset, startRunner, titleOf, type SuiteMode } from './helpers/sandbox.ts';

const LIMITS: Limits = { codeBytes: 65536, timeMs: 500, memoryMb: 64, outputBytes: 1 << 20, rows: 1_000_000 };

interface Case {
  readonly code: string;
  /** Acceptable outcomes (a process-aborting allocation may legitimately end as a crash). */
  readonly codes: readonly string[];
  readonly limits?: Partial<Limits>;
  readonly skipCheck?: boolean;
  /** The runtimes the case is about (default: every one). */
  readonly runtimes?: readonly RuntimeName[];
}

/** Stands for the runtime's healthy chart in a case's code. */
const HEALTHY = '<healthy chart>';

const LOOP = ['SANDBOX_TIMEOUT'];
/** A memory bomb ends as a memory error (never a crash, nor a time limit it had time to beat). */
const MEMORY = ['SANDBOX_MEMORY'];
/** Memory bombs get time enough to hit the memory limit first. */
const MEMORY_TIME: Partial<Limits> = { timeMs: 5000 };

const CASES: Record<string, Case> = {
  'while (true)': { code: 'while (true) {}', codes: LOOP },
  'for (;;)': { code: 'for (;;) {}', codes: LOOP },
  'do while': { code: 'do {} while (1);', codes: LOOP },
  'loop in sort comparator': { code: '[3, 2, 1].sort(() => { for (;;) {} });', codes: LOOP },
  'loop in map callback over data': { code: 'data.price.map(() => { for (;;) {} });', codes: LOOP },
  'loop in reduce callback': { code: 'data.units.reduce((a) => { for (;;) {} }, 0);', codes: LOOP },
  'loop in replace callback': { code: "'aaa'.replace(/a/g, () => { for (;;) {} });", codes: LOOP },
  'loop in iterator': { code: 'const it = { [Symbol.iterator]() { return { next: () => ({ done: false, value: 1 }) }; } }; for (const x of it) {}', codes: LOOP },
  'loop in arquero filter callback': { code: 'df.filter((d) => { let i = 0; while (i >= 0) i++; return true; });', codes: [...LOOP, 'SANDBOX_RUNTIME_ERROR'] },
  'loop in toString during string building': { code: "const o = { toString() { for (;;) {} } }; const s = 'x' + o;", codes: LOOP },
  'loop in a getter read by px': { code: "const t = { get region() { for (;;) {} } }; fig = px.bar(t, { x: 'region', y: 'units' });", codes: [...LOOP, 'SANDBOX_RUNTIME_ERROR'] },
  'catastrophic regex': { code: "/(a+)+$/.test('a'.repeat(40) + 'b');", codes: LOOP },
  'memory: growing array of objects': { code: 'const a = []; for (;;) a.push({ i: a.length, s: "xxxxxxxx" + a.length });', codes: MEMORY, limits: MEMORY_TIME },
  'memory: string doubling': { code: "let s = 'x'; for (;;) s = s + s;", codes: MEMORY, limits: MEMORY_TIME },
  'memory: array buffers': { code: 'const a = []; for (;;) a.push(new ArrayBuffer(1 << 20));', codes: MEMORY, limits: MEMORY_TIME },
  'memory: growing Map': { code: 'const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });', codes: MEMORY, limits: MEMORY_TIME },
  // String keys are hashed one by one: slow enough that it may meet the time limit first.
  'memory: growing Set of strings': { code: "const s = new Set(); for (let i = 0; ; i++) s.add('k' + i);", codes: [...MEMORY, 'SANDBOX_TIMEOUT'], limits: MEMORY_TIME },
  'memory: huge array fill': { code: 'const a = new Array(1e9).fill(0);', codes: MEMORY, limits: MEMORY_TIME },
  'memory: huge string split (2^27)': { code: "const parts = 'x'.repeat(2 ** 27).split('');", codes: MEMORY, limits: MEMORY_TIME },
  'memory: huge string split (2^28)': { code: "const parts = 'x'.repeat(2 ** 28).split('');", codes: MEMORY, limits: MEMORY_TIME },
  'memory: typed array bomb': { code: 'const t = new Float64Array(2 ** 30);', codes: [...MEMORY, 'SANDBOX_RUNTIME_ERROR'], limits: MEMORY_TIME },
  'memory: typed arrays past the allowance': { code: 'const keep = []; for (let k = 0; k < 12; k++) keep.push(new Float64Array(1 << 20));', codes: MEMORY, limits: MEMORY_TIME },
  'memory: huge JSON.parse': { code: "const v = JSON.parse('[' + '1,'.repeat(5e7) + '1]');", codes: MEMORY, limits: MEMORY_TIME },
  // ICU's memory is outside V8's heap: only the supervisor's RSS watchdog sees it.
  'memory: Intl objects': { code: "const a = []; for (;;) a.push(new Intl.DateTimeFormat('en', { timeZone: 'UTC' }), new Intl.Collator('de'));", codes: MEMORY, limits: MEMORY_TIME },
  'memory: kept arrays past the allowance': { code: 'const keep = []; for (let k = 0; k < 12; k++) keep.push(new Array(1 << 20).fill(k + 0.5));', codes: MEMORY, limits: MEMORY_TIME },
  'deep recursion': { code: 'function f(n) { return f(n + 1) + 1; } f(0);', codes: ['SANDBOX_RUNTIME_ERROR'] },
  'mutual recursion through arquero': { code: 'function g() { return df.filter(() => g()).numRows(); } g();', codes: ['SANDBOX_RUNTIME_ERROR', 'SANDBOX_TIMEOUT'] },
  'output bomb: 5M points': { code: "fig = { data: [{ type: 'scatter', x: new Array(5e6).fill(1) }] };", codes: ['SANDBOX_OUTPUT_TOO_LARGE', 'SANDBOX_MEMORY'] },
  'output bomb: sparse array of length 2^32-1': { code: "const a = []; a[2 ** 32 - 2] = 1; fig = { data: [{ type: 'scatter', x: a }] };", codes: ['SANDBOX_OUTPUT_TOO_LARGE'] },
  'output bomb: long string': { code: "fig = { data: [], layout: { title: { text: 'x'.repeat(3e6) } } };", codes: ['SANDBOX_OUTPUT_TOO_LARGE'] },
  'output: cycle': { code: "const t = { type: 'bar' }; t.self = t; fig = { data: [t] };", codes: ['SANDBOX_RUNTIME_ERROR', 'FIGURE_INVALID'] },
  'output: deep nesting': {
    code: 'let o = {}; for (let i = 0; i < 1e5; i++) o = { a: o }; fig = { data: [], layout: { meta: o } };',
    codes: ['SANDBOX_RUNTIME_ERROR', 'SANDBOX_OUTPUT_TOO_LARGE', 'FIGURE_INVALID'],
  },
  'no figure assigned': { code: 'const x = 1;', codes: ['SANDBOX_NO_FIGURE'] },
  'figure of the wrong type': { code: 'fig = 42;', codes: ['SANDBOX_NO_FIGURE', 'FIGURE_INVALID', 'SANDBOX_RUNTIME_ERROR'] },
  'thrown huge message': { code: "throw new Error('x'.repeat(1e7));", codes: ['SANDBOX_RUNTIME_ERROR'] },
  'never-settling promise chain': {
    code: 'Promise.resolve().then(function f() { return Promise.resolve().then(f); }); fig = { data: [] };',
    codes: ['SANDBOX_TIMEOUT', 'SANDBOX_MEMORY', 'OK'],
    skipCheck: true,
  },
  'code too large': { code: `fig = { data: [] }; // ${'x'.repeat(70_000)}`, codes: ['CODE_TOO_LARGE'] },
  'code nested too deep': { code: `fig = ${'['.repeat(30_000)}${']'.repeat(30_000)};`, codes: ['CODE_TOO_DEEP'] },
  'dataset over the row limit': { code: HEALTHY, codes: ['SANDBOX_DATASET_TOO_LARGE'], limits: { rows: 10 } },
  // danfo's own callbacks and allocations.
  'loop in a danfo apply callback': { code: "df['units'].apply(() => { for (;;) {} });", codes: LOOP, runtimes: ['danfo'] },
  'loop in a danfo groupby apply': { code: "df.groupby(['region']).apply(() => { for (;;) {} });", codes: [...LOOP, 'SANDBOX_RUNTIME_ERROR'], runtimes: ['danfo'] },
  'memory: a huge danfo frame': { code: 'const big = new dfd.DataFrame({ a: new Array(2e7).fill(1.5), b: new Array(2e7).fill(2.5) });', codes: MEMORY, limits: MEMORY_TIME, runtimes: ['danfo'] },
  'memory: danfo frames kept in a loop': { code: 'const keep = []; for (;;) keep.push(df.addColumn("x", df["units"].mul(2)));', codes: MEMORY, limits: MEMORY_TIME, runtimes: ['danfo'] },
  'memory: danfo tensors': { code: 'const keep = []; for (;;) keep.push(new dfd.Series(new Array(1e6).fill(1.5)).tensor);', codes: MEMORY, limits: MEMORY_TIME, runtimes: ['danfo'] },
  'time limit lowered per run': { code: 'const end = 1e12; let i = 0; while (i < end) i++;', codes: LOOP, limits: { timeMs: 50 } },
};

for (const mode of SUITE_MODES) describe(mode.label, () => suite(mode));

function suite(mode: SuiteMode): void {
  const { runtime, reuse } = mode;
  const HEALTHY_CHART = healthyChart(runtime);
  let runner: Runner;
  let unchecked: Runner;
  let dataset: ColumnarDataset;

  before(async () => {
    dataset = salesDataset(1000);
    runner = startRunner({ isolateReuse: reuse, defaultLimits: LIMITS }, runtime);
    unchecked = startRunner({ isolateReuse: reuse, defaultLimits: LIMITS, unsafeSkipCodeCheck: true, workers: 1 }, runtime);
    await Promise.all([runner.ready(), unchecked.ready()]);
  });
  after(async () => {
    await Promise.all([runner.close(1000), unchecked.close(1000)]);
  });

  describe('abuse', () => {
    test('at least 20 abuse cases', () => assert.ok(Object.keys(CASES).length >= 20));

    for (const [name, c] of Object.entries(CASES)) {
      if (c.runtimes !== undefined && !c.runtimes.includes(runtime)) continue;
      test(`${name}: typed result, then the next run works`, async () => {
        const r = c.skipCheck ? unchecked : runner;
        const started = performance.now();
        const result = await r.run({ code: c.code === HEALTHY ? HEALTHY_CHART : c.code, dataset, ...(c.limits ? { limits: c.limits } : {}) });
        const elapsed = performance.now() - started;
        assertNoHostDetails(result);
        const got = result.ok ? 'OK' : result.error.code;
        assert.ok(c.codes.includes(got), `${name}: got ${got}: ${result.ok ? '' : result.error.message}`);
        if (!result.ok && result.error.limit) assert.equal(typeof result.error.limit.value, 'number');
        if (!result.ok) assert.ok(result.error.message.length <= 1200, 'message is capped');
        // Answered within the time limit plus the watchdog's grace, never hung.
        assert.ok(elapsed < (c.limits?.timeMs ?? LIMITS.timeMs) + 4000, `${name} took ${elapsed} ms`);
        const next = await r.run({ code: HEALTHY_CHART, dataset });
        assert.ok(next.ok, `${name}: next run failed: ${JSON.stringify(next)}`);
      });
    }

    test('limit errors say which limit and its value', async () => {
      const t = await runner.run({ code: 'for (;;) {}', dataset });
      assert.ok(!t.ok);
      assert.deepEqual(t.error.limit, { name: 'timeMs', value: LIMITS.timeMs });
      assert.match(t.error.message, /500 ms/);
      const o = await runner.run({ code: "fig = { data: [], layout: { title: { text: 'x'.repeat(2e6) } } };", dataset });
      assert.ok(!o.ok);
      assert.deepEqual(o.error.limit, { name: 'outputBytes', value: LIMITS.outputBytes });
    });

    test('runtime errors carry the analyst line and column', async () => {
      const result = await runner.run({ code: 'const a = 1;\nconst b = null;\nfig = b.x;', dataset });
      assert.ok(!result.ok);
      assert.equal(result.error.code, 'SANDBOX_RUNTIME_ERROR');
      assert.equal(result.error.line, 3);
      assert.match(result.error.message, /null/);
    });

    test('a px error points at the analyst line that called it', async () => {
      const result = await runner.run({ code: "const x = 1;\n\nfig = px.bar(df, { x: 'no_such_column', y: 'units' });", dataset });
      assert.ok(!result.ok);
      assert.equal(result.error.code, 'SANDBOX_RUNTIME_ERROR');
      assert.equal(result.error.line, 3);
      assert.match(result.error.message, /no_such_column/);
    });

    test('bad limits are refused', async () => {
      for (const limits of [{ timeMs: -1 }, { timeMs: 1e9 }, { memoryMb: 1.5 }, { bogus: 1 }, { timeMs: '100' }] as unknown as Partial<Limits>[]) {
        const result = await runner.run({ code: HEALTHY_CHART, dataset, limits });
        assert.ok(!result.ok);
        assert.equal(result.error.code, 'SANDBOX_BAD_REQUEST');
      }
    });
  });

  /** A chart that keeps `mib` MiB of doubles alive (8 bytes each in V8's double arrays) and reports it. */
  const KEEP = (mib: number, typed = false): string =>
    `const keep = []; for (let k = 0; k < ${mib}; k++) keep.push(${typed ? 'new Float64Array(131072).fill(k)' : 'new Array(131072).fill(k + 0.5)'}); fig = { data: [], layout: { title: { text: 'kept ' + keep.length } } };`;

  describe('the memory limit is the one enforced', () => {
    test('what the analyst keeps may reach the allowance, not go past it (heap arrays and typed arrays alike)', async () => {
      for (const typed of [false, true]) {
        const under = await runner.run({ code: KEEP(56, typed), dataset, limits: MEMORY_TIME });
        assert.ok(under.ok, `56 MiB kept under a 64 MiB allowance (typed: ${typed}): ${JSON.stringify(under)}`);
        assert.equal(titleOf(under), 'kept 56');
        const over = await runner.run({ code: KEEP(72, typed), dataset, limits: MEMORY_TIME });
        assert.ok(!over.ok, `72 MiB kept over a 64 MiB allowance must fail (typed: ${typed})`);
        assert.equal(over.error.code, 'SANDBOX_MEMORY');
        assert.deepEqual(over.error.limit, { name: 'memoryMb', value: 64 });
        assert.match(over.error.message, /64 MiB/);
      }
    });

    test('a run that asks for more memory gets exactly that', async () => {
      const more = await runner.run({ code: KEEP(100), dataset, limits: { ...MEMORY_TIME, memoryMb: 128 } });
      assert.ok(more.ok, JSON.stringify(more));
      const less = await runner.run({ code: KEEP(24), dataset, limits: { ...MEMORY_TIME, memoryMb: 16 } });
      assert.ok(!less.ok);
      assert.deepEqual(less.error.limit, { name: 'memoryMb', value: 16 });
    });

    test("'x'.repeat(2 ** 27).split('') ends quickly as SANDBOX_MEMORY and never takes a worker near a gigabyte", async () => {
      const pids = runner
        .stats()
        .workers.map((w) => w.pid)
        .filter((p): p is number => p !== undefined);
      let peak = 0;
      const poll = setInterval(() => {
        for (const pid of pids) peak = Math.max(peak, rssOf(pid));
      }, 5);
      const started = performance.now();
      const result = await runner.run({ code: "const parts = 'x'.repeat(2 ** 27).split(''); fig = { data: [], layout: { title: { text: String(parts.length) } } };", dataset });
      const elapsed = performance.now() - started;
      clearInterval(poll);
      assert.ok(!result.ok, 'the split must not succeed');
      assert.equal(result.error.code, 'SANDBOX_MEMORY');
      assert.ok(elapsed < LIMITS.timeMs + 1500, `took ${elapsed} ms`);
      assert.ok(peak < 768 * 1024 ** 2, `a worker reached ${Math.round(peak / 1024 ** 2)} MiB`);
    });
  });

  describe('preparing a run is not the analyst’s time or memory', () => {
    test('a trivial chart on a large high-cardinality dataset fits a 100 ms limit and an 8 MiB allowance', async () => {
      // danfo builds each run's DataFrame in the preparation (≈2 s and ≈85 bytes a cell at 1M
      // rows): a smaller dataset keeps the suite's time down; the point, that it is not the
      // analyst's time or memory, is the same.
      const rows = runtime === 'danfo' ? 100_000 : 500_000;
      const distinct = (name: string, label: (i: number) => string): Column => ({
        name,
        kind: 'string',
        dictionary: Array.from({ length: rows }, (_, i) => label(i)),
        codes: Int32Array.from({ length: rows }, (_, i) => i),
      });
      const big = datasetFromColumns([
        ...generateSales(rows, 3),
        distinct('customer_id', (i) => `customer-${i.toString(36)}-${((i * 2654435761) % 1e9).toString(16)}`),
        distinct('order_id', (i) => `order-${((i * 40503) % 1e9).toString(36)}-${i}`),
      ]);
      const code = "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum' });";
      const limits = { timeMs: 100, memoryMb: 8 };
      // The first run moves the dataset into the worker (and sizes its isolate).
      const first = await runner.run({ code, dataset: big, limits });
      assert.ok(first.ok, JSON.stringify(first).slice(0, 500));
      for (let i = 0; i < 3; i++) {
        // Copying a million distinct strings in used to take ≈300 ms of a run's own time limit.
        const result = await runner.run({ code, dataset: big, limits });
        assert.ok(result.ok, JSON.stringify(result).slice(0, 500));
        assert.ok(result.stats.codeMs < limits.timeMs);
      }
    });
  });
}

function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
