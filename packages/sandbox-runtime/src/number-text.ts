/**
 * JSON text for the numbers charts are made of, without V8's general double→shortest-string
 * conversion (≈50 ns a number, most of the serializer's time on a scatter of prices).
 *
 * {@link shortNumberText} handles the doubles that are exactly a decimal with at most
 * {@link DECIMALS} fractional digits (prices, rates, rounded measures, integers) and returns `''`
 * for everything else, which the caller hands to the native serializer. Its output is
 * byte-identical to `JSON.stringify(x)` (and `Number.prototype.toString`); why that holds:
 *
 * Let x be finite and r an integer with |r| < 10^15 such that the double nearest r / 10^4 is x
 * (division is correctly rounded and 10^4 is exact, so `r / 1e4 === x` tests exactly that; how r
 * was found does not matter). Let d = r / 10^4 as a real number. Then:
 * 1. d rounds to x, so d is one of the decimals that read back as x.
 * 2. Every real that rounds to x lies in an interval of width at most ulp(x) ≤ |x|·2^-52 <
 *    (10^11 + 1)·2^-52 < 10^-4, so that interval holds no multiple of 10^-4 other than d.
 * 3. Number::toString picks the decimal with the fewest significant digits that rounds to x (ties
 *    broken by closeness to x). Any candidate c with no more significant digits than d either
 *    starts at d's leading digit position or higher, and then ends at or above d's last digit, so
 *    it is a multiple of 10^-4 in the interval and c = d by (2); or it starts lower, and then
 *    10^(d's leading position) lies between c and d, inside the interval, is a multiple of 10^-4,
 *    so it is d, which then has one digit and c cannot have fewer. So d, without trailing zeros,
 *    is the one string the spec allows.
 * 4. 10^-4 ≤ |x| < 10^21 whenever x ≠ 0, where Number::toString writes plain fixed notation
 *    (no exponent), `-` for negatives, and `0` for both zeros; that is what is written here.
 *
 * The text is built from small tables of digit strings: writing char codes into a buffer turned
 * into a string with `String.fromCharCode` measured faster alone but slower inside the serializer.
 *
 * Pure ECMAScript; no imports; every intrinsic it uses is captured at load, and it calls nothing
 * an analyst could have replaced (a template literal applies the abstract ToString to a primitive
 * number without consulting `Number.prototype`).
 */

/** Fractional digits handled by {@link shortNumberText}. */
export const DECIMALS = 4;
const SCALE = 1e4;
/** The bound on |r| in the argument above (so |x| < 10^11). */
const LIMIT = 1e15;

const mathRound = Math.round;
const mathFloor = Math.floor;
const setPrototypeOf = Object.setPrototypeOf;

/** A null-prototype array of `n` strings, so an out-of-range read could never reach a prototype. */
function table(n: number, text: (i: number) => string): string[] {
  const t: string[] = [];
  setPrototypeOf(t, null);
  for (let i = 0; i < n; i++) t[i] = text(i);
  return t;
}
const pad2 = (i: number): string => (i < 10 ? `0${i}` : `${i}`);
/** `i` as two digits without trailing zeros: 50 → "5", 7 → "07". */
const strip2 = (i: number): string => (i % 10 === 0 ? `${i / 10}` : pad2(i));
/** Integer parts below 100, the common case, without NumberToString. */
const SMALL = table(100, (i) => `${i}`);
/** The same after a comma: an array's elements cost one string each, not two. */
const SMALL_AFTER_COMMA = table(100, (i) => `,${i}`);
/** The fraction hh00/10^4: "" for 0, ".5", ".05", ".57". */
const FRACTION_HIGH = table(100, (i) => (i === 0 ? '' : `.${strip2(i)}`));
/** The leading half of a fraction whose last two digits are not both zero: ".05", ".57". */
const FRACTION_HIGH_FULL = table(100, (i) => `.${pad2(i)}`);
/** The trailing half of such a fraction, trailing zero dropped: "07", "5". */
const FRACTION_LOW = table(100, strip2);

/**
 * Whether {@link shortNumberText} would write `x` and `x` has a fractional part: the numbers for
 * which writing text in JavaScript clearly beats the native serializer (V8 writes small
 * integers about as fast itself).
 */
export function isShortFraction(x: number): boolean {
  if (mathFloor(x) === x) return false;
  const r = mathRound(x * SCALE);
  return r / SCALE === x && r < LIMIT && r > -LIMIT;
}

/**
 * `JSON.stringify(x)`, after a `,` when `comma`, for an `x` that is exactly a decimal with at
 * most {@link DECIMALS} fractional digits (integers included) and below 10^11 in magnitude; `''`
 * for any other value (including NaN and ±Infinity), which the caller must serialize natively.
 */
export function shortNumberText(x: number, comma: boolean): string {
  const r = mathRound(x * SCALE);
  if (r / SCALE !== x || r >= LIMIT || r <= -LIMIT) return '';
  const m = r < 0 ? -r : r;
  const q = mathFloor(m / SCALE);
  const f = m - q * SCALE;
  let s: string;
  // -0 has r = -0, which is not < 0: it is written "0", as JSON.stringify does.
  if (r < 0) s = q < 100 ? (comma ? ',-' : '-') + (SMALL[q] as string) : comma ? `,-${q}` : `-${q}`;
  else s = q < 100 ? ((comma ? SMALL_AFTER_COMMA[q] : SMALL[q]) as string) : comma ? `,${q}` : `${q}`;
  if (f !== 0) {
    const high = mathFloor(f / 100);
    const low = f - high * 100;
    s += low === 0 ? (FRACTION_HIGH[high] as string) : (FRACTION_HIGH_FULL[high] as string) + (FRACTION_LOW[low] as string);
  }
  return s;
}
