/**
 * Times as backups carry them. A backup record is the adapter's domain record with its `Date`
 * fields as epoch milliseconds, so both adapters dump a record through the same row mapper their
 * repository reads it with, and a new field is added in one place.
 */

/** `T` with every top-level `Date` field (nullable or not) as epoch milliseconds. */
export type WithEpochs<T> = { readonly [K in keyof T]: T[K] extends Date ? number : T[K] extends Date | null ? number | null : T[K] };

/** A copy of `record` with its top-level `Date` fields as epoch milliseconds; nested values as they are. */
export function withEpochs<T extends object>(record: T): WithEpochs<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) out[key] = value instanceof Date ? value.getTime() : value;
  return out as WithEpochs<T>;
}
