import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import { checkCode, type CheckResult } from './index.ts';

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
      assert.deepEqual(
        js.split('\n').map((l) => l.length),
        source.split('\n').map((l) => l.length),
      );
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
