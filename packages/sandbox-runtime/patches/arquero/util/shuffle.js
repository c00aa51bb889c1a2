// Stands in for arquero 8.0.3's src/util/shuffle.js in the isolate bundle (../../arquero-patches.mjs,
// which checks the original's text): with a seed set, the LCG is stepped inline, exactly as
// random.js's random() would; without one, it is the original code.
import { lcgState, random, setLcgState } from './random.js';

const A = 0x19660d;
const C = 0x3c6ef35f;
const M = 1 / 0x100000000;

// A typed array's elements are read and written without running code, so nothing can draw a number
// while the inline loop holds the state in a local (sample.js says more). The getter is a brand check.
const typedArrayName = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag).get;

export function shuffle(array, lo = 0, hi = array.length) {
  let n = hi - (lo = +lo);

  let s = lcgState();
  if (s === undefined || typedArrayName.call(array) === undefined) {
    while (n) {
      const i = (random() * n--) | 0;
      const v = array[n + lo];
      array[n + lo] = array[i + lo];
      array[i + lo] = v;
    }
    return array;
  }
  while (n) {
    s = (Math.imul(A, s) + C) | 0;
    const i = (M * (s >>> 0) * n--) | 0;
    const v = array[n + lo];
    array[n + lo] = array[i + lo];
    array[i + lo] = v;
  }
  setLcgState(s);
  return array;
}
