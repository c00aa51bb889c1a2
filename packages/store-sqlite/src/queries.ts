/**
 * Query shapes several repositories share: existence checks, keyset pages and the versioned update
 * (optimistic concurrency), each written once for the SQLite store.
 */
import type { SQLInputValue } from 'node:sqlite';
import { notFound, pageOf, versionMismatch } from '@plotbox/store';
import type { CursorPosition, Page, PageQuery, Principal } from '@plotbox/store';
import type { SqliteHandle } from './handle.ts';
import type { Row } from './rows.ts';

/** Tables whose rows have an `id` primary key. */
export type IdTable = 'users' | 'user_groups' | 'projects' | 'dashboards' | 'charts' | 'datasets' | 'sessions';

export function exists(h: SqliteHandle, table: IdTable, id: string): boolean {
  return h.one(`SELECT 1 AS x FROM ${table} WHERE id = ?`, id) !== undefined;
}

/** @throws `STORE_NOT_FOUND` `user` or `group` when the principal does not exist. */
export function assertPrincipalExists(h: SqliteHandle, p: Principal): void {
  if (!exists(h, p.kind === 'user' ? 'users' : 'user_groups', p.id)) throw notFound(p.kind);
}

/** A record's parent: its table, its id, and the entity named when it is missing. */
export interface Parent {
  readonly table: IdTable;
  readonly id: string;
  readonly entity: string;
}

/**
 * Insert a record under `parent` in one transaction: the parent must exist, then `insert` writes
 * the row with a new id and the time (epoch ms). Returns both.
 * @throws `STORE_NOT_FOUND` `parent.entity`.
 */
export function insertUnder(h: SqliteHandle, parent: Parent, insert: (id: string, t: number) => void): { readonly id: string; readonly t: number } {
  return h.tx(() => {
    if (!exists(h, parent.table, parent.id)) throw notFound(parent.entity);
    const id = h.newId();
    const t = h.nowMs();
    insert(id, t);
    return { id, t };
  });
}

/** A keyset-paged list: `base` selects the rows and ends in a WHERE condition, `timeColumn` and `id` order them. */
export interface PagedQuery<T> {
  readonly base: string;
  readonly params: readonly SQLInputValue[];
  readonly timeColumn: string;
  readonly map: (row: Row) => T;
  readonly position: (item: T) => CursorPosition;
}

/** One page of `query`, after the page's cursor, in its direction. */
export function paged<T>(h: SqliteHandle, query: PagedQuery<T>, page: PageQuery): Page<T> {
  const t = query.timeColumn;
  const [after, order] = page.descending ? ['<', 'DESC'] : ['>', 'ASC'];
  let sql = query.base;
  const ps = [...query.params];
  if (page.after !== null) {
    sql += ` AND (${t} ${after} ? OR (${t} = ? AND id ${after} ?))`;
    ps.push(page.after.t, page.after.t, page.after.id);
  }
  sql += ` ORDER BY ${t} ${order}, id ${order} LIMIT ?`;
  ps.push(page.limit + 1);
  return pageOf(h.all(sql, ...ps).map(query.map), page, query.position);
}

/** Tables with optimistic versions: `version` (from 1) and `updated_at`. */
export type VersionedTable = 'users' | 'projects' | 'dashboards' | 'charts' | 'datasets';

/** A versioned update of one row. */
export interface VersionedUpdate {
  readonly table: VersionedTable;
  /** The entity named in `STORE_NOT_FOUND` / `STORE_VERSION_MISMATCH`. */
  readonly entity: string;
  readonly id: string;
  /** The version the caller read; `null` updates whatever the version is. */
  readonly expectedVersion: number | null;
  /** Columns to set; `undefined` values are left as they are. */
  readonly set: Readonly<Record<string, SQLInputValue | undefined>>;
  /** The new `updated_at` (epoch ms), when the change records it elsewhere too; default now. */
  readonly at?: number;
}

/**
 * Set columns of the row if it is still at `expectedVersion`, with `updated_at` now and `version`
 * one more, in one statement; else tell a stale version from a missing row.
 * @returns the row after the update.
 * @throws `STORE_VERSION_MISMATCH` or `STORE_NOT_FOUND` for `entity`.
 */
export function versionedUpdate(h: SqliteHandle, u: VersionedUpdate): Row {
  const columns = Object.entries(u.set).filter((e): e is [string, SQLInputValue] => e[1] !== undefined);
  const sets = [...columns.map(([c]) => `${c} = ?`), 'updated_at = ?', 'version = version + 1'].join(', ');
  const params = [...columns.map(([, v]) => v), u.at ?? h.nowMs(), u.id];
  const where = u.expectedVersion === null ? 'id = ?' : 'id = ? AND version = ?';
  if (u.expectedVersion !== null) params.push(u.expectedVersion);
  const row = h.one(`UPDATE ${u.table} SET ${sets} WHERE ${where} RETURNING *`, ...params);
  if (row !== undefined) return row;
  if (exists(h, u.table, u.id)) throw versionMismatch(u.entity);
  throw notFound(u.entity);
}
