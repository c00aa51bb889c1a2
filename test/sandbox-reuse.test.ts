// The boundary between runs when an isolate serves several runs of one tenant (isolate reuse), and
// the same attacks with a fresh isolate per run. Each attack runs, then a second run in the same
// isolate (checked through `stats.isolateRun`) looks for what the first left: marks on anything
// reachable, polluted built-ins, WeakMap entries, memory, random-number state, changed data. With
// reuse off every run is in a fresh isolate, so the same checks hold trivially; they run anyway.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import type { ColumnarDataset, RunResult } from '@plotbox/sandbox-protocol';
import type { Runner } from '@plotbox/sandbox';
import { HEALTHY_CHART, HEALTHY_DANFO_CHART, ISOLATE_MODES, assertNoHostDetails, salesDataset, startRunner, titleOf } from './helpers/sandbox.ts';

const MARK = '__plotbox_stash';

/**
 * A walk over everything a run can reach: its globals, what the runtime hands out, and the hidden
 * built-ins only syntax or instances reach (generator and iterator prototypes, Intl segments, …).
 * `visit(o)` runs once per object or function; returns how many it visited.
 */
const WALK = `
function roots() {
  const r = [globalThis, df, data, aq, op, px];
  for (const name of Object.keys(data)) r.push(data[name]);
  const add = (f) => { try { const v = f(); if (v !== null && (typeof v === 'object' || typeof v === 'function')) r.push(v); } catch {} };
  add(() => function () {});
  add(() => function* () {});
  add(() => (function* () {})());
  add(() => async function () {});
  add(() => (async function () {})());
  add(() => async function* () {});
  add(() => (async function* () {})());
  add(() => class {});
  add(() => () => {});
  add(() => [][Symbol.iterator]());
  add(() => [].values().map((x) => x));
  add(() => Iterator.from({ next() { return { done: true }; } }));
  add(() => new Map().entries());
  add(() => new Set().values());
  add(() => ''[Symbol.iterator]());
  add(() => 'a'.matchAll(/a/g));
  add(() => /a/g);
  add(() => (function () { return arguments; })());
  add(() => Promise.resolve(1));
  add(() => new Error('x'));
  add(() => new TypeError('x'));
  add(() => new AggregateError([]));
  add(() => new Uint8Array(1));
  add(() => new Float64Array(1));
  add(() => new BigInt64Array(1));
  add(() => new DataView(new ArrayBuffer(1)));
  add(() => new Intl.Segmenter().segment('a'));
  add(() => new Intl.Segmenter().segment('a')[Symbol.iterator]());
  add(() => new Intl.DateTimeFormat());
  add(() => new Intl.NumberFormat());
  add(() => new Intl.Collator());
  add(() => new Intl.PluralRules());
  add(() => new Intl.ListFormat());
  add(() => new Intl.RelativeTimeFormat());
  add(() => new Intl.Locale('en'));
  add(() => new WeakMap());
  add(() => new WeakSet());
  add(() => new Date());
  add(() => Object(Symbol('s')));
  add(() => Object(1n));
  add(() => ((x) => x)\`t\`);
  add(() => df.groupby('region'));
  add(() => df.column('units'));
  add(() => df.groupby('region').rollup({ u: op.sum('units') }));
  add(() => df.filter((d) => d.units > 2).orderby('price'));
  add(() => aq.table({ a: [1, 2] }));
  add(() => aq.from([{ a: 1 }]));
  add(() => op.sum('units'));
  add(() => aq.desc('units'));
  add(() => aq.escape((d) => d.units));
  add(() => df.derive({ u2: aq.escape((d) => d.units * 2) }));
  add(() => df.toArrow());
  add(() => aq.fromArrow(df.select('units', 'region').toArrowIPC()));
  add(() => df.groupby('region').pivot('product', { u: (d) => op.sum(d.units) }));
  add(() => px.bar(df, { x: 'region', y: 'units', agg: 'sum' }));
  add(() => px.scatter(df, { x: 'price', y: 'cost', color: 'region' }));
  add(() => px.histogram(df, { x: 'price' }));
  add(() => px.box(df, { x: 'region', y: 'price' }));
  add(() => px.corr(df, ['units', 'price']));
  // px output of row arithmetic (evaluated a column at a time, reading the dataset's bound arrays) and of a sample.
  add(() => px.scatter(df, { x: (d) => +d.price, y: (d) => d.units * 1 }));
  add(() => px.heatmap(df, { x: 'region', y: 'product', z: (d) => d.units * d.price }));
  add(() => df.sample(5));
  return r;
}
function walk(visit) {
  const seen = new Set();
  const queue = roots();
  let n = 0;
  while (queue.length > 0 && n < 300000) {
    const o = queue.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    n++;
    visit(o);
    let keys = [];
    try { keys = Reflect.ownKeys(o); } catch {}
    for (const k of keys) {
      let d;
      try { d = Reflect.getOwnPropertyDescriptor(o, k); } catch { continue; }
      if (!d) continue;
      if ('value' in d) queue.push(d.value);
      else { queue.push(d.get); queue.push(d.set); }
    }
    try { queue.push(Reflect.getPrototypeOf(o)); } catch {}
  }
  return n;
}
`;

