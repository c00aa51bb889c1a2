import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECIMALS, isShortFraction, shortNumberText } from './number-text.ts';
import { serializeFigure } from './serialize-figure.ts';
import { seededRandom } from './seeded-random.ts';

const f64 = new Float64Array(1);
const bits = new BigInt64Array(f64.buffer);
/** The double `steps` representable values away from `x` (through the bit pattern; x finite, > 0). */
const neighbour = (x: number, steps: number): number => {
  f64[0] = x;
  bits[0] = (bits[0] as bigint) + BigInt(steps);
  return f64[0] as number;
};

/** Many thousands of doubles of every kind the fast path must either get exactly right or refuse. */
function sampleDoubles(seed: number): number[] {
  const random = seededRandom(seed);
  const int = (below: number): number => Math.floor(random() * below);
  const out: number[] = [0, -0, NaN, Infinity, -Infinity, 0.1 + 0.2, 1e21, 1e-7, 5e-324, -5e-324, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON];
  out.push(1e-4, 1e-5, 0.0001, 0.00015, 0.12345, 99999999999.9999, 1e11, 1e11 - 1e-4, 1e11 + 1, 1e15, 1e15 - 1, 2 ** 31, 2 ** 32, 2 ** 52, 2 ** 53, 2 ** 53 + 2, 2 ** 63);
  for (let d = -5; d <= 5; d++) out.push(2 ** 31 + d, -(2 ** 31) + d, 2 ** 53 + d, Number.MAX_SAFE_INTEGER + d, 2 ** 32 + d);
  // Integers: small, large, of every digit count.
  for (let i = 0; i < 2000; i++) out.push(int(2001) - 1000, int(2 ** 31), int(2 ** 53), Math.floor(10 ** int(22) * random()));
  // Decimals r / 10^k for k = 0..6 with r of 1..17 digits, both signs, built two ways (the nearest
  // double to r / 10^k, and the parse of its decimal text, which differ when the division rounds).
  for (let i = 0; i < 6000; i++) {
    const k = int(7);
    const r = Math.floor(10 ** (1 + int(17)) * random());
    const sign = random() < 0.3 ? -1 : 1;
    out.push((sign * r) / 10 ** k);
    const text = `${r}`.padStart(k + 1, '0');
    out.push(sign * Number(k === 0 ? text : `${text.slice(0, -k)}.${text.slice(-k)}`));
  }
  // Rounding boundaries: x.xx5 and its like, and the doubles next to r / 10^k.
  for (let i = 0; i < 3000; i++) {
    const k = 1 + int(DECIMALS + 1);
    const r = int(10 ** (1 + int(12)));
    const x = r / 10 ** k;
    out.push(x + 5 / 10 ** (k + 1), x - 5 / 10 ** (k + 1), Number(`${x}5`));
    if (x > 0) for (const steps of [-2, -1, 1, 2]) out.push(neighbour(x, steps));
    out.push(x * (1 + Number.EPSILON), x + 1e-12);
  }
  // Random bit patterns: every exponent, subnormals, NaN payloads.
  const words = new Uint32Array(2 * 4000);
  for (let i = 0; i < words.length; i++) words[i] = int(2 ** 32);
  out.push(...new Float64Array(words.buffer));
  // Arithmetic results, like a chart's sums and means.
  for (let i = 0; i < 2000; i++) out.push(int(10_000) / 100 + int(10_000) / 100, (int(1000) / 10) * 3, int(1e6) / 7, random() * 100);
  return out;
}

test('shortNumberText is JSON.stringify or refuses, on many thousands of doubles', () => {
  const values = sampleDoubles(16);
  assert.ok(values.length > 50_000);
  let written = 0;
  for (const x of values) {
    const text = shortNumberText(x, false);
    if (text === '') continue;
    written++;
    assert.equal(shortNumberText(x, true), `,${text}`, `${x} after a comma`);
    if (text !== JSON.stringify(x)) assert.fail(`shortNumberText(${JSON.stringify(x)}) wrote ${text}`);
    assert.equal(isShortFraction(x), Math.floor(x) !== x, `isShortFraction(${x})`);
  }
  // The fast path must actually be exercised, not refuse everything.
  assert.ok(written > values.length / 3, `only ${written} of ${values.length} took the fast path`);
});

test('every decimal with at most DECIMALS places below 10^11 takes the fast path', () => {
  const random = seededRandom(161);
  for (let i = 0; i < 20_000; i++) {
    const k = Math.floor(random() * (DECIMALS + 1));
    const x = Math.floor(random() * 10 ** (1 + Math.floor(random() * 15))) / 10 ** k;
    if (Math.abs(x) >= 1e11) continue;
    const negated = -x;
    for (const v of [x, negated]) {
      assert.equal(shortNumberText(v, false), JSON.stringify(v), `${v}`);
    }
  }
  for (const x of [0, -0, 1, 0.5, 0.05, 0.0001, 44.57, 7.45, 19.06, 0.30000000000000004 - 0.00000000000000004, 99999999999.9999]) {
    assert.notEqual(shortNumberText(x, false), '', `${x}`);
  }
  assert.equal(shortNumberText(-0, false), '0');
  assert.equal(shortNumberText(-0, true), ',0');
  assert.equal(shortNumberText(-123.5, true), ',-123.5');
  for (const x of [NaN, Infinity, -Infinity, 0.1 + 0.2, 1e-5, 1e11, 1e21, 5e-324, Number.MAX_VALUE, 1 / 3]) assert.equal(shortNumberText(x, true), '', `${x}`);
});

test('serializeFigure writes every double exactly as JSON.stringify, in every mix', () => {
  const values = sampleDoubles(1616);
  const random = seededRandom(7);
  const figures: unknown[] = [
    { x: values },
    { x: Float64Array.from(values) },
    { x: values.map((v, i) => (i % 5 === 0 ? `s${v}` : v)) },
    // Runs of integers and short decimals, so the serializer switches between its two ways.
    { x: values.map((v, i) => ((i >> 4) % 2 === 0 ? Math.round(v) : v)) },
    { x: values.map((v, i) => (i % 37 === 0 ? null : i % 41 === 0 ? true : v)) },
    { x: values.map((v) => (random() < 0.5 ? Math.round(v * 100) / 100 : v)) },
    { x: values.map((v, i) => (i % 97 === 0 ? [v, 'a', v] : v)) },
    Object.fromEntries(values.slice(0, 3000).map((v, i) => [`k${i}`, v])),
  ];
  for (const fig of figures) {
    const r = serializeFigure(fig, 64 * 1024 * 1024);
    assert.ok(r.ok);
    const expected = JSON.stringify(fig, (_, v: unknown) => (v instanceof Float64Array ? Array.from(v) : v));
    if (r.json !== expected) {
      let i = 0;
      while (r.json[i] === expected[i]) i++;
      assert.fail(`differs at ${i}: …${r.json.slice(i - 40, i + 40)} vs …${expected.slice(i - 40, i + 40)}`);
    }
  }
});
