/**
 * Run-time checks every adapter applies to its arguments before building a query. They are the
 * store's own line of defence against operator injection: a value that is not exactly the
 * expected primitive (e.g. `{ "$ne": null }` where an id belongs) is refused with `STORE_INVALID`
 * even if validation upstream failed.
 */
import { invalid } from './store-error.ts';
import type { JsonValue, Principal } from './ports.ts';
import { MAX_PAGE_LIMIT, PRINCIPAL_KINDS } from './ports.ts';

/** Longest id accepted. Ids are opaque, but not unbounded. */
export const MAX_ID_LENGTH = 200;

/** A non-empty string of at most {@link MAX_ID_LENGTH} chars. */
export function assertId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw invalid(field, `must be a non-empty string of at most ${MAX_ID_LENGTH} chars`);
  }
  return value;
}

/** A string of `min`..`max` UTF-16 units. */
export function assertString(value: unknown, field: string, max: number, min = 0): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw invalid(field, `must be a string of ${min}..${max} chars`);
  }
  return value;
}

/** A string or `null`; `undefined` counts as `null`. */
export function assertOptionalString(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  return assertString(value, field, max);
}

/** One of `values`. */
export function assertOneOf<T extends string>(value: unknown, field: string, values: readonly T[]): T {
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
    throw invalid(field, `must be one of ${values.join(', ')}`);
  }
  return value as T;
}

export function assertBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(field, 'must be a boolean');
  return value;
}

/** A safe integer in `min`..`max`. */
export function assertInt(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer in ${min}..${max}`);
  }
  return value;
}

/** A valid `Date`; returns its epoch ms. */
export function assertDate(value: unknown, field: string): number {
  if (!(value instanceof Date) || !Number.isFinite(value.getTime())) throw invalid(field, 'must be a valid Date');
  return value.getTime();
}

/** A valid `Date` or `null`/`undefined`; returns epoch ms or `null`. */
export function assertOptionalDate(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  return assertDate(value, field);
}

/** An array of strings (each checked by {@link assertId}), at most `max` long. */
export function assertIdArray(value: unknown, field: string, max: number): string[] {
  if (!Array.isArray(value) || value.length > max) throw invalid(field, `must be an array of at most ${max} ids`);
  return value.map((v: unknown) => assertId(v, field));
}

/** Normalized form used for case-insensitive email uniqueness and lookup. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').toLowerCase();
}

/** A plausible email (the API validates properly): 3..320 chars with an `@`. Returns it as given. */
export function assertEmail(value: unknown, field = 'email'): string {
  const email = assertString(value, field, 320, 3);
  if (!email.includes('@')) throw invalid(field, 'must be an email address');
  return email;
}

export function assertPrincipal(value: unknown, field = 'principal'): Principal {
  if (typeof value !== 'object' || value === null) throw invalid(field, 'must be { kind, id }');
  const v = value as { kind?: unknown; id?: unknown };
  return { kind: assertOneOf(v.kind, `${field}.kind`, PRINCIPAL_KINDS), id: assertId(v.id, `${field}.id`) };
}

/** Checks a page request; returns the limit and the raw cursor (decode it with `decodeCursor`). */
export function assertPage(value: unknown): { limit: number; cursor: string | undefined } {
  if (typeof value !== 'object' || value === null) throw invalid('page', 'must be { limit, cursor? }');
  const v = value as { limit?: unknown; cursor?: unknown };
  const limit = assertInt(v.limit, 'limit', 1, MAX_PAGE_LIMIT);
  if (v.cursor === undefined) return { limit, cursor: undefined };
  if (typeof v.cursor !== 'string') throw invalid('cursor', 'must be a string');
  return { limit, cursor: v.cursor };
}

const MAX_JSON_DEPTH = 64;

function checkJson(value: unknown, field: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw invalid(field, 'is nested too deeply');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(field, 'contains a non-finite number');
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) checkJson(item, field, depth + 1);
    return;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) throw invalid(field, 'must be plain JSON');
    for (const item of Object.values(value)) checkJson(item, field, depth + 1);
    return;
  }
  throw invalid(field, 'must be plain JSON');
}

/**
 * Plain JSON (no `undefined`, functions, class instances, non-finite numbers), at most `maxBytes`
 * when serialized. Returns the serialization: JSON fields are stored as text in both adapters, so
 * keys like `$where` or `a.b` inside them are inert data.
 */
export function serializeJson(value: unknown, field: string, maxBytes: number): string {
  checkJson(value, field, 0);
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw invalid(field, `must be at most ${maxBytes} bytes of JSON`);
  return text;
}

/** A JSON object (not an array or primitive), serialized as {@link serializeJson}. */
export function serializeJsonObject(value: unknown, field: string, maxBytes: number): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'must be a JSON object');
  return serializeJson(value, field, maxBytes);
}

/** Parse JSON text written by {@link serializeJson}. */
export function parseJson(text: string): JsonValue {
  return JSON.parse(text) as JsonValue;
}

/** Throws unless `value` is an object (a patch or input record). */
export function assertObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'must be an object');
  return value as Record<string, unknown>;
}

/** Refuses keys outside `allowed`: an unknown field is a caller bug, never silently ignored. */
export function assertKnownKeys(value: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(field, `unknown field ${JSON.stringify(key).slice(0, 80)}`);
  }
}
