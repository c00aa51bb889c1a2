/**
 * One run's realm inside a hardened isolate: a fresh ses `Compartment` whose global object holds
 * the run's own `df`, `aq`, `op`, `data`, `px`, `fig`, `Math` and `Date`, and the frozen shared
 * built-ins. The analyst's code is evaluated there (strict mode, as the body of a direct eval), so
 * its `var`s, functions and top-level `let`/`const` live in that evaluation, its global writes land
 * on that compartment's global object, and nothing it writes is reachable once the run ends: the
 * shared intrinsics and the runtime's own objects are frozen (realm.ts, isolate-entry.ts).
 * Runs only inside the isolate bundle (needs the `Compartment` that `ses` installs).
 */
import type { SandboxGlobals } from './create-globals.ts';
import { GLOBAL_NAMES } from './create-globals.ts';

/** File name analyst code is evaluated under; the host reads `chart.js:line:column` from stacks. */
export const CHART_SOURCE_URL = 'chart.js';

/**
 * Globals a run's compartment does not get, beyond what `ses` already leaves out: code from
 * strings (the compartment's own `eval`/`Function`, and `Compartment`), memory the isolate's limit
 * does not count or shared memory (`WebAssembly`, `SharedArrayBuffer`, `Atomics`), objects that
 * run code outside the run's time limit or observe garbage collection (`Proxy`, thrown and then
 * inspected by isolated-vm after the deadline; `FinalizationRegistry`, `WeakRef`), and ses's own
 * `harden`/`lockdown`/`assert`.
 */
export const RUN_REMOVED_GLOBALS = Object.freeze([
  'eval',
  'Function',
  'Compartment',
  'ModuleSource',
  'Proxy',
  'WebAssembly',
  'SharedArrayBuffer',
  'Atomics',
  'FinalizationRegistry',
  'WeakRef',
  'harden',
  'lockdown',
  'repairIntrinsics',
  'hardenIntrinsics',
  'assert',
  'console',
] as const);

// Captured when the bundle loads (after lockdown): the start compartment's Date keeps `Date.now()`
// and `new Date()`, which compartments otherwise lose. It is frozen, so sharing it shares no state.
const InitialDate = globalThis.Date;
const SharedMathDescriptors = Object.getOwnPropertyDescriptors(Math);
/**
 * Built-ins ses keeps to the start compartment that Code Mode offers (SPEC §2 lists `Intl`; charts
 * use typed arrays). Shared as they are: {@link hardenRealm} has frozen them by the first run.
 */
const START_ONLY = ['Intl', 'Float32Array', 'Float64Array'] as const;
const startOnly = START_ONLY.map((name) => [name, (globalThis as Record<string, unknown>)[name]] as const);
const GeneratorNext = Object.getPrototypeOf(function* () {}).prototype.next as (this: Iterator<unknown>) => IteratorResult<unknown>;

/**
 * Freezes, transitively, everything on the start compartment's global object that `lockdown()`
 * leaves alone — `Intl`, and built-ins V8 has that ses does not know yet (`Float16Array`,
 * `DisposableStack`, `SuppressedError`, …) — and the prototypes only reachable from instances
 * (`Intl.Segmenter`'s segments and their iterator, iterator helpers). Called once per isolate,
 * before any analyst code.
 */
export function hardenRealm(): void {
  const harden = (globalThis as { harden?: (value: unknown) => unknown }).harden;
  if (typeof harden !== 'function') throw new Error('hardenRealm needs a locked-down realm (ses)');
  const g = globalThis as Record<PropertyKey, unknown>;
  for (const key of Reflect.ownKeys(g)) {
    if (key === 'globalThis') continue;
    const d = Object.getOwnPropertyDescriptor(g, key);
    if (d !== undefined && 'value' in d && ((typeof d.value === 'object' && d.value !== null) || typeof d.value === 'function')) harden(d.value);
  }
  const reach: (() => unknown)[] = [
    () => new Intl.Segmenter().segment('a'),
    () => new Intl.Segmenter().segment('a')[Symbol.iterator](),
    () => ([].values() as unknown as { map(f: (x: unknown) => unknown): unknown }).map((x) => x),
    () => (globalThis as unknown as { Iterator: { from(it: object): unknown } }).Iterator.from({ next: () => ({ done: true, value: undefined }) }),
    () => ''.matchAll(/a/g),
    () => new Map().entries(),
    () => new Set().values(),
    () => [][Symbol.iterator](),
    () => ''[Symbol.iterator](),
  ];
  for (const make of reach) {
    try {
      harden(Object.getPrototypeOf(make()));
    } catch {
      // A built-in this V8 does not have.
    }
  }
}

