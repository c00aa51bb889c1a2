// Runs the real bundle in real isolated-vm isolates, the way the sandbox worker does:
// evaluate dist/runtime.js once, boot with an ExternalCopy'd payload, run analyst code, call the
// serializer Reference. Needs node --no-node-snapshot (scripts/run-tests.ts passes it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ivm from 'isolated-vm';
// @ts-expect-error build.mjs is plain JavaScript without type declarations.
import { buildRuntime } from '../build.mjs';
import { EXAMPLE_CHARTS } from './examples.ts';
import { GLOBAL_NAMES } from './create-globals.ts';
import { REMOVED_GLOBALS } from './removed-globals.ts';
import { createSalesPayload } from './sales-fixture.ts';
import type { SerializeResult } from './serialize-figure.ts';

let dir = '';
let bundle = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plotbox-runtime-'));
  const file = (await buildRuntime({ outfile: join(dir, 'runtime.js') })) as string;
  bundle = await readFile(file, 'utf8');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Booted {
  isolate: ivm.Isolate;
  context: ivm.Context;
  run(code: string): Promise<unknown>;
  serialize(): Promise<SerializeResult>;
  globals(): Promise<string[]>;
}

async function boot(rows = 300, maxBytes = 4 * 1024 * 1024, before?: (b: { context: ivm.Context }) => Promise<void>): Promise<Booted & { baseline: string[] }> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const context = await isolate.createContext();
  const globals = async (): Promise<string[]> => JSON.parse((await context.eval('JSON.stringify(Object.getOwnPropertyNames(globalThis))')) as string) as string[];
  const baseline = await globals();
  await (await isolate.compileScript(bundle)).run(context);
  await before?.({ context });
  const bootRef = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference;
  const payload = new ivm.ExternalCopy(createSalesPayload(rows)).copyInto();
  const options = new ivm.ExternalCopy({ maxBytes }).copyInto();
  const serializer = (await bootRef.apply(undefined, [payload, options], { result: { reference: true } })) as ivm.Reference;
  bootRef.release();
  return {
    isolate,
    context,
    baseline,
    globals,
    run: async (code) => (await isolate.compileScript(code)).run(context, { timeout: 2000, copy: true }),
    serialize: async () => (await serializer.apply(undefined, [], { result: { copy: true }, timeout: 2000 })) as SerializeResult,
  };
}

test('the bundle defines only a non-enumerable __plotbox_boot', async () => {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  try {
    const context = await isolate.createContext();
    const before = (await context.eval('Object.getOwnPropertyNames(globalThis).join()')) as string;
    await (await isolate.compileScript(bundle)).run(context);
    const added = (await context.eval(`Object.getOwnPropertyNames(globalThis).filter(n => !${JSON.stringify(before.split(','))}.includes(n)).join()`)) as string;
    assert.equal(added, '__plotbox_boot');
    assert.equal(await context.eval('Object.getOwnPropertyDescriptor(globalThis, "__plotbox_boot").enumerable'), false);
  } finally {
    isolate.dispose();
  }
});

test('after boot the global object holds the built-ins minus the removed ones, plus df, aq, op, data, px', async () => {
  const b = await boot();
  try {
    const expected = [...b.baseline.filter((n) => !(REMOVED_GLOBALS as readonly string[]).includes(n)), ...GLOBAL_NAMES].sort();
    assert.deepEqual((await b.globals()).sort(), expected);
    assert.equal(await b.run('typeof WebAssembly + typeof SharedArrayBuffer + typeof Atomics + typeof __plotbox_boot + typeof console'), 'undefinedundefinedundefinedundefinedundefined');
    assert.deepEqual(JSON.parse((await b.run('const { writable, enumerable, configurable } = Object.getOwnPropertyDescriptor(globalThis, "df"); JSON.stringify({ writable, enumerable, configurable })')) as string), { writable: false, enumerable: false, configurable: false });
    await assert.rejects(b.run('"use strict"; px = null;'), /read.only|Cannot assign/);
    assert.equal(await b.run('delete globalThis.data'), false);
    assert.equal(await b.run('Object.isFrozen(data) && Object.isFrozen(data.units) && Object.isFrozen(df.column("price"))'), true);
    await assert.rejects(b.run('"use strict"; data.units[0] = 5;'), /read.only|Cannot assign/);
  } finally {
    b.isolate.dispose();
  }
});