/** Marks everything it can, and scribbles over every typed array it reaches. */
const STASH = `${WALK}
let wrote = 0;
const n = walk((o) => {
  try { o['${MARK}'] = 'secret'; if (o['${MARK}'] === 'secret') wrote++; } catch {}
  try { Reflect.defineProperty(o, '${MARK}2', { value: 'secret', configurable: true }); } catch {}
  try { Reflect.defineProperty(o, Symbol.for('${MARK}'), { value: 'secret', configurable: true }); } catch {}
  try { if (ArrayBuffer.isView(o)) o.fill(0); } catch {}
});
fig = { data: [], layout: { title: { text: 'walked ' + n + ' wrote ' + wrote } } };
`;

/** Looks for any mark the previous run left. */
const FIND = `${WALK}
const found = [];
const n = walk((o) => {
  for (const k of ['${MARK}', '${MARK}2', Symbol.for('${MARK}')]) {
    try { if (Object.prototype.hasOwnProperty.call(o, k)) found.push(typeof o + ' ' + String(k) + ' ' + (Object.getOwnPropertyNames(o).slice(0, 6).join('/'))); } catch {}
  }
});
fig = { data: [], layout: { title: { text: found.length > 0 ? 'FOUND ' + found.slice(0, 5).join('; ') : 'clean ' + n } } };
`;

/** Tries to change built-ins and the runtime's objects; counts what took. */
const POLLUTE = `
const attempts = [
  () => { Object.prototype.polluted = 'yes'; },
  () => { Array.prototype.map = function () { return ['polluted']; }; },
  () => { Object.defineProperty(Array.prototype, 'polluted', { value: 'yes' }); },
  () => { Function.prototype.call = function () { return 'polluted'; }; },
  () => { JSON.parse = () => ({ polluted: true }); },
  () => { JSON.stringify = () => 'polluted'; },
  () => { Math.max = () => -1; },
  () => { Number.prototype.toFixed = () => 'polluted'; },
  () => { String.prototype.slice = () => 'polluted'; },
  () => { Date.prototype.toISOString = () => 'polluted'; },
  () => { Date.now = () => 0; },
  () => { RegExp.prototype.exec = () => null; },
  () => { Promise.prototype.then = () => 'polluted'; },
  () => { Object.setPrototypeOf(Object.prototype, { polluted: 'yes' }); },
  () => { if (!Reflect.setPrototypeOf(Array.prototype, { polluted: 'yes' })) throw new Error('refused'); },
  () => { [].__proto__.push = () => 0; },
  () => { Array.prototype[Symbol.iterator] = function* () { yield 'polluted'; }; },
  // ses makes these two accessors that ignore what they are given: the write "works" and changes nothing.
  () => { const f = () => 'polluted'; Error.prepareStackTrace = f; if (Error.prepareStackTrace !== f) throw new Error('ignored'); },
  () => { Error.stackTraceLimit = 0; if (Error.stackTraceLimit !== 0) throw new Error('ignored'); },
  () => { Object.getPrototypeOf(function* () {}).polluted = 'yes'; },
  () => { Object.getPrototypeOf([][Symbol.iterator]()).next = () => ({ done: true }); },
  () => { Intl.NumberFormat.prototype.format = () => 'polluted'; },
  () => { Object.getPrototypeOf(new Intl.Segmenter().segment('a')).containing = () => 'polluted'; },
  () => { px.bar = () => ({ data: [] }); },
  () => { px.polluted = 'yes'; },
  () => { aq.table = () => null; },
  () => { op.sum = () => 'polluted'; },
  () => { Object.getPrototypeOf(df).groupby = () => null; },
  () => { Object.getPrototypeOf(Object.getPrototypeOf(df)).rollup = () => null; },
  () => { df.constructor.prototype.objects = () => []; },
  () => { Object.getPrototypeOf(data).polluted = 'yes'; },
  () => { Symbol.prototype.description = 'polluted'; },
  () => { globalThis.Map.prototype.get = () => 'polluted'; },
];
let took = 0;
for (const f of attempts) { try { f(); took++; } catch {} }
fig = { data: [], layout: { title: { text: 'took ' + took + ' of ' + attempts.length } } };
`;

