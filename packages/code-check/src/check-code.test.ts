import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import { checkCode, RULES, type CheckResult } from './index.ts';

function assertOk(result: CheckResult, source: string): string {
  assert.ok(result.ok, `expected ok for:\n${source}\ngot ${JSON.stringify(result)}`);
  return result.js;
}

// ---------------------------------------------------------------------------------------------
// Allow-list: realistic analyst snippets must pass unchanged (no false positives).
// ---------------------------------------------------------------------------------------------

const ALLOWED_JS: readonly string[] = [
  `const agg = df.groupby('region').rollup({ units: op.sum('units') });
fig = px.bar(agg, { x: 'region', y: 'units', title: 'Units' });`,
  `const avg = df.rollup({ p: d => op.mean(d.price) }).object().p;
fig = px.line(df.derive({ delta: d => d.price - avg }), { x: 'date', y: 'delta' });`,
  `let total = 0;
for (let i = 0; i < data.price.length; i++) total += data.price[i];
const mean = total / data.price.length;
fig = { data: [{ type: 'bar', x: ['mean'], y: [mean] }], layout: { title: 'Mean price' } };`,
  `const byRegion = new Map();
for (const [i, r] of data.region.entries()) byRegion.set(r, (byRegion.get(r) ?? 0) + data.units[i]);
fig = px.pie(aq.from([...byRegion].map(([region, units]) => ({ region, units }))), { names: 'region', values: 'units' });`,
  `const regions = new Set(data.region);
const windowSize = 7;
const constructorName = 'Acme';
const processed = [...regions].sort();
const globalMax = Math.max(...data.units);
const selfCheck = processed.length > 0;
const evaluation = { windowSize, constructorName, globalMax, selfCheck };
fig = px.bar(df, { x: 'region', y: 'units', title: JSON.stringify(evaluation) });`,
  `const fmt = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const labels = data.price.map(p => fmt.format(p));
fig = px.scatter(df, { x: 'date', y: 'price', text: labels });`,
  `const parsed = JSON.parse(JSON.stringify({ a: 1 }));
const when = new Date(Date.UTC(2024, 0, 1)).toISOString().slice(0, 10);
fig = px.line(df.filter(d => d.date >= when), { x: 'date', y: 'price', title: String(parsed.a) });`,
  `const { region, units } = data;
const [first, ...rest] = region;
fig = px.bar(df, { x: 'region', y: 'units', title: \`\${first} and \${rest.length} more (\${units.length} rows)\` });`,
  `class Stats {
  #values;
  constructor(values) { this.#values = values; }
  get mean() { return this.#values.reduce((a, b) => a + b, 0) / this.#values.length; }
  static of(values) { return new Stats(values); }
}
fig = px.bar(aq.from([{ k: 'mean', v: Stats.of(data.price).mean }]), { x: 'k', y: 'v' });`,
  `function* pairs(xs) { for (let i = 1; i < xs.length; i++) yield [xs[i - 1], xs[i]]; }
const deltas = [...pairs(data.price)].map(([a, b]) => b - a);
fig = px.histogram(aq.table({ delta: deltas }), { x: 'delta' });`,
  `outer: for (const a of data.region) {
  for (const b of data.region) { if (a === b) continue outer; break outer; }
}
fig = px.box(df, { x: 'region', y: 'price' });`,
  `const re = /^(north|south)-(\\d+)$/i;
const matches = data.region.filter(r => re.test(r));
const cleaned = data.region.map(r => r.replace(/[^a-z]/gi, ''));
fig = px.bar(df, { x: 'region', y: 'units', title: matches.length + ' / ' + cleaned.length });`,
  `const money = (strings, ...values) => strings.reduce((s, str, i) => s + str + (i < values.length ? values[i].toFixed(2) : ''), '');
fig = px.bar(df, { x: 'region', y: 'units', title: money\`Total: \${op.sum ? 1 : 0}\` });`,
  `// eval of model quality: we never call eval or process anything global
/* window functions: see aq docs; prototype of the chart */
const note = 'eval, Function, process, window, constructor, __proto__ are just words here';
fig = px.bar(df, { x: 'region', y: 'units', title: note });`,
  `const t = df.params({ k: 3 }).orderby(aq.desc('units')).slice(0, 10);
fig = px.bar(t, { x: 'region', y: 'units', color: 'region' });`,
  `const rows = df.objects();
const top = rows.filter(r => r.units > 10).map(r => ({ ...r, prototypeId: r.id, constructorId: 1 }));
fig = px.scatter(aq.from(top), { x: 'prototypeId', y: 'units' });`,
  `const cfg = { constructor: 'data field', prototype: 'also data', caller: 'x', process: 1 };
fig = px.bar(df, { x: 'region', y: 'units', title: cfg.process + Object.keys(cfg).join(',') });`,
  `const m = df.derive({ ratio: d => d.units / op.max(d.units) }).filter(d => d.ratio > 0.5);
fig = px.area(m, { x: 'date', y: 'ratio' });`,
  `const z = data.price.map(v => Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
fig = px.heatmap(aq.table({ z }), { z: 'z' });`,
  `let i = 0, acc = [];
while (i < 10) { acc.push(i ** 2); i += 1; }
do { i--; } while (i > 5);
switch (acc.length) { case 10: acc.reverse(); break; default: acc.sort((a, b) => a - b); }
fig = px.line(aq.table({ x: acc.map((_, k) => k), y: acc }), { x: 'x', y: 'y' });`,
  `try { JSON.parse('{bad'); } catch (e) { fig = px.bar(df, { x: 'region', y: 'units', title: e.message }); } finally { }`,
  `const counts = Object.fromEntries(Object.entries({ a: 1, b: 2 }).map(([k, v]) => [k, v * 2]));
const sorted = Array.from(new Set(data.region)).toSorted();
fig = px.bar(aq.from([counts]), { x: 'a', y: 'b', title: sorted.at(-1) });`,
  `const lookup = new WeakMap(); const key = {}; lookup.set(key, 1);
const sym = Symbol('tag'); const tagged = { [sym]: 1, ['dynamic' + 'Key']: 2 };
fig = px.bar(df, { x: 'region', y: 'units', title: String(lookup.get(key) + tagged.dynamicKey) });`,
  `const col = 'units';
const values = df.array(col);
const pick = data[col][0] ?? 0;
fig = px.bar(df, { x: 'region', y: col, title: \`first: \${pick} of \${values.length}\` });`,
  `const big = 2n ** 64n; const bits = new Uint8Array(8); const view = new DataView(bits.buffer);
view.setUint8(0, 255);
fig = px.bar(df, { x: 'region', y: 'units', title: big.toString() + view.getUint8(0) });`,
  `fig = px.bar(df, { x: 'region', y: 'units' });
fig.layout = { ...fig.layout, xaxis: { title: { text: 'Region' } }, yaxis: { tickformat: ',d' } };`,
  `const clamp = (v, lo = 0, hi = 1) => Math.min(hi, Math.max(lo, v));
const norm = data.price.map(p => clamp(p / 100));
fig = px.histogram(aq.table({ norm }), { x: 'norm' });`,
  `var legacy = 1; if (legacy) { legacy++ } else legacy--;
const obj = { get doubled() { return legacy * 2; }, set doubled(v) { legacy = v / 2; }, method() { return 1; } };
fig = px.bar(df, { x: 'region', y: 'units', title: String(obj.doubled + obj.method()) });`,
  `const a = [3, 1, 2]; a.sort(); const idx = a.indexOf(2); const exists = 'units' in data; const isArr = a instanceof Array;
const typeName = typeof a; void 0;
fig = px.bar(df, { x: 'region', y: 'units', title: [idx, exists, isArr, typeName].join() });`,
  `class Base { describe() { return 'base'; } }
class Derived extends Base { describe() { return 'derived/' + super.describe(); } static create() { return new this(); } }
fig = px.bar(df, { x: 'region', y: 'units', title: Derived.create().describe() });`,
  `const lines = \`line one
line two with <b>html</b> -- > arrow text < !-- in a template\`;
fig = px.bar(df, { x: 'region', y: 'units', title: lines.split('\\n')[0] });`,
  `#!/usr/bin/env plotbox
fig = px.bar(df, { x: 'region', y: 'units' }); // hashbang line is a comment`,
  `const e = new Error('boom'); const msg = e.message; const r = new RangeError('r');
fig = px.bar(df, { x: 'region', y: 'units', title: msg + r.name + Reflect.ownKeys({ a: 1 }).length });`,
  `let n = 10; while (n --> 0) {}
fig = px.bar(df, { x: 'region', y: 'units' });`.replace('n --> 0', 'n-- > 0'),
];

