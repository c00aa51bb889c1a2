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

/**
 * The same statistics as {@link boxStats} (quartiles, fences and outliers; a zero may come out as
 * `-0` where sorting gives `0` or the reverse, the same in JSON) without
 * sorting: the three quartile ranks are found by selection, in linear expected time, and only the
 * outliers are sorted. `values` is reordered. Its mean sums the values in their given (row) order,
 * as pandas and plotly.js do; {@link boxStats} sums them sorted, which may differ in the last bit.
 * For box plots, where only these numbers travel: sorting a million values was most of a 1M-row
 * box chart's time.
 * @returns `null` for an empty set.
 */
export function boxSummary(values: Float64Array, maxOutliers = 200): BoxStats | null {
  const n = values.length;
  if (n === 0) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const last = n - 1;
  const r1 = Math.floor(last * 0.25);
  const r2 = Math.floor(last * 0.5);
  const r3 = Math.floor(last * 0.75);
  // After each selection the values left of a rank are ≤ it and those right of it ≥ it, so the
  // next selection works inside one side and the next-larger value of a rank is the smallest of
  // the values right of it, up to the next selected rank.
  selectRank(values, r2, 0, last);
  if (r1 < r2) selectRank(values, r1, 0, r2 - 1);
  if (r3 > r2) selectRank(values, r3, r2 + 1, last);
  const quantile = (h: number, rank: number, upTo: number): number => {
    const a = values[rank] as number;
    const b = rank + 1 > last ? a : minOf(values, rank + 1, upTo);
    return a + (h - rank) * (b - a);
  };
  const q1 = quantile(last * 0.25, r1, r2);
  const median = quantile(last * 0.5, r2, r3 > r2 ? r3 : last);
  const q3 = quantile(last * 0.75, r3, last);
  const iqr = q3 - q1;
  const lowLimit = q1 - 1.5 * iqr;
  const highLimit = q3 + 1.5 * iqr;
  let lowerfence = Infinity;
  let upperfence = -Infinity;
  const below: number[] = [];
  const above: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v < lowLimit) below.push(v);
    else if (v < lowerfence) lowerfence = v;
    if (v > highLimit) above.push(v);
    else if (v > upperfence) upperfence = v;
  }
  const outliers: number[] = [];
  const total = below.length + above.length;
  if (total > 0) {
    below.sort((x, y) => x - y);
    above.sort((x, y) => x - y);
    const stride = Math.max(1, total / maxOutliers);
    for (let k = 0; k < total && outliers.length < maxOutliers; k += stride) {
      const j = Math.floor(k);
      outliers.push((j < below.length ? below[j] : above[j - below.length]) as number);
    }
  }
  return { count: n, q1, median, q3, lowerfence, upperfence, mean: sum / n, outliers };
}

/** Smallest of `values[from..to]` (inclusive). */
function minOf(values: Float64Array, from: number, to: number): number {
  let m = values[from] as number;
  for (let i = from + 1; i <= to; i++) if ((values[i] as number) < m) m = values[i] as number;
  return m;
}

/**
 * Reorders `a[lo..hi]` so that `a[k]` holds the value of rank `k` there, with nothing larger to its
 * left and nothing smaller to its right (Hoare's selection, median-of-three pivots). Sorts the range
 * instead once the partitions stop shrinking fast enough, so adversarial input costs n·log n at
 * worst, never n².
 */
