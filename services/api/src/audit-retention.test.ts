import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { createSqliteStore } from '@plotbox/store-sqlite';
import { createAudit } from './audit.ts';
import { RETENTION_LEASE_KEY, sweepAuditRetention, writeAuditJsonl } from './audit-retention.ts';
import { createLogger } from './logger.ts';

const DAY = 86_400_000;

test('audit retention: one replica sweeps at a time (two stores on one file racing), only old events go, the sweep is audited', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-retention-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let at = Date.parse('2026-01-01T00:00:00Z');
  const now = (): Date => new Date(at);
  const a = createSqliteStore({ path: join(dir, 'db'), now, newId: randomUUID });
  const b = createSqliteStore({ path: join(dir, 'db'), now, newId: randomUUID });
  t.after(() => Promise.all([a.close(), b.close()]));
  const lines: string[] = [];
  const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
  // 2,500 events a year old (more than one batch), then 3 recent ones.
  for (let i = 0; i < 2500; i += 1) await a.audit.append({ actor: { kind: 'system', userId: null }, action: 'old_event', outcome: 'success', details: { i } });
  at += 365 * DAY;
  for (let i = 0; i < 3; i += 1) await a.audit.append({ actor: { kind: 'system', userId: null }, action: 'recent_event', outcome: 'success' });

  const deps = (store: typeof a, replica: string) => ({ store, audit: createAudit(store, logger), logger, now, replica });
  const [ra, rb] = await Promise.all([sweepAuditRetention(deps(a, 'a'), 180 * DAY), sweepAuditRetention(deps(b, 'b'), 180 * DAY)]);
  const ran = [ra, rb].filter((r) => r !== null);
  assert.equal(ran.length, 1, 'one replica holds the lease');
  assert.equal(ran[0]?.deleted, 2500);
  assert.equal(ran[0]?.cutoff.toISOString(), new Date(at - 180 * DAY).toISOString());
  const left = (await a.audit.query({}, { limit: 500 })).items;
  assert.deepEqual(left.map((e) => e.action).sort(), ['audit_retention', 'recent_event', 'recent_event', 'recent_event']);
  const sweep = left.find((e) => e.action === 'audit_retention');
  assert.deepEqual(sweep?.details, { deleted: 2500, cutoff: new Date(at - 180 * DAY).toISOString(), retentionDays: 180 });
  assert.equal(sweep?.actor.kind, 'system');
  assert.ok(lines.some((l) => l.includes('audit retention: deleted events')));
  assert.ok(await a.settings.get(RETENTION_LEASE_KEY), 'the lease is held');

  // While the lease lasts, nobody sweeps; once it expired, the next sweep finds nothing to delete and says nothing.
  assert.equal(await sweepAuditRetention(deps(b, 'b'), 180 * DAY), null);
  at += 11 * 60_000;
  assert.deepEqual(await sweepAuditRetention(deps(b, 'b'), 180 * DAY), { deleted: 0, cutoff: new Date(at - 180 * DAY) });
  assert.equal((await a.audit.query({ action: 'audit_retention' }, { limit: 10 })).items.length, 1);
  await assert.rejects(sweepAuditRetention(deps(a, 'a'), 0), /positive/u);
});

test('audit export as JSON lines: the window asked for, oldest first, every event once, with backpressure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-retention-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let at = Date.parse('2026-01-01T00:00:00Z');
  const store = createSqliteStore({ path: join(dir, 'db'), now: () => new Date(at), newId: randomUUID });
  t.after(() => store.close());
  for (let i = 0; i < 1203; i += 1) {
    await store.audit.append({ actor: { kind: 'user', userId: `u${i % 7}` }, ip: '192.0.2.1', action: 'chart_run', target: { type: 'chart', id: `c${i}` }, outcome: 'success', details: { i } });
    at += 60_000;
  }
  // A slow reader: a tiny buffer, drained on a timer.
  const out = new PassThrough({ highWaterMark: 1024 });
  const received: string[] = [];
  const reading = (async () => {
    for await (const chunk of out) {
      received.push(String(chunk));
      await new Promise((r) => setImmediate(r));
    }
  })();
  const since = new Date(Date.parse('2026-01-01T00:00:00Z') + 100 * 60_000);
  const until = new Date(Date.parse('2026-01-01T00:00:00Z') + 1100 * 60_000);
  const n = await writeAuditJsonl(store, { since, until }, out);
  out.end();
  await reading;
  const events = received
    .join('')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { id: string; at: string; details: { i: number }; actor: { userId: string } });
  assert.equal(n, 1000);
  assert.equal(events.length, 1000);
  assert.deepEqual(
    events.map((e) => e.details.i),
    Array.from({ length: 1000 }, (_, i) => i + 100),
  );
  assert.equal(new Set(events.map((e) => e.id)).size, 1000);
  assert.equal(events[0]?.at, since.toISOString());
  assert.equal(events[0]?.actor.userId, 'u2');
});
