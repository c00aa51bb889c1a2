// Reading CSV cell text as numbers and ISO dates (the typing rules: infer-columns.ts).

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** {@link scanDecimal}: the text has a fraction or an exponent (never an `int`). */
export const NOT_INT = 1;
/** {@link scanDecimal}: `String(Number(text))` may differ from the text (sign, fraction, exponent, -0, many digits). */
export const MAY_DIFFER = 2;

/**
 * Check that `text` is decimal number text, `^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$`
 * (Infinity, NaN and hex stay text), without a leading zero (`007`, `-012`: identifiers and zip
 * codes stay text so the zeros survive); -1 if not, else flags ({@link NOT_INT}, {@link MAY_DIFFER}).
 * A character scan: the regular expressions were a third of CSV typing time.
 */
export function scanDecimal(text: string): number {
  const n = text.length;
  if (n === 0) return -1;
  let i = 0;
  let flags = 0;
  let c = text.charCodeAt(0);
  if (c === 43 || c === 45) {
    flags |= c === 43 ? MAY_DIFFER : 0;
    i = 1;
  }
  const intStart = i;
  while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
  const intDigits = i - intStart;
  if (intDigits > 1 && text.charCodeAt(intStart) === 48) return -1;
  if (intDigits === 1 && text.charCodeAt(intStart) === 48 && intStart === 1 && text.charCodeAt(0) === 45) flags |= MAY_DIFFER; // -0
  if (intDigits > 15) flags |= MAY_DIFFER;
  let fracDigits = 0;
  if (i < n && text.charCodeAt(i) === 46) {
    flags |= NOT_INT;
    i++;
    const from = i;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
    fracDigits = i - from;
    // `String(Number(text))` gives back a decimal text of at most 15 significant digits exactly
    // (DBL_DIG), unless it has a dropped form: `.5`, `1.`, a trailing zero, or below 1e-6
    // (printed with an exponent). Only then is the costly comparison needed.
    let leadingZeros = 0;
    while (leadingZeros < fracDigits && text.charCodeAt(from + leadingZeros) === 48) leadingZeros++;
    const zeroInt = intDigits === 1 && text.charCodeAt(intStart) === 48;
    if (intDigits === 0 || fracDigits === 0 || text.charCodeAt(i - 1) === 48 || intDigits + fracDigits > 15 || (zeroInt && leadingZeros >= 6)) flags |= MAY_DIFFER;
  }
  if (intDigits === 0 && fracDigits === 0) return -1;
  if (i < n && ((c = text.charCodeAt(i)) === 101 || c === 69)) {
    flags |= NOT_INT | MAY_DIFFER;
    i++;
    if (i < n && ((c = text.charCodeAt(i)) === 43 || c === 45)) i++;
    const from = i;
    while (i < n && (c = text.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === from) return -1;
  }
  return i === n ? flags : -1;
}

/** Parse decimal number text as CSV inference does; undefined if it is not one. */
export function parseNumericText(text: string): number | undefined {
  if (scanDecimal(text) < 0) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Parse an ISO-8601 date or date-time (the `parseDates` option of infer-columns.ts) to epoch ms; undefined if it is not one. */
export function parseIsoDate(text: string): number | undefined {
  const m = ISO_DATE.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] as number)) return undefined;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined;
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  let offsetMin = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
  return Number.isFinite(t) ? t : undefined;
}
