import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createSqliteStore } from '@plotbox/store-sqlite';
import { createAudit } from './audit.ts';
import { SWEEP_LEASE_KEY, sweepInactiveAccounts } from './inactive-sweep.ts';
import { createLogger } from './logger.ts';
import { createApiMetrics } from './metrics.ts';

const DAY = 86_400_000;

test('inactivity sweep: disables each idle account once (two stores on one file racing), audits it, keeps the last admin', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-sweep-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let at = Date.parse('2026-05-01T00:00:00Z');
  const now = (): Date => new Date(at);
  // Two "replicas": two connections to one database file.
  const a = createSqliteStore({ path: join(dir, 'db'), now, newId: randomUUID });
  const b = createSqliteStore({ path: join(dir, 'db'), now, newId: randomUUID });
  t.after(() => Promise.all([a.close(), b.close()]));
  const lines: string[] = [];
  const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  const mk = (email: string, systemRole: 'admin' | 'user' = 'user') => a.users.create({ email, displayName: email, passwordHash: 'h', systemRole });
  const admin = await mk('admin@example.com', 'admin');
  const idle = await mk('idle@example.com');
  const active = await mk('active@example.com');
  const session = await a.sessions.create({ userId: idle.id, absoluteExpiresAt: new Date(at + 400 * DAY), idleExpiresAt: new Date(at + 400 * DAY) });
  at += 100 * DAY;
  await a.users.markActive(active.id);
  at += DAY;

  const metrics = createApiMetrics();
  const deps = (store: typeof a, replica: string) => ({ store, audit: createAudit(store, logger), logger, metrics, now, replica });
  const [ra, rb] = await Promise.all([sweepInactiveAccounts(deps(a, 'a'), 90 * DAY), sweepInactiveAccounts(deps(b, 'b'), 90 * DAY)]);
  const results = [ra, rb].filter((r) => r !== null);
  assert.equal(results.length, 1, 'one replica holds the lease');
  assert.deepEqual(results[0]?.disabled, [idle.id]);
  assert.deepEqual(results[0]?.keptLastAdmin, [admin.id], 'the only admin stays enabled');
  const swept = await a.users.findById(idle.id);
  assert.equal(swept?.disabled, true);
  assert.equal(swept?.disabledReason, 'inactive');
  assert.equal((await a.users.findById(admin.id))?.disabled, false);
  assert.equal((await a.users.findById(active.id))?.disabled, false);
  assert.equal((await a.sessions.findById(session.id))?.revokeReason, 'user_disabled_inactive');
  const events = (await a.audit.query({ action: 'user_disabled_inactive' }, { limit: 10 })).items;
  assert.equal(events.length, 1);
  assert.equal(events[0]?.target?.id, idle.id);
  assert.equal(events[0]?.actor.kind, 'system');
  assert.equal(events[0]?.details.inactiveDays, 101);
  assert.match(await metrics.registry.metrics(), /plotbox_api_inactive_accounts_disabled_total 1/u);

  // While the lease lives, nobody sweeps; after it, a sweep finds nothing new (idempotent).
  assert.equal(await sweepInactiveAccounts(deps(b, 'b'), 90 * DAY), null);
  at += 11 * 60_000;
  assert.deepEqual(await sweepInactiveAccounts(deps(b, 'b'), 90 * DAY), { disabled: [], keptLastAdmin: [admin.id] });
  assert.ok((await a.settings.get(SWEEP_LEASE_KEY)) !== null);

  // With a second, active admin, the idle admin is swept too.
  const admin2 = await mk('admin2@example.com', 'admin');
  at += 11 * 60_000;
  const r = await sweepInactiveAccounts(deps(a, 'a'), 90 * DAY);
  assert.deepEqual(r?.disabled, [admin.id]);
  assert.equal((await a.users.findById(admin2.id))?.disabled, false);
  await assert.rejects(sweepInactiveAccounts(deps(a, 'a'), 0));
});
