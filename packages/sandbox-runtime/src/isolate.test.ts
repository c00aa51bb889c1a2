// Runs the real bundle in real isolated-vm isolates, the way the sandbox worker does: evaluate the
// bundle once (it locks the realm down), take the runtime API from __plotbox_boot, bind an
// ExternalCopy'd payload, and per run prepare a compartment, execute analyst code and serialize.
// Needs node --no-node-snapshot (scripts/run-tests.ts passes it).
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
import { RUN_REMOVED_GLOBALS } from './run-realm.ts';
import { createSalesPayload } from './sales-fixture.ts';
import type { SerializeResult } from './serialize-figure.ts';
import type { Thrown } from './isolate-entry.ts';

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
  /** Prepares a fresh run and executes `code` in it; rejects with what the code threw. */
  run(code: string): Promise<void>;
  serialize(): Promise<SerializeResult>;
  /** Runs `expr` as a chart and returns the figure's title (expr must give a string). */
  value(expr: string): Promise<string>;
  /** Own property names of a run's global object. */
  globals(): Promise<string[]>;
}

async function boot(rows = 300, maxBytes = 4 * 1024 * 1024, shared = true, before?: (api: ivm.Reference<Record<string, unknown>>) => Promise<void>): Promise<Booted> {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  const context = await isolate.createContext();
  // An isolate that serves several runs is locked down; the host asks for it (realm.ts).
  if (shared) await context.global.set('__plotbox_lockdown', true);
  await (await isolate.compileScript(bundle)).run(context);
  const bootRef = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference<() => unknown>;
  const api = (await bootRef.apply(undefined, [], { result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
  bootRef.release();
  await before?.(api);
  const fn = async (name: string): Promise<ivm.Reference<(...args: unknown[]) => unknown>> => (await api.get(name, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
  const [bind, prepare, execute, serialize, end] = await Promise.all(['bind', 'prepare', 'execute', 'serialize', 'end'].map(fn));
  if (!bind || !prepare || !execute || !serialize || !end) throw new Error('runtime API incomplete');
  await bind.apply(undefined, [new ivm.ExternalCopy(createSalesPayload(rows)).copyInto(), new ivm.ExternalCopy({ shared }).copyInto()]);
  const run = async (code: string): Promise<void> => {
    await end.apply(undefined, []);
    await prepare.apply(undefined, [new ivm.ExternalCopy({ maxBytes, seed: [1, 2, 3, 4] }).copyInto()]);
    const thrown = (await execute.apply(undefined, [code, 'test'], { timeout: 2000, result: { copy: true } })) as Thrown | undefined;
    if (thrown !== undefined) throw Object.assign(new Error(thrown.thrown === 'error' ? thrown.message : 'non-error thrown'), { stack: thrown.thrown === 'error' ? thrown.stack : '' });
  };
  const serializeRun = async (): Promise<SerializeResult> => (await serialize.apply(undefined, [], { result: { copy: true }, timeout: 2000 })) as SerializeResult;
  const value = async (expr: string): Promise<string> => {
    await run(`fig = { data: [], layout: { title: { text: String(${expr}) } } };`);
    const r = await serializeRun();
    if (!r.ok) throw new Error(r.message);
    return (JSON.parse(r.json) as { layout: { title: { text: string } } }).layout.title.text;
  };
  return {
    isolate,
    context,
    run,
    serialize: serializeRun,
    value,
    globals: async () => JSON.parse(await value('JSON.stringify(Object.getOwnPropertyNames(globalThis))')) as string[],
  };
}

test("the bundle defines only a non-enumerable __plotbox_boot besides ses's own globals, and locks the realm down", async () => {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = await isolate.createContext();
    const before = (await context.eval('Object.getOwnPropertyNames(globalThis).join()')) as string;
    await context.global.set('__plotbox_lockdown', true);
    await (await isolate.compileScript(bundle)).run(context);
    const added = (await context.eval(`Object.getOwnPropertyNames(globalThis).filter(n => !${JSON.stringify(before.split(','))}.includes(n)).join()`)) as string;
    // ses's own names stay on the start compartment's global, which no run sees (runs get compartments).
    assert.deepEqual(added.split(',').sort(), ['Compartment', '__plotbox_boot', 'assert', 'getStackString', 'harden', 'lockdown', 'repairIntrinsics']);
    assert.equal(await context.eval('Object.getOwnPropertyDescriptor(globalThis, "__plotbox_boot").enumerable'), false);
    assert.equal(await context.eval('Object.isFrozen(Object.prototype) && Object.isFrozen(Array.prototype) && Object.isFrozen(Intl)'), true);
    assert.equal(await context.eval('typeof __plotbox_lockdown'), 'undefined', 'the flag is read and removed');
  } finally {
    isolate.dispose();
  }
});

test("without the host's flag (a single-use isolate) the realm is not locked down, and refuses a shared binding", async () => {
  const b = await boot(50, 4 * 1024 * 1024, false);
  try {
    assert.equal(await b.value('Object.isFrozen(Array.prototype)'), 'false');
    await b.run('fig = px.bar(df, { x: "region", y: "units", agg: "sum" });');
    assert.equal((await b.serialize()).ok, true);
  } finally {
    b.isolate.dispose();
  }
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = await isolate.createContext();
    await (await isolate.compileScript(bundle)).run(context);
    const api = (await (await context.global.get('__plotbox_boot', { reference: true })).apply(undefined, [], { result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
    const bind = (await api.get('bind', { reference: true })) as ivm.Reference<(p: unknown, o: unknown) => void>;
    await assert.rejects(bind.apply(undefined, [new ivm.ExternalCopy(createSalesPayload(5)).copyInto(), new ivm.ExternalCopy({ shared: true }).copyInto()]), /locked-down/);
  } finally {
    isolate.dispose();
  }
});

test("a run's global object holds the built-ins minus the removed ones, plus df, aq, op, data, px, fig", async () => {
  const b = await boot();
  try {
    const names = await b.globals();
    for (const name of [...GLOBAL_NAMES, 'fig', 'Math', 'Date', 'JSON', 'Array', 'Map', 'Set', 'Intl', 'Float64Array', 'Int32Array']) assert.ok(names.includes(name), name);
    for (const name of [...RUN_REMOVED_GLOBALS, '__plotbox_boot', 'gc', 'process', 'require']) assert.ok(!names.includes(name), name);
    assert.equal(
      await b.value('[typeof WebAssembly, typeof SharedArrayBuffer, typeof Atomics, typeof __plotbox_boot, typeof console, typeof Proxy, typeof eval, typeof Function].join()'),
      'undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined',
    );
    assert.deepEqual(
      JSON.parse(await b.value('JSON.stringify((({ writable, enumerable, configurable }) => ({ writable, enumerable, configurable }))(Object.getOwnPropertyDescriptor(globalThis, "df")))')),
      { writable: false, enumerable: false, configurable: false },
    );
    await assert.rejects(b.run('px = null;'), /read.only|Cannot assign|constant/);
    await assert.rejects(b.run('delete globalThis.data;'), /Cannot delete/);
    assert.equal(await b.value('Object.isFrozen(data) && Object.isFrozen(data.units) && Object.isFrozen(df.column("price"))'), 'true');
    await assert.rejects(b.run('data.units[0] = 5;'), /read.only|Cannot assign/);
    // The realm is locked down: built-ins and the runtime's objects are frozen.
    assert.equal(
      await b.value(
        '[Object.prototype, Array.prototype, Object.getPrototypeOf(() => 0), JSON, Math.max, px, aq, op, Object.getPrototypeOf(df), Intl, Intl.NumberFormat.prototype].every(Object.isFrozen)',
      ),
      'true',
    );
    await assert.rejects(b.run('Array.prototype.sum = 1;'), /not extensible|read.only/);
    // Date and Math.random work (compartments otherwise lose them).
    assert.equal(await b.value('Date.now() > 1e12 && new Date().getFullYear() > 2000 && Math.random() < 1'), 'true');
  } finally {
    b.isolate.dispose();
  }
});

test('nothing one run defines is there in the next run of the same isolate', async () => {
  const b = await boot();
  try {
    await b.run('var a = 1; let c = 2; function f() {} globalThis.g = 3; fig = { data: [] };');
    assert.equal(await b.value('[typeof a, typeof c, typeof f, typeof g, typeof fig].join()'), 'undefined,undefined,undefined,undefined,undefined');
  } finally {
    b.isolate.dispose();
  }
});

test("errors carry the analyst's chart.js line and column (line 1 offset by the code prefix)", async () => {
  const b = await boot();
  try {
    await assert.rejects(b.run('const a = 1;\nconst b = null;\nfig = b.x;'), (err: Error) => /chart\.js:3:\d+/.test(String(err.stack)));
    await assert.rejects(b.run('null.x;'), (err: Error) => /chart\.js:1:22/.test(String(err.stack)));
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
    assert.equal(
      fig.data[0]?.y.reduce((a, c) => a + c, 0),
      total.values.reduce((a, c) => a + c, 0),
    );
    assert.equal(fig.layout.title.text, 'Units sold by region');
  } finally {
    b.isolate.dispose();
  }
});

test('the serializer finds fig declared with let, var, const or plain assignment, and reports a missing one', async () => {
  for (const code of [
    'let fig = px.bar(df, { x: "region" });',
    'var fig = px.bar(df, { x: "region" });',
    'const fig = px.bar(df, { x: "region" });',
    'fig = px.bar(df, { x: "region" });',
    'this.fig = px.bar(df, { x: "region" });',
  ]) {
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
    await b.run('try { JSON.stringify = () => "x".repeat(1e6); } catch {} try { Array.isArray = () => false; } catch {} const a = []; a.length = 2 ** 32 - 1; fig = { data: [{ x: a }] };');
    const r = await b.serialize();
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'SANDBOX_OUTPUT_TOO_LARGE');
    assert.match(!r.ok ? r.message : '', /1 KiB \(1024 bytes\)/);
  } finally {
    b.isolate.dispose();
  }
});

test('every example gives the same figure JSON in the isolate as in-process, in a fresh and in a reused isolate', async () => {
  const { createGlobals } = await import('./create-globals.ts');
  const { serializeFigure } = await import('./serialize-figure.ts');
  const reused = await boot(300);
  try {
    for (const example of EXAMPLE_CHARTS) {
      const g = createGlobals(createSalesPayload(300));
      const inProcess = new Function('df', 'aq', 'op', 'data', 'px', `let fig;\n${example.code}\nreturn fig;`) as (...args: unknown[]) => unknown;
      const expected = serializeFigure(inProcess(g.df, g.aq, g.op, g.data, g.px), 4 * 1024 * 1024);
      const b = await boot(300, 4 * 1024 * 1024, false);
      try {
        await b.run(example.code);
        assert.deepEqual(await b.serialize(), expected, example.name);
      } finally {
        b.isolate.dispose();
      }
      for (let i = 0; i < 2; i++) {
        await reused.run(example.code);
        assert.deepEqual(await reused.serialize(), expected, `${example.name} (reused, run ${i + 1})`);
      }
    }
  } finally {
    reused.isolate.dispose();
  }
});

test('the optional pool-time warm-up leaves the globals untouched', async () => {
  const b = await boot(100, 4 * 1024 * 1024, true, async (api) => {
    const warmUp = (await api.get('warmUp', { reference: true })) as ivm.Reference<(rows: number) => void>;
    await warmUp.apply(undefined, [500]);
  });
  try {
    const names = await b.globals();
    assert.ok(!names.some((n) => /plotbox|warm/i.test(n)), names.join());
    await b.run('fig = px.histogram(df, { x: "price" })');
    assert.equal((await b.serialize()).ok, true);
  } finally {
    b.isolate.dispose();
  }
});

test('run() is execute() then serialize() in one call: the figure, what the code threw, or no figure', async () => {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  try {
    const context = await isolate.createContext();
    await context.global.set('__plotbox_lockdown', true);
    await (await isolate.compileScript(bundle)).run(context);
    const bootRef = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference<() => unknown>;
    const api = (await bootRef.apply(undefined, [], { result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
    const fn = async (name: string): Promise<ivm.Reference<(...args: unknown[]) => unknown>> => (await api.get(name, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
    const [bind, prepare, runRef, serialize] = await Promise.all(['bind', 'prepare', 'run', 'serialize'].map(fn));
    if (!bind || !prepare || !runRef || !serialize) throw new Error('runtime API incomplete');
    await bind.apply(undefined, [new ivm.ExternalCopy(createSalesPayload(200)).copyInto(), new ivm.ExternalCopy({ shared: true }).copyInto()]);
    const once = async (code: string, maxBytes?: number): Promise<Thrown | SerializeResult> => {
      await prepare.apply(undefined, [new ivm.ExternalCopy({ seed: [5, 6, 7, 8] }).copyInto()]);
      return (await runRef.apply(undefined, maxBytes === undefined ? [code, 'n1'] : [code, 'n1', maxBytes], { timeout: 2000, result: { copy: true } })) as Thrown | SerializeResult;
    };
    const ok = await once('fig = px.bar(df, { x: "region", y: "units", agg: "sum" });');
    assert.ok('ok' in ok && ok.ok, JSON.stringify(ok));
    assert.equal((JSON.parse(ok.json) as { data: { type: string }[] }).data[0]?.type, 'bar');
    const thrown = await once('throw new RangeError("nope")');
    assert.ok('thrown' in thrown && thrown.thrown === 'error' && thrown.name === 'RangeError' && thrown.message === 'nope', JSON.stringify(thrown));
    // A run whose code threw has no figure to serialize afterwards either.
    assert.equal(((await serialize.apply(undefined, [], { result: { copy: true } })) as SerializeResult).ok, false);
    const none = await once('const x = 1;');
    assert.ok('ok' in none && !none.ok && none.code === 'SANDBOX_NO_FIGURE', JSON.stringify(none));
    const big = await once('fig = { data: [{ type: "bar", x: Array.from({ length: 5000 }, (_, i) => i) }] };', 1000);
    assert.ok('ok' in big && !big.ok && big.code === 'SANDBOX_OUTPUT_TOO_LARGE', JSON.stringify(big));
  } finally {
    isolate.dispose();
  }
});