/** Everything POLLUTE tried, checked from the next run. */
const INTACT = `
const checks = [
  ({}).polluted === undefined,
  [1, 2].map((x) => x * 2).join() === '2,4',
  [].polluted === undefined,
  JSON.stringify(JSON.parse('{"a":1}')) === '{"a":1}',
  Math.max(1, 2) === 2,
  (1.5).toFixed(1) === '1.5',
  'abc'.slice(1) === 'bc',
  new Date(0).toISOString() === '1970-01-01T00:00:00.000Z',
  Date.now() > 1e12,
  /b/.exec('abc')?.index === 1,
  Object.getPrototypeOf(function* () {}).polluted === undefined,
  [...[1, 2]].join() === '1,2',
  new Intl.NumberFormat('en').format(1234) === '1,234',
  typeof px.polluted === 'undefined' && px.bar(df, { x: 'region', y: 'units', agg: 'sum' }).data.length === 1,
  typeof aq.table({ a: [1] }).numRows === 'function',
  df.rollup({ s: op.sum('units') }).get('s', 0) === data.units.reduce((a, b) => a + b, 0),
  df.groupby('region').rollup({ n: op.count() }).numRows() > 1,
  new Map([[1, 2]]).get(1) === 2,
];
fig = { data: [], layout: { title: { text: checks.map((c) => (c ? 1 : 0)).join('') } } };
`;

function expectOk(r: RunResult, what: string): asserts r is Extract<RunResult, { ok: true }> {
  assertNoHostDetails(r);
  assert.ok(r.ok, `${what}: ${JSON.stringify(r).slice(0, 400)}`);
}