test('an example runs in the isolate and the serializer returns its figure', async () => {
  const b = await boot(2000);
  try {
    const example = EXAMPLE_CHARTS.find((e) => e.name === 'bar_units_by_region');
    assert.ok(example);
    await b.run(example.code);
    const r = await b.serialize();
    assert.ok(r.ok, r.ok ? '' : r.message);
    const fig = JSON.parse(r.json) as { data: { type: string; x: string[]; y: number[] }[]; layout: { title: { text: string } } };
    assert.equal(fig.data[0]?.type, 'bar');
    assert.equal(fig.data[0]?.x.length, 8);
    const total = createSalesPayload(2000).columns.find((c) => c.name === 'units');
    assert.ok(total && total.kind === 'int');
    assert.equal(fig.data[0]?.y.reduce((a, c) => a + c, 0), total.values.reduce((a, c) => a + c, 0));
    assert.equal(fig.layout.title.text, 'Units sold by region');
  } finally {
    b.isolate.dispose();
  }
});

test('the serializer finds fig declared with let, var or plain assignment, and reports a missing one', async () => {
  for (const code of ['let fig = px.bar(df, { x: "region" });', 'var fig = px.bar(df, { x: "region" });', 'fig = px.bar(df, { x: "region" });']) {
    const b = await boot(50);
    try {
      await b.run(code);
      const r = await b.serialize();
      assert.ok(r.ok, code);
    } finally {
      b.isolate.dispose();
    }
  }
  const b = await boot(50);
  try {
    await b.run('const chart = 1;');
    assert.deepEqual(await b.serialize(), { ok: false, code: 'SANDBOX_NO_FIGURE', message: 'No figure: assign one to fig, e.g. fig = px.bar(df, { x: "region", y: "units" }).' });
  } finally {
    b.isolate.dispose();
  }
});

test('hostile fig in the isolate: replaced JSON.stringify and a huge sparse array still give typed results', async () => {
  const b = await boot(10, 1024);
  try {
    await b.run('JSON.stringify = () => "x".repeat(1e6); Array.isArray = () => false; const a = []; a.length = 2 ** 32 - 1; fig = { data: [{ x: a }] };');
    const r = await b.serialize();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'SANDBOX_OUTPUT_TOO_LARGE');
    assert.match(!r.ok ? r.message : '', /1 KiB \(1024 bytes\)/);
  } finally {
    b.isolate.dispose();
  }
});

test('every example gives the same figure JSON in the isolate as in-process', async () => {
  const { createGlobals } = await import('./create-globals.ts');
  const { serializeFigure } = await import('./serialize-figure.ts');
  for (const example of EXAMPLE_CHARTS) {
    const g = createGlobals(createSalesPayload(300));
    const inProcess = new Function('df', 'aq', 'op', 'data', 'px', `let fig;\n${example.code}\nreturn fig;`) as (...args: unknown[]) => unknown;
    const expected = serializeFigure(inProcess(g.df, g.aq, g.op, g.data, g.px), 4 * 1024 * 1024);
    const b = await boot(300);
    try {
      await b.run(example.code);
      assert.deepEqual(await b.serialize(), expected, example.name);
    } finally {
      b.isolate.dispose();
    }
  }
});

test('the optional pool-time warm-up leaves the globals untouched', async () => {
  const b = await boot(100, 4 * 1024 * 1024, async ({ context }) => {
    await context.eval('__plotbox_boot.warmUp(500)');
  });
  try {
    const expected = [...b.baseline.filter((n) => !(REMOVED_GLOBALS as readonly string[]).includes(n)), ...GLOBAL_NAMES].sort();
    assert.deepEqual((await b.globals()).sort(), expected);
    await b.run('fig = px.histogram(df, { x: "price" })');
    assert.equal((await b.serialize()).ok, true);
  } finally {
    b.isolate.dispose();
  }
});
