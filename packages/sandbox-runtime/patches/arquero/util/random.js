// Stands in for arquero 8.0.3's src/util/random.js in the isolate bundle (../../arquero-patches.mjs,
// which checks the original's text). Same numbers, in the same order, for every seed: the 32-bit
// LCG's state is a module-level integer stepped with Math.imul instead of a closure's number
// stepped with a float multiply (a*seed is exact below 2^53 and ToInt32 takes it mod 2^32, as
// Math.imul does), and the sampling loops (sample.js, shuffle.js) step it inline through
// lcgState/setLcgState, without a call per number. Math.random is looked up when the original
// looked it up: at load and on each seed(invalid).
import { isValid } from './is-valid.js';

const A = 0x19660d;
const C = 0x3c6ef35f;
const M = 1 / 0x100000000;
/** The LCG's constants, for the loops that step it inline (sample.js, shuffle.js). */
export { A as LCG_A, C as LCG_C, M as LCG_M };

// Those loops keep the state in a local, so nothing they call may draw a number: reading a typed
// array's elements runs no code, but an array's (or a Proxy's) could. The getter is a brand check
// a Proxy fails.
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;
/** Whether `value` is a typed array (read without running any code of its own). */
export const isTypedArray = (value) => typedArrayName.call(value) !== undefined;

/** The generator when no seed is set (the original's `source = Math.random`). */
let fallback = Math.random;
/** Whether a valid seed is set, so that numbers come from the LCG. */
let seeded = false;
/** The LCG's state, an int32 (the original closure's `seed`). */
let state = 0;

export function random() {
  if (seeded) {
    state = (Math.imul(A, state) + C) | 0;
    return M * (state >>> 0);
  }
  return fallback();
}

/**
 * Set a seed value for random number generation.
 * If the seed is a valid number, a 32-bit linear congruential generator
 * with the given seed will be used to generate random values.
 * If the seed is null, undefined, or not a valid number, the random
 * number generator will revert to Math.random.
 * @param {number} seed The random seed value. Should either be an
 *  integer or a fraction between 0 and 1.
 */
export function seed(seed) {
  if (isValid(seed) && isFinite((seed = +seed))) {
    state = (0 <= seed && seed < 1 ? seed / M : Math.abs(seed)) | 0;
    seeded = true;
  } else {
    fallback = Math.random;
    seeded = false;
  }
}

/** The LCG's state when a seed is set, for a loop that steps it inline; undefined otherwise (then call random()). */
export function lcgState() {
  return seeded ? state : undefined;
}

/** Where an inline loop left the LCG (the last state it computed). */
export function setLcgState(value) {
  state = value | 0;
}
