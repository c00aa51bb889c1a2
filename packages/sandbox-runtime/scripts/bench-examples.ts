// Scratch benchmark (not a test): the eight example charts on a generated sales dataset,
// in-process (createGlobals + new Function + serializeFigure) and in fresh isolates taken from a
// "warm pool" (isolate + context + bundle ready before the clock starts), with a breakdown.
// Usage: node --no-node-snapshot packages/sandbox-runtime/scripts/bench-examples.ts [rows=100000] [reps=9] [warmUpRows=0]
import ivm from 'isolated-vm';
import { readFile } from 'node:fs/promises';
// @ts-expect-error build.mjs is plain JavaScript without type declarations.
import { buildRuntime } from '../build.mjs';
import { createGlobals, EXAMPLE_CHARTS, serializeFigure } from '../src/index.ts';
import { createSalesPayload } from '../src/sales-fixture.ts';
import type { SerializeResult } from '../src/index.ts';

const rows = Number(process.argv[2] ?? 100_000);
const reps = Number(process.argv[3] ?? 9);
// Rows for the pool-time JIT warm-up (the runtime API's `warmUp`); 0 = none.
const warm = Number(process.argv[4] ?? 0);
const maxBytes = 4 * 1024 * 1024;
const payload = createSalesPayload(rows);
const bundle = await readFile((await buildRuntime()) as string, 'utf8');
const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1] as number;
const now = (): number => performance.now();

function inProcess(code: string): { ms: number; bytes: number } {
  const t0 = now();
  const g = createGlobals(payload);
  const f = new Function('df', 'aq', 'op', 'data', 'px', `let fig;\n${code}\nreturn fig;`) as (...a: unknown[]) => unknown;
  const r = serializeFigure(f(g.df, g.aq, g.op, g.data, g.px), maxBytes);
  const ms = now() - t0;
  if (!r.ok) throw new Error(r.message);
  return { ms, bytes: r.json.length };
}

const datasetCopy = new ivm.ExternalCopy(payload); // kept per dataset by the worker
const compiledBundle = await new ivm.Isolate({ memoryLimit: 64 }).compileScript(bundle, { produceCachedData: true });
const cachedData = (compiledBundle as ivm.Script & ivm.CachedDataResult).cachedData;

type Api = Record<'bind' | 'prepare' | 'execute' | 'serialize' | 'warmUp', ivm.Reference<(...args: unknown[]) => unknown>>;

async function warmIsolate(): Promise<{ isolate: ivm.Isolate; api: Api }> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 + Math.ceil((rows * 80) / 1e6) });
  const context = await isolate.createContext();
  const script = await isolate.compileScript(bundle, cachedData === undefined ? {} : { cachedData });
  await script.run(context);
  const boot = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference<() => unknown>;
  const ref = (await boot.apply(undefined, [], { result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
  const names = ['bind', 'prepare', 'execute', 'serialize', 'warmUp'] as const;
  const refs = await Promise.all(names.map((n) => ref.get(n, { reference: true })));
  const api = Object.fromEntries(names.map((n, i) => [n, refs[i]])) as Api;
  if (warm > 0) await api.warmUp.apply(undefined, [warm]);
  return { isolate, api };
}

async function inIsolate(code: string): Promise<{ ms: number; copy: number; boot: number; run: number; out: number }> {
  const { isolate, api } = await warmIsolate();
  try {
    const t0 = now();
    await api.bind.apply(undefined, [datasetCopy.copyInto(), new ivm.ExternalCopy({ shared: false }).copyInto()]);
    const t1 = now();
    await api.prepare.apply(undefined, [new ivm.ExternalCopy({ maxBytes }).copyInto()]);
    const t2 = now();
    const thrown = await api.execute.apply(undefined, [code, 'bench'], { timeout: 2000, result: { copy: true } });
    if (thrown !== undefined) throw new Error(JSON.stringify(thrown));
    const t3 = now();
    const r = (await api.serialize.apply(undefined, [], { result: { copy: true }, timeout: 2000 })) as SerializeResult;
    const t4 = now();
    if (!r.ok) throw new Error(r.message);
    JSON.parse(r.json);
    return { ms: t4 - t0, copy: t1 - t0, boot: t2 - t1, run: t3 - t2, out: t4 - t3 };
  } finally {
    isolate.dispose();
  }
}

console.log(`rows=${rows} reps=${reps} warmUp=${warm} (medians, ms)`);
console.log('| chart | in-process | isolate (fresh, warm pool) | ratio | copy-in | boot | code | serialize+copy-out | JSON bytes |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const example of EXAMPLE_CHARTS) {
  const a: number[] = [];
  const b: { ms: number; copy: number; boot: number; run: number; out: number }[] = [];
  let bytes = 0;
  inProcess(example.code); // warm the JIT, as a long-lived process would be
  for (let i = 0; i < reps; i++) {
    const r = inProcess(example.code);
    a.push(r.ms);
    bytes = r.bytes;
    b.push(await inIsolate(example.code));
  }
  const pick = (k: 'ms' | 'copy' | 'boot' | 'run' | 'out'): number => median(b.map((x) => x[k]));
  const ip = median(a);
  const iso = pick('ms');
  console.log(
    `| ${example.name} | ${ip.toFixed(1)} | ${iso.toFixed(1)} | ${(iso / ip).toFixed(2)} | ${pick('copy').toFixed(2)} | ${pick('boot').toFixed(2)} | ${pick('run').toFixed(1)} | ${pick('out').toFixed(2)} | ${bytes} |`,
  );
}
