/**
 * The repository ports of the metadata store: plain records and the operations use cases need.
 *
 * Conventions every adapter follows (the conformance suite checks them):
 * - ids are opaque strings made by the injected `newId`; times are `Date`s from the injected `now`
 *   (millisecond precision);
 * - `find*` returns `null` when nothing matches; mutations of a missing record throw
 *   `STORE_NOT_FOUND`;
 * - every argument is checked at run time (`STORE_INVALID`), so a value that is not a string where
 *   a string is expected (e.g. `{ "$ne": null }`) never reaches a query;
 * - lists take `{ limit, cursor? }` and return `{ items, nextCursor? }`, ordered by
 *   `(createdAt, id)` ascending (audit: `(at, id)`), cursors are opaque;
 * - records returned are fresh objects: mutating them changes nothing stored.
 */

/** JSON as stored in the JSON-valued fields (layout, diagnostics, schema, profile, details). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A page request. `limit` is 1..{@link MAX_PAGE_LIMIT}; `cursor` comes from a previous page. */
export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

/** A page of results; `nextCursor` is absent on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
}

/** The largest page a list returns. */
export const MAX_PAGE_LIMIT = 500;

/** Clock and id generator, injected so tests need no mocking. */
export interface StoreDeps {
  readonly now: () => Date;
  readonly newId: () => string;
}
