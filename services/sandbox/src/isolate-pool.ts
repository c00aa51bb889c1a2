import ivm from 'isolated-vm';

/** A fresh isolate with the runtime loaded and the context hardened, ready for exactly one run. */
export interface WarmIsolate {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  /** `__plotbox_boot`, removed from the global object before any analyst code can see it. */
  readonly boot: ivm.Reference<(payload: unknown, options: unknown) => unknown>;
  /** The V8 heap limit it was made with, MiB. */
  readonly memoryMb: number;
  /** Heap and external bytes in use once the runtime is loaded, before any dataset (measured). */
  readonly baseBytes: number;
  /**
   * A full garbage collection of this isolate, for the host's memory check after a run (V8's `gc`,
   * taken off the global object before any analyst code; absent without `--expose-gc`).
   */
  readonly collect: ivm.Reference<() => void> | undefined;
  /**
   * Keeps what it is given alive for the isolate's life, out of reach of analyst code: holds the
   * run's memory ballast (execute.ts).
   */
  readonly hold: ivm.Reference<(value: unknown) => number>;
  /** Taken from the warm pool (true) or made on demand (false). */
  warm: boolean;
}

export interface IsolatePoolOptions {
  /** The bundled runtime script (packages/sandbox-runtime/dist/runtime.js). */
  readonly runtimeSource: string;
  /** How many warm isolates to keep ready. */
  readonly size: number;
  /** V8 heap limit of the warm isolates, MiB. Runs that need more get a cold isolate. */
  readonly memoryMb: number;
  /** Called when V8 reports it lost control of an isolate; the process must end. */
  readonly onCatastrophicError: (message: string) => void;
  /**
   * Trusted code run once in a throwaway isolate after the runtime, before the code cache is
   * made, so the cache holds bytecode for the functions a typical chart calls (not just the
   * bundle's top level). Given the booted globals, like a chart.
   */
  readonly warmUp?: { readonly payload: unknown; readonly scripts: readonly string[] };
  /**
   * Rows of synthetic data each pooled isolate's own hot paths run over before it is handed out
   * (the runtime's trusted `warmUp`), so a chart starts on optimised code instead of the
   * interpreter. 0 disables it. Costs CPU per isolate, off the request path.
   */
  readonly jitWarmUpRows?: number;
  /** Called with the number of ready isolates whenever the background refill adds one. */
  readonly onRefilled?: (ready: number) => void;
}

export interface IsolatePool {
  /** A warm isolate if one with enough memory is ready, else a new one made now. */
  take(memoryMb: number): Promise<WarmIsolate>;
  /** Top the pool up in the background; call when no run is in progress so it does not compete for CPU. */
  refill(): void;
  /** Number of warm isolates ready. */
  readonly ready: number;
  /** What a fresh isolate holds with the runtime loaded, bytes (measured on the last one made). */
  readonly baseBytes: number;
  /** Resolves once the pool is full (used for readiness); rejects if an isolate cannot be made. */
  filled(): Promise<void>;
  /** Dispose everything; the pool does not refill afterwards. */
  close(): void;
}

const RUNTIME_FILENAME = 'plotbox-runtime.js';

// With --expose-gc (the worker's flags) V8 puts a non-deletable, writable `gc` on every context's
// global object. The host keeps it (execute.ts uses it to settle whether a run ends over its memory
// budget) and the global is left holding nothing.
const TAKE_GC = `(() => {
  const g = typeof gc === 'function' ? gc : undefined;
  try { gc = undefined; } catch {}
  return g === undefined ? undefined : () => { g(); };
})()`;

// A closure that keeps whatever it is handed (it reads it, so V8 must keep it). Only the host holds
// a reference to it.
const HOLDER = `(() => { let held = null; return (value) => { held = value; return held === null ? 0 : 1; }; })()`;

// Run once per isolate after the runtime is loaded and before any analyst code: removes what can
// reach outside pure computation, allocate memory the limit does not count, or run analyst code
// outside the time limit (a thrown Proxy is inspected by isolated-vm after the run's timeout, and
// can spin forever; error-formatting hooks likewise). The runtime's boot removes its own set too;
// this is the host's own list, so it holds whatever the runtime does.
const HARDEN = `(() => {
  const g = globalThis;
  for (const name of ['Proxy', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry', 'WeakRef', 'eval']) {
    try { delete g[name]; } catch {}
  }
  Object.defineProperty(Error, 'prepareStackTrace', { value: undefined, writable: false, configurable: false });
  Object.defineProperty(Error, 'captureStackTrace', { value: undefined, writable: false, configurable: false });
  Object.defineProperty(Error, 'stackTraceLimit', { value: 10, writable: false, configurable: false });
})();`;

/**
 * A pool of single-use isolates. Each has the runtime compiled (from V8 code cache produced here,
 * never taken from outside) and evaluated, so a run only pays for copying its data in.
 */
