// The isolate bundle's arquero (patches/arquero-patches.mjs: seeded sampling made faster) against
// arquero's own modules: the same rows, in the same order, for many seeds, table sizes, sample
// sizes and options, and the same random stream afterwards. Once on arquero bundled with the
// patches and imported here, once through the real dist bundle in an isolated-vm isolate; and the
// build's guard, which must refuse an arquero whose patched files are not the expected text.
// Needs node --no-node-snapshot for isolated-vm (scripts/run-tests.ts passes it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';
import ivm from 'isolated-vm';
import * as original from 'arquero';
// @ts-expect-error build.mjs is plain JavaScript without type declarations.
import { buildRuntime } from '../build.mjs';
// @ts-expect-error arquero-patches.mjs is plain JavaScript without type declarations.
import { arqueroPatches } from '../patches/arquero-patches.mjs';
import { seededRandom } from './seeded-random.ts';
import type { SerializeResult } from './serialize-figure.ts';

type Arquero = typeof original;

/** arquero's `seed`, which takes null (and anything else) to mean "back to Math.random". */
const unseed = (aq: Arquero, value: unknown = null): void => (aq.seed as (v: unknown) => void)(value);

const ARQUERO_DIR = dirname(createRequire(import.meta.url).resolve('arquero/package.json'));

