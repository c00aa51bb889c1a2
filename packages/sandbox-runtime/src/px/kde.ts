/**
 * Kernel density estimates for violins, computed in the sandbox the way plotly.js computes them
 * in the browser (src/traces/violin/calc.js): Gaussian kernel, Silverman's rule-of-thumb
 * bandwidth bounded below by span/100, evaluated over [min − 2·bw, max + 2·bw]. A violin is then
 * drawn as a filled outline, so the figure carries ~200 density values instead of every row.
 * Pure ECMAScript; runs inside the isolate.
 */
import { quantileSorted } from '../stats.ts';

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** plotly.js's default bandwidth for ascending `sorted` values (0 when they are all equal). */
export function defaultBandwidth(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const span = (sorted[n - 1] as number) - (sorted[0] as number);
  if (!(span > 0)) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sorted[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((sorted[i] as number) - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  return Math.max(1.059 * Math.min(sd, iqr / 1.349) * n ** -0.2, span / 100);
}

/** Rows above which the density is evaluated from 2,048 linear bins instead of every value. */
const EXACT_LIMIT = 4000;
const BINS = 2048;

export interface Density {
  /** Evaluation points, ascending. */
  readonly at: number[];
  readonly density: number[];
  readonly bandwidth: number;
}

/**
 * Gaussian KDE of ascending `sorted` values on at most `maxPoints` + 1 evenly spaced points
 * (plotly.js steps by a third of the bandwidth; 120 steps draw the same outline at any size).
 * Past {@link EXACT_LIMIT} values the data are first linearly binned onto 2,048 points (the
 * standard fast KDE; its error is far below what a plot shows), so a million rows cost the same
 * as four thousand.
 */
export function kde(sorted: Float64Array, bandwidth?: number, maxPoints = 120): Density | null {
  const n = sorted.length;
  if (n === 0) return null;
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  let bw = bandwidth ?? defaultBandwidth(sorted);
  // All values equal: a narrow spike rather than nothing.
  if (!(bw > 0)) bw = Math.max(Math.abs(min) * 1e-3, 1e-3);
  const lo = min - 2 * bw;
  const hi = max + 2 * bw;
  const steps = Math.min(maxPoints, Math.max(10, Math.ceil((hi - lo) / (bw / 3))));
  const step = (hi - lo) / steps;
  let centres: ArrayLike<number> = sorted;
  let weights: Float64Array | undefined;
  if (n > EXACT_LIMIT) {
    const width = (max - min) / (BINS - 1) || 1;
    const w = new Float64Array(BINS);
    for (let i = 0; i < n; i++) {
      const pos = ((sorted[i] as number) - min) / width;
      const b = Math.min(BINS - 2, Math.floor(pos));
      const f = pos - b;
      w[b] = (w[b] as number) + (1 - f);
      w[b + 1] = (w[b + 1] as number) + f;
    }
    centres = Float64Array.from({ length: BINS }, (_, b) => min + b * width);
    weights = w;
  }
  const factor = 1 / (n * bw * SQRT_2PI);
  const at: number[] = [];
  const density: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const t = lo + s * step;
    let sum = 0;
    for (let i = 0; i < centres.length; i++) {
      const u = (t - (centres[i] as number)) / bw;
      if (u > 8 || u < -8) continue;
      const e = Math.exp(-0.5 * u * u);
      sum += weights === undefined ? e : (weights[i] as number) * e;
    }
    at.push(t);
    density.push(factor * sum);
  }
  return { at, density, bandwidth: bw };
}

/**
 * The closed outline of a violin centred at `position`, `halfWidth` wide at its densest point
 * (`scale` is the density drawn at full width): `v` the values, `p` the positions across.
 */
export function violinOutline(d: Density, position: number, halfWidth: number, scale: number, side: 'both' | 'positive' | 'negative' = 'both'): { v: number[]; p: number[] } {
  const v: number[] = [];
  const p: number[] = [];
  const k = scale > 0 ? halfWidth / scale : 0;
  const up = side !== 'negative';
  const down = side !== 'positive';
  for (let i = 0; i < d.at.length; i++) {
    v.push(d.at[i] as number);
    p.push(position + (up ? 1 : 0) * k * (d.density[i] as number));
  }
  for (let i = d.at.length - 1; i >= 0; i--) {
    v.push(d.at[i] as number);
    p.push(position - (down ? 1 : 0) * k * (d.density[i] as number));
  }
  v.push(v[0] as number);
  p.push(p[0] as number);
  // Six significant digits: far finer than a pixel, and a third of the JSON of full doubles.
  const round = (a: number[]): number[] => a.map((x) => Number(x.toPrecision(6)));
  return { v: round(v), p: round(p) };
}
