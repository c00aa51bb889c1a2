/**
 * Globals `__plotbox_boot` deletes before analyst code runs: shared memory and blocking waits,
 * WebAssembly (memory outside the heap limit, native code), finalizers that can run after the
 * deadline and GC-observable references, and V8's `console`, which talks to an inspector when
 * one is attached. `Intl` stays: SPEC §2 lists it for analysts.
 */
export const REMOVED_GLOBALS = Object.freeze(['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry', 'WeakRef', 'console'] as const);
