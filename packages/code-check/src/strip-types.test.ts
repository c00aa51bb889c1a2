import assert from 'node:assert/strict';
import { stripTypeScriptTypes } from 'node:module';
import { describe, test } from 'node:test';
import vm from 'node:vm';
import { checkCode } from './index.ts';

/** Equivalent output: identical after removing all whitespace. */
const squash = (s: string): string => s.replace(/\s+/g, '');

// Snippets that Node's own type stripping (swc, strip-only mode) accepts.
const CORPUS: readonly string[] = [
  'let x: number = 1;',
  'function f(a: string, b?: number): void {}',
  'function f(this: Window, a: number) { return a }',
  'function f(this: Window) { return 1 }',
  'const g = (a: number, b: number): number => a + b;',
  'const id = <T,>(v: T): T => v;',
  'let y!: string;',
  'let v = a!.b!.c; let w = a![0]; z = (q)!;',
  'let x = (y as any) as (A | B); let v = w satisfies X;',
  'let x = y as unknown as string\n(foo)',
  'x = 1\ntype A = B\n(foo)',
  'x = 1\ninterface A {}\n[1].map(f)',
  'x = 1\ndeclare const y: number\n(foo)',
  'x = 1;\ntype A = B\n(foo)',
  'type A = { a: string }; interface B extends A { b?: number }',
  'function over(a: string): void;\nfunction over(a: number): void;\nfunction over(a: any) {}\n',
  'f<string>(1); new Map<string, number>(); const s = new Set<number>([1]);',
  'abstract class A<T> extends B<T> implements C, D<T> { private readonly x?: number = 1; declare y: string; z!: number; public static override m?(): void; abstract q(): void; [k: string]: any; protected r(): void {} }',
  'class C { declare readonly x: number; static readonly y = 1; protected static z?: string; private m?(): void {} }',
  'class K { m<T>(this: K, a: T): T { return a } get g(): number { return 1 } set s(v: number) {} #p?: string; static #q: number = 1 }',
  'class A<in out T> {}; type Fn = new () => void; let o = { m<T>(a: T): T { return a } }',
  'let f = function <T>(a: T) { return a }; let g = function* <T>() {};',
  'let u: typeof import("x"); let t: [a: string, b?: number] = ["a"]; let k: keyof T;',
  'function assert(x: unknown): asserts x is string {} function is(x): x is number { return true }',
  'for (const x of xs as number[]) {} try {} catch (e: unknown) {}  let [a, b]: [number, number] = [1, 2]; let {c}: {c: number} = o;',
  'label: for (;;) { break label }; x = y! + z!; x!++; x! = 3; (x as any) = 3; ({a: (b as any)} = c)',
  'declare namespace Z { const q: number } declare enum DE { A } declare global { var x: number } declare module "foo" {} declare class DC { m(): void }',
  'namespace Types { export type Id = string; export interface Named { name: string } }',
  'import type { X } from "y"; export type Q = 1; export interface I {}',
  'let f = (a)\n: number => a',
  'const fn = <T,>(\n  a: T,\n): T => a;',
  'function g(x?, y?: number) {}',
  'const tagged = tag<string>`hello ${1}`;',
  'let opt = a?.b!.c?.<T>(d);',
  'const obj = { method<T>(x: T): T { return x } };',
  'let x: Array<Array<Map<string, Set<number>>>> = [];',
  'const c = class<T> implements I { x: T };',
  'x = a < b > (c)',
  '/* comment */ let a: /* inside */ number = 1; // trailing: string',
];

describe('TypeScript erasure matches Node stripTypeScriptTypes', () => {
  for (const source of CORPUS) {
    test(JSON.stringify(source), () => {
      const ours = checkCode(source, { lang: 'ts' });
      assert.ok(ours.ok, `${source}\n${JSON.stringify(ours)}`);
      const node = stripTypeScriptTypes(source, { mode: 'strip' });
      assert.equal(squash(ours.js), squash(node), `ours:\n${ours.js}\nnode:\n${node}`);
      // positions are kept exactly: same length and same line breaks
      assert.equal(ours.js.length, source.length);
      assert.deepEqual(
        ours.js.split('\n').map((l) => l.length),
        source.split('\n').map((l) => l.length),
      );
      new vm.Script(ours.js); // V8 parses the output as a classic script
    });
  }
});

