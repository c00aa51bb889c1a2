/**
 * Numeric summaries computed inside the sandbox so that figures carry results, not raw rows:
 * quantiles and box statistics, histogram bins, aggregations and correlations.
 * Pure ECMAScript; no imports.
 */

/** Aggregations accepted by `agg` options. */
export const AGGREGATIONS = ['sum', 'mean', 'count', 'min', 'max', 'median', 'first', 'last'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Is `value` a finite number (nulls, NaN, strings and dates are skipped by numeric summaries)? */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && value - value === 0;
}

/**
 * The `p`-quantile of ascending `sorted` values by linear interpolation between closest ranks
 * (numpy's default, Plotly's `quartilemethod: 'linear'`). `NaN` for no values.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, n - 1)] as number;
  return a + (h - lo) * (b - a);
}

export interface BoxStats {
  readonly count: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  /** Smallest value ≥ q1 − 1.5·IQR. */
  readonly lowerfence: number;
  /** Largest value ≤ q3 + 1.5·IQR. */
  readonly upperfence: number;
  readonly mean: number;
  /** Values outside the fences, at most `maxOutliers`, evenly strided through the sorted set. */
  readonly outliers: number[];
}

/**
 * Tukey box statistics of `values` (finite numbers only; sorted in place).
 * @returns `null` for an empty set.
 */
export function boxStats(values: Float64Array, maxOutliers = 200): BoxStats | null {
  const n = values.length;
  if (n === 0) return null;
  values.sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const q1 = quantileSorted(values, 0.25);
  const median = quantileSorted(values, 0.5);
  const q3 = quantileSorted(values, 0.75);
  const iqr = q3 - q1;
  const lowLimit = q1 - 1.5 * iqr;
  const highLimit = q3 + 1.5 * iqr;
  let lo = 0;
  while (lo < n - 1 && (values[lo] as number) < lowLimit) lo++;
  let hi = n - 1;
  while (hi > 0 && (values[hi] as number) > highLimit) hi--;
  const below = lo;
  const above = n - 1 - hi;
  const outliers: number[] = [];
  const total = below + above;
  if (total > 0) {
    const stride = Math.max(1, total / maxOutliers);
    for (let k = 0; k < total && outliers.length < maxOutliers; k += stride) {
      const j = Math.floor(k);
      outliers.push((j < below ? values[j] : values[hi + 1 + (j - below)]) as number);
    }
  }
  return { count: n, q1, median, q3, lowerfence: values[lo] as number, upperfence: values[hi] as number, mean: sum / n, outliers };
}

export interface Bins {
  /** nbins + 1 ascending edges; bin i is [edges[i], edges[i+1]), the last bin also holds its upper edge. */
  readonly edges: number[];
  readonly width: number;
}

/**
 * Equal-width bins over [min, max] of the finite values (or over `range`).
 * A set of one distinct value gets one bin of width 1 centred on it.
 */
