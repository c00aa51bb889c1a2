// Isolate start per runtime (arquero, danfo), three ways of getting the runtime bundle into a new
// isolate, each measured in a child process of its own (a snapshot of a locked-down realm aborts
// the process that uses it):
//   plain       compile the bundle from source, run it (ses lockdown first), boot;
//   code cache  the same with V8 code cache this process made from the bundle (what the pool does);
//   snapshot    `ivm.Isolate.createSnapshot` of the bundle, made here at start, then a new isolate
//               from it (the bundle already evaluated), boot.
// All from Plotbox's own bundles; never a snapshot or cached data from outside.
//   node --no-node-snapshot bench/isolate-start.ts <arquero|danfo> <plain|cache|snapshot|snapshot-unlocked> [n]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ivm from 'isolated-vm';
import { fmt, printTable } from './data.ts';

const RUNTIMES = ['arquero', 'danfo'] as const;
const METHODS = ['plain', 'cache', 'snapshot', 'snapshot-unlocked'] as const;
type Runtime = (typeof RUNTIMES)[number];
type Method = (typeof METHODS)[number];

function bundleOf(runtime: Runtime): string {
  const file = runtime === 'danfo' ? '@plotbox/sandbox-runtime/dist/danfo-runtime.js' : '@plotbox/sandbox-runtime/dist/runtime.js';
  return readFileSync(fileURLToPath(import.meta.resolve(file)), 'utf8');
}

/** Takes the runtime's API the way isolate-pool.ts does: proof that the bundle booted. */
async function boot(context: ivm.Context): Promise<void> {
  const ref = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference<() => unknown>;
  if (ref.typeof !== 'function') throw new Error('no __plotbox_boot');
  const api = (await ref.apply(undefined, [], { result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
  if (api.typeof !== 'object') throw new Error('boot returned no API');
}

/** Mean ms per isolate of `n` starts (after one unmeasured start), in this process. */
async function measure(runtime: Runtime, method: Method, n: number): Promise<number> {
  const source = bundleOf(runtime);
  const filename = `plotbox-${runtime}.js`;
  let start: () => Promise<void>;
  if (method === 'snapshot' || method === 'snapshot-unlocked') {
    const lock = method === 'snapshot' ? [{ code: 'globalThis.__plotbox_lockdown = true;' }] : [];
    const snapshot = ivm.Isolate.createSnapshot([...lock, { code: source, filename }]);
    start = async () => {
      const isolate = new ivm.Isolate({ memoryLimit: 384, snapshot });
      await boot(await isolate.createContext());
      isolate.dispose();
    };
  } else {
    let cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
    if (method === 'cache') {
      // As isolate-pool.ts: run the bundle, then compile it again to get cache with its functions.
      const isolate = new ivm.Isolate({ memoryLimit: 384 });
      const context = await isolate.createContext();
      await context.global.set('__plotbox_lockdown', true);
      await (await isolate.compileScript(source, { filename })).run(context);
      cachedData = ((await isolate.compileScript(source, { filename, produceCachedData: true })) as ivm.Script & ivm.CachedDataResult).cachedData;
      isolate.dispose();
    }
    start = async () => {
      const isolate = new ivm.Isolate({ memoryLimit: 384 });
      const context = await isolate.createContext();
      await context.global.set('__plotbox_lockdown', true);
      const script = (await isolate.compileScript(source, { filename, ...(cachedData ? { cachedData } : {}) })) as ivm.Script & { cachedDataRejected?: boolean };
      if (script.cachedDataRejected === true) throw new Error('code cache rejected');
      await script.run(context);
      await boot(context);
      isolate.dispose();
    };
  }
  await start();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await start();
  return (performance.now() - t0) / n;
}

export interface IsolateStart {
  readonly runtime: Runtime;
  readonly method: Method;
  /** ms per isolate, or why there is no number. */
  readonly ms: number | string;
}

/** Every runtime × method, each in a child process. */
export function isolateStarts(n: number): IsolateStart[] {
  const out: IsolateStart[] = [];
  for (const runtime of RUNTIMES) {
    for (const method of METHODS) {
      const child = spawnSync(process.execPath, ['--no-node-snapshot', fileURLToPath(import.meta.url), runtime, method, String(n)], { encoding: 'utf8', timeout: 120_000 });
      const m = /^ms (\d+(?:\.\d+)?)$/m.exec(child.stdout);
      if (m !== null) out.push({ runtime, method, ms: Number(m[1]) });
      // A locked-down realm in a snapshot: V8 fails a CHECK bootstrapping the new context over the
      // frozen intrinsics (Object::AddDataProperty) and aborts the process.
      else
        out.push({ runtime, method, ms: child.signal !== null ? `process aborts (${child.signal}${/Check failed/.test(child.stderr) ? ', V8 CHECK' : ''})` : `failed (exit ${String(child.status)})` });
    }
  }
  return out;
}

/** Prints the table (`npm run bench -- runner` calls this after the runner table). */
export function printIsolateStarts(n: number): void {
  const rows = isolateStarts(n);
  const cell = (r: IsolateStart | undefined): string => (r === undefined ? '—' : typeof r.ms === 'number' ? fmt(r.ms) : r.ms);
  printTable(
    `Isolate start per runtime, ms per isolate (mean of ${n}, lockdown on unless said; boot = the bundle evaluated and its API taken; a child process per cell)`,
    ['runtime', 'plain', 'code cache (used)', 'snapshot', 'snapshot, not locked down'],
    RUNTIMES.map((runtime) => [runtime, ...(['plain', 'cache', 'snapshot', 'snapshot-unlocked'] as const).map((m) => cell(rows.find((r) => r.runtime === runtime && r.method === m)))]),
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [runtime, method, n] = process.argv.slice(2);
  if (!RUNTIMES.includes(runtime as Runtime) || !METHODS.includes(method as Method)) {
    if (process.argv.length <= 2) printIsolateStarts(10);
    else {
      console.error('usage: bench/isolate-start.ts [<arquero|danfo> <plain|cache|snapshot|snapshot-unlocked> [n]]');
      process.exitCode = 2;
    }
  } else {
    console.log(`ms ${(await measure(runtime as Runtime, method as Method, Number(n ?? 10))).toFixed(2)}`);
  }
}