const ALLOWED_TS: readonly string[] = [
  `interface Row { region: string; units: number }
const rows: Row[] = df.objects() as Row[];
const total: number = rows.reduce((s: number, r: Row) => s + r.units, 0);
fig = px.bar(df, { x: 'region', y: 'units', title: \`Total \${total}\` });`,
  `type Agg = { region: string; units: number };
function top<T extends { units: number }>(xs: T[], n = 3): T[] { return [...xs].sort((a, b) => b.units - a.units).slice(0, n); }
const best = top<Agg>(df.groupby('region').rollup({ units: op.sum('units') }).objects() as Agg[]);
fig = px.bar(aq.from(best), { x: 'region', y: 'units' });`,
  `const cfg = { x: 'region', y: 'units' } satisfies Record<string, string>;
const first = data.region[0]!;
let later!: number;
later = 1;
fig = px.bar(df, { ...cfg, title: first + later });`,
  `class Series<T> implements Iterable<T> {
  private readonly items: T[] = [];
  public static label?: string;
  declare meta: unknown;
  add(item: T): this { this.items.push(item); return this; }
  *[Symbol.iterator](): Iterator<T> { yield* this.items; }
}
const s = new Series<number>().add(1).add(2);
fig = px.line(aq.table({ y: [...s] }), { y: 'y' });`,
  `abstract class Shape { abstract area(): number; describe(this: Shape): string { return String(this.area()); } }
class Square extends Shape { constructor(private readonly sideLength = 1) { super(); } area() { return 1; } }`.replace('private readonly sideLength = 1', 'sideLength = 1'),
  `declare const extra: number;
declare function helper(x: string): string;
namespace Types { export type Id = string; export interface Named { name: string } }
function pick(a: string): string;
function pick(a: number): number;
function pick(a: any): any { return a; }
const id: Types.Id = pick('x');
fig = px.bar(df, { x: 'region', y: 'units', title: id });`,
  `const f = <T,>(value: T): T => value;
const g = (x?: number, y: string = 'a'): string => y + (x ?? 0);
const asConst = ['a', 'b'] as const;
const k: keyof typeof asConst = 0;
fig = px.bar(df, { x: 'region', y: 'units', title: g(f(1)) + asConst[k] });`,
  `enum_like: { const Color = { Red: 'red', Blue: 'blue' } as const; type Color = (typeof Color)[keyof typeof Color]; const c: Color = Color.Red; fig = px.bar(df, { x: 'region', y: 'units', color_discrete_sequence: [c] } as any); }`,
  `function isNum(x: unknown): x is number { return typeof x === 'number'; }
function assertStr(x: unknown): asserts x is string { if (typeof x !== 'string') throw new Error('no'); }
const vals: Array<number | null> = data.price.filter(isNum);
fig = px.histogram(aq.table({ v: vals }), { x: 'v' });`,
];

