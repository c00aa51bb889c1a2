import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkCode, RULES, type CheckResult } from './index.ts';

function assertOk(result: CheckResult, source: string): string {
  assert.ok(result.ok, `expected ok for:\n${source}\ngot ${JSON.stringify(result)}`);
  return result.js;
}

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
      assert.deepEqual(
        result.diagnostics.map((d) => [d.rule, d.column]),
        [[rule, column]],
        source,
      );
    }
  });

  test('labels, private names and string contents never trigger rules', () => {
    assertOk(checkCode('window: for (;;) { break window } class A { #eval = 1; m() { return this.#eval } } x = "process"'), '');
  });
});
