import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Writable } from 'node:stream';
import { createDirBlobStore } from '@plotbox/blobs';
import { createSqliteStore } from '@plotbox/store-sqlite';
import { runHousekeeping } from './housekeeping.ts';
import { createLogger } from './logger.ts';

test('housekeeping removes expired windows, login failures and settings, and keeps live ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-hk-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let at = Date.parse('2026-05-01T00:00:00Z');
  const store = createSqliteStore({ path: join(dir, 'db'), now: () => new Date(at), newId: randomUUID });
  t.after(() => store.close());
  const blobs = createDirBlobStore({ dir: join(dir, 'blobs') });
  const lines: string[] = [];
  const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));

  await store.counters.hit('rl:api:user:a', 60_000);
  await store.counters.hit('rl:api:user:b', 3_600_000);
  await store.settings.put('setup:token:old', {}, { expiresAt: new Date(at + 60_000) });
  await store.settings.put('sandbox.runtimeVersion', 'v1');
  at += 120_000;
  await runHousekeeping({ store, blobs, logger });
  const db = new DatabaseSync(join(dir, 'db'), { readOnly: true });
  const keys = db
    .prepare('SELECT key FROM rate_windows ORDER BY key')
    .all()
    .map((r) => r.key);
  db.close();
  assert.deepEqual(keys, ['rl:api:user:b'], 'the finished window is gone, the live one kept');
  assert.equal(await store.settings.get('setup:token:old'), null);
  assert.equal((await store.settings.get('sandbox.runtimeVersion'))?.value, 'v1');
  assert.ok(
    lines.some((l) => l.includes('"step":"settings"') && l.includes('"removed":1')),
    'each step that removed something is logged',
  );
});
