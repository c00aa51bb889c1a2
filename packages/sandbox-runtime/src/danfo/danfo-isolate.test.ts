// The danfo runtime bundle (build-danfo.mjs) in real isolated-vm isolates, locked down as the
// sandbox runs it: ses's lockdown succeeds with danfo and tfjs loaded after it, a run's globals are
// df (a danfo DataFrame), dfd, data and px (no aq, op, tfjs engine or host names), the eight
// benchmark charts written the danfo way draw the same numbers as their arquero versions, and
// nothing a run does to its df reaches the next run. Needs node --no-node-snapshot.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ivm from 'isolated-vm';
// @ts-expect-error build.mjs is plain JavaScript without type declarations.
import { buildRuntime } from '../../build.mjs';
// @ts-expect-error build-danfo.mjs is plain JavaScript without type declarations.
import { buildDanfoRuntime } from '../../build-danfo.mjs';
import { EXAMPLE_CHARTS } from '../examples.ts';
import { RUN_REMOVED_GLOBALS } from '../run-realm.ts';
import { createSalesPayload } from '../sales-fixture.ts';
import type { SerializeResult } from '../serialize-figure.ts';
import type { Thrown } from '../isolate-entry.ts';
import { DANFO_EXAMPLE_CHARTS } from './examples.ts';

let dir = '';
let danfoBundle = '';
let arqueroBundle = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plotbox-danfo-runtime-'));
  const [danfo, arquero] = (await Promise.all([buildDanfoRuntime({ outfile: join(dir, 'danfo-runtime.js') }), buildRuntime({ outfile: join(dir, 'runtime.js') })])) as [string, string];
  [danfoBundle, arqueroBundle] = await Promise.all([readFile(danfo, 'utf8'), readFile(arquero, 'utf8')]);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Booted {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  /** Prepares a fresh run, executes `code`, serializes `fig`; rejects with what the code threw. */
  figure(code: string): Promise<Figure>;
  /** Runs `expr` as a chart and returns it as the figure's title. */
  value(expr: string): Promise<string>;
}

interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** Boots a bundle the way the sandbox does for a pooled isolate: lockdown, boot, bind, the host's HARDEN. */
async function boot(bundle: string, rows: number): Promise<Booted> {
  const isolate = new ivm.Isolate({ memoryLimit: 256 });
  const context = await isolate.createContext();
  await context.global.set('__plotbox_lockdown', true);
  await (await isolate.compileScript(bundle)).run(context, { timeout: 10_000 });
  const bootRef = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference<() => unknown>;
  const api = (await bootRef.apply(undefined, [], { result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
  const fn = async (name: string): Promise<ivm.Reference<(...args: unknown[]) => unknown>> => (await api.get(name, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
  const [bind, prepare, execute, serialize, end] = await Promise.all(['bind', 'prepare', 'execute', 'serialize', 'end'].map(fn));
  if (!bind || !prepare || !execute || !serialize || !end) throw new Error('runtime API incomplete');
  // What isolate-pool.ts runs in the start compartment before any analyst code.
  await context.eval(
    `(() => { const g = globalThis; for (const n of ['Proxy', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry', 'WeakRef', 'eval']) { try { delete g[n]; } catch {} } Object.freeze(g); })();`,
  );
  await bind.apply(undefined, [new ivm.ExternalCopy(createSalesPayload(rows)).copyInto(), new ivm.ExternalCopy({ shared: false }).copyInto()]);
  const figure = async (code: string): Promise<Figure> => {
    await end.apply(undefined, []);
    await prepare.apply(undefined, [new ivm.ExternalCopy({ maxBytes: 16 << 20, seed: [1, 2, 3, 4] }).copyInto()], { timeout: 10_000 });
    const thrown = (await execute.apply(undefined, [code, 'test'], { timeout: 10_000, result: { copy: true } })) as Thrown | undefined;
    if (thrown !== undefined) throw new Error(thrown.thrown === 'error' ? `${thrown.name}: ${thrown.message}` : 'non-error thrown');
    const r = (await serialize.apply(undefined, [], { result: { copy: true }, timeout: 10_000 })) as SerializeResult;
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    return JSON.parse(r.json) as Figure;
  };
  const value = async (expr: string): Promise<string> => {
    const fig = await figure(`fig = { data: [], layout: { title: { text: String(${expr}) } } };`);
    return (fig.layout['title'] as { text: string }).text;
  };
  return { isolate, context, figure, value };
}

test('lockdown succeeds with danfo and tfjs loaded after it; the start compartment keeps only ses names and the boot (tfjs engine hidden)', async () => {
  const isolate = new ivm.Isolate({ memoryLimit: 256 });
  try {
    const context = await isolate.createContext();
    const before = (await context.eval('Object.getOwnPropertyNames(globalThis).join()')) as string;
    await context.global.set('__plotbox_lockdown', true);
    await (await isolate.compileScript(danfoBundle)).run(context, { timeout: 10_000 });
    const added = ((await context.eval(`Object.getOwnPropertyNames(globalThis).filter(n => !${JSON.stringify(before.split(','))}.includes(n)).join()`)) as string).split(',').sort();
    assert.deepEqual(added, ['Compartment', '__plotbox_boot', '_tfGlobals', '_tfengine', 'assert', 'getStackString', 'harden', 'lockdown', 'repairIntrinsics']);
    assert.equal(await context.eval('Object.isFrozen(Object.prototype) && Object.isFrozen(Array.prototype) && Object.isFrozen(Intl) && Object.isFrozen(Math)'), true);
    // tfjs's engine stays a working object behind an accessor (a frozen engine would fail its first tensor).
    assert.equal(await context.eval('"get" in Object.getOwnPropertyDescriptor(globalThis, "_tfengine") && !Object.isFrozen(_tfengine)'), true);
    assert.equal(await context.eval('typeof self'), 'undefined', 'the temporary `self` tfjs looked for is gone');
  } finally {
    isolate.dispose();
  }
});

test('a run has df (a danfo DataFrame of every column), dfd, data and px; no aq, op, tfjs engine or removed built-ins; the shared objects are frozen', async () => {
  const b = await boot(danfoBundle, 300);
  try {
    assert.equal(
      await b.value('[typeof df, typeof dfd, typeof data, typeof px, typeof aq, typeof op, typeof _tfengine, typeof _tfGlobals, typeof self, typeof dfd.tensorflow, typeof dfd.readCSV].join()'),
      'object,object,object,object,undefined,undefined,undefined,undefined,undefined,undefined,undefined',
    );
    assert.equal(await b.value('df instanceof dfd.DataFrame && df.shape.join("x") + ":" + df.columns.join("|")'), '300x6:date|region|product|units|price|cost');
    const names = JSON.parse(await b.value('JSON.stringify(Object.getOwnPropertyNames(globalThis))')) as string[];
    for (const name of ['df', 'dfd', 'data', 'px', 'fig', 'Math', 'Date', 'JSON', 'Intl']) assert.ok(names.includes(name), name);
    for (const name of [...RUN_REMOVED_GLOBALS, 'aq', 'op', '__plotbox_boot', 'process', 'require', 'self']) assert.ok(!names.includes(name), name);
    assert.equal(
      await b.value('[dfd, dfd.DataFrame, dfd.DataFrame.prototype, dfd.Series.prototype, px, Object.getPrototypeOf(df), Object.getPrototypeOf(df["units"]), Object.prototype].every(Object.isFrozen)'),
      'true',
    );
    await assert.rejects(b.figure('dfd.DataFrame.prototype.leak = 1;'), /not extensible|read.only|Cannot/);
    await assert.rejects(b.figure('dfd.sum = 1;'), /not extensible|read.only|Cannot/);
    // Instances still take their own properties (the override mistake, repaired for danfo's classes).
    assert.equal(await b.value('(() => { const s = new dfd.Series([1, 2]); s.print = 5; return s.print; })()'), '5');
    assert.equal(await b.value('Date.now() > 1e12 && Math.random() < 1'), 'true');
  } finally {
    b.isolate.dispose();
  }
});

test('danfo computes after lockdown: group sums, Series statistics, tensors, merge, string and date accessors', async () => {
  const b = await boot(danfoBundle, 500);
  try {
    const payload = createSalesPayload(500);
    const units = payload.columns.find((c) => c.name === 'units');
    assert.ok(units && units.kind === 'int');
    const total = units.values.reduce((a, c) => a + c, 0);
    assert.equal(await b.value('df["units"].sum()'), String(total));
    assert.equal(await b.value('df.groupby(["region"]).col(["units"]).sum()["units_sum"].sum()'), String(total));
    const sorted = [...units.values].sort((x, y) => x - y);
    assert.equal(await b.value('df["units"].median()'), String(((sorted[249] as number) + (sorted[250] as number)) / 2));
    const mean = total / 500;
    const sd = Math.sqrt(units.values.reduce((a, c) => a + (c - mean) ** 2, 0) / 499);
    assert.equal(Number(await b.value('df["units"].std()')).toFixed(9), sd.toFixed(9));
    assert.equal(await b.value('df.loc({ columns: ["units", "price"] }).tensor.shape.join("x")'), '500x2');
    assert.equal(await b.value('new dfd.Series([1, 2, 3]).tensor.sum().arraySync()'), '6');
    assert.equal(
      await b.value('dfd.merge({ left: new dfd.DataFrame({ k: ["a", "b"], x: [1, 2] }), right: new dfd.DataFrame({ k: ["b", "a"], y: [3, 4] }), on: ["k"], how: "inner" }).shape.join("x")'),
      '2x3',
    );
    assert.equal(await b.value('df["date"].str.slice(0, 4).values[0]'), '2024');
    assert.equal(await b.value('dfd.toDateTime(new dfd.Series(["2024-03-01"])).month().values[0]'), '2');
    assert.equal(await b.value('df.describe().columns.join()'), 'units,price,cost');
  } finally {
    b.isolate.dispose();
  }
});

/** Per example: a function that reads the numbers of its figure that the two versions must agree on. */
const SAME_NUMBERS: Record<string, (fig: Figure) => unknown> = {
  bar_units_by_region: (f) => pairs(f.data[0], 'x', 'y'),
  line_daily_revenue: (f) => pairs(f.data[0], 'x', 'y', 6),
  hist_price: (f) => f.data.map((t) => t['y'] ?? t['x']),
  box_price_by_region: (f) => f.data.map((t) => [t['median'], t['q1'], t['q3']]),
  corr_heatmap: (f) => (f.data[0]?.['z'] as number[][]).map((row) => row.map((v) => v.toFixed(9))),
  top10_products: (f) => pairs(f.data[0], 'y', 'x'),
  pivot_region_month: (f) => cells(f.data[0]),
};

function pairs(trace: Record<string, unknown> | undefined, key: string, value: string, digits?: number): Record<string, unknown> {
  const keys = (trace?.[key] ?? []) as string[];
  const values = (trace?.[value] ?? []) as number[];
  return Object.fromEntries(keys.map((k, i) => [k, digits === undefined ? values[i] : Number(values[i]).toFixed(digits)]));
}

function cells(trace: Record<string, unknown> | undefined): Record<string, string> {
  const x = (trace?.['x'] ?? []) as string[];
  const y = (trace?.['y'] ?? []) as string[];
  const z = (trace?.['z'] ?? []) as (number | null)[][];
  const out: Record<string, string> = {};
  y.forEach((row, i) =>
    x.forEach((col, j) => {
      const v = z[i]?.[j];
      if (v !== null && v !== undefined) out[`${row}/${col}`] = v.toFixed(6);
    }),
  );
  return out;
}

test('the eight benchmark charts written the danfo way draw the same numbers as the arquero versions', async () => {
  const rows = 3000;
  const [danfo, arquero] = await Promise.all([boot(danfoBundle, rows), boot(arqueroBundle, rows)]);
  try {
    assert.deepEqual(
      DANFO_EXAMPLE_CHARTS.map((c) => c.name),
      EXAMPLE_CHARTS.map((c) => c.name),
    );
    for (const example of DANFO_EXAMPLE_CHARTS) {
      const theirs = EXAMPLE_CHARTS.find((c) => c.name === example.name);
      assert.ok(theirs);
      const [d, a] = [await danfo.figure(example.code), await arquero.figure(theirs.code)];
      assert.equal(d.data[0]?.['type'], a.data[0]?.['type'], example.name);
      assert.equal((d.layout['title'] as { text: string }).text, (a.layout['title'] as { text: string }).text, example.name);
      const same = SAME_NUMBERS[example.name];
      if (same !== undefined) assert.deepEqual(same(d), same(a), example.name);
      else {
        // The scatter samples rows differently (every k-th row against arquero's seeded sample): same size and columns.
        const points = (f: Figure): number => f.data.reduce((n, t) => n + (t['x'] as unknown[]).length, 0);
        assert.equal(points(d), Math.min(5000, rows));
        assert.equal(points(a), Math.min(5000, rows));
      }
    }
  } finally {
    danfo.isolate.dispose();
    arquero.isolate.dispose();
  }
});

test('what a run does to its df stays in that run: the next run gets the whole, unchanged dataset', async () => {
  const b = await boot(danfoBundle, 200);
  try {
    const before = await b.value('df["units"].sum() + ":" + df.columns.join("|")');
    await b.figure('df.addColumn("units", df["units"].mul(0), { inplace: true }); df.drop({ columns: ["price"], inplace: true }); df.getColumnData[0][0] = "x"; fig = { data: [] };');
    assert.equal(await b.value('df["units"].sum() + ":" + df.columns.join("|")'), before);
    assert.equal(await b.value('df["date"].values[0] === data.date[0]'), 'true');
  } finally {
    b.isolate.dispose();
  }
});
