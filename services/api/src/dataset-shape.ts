/**
 * What the API records about a dataset version's columns: its schema (names and types) and its
 * profile (counts, nulls, min/max, distinct strings), as JSON for the store. Shared by uploads and
 * the demo seed.
 */
import { profileColumns, type ColumnProfile } from '@plotbox/datasets';
import type { Column } from '@plotbox/sandbox-protocol';
import type { JsonValue } from '@plotbox/store';

/** Profile strings longer than this are cut (a min/max string is shown, never stored whole). */
const PROFILE_STRING_CHARS = 200;

/** `{ columns: [{ name, type }] }`, the version's schema. */
export function schemaOf(columns: readonly Column[]): JsonValue {
  return { columns: columns.map((c) => ({ name: c.name, type: c.kind })) };
}

/** Column profiles as JSON: dates as ISO strings, bools as booleans, long strings cut. */
export function profileOf(columns: readonly Column[], rowCount: number): JsonValue {
  const bound = (p: ColumnProfile, v: number | string | undefined): JsonValue => {
    if (v === undefined) return null;
    if (typeof v === 'string') return v.length > PROFILE_STRING_CHARS ? `${v.slice(0, PROFILE_STRING_CHARS)}…` : v;
    if (!Number.isFinite(v)) return null;
    if (p.kind === 'date') return new Date(v).toISOString();
    if (p.kind === 'bool') return v !== 0;
    return v;
  };
  return {
    rowCount,
    columns: profileColumns(columns).map((p) => ({
      name: p.name,
      type: p.kind,
      count: p.count,
      nulls: p.nulls,
      min: bound(p, p.min),
      max: bound(p, p.max),
      ...(p.distinct === undefined ? {} : { distinct: p.distinct }),
    })),
  };
}
