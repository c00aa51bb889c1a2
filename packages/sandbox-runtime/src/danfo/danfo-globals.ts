/**
 * The analyst's globals for one run of the `danfo` runtime: `dfd` (danfojs), `df` (the dataset as
 * a danfo DataFrame), `data` and `px`. Bundled into the second runtime script (build-danfo.mjs),
 * which puts this module where the arquero runtime has create-globals.ts: same exports, same
 * contract (isolate-entry.ts and run-realm.ts are shared by both runtimes).
 *
 * danfo frames are mutable (`df.addColumn(…, { inplace: true })`), so every run gets its own `df`,
 * built in `prepare` from the run's own lazily decoded, frozen columns; nothing a run does to its
 * frame is reachable by another run. The `dfd` namespace is frozen and, in a locked-down isolate,
 * hardened with every danfo class.
 */
import { ADDED_SELF } from './tf-global.ts';
// build-danfo.mjs resolves this to danfo's core (danfojs-base: no file I/O, no plotting).
import * as danfo from 'danfojs';
import { setPlatform } from '@tensorflow/tfjs-core';
import { createLazyColumns } from '../columns.ts';
import type { DatasetPayload, LazyColumns, LazyColumnsOptions } from '../columns.ts';
import { collectPrototypes, enableOverrides } from '../harden-prototypes.ts';
import { px } from '../px.ts';
import type { Px } from '../px.ts';

/** The four names the danfo runtime adds to the ECMAScript built-ins. */
export const GLOBAL_NAMES = Object.freeze(['df', 'dfd', 'data', 'px'] as const);

/** danfo's DataFrame, as far as this module relies on it. */
export interface DanfoFrame {
  readonly columns: string[];
  readonly shape: [number, number];
}

export interface SandboxGlobals {
  /** The dataset as a danfo DataFrame, made for this run. */
  readonly df: DanfoFrame;
  /** danfojs's namespace, frozen: `dfd.DataFrame`, `dfd.Series`, `dfd.concat`, `dfd.merge`, … */
  readonly dfd: DanfoNamespace;
  /** The dataset as a deep-frozen, null-prototype object of column arrays: `data.region[i]`. */
  readonly data: LazyColumns;
  /** Figure builders returning Plotly figure JSON; they take danfo frames as tables. */
  readonly px: Px;
}

type DanfoModule = typeof danfo;
/** What `dfd` offers: danfo without its TensorFlow handle (see {@link dfdNamespace}). */
export type DanfoNamespace = Readonly<Omit<DanfoModule, 'tensorflow'>>;

// tfjs-core chooses a platform (timers, fetch, text codecs) by looking for a browser or Node;
// an isolate is neither. danfo needs only its tensors: a platform with a clock and UTF-8.
setPlatform('plotbox-isolate', {
  fetch: () => Promise.reject(new TypeError('no network in Code Mode')),
  now: () => Date.now(),
  encode: (text: string) => new TextEncoder().encode(text),
  decode: (bytes: Uint8Array, encoding: string) => new TextDecoder(encoding).decode(bytes),
  isTypedArray: (a: unknown): a is Float32Array | Int32Array | Uint8Array | Uint8ClampedArray =>
    a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint8Array || a instanceof Uint8ClampedArray,
  setTimeoutCustom: () => {
    throw new TypeError('no timers in Code Mode');
  },
} as unknown as Parameters<typeof setPlatform>[1]);

if (ADDED_SELF) Reflect.deleteProperty(globalThis, 'self');

// tfjs keeps its engine and kernel registries on the global object (`_tfengine`, `_tfGlobals`)
// and reads `_tfengine` on every tensor operation. Locking the isolate down freezes whatever the
// global object holds (run-realm.ts hardenRealm, then the pool's HARDEN), which would freeze the
// engine mid-use; as accessors they stay working objects. Only the start compartment sees them:
// a run's compartment has its own global object.
for (const key of ['_tfengine', '_tfGlobals']) {
  const g = globalThis as Record<string, unknown>;
  const d = Object.getOwnPropertyDescriptor(g, key);
  if (d === undefined || !('value' in d)) continue;
  const value: unknown = d.value;
  Object.defineProperty(g, key, { get: () => value, enumerable: false, configurable: false });
}

/**
 * danfo's namespace without `tensorflow` (tfjs's engine, kernel registry and flags are module
 * state: registering a kernel or changing a flag would outlive the run) and frozen.
 */
const dfdNamespace = Object.freeze(Object.fromEntries(Object.entries(danfo).filter(([name]) => name !== 'tensorflow' && name !== 'default'))) as DanfoNamespace;

/**
 * Freezes, transitively, what a run can reach of the runtime and what outlives the run: `dfd`
 * (danfo's classes and their prototypes), `px`, and the prototypes of the objects danfo's methods
 * return. Instance properties stay assignable on instances (the override mistake, as in
 * create-globals.ts). Inside a locked-down isolate only.
 */
export function hardenRuntime(): void {
  const harden = (globalThis as { harden?: (value: unknown) => unknown }).harden;
  if (typeof harden !== 'function') throw new Error('hardenRuntime needs a locked-down realm (ses)');
  const frame = new danfo.DataFrame({ a: [1, 2], b: ['x', 'y'] });
  const samples: (() => unknown)[] = [() => frame, () => frame.column('a'), () => frame.groupby(['b']), () => frame.column('b').str, () => new danfo.Series(['2024-01-01']).dt, () => frame.tensor];
  const protos = new Set<object>();
  for (const make of samples) collectPrototypes(make(), protos);
  for (const value of Object.values(dfdNamespace)) collectPrototypes(value, protos);
  for (const proto of protos) enableOverrides(proto);
  harden(dfdNamespace);
  harden(px);
  for (const proto of protos) harden(proto);
}

/**
 * Build one run's globals: `data` over the payload (lazily decoded, frozen) and `df`, a danfo
 * DataFrame of every column, made now (danfo copies its input into its own row and column arrays).
 * @throws TypeError when the payload is malformed.
 */
export function createGlobals(payload: DatasetPayload, options: LazyColumnsOptions = {}): SandboxGlobals {
  const { columns, names } = createLazyColumns(payload, options);
  const df = toFrame(columns, names);
  return Object.freeze({ df, dfd: dfdNamespace, data: columns, px });
}

/** A danfo DataFrame of the columns (danfo cannot make a frame with no columns: an empty one then). */
function toFrame(columns: LazyColumns, names: readonly string[]): DanfoFrame {
  if (names.length === 0) return new danfo.DataFrame([]) as unknown as DanfoFrame;
  const data: Record<string, unknown[]> = {};
  // danfo keeps the arrays it is given as its column store: hand it copies, not the frozen columns.
  for (const name of names) data[name] = (columns[name] ?? []).slice();
  return new danfo.DataFrame(data, { columns: [...names] }) as unknown as DanfoFrame;
}
