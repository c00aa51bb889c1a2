// Stands in for arquero 8.0.3's src/util/shuffle.js in the isolate bundle (../../arquero-patches.mjs,
// which checks the original's text): with a seed set, the LCG is stepped inline, exactly as
// random.js's random() would; without one, it is the original code.
import { LCG_A as A, LCG_C as C, LCG_M as M, isTypedArray, lcgState, random, setLcgState } from './random.js';

export function shuffle(array, lo = 0, hi = array.length) {
  let n = hi - (lo = +lo);

  let s = lcgState();
  if (s === undefined || !isTypedArray(array)) {
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
