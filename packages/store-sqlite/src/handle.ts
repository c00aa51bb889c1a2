/**
 * What every repository of the SQLite store is built from: one connection with its statement cache,
 * the transaction helper, the operation runner, the clock and the id generator.
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { StoreError, assertId } from '@plotbox/store';
import type { RunOperation, StoreDeps } from '@plotbox/store';
import { mapSqliteError } from './errors.ts';
import type { Row } from './rows.ts';

export interface SqliteHandle {
  /** The prepared statement of `sql`, made once and kept for the life of the store. */
  statement(sql: string): StatementSync;
  one(sql: string, ...params: SQLInputValue[]): Row | undefined;
  all(sql: string, ...params: SQLInputValue[]): Row[];
  /** The first row of `sql` as a record, or `null` when there is none. */
  find<T>(map: (row: Row) => T, sql: string, ...params: SQLInputValue[]): T | null;
  /** Run a statement; returns how many rows it changed. */
  run(sql: string, ...params: SQLInputValue[]): number;
  /**
   * Run `fn` in a `BEGIN IMMEDIATE` transaction (or inside the one already open): a process killed
   * mid-change leaves the previous state, and writers of other processes wait (busy timeout).
   */
  tx<T>(fn: () => T): T;
  /** One store operation: synchronous underneath, errors mapped, refused after `close()`. */
  readonly op: RunOperation;
  /** The injected clock, checked, as epoch ms. */
  nowMs(): number;
  /** The injected id generator, checked. */
  newId(): string;
  /**
   * Refuse further operations and drop the cached statements (the connection is the caller's).
   * `false` when it was closed already.
   */
  close(): boolean;
  /** @throws `STORE_UNAVAILABLE` `closed` after {@link close}. */
  assertOpen(): void;
}

export function createSqliteHandle(db: DatabaseSync, deps: StoreDeps): SqliteHandle {
  const statements = new Map<string, StatementSync>();
  let closed = false;
  const statement = (sql: string): StatementSync => {
    let st = statements.get(sql);
    if (st === undefined) {
      st = db.prepare(sql);
      statements.set(sql, st);
    }
    return st;
  };
  return {
    statement,
    one: (sql, ...params) => statement(sql).get(...params),
    all: (sql, ...params) => statement(sql).all(...params),
    find: (map, sql, ...params) => {
      const row = statement(sql).get(...params);
      return row === undefined ? null : map(row);
    },
    run: (sql, ...params) => Number(statement(sql).run(...params).changes),
    tx: <T>(fn: () => T): T => {
      if (db.isTransaction) return fn();
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = fn();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    op: <T>(fn: () => T | Promise<T>): Promise<T> => {
      try {
        if (closed) throw new StoreError('STORE_UNAVAILABLE', 'store is closed', { reason: 'closed' });
        return Promise.resolve(fn());
      } catch (error) {
        return Promise.reject(mapSqliteError(error));
      }
    },
    nowMs: () => {
      const d = deps.now();
      if (!(d instanceof Date) || !Number.isFinite(d.getTime())) throw new StoreError('STORE_INVALID', 'now() must return a valid Date', { reason: 'now' });
      return d.getTime();
    },
    newId: () => assertId(deps.newId(), 'newId()'),
    assertOpen: () => {
      if (closed) throw new StoreError('STORE_UNAVAILABLE', 'store is closed', { reason: 'closed' });
    },
    close: () => {
      if (closed) return false;
      closed = true;
      statements.clear();
      return true;
    },
  };
}
