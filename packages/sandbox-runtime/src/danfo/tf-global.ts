/**
 * tfjs-core finds "the global object" by looking for `window`, `global`, `self` or `process`, and
 * throws when there is none, as in a bare isolate. Imported before danfo and tfjs load
 * (danfo-globals.ts imports it first), it names the global object `self` for as long as tfjs
 * looks (tfjs caches the answer at load); danfo-globals.ts removes the name again before any
 * analyst code, which never sees the start compartment's global object anyway.
 */
const g = globalThis as Record<string, unknown>;

/** Whether this module added `self` (and so danfo-globals.ts must take it away). */
export const ADDED_SELF = !Object.hasOwn(g, 'self');
if (ADDED_SELF) Object.defineProperty(g, 'self', { value: globalThis, writable: true, enumerable: false, configurable: true });
