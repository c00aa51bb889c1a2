/**
 * Hardens the isolate's realm before any other code of the bundle runs (isolate-entry.ts imports
 * this module first, and ES module evaluation order puts it before arquero and px), when the host
 * asks for it: isolates that may serve several runs of a tenant.
 *
 * `lockdown()` from `ses` (Hardened JavaScript) repairs and freezes every intrinsic — the
 * prototypes of `Object`, `Array`, `Function`, iterators, generators, typed arrays, `Intl`, … —
 * and tames what could carry state or power between runs (`Function.prototype.constructor`,
 * `Error.prepareStackTrace`, the legacy `RegExp.$1` statics, `Math.random` and `Date.now` in
 * compartments). After it, the only mutable objects a run can reach are the ones made for that
 * run (its `Compartment`'s global object, its `df`, its own values): see run-realm.ts.
 *
 * Options, and why:
 * - `errorTaming: 'unsafe'` keeps V8's `stack` strings: the host reads the analyst's line and
 *   column from the `chart.js` frame (isolate-errors.ts); the strings never leave the sandbox.
 * - `localeTaming: 'unsafe'` keeps `toLocaleString` and friends locale-aware (SPEC §2 lists `Intl`).
 * - `consoleTaming: 'unsafe'`, `reporting: 'none'`: a bare isolate has no console to wrap.
 * - `stackFiltering: 'verbose'`: no frame filtering (nothing reads it).
 * - `overrideTaming: 'min'`: assignments like `err.name = …` or `obj.toString = …` on objects
 *   inheriting from frozen prototypes keep working (the "override mistake"). Not `'moderate'`: it
 *   turns `Array.prototype.push`, `concat`, `[Symbol.iterator]` and every `%TypedArray%.prototype`
 *   method into accessors, which V8 cannot inline and which take `for…of`, spread and typed-array
 *   fast paths away from every run (measured: a line chart at 100k rows ≈20% slower). The runtime's
 *   own classes get accessors where their instances shadow a prototype property (create-globals.ts).
 * - `evalTaming: 'safe-eval'`: `eval`/`Function` of the start compartment (arquero compiles table
 *   expressions with `Function`) are confined to the start compartment's frozen global scope.
 */
import 'ses';

/**
 * Set (to `true`) on the global object by the host before the bundle runs when the isolate may
 * serve several runs (services/sandbox: isolate reuse); read and deleted here. A single-use
 * isolate needs no lockdown (its heap is discarded after the run) and saves its cost (≈10–15 ms).
 */
const FLAG = '__plotbox_lockdown';
const g = globalThis as Record<string, unknown>;
const wanted = g[FLAG] === true;
Reflect.deleteProperty(g, FLAG);

/** Whether this isolate's realm is locked down (isolate reuse) or not (a single-use isolate). */
export const LOCKED_DOWN = wanted;

if (wanted)
  lockdown({
    errorTaming: 'unsafe',
    errorTrapping: 'none',
    unhandledRejectionTrapping: 'none',
    localeTaming: 'unsafe',
    consoleTaming: 'unsafe',
    reporting: 'none',
    stackFiltering: 'verbose',
    overrideTaming: 'min',
    evalTaming: 'safe-eval',
    domainTaming: 'unsafe',
  });
