// Abuse: code that tries to starve or crash the sandbox. Every case must end in its typed result,
// and a healthy chart must render right after it (the pool recovers by itself).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnarDataset, Limits } from '@plotbox/sandbox-protocol';
import type { Runner } from '@plotbox/sandbox';
import { HEALTHY_CHART, assertNoHostDetails, salesDataset, startRunner } from './helpers/sandbox.ts';

const LIMITS: Limits = { codeBytes: 65536, timeMs: 500, memoryMb: 64, outputBytes: 1 << 20, rows: 1_000_000 };

interface Case {
  readonly code: string;
  /** Acceptable outcomes (a process-aborting allocation may legitimately end as a crash). */
  readonly codes: readonly string[];
  readonly limits?: Partial<Limits>;
  readonly skipCheck?: boolean;
}

const LOOP = ['SANDBOX_TIMEOUT'];
const MEMORY = ['SANDBOX_MEMORY', 'SANDBOX_CRASHED', 'SANDBOX_TIMEOUT'];

const CASES: Record<string, Case> = {
  'while (true)': { code: 'while (true) {}', codes: LOOP },
  'for (;;)': { code: 'for (;;) {}', codes: LOOP },
  'do while': { code: 'do {} while (1);', codes: LOOP },
  'loop in sort comparator': { code: '[3, 2, 1].sort(() => { for (;;) {} });', codes: LOOP },
  'loop in map callback over data': { code: 'data.price.map(() => { for (;;) {} });', codes: LOOP },
  'loop in reduce callback': { code: 'data.units.reduce((a) => { for (;;) {} }, 0);', codes: LOOP },
  'loop in replace callback': { code: "'aaa'.replace(/a/g, () => { for (;;) {} });", codes: LOOP },
  'loop in iterator': { code: 'const it = { [Symbol.iterator]() { return { next: () => ({ done: false, value: 1 }) }; } }; for (const x of it) {}', codes: LOOP },
  'loop in arquero filter callback': { code: "df.filter((d) => { let i = 0; while (i >= 0) i++; return true; });", codes: [...LOOP, 'SANDBOX_RUNTIME_ERROR'] },
  'loop in toString during string building': { code: "const o = { toString() { for (;;) {} } }; const s = 'x' + o;", codes: LOOP },
  'loop in a getter read by px': { code: "const t = { get region() { for (;;) {} } }; fig = px.bar(t, { x: 'region', y: 'units' });", codes: [...LOOP, 'SANDBOX_RUNTIME_ERROR'] },
  'catastrophic regex': { code: "/(a+)+$/.test('a'.repeat(40) + 'b');", codes: LOOP },
  'memory: growing array of objects': { code: 'const a = []; for (;;) a.push({ i: a.length, s: "xxxxxxxx" + a.length });', codes: MEMORY },
  'memory: string doubling': { code: "let s = 'x'; for (;;) s = s + s;", codes: MEMORY },
  'memory: array buffers': { code: 'const a = []; for (;;) a.push(new ArrayBuffer(1 << 20));', codes: MEMORY },
  'memory: growing Map': { code: 'const m = new Map(); for (let i = 0; ; i++) m.set(i, { i });', codes: MEMORY },
  'memory: huge array fill': { code: 'const a = new Array(1e9).fill(0);', codes: MEMORY },
  'memory: huge string split': { code: "const parts = 'x'.repeat(2 ** 28).split('');", codes: MEMORY },
  'memory: typed array bomb': { code: 'const t = new Float64Array(2 ** 30);', codes: [...MEMORY, 'SANDBOX_RUNTIME_ERROR'] },
  'memory: huge JSON.parse': { code: "const v = JSON.parse('[' + '1,'.repeat(5e7) + '1]');", codes: MEMORY },
  'deep recursion': { code: 'function f(n) { return f(n + 1) + 1; } f(0);', codes: ['SANDBOX_RUNTIME_ERROR'] },
  'mutual recursion through arquero': { code: "function g() { return df.filter(() => g()).numRows(); } g();", codes: ['SANDBOX_RUNTIME_ERROR', 'SANDBOX_TIMEOUT'] },
  'output bomb: 5M points': { code: "fig = { data: [{ type: 'scatter', x: new Array(5e6).fill(1) }] };", codes: ['SANDBOX_OUTPUT_TOO_LARGE', 'SANDBOX_MEMORY'] },
  'output bomb: sparse array of length 2^32-1': { code: "const a = []; a[2 ** 32 - 2] = 1; fig = { data: [{ type: 'scatter', x: a }] };", codes: ['SANDBOX_OUTPUT_TOO_LARGE'] },
  'output bomb: long string': { code: "fig = { data: [], layout: { title: { text: 'x'.repeat(3e6) } } };", codes: ['SANDBOX_OUTPUT_TOO_LARGE'] },
  'output: cycle': { code: "const t = { type: 'bar' }; t.self = t; fig = { data: [t] };", codes: ['SANDBOX_RUNTIME_ERROR', 'FIGURE_INVALID'] },
  'output: deep nesting': { code: "let o = {}; for (let i = 0; i < 1e5; i++) o = { a: o }; fig = { data: [], layout: { meta: o } };", codes: ['SANDBOX_RUNTIME_ERROR', 'SANDBOX_OUTPUT_TOO_LARGE', 'FIGURE_INVALID'] },
  'no figure assigned': { code: 'const x = 1;', codes: ['SANDBOX_NO_FIGURE'] },
  'figure of the wrong type': { code: 'fig = 42;', codes: ['SANDBOX_NO_FIGURE', 'FIGURE_INVALID', 'SANDBOX_RUNTIME_ERROR'] },
  'thrown huge message': { code: "throw new Error('x'.repeat(1e7));", codes: ['SANDBOX_RUNTIME_ERROR'] },
  'never-settling promise chain': { code: 'Promise.resolve().then(function f() { return Promise.resolve().then(f); }); fig = { data: [] };', codes: ['SANDBOX_TIMEOUT', 'SANDBOX_MEMORY', 'OK'], skipCheck: true },
  'code too large': { code: `fig = { data: [] }; // ${'x'.repeat(70_000)}`, codes: ['CODE_TOO_LARGE'] },
  'code nested too deep': { code: `fig = ${'['.repeat(30_000)}${']'.repeat(30_000)};`, codes: ['CODE_TOO_DEEP'] },
  'dataset over the row limit': { code: HEALTHY_CHART, codes: ['SANDBOX_DATASET_TOO_LARGE'], limits: { rows: 10 } },
  'time limit lowered per run': { code: 'const end = 1e12; let i = 0; while (i < end) i++;', codes: LOOP, limits: { timeMs: 50 } },
};

