/**
 * Entry point of the isolate bundle (`dist/runtime.js`, built by `build.mjs`).
 *
 * Evaluated once per isolate as a classic script. Its first import locks the realm down when
 * the host asked for it (realm.ts: every intrinsic frozen), then arquero and px load, and the
 * runtime's own shared objects are hardened too. It defines exactly one global, the non-enumerable
 * `__plotbox_boot`, which the host takes (as a Reference) and deletes before any analyst code.
 * `__plotbox_boot()` returns the runtime's API, whose functions the host also keeps as References:
 *
 * - `bind(payload, { shared })`, once per isolate: the dataset the isolate serves;
 * - `prepare({ maxBytes, seed })`, per run: a fresh compartment with fresh globals (run-realm.ts);
 *   for a kept isolate the host calls it ahead, right after the previous run ended;
 * - `execute(code, nonce)`: evaluates the analyst's code there (under the host's time limit);
 * - `serialize(maxBytes?)`: serializes `fig` (same time limit; `maxBytes` overrides prepare's);
 * - `run(code, nonce, maxBytes?)`: `execute`, then `serialize` when the code completed, in one
 *   call (the host's per-run path: each call into an isolate is a hop to its thread and back);
 * - `end()`: ends a run that failed before `serialize`;
 * - `warmUp(rows)`: optional JIT warm-up on synthetic data, before the isolate serves anyone.
 *
 * An isolate may serve many runs of one tenant (services/sandbox: SANDBOX_ISOLATE_REUSE): nothing a
 * run writes is reachable by the next, because everything shared is frozen and everything a run
 * can write is made for that run.
 */
import { LOCKED_DOWN } from './realm.ts';
import { seed as seedArquero } from 'arquero';
import { createGlobals, hardenRuntime } from './create-globals.ts';
import { bindDataset } from './columns.ts';
import type { BoundDataset, DatasetPayload } from './columns.ts';
import { createRandom, createRunRealm, hardenRealm } from './run-realm.ts';
import type { RunRealm } from './run-realm.ts';
import { serializeFigure } from './serialize-figure.ts';
import type { SerializeResult } from './serialize-figure.ts';
import { warmUp } from './warm-up.ts';

const BOOT_NAME = '__plotbox_boot';
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** Per-run options the host passes to `prepare`. */
export interface PrepareOptions {
  /** Output limit for the figure JSON, bytes (default 4 MiB). */
  readonly maxBytes?: number;
  /** Four 32-bit words from the host's CSPRNG: the run's `Math.random` and arquero's default seed. */
  readonly seed?: readonly number[];
}

/**
 * What the analyst's code threw, read inside the isolate (under the run's time limit: a hostile
 * `message` getter spins there, not in the host's conversion of the error). `stack` keeps V8's
 * frames, from which the host takes the `chart.js` line and column; it never leaves the sandbox.
 */
export type Thrown = { readonly thrown: 'error'; readonly name: string; readonly message: string; readonly stack: string } | { readonly thrown: 'value' };

/** The API `__plotbox_boot()` returns (each function is taken by the host as a Reference). */
export interface RuntimeApi {
  bind(payload: DatasetPayload, options?: { readonly shared?: boolean }): void;
  prepare(options?: PrepareOptions): void;
  /** Runs the analyst's code; what it threw, or undefined when it completed. */
  execute(code: string, nonce: string): Thrown | undefined;
  serialize(maxBytes?: number): SerializeResult;
  /** `execute` and, when the code completed, `serialize`: what the code threw, or the figure's JSON. */
  run(code: string, nonce: string, maxBytes?: number): Thrown | SerializeResult;
  end(): void;
  warmUp(rows?: number): void;
}

interface CurrentRun {
  readonly realm: RunRealm;
  readonly maxBytes: number;
  evaluated: boolean;
  fig: unknown;
}

const NO_FIGURE: SerializeResult = { ok: false, code: 'SANDBOX_NO_FIGURE', message: 'No figure: assign one to fig, e.g. fig = px.bar(df, { x: "region", y: "units" }).' };

let bound: BoundDataset | undefined;
let current: CurrentRun | undefined;
let booted = false;

const api: RuntimeApi = {
  bind(payload, options) {
    if (bound !== undefined) throw new Error('this isolate already serves a dataset');
    // Sharing an isolate between runs is safe only in a locked-down realm.
    if (options?.shared === true && !LOCKED_DOWN) throw new Error('a shared binding needs a locked-down isolate');
    bound = bindDataset(payload, options?.shared === true);
  },
  prepare(options) {
    if (bound === undefined) throw new Error('no dataset bound');
    api.end();
    const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
    if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new TypeError('maxBytes must be a positive integer');
    const random = createRandom(options?.seed ?? [Date.now() >>> 0, 0x9e3779b9, 0x85ebca6b, 0xc2b2ae35]);
    // arquero's random source is module state: every run starts from its own seed, so nothing a
    // previous run did (`aq.seed(n)`, sampling) shows in this run's samples.
    seedArquero(Math.floor(random() * 4294967296));
    const globals = createGlobals(bound.forRun(), { trusted: true });
    current = { realm: createRunRealm(globals, random), maxBytes, evaluated: false, fig: undefined };
  },
  execute(code, nonce) {
    const run = current;
    if (run === undefined || run.evaluated) throw new Error('no run prepared');
    run.evaluated = true;
    if (typeof code !== 'string' || typeof nonce !== 'string' || !/^[0-9a-z]{0,64}$/.test(nonce)) throw new TypeError('bad code or nonce');
    try {
      run.fig = run.realm.evaluate(code, nonce);
      return undefined;
    } catch (err) {
      return describeThrown(err);
    }
  },
  serialize(maxBytes) {
    // The run stays current (its code's scope alive) until end(): the host checks memory after this.
    const run = current;
    if (run === undefined || !run.evaluated) return NO_FIGURE;
    const limit = typeof maxBytes === 'number' && Number.isSafeInteger(maxBytes) && maxBytes > 0 ? maxBytes : run.maxBytes;
    return run.fig === undefined ? NO_FIGURE : serializeFigure(run.fig, limit);
  },
  run(code, nonce, maxBytes) {
    return api.execute(code, nonce) ?? api.serialize(maxBytes);
  },
  end() {
    current?.realm.end();
    current = undefined;
  },
  warmUp(rows) {
    warmUp(typeof rows === 'number' && rows > 0 && rows <= 100_000 ? rows : 2000);
  },
};
Object.freeze(api);
if (LOCKED_DOWN) {
  hardenRuntime();
  hardenRealm();
}

const MAX_THROWN_CHARS = 4000;

/** Reads a thrown value as plain strings; getters run here, under the run's time limit. */
function describeThrown(err: unknown): Thrown {
  if (err === null || typeof err !== 'object' || !Object.prototype.isPrototypeOf.call(Error.prototype, err)) return { thrown: 'value' };
  const text = (read: () => unknown): string => {
    try {
      const v = read();
      return typeof v === 'string' ? v.slice(0, MAX_THROWN_CHARS) : '';
    } catch {
      return '';
    }
  };
  const e = err as { name?: unknown; message?: unknown; stack?: unknown };
  return { thrown: 'error', name: text(() => e.name), message: text(() => e.message), stack: text(() => e.stack) };
}

function boot(): RuntimeApi {
  if (booted) throw new Error('__plotbox_boot may run once per isolate');
  booted = true;
  Reflect.deleteProperty(globalThis, BOOT_NAME);
  return api;
}

Object.defineProperty(globalThis, BOOT_NAME, { value: boot, writable: false, enumerable: false, configurable: true });
