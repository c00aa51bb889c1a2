import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { runStoreConformance, assertStoreError, createTestClock } from '@plotbox/store/conformance';
import type { Store } from '@plotbox/store';
import { createSqliteStore } from './sqlite-store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';

const dirs = new WeakMap<Store, string>();

runStoreConformance('sqlite (temp file)', {
  create: (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'plotbox-store-'));
    const store = createSqliteStore({ ...options, path: join(dir, 'store.db') });
    dirs.set(store, dir);
    return Promise.resolve(store);
  },
  cleanup: (store) => {
    const dir = dirs.get(store);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  },
});

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const deps = () => ({ now: createTestClock().now, newId: () => randomUUID() });

test('migrations: applied once, recorded, a second start applies nothing', async (t) => {
  const path = join(tempDir(t), 'm.db');
  const first = createSqliteStore({ ...deps(), path });
  assert.deepEqual(
    first.appliedMigrations,
    SQLITE_MIGRATIONS.map((m) => m.version),
  );
  await first.close();
  const second = createSqliteStore({ ...deps(), path });
  assert.deepEqual(second.appliedMigrations, []);
  await second.close();
  const db = new DatabaseSync(path);
  const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
  db.close();
  assert.deepEqual(
    rows.map((r) => r.version),
    SQLITE_MIGRATIONS.map((m) => m.version),
  );
});

test('migrations: a database from newer code is refused', async (t) => {
  const path = join(tempDir(t), 'm.db');
  await createSqliteStore({ ...deps(), path }).close();
  const db = new DatabaseSync(path);
  db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from the future', 0);
  db.close();
  assert.throws(
    () => createSqliteStore({ ...deps(), path }),
    (e: unknown) => (e as { code?: string; reason?: string }).code === 'STORE_UNAVAILABLE' && (e as { reason?: string }).reason === 'schema_too_new',
  );
});