function selectRank(a: Float64Array, k: number, lo: number, hi: number): void {
  let budget = 2 * Math.ceil(Math.log2(hi - lo + 2)) + 8;
  while (hi > lo) {
    if (budget-- <= 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = lo + ((hi - lo) >> 1);
    const x0 = a[lo] as number;
    const x1 = a[mid] as number;
    const x2 = a[hi] as number;
    const pivot = x0 < x1 ? (x1 < x2 ? x1 : x0 < x2 ? x2 : x0) : x0 < x2 ? x0 : x1 < x2 ? x2 : x1;
    let i = lo;
    let j = hi;
    do {
      while ((a[i] as number) < pivot) i++;
      while (pivot < (a[j] as number)) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) lo = i;
    if (k < i) hi = j;
  }
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
  } else if (values instanceof Float64Array || values instanceof Int32Array) {
    [min, max] = typedExtent(values);
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
  if (rows === undefined && (values instanceof Float64Array || values instanceof Int32Array)) {
    const typed = countTyped(values, edges, width);
    for (let i = 0; i < nbins; i++) counts[i] = typed[i] as number;
    return counts;
  }
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

/**
 * [min, max] of the finite values of a typed column. This and {@link countTyped} are
 * {@link makeBins}' and {@link countBins}' loops for the dataset's typed columns, in functions that
 * only ever see typed arrays: V8 keeps their loads specialised from run to run of a kept isolate.
 */
function typedExtent(values: Float64Array | Int32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v === 0) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return [min, max];
}

/** {@link countBins} over every value of a typed column (the same steps, see {@link typedExtent}). */
function countTyped(values: Float64Array | Int32Array, edges: readonly number[], width: number): Float64Array {
  const nbins = edges.length - 1;
  const bounds = Float64Array.from(edges);
  const min = bounds[0] as number;
  const max = bounds[nbins] as number;
  const counts = new Float64Array(nbins);
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    if (!(v - v === 0) || v < min || v > max) continue;
    let i = Math.floor((v - min) / width);
    if (i >= nbins) i = nbins - 1;
    else if (v < (bounds[i] as number)) i--;
    else if (i + 1 < nbins && v >= (bounds[i + 1] as number)) i++;
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

/** The typed columns the dataset's numeric columns are (numbers, and integers without nulls). */
type NumericArray = Float64Array | Int32Array;

const isNumericArray = (v: ArrayLike<unknown>): v is NumericArray => v instanceof Float64Array || v instanceof Int32Array;

/**
 * The matrix of {@link pearson} over every pair of `columns` (1 on the diagonal), each cell the same
 * number {@link pearson} gives to the last bit. Typed columns of one length whose values are all
 * finite share their means and centred sums of squares between pairs (pearson's pairwise-complete
 * rows are then every row), and their sums are computed several at a time in one loop over Float64
 * arrays: each sum must stay one chain of additions in row order (the same bits), so a loop with one
 * sum waits on the adder's latency, and independent chains side by side cost about what one does.
 * Columns go in threes: one loop for their sums, one for the six centred products within the three,
 * and three-pair loops for pairs across threes. Other pairs go through {@link pearson}.
 */
export function correlationMatrix(columns: readonly ArrayLike<unknown>[]): (number | null)[][] {
  const k = columns.length;
  const n = k > 0 ? (columns[0] as ArrayLike<unknown>).length : 0;
  // The complete columns as Float64Arrays (ints widened, which is exact); undefined for the others.
  const dense: (Float64Array | undefined)[] = columns.map((column) =>
    column.length !== n || n < 2 ? undefined : column instanceof Float64Array ? column : column instanceof Int32Array ? new Float64Array(column) : undefined,
  );
  // The sums of one loop, read right after it.
  const sums = new Float64Array(6);
  const means = new Float64Array(k);
  for (const [a, b, c] of threes(dense)) {
    sums3(dense[a] as Float64Array, dense[b] as Float64Array, dense[c] as Float64Array, n, sums);
    means[a] = sums[0] as number;
    means[b] = sums[1] as number;
    means[c] = sums[2] as number;
  }
  for (let c = 0; c < k; c++) {
    const sum = means[c] as number;
    // A finite sum of n values means each was finite (a NaN or an infinity makes the sum NaN or infinite).
    if (sum - sum === 0) means[c] = sum / n;
    else dense[c] = undefined;
  }
  // products[i * k + j], i ≤ j: Σ (column i − its mean)(column j − its mean) in row order.
  const products = new Float64Array(k * k);
  const put = (i: number, j: number, value: number): void => {
    products[Math.min(i, j) * k + Math.max(i, j)] = value;
  };
  const groups = threes(dense);
  const across: number[] = [];
  for (let g = 0; g < groups.length; g++) {
    const [a, b, c] = groups[g] as [number, number, number];
    centredProductsWithin3(dense[a] as Float64Array, means[a] as number, dense[b] as Float64Array, means[b] as number, dense[c] as Float64Array, means[c] as number, n, sums);
    put(a, a, sums[0] as number);
    put(a, b, sums[1] as number);
    put(a, c, sums[2] as number);
    put(b, b, sums[3] as number);
    put(b, c, sums[4] as number);
    put(c, c, sums[5] as number);
    for (let h = g + 1; h < groups.length; h++) for (const i of new Set(groups[g])) for (const j of new Set(groups[h])) across.push(i, j);
  }
  const columnAt = (q: number): Float64Array => dense[across[q] as number] as Float64Array;
  const meanAt = (q: number): number => means[across[q] as number] as number;
  for (let p = 0; p < across.length; p += 6) {
    // The pairs at p, q1 and q2 (the last loop repeats its last pair).
    const q1 = Math.min(p + 2, across.length - 2);
    const q2 = Math.min(p + 4, across.length - 2);
    centredProducts3(
      columnAt(p),
      meanAt(p),
      columnAt(p + 1),
      meanAt(p + 1),
      columnAt(q1),
      meanAt(q1),
      columnAt(q1 + 1),
      meanAt(q1 + 1),
      columnAt(q2),
      meanAt(q2),
      columnAt(q2 + 1),
      meanAt(q2 + 1),
      n,
      sums,
    );
    put(across[p] as number, across[p + 1] as number, sums[0] as number);
    put(across[q1] as number, across[q1 + 1] as number, sums[1] as number);
    put(across[q2] as number, across[q2 + 1] as number, sums[2] as number);
  }
  const z = columns.map(() => columns.map((): number | null => null));
  for (let i = 0; i < k; i++) {
    (z[i] as (number | null)[])[i] = 1;
    for (let j = i + 1; j < k; j++) {
      let r: number | null;
      if (dense[i] !== undefined && dense[j] !== undefined) {
        const saa = products[i * k + i] as number;
        const sbb = products[j * k + j] as number;
        r = saa === 0 || sbb === 0 ? null : Math.max(-1, Math.min(1, (products[i * k + j] as number) / Math.sqrt(saa * sbb)));
      } else r = pearson(columns[i] as ArrayLike<unknown>, columns[j] as ArrayLike<unknown>);
      (z[i] as (number | null)[])[j] = r;
      (z[j] as (number | null)[])[i] = r;
    }
  }
  return z;
}

/** The indices of the defined entries in threes, the last three filled up by repeating its last index. */
function threes(dense: readonly (Float64Array | undefined)[]): [number, number, number][] {
  const defined = dense.flatMap((values, c) => (values === undefined ? [] : [c]));
  const out: [number, number, number][] = [];
  for (let t = 0; t < defined.length; t += 3) {
    const at = (q: number): number => defined[Math.min(t + q, defined.length - 1)] as number;
    out.push([at(0), at(1), at(2)]);
  }
  return out;
}

/** The sums of three columns' first `n` values, each in row order, into `out[0..2]`. */
function sums3(a: Float64Array, b: Float64Array, c: Float64Array, n: number, out: Float64Array): void {
  let sa = 0;
  let sb = 0;
  let sc = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i] as number;
    sb += b[i] as number;
    sc += c[i] as number;
  }
  out[0] = sa;
  out[1] = sb;
  out[2] = sc;
}