let dir = '';
let patched: Arquero;
let runtime = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plotbox-arquero-patch-'));
  const outfile = join(dir, 'arquero-patched.mjs');
  // arquero as the isolate bundle resolves it, as an ES module this process can import.
  await build({
    entryPoints: [join(ARQUERO_DIR, 'src/index.js')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    plugins: [arqueroPatches()],
  });
  patched = (await import(pathToFileURL(outfile).href)) as Arquero;
  runtime = await readFile((await buildRuntime({ outfile: join(dir, 'runtime.js') })) as string, 'utf8');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A table of `n` rows whose column `i` is the row index, `w` a weight and `g` a group. */
function rowsTable(aq: Arquero, n: number): ReturnType<Arquero['table']> {
  const random = seededRandom(n + 1);
  return aq.table({ i: Int32Array.from({ length: n }, (_, k) => k), w: Float64Array.from({ length: n }, () => random()), g: Array.from({ length: n }, (_, k) => `g${(k * 7) % 5}`) });
}

interface Case {
  readonly seed: number;
  readonly rows: number;
  readonly size: number;
  readonly options: { replace?: boolean; shuffle?: boolean; weight?: string };
  /** What is sampled: the table, a groupby of it, a filtered or ordered view. */
  readonly view: 'plain' | 'grouped' | 'filtered' | 'ordered';
}

/** The sampled row indices, then three numbers drawn after it (the generator's state carries on). */
function runCase(aq: Arquero, table: ReturnType<Arquero['table']>, c: Case): number[] {
  aq.seed(c.seed);
  const source = c.view === 'grouped' ? table.groupby('g') : c.view === 'filtered' ? table.filter((d: { i: number }) => d.i % 3 !== 1) : c.view === 'ordered' ? table.orderby(aq.desc('w')) : table;
  const rows = Array.from(source.sample(c.size, c.options).array('i') as ArrayLike<number>);
  return [...rows, aq.op.random(), aq.op.random(), aq.op.random()];
}

function cases(count: number, seed: number): Case[] {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const out: Case[] = [];
  for (let k = 0; k < count; k++) {
    const rows = pick([0, 1, 2, 3, 10, 97, 1000, 5000, 20_000, 100_000]);
    const size = pick([0, 1, 2, Math.floor(rows / 2), rows - 1, rows, rows + 3, 5000, Math.floor(random() * (rows + 10))]);
    // Integers of every sign and size, fractions (taken as a fraction of 2^32), and non-integers.
    const s = pick([Math.floor(random() * 2 ** 32) - 2 ** 31, Math.floor(random() * 100), random(), random() * 1e12, -random() * 1e6, 42]);
    const options = pick<Case['options']>([{}, { replace: true }, { shuffle: false }, { replace: true, shuffle: false }, { weight: 'w' }, { weight: 'w', replace: true }]);
    out.push({ seed: s, rows, size: Math.max(0, size), options, view: pick(['plain', 'plain', 'grouped', 'filtered', 'ordered'] as const) });
  }
  return out;
}

test('patched arquero samples exactly the rows, in the order, that arquero does, and leaves the same random stream', () => {
  const tables = new Map<number, [ReturnType<Arquero['table']>, ReturnType<Arquero['table']>]>();
  for (const c of cases(600, 7)) {
    let pair = tables.get(c.rows);
    if (pair === undefined) tables.set(c.rows, (pair = [rowsTable(original, c.rows), rowsTable(patched, c.rows)]));
    assert.deepEqual(runCase(patched, pair[1], c), runCase(original, pair[0], c), JSON.stringify(c));
  }
});

test('patched sampling matches past 2^21 rows and at many sample sizes of one large table', () => {
  // Past 2^21 rows the reservoir's products i·u are rounded; every block bound is exercised.
  const n = 2_500_000;
  const a = rowsTable(original, n);
  const b = rowsTable(patched, n);
  for (const [s, size] of [
    [1, 10],
    [-123456789, 5000],
    [0.5, 100_000],
    [987654321, 1_200_000],
  ] as const) {
    const c: Case = { seed: s, rows: n, size, options: {}, view: 'plain' };
    assert.deepEqual(runCase(patched, b, c), runCase(original, a, c), JSON.stringify(c));
  }
});

test('op.random and sampling without a seed (Math.random, looked up when seeding) behave as arquero', () => {
  const saved = Math.random;
  try {
    for (const aq of [original, patched]) assert.equal(typeof aq.op.random(), 'number');
    const draws: number[][] = [];
    for (const aq of [original, patched]) {
      // A deterministic Math.random, installed before seed(null): both read it then.
      Math.random = seededRandom(99);
      unseed(aq);
      const t = rowsTable(aq, 1000);
      draws.push([...Array.from(t.sample(50).array('i') as ArrayLike<number>), aq.op.random(), ...Array.from(t.sample(5, { replace: true }).array('i') as ArrayLike<number>)]);
      unseed(aq, Number.NaN);
      draws.push([aq.op.random()]);
      unseed(aq, Infinity);
      draws.push([aq.op.random()]);
      unseed(aq, undefined);
      draws.push([aq.op.random()]);
      // A seed given as a string or an object with valueOf is coerced as arquero does.
      unseed(aq, '17');
      draws.push([aq.op.random(), aq.op.random()]);
      unseed(aq, { valueOf: () => 3 });
      draws.push([aq.op.random()]);
    }
    const half = draws.length / 2;
    assert.deepEqual(draws.slice(half), draws.slice(0, half));
  } finally {
    Math.random = saved;
    unseed(original);
    unseed(patched);
  }
});

test('an index whose reads draw numbers (a Proxy in _index) gets the same sample as arquero', () => {
  // The inline loops hold the generator's state in a local; a read that draws from it must take the original loop.
  const results: number[][] = [];
  for (const aq of [original, patched]) {
    const t = rowsTable(aq, 3000) as unknown as { _index: unknown; sample(n: number): { array(name: string): ArrayLike<number> } };
    const inner = Array.from({ length: 3000 }, (_, k) => k);
    t._index = new Proxy(inner, {
      get: (target, key, receiver) => (typeof key === 'string' && /^\d+$/.test(key) ? (aq.op.random(), Reflect.get(target, key, receiver)) : Reflect.get(target, key, receiver)),
    });
    aq.seed(5);
    results.push([...Array.from(t.sample(200).array('i')), aq.op.random()]);
  }
  assert.deepEqual(results[1], results[0]);
});

test('the build refuses an arquero whose patched file is not the expected text, or a bundle without it', async () => {
  const copy = join(dir, 'arquero-copy');
  await cp(join(ARQUERO_DIR, 'src'), join(copy, 'src'), { recursive: true });
  const entry = join(copy, 'src/index.js');
  // arquero's own dependencies stay imports: only its modules are bundled from the copy.
  const options: BuildOptions = { entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'browser', packages: 'external', external: ['node:*'], logLevel: 'silent' };
  // The unchanged copy builds (the guard is what fails below, nothing else).
  await build({ ...options, plugins: [arqueroPatches({ root: copy })] });
  const file = join(copy, 'src/util/random.js');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace('0x19660D', '0x19660F'));
  await assert.rejects(build({ ...options, plugins: [arqueroPatches({ root: copy })] }), /src\/util\/random\.js is not the text/);
  await writeFile(file, text);
  // A bundle that no longer loads a patched module (arquero moved or renamed it) fails too.
  await writeFile(join(copy, 'bitset-only.js'), "export { BitSet } from './src/table/BitSet.js';\n");
  await assert.rejects(build({ ...options, entryPoints: [join(copy, 'bitset-only.js')], plugins: [arqueroPatches({ root: copy })] }), /arquero patches not applied/);
});