export function createIsolatePool(options: IsolatePoolOptions): IsolatePool {
  if (!options.runtimeSource) throw new Error('runtimeSource is required');
  if (!Number.isInteger(options.size) || options.size < 0) throw new Error('size must be a whole number');
  if (!(options.memoryMb >= 8)) throw new Error('memoryMb must be at least 8');

  const warm: WarmIsolate[] = [];
  // A guess until the first isolate is measured (≈2.5 MiB with the arquero runtime).
  let baseBytes = 4 * 1024 * 1024;
  let cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
  let codeCache: Promise<ivm.ExternalCopy<ArrayBuffer> | undefined> | undefined;
  let closed = false;
  let filling: Promise<void> | undefined;
  const waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];

  /**
   * Produces V8 code cache for the runtime after exercising it: compiling the same source again in
   * the same isolate returns the already-compiled functions (V8's per-isolate compilation cache),
   * so the cache carries their bytecode and fresh isolates skip lazy compilation of everything a
   * chart touches. Made here, from our own bundle; never taken from outside.
   */
  async function buildCodeCache(): Promise<ivm.ExternalCopy<ArrayBuffer> | undefined> {
    const isolate = new ivm.Isolate({ memoryLimit: 512, onCatastrophicError: options.onCatastrophicError });
    try {
      const context = await isolate.createContext();
      const script = await isolate.compileScript(options.runtimeSource, { filename: RUNTIME_FILENAME });
      await script.run(context, { timeout: 10_000 });
      if (options.warmUp) {
        const boot = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
        const serialize = (await boot.apply(undefined, [new ivm.ExternalCopy(options.warmUp.payload).copyInto(), new ivm.ExternalCopy({ maxBytes: 64 << 20 }).copyInto()], {
          timeout: 10_000,
          result: { reference: true },
        })) as ivm.Reference<() => unknown>;
        for (const code of options.warmUp.scripts) {
          // Each chart in its own function scope (their top-level names would clash across scripts).
          await context.eval(`var fig = (() => { let fig;\n${code}\n; return fig; })();`, { timeout: 10_000 }).catch(() => undefined);
          await serialize.apply(undefined, [], { timeout: 10_000 }).catch(() => undefined);
        }
      }
      const again = (await isolate.compileScript(options.runtimeSource, { filename: RUNTIME_FILENAME, produceCachedData: true })) as ivm.Script & ivm.CachedDataResult;
      return again.cachedData;
    } finally {
      if (!isolate.isDisposed) isolate.dispose();
    }
  }

  const jitWarmUpRows = Math.max(0, Math.min(100_000, Math.floor(options.jitWarmUpRows ?? 0)));

  /** A new isolate with the runtime booted; `forPool` ones also warm their JIT (off the request path). */
  async function create(memoryMb: number, forPool: boolean): Promise<WarmIsolate> {
    cachedData ??= await (codeCache ??= buildCodeCache().catch(() => undefined));
    const isolate = new ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: options.onCatastrophicError });
    try {
      const context = await isolate.createContext();
      // The typings omit the cachedData fields compileScript adds to its result.
      const script = (await isolate.compileScript(options.runtimeSource, {
        filename: RUNTIME_FILENAME,
        ...(cachedData ? { cachedData } : { produceCachedData: true }),
      })) as ivm.Script & ivm.CachedDataResult;
      if (!cachedData && script.cachedData) cachedData = script.cachedData;
      await script.run(context, { timeout: 5000 });
      script.release();
      const boot = (await context.global.get('__plotbox_boot', { reference: true })) as WarmIsolate['boot'];
      if (boot.typeof !== 'function') throw new Error('runtime bundle did not define __plotbox_boot');
      if (forPool && jitWarmUpRows > 0) await context.eval(`__plotbox_boot.warmUp(${jitWarmUpRows})`, { timeout: 10_000 });
      await context.global.delete('__plotbox_boot');
      await context.eval(HARDEN, { timeout: 1000 });
      const gcRef = (await context.eval(TAKE_GC, { timeout: 1000, reference: true })) as ivm.Reference<(() => void) | undefined>;
      const collect = gcRef.typeof === 'function' ? (gcRef as ivm.Reference<() => void>) : undefined;
      const hold = (await context.eval(HOLDER, { timeout: 1000, reference: true })) as ivm.Reference<(value: unknown) => number>;
      const heap = await isolate.getHeapStatistics();
      baseBytes = heap.used_heap_size + heap.externally_allocated_size;
      return { isolate, context, boot, memoryMb, baseBytes, collect, hold, warm: false };
    } catch (err) {
      if (!isolate.isDisposed) isolate.dispose();
      throw err;
    }
  }

  function refill(): void {
    // Nothing to do must return here: an async body that never awaits would run its finally
    // before `filling` is assigned, leaving a settled promise there that blocks every later refill.
    if (closed || filling || warm.length >= options.size) return;
    filling = (async () => {
      await Promise.resolve();
      try {
        while (!closed && warm.length < options.size) {
          const entry = await create(options.memoryMb, true);
          if (closed) {
            entry.isolate.dispose();
            break;
          }
          entry.warm = true;
          warm.push(entry);
          options.onRefilled?.(warm.length);
        }
        filling = undefined;
        if (warm.length >= options.size || closed) for (const w of waiters.splice(0)) w.resolve();
      } catch (err) {
        // Reported to whoever waits for a full pool (the worker exits and is replaced); a run's
        // own take() makes its isolate itself and reports its own failure.
        filling = undefined;
        for (const w of waiters.splice(0)) w.reject(err);
      }
    })();
  }

  refill();

  return {
    async take(memoryMb: number): Promise<WarmIsolate> {
      if (closed) throw new Error('pool closed');
      let entry: WarmIsolate | undefined;
      if (memoryMb <= options.memoryMb) {
        while (warm.length > 0 && !entry) {
          const candidate = warm.shift();
          if (candidate && !candidate.isolate.isDisposed) entry = candidate;
        }
      }
      // No refill here: the caller refills once its run is over, so isolate creation does not
      // compete with the run for the CPU.
      return entry ?? create(Math.max(memoryMb, 8), false);
    },
    refill,
    get ready() {
      return warm.length;
    },
    get baseBytes() {
      return baseBytes;
    },
    filled(): Promise<void> {
      if (warm.length >= options.size) return Promise.resolve();
      refill();
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close(): void {
      closed = true;
      for (const entry of warm.splice(0)) if (!entry.isolate.isDisposed) entry.isolate.dispose();
      for (const w of waiters.splice(0)) w.resolve();
    },
  };
}
