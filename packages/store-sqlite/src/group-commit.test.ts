// Group commit (handle.ts `grouped`): audit rows and rate-limit hits called in the same turn of the
// event loop share one transaction; each resolves only once committed, answers for itself, and
// every other operation that reads those tables sees them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test, type TestContext } from 'node:test';
import type { NewAuditEvent } from '@plotbox/store';
import { createSqliteStore } from './sqlite-store.ts';

function openStore(t: TestContext): { path: string; db: DatabaseSync; store: ReturnType<typeof createSqliteStore> } {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-group-commit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.db');
  const db = new DatabaseSync(path);
  const store = createSqliteStore({ database: db, now: () => new Date(), newId: randomUUID });
  t.after(async () => {
    await store.close();
    db.close();
  });
  return { path, db, store };
}

const event = (action: string, i = 0): NewAuditEvent => ({ actor: { kind: 'anonymous', userId: null }, action, outcome: 'success', requestId: `r${i}`, details: { i } });

/** Rows another connection (another process, say) sees committed. */
function committed(path: string, sql: string): number {
  const other = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((other.prepare(sql).get() as { n: number }).n);
  } finally {
    other.close();
  }
}

test('concurrent hits on one key each get their own count, committed when they resolve', async (t) => {
  const { path, store } = openStore(t);
  const results = await Promise.all(Array.from({ length: 20 }, () => store.counters.hit('rl:k', 60_000)));
  assert.deepEqual(
    results.map((r) => r.count).sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.equal(committed(path, "SELECT count AS n FROM rate_windows WHERE key = 'rl:k'"), 20);
});

test('concurrent audit appends are all committed when they resolve, and equal what a query returns', async (t) => {
  const { path, store } = openStore(t);
  const events = await Promise.all(Array.from({ length: 30 }, (_, i) => store.audit.append(event('grouped', i))));
  assert.equal(committed(path, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'grouped'"), 30);
  const page = await store.audit.query({ action: 'grouped' }, { limit: 100 });
  assert.deepEqual(
    [...page.items].sort((a, b) => a.id.localeCompare(b.id)),
    [...events].sort((a, b) => a.id.localeCompare(b.id)),
  );
});

test('a write that fails in a group fails alone; one that ends the transaction leaves the others to commit on their own', async (t) => {
  const { path, db, store } = openStore(t);
  // Connection-local triggers: ABORT undoes one statement, ROLLBACK the whole transaction.
  db.exec(`CREATE TEMP TRIGGER boom_abort BEFORE INSERT ON audit_events WHEN NEW.action = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`);
  db.exec(`CREATE TEMP TRIGGER boom_rollback BEFORE INSERT ON audit_events WHEN NEW.action = 'rollback' BEGIN SELECT RAISE(ROLLBACK, 'rollback'); END`);
  for (const bad of ['boom', 'rollback']) {
    const outcomes = await Promise.allSettled([store.audit.append(event(`ok-${bad}`, 1)), store.audit.append(event(bad)), store.audit.append(event(`ok-${bad}`, 2))]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
      bad,
    );
    assert.equal(committed(path, `SELECT COUNT(*) AS n FROM audit_events WHERE action = 'ok-${bad}'`), 2, bad);
  }
  assert.equal(committed(path, "SELECT COUNT(*) AS n FROM audit_events WHERE action IN ('boom', 'rollback')"), 0);
});

test('other operations see grouped writes called before them; close commits what is pending', async (t) => {
  const { path, store } = openStore(t);
  const appended = store.audit.append(event('before-query'));
  const hit = store.counters.hit('rl:q', 60_000);
  // Called before the group's turn came: the query commits it first.
  assert.equal((await store.audit.query({ action: 'before-query' }, { limit: 5 })).items.length, 1);
  await store.counters.resetWindow('rl:q');
  assert.equal((await hit).count, 1);
  assert.equal(committed(path, "SELECT COUNT(*) AS n FROM rate_windows WHERE key = 'rl:q'"), 0, 'the reset came after the hit');
  await appended;
  const last = store.audit.append(event('at-close'));
  await store.close();
  await last;
  assert.equal(committed(path, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'at-close'"), 1);
});
