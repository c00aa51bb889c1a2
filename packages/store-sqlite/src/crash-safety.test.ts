import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { createSqliteStore } from './sqlite-store.ts';

const CHILD = join(import.meta.dirname, 'test-fixtures', 'crash-child.ts');

/** Run the child until it reports being inside the transaction, then SIGKILL it. */
function killMidTransaction(path: string, scenario: string, id: string, onPaused?: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path, scenario, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let paused = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not pause in time; stderr: ${err}`));
    }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!paused && out.includes('PAUSED')) {
        paused = true;
        try {
          onPaused?.();
        } finally {
          child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (paused && signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited (${code ?? signal}) without pausing; stderr: ${err}`));
    });
  });
}

function integrityOk(path: string): void {
  const db = new DatabaseSync(path);
  try {
    assert.deepEqual(
      db
        .prepare('PRAGMA integrity_check')
        .all()
        .map((r) => r.integrity_check),
      ['ok'],
    );
    assert.deepEqual(db.prepare('PRAGMA foreign_key_check').all(), []);
  } finally {
    db.close();
  }
}

async function seed(path: string) {
  const store = createSqliteStore({ path, now: () => new Date(), newId: () => randomUUID() });
  const u = await store.users.create({ email: 'o@example.com', displayName: 'Owner', passwordHash: 'h', systemRole: 'user' });
  const p = await store.projects.create({ name: 'P', createdBy: u.id });
  const ds = await store.datasets.create({ projectId: p.id, name: 'sales' });
  const { version } = await store.datasets.addVersion(ds.id, { sha256: 'old', blobKey: 'blob/old', bytes: 1, rowCount: 1, schema: {}, profile: {}, createdBy: u.id });
  const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
  await store.charts.create({ dashboardId: d.id, title: 'a', code: '', lang: 'js', datasetId: ds.id, codeHash: 'h' });
  await store.charts.create({ dashboardId: d.id, title: 'b', code: '', lang: 'js', codeHash: 'h' });
  await store.close();
  return { user: u, project: p, dataset: ds, version, dashboard: d };
}

test('crash safety: a process SIGKILLed inside a store transaction leaves the previous state', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  await t.test('datasets.addVersion killed between its statements', async () => {
    const path = join(dir, 'add-version.db');
    const s = await seed(path);
    await killMidTransaction(path, 'add-version', s.dataset.id);
    integrityOk(path);
    const store = createSqliteStore({ path, now: () => new Date(), newId: () => randomUUID() });
    const ds = await store.datasets.findById(s.dataset.id);
    assert.equal(ds?.currentVersionId, s.version.id, 'the dataset still points at the old version');
    assert.equal(ds?.version, s.dataset.version + 1);
    const versions = await store.datasets.listVersions(s.dataset.id, { limit: 10 });
    assert.deepEqual(
      versions.items.map((v) => v.sha256),
      ['old'],
      'the new version row is gone',
    );
    await store.close();
  });

  await t.test('projects.delete killed mid-cascade', async () => {
    const path = join(dir, 'delete.db');
    const s = await seed(path);
    await killMidTransaction(path, 'delete-project', s.project.id);
    integrityOk(path);
    const store = createSqliteStore({ path, now: () => new Date(), newId: () => randomUUID() });
    assert.notEqual(await store.projects.findById(s.project.id), null);
    assert.equal((await store.charts.listByDashboard(s.dashboard.id, { limit: 10 })).items.length, 2, 'no chart was deleted');
    assert.notEqual(await store.datasets.findById(s.dataset.id), null);
    assert.equal((await store.projects.listGrants(s.project.id)).length, 1);
    await store.close();
  });

  await t.test('a large transaction already spilled into the WAL', async () => {
    const path = join(dir, 'bulk.db');
    const s = await seed(path);
    let walBytes = 0;
    await killMidTransaction(path, 'bulk', s.user.id, () => {
      walBytes = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
    });
    assert.ok(walBytes > 1_000_000, `uncommitted pages reached the WAL (${walBytes} bytes)`);
    integrityOk(path);
    const store = createSqliteStore({ path, now: () => new Date(), newId: () => randomUUID() });
    assert.deepEqual((await store.audit.query({ action: 'bulk' }, { limit: 10 })).items, []);
    assert.equal((await store.users.findById(s.user.id))?.displayName, 'Owner');
    // The file is fully usable afterwards.
    await store.users.update(s.user.id, 1, { displayName: 'after' });
    await store.close();
  });
});