for (const reuse of ISOLATE_MODES) {
  describe(`isolate reuse ${reuse ? 'on' : 'off'}: nothing a run writes reaches the next`, () => {
    let runner: Runner;
    let dataset: ColumnarDataset;
    /** A run in the same isolate as the run before it (reuse on) or a fresh one (off). */
    const sameIsolate = (first: RunResult, next: RunResult): void => {
      if (!reuse) {
        assert.equal(next.stats?.isolateRun, 1, 'reuse off: every run in a fresh isolate');
        return;
      }
      assert.equal(next.stats?.isolateRun, (first.stats?.isolateRun ?? 0) + 1, 'the second run used the first run’s isolate');
    };

    before(async () => {
      dataset = salesDataset(400);
      // One worker, so consecutive runs of the tenant land in the same isolate.
      runner = startRunner({ isolateReuse: reuse, workers: 1, unsafeSkipCodeCheck: true, defaultLimits: { codeBytes: 65536, timeMs: 5000, memoryMb: 64, outputBytes: 4 << 20, rows: 1_000_000 } });
      await runner.ready();
      expectOk(await runner.run({ code: HEALTHY_CHART, dataset }), 'warm-up');
    });
    after(async () => {
      await runner.close(1000);
    });

    test('stashing: marks written on everything reachable (built-ins, hidden prototypes, px, aq, op, df, data) are gone in the next run', async () => {
      const first = await runner.run({ code: STASH, dataset });
      expectOk(first, 'stash');
      assert.match(titleOf(first) ?? '', /^walked \d{3,}/);
      const next = await runner.run({ code: FIND, dataset });
      expectOk(next, 'find');
      sameIsolate(first, next);
      assert.match(titleOf(next) ?? '', /^clean \d{3,}$/);
    });

    test('typed arrays a run reaches (figures, px and arquero output) are its own: scribbling on them leaves the dataset intact', async () => {
      const units = dataset.columns.find((c) => c.name === 'units');
      const price = dataset.columns.find((c) => c.name === 'price');
      assert.ok(units?.kind === 'int' && price?.kind === 'number');
      const expected = `${units.values.reduce((a, b) => a + b, 0)} ${price.values.reduce((a, b) => a + b, 0).toFixed(6)}`;
      const scribble = `${WALK}\nwalk((o) => { try { if (ArrayBuffer.isView(o)) o.fill(7); } catch {} });\nfig = { data: [] };`;
      const first = await runner.run({ code: scribble, dataset });
      expectOk(first, 'scribble');
      const check = "fig = { data: [], layout: { title: { text: df.rollup({ u: op.sum('units') }).get('u', 0) + ' ' + data.price.reduce((a, b) => a + b, 0).toFixed(6) } } };";
      const next = await runner.run({ code: check, dataset });
      expectOk(next, 'check');
      sameIsolate(first, next);
      assert.equal(titleOf(next), expected);
    });

    test('prototype pollution: built-ins and the runtime’s objects are frozen, and the next run sees them intact', async () => {
      const before = await runner.run({ code: EXAMPLE_CHARTS[0]?.code ?? '', dataset });
      expectOk(before, 'before');
      const first = await runner.run({ code: POLLUTE, dataset });
      expectOk(first, 'pollute');
      // With reuse the realm is locked down: every attempt is refused. A single-use isolate is not
      // locked down (its heap is discarded): attempts may take, and the next run sees none of them.
      if (reuse) assert.match(titleOf(first) ?? '', /^took 0 of \d+$/, 'every attempt on a shared object is refused');
      const next = await runner.run({ code: INTACT, dataset });
      expectOk(next, 'intact');
      sameIsolate(first, next);
      assert.match(titleOf(next) ?? '', /^1+$/);
      const after = await runner.run({ code: EXAMPLE_CHARTS[0]?.code ?? '', dataset });
      expectOk(after, 'after');
      assert.equal(after.figureJson, before.figureJson, 'the same chart gives the same bytes after the attack');
    });

    test('WeakMap and FinalizationRegistry tricks: no finalizers or weak references, and a WeakMap keyed by shared objects is the run’s own', async () => {
      const first = await runner.run({
        code: `
const wm = new WeakMap();
for (const o of [Object.prototype, Array.prototype, WeakMap.prototype, px, aq, op, df, data, Math, Date]) wm.set(o, 'secret');
try { Object.defineProperty(WeakMap.prototype, 'leak', { value: wm }); } catch {}
try { WeakMap.prototype.get = function () { return 'secret'; }; } catch {}
try { Object.prototype.wm = wm; } catch {}
const reach = [typeof FinalizationRegistry, typeof WeakRef, typeof globalThis.FinalizationRegistry, typeof Proxy, typeof SharedArrayBuffer, typeof Atomics, typeof WebAssembly];
fig = { data: [], layout: { title: { text: reach.join() } } };`,
        dataset,
      });
      expectOk(first, 'weakmap');
      assert.equal(titleOf(first), 'undefined,undefined,undefined,undefined,undefined,undefined,undefined');
      const next = await runner.run({
        code: `const w = new WeakMap(); fig = { data: [], layout: { title: { text: [w.get(Object.prototype), w.get(px), typeof WeakMap.prototype.leak, typeof ({}).wm, new WeakMap().get(Math)].map(String).join() } } };`,
        dataset,
      });
      expectOk(next, 'weakmap check');
      sameIsolate(first, next);
      assert.equal(titleOf(next), 'undefined,undefined,undefined,undefined,undefined');
    });

    test('memory: a run that kept its whole allowance leaves the next run its whole allowance, and no more', async () => {
      const keep = (mib: number, global: boolean): string =>
        `${global ? 'globalThis.keep' : 'const keep'} = []; for (let k = 0; k < ${mib}; k++) keep.push(new Array(131072).fill(k + 0.5)); fig = { data: [], layout: { title: { text: 'kept ' + keep.length } } };`;
      const first = await runner.run({ code: keep(56, true), dataset });
      expectOk(first, 'first 56 MiB');
      const second = await runner.run({ code: keep(56, false), dataset });
      expectOk(second, 'second 56 MiB');
      sameIsolate(first, second);
      const over = await runner.run({ code: keep(72, false), dataset });
      assert.equal(over.ok, false);
      assert.equal(!over.ok && over.error.code, 'SANDBOX_MEMORY');
      // A failed run's isolate is never reused.
      const after = await runner.run({ code: HEALTHY_CHART, dataset });
      expectOk(after, 'after the memory error');
      assert.equal(after.stats.isolateRun, 1);
    });

    test('random state: aq.seed in one run does not seed the next, and Math.random is the run’s own', async () => {
      const sample = "fig = { data: [], layout: { title: { text: df.sample(8).array('units').join() + '|' + Math.random() } } };";
      const seeded = await runner.run({ code: `aq.seed(42); ${sample}`, dataset });
      expectOk(seeded, 'seeded');
      const again = await runner.run({ code: `aq.seed(42); ${sample}`, dataset });
      expectOk(again, 'seeded again');
      const [seededSample] = (titleOf(seeded) ?? '').split('|');
      assert.equal((titleOf(again) ?? '').split('|')[0], seededSample, 'a seeded sample is reproducible');
      const titles = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const r = await runner.run({ code: sample, dataset });
        expectOk(r, 'unseeded');
        titles.add(titleOf(r) ?? '');
      }
      assert.equal(titles.size, 3, 'unseeded runs differ from each other');
      for (const t of titles) assert.notEqual(t.split('|')[0], seededSample, 'and from the seeded sample');
    });

    test('timing: a run sees no clock finer than Date, and no state of the previous run’s data', async () => {
      const first = await runner.run({ code: 'globalThis.secret = data.product.slice(0, 50).join(); fig = { data: [] };', dataset });
      expectOk(first, 'first');
      const next = await runner.run({
        code: 'fig = { data: [], layout: { title: { text: [typeof performance, typeof process, typeof setTimeout, typeof queueMicrotask, typeof SharedArrayBuffer, typeof Atomics, typeof globalThis.secret, typeof secret].join() } } };',
        dataset,
      });
      expectOk(next, 'next');
      sameIsolate(first, next);
      assert.equal(titleOf(next), 'undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined');
    });
  });

  describe(`isolate reuse ${reuse ? 'on' : 'off'}: which runs share an isolate`, () => {
    let runner: Runner;
    let a: ColumnarDataset;
    let b: ColumnarDataset;
    before(async () => {
      a = salesDataset(300);
      b = salesDataset(301);
      runner = startRunner({ isolateReuse: reuse, workers: 1, maxRunsPerIsolate: 3, defaultLimits: { codeBytes: 65536, timeMs: 2000, memoryMb: 64, outputBytes: 4 << 20, rows: 1_000_000 } });
      await runner.ready();
    });
    after(async () => {
      await runner.close(1000);
    });
    const runOf = async (project: string | undefined, dataset: ColumnarDataset, code = HEALTHY_CHART): Promise<number | undefined> => {
      const r = await runner.run({ code, dataset, ...(project === undefined ? {} : { project }) });
      return r.stats?.isolateRun;
    };

    test('only runs of one project on one dataset version share an isolate, up to maxRunsPerIsolate', async () => {
      const seq = [await runOf('p1', a), await runOf('p1', a), await runOf('p2', a), await runOf('p1', b), await runOf('p1', a), await runOf('p1', a)];
      assert.deepEqual(seq, reuse ? [1, 2, 1, 1, 3, 1] : [1, 1, 1, 1, 1, 1]);
    });

    test('any failure retires the isolate: a runtime error, a time limit, a figure error', async () => {
      for (const [i, failing] of ['null.x;', 'for (;;) {}', "fig = { data: [{ type: 'nope' }] };"].entries()) {
        const project = `fail-${i}`;
        assert.equal(await runOf(project, a), 1);
        if (reuse) assert.equal(await runOf(project, a), 2);
        const r = await runner.run({ code: failing, dataset: a, project, limits: { timeMs: 200 } });
        assert.equal(r.ok, false, failing);
        assert.equal(await runOf(project, a), 1, `after ${failing}`);
      }
    });

    test('a run without a project never shares its isolate', async () => {
      // The raw runner (not the helper's default project) for this one.
      const r1 = await runner.run({ code: HEALTHY_CHART, dataset: a, project: '' });
      const r2 = await runner.run({ code: HEALTHY_CHART, dataset: a, project: '' });
      assert.equal(r1.stats?.isolateRun, 1);
      assert.equal(r2.stats?.isolateRun, 1);
    });

    test('danfo runs never share an isolate, and never take an arquero one', async () => {
      const danfo = (project: string): Promise<RunResult> => runner.run({ code: HEALTHY_DANFO_CHART, dataset: a, project, runtime: 'danfo' });
      const runs = [await danfo('d1'), await danfo('d1'), await danfo('d1')];
      for (const r of runs) assert.ok(r.ok, JSON.stringify(r).slice(0, 300));
      assert.deepEqual(
        runs.map((r) => r.stats?.isolateRun),
        [1, 1, 1],
      );
      // An arquero tenant kept meanwhile is not handed to danfo, nor the other way round.
      assert.equal(await runOf('d1', a), 1);
      if (reuse) assert.equal(await runOf('d1', a), 2);
      assert.equal((await danfo('d1')).stats?.isolateRun, 1);
      if (reuse) assert.equal(await runOf('d1', a), 3);
    });
  });
}
