/**
 * Child process for the crash-safety test: opens the store on a file, starts a real multi-statement
 * change, and once inside the transaction prints `PAUSED` and blocks forever, waiting to be
 * SIGKILLed by the parent. A TEMP trigger (connection-local, never persisted) calls a JS function
 * at the chosen point of the store's own transaction.
 *
 * Usage: node crash-child.ts <db path> <add-version|delete-project|bulk> <id>
 */
import { writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { createSqliteStore } from '../sqlite-store.ts';

const [path, scenario, id] = process.argv.slice(2);
if (path === undefined || scenario === undefined || id === undefined) throw new Error('usage: crash-child.ts <path> <scenario> <id>');

const database = new DatabaseSync(path);
const store = createSqliteStore({ database, now: () => new Date(), newId: () => randomUUID() });
database.function('pb_pause', () => {
  writeSync(1, 'PAUSED\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  return null;
});

if (scenario === 'add-version') {
  // Inside datasets.addVersion: the version row is inserted and the dataset updated, not committed.
  database.exec('CREATE TEMP TRIGGER pause_here AFTER UPDATE ON main.datasets BEGIN SELECT pb_pause(); END');
  await store.datasets.addVersion(id, { sha256: 'new', blobKey: 'blob/new', bytes: 1, rowCount: 1, schema: {}, profile: {}, createdBy: 'someone' });
} else if (scenario === 'delete-project') {
  // Inside projects.delete: the cascade has started removing rows.
  database.exec('CREATE TEMP TRIGGER pause_here AFTER DELETE ON main.charts BEGIN SELECT pb_pause(); END');
  await store.projects.delete(id);
} else if (scenario === 'bulk') {
  // A large transaction whose pages spill into the WAL file before the kill.
  database.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < 600; i += 1) {
    await store.audit.append({ actor: { kind: 'system', userId: null }, action: 'bulk', outcome: 'success', details: { i, pad: 'x'.repeat(7000) } });
  }
  await store.users.update(id, 1, { displayName: 'half-done' });
  database.prepare('SELECT pb_pause()').get();
}
throw new Error(`scenario ${scenario} did not pause`);