export function makeBins(values: ArrayLike<unknown>, nbins: number, range?: readonly [number, number]): Bins | null {
  let min = Infinity;
  let max = -Infinity;
  if (range !== undefined) {
    [min, max] = range;
  } else {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (isFiniteNumber(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  if (!(min <= max)) return null;
  if (min === max) {
    min -= 0.5;
    max += 0.5;
    nbins = 1;
  }
  const width = (max - min) / nbins;
  const edges: number[] = [];
  for (let i = 0; i < nbins; i++) edges.push(min + i * width);
  // The last edge is exactly max, not min + nbins·width, so the maximum is never left out by rounding.
  edges.push(max);
  return { edges, width };
}

/**
 * Count `values` into `bins` (values outside the edges and non-numbers are skipped; the maximum
 * lands in the last bin). `rows` optionally restricts counting to those row indices.
 */
export function countBins(values: ArrayLike<unknown>, bins: Bins, rows?: ArrayLike<number>): number[] {
  const { edges, width } = bins;
  const nbins = edges.length - 1;
  const min = edges[0] as number;
  const max = edges[nbins] as number;
  const counts = new Array<number>(nbins).fill(0);
  const n = rows === undefined ? values.length : rows.length;
  for (let k = 0; k < n; k++) {
    const v = values[rows === undefined ? k : (rows[k] as number)];
    if (!isFiniteNumber(v) || v < min || v > max) continue;
    let i = Math.floor((v - min) / width);
    if (i >= nbins) i = nbins - 1;
    // Floating-point division can land one bin off near an edge; the edges are the truth.
    else if (v < (edges[i] as number)) i--;
    else if (i + 1 < nbins && v >= (edges[i + 1] as number)) i++;
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

/** A running aggregate for one cell or group. */
export interface Accumulator {
  add(value: unknown): void;
  result(): number | null;
}

/** A fresh accumulator for `agg` (numbers only; nulls and non-numbers are skipped, except by count). */
export function createAccumulator(agg: Aggregation): Accumulator {
  switch (agg) {
    case 'count': {
      let n = 0;
      return { add: () => void n++, result: () => n };
    }
    case 'sum':
    case 'mean': {
      let sum = 0;
      let n = 0;
      return {
        add: (v) => {
          if (isFiniteNumber(v)) {
            sum += v;
            n++;
          }
        },
        result: () => (n === 0 ? null : agg === 'sum' ? sum : sum / n),
      };
    }
    case 'min':
    case 'max': {
      let best: number | null = null;
      return {
        add: (v) => {
          if (isFiniteNumber(v) && (best === null || (agg === 'min' ? v < best : v > best))) best = v;
        },
        result: () => best,
      };
    }
    case 'first':
    case 'last': {
      let value: number | null = null;
      let seen = false;
      return {
        add: (v) => {
          if (!isFiniteNumber(v) || (agg === 'first' && seen)) return;
          value = v;
          seen = true;
        },
        result: () => value,
      };
    }
    case 'median': {
      const values: number[] = [];
      return {
        add: (v) => {
          if (isFiniteNumber(v)) values.push(v);
        },
        result: () => (values.length === 0 ? null : quantileSorted(Float64Array.from(values).sort(), 0.5)),
      };
    }
  }
}

/** Pearson correlation over rows where both values are finite numbers; `null` if undefined. */
export function pearson(a: ArrayLike<unknown>, b: ArrayLike<unknown>): number | null {
  const n = Math.min(a.length, b.length);
  let count = 0;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (isFiniteNumber(x) && isFiniteNumber(y)) {
      count++;
      meanA += x;
      meanB += y;
    }
  }
  if (count < 2) return null;
  meanA /= count;
  meanB /= count;
  // Second pass on centred values: the one-pass formula loses precision on large means.
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (isFiniteNumber(x) && isFiniteNumber(y)) {
      const dx = x - meanA;
      const dy = y - meanB;
      sab += dx * dy;
      saa += dx * dx;
      sbb += dy * dy;
    }
  }
  if (saa === 0 || sbb === 0) return null;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/**
 * The indices of `values` in ascending order of value (stable): a bottom-up merge sort on typed
 * arrays, ≈20× faster than `Array.prototype.sort` with a comparator on a million numbers.
 */
export function argsortNumbers(values: ArrayLike<number>): Int32Array {
  const n = values.length;
  let a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  let b = new Int32Array(n);
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        const ai = a[i] as number;
        const aj = a[j] as number;
        if ((values[aj] as number) < (values[ai] as number)) {
          b[k++] = aj;
          j++;
        } else {
          b[k++] = ai;
          i++;
        }
      }
      while (i < mid) b[k++] = a[i++] as number;
      while (j < hi) b[k++] = a[j++] as number;
    }
    const t = a;
    a = b;
    b = t;
  }
  return a;
}

/** The k-th smallest (0-based) of `work`, which is reordered in place (quickselect). */
export function selectKth(work: Float64Array, k: number): number {
  let lo = 0;
  let hi = work.length - 1;
  while (hi > lo) {
    // Median of three as the pivot keeps sorted input linear.
    const mid = (lo + hi) >> 1;
    const a = work[lo] as number;
    const b = work[mid] as number;
    const c = work[hi] as number;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((work[i] as number) < pivot) i++;
      while ((work[j] as number) > pivot) j--;
      if (i <= j) {
        const t = work[i] as number;
        work[i] = work[j] as number;
        work[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return work[k] as number;
  }
  return work[k] as number;
}