describe('allowed JavaScript snippets', () => {
  test(`at least 30 JavaScript snippets (${ALLOWED_JS.length})`, () => assert.ok(ALLOWED_JS.length >= 30));
  for (const [i, source] of ALLOWED_JS.entries()) {
    test(`js #${i + 1} passes and js === source`, () => {
      const js = assertOk(checkCode(source), source);
      assert.equal(js, source);
      // and V8 compiles it as a classic script, exactly how the sandbox runs it
      new vm.Script(js);
    });
  }
});

describe('allowed TypeScript snippets', () => {
  for (const [i, source] of ALLOWED_TS.entries()) {
    test(`ts #${i + 1} passes; positions preserved; V8 compiles the output`, () => {
      const js = assertOk(checkCode(source, { lang: 'ts' }), source);
      assert.equal(js.length, source.length);
      assert.deepEqual(js.split('\n').map((l) => l.length), source.split('\n').map((l) => l.length));
      new vm.Script(js);
    });
  }
  test('every allowed JS snippet is also valid TS input', () => {
    for (const source of ALLOWED_JS) {
      const result = checkCode(source, { lang: 'ts' });
      assert.ok(result.ok, `${source}\n${JSON.stringify(result)}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Reject tests: [source, rule, line, column] of the FIRST diagnostic (plus its code).
// ---------------------------------------------------------------------------------------------

type Reject = readonly [source: string, rule: string, line: number, column: number];

const REJECTED: readonly Reject[] = [
  // eval
  ['eval("1")', 'no-eval', 1, 1],
  ['const x = 1;\n  \\u0065val("1")', 'no-eval', 2, 3],
  ['const e = eval; e("1")', 'no-eval', 1, 11],
  ['const { eval: e } = obj', 'no-eval', 1, 9],
  ['x = obj.eval', 'no-eval', 1, 9],
  ['x = obj["ev" + "al"]', 'no-eval', 1, 9],
  // Function
  ['new Function("return 1")', 'no-function-constructor', 1, 5],
  ['x = Function', 'no-function-constructor', 1, 5],
  ['x = AsyncFunction', 'no-function-constructor', 1, 5],
  ['x = obj[`Function`]', 'no-function-constructor', 1, 9],
  // import / export
  ['import x from "y"', 'no-import', 1, 1],
  ['x = 1;\nconst m = import("fs")', 'no-import', 2, 11],
  ['x = import.meta', 'no-import', 1, 5],
  ['export const a = 1', 'no-export', 1, 1],
  ['export default 1', 'no-export', 1, 1],
  // CommonJS
  ['const fs = require("fs")', 'no-commonjs', 1, 12],
  ['module.exports = 1', 'no-commonjs', 1, 1],
  ['exports.x = 1', 'no-commonjs', 1, 1],
  // process
  ['x = process.env', 'no-process', 1, 5],
  ['function f() { return process }', 'no-process', 1, 23],
  // global object
  ['globalThis.x = 1', 'no-global-object', 1, 1],
  ['x = global', 'no-global-object', 1, 5],
  ['x = self', 'no-global-object', 1, 5],
  ['x = window.document', 'no-global-object', 1, 5],
  ['var window = globalThis', 'no-global-object', 1, 14],
  ['var self; self.x', 'no-global-object', 1, 11],
  ['function f(a = window) { var window = 1 }', 'no-global-object', 1, 16],
  ['const f = () => { let window = 1 }; window.x', 'no-global-object', 1, 37],
  ['x = { window }', 'no-global-object', 1, 7],
  ['({ self } = o)', 'no-global-object', 1, 4],
  ['x = obj.globalThis', 'no-global-object', 1, 9],
  // this
  ['x = this', 'no-this', 1, 5],
  ['function f() { return this }', 'no-this', 1, 23],
  ['const o = { m() { return this } }', 'no-this', 1, 26],
  ['class A { [this.k] = 1 }', 'no-this', 1, 12],
  ['class A extends (this.B) {}', 'no-this', 1, 18],
  // constructor
  ['x = [].constructor', 'no-constructor', 1, 8],
  ['x = a?.constructor', 'no-constructor', 1, 8],
  ["x = a['constructor']", 'no-constructor', 1, 7],
  ['x = a[`constructor`]', 'no-constructor', 1, 7],
  ["x = a['con' + 'structor']", 'no-constructor', 1, 7],
  ["x = a['con' + 'str' + 'uctor']", 'no-constructor', 1, 7],
  ["x = a[`con${'struc'}tor`]", 'no-constructor', 1, 7],
  ["x = a[(0, 'constructor')]", 'no-constructor', 1, 8],
  ["x = a[c ? 'x' : 'constructor']", 'no-constructor', 1, 7],
  ["x = a[['constructor']]", 'no-constructor', 1, 7],
  ["x = a?.['constructor']", 'no-constructor', 1, 9],
  ['const { constructor: c } = x', 'no-constructor', 1, 9],
  ['const { constructor } = x', 'no-constructor', 1, 9],
  ["const { ['constructor']: c } = x", 'no-constructor', 1, 10],
  ['({ a: { constructor: c } } = x)', 'no-constructor', 1, 9],
  ['function f({ constructor }) {}', 'no-constructor', 1, 14],
  ["x = Reflect.get(a, 'constructor')", 'no-constructor', 1, 20],
  ['x = a.\\u0063onstructor', 'no-constructor', 1, 7],
  // __proto__
  ['x = a.__proto__', 'no-proto', 1, 7],
  ["x = a['__proto__']", 'no-proto', 1, 7],
  ['x = a[`__proto__`]', 'no-proto', 1, 7],
  ['x = { __proto__: null }', 'no-proto', 1, 7],
  ["x = { '__proto__': null }", 'no-proto', 1, 7],
  ["x = { ['__proto__']: null }", 'no-proto', 1, 8],
  ["({ ['__proto__']: p } = x)", 'no-proto', 1, 5],
  ['class A { __proto__ = 1 }', 'no-proto', 1, 11],
  // prototype
  ['x = Array.prototype', 'no-prototype', 1, 11],
  ["x = Array['proto' + 'type']", 'no-prototype', 1, 11],
  ['x = Object.getPrototypeOf(a)', 'no-prototype', 1, 12],
  ['Object.setPrototypeOf(a, b)', 'no-prototype', 1, 8],
  ['const { prototype } = Array', 'no-prototype', 1, 9],
  // legacy accessors
  ['a.__defineGetter__("x", f)', 'no-legacy-accessor', 1, 3],
  ['a.__defineSetter__("x", f)', 'no-legacy-accessor', 1, 3],
  ["a['__lookupGetter__']('x')", 'no-legacy-accessor', 1, 3],
  ['a.__lookupSetter__("x")', 'no-legacy-accessor', 1, 3],
  // caller / callee
  ['function f() { return arguments.callee }', 'no-caller', 1, 33],
  ['function f() { return f.caller }', 'no-caller', 1, 25],
  // WebAssembly, shared memory
  ['x = WebAssembly.Memory', 'no-wasm', 1, 5],
  ['x = new SharedArrayBuffer(8)', 'no-shared-memory', 1, 9],
  ['Atomics.wait(a, 0, 0)', 'no-shared-memory', 1, 1],
  // timers
  ['setTimeout(f, 0)', 'no-timers', 1, 1],
  ['setInterval(f, 10)', 'no-timers', 1, 1],
  ['setImmediate(f)', 'no-timers', 1, 1],
  ['clearTimeout(t)', 'no-timers', 1, 1],
  ['queueMicrotask(f)', 'no-timers', 1, 1],
  // async
  ['async function f() {}', 'no-async', 1, 1],
  ['const f = async () => 1', 'no-async', 1, 11],
  ['const o = { async m() {} }', 'no-async', 1, 13],
  ['class A { async m() {} }', 'no-async', 1, 11],
  ['async function f() { for await (const x of y) {} }', 'no-async', 1, 1],
  ['await x', 'no-async', 1, 1],
  ['for await (const x of y) {}', 'no-async', 1, 5],
  // promises
  ['x = Promise.resolve(1)', 'no-promise', 1, 5],
  ['x = Array.fromAsync([])', 'no-promise', 1, 11],
  // with, debugger
  ['with (obj) { x }', 'no-with', 1, 1],
  ['x = 1;\ndebugger;', 'no-debugger', 2, 1],
  // host APIs
  ['fetch("https://example.com")', 'no-host-api', 1, 1],
  ['x = new XMLHttpRequest()', 'no-host-api', 1, 9],
  ['x = new WebSocket("ws://x")', 'no-host-api', 1, 9],
  ['importScripts("x.js")', 'no-host-api', 1, 1],
  ['x = Deno.env', 'no-host-api', 1, 5],
  ['x = Bun.file', 'no-host-api', 1, 5],
  // proxy, weak refs, stack hooks
  ['x = new Proxy({}, {})', 'no-proxy', 1, 9],
  ['x = new WeakRef(o)', 'no-weak-ref', 1, 9],
  ['x = new FinalizationRegistry(f)', 'no-weak-ref', 1, 9],
  ['Error.prepareStackTrace = f', 'no-stack-hooks', 1, 7],
  ['Error.captureStackTrace(o)', 'no-stack-hooks', 1, 7],
  // HTML-like comments
  ['x = 1 <!-- comment', 'no-html-comment', 1, 7],
  ['x = 1\n--> comment', 'no-html-comment', 2, 1],
  ['x = a-->b', 'no-html-comment', 1, 6],
];

describe('rejected JavaScript', () => {
  test(`at least 30 reject cases (${REJECTED.length})`, () => assert.ok(REJECTED.length >= 30));
  for (const [source, rule, line, column] of REJECTED) {
    test(`${rule}: ${JSON.stringify(source)}`, () => {
      const result = checkCode(source);
      assert.equal(result.ok, false, `expected rejection of ${source}`);
      if (result.ok) return;
      assert.equal(result.code, 'CODE_RULE', JSON.stringify(result));
      const first = result.diagnostics[0];
      assert.deepEqual({ rule: first?.rule, line: first?.line, column: first?.column }, { rule, line, column }, JSON.stringify(result.diagnostics));
      assert.ok((first?.message.length ?? 0) > 20);
    });
  }

  test('every rule id in RULES is exercised by a reject test (ts-unsupported in the TS tests)', () => {
    const hit = new Set(REJECTED.map((r) => r[1]));
    hit.add('ts-unsupported');
    assert.deepEqual(
      RULES.map((r) => r.id).filter((id) => !hit.has(id)),
      [],
    );
  });

  test('reports all violations, sorted by position, deduplicated', () => {
    const result = checkCode('x = process;\ny = eval(a.constructor);\nwith (o) {}\nsetTimeout(f)');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.diagnostics.map((d) => [d.rule, d.line, d.column]),
      [
        ['no-process', 1, 5],
        ['no-eval', 2, 5],
        ['no-constructor', 2, 12],
        ['no-with', 3, 1],
        ['no-timers', 4, 1],
      ],
    );
  });

  test('caps diagnostics at 50', () => {
    const result = checkCode('eval;'.repeat(80));
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.diagnostics.length, 50);
  });

  test('messages say what is not allowed and what to do instead', () => {
    const result = checkCode('eval("1")');
    assert.ok(!result.ok && result.diagnostics[0]?.message.startsWith('`eval` is not allowed in Code Mode'));
    const win = checkCode('var window = 7; window.x');
    assert.ok(!win.ok && /declare it with `const` or `let`/.test(win.diagnostics[0]?.message ?? ''));
  });

  test('`this` inside class methods, field initializers and static blocks is allowed', () => {
    const source = 'class A { x = 1; f = () => this.x; m() { return [this, function () { return this }] } static { this.y = 2 } }';
    assertOk(checkCode(source), source);
  });

  test('class `constructor` methods and object-literal data keys are allowed; only __proto__ keys are not', () => {
    assertOk(checkCode('class A { constructor() {} } const o = { constructor: 1, prototype: 2, caller: 3 }'), '');
    assert.equal(checkCode('const o = { __proto__: p }').ok, false);
  });

  test('names of globals the snippet declares itself are ordinary variables; free ones are refused', () => {
    const own = [
      'const window = 7; fig = { data: [], layout: { title: { text: String(window + 1) } } };',
      'function f(self) { return self; }',
      'let global = []; global.push(1);',
      'const o = { window: 1, self: 2 }; const w = o.window + a.self;',
      'const { window, self: s } = o; const [global] = xs; x = window + s + global;',
      'const { a: [self = 1, ...process] } = o; x = self + process.length;',
      'try { x = 1 } catch (global) { x = global }',
      'window: for (;;) { break window }',
      'for (const self of xs) x += self;',
      'const f = (window) => window * 2; const g = function window() { return window; };',
      'function h() { var globalThis = 1; return globalThis; }',
      'class global { m() { return global; } }',
      '{ function window() { return 1 } x = window(); }',
      'switch (k) { case 1: { let self = 2; x = self; } }',
      'const module = { exports: 1 }; x = module.exports;',
    ];
    for (const source of own) assertOk(checkCode(source), source);
    // The same names, free: each refused where it is used.
    const free: [string, string, number][] = [
      ['window.x', 'no-global-object', 1],
      ['x = self', 'no-global-object', 5],
      ['x = globalThis.a', 'no-global-object', 5],
      ['var window = globalThis', 'no-global-object', 14],
      ['var window = 1; x = window', 'no-global-object', 21],
      ['function f(a = self) { var self = 1 }', 'no-global-object', 16],
      ['function f() { { let window = 1 } return window }', 'no-global-object', 42],
      ['x = typeof process', 'no-process', 12],
    ];
    for (const [source, rule, column] of free) {
      const result = checkCode(source);
      assert.ok(!result.ok, source);
      assert.deepEqual(result.diagnostics.map((d) => [d.rule, d.column]), [[rule, column]], source);
    }
  });

  test('labels, private names and string contents never trigger rules', () => {
    assertOk(checkCode('window: for (;;) { break window } class A { #eval = 1; m() { return this.#eval } } x = "process"'), '');
  });
});

// ---------------------------------------------------------------------------------------------
// Syntax errors
// ---------------------------------------------------------------------------------------------

describe('syntax errors', () => {
  test('CODE_SYNTAX with a cleaned message and the right position', () => {
    const result = checkCode('const a = 1;\nconst b = (2;');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.code, 'CODE_SYNTAX');
    assert.deepEqual(result.diagnostics.map((d) => [d.rule, d.line, d.column]), [['syntax', 2, 13]]);
    assert.doesNotMatch(result.diagnostics[0]?.message ?? '', /\(\d+:\d+\)|plugin|sourceType|babel/i);
  });

  test('experimental syntax gets a plain message, not a parser-plugin hint', () => {
    for (const source of ['x = <div/>', 'x = a |> b', '@dec class A {}']) {
      const result = checkCode(source);
      assert.ok(!result.ok && result.code === 'CODE_SYNTAX', source);
      assert.doesNotMatch(result.diagnostics[0]?.message ?? '', /plugin/i);
    }
  });

  test('is strict code: top-level return, and syntax only sloppy mode allows, are syntax errors with a position', () => {
    assert.equal(checkCode('return 1').ok, false);
    for (const [code, line] of [['var let = 1;', 1], ['const a = 1;\nx = 010;', 2], ['function f(a, a) {}', 1], ['let y = 1;\ndelete y;', 2], ['const static = 1;', 1]] as const) {
      const result = checkCode(code);
      assert.equal(result.ok, false, code);
      if (result.ok) continue;
      assert.equal(result.code, 'CODE_SYNTAX', code);
      assert.equal(result.diagnostics[0]?.line, line, code);
    }
  });

  test('TypeScript in lang js is a syntax error', () => {
    const result = checkCode('let x: number = 1');
    assert.ok(!result.ok && result.code === 'CODE_SYNTAX');
  });
});

// ---------------------------------------------------------------------------------------------
// HTML-like comments: Babel and V8 (classic script) must not disagree on what runs.
// ---------------------------------------------------------------------------------------------

describe('HTML-like comments', () => {
  const cases = ['x = 1 <!-- y\nz = 2', 'x = 1;\n--> gone\ny = 2', '/*\n*/ --> hidden', 'x = 1 /* a */ --> b', 'a<!--b', 'if (a<!--b) {}'];
  for (const source of cases) {
    test(`rejected (or a syntax error), never accepted: ${JSON.stringify(source)}`, () => {
      const result = checkCode(source);
      assert.equal(result.ok, false);
      if (!result.ok) assert.ok(result.code === 'CODE_SYNTAX' || result.diagnostics.some((d) => d.rule === 'no-html-comment'));
    });
  }
  test('V8 does treat them as comments in a classic script (why they are rejected)', () => {
    const context = vm.createContext({});
    assert.equal(new vm.Script('var x = 1 <!-- x = 2\n; x').runInContext(context), 1);
    assert.equal(new vm.Script('var y = 1;\n--> y = 2\ny').runInContext(context), 1);
  });
  test('inside strings, templates, regexes and comments they are refused too (the sandbox refuses them anywhere), each with its position', () => {
    const result = checkCode('x = "<!--"; y = `-->`;\nz = /<!--/; // -->');
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.diagnostics.map((d) => [d.rule, d.line, d.column]), [['no-html-comment', 1, 6], ['no-html-comment', 1, 18], ['no-html-comment', 2, 6], ['no-html-comment', 2, 16]]);
    assert.match(result.diagnostics[0]?.message ?? '', /not even inside a string/);
  });
  test('the text import( is refused anywhere too, even in a string or a comment', () => {
    for (const code of ["fig = px.bar(df, { x: 'region', title: 'import (csv)' });", '// import(\nfig = 1;', 'fig = `import//`;']) {
      const result = checkCode(code);
      assert.equal(result.ok, false, code);
      if (!result.ok) assert.equal(result.diagnostics[0]?.rule, 'no-import', code);
    }
    assertOk(checkCode("fig = px.bar(df, { x: 'region', title: 'important (csv)', y: data.x?.import });"), '');
  });
});

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

describe('limits', () => {
  const fast = (source: string, options: Parameters<typeof checkCode>[1], code: string): void => {
    const started = performance.now();
    const result = checkCode(source, options);
    const ms = performance.now() - started;
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.code, code, JSON.stringify(result.diagnostics));
    // A hang guard, not a benchmark: generous for loaded CI machines.
    assert.ok(ms < 5000, `took ${ms} ms`);
  };

  test('size is measured in UTF-8 bytes before anything else', () => {
    const result = checkCode('x = "' + 'é'.repeat(40_000) + '"'); // 40k chars, 80k bytes
    assert.ok(!result.ok && result.code === 'CODE_TOO_LARGE');
    if (!result.ok) {
      assert.deepEqual([result.diagnostics[0]?.line, result.diagnostics[0]?.column], [1, 1]);
      assert.match(result.diagnostics[0]?.message ?? '', /65536 bytes/);
    }
    assert.ok(checkCode('x = "' + 'a'.repeat(60_000) + '"').ok);
    assert.equal(checkCode('x = 1;', { maxBytes: 5 }).ok, false);
    assert.ok(checkCode('x = 1;', { maxBytes: 6 }).ok);
  });

  test('a 10 MB string is refused fast', () => fast('x = "' + 'a'.repeat(10_000_000) + '"', {}, 'CODE_TOO_LARGE'));

  const deep: Array<[string, string]> = [
    ['100k (', '('.repeat(100_000)],
    ['100k [', '['.repeat(100_000)],
    ['100k {', '{'.repeat(100_000)],
    ['50k !', 'x = ' + '!'.repeat(50_000) + 'x'],
    ['50k - -', 'x = ' + '- '.repeat(50_000) + 'x'],
    ['-(-(-(', 'x = ' + '-('.repeat(50_000) + 'x' + ')'.repeat(50_000)],
    ['nested templates', 'x = ' + '`${'.repeat(30_000) + '1' + '}`'.repeat(30_000)],
    ['arrow chain', 'x = ' + 'a => '.repeat(30_000) + '1'],
    ['ternary chain', 'x = ' + 'a ? b : '.repeat(30_000) + 'c'],
    ['ternary in consequent', 'x = ' + 'a ? '.repeat(20_000) + 'b' + ' : c'.repeat(20_000)],
    ['assignment chain', 'a = '.repeat(50_000) + '1'],
    ['binary chain over lines', 'x = ' + 'a +\n'.repeat(50_000) + '1'],
    ['new chain', 'x = ' + 'new '.repeat(30_000) + 'X'],
    ['typeof chain', 'x = ' + 'typeof '.repeat(30_000) + 'x'],
    ['else-if chain', 'if (a) {} else '.repeat(30_000) + '{}'],
    ['nested functions', 'x = ' + 'function () { return '.repeat(20_000) + '1' + ' }'.repeat(20_000)],
  ];
  for (const [name, source] of deep) {
    for (const lang of ['js', 'ts'] as const) {
      test(`${name} (${lang}) → CODE_TOO_DEEP, fast, no throw`, () => fast(source, { maxBytes: 2_000_000, lang }, 'CODE_TOO_DEEP'));
    }
  }
  test('TypeScript type nesting and nested angle-bracket assertions (exponential in Babel) are bounded', () => {
    fast('let x: ' + 'Array<'.repeat(20_000) + 'T' + '>'.repeat(20_000), { maxBytes: 2_000_000, lang: 'ts' }, 'CODE_TOO_DEEP');
    fast('let x: ' + 'Map<K, '.repeat(20_000) + 'T' + '>'.repeat(20_000), { maxBytes: 2_000_000, lang: 'ts' }, 'CODE_TOO_DEEP');
    fast('x = ' + '(<T>'.repeat(40) + 'y' + ')'.repeat(40), { lang: 'ts' }, 'CODE_TOO_DEEP');
    fast('x = ' + '<T>(a, '.repeat(40) + 'y' + ')'.repeat(40), { lang: 'ts' }, 'CODE_TOO_DEEP');
  });
  test('the position of CODE_TOO_DEEP is where the limit was exceeded', () => {
    const result = checkCode('x = 1;\n' + '('.repeat(200), { maxDepth: 10 });
    assert.ok(!result.ok && result.code === 'CODE_TOO_DEEP');
    if (!result.ok) assert.deepEqual([result.diagnostics[0]?.line, result.diagnostics[0]?.column], [2, 11]);
  });
  test('ordinary nesting and long flat code pass', () => {
    assertOk(checkCode('x = ' + '('.repeat(60) + '1' + ')'.repeat(60)), '');
    const rows = Array.from({ length: 2000 }, (_, i) => `{ a: ${i}, b: 'r${i}' }`).join(',\n');
    assertOk(checkCode(`const rows = [\n${rows}\n];`), '');
    const lines = Array.from({ length: 1500 }, (_, i) => `const v${i} = a + b * c - d / e`).join('\n');
    assertOk(checkCode(lines), '');
    const chain = 'if (a) {} ' + Array.from({ length: 150 }, () => 'else if (b) {}').join(' ');
    assertOk(checkCode(chain), '');
  });
  test('a stack overflow in the parser is still a typed result', () => {
    // Run from deep inside a recursion so the parser runs out of stack although the pre-scan passes.
    const recurse = (n: number): CheckResult => (n === 0 ? checkCode('x = ' + '('.repeat(90) + '1' + ')'.repeat(90)) : recurse(n - 1));
    let result: CheckResult | undefined;
    for (let depth = 1000; depth < 20_000 && (result === undefined || result.ok); depth += 500) {
      try {
        result = recurse(depth);
      } catch {
        break; // overflowed in our own recursion before reaching the parser
      }
    }
    assert.ok(result !== undefined && !result.ok && result.code === 'CODE_TOO_DEEP', JSON.stringify(result));
  });
  test('options are validated', () => {
    assert.throws(() => checkCode('x', { maxBytes: 0 }), TypeError);
    assert.throws(() => checkCode('x', { maxDepth: 1.5 }), TypeError);
    assert.throws(() => checkCode('x', { lang: 'py' as 'js' }), TypeError);
  });
});