test('migrations: a failing step leaves no trace (all or nothing)', async (t) => {
  const path = join(tempDir(t), 'm.db');
  const broken = [...SQLITE_MIGRATIONS, { version: SQLITE_MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE extra (x TEXT); THIS IS NOT SQL;' }];
  assert.throws(() => createSqliteStore({ ...deps(), path, migrations: broken }));
  const store = createSqliteStore({ ...deps(), path });
  assert.deepEqual(
    store.appliedMigrations,
    SQLITE_MIGRATIONS.map((m) => m.version),
    'nothing of the failed run was kept',
  );
  await store.close();
});

test('options are checked eagerly', () => {
  assert.throws(() => createSqliteStore({ ...deps() }), /exactly one of path and database/);
  assert.throws(() => createSqliteStore({ ...deps(), path: ':memory:', busyTimeoutMs: -1 }));
  assert.throws(() => createSqliteStore({ now: 1 as never, newId: () => 'x', path: ':memory:' }));
});

test('pragmas: WAL, foreign keys, busy timeout; audit rows cannot be changed even in SQL', async (t) => {
  const path = join(tempDir(t), 'p.db');
  const database = new DatabaseSync(path);
  const store = createSqliteStore({ ...deps(), database });
  assert.equal(database.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
  assert.equal(database.prepare('PRAGMA foreign_keys').get()?.foreign_keys, 1);
  assert.equal(database.prepare('PRAGMA busy_timeout').get()?.timeout, 5000);
  const e = await store.audit.append({ actor: { kind: 'system', userId: null }, action: 'boot', outcome: 'success' });
  assert.throws(() => database.prepare('DELETE FROM audit_events').run(), /append-only/);
  assert.throws(() => database.prepare("UPDATE audit_events SET action = 'x'").run(), /append-only/);
  // Only an erasure's pseudonym may replace a person, and only retention's cutoff lets a row go.
  assert.throws(() => database.prepare("UPDATE audit_events SET actor_user_id = 'someone-else'").run(), /append-only/);
  assert.throws(() => database.prepare(`UPDATE audit_events SET details = '{"forged":true}'`).run(), /append-only/);
  assert.throws(() => database.prepare("UPDATE audit_events SET actor_user_id = 'erased-12345678', at = 0").run(), /append-only/);
  assert.throws(() => database.prepare('INSERT INTO audit_retention_guard (id, cutoff) VALUES (2, 0)').run(), /CHECK/);
  database.prepare('INSERT INTO audit_retention_guard (id, cutoff) VALUES (1, ?)').run(e.at.getTime());
  assert.throws(() => database.prepare('DELETE FROM audit_events').run(), /append-only/, 'the cutoff is exclusive');
  database.prepare('DELETE FROM audit_retention_guard').run();
  assert.equal((await store.audit.query({}, { limit: 5 })).items[0]?.id, e.id);
  await store.close();
  assert.ok(database.isOpen, 'an injected connection is left open');
  database.close();
});

test('two connections to one file: a refresh token rotates once across them', async (t) => {
  const path = join(tempDir(t), 'shared.db');
  const a = createSqliteStore({ ...deps(), path });
  const b = createSqliteStore({ ...deps(), path });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  const u = await a.users.create({ email: 'x@example.com', displayName: 'x', passwordHash: 'h', systemRole: 'user' });
  const abs = new Date(Date.UTC(2200, 0, 1));
  const s = await a.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs });
  await a.sessions.createRefreshToken({ tokenHash: 't0', sessionId: s.id, expiresAt: abs });
  const results = await Promise.all([a.sessions.rotateRefresh('t0', { tokenHash: 'ta', expiresAt: abs }), b.sessions.rotateRefresh('t0', { tokenHash: 'tb', expiresAt: abs })]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['reused', 'rotated']);
  await assertStoreError(b.users.create({ email: 'X@example.com', displayName: 'y', passwordHash: 'h', systemRole: 'user' }), 'STORE_CONFLICT', 'users.email');
});

test('a dump reads one snapshot while another connection keeps writing, and releases it', async (t) => {
  const path = join(tempDir(t), 'snap.db');
  const clock = createTestClock();
  const a = createSqliteStore({ now: clock.now, newId: () => randomUUID(), path });
  const b = createSqliteStore({ now: clock.now, newId: () => randomUUID(), path });
  t.after(async () => {
    await a.close();
    await b.close();
  });
  for (let i = 0; i < 50; i += 1) {
    const u = await a.users.create({ email: `u${i}@example.com`, displayName: `U${i}`, passwordHash: 'h', systemRole: 'user' });
    await a.audit.append({ actor: { kind: 'user', userId: u.id }, action: 'login_success', outcome: 'success' });
  }
  const seen: string[] = [];
  for await (const r of a.backup.dump()) {
    seen.push(r.type);
    if (seen.length % 10 === 1) {
      // Writers go on (another connection, like the API next to the CLI), and are not blocked.
      const u = await b.users.create({ email: `late${seen.length}@example.com`, displayName: 'late', passwordHash: 'h', systemRole: 'user' });
      await b.audit.append({ actor: { kind: 'user', userId: u.id }, action: 'login_success', outcome: 'success' });
    }
  }
  assert.equal(seen.filter((x) => x === 'user').length, 50, 'users written after the dump began are not in it');
  assert.equal(seen.filter((x) => x === 'audit_event').length, 50);
  // The reader is gone: a writer can checkpoint the WAL fully.
  const db = new DatabaseSync(path);
  const ckpt = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
  db.close();
  assert.equal(ckpt?.busy, 0);
  // A dump stopped early releases its snapshot too.
  for await (const r of a.backup.dump()) {
    assert.equal(r.type, 'user');
    break;
  }
  assert.ok((await collect(a.backup.dump())).filter((r) => r.type === 'user').length > 50);
});

test('an in-memory store dumps and loads too (one connection: read at once)', async () => {
  const a = createSqliteStore({ ...deps(), path: ':memory:' });
  const b = createSqliteStore({ ...deps(), path: ':memory:' });
  const u = await a.users.create({ email: 'm@example.com', displayName: 'M', passwordHash: 'h', systemRole: 'admin' });
  await a.projects.create({ name: 'P', createdBy: u.id });
  const records = await collect(a.backup.dump());
  await b.backup.load(records);
  assert.deepEqual(await collect(b.backup.dump()), records);
  await a.close();
  await b.close();
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