let runner: Runner;
let unchecked: Runner;
let dataset: ColumnarDataset;

before(async () => {
  dataset = salesDataset(1000);
  runner = startRunner({ defaultLimits: LIMITS });
  unchecked = startRunner({ defaultLimits: LIMITS, unsafeSkipCodeCheck: true, workers: 1 });
  await Promise.all([runner.ready(), unchecked.ready()]);
});
after(async () => {
  await Promise.all([runner.close(1000), unchecked.close(1000)]);
});

describe('abuse', () => {
  test('at least 20 abuse cases', () => assert.ok(Object.keys(CASES).length >= 20));

  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: typed result, then the next run works`, async () => {
      const r = c.skipCheck ? unchecked : runner;
      const started = performance.now();
      const result = await r.run({ code: c.code, dataset, ...(c.limits ? { limits: c.limits } : {}) });
      const elapsed = performance.now() - started;
      assertNoHostDetails(result);
      const got = result.ok ? 'OK' : result.error.code;
      assert.ok(c.codes.includes(got), `${name}: got ${got}: ${result.ok ? '' : result.error.message}`);
      if (!result.ok && result.error.limit) assert.equal(typeof result.error.limit.value, 'number');
      if (!result.ok) assert.ok(result.error.message.length <= 1200, 'message is capped');
      // Answered within the time limit plus the watchdog's grace, never hung.
      assert.ok(elapsed < LIMITS.timeMs + 4000, `${name} took ${elapsed} ms`);
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
    const result = await runner.run({ code: "const a = 1;\nconst b = null;\nfig = b.x;", dataset });
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
