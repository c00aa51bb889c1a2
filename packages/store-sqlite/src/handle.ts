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
  /**
   * Run `fn` in one deferred (read) transaction, or inside the one already open: the statements it
   * runs share one WAL read lock and snapshot instead of taking one each. For reads only.
   */
  readTx<T>(fn: () => T): T;
  /** One store operation: synchronous underneath, errors mapped, refused after `close()`. */
  readonly op: RunOperation;
  /**
   * Group commit: run `write` (a few statements, no transaction of its own) in the transaction that
   * commits every write grouped in this turn of the event loop, and resolve once it has committed.
   * Concurrent requests' audit rows and rate-limit hits share one commit (one WAL lock, their
   * shared pages written once) instead of paying one each. A transaction (`tx`), `close()` and the
   * operations that read or change the grouped tables (`commitGrouped`) commit the pending group
   * first, so they see every grouped write called before them.
   */
  grouped<T>(write: () => T): Promise<T>;
  /** Commit the pending group now (before reading or changing the tables grouped writes touch). */
  commitGrouped(): void;
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

interface GroupedWrite {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export function createSqliteHandle(db: DatabaseSync, deps: StoreDeps): SqliteHandle {
  const statements = new Map<string, StatementSync>();
  let closed = false;
  let group: GroupedWrite[] = [];
  let scheduled: NodeJS.Immediate | null = null;
  const statement = (sql: string): StatementSync => {
    let st = statements.get(sql);
    if (st === undefined) {
      st = db.prepare(sql);
      statements.set(sql, st);
    }
    return st;
  };
  /** Each write on its own (autocommit), each with its own outcome. */
  const runAlone = (writes: readonly GroupedWrite[]): void => {
    for (const w of writes) {
      try {
        w.resolve(w.write());
      } catch (error) {
        w.reject(mapSqliteError(error));
      }
    }
  };
  /** Commit the pending group now: one transaction; a write that fails fails alone. */
  const flush = (): void => {
    if (scheduled !== null) clearImmediate(scheduled);
    scheduled = null;
    const writes = group;
    group = [];
    if (writes.length === 0) return;
    if (closed) {
      for (const w of writes) w.reject(new StoreError('STORE_UNAVAILABLE', 'store is closed', { reason: 'closed' }));
      return;
    }
    if (writes.length === 1 || db.isTransaction) return runAlone(writes);
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      statement('BEGIN IMMEDIATE').run();
      for (const w of writes) {
        try {
          outcomes.push({ ok: true, value: w.write() });
        } catch (error) {
          // A failed statement is undone by SQLite; the others stand, unless it ended the transaction.
          if (!db.isTransaction) throw error;
          outcomes.push({ ok: false, value: mapSqliteError(error) });
        }
      }
      statement('COMMIT').run();
    } catch {
      // The group as a whole failed (busy, disk full, an error that rolled it back): nothing of it
      // was kept, so each write is tried once more on its own and answers for itself.
      try {
        if (db.isTransaction) statement('ROLLBACK').run();
      } catch {
        // Runs from setImmediate: nothing may escape; the writes below then answer for themselves.
      }
      return runAlone(writes);
    }
    writes.forEach((w, i) => {
      const o = outcomes[i];
      if (o?.ok === true) w.resolve(o.value);
      else w.reject(o?.value);
    });
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
      // Writes called earlier commit first, in their own transaction.
      if (group.length > 0) flush();
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
    readTx: <T>(fn: () => T): T => {
      // Closed, or already in a transaction: the operations answer (or refuse) on their own.
      if (closed || db.isTransaction) return fn();
      statement('BEGIN DEFERRED').run();
      try {
        return fn();
      } finally {
        // Nothing was written, so ending the read transaction loses nothing whichever way it ends.
        if (db.isTransaction) {
          try {
            statement('COMMIT').run();
          } catch {
            statement('ROLLBACK').run();
          }
        }
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
    grouped: <T>(write: () => T): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        group.push({ write, resolve: resolve as (value: unknown) => void, reject });
        scheduled ??= setImmediate(flush);
      }),
    commitGrouped: () => {
      if (group.length > 0) flush();
    },
    assertOpen: () => {
      if (closed) throw new StoreError('STORE_UNAVAILABLE', 'store is closed', { reason: 'closed' });
    },
    close: () => {
      if (closed) return false;
      // What was called before close() is committed, not dropped.
      flush();
      closed = true;
      statements.clear();
      return true;
    },
  };
}
