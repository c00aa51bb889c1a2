/**
 * Opaque keyset-pagination cursors: `(time, id)` of the last item of a page, tagged with the list
 * they belong to, base64url-encoded. A cursor that does not decode exactly is `STORE_INVALID`.
 */
import { invalid } from './store-error.ts';
import type { Page } from './ports.ts';
import { MAX_ID_LENGTH, assertPage } from './validate.ts';

/** The position a cursor encodes: items strictly after `(t, id)` come next. */
export interface CursorPosition {
  readonly t: number;
  readonly id: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Encode the position after which the next page starts, for the list named `list`. */
export function encodeCursor(list: string, position: CursorPosition): string {
  return Buffer.from(JSON.stringify([list, position.t, position.id]), 'utf8').toString('base64url');
}

/** Decode a cursor of list `list`. @throws `STORE_INVALID` `cursor` for anything else. */
export function decodeCursor(list: string, cursor: string): CursorPosition {
  const bad = () => invalid('cursor', 'is not a cursor of this list');
  if (cursor.length === 0 || cursor.length > 1024 || !BASE64URL.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw bad();
  const [tag, t, id] = parsed as unknown[];
  if (tag !== list || typeof t !== 'number' || !Number.isSafeInteger(t) || typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw bad();
  }
  return { t, id };
}

/**
 * Build a page from up to `limit + 1` rows fetched in order: the extra row only tells that another
 * page exists.
 */
export function toPage<T>(rows: readonly T[], limit: number, list: string, position: (item: T) => CursorPosition): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  if (last === undefined) return { items };
  return { items, nextCursor: encodeCursor(list, position(last)) };
}

/**
 * A checked page request, ready for a keyset query: the list it belongs to, its size, the position
 * after which it starts (`null`: the first page) and its direction.
 */
export interface PageQuery {
  readonly list: string;
  readonly limit: number;
  readonly after: CursorPosition | null;
  /** `(time, id)` descending (the audit log's newest-first order); ascending otherwise. */
  readonly descending: boolean;
}

/**
 * Check a page request of list `list` and decode its cursor. A descending list has cursors of its
 * own (`<list>-desc`), so a cursor of one order is refused by the other.
 * @throws `STORE_INVALID` `limit`, `cursor`, `page`.
 */
export function checkPage(value: unknown, list: string, descending = false): PageQuery {
  const { limit, cursor } = assertPage(value);
  const tag = descending ? `${list}-desc` : list;
  return { list: tag, limit, after: cursor === undefined ? null : decodeCursor(tag, cursor), descending };
}

/** The page of `query` from up to `limit + 1` rows fetched in its order (see {@link toPage}). */
export function pageOf<T>(rows: readonly T[], query: PageQuery, position: (item: T) => CursorPosition): Page<T> {
  return toPage(rows, query.limit, query.list, position);
}

/** The position of records listed by `(createdAt, id)`, the order of every list but the audit log. */
export function byCreatedAt(item: { readonly createdAt: Date; readonly id: string }): CursorPosition {
  return { t: item.createdAt.getTime(), id: item.id };
}

/** The position of audit events, listed by `(at, id)`. */
export function byAt(item: { readonly at: Date; readonly id: string }): CursorPosition {
  return { t: item.at.getTime(), id: item.id };
}
