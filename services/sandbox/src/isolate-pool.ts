import ivm from 'isolated-vm';

/**
 * An isolate with the runtime loaded and its realm locked down (ses `lockdown()`, run by the
 * bundle before anything else), ready to serve runs. A pooled isolate has no dataset yet; the
 * first run binds one (`boundSha`). With isolate reuse (worker.ts) it may then serve further runs
 * of the same tenant — each in a fresh compartment — until a limit or failure retires it.
 */
export interface WarmIsolate {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  /** The runtime's API (isolate-entry.ts `RuntimeApi`), taken before any analyst code ran; `__plotbox_boot` is gone from the global object. */
  readonly api: RuntimeRefs;
  /** The V8 heap limit it was made with, MiB. */
  readonly memoryMb: number;
  /**
   * What isolated-vm holds heap plus external bytes to after a full collection: V8's
   * `heap_size_limit` when the isolate was made (its memory limit plus V8's young generation).
   * Array buffers alone are held to the memory limit itself (measured), which caps the ballast.
   */
  readonly limitBytes: number;
  /** Heap and external bytes in use once the runtime is loaded, before any dataset (measured). */
  readonly baseBytes: number;
  /**
   * A full garbage collection of this isolate (or, given `true`, of its young generation only), for
   * the host's memory checks around runs (V8's `gc`, taken off the global object before any analyst
   * code; absent without `--expose-gc`).
   */
  readonly collect: ivm.Reference<(minor?: boolean) => void> | undefined;
  /**
   * Keeps what it is given alive, out of reach of analyst code: the memory ballast (execute.ts),
   * in pieces; `null` lets go of all of them.
   */
  readonly hold: ivm.Reference<(value: unknown) => number>;
  /** Bytes of ballast held now (kept from run to run while the budget stays the same). */
  ballastBytes: number;
  /** The run budget (reserve + allowance) the ballast leaves free, bytes. */
  ballastBudget: number;
  /** Taken from the warm pool (true) or made on demand (false). */
  warm: boolean;
  /** sha256 of the dataset bound into it, once a run has bound one. */
  boundSha: string | undefined;
  /** Heap and external bytes once the dataset is bound and collected, before a run (measured). */
  boundBytes: number;
  /** Runs it has started. */
  runs: number;
  /** The next run's compartment and globals are made already (settleForReuse), with this budget's ballast. */
  preparedAhead: boolean;
}

/** References to the runtime API's functions (packages/sandbox-runtime/src/isolate-entry.ts). */
export interface RuntimeRefs {
  readonly bind: ivm.Reference<(payload: unknown, options: unknown) => void>;
  readonly prepare: ivm.Reference<(options: unknown) => void>;
  /** The analyst's code, then the serialization of `fig`, in one call (isolate-entry.ts `run`). */
  readonly run: ivm.Reference<(code: string, nonce: string, maxBytes?: number) => unknown>;
  readonly end: ivm.Reference<() => void>;
  readonly warmUp: ivm.Reference<(rows: number) => void>;
}

const API_FUNCTIONS = ['bind', 'prepare', 'run', 'end', 'warmUp'] as const;

/**
 * Disposes an isolate and lets go of the host's References into it first. A Reference left for
 * Node's own teardown can abort the process at exit (isolated-vm asserts there is a current
 * isolate when it frees one), so every disposal goes through here.
 */
export function disposeIsolate(entry: WarmIsolate): void {
  releaseAll([...Object.values(entry.api), entry.collect, entry.hold, entry.context]);
  if (!entry.isolate.isDisposed) entry.isolate.dispose();
}

/** Lets go of host handles into an isolate (References, contexts, scripts), ignoring released ones. */
function releaseAll(handles: readonly ({ release(): void } | undefined)[]): void {
  for (const handle of handles) {
    try {
      handle?.release();
    } catch {
      // Already released.
    }
  }
}

/** The global the bundle reads to decide whether to lock the realm down (packages/sandbox-runtime/src/realm.ts). */
const LOCKDOWN_FLAG = '__plotbox_lockdown';