/**
 * A small, fast PRNG (sfc32) for one run's `Math.random`, seeded by the host from its CSPRNG. V8's
 * own `Math.random` state belongs to the whole isolate, so a run could otherwise read where a
 * previous run left it; and ses makes `Math.random` throw inside compartments.
 */
export function createRandom(seed: ArrayLike<number>): () => number {
  let a = (seed[0] ?? 0) >>> 0;
  let b = (seed[1] ?? 0) >>> 0;
  let c = (seed[2] ?? 0) >>> 0;
  let d = (seed[3] ?? 1) >>> 0 || 1;
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) next();
  return () => next() / 4294967296;
}

/** What a run evaluates code in. */
export interface RunRealm {
  /**
   * Runs the analyst's script body and returns the value of `fig` after it (undefined if none).
   * The code's top-level scope stays alive until {@link RunRealm.end}, so the host's memory check
   * after the code sees what it keeps, as it would for a classic script.
   */
  evaluate(code: string, nonce: string): unknown;
  /** Lets go of the code's scope. */
  end(): void;
}

/**
 * Prefix of the evaluated source: the analyst's code is the body of a generator that yields `fig`
 * at its end and is never resumed. On the code's first line columns are off by its length
 * (isolate-errors.ts corrects them).
 */
export const CODE_PREFIX = '(function* () { ';

interface CompartmentLike {
  readonly globalThis: Record<string, unknown>;
  evaluate(source: string): unknown;
}
type CompartmentConstructor = new (options: { __options__: true }) => CompartmentLike;

/**
 * A fresh compartment for one run with the analyst's globals in it.
 * @param random the run's own `Math.random`
 */
export function createRunRealm(globals: SandboxGlobals, random: () => number): RunRealm {
  const Compartment = (globalThis as unknown as { Compartment?: CompartmentConstructor }).Compartment;
  if (typeof Compartment !== 'function') throw new Error('the runtime was not locked down (no Compartment)');
  const compartment = new Compartment({ __options__: true });
  const g = compartment.globalThis;
  for (const name of RUN_REMOVED_GLOBALS) Reflect.deleteProperty(g, name);
  // Read-only and non-configurable: ses hoists such globals into constants, so the analyst's code
  // reads them without going through the compartment's scope objects.
  for (const name of GLOBAL_NAMES) Object.defineProperty(g, name, { value: globals[name], writable: false, enumerable: false, configurable: false });
  for (const [name, value] of startOnly) if (value !== undefined) Object.defineProperty(g, name, { value, writable: true, enumerable: false, configurable: true });
  const math = Object.create(Object.prototype, { ...SharedMathDescriptors, random: { value: random, writable: true, enumerable: false, configurable: true } }) as object;
  Object.defineProperty(g, 'Math', { value: math, writable: true, enumerable: false, configurable: true });
  Object.defineProperty(g, 'Date', { value: InitialDate, writable: true, enumerable: false, configurable: true });
  // A sloppy `fig = …` in a classic script creates a global; compartments evaluate strict code,
  // where assigning an undeclared name throws, so `fig` exists from the start.
  Object.defineProperty(g, 'fig', { value: undefined, writable: true, enumerable: false, configurable: true });
  // Holds the suspended generator (and so the code's scope) until end().
  const held: { suspended: Iterator<unknown> | undefined } = { suspended: undefined };
  return {
    evaluate(code: string, nonce: string): unknown {
      // The code is the body of a generator that yields `fig` whichever way the code declared it
      // (`fig = …` on the compartment's global, `var fig` or `let fig` in its own scope), and
      // stays suspended there, its scope alive, until end(). The nonce makes every run's source
      // text unique, so V8's compilation cache cannot tell a later run (by timing) what source an
      // earlier run evaluated.
      // A hashbang line is a comment at the start of a script, not inside a function body.
      if (code.startsWith('#!')) code = `//${code.slice(2)}`;
      const it = compartment.evaluate(`${CODE_PREFIX}${code}\n;yield fig;\n}).call(this)\n/*${nonce}*/\n//# sourceURL=${CHART_SOURCE_URL}\n`) as Iterator<unknown>;
      held.suspended = it;
      const step = Reflect.apply(GeneratorNext, it, []) as IteratorResult<unknown>;
      return step.done === true ? undefined : step.value;
    },
    end(): void {
      held.suspended = undefined;
    },
  };
}