test('the isolate bundle samples the rows arquero does, for many seeds and sizes', async (t) => {
  const rows = 30_000;
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  t.after(() => isolate.dispose());
  const context = await isolate.createContext();
  await context.global.set('__plotbox_lockdown', true);
  await (await isolate.compileScript(runtime)).run(context);
  const bootRef = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference<() => unknown>;
  const api = (await bootRef.apply(undefined, [], { result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
  const fn = async (name: string): Promise<ivm.Reference<(...args: unknown[]) => unknown>> => (await api.get(name, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
  const [bind, prepare, run] = await Promise.all([fn('bind'), fn('prepare'), fn('run')]);
  const payload = { rowCount: rows, columns: [{ name: 'i', kind: 'int', values: Int32Array.from({ length: rows }, (_, k) => k) }] };
  await bind.apply(undefined, [new ivm.ExternalCopy(payload).copyInto(), new ivm.ExternalCopy({ shared: true }).copyInto()]);
  const random = seededRandom(11);
  const specs: { seed: number; size: number; options: Case['options'] }[] = [];
  for (let k = 0; k < 36; k++) {
    const options = [{}, { replace: true }, { shuffle: false }][k % 3] as Case['options'];
    specs.push({ seed: k % 5 === 0 ? random() : Math.floor(random() * 2 ** 32) - 2 ** 31, size: [1, 100, 1000, 5000, 29_999, 30_001][k % 6] as number, options });
  }
  // Analyst code: each spec's sample of df, and a draw after it, as JSON in the title.
  const code = `const out = []; for (const s of ${JSON.stringify(specs)}) { aq.seed(s.seed); out.push([...df.sample(s.size, s.options).array('i'), op.random()]); } fig = { data: [], layout: { title: { text: JSON.stringify(out) } } };`;
  await prepare.apply(undefined, [new ivm.ExternalCopy({ seed: [1, 2, 3, 4], maxBytes: 64 * 1024 * 1024 }).copyInto()]);
  const result = (await run.apply(undefined, [code, 'patch'], { timeout: 60_000, result: { copy: true } })) as SerializeResult | { thrown: string; message?: string };
  assert.ok('ok' in result && result.ok, JSON.stringify(result).slice(0, 500));
  const inIsolate = JSON.parse((JSON.parse(result.json) as { layout: { title: { text: string } } }).layout.title.text) as number[][];
  const table = original.table({ i: Int32Array.from({ length: rows }, (_, k) => k) });
  specs.forEach((s, k) => {
    original.seed(s.seed);
    const expected = [...Array.from(table.sample(s.size, s.options).array('i') as ArrayLike<number>), original.op.random()];
    assert.deepEqual(inIsolate[k], expected, JSON.stringify(s));
  });
  unseed(original);
});