/** Takes the runtime's API from a context where the bundle was just evaluated (before any analyst code). */
async function takeApi(context: ivm.Context): Promise<RuntimeRefs> {
  const boot = (await context.global.get('__plotbox_boot', { reference: true })) as ivm.Reference<() => unknown>;
  if (boot.typeof !== 'function') {
    boot.release();
    throw new Error('runtime bundle did not define __plotbox_boot');
  }
  const api = (await boot.apply(undefined, [], { timeout: 1000, result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
  boot.release();
  const refs = await Promise.all(API_FUNCTIONS.map((name) => api.get(name, { reference: true }) as Promise<ivm.Reference<never>>));
  api.release();
  return Object.fromEntries(API_FUNCTIONS.map((name, i) => [name, refs[i]])) as unknown as RuntimeRefs;
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
  /**
   * Lock each isolate's realm down (ses `lockdown()` and the runtime's own hardening) so it may
   * serve several runs of a tenant; costs ≈10–15 ms of CPU per isolate. Off for single-use isolates.
   */
  readonly lockdown?: boolean;
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
  return g === undefined ? undefined : (minor) => { if (minor === true) g({ type: 'minor' }); else g(); };
})()`;

// A closure that keeps whatever it is handed (it reads it, so V8 must keep it); `null` drops all.
// Only the host holds a reference to it.
const HOLDER = `(() => { let held = []; return (value) => { if (value === null) held = []; else held.push(value); return held.length; }; })()`;

// Run once per isolate after the runtime is loaded and before any analyst code, in the start
// compartment (whose global object analyst code never sees: runs get their own compartments, which
// leave the same names out, run-realm.ts). Removes what can reach outside pure computation, allocate
// memory the limit does not count, or run code outside the time limit from the start compartment
// too (the host's own list, so it holds whatever the runtime does), then freezes its global object,
// so nothing that runs there (arquero's compiled table expressions) can leave state on it.
const HARDEN = `(() => {
  const g = globalThis;
  for (const name of ['Proxy', 'WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry', 'WeakRef', 'eval']) {
    try { delete g[name]; } catch {}
  }
  Object.freeze(g);
})();`;

/**
 * A pool of fresh isolates. Each has the runtime compiled (from V8 code cache produced here, never
 * taken from outside), evaluated and locked down, so a run only pays for copying its data in.
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
    // Every handle is released before the isolate goes (disposeIsolate says why).
    const handles: ({ release(): void } | undefined)[] = [];
    try {
      const context = await isolate.createContext();
      handles.push(context);
      if (options.lockdown === true) await context.global.set(LOCKDOWN_FLAG, true);
      const script = await isolate.compileScript(options.runtimeSource, { filename: RUNTIME_FILENAME });
      handles.push(script);
      await script.run(context, { timeout: 10_000 });
      if (options.warmUp) {
        const api = await takeApi(context);
        handles.push(...Object.values(api));
        await api.bind.apply(undefined, [new ivm.ExternalCopy(options.warmUp.payload).copyInto(), new ivm.ExternalCopy({ shared: options.lockdown === true }).copyInto()], { timeout: 10_000 });
        for (const code of options.warmUp.scripts) {
          await api.prepare.apply(undefined, [new ivm.ExternalCopy({ maxBytes: 64 << 20, seed: [1, 2, 3, 4] }).copyInto()], { timeout: 10_000 });
          await api.run.apply(undefined, [code, 'warmup'], { timeout: 10_000 }).catch(() => undefined);
        }
      }
      const again = (await isolate.compileScript(options.runtimeSource, { filename: RUNTIME_FILENAME, produceCachedData: true })) as ivm.Script & ivm.CachedDataResult;
      handles.push(again);
      return again.cachedData;
    } finally {
      releaseAll(handles);
      if (!isolate.isDisposed) isolate.dispose();
    }
  }

  const jitWarmUpRows = Math.max(0, Math.min(100_000, Math.floor(options.jitWarmUpRows ?? 0)));

  /** A new isolate with the runtime booted; `forPool` ones also warm their JIT (off the request path). */
  async function create(memoryMb: number, forPool: boolean): Promise<WarmIsolate> {
    cachedData ??= await (codeCache ??= buildCodeCache().catch(() => undefined));
    const isolate = new ivm.Isolate({ memoryLimit: memoryMb, onCatastrophicError: options.onCatastrophicError });
    // Released if making it fails part way (disposeIsolate says why).
    const handles: ({ release(): void } | undefined)[] = [];
    try {
      const limitBytes = (await isolate.getHeapStatistics()).heap_size_limit;
      const context = await isolate.createContext();
      handles.push(context);
      // Read and deleted by the bundle's first module (packages/sandbox-runtime/src/realm.ts).
      if (options.lockdown === true) await context.global.set(LOCKDOWN_FLAG, true);
      // The typings omit the cachedData fields compileScript adds to its result.
      const script = (await isolate.compileScript(options.runtimeSource, {
        filename: RUNTIME_FILENAME,
        ...(cachedData ? { cachedData } : { produceCachedData: true }),
      })) as ivm.Script & ivm.CachedDataResult;
      if (!cachedData && script.cachedData) cachedData = script.cachedData;
      handles.push(script);
      await script.run(context, { timeout: 5000 });
      script.release();
      const api = await takeApi(context);
      handles.push(...Object.values(api));
      if (forPool && jitWarmUpRows > 0) await api.warmUp.apply(undefined, [jitWarmUpRows], { timeout: 10_000 });
      const gcRef = (await context.eval(TAKE_GC, { timeout: 1000, reference: true })) as ivm.Reference<(() => void) | undefined>;
      handles.push(gcRef);
      const collect = gcRef.typeof === 'function' ? (gcRef as ivm.Reference<(minor?: boolean) => void>) : undefined;
      if (collect === undefined) gcRef.release();
      const hold = (await context.eval(HOLDER, { timeout: 1000, reference: true })) as ivm.Reference<(value: unknown) => number>;
      handles.push(hold);
      await context.eval(HARDEN, { timeout: 1000 });
      const heap = await isolate.getHeapStatistics();
      baseBytes = heap.used_heap_size + heap.externally_allocated_size;
      return {
        isolate,
        context,
        api,
        memoryMb,
        limitBytes,
        baseBytes,
        collect,
        hold,
        ballastBytes: 0,
        ballastBudget: 0,
        warm: false,
        boundSha: undefined,
        boundBytes: baseBytes,
        runs: 0,
        preparedAhead: false,
      };
    } catch (err) {
      releaseAll(handles);
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
            disposeIsolate(entry);
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
      for (const entry of warm.splice(0)) disposeIsolate(entry);
      for (const w of waiters.splice(0)) w.resolve();
      // The code cache is an ExternalCopy: left to the garbage collector, it can be finalized while
      // Node tears the process down, where isolated-vm aborts (no current environment). Released
      // here instead, once no isolate is being made from it.
      const release = (): void => {
        cachedData?.release();
        cachedData = undefined;
      };
      if (filling === undefined) release();
      else void filling.finally(release);
    },
  };
}