/** The six sums Σ (x − mx)(y − my) over pairs of three columns (aa, ab, ac, bb, bc, cc) in row order, as {@link pearson}'s second pass sums them, into `out`. */
function centredProductsWithin3(a: Float64Array, ma: number, b: Float64Array, mb: number, c: Float64Array, mc: number, n: number, out: Float64Array): void {
  let aa = 0;
  let ab = 0;
  let ac = 0;
  let bb = 0;
  let bc = 0;
  let cc = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    const z = (c[i] as number) - mc;
    aa += x * x;
    ab += x * y;
    ac += x * z;
    bb += y * y;
    bc += y * z;
    cc += z * z;
  }
  out[0] = aa;
  out[1] = ab;
  out[2] = ac;
  out[3] = bb;
  out[4] = bc;
  out[5] = cc;
}

/** Three sums Σ (a[i] − ma)(b[i] − mb) in row order, as {@link pearson}'s second pass sums them, into `out[0..2]`. */
function centredProducts3(
  a0: Float64Array,
  ma0: number,
  b0: Float64Array,
  mb0: number,
  a1: Float64Array,
  ma1: number,
  b1: Float64Array,
  mb1: number,
  a2: Float64Array,
  ma2: number,
  b2: Float64Array,
  mb2: number,
  n: number,
  out: Float64Array,
): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    s0 += ((a0[i] as number) - ma0) * ((b0[i] as number) - mb0);
    s1 += ((a1[i] as number) - ma1) * ((b1[i] as number) - mb1);
    s2 += ((a2[i] as number) - ma2) * ((b2[i] as number) - mb2);
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
}

/** Pearson correlation over rows where both values are finite numbers; `null` if undefined. */
export function pearson(a: ArrayLike<unknown>, b: ArrayLike<unknown>): number | null {
  return isNumericArray(a) && isNumericArray(b) ? pearsonTyped(a, b) : pearsonAny(a, b);
}

/**
 * {@link pearson} on typed columns: the same arithmetic in the same order (so the same result to
 * the last bit), without the per-value type checks, and with loads V8 can specialise. 3–5× faster
 * on the dataset's columns (a 1M-row correlation matrix spends most of its time here).
 */
function pearsonTyped(a: NumericArray, b: NumericArray): number | null {
  const n = Math.min(a.length, b.length);
  let count = 0;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x - x === 0 && y - y === 0) {
      count++;
      meanA += x;
      meanB += y;
    }
  }
  if (count < 2) return null;
  meanA /= count;
  meanB /= count;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x - x === 0 && y - y === 0) {
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

function pearsonAny(a: ArrayLike<unknown>, b: ArrayLike<unknown>): number | null {
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
