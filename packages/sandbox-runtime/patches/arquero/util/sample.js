// Stands in for arquero 8.0.3's src/util/sample.js in the isolate bundle (../../arquero-patches.mjs,
// which checks the original's text). Identical results: uniform sampling (with or without
// replacement) steps the seeded LCG inline, exactly as random.js's random() would, one step per
// call the original makes; without a seed, and for weighted sampling, it is the original code.
import { ascending } from './ascending.js';
import { bisector } from './bisector.js';
import { LCG_A as A, LCG_C as C, LCG_M as M, isTypedArray, lcgState, random, setLcgState } from './random.js';

// The inline loops keep the LCG's state in a local: an index that is not a typed array (a table's
// `_index` and `_partitions` are writable fields; a Proxy there could draw from random() between
// the original's draws) takes the original loop.

export function sample(buffer, replace, index, weight) {
  return (replace ? (weight ? sampleRW : sampleRU) : weight ? sampleNW : sampleNU)(buffer.length, buffer, index, weight);
}

// uniform sampling with replacement
// uses straightforward uniform sampling
function sampleRU(size, buffer, index) {
  const n = index.length;
  let s = lcgState();
  if (s === undefined || !isTypedArray(index) || !isTypedArray(buffer)) {
    for (let i = 0; i < size; ++i) {
      buffer[i] = index[(n * random()) | 0];
    }
    return buffer;
  }
  for (let i = 0; i < size; ++i) {
    s = (Math.imul(A, s) + C) | 0;
    buffer[i] = index[(n * (M * (s >>> 0))) | 0];
  }
  setLcgState(s);
  return buffer;
}

// weighted sampling with replacement
// uses binary search lookup against cumulative weight
function sampleRW(size, buffer, index, weight) {
  const n = index.length;
  const w = new Float64Array(n);

  let sum = 0;
  for (let i = 0; i < n; ++i) {
    w[i] = sum += weight(index[i]);
  }

  const bisect = bisector(ascending).right;
  for (let i = 0; i < size; ++i) {
    buffer[i] = index[bisect(w, sum * random())];
  }
  return buffer;
}

// uniform sampling without replacement
// uses reservoir sampling to build out the sample
// https://en.wikipedia.org/wiki/Reservoir_sampling
function sampleNU(size, buffer, index) {
  const n = index.length;
  if (size >= n) return index;

  for (let i = 0; i < size; ++i) {
    buffer[i] = index[i];
  }

  let s = lcgState();
  if (s === undefined || !isTypedArray(index) || !isTypedArray(buffer)) {
    for (let i = size; i < n; ++i) {
      const j = i * random();
      if (j < size) {
        buffer[j | 0] = index[i];
      }
    }
    return buffer;
  }
  // The original's test, j = i * (u / 2^32) < size, can hold only if u < size * 2^32 / i (j is that
  // product rounded, and rounding never takes a product at or past size below it). Over a block of
  // rows that bound is at most its value at the block's first row, T: a cheap integer comparison
  // with T (u and T shifted by 2^31 to compare as int32) skips most rows, and the original's test
  // decides the rest. The LCG steps once per row either way.
  let i = size;
  while (i < n) {
    const end = Math.min(n, i + 2048);
    const bound = Math.floor((size * 0x100000000) / i) + 1;
    if (bound >= 0x100000000) {
      for (; i < end; ++i) {
        s = (Math.imul(A, s) + C) | 0;
        const j = i * (M * (s >>> 0));
        if (j < size) {
          buffer[j | 0] = index[i];
        }
      }
      continue;
    }
    const shifted = (bound - 0x80000000) | 0;
    for (; i < end; ++i) {
      s = (Math.imul(A, s) + C) | 0;
      if ((s ^ -0x80000000) < shifted) {
        const j = i * (M * (s >>> 0));
        if (j < size) {
          buffer[j | 0] = index[i];
        }
      }
    }
  }
  setLcgState(s);
  return buffer;
}

// weighted sample without replacement
// uses method of Efraimidis and Spirakis
// TODO: could use min-heap to improve efficiency
function sampleNW(size, buffer, index, weight) {
  const n = index.length;
  if (size >= n) return index;

  const w = new Float32Array(n);
  const k = new Uint32Array(n);
  for (let i = 0; i < n; ++i) {
    k[i] = i;
    w[i] = -Math.log(random()) / weight(index[i]);
  }

  k.sort((a, b) => w[a] - w[b]);
  for (let i = 0; i < size; ++i) {
    buffer[i] = index[k[i]];
  }
  return buffer;
}
