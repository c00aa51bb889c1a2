/**
 * Dates as px reads them: ISO-8601 text (what `data` and `df` hold for date columns), `Date`
 * objects, or epoch milliseconds. Text without a zone is read as UTC, so a figure never depends
 * on the host's time zone. Pure ECMAScript; runs inside the isolate.
 */

const ISO = /^\d{4}-\d\d(-\d\d)?([T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?)?$/;

/** Milliseconds since 1970 for a date-like value; `NaN` when it is none; `null` for null. */
export function dateMs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value - value === 0 ? value : NaN;
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string') return NaN;
  const m = ISO.exec(value);
  if (m === null) return NaN;
  // A date-time without a zone: UTC (Date.parse would use the local zone).
  const text = m[2] !== undefined && m[5] === undefined ? `${value.replace(' ', 'T')}Z` : value.replace(' ', 'T');
  return Date.parse(text);
}

/** Is `value` ISO date text? */
export function isDateText(value: unknown): boolean {
  return typeof value === 'string' && ISO.test(value);
}

/** ISO text of `ms`: `YYYY-MM-DD` for midnights, else the full timestamp. */
export function isoOf(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith('T00:00:00.000Z') ? s.slice(0, 10) : s;
}