describe('TypeScript diagnostics', () => {
  const unsupported: ReadonlyArray<readonly [string, number, number]> = [
    ['enum E { A, B }', 1, 1],
    ['const enum E { A }', 1, 1],
    ['x = 1;\nnamespace N { export const a = 1 }', 2, 1],
    ['class C {\n  constructor(private x: number) {}\n}', 2, 15],
    ['@dec class A {}', 1, 1],
    ['class A { @d m() {} }', 1, 11],
    ['import fs = require("fs");', 1, 1],
    ['export = 1;', 1, 1],
  ];
  for (const [source, line, column] of unsupported) {
    test(`ts-unsupported: ${JSON.stringify(source)}`, () => {
      const result = checkCode(source, { lang: 'ts' });
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.code, 'CODE_RULE');
      assert.deepEqual([result.diagnostics[0]?.rule, result.diagnostics[0]?.line, result.diagnostics[0]?.column], ['ts-unsupported', line, column]);
    });
  }

  test('ts-unsupported and JS rule findings are reported together', () => {
    const result = checkCode('enum E { A }\nconst x: number = eval("1");', { lang: 'ts' });
    assert.ok(!result.ok);
    if (!result.ok)
      assert.deepEqual(
        result.diagnostics.map((d) => [d.rule, d.line, d.column]),
        [
          ['ts-unsupported', 1, 1],
          ['no-eval', 2, 19],
        ],
      );
  });

  test('a parameter property is reported with the rest of the code still checked', () => {
    const result = checkCode('class C { constructor(private readonly x: number = eval("1")) {} }', { lang: 'ts' });
    assert.ok(!result.ok);
    if (!result.ok)
      assert.deepEqual(
        result.diagnostics.map((d) => [d.rule, d.column]),
        [
          ['ts-unsupported', 23],
          ['no-eval', 52],
        ],
      );
  });

  test('rules run on the erased JavaScript: names inside types are fine, names in values are not', () => {
    assert.ok(checkCode('type G = typeof globalThis; interface I { constructor: Function; __proto__: object; eval(): void }', { lang: 'ts' }).ok);
    const result = checkCode('const a: string = "x";\nconst b = (a as any).constructor;', { lang: 'ts' });
    assert.ok(!result.ok);
    if (!result.ok)
      assert.deepEqual(
        result.diagnostics.map((d) => [d.rule, d.line, d.column]),
        [['no-constructor', 2, 22]],
      );
  });

  test('positions of rule findings in TS are in the original source', () => {
    const result = checkCode('function f<T>(x: T): T {\n  return (x as unknown as { p: T }).p;\n}\nconst w: Window = window;', { lang: 'ts' });
    assert.ok(!result.ok);
    if (!result.ok)
      assert.deepEqual(
        result.diagnostics.map((d) => [d.rule, d.line, d.column]),
        [['no-global-object', 4, 19]],
      );
  });

  test('value imports stay errors; type-only imports are erased', () => {
    assert.ok(checkCode('import type { T } from "x"; let a: T;', { lang: 'ts' }).ok);
    const result = checkCode('import { a } from "x";', { lang: 'ts' });
    assert.ok(!result.ok && result.diagnostics[0]?.rule === 'no-import');
  });

  test('syntax errors in TypeScript are CODE_SYNTAX at the original position', () => {
    const result = checkCode('let a: number = 1;\nlet b: = 2;', { lang: 'ts' });
    assert.ok(!result.ok && result.code === 'CODE_SYNTAX');
    if (!result.ok) assert.equal(result.diagnostics[0]?.line, 2);
  });

  test('keeps TypeScript statement boundaries where erasure would join lines (Node does not for `as const`)', () => {
    // TypeScript reads two statements here; `let x = a\n[1]` would read `a[1]`.
    const result = checkCode('let x = a as const\n[1].map(f)', { lang: 'ts' });
    assert.ok(result.ok);
    if (result.ok) assert.equal(result.js, 'let x = a ;       \n[1].map(f)');
  });

  test('angle-bracket assertions are erased too (Node refuses them; Babel and tsc accept them)', () => {
    const result = checkCode('let z = <number>(w); let q = <Array<string>>list;', { lang: 'ts' });
    assert.ok(result.ok);
    if (result.ok) assert.equal(squash(result.js), 'letz=(w);letq=list;');
  });

  test('HTML-like comments are rejected in TypeScript too', () => {
    const result = checkCode('let a: number = 1 <!-- x', { lang: 'ts' });
    assert.ok(!result.ok && result.diagnostics[0]?.rule === 'no-html-comment');
  });
});
