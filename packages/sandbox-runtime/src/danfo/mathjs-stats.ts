/**
 * Stands in for `mathjs` where danfo requires it (build-danfo.mjs): danfo uses five statistics of
 * a flat array of numbers (`mean`, `median`, `mode`, `std`, `variance`), with mathjs's meaning
 * (variance and std unbiased, divided by n − 1; `mode` lists every most frequent value in order of
 * reaching the top count; empty input throws). mathjs itself is ≈5 MB bundled, and its CommonJS
 * build, which danfo's `require` picks, assigns `exports.hasOwnProperty`, which a locked-down
 * realm refuses (a frozen `Object.prototype` property cannot be shadowed by assignment).
 */

function numbers(values: unknown, name: string): number[] {
  const list = flatten(values);
  if (list.length === 0) throw new Error(`Cannot calculate ${name} of an empty array`);
  return list.map((v) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return Number(v);
    throw new TypeError(`Cannot calculate ${name}, unexpected type of argument (value: ${String(v)})`);
  });
}

function flatten(values: unknown): unknown[] {
  if (!Array.isArray(values)) return ArrayBuffer.isView(values) ? Array.from(values as unknown as ArrayLike<unknown>) : [values];
  return values.some(Array.isArray) ? values.flat(Infinity) : values;
}

/** Arithmetic mean. */
export function mean(values: unknown): number {
  const xs = numbers(values, 'mean');
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Median (the mean of the two middle values for an even count). */
export function median(values: unknown): number {
  const xs = numbers(values, 'median').sort((a, b) => a - b);
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

/** Every most frequent value, in the order each reached the top count (mathjs `mode`). */
export function mode(values: unknown): unknown[] {
  const list = flatten(values);
  if (list.length === 0) throw new Error('Cannot calculate mode of an empty array');
  const count = new Map<unknown, number>();
  let modes: unknown[] = [];
  let max = 0;
  for (const value of list) {
    if (typeof value === 'number' && Number.isNaN(value)) throw new Error('Cannot calculate mode of an array containing NaN values');
    const n = (count.get(value) ?? 0) + 1;
    count.set(value, n);
    if (n === max) modes.push(value);
    else if (n > max) {
      max = n;
      modes = [value];
    }
  }
  return modes;
}

/** Unbiased sample variance (divided by n − 1; 0 for one value, as mathjs gives). */
export function variance(values: unknown): number {
  const xs = numbers(values, 'variance');
  if (xs.length === 1) return 0;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return ss / (xs.length - 1);
}

/** Unbiased sample standard deviation. */
export function std(values: unknown): number {
  return Math.sqrt(variance(values));
}
