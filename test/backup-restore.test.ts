// Backup and restore as an operator runs them (issue 13): `plotbox backup` (a child process) while
// the API keeps writing, `plotbox restore` into a fresh store, then a second API on the restored
// data: every record equal, every dataset blob equal, the charts render the same figures in the real
// sandbox, the old instance's sessions do not work there unless the backup kept them, two-factor
// sign-in works with the same secrets key (and fails, closed, without it); a directory → S3 (s3rver)
// → directory round trip; damaged, truncated, foreign and wrong-key archives refused with nothing
// written; SQLite → MongoDB → SQLite where MONGODB_URI is set.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import S3rver from 's3rver';
import { createTotp } from '@plotbox/auth';
import { createDirBlobStore } from '@plotbox/blobs';
import type { BackupRecord, Store } from '@plotbox/store';
import { openArchive, identityKey, passphraseKey } from '../services/api/src/backup/archive.ts';
import { seedDemo } from '../services/api/src/seed-demo.ts';
import { startTestApi, type Client, type TestApi } from './helpers/api.ts';
import { startSandboxService, type SandboxService } from './helpers/service.ts';

const BIN = resolve(import.meta.dirname, '../services/api/bin/plotbox.mjs');
const PASSPHRASE = 'correct horse battery staple, restored';

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `plotbox ...` as its own process (asynchronously: the API in this process keeps serving). */
function plotbox(env: Record<string, string>, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', PLOTBOX_ARGON2_MEMORY_KIB: '1024', PLOTBOX_ARGON2_TIME_COST: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input ?? '');
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function dumpAll(store: Store, sessions = true): Promise<BackupRecord[]> {
  const out: BackupRecord[] = [];
  for await (const r of store.backup.dump({ sessions })) out.push(r);
  return JSON.parse(JSON.stringify(out)) as BackupRecord[];
}

const idOf = (r: BackupRecord): string => (r.type === 'refresh_token' ? r.tokenHash : r.type === 'setting' ? r.key : r.id);
const keyOf = (r: BackupRecord): string => `${r.type}:${idOf(r)}`;
/** What a restore adds to the restored store itself. */
const notRestoreEvent = (r: BackupRecord): boolean => !(r.type === 'audit_event' && r.action === 'backup_restore');

/** The records inside an archive, read with the test's own reader. */
async function archiveRecords(file: string, key: ReturnType<typeof passphraseKey>): Promise<BackupRecord[]> {
  const opened = await openArchive(createReadStream(file), key);
  const out: BackupRecord[] = [];
  for await (const item of opened.items) if (item.kind === 'record') out.push(item.record as BackupRecord);
  return out;
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 500));
  return JSON.parse(text) as T;
}

async function signIn(api: TestApi, email: string, password: string, extra: Record<string, unknown> = {}): Promise<Client> {
  const c = api.client();
  const res = await c.login(email, password, extra);
  assert.equal(res.status, 200, await res.text());
  return c;
}

/** Every chart of the demo dashboard rendered, by chart id: the figure JSON. */
async function renderAll(c: Client, projectId: string, dashboardId: string): Promise<Map<string, unknown>> {
  const detail = await json<{ dashboard: { charts: { id: string }[] } }>(await c.req('GET', `/api/projects/${projectId}/dashboards/${dashboardId}`));
  const out = new Map<string, unknown>();
  for (const chart of detail.dashboard.charts) {
    const body = await json<{ figure: unknown }>(await c.req('POST', `/api/projects/${projectId}/dashboards/${dashboardId}/charts/${chart.id}/render`, {}));
    out.set(chart.id, body.figure);
  }
  return out;
}

interface World {
  readonly api: TestApi;
  readonly projectId: string;
  readonly dashboardId: string;
  readonly datasetId: string;
  readonly admin: { email: string; password: string };
  readonly editor: Client;
  readonly adminClient: Client;
  readonly totpUser: { email: string; password: string; secret: string };
  readonly apiKey: string;
}

/** The demo project plus people, a group, grants, a dashboard grant, a second dataset version, 2FA, a key. */
async function seed(api: TestApi): Promise<World> {
  const demo = await seedDemo({ store: api.store, blobs: api.blobs, hasher: api.hasher }, { rows: 2000 });
  assert.ok(demo);
  const admin = await api.createUser({ role: 'admin', displayName: 'Ada Admin' });
  const editor = await api.createUser({ displayName: 'Eddie Editor' });
  const viewer = await api.createUser({ displayName: 'Vera Viewer' });
  const adminClient = await signIn(api, admin.email, admin.password);
  await json(await adminClient.req('PUT', `/api/projects/${demo.projectId}/members/user/${editor.user.id}`, { role: 'editor' }));
  const group = await json<{ group: { id: string } }>(await adminClient.req('POST', '/api/groups', { name: 'Analysts', memberIds: [viewer.user.id] }), 201);
  await json(await adminClient.req('PUT', `/api/projects/${demo.projectId}/members/group/${group.group.id}`, { role: 'viewer' }));
  await json(await adminClient.req('PUT', `/api/projects/${demo.projectId}/dashboards/${demo.dashboardId}/grants/user/${viewer.user.id}`, { role: 'editor' }));
  const editorClient = await signIn(api, editor.email, editor.password);
  const v2 = await editorClient.req('POST', `/api/projects/${demo.projectId}/datasets/${demo.datasetId}/versions`, 'region,product,units,price,date,channel\nNorth,Widget,3,1.5,2026-01-01,online\n', {
    'content-type': 'text/csv',
  });
  assert.equal(v2.status, 201, await v2.text());
  // Back to the first version, so "current" is not simply the newest.
  const versions = await json<{ items: { id: string; current: boolean }[] }>(await editorClient.req('GET', `/api/projects/${demo.projectId}/datasets/${demo.datasetId}/versions`));
  const first = versions.items.find((v) => !v.current);
  assert.ok(first);
  await json(await editorClient.req('POST', `/api/projects/${demo.projectId}/datasets/${demo.datasetId}/current`, { versionId: first.id }));
  const keyBody = await json<{ key: string }>(await editorClient.req('POST', '/api/me/api-keys', { name: 'nightly' }), 201);
  // Two-factor for the viewer.
  const viewerClient = await signIn(api, viewer.email, viewer.password);
  const enrol = await json<{ secret: string }>(await viewerClient.req('POST', '/api/me/2fa/enrol', {}));
  const totp = createTotp({ issuer: 'Plotbox', now: () => api.clock.now().getTime() });
  await json(await viewerClient.req('POST', '/api/me/2fa/confirm', { code: totp.generate(enrol.secret) }));
  api.clock.advance(60_000);
  return {
    api,
    projectId: demo.projectId,
    dashboardId: demo.dashboardId,
    datasetId: demo.datasetId,
    admin,
    editor: editorClient,
    adminClient,
    totpUser: { email: viewer.email, password: viewer.password, secret: enrol.secret },
    apiKey: keyBody.key,
  };
}

/** Every blob of a directory blob store under `datasets/`, by key. */
async function blobBytes(dir: string): Promise<Map<string, string>> {
  const blobs = createDirBlobStore({ dir });
  const out = new Map<string, string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await blobs.list('datasets/', cursor === undefined ? {} : { cursor });
    for (const item of page.items) out.set(item.key, Buffer.from(await blobs.getBytes(item.key, 1 << 30)).toString('base64'));
    if (page.cursor === undefined) return out;
    cursor = page.cursor;
  }
}

async function sharedSandbox(t: TestContext): Promise<SandboxService> {
  const sandbox = await startSandboxService();
  t.after(() => sandbox.stop());
  return sandbox;
}

test('SQLite: a backup under write load restores into a fresh store with everything equal; charts render the same; old sessions end; 2FA needs the same secrets key', async (t) => {
  const sb = await sharedSandbox(t);
  const api = await startTestApi(t, { sandboxUrl: sb.url, sandboxToken: sb.token });
  const w = await seed(api);
  const work = tempDir(t, 'plotbox-backup-');
  const passFile = join(work, 'passphrase');
  writeFileSync(passFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  const figures = await renderAll(w.adminClient, w.projectId, w.dashboardId);
  assert.equal(figures.size, 8);
  const before = await dumpAll(api.store, false);

  // Write load: an editor creating dashboards as fast as the API takes them, during the backup.
  let writing = true;
  let written = 0;
  let writtenDuring = 0;
  let backupRunning = false;
  const load = (async () => {
    while (writing) {
      const r = await w.editor.req('POST', `/api/projects/${w.projectId}/dashboards`, { name: `load ${written}` });
      assert.equal(r.status, 201);
      await r.arrayBuffer();
      written += 1;
      if (backupRunning) writtenDuring += 1;
    }
  })();
  while (written < 5) await new Promise((r) => setTimeout(r, 10));
  const archive = join(work, 'plotbox.age');
  backupRunning = true;
  const started = performance.now();
  const backup = await plotbox({ PLOTBOX_DATA_DIR: api.dataDir }, ['backup', '--out', archive, '--passphrase-file', passFile]);
  const backupMs = performance.now() - started;
  backupRunning = false;
  writing = false;
  await load;
  assert.equal(backup.status, 0, backup.stderr);
  assert.match(backup.stdout, /^backup [0-9a-f-]{36} written to .* records, 2 blobs/mu);
  assert.match(backup.stdout, /not in the archive: PLOTBOX_SECRETS_KEY/u);
  assert.ok(writtenDuring > 0, 'the API wrote while the backup ran');
  console.log(`# backup-restore: backup under load ${backupMs.toFixed(0)} ms while the API wrote ${writtenDuring} dashboards`);

  // The archive is one snapshot: everything from before it, nothing half-written, every record as stored.
  const key = passphraseKey(PASSPHRASE);
  const records = await archiveRecords(archive, key);
  const after = new Map((await dumpAll(api.store, false)).map((r) => [keyOf(r), r]));
  const inArchive = new Map(records.map((r) => [keyOf(r), r]));
  for (const r of before) assert.deepEqual(inArchive.get(keyOf(r)), r, `${keyOf(r)} from before the backup is in it, unchanged`);
  for (const r of records) assert.deepEqual(after.get(keyOf(r)), r, `${keyOf(r)} is as the store has it`);
  assert.equal(records.filter((r) => r.type === 'session').length, 0, 'no sessions by default');
  const loadDashboards = records.filter((r) => r.type === 'dashboard' && r.name.startsWith('load ')).length;
  assert.ok(loadDashboards >= 5 && loadDashboards <= written);
  const secretText = readFileSync(archive);
  assert.equal(secretText.includes(Buffer.from(w.admin.email)), false, 'nothing readable without the key');

  // Restore into a fresh data directory, with the secrets key restored apart (as documented).
  const restored = join(work, 'restored');
  mkdirSync(join(restored, 'keys'), { recursive: true, mode: 0o700 });
  copyFileSync(join(api.dataDir, 'keys', 'secrets-key.json'), join(restored, 'keys', 'secrets-key.json'));
  const restoreStarted = performance.now();
  const restore = await plotbox({ PLOTBOX_DATA_DIR: restored }, ['restore', archive, '--passphrase-stdin'], `${PASSPHRASE}\n`);
  assert.equal(restore.status, 0, restore.stderr);
  console.log(`# backup-restore: restore ${(performance.now() - restoreStarted).toFixed(0)} ms`);
  assert.match(restore.stdout, /no sessions were in the archive: everyone signs in again/u);
  const again = await plotbox({ PLOTBOX_DATA_DIR: restored }, ['restore', archive, '--passphrase-file', passFile]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /BACKUP_NOT_EMPTY/u);

  const api2 = await startTestApi(t, { dataDir: restored, sandboxUrl: sb.url, sandboxToken: sb.token });
  const restoredRecords = (await dumpAll(api2.store, true)).filter(notRestoreEvent);
  assert.deepEqual(restoredRecords, records, 'the restored store holds exactly what the archive holds');
  assert.equal((await api2.store.audit.query({ action: 'backup_restore' }, { limit: 5 })).items.length, 1, 'the restore is audited');
  assert.deepEqual(await blobBytes(join(restored, 'blobs')), await blobBytes(join(api.dataDir, 'blobs')), 'every dataset blob, byte for byte');

  // The old instance's session does not work here; the account's password and API key do.
  const me = await w.adminClient.req('GET', '/api/me');
  assert.equal(me.status, 200);
  const oldCookies = [...w.adminClient.jar.entries()];
  const stale = api2.client();
  for (const [k, v] of oldCookies) stale.jar.set(k, v);
  assert.equal((await stale.req('GET', '/api/me')).status, 401, 'a session of the old instance');
  const admin2 = await signIn(api2, w.admin.email, w.admin.password);
  const keyed = await fetch(`${api2.url}/api/me`, { headers: { authorization: `Bearer ${w.apiKey}` } });
  assert.equal(keyed.status, 200, 'API keys are account credentials: they carry over');

  // Same figures from the real sandbox (no render cache came along: these ran again).
  const figures2 = await renderAll(admin2, w.projectId, w.dashboardId);
  assert.deepEqual(figures2, figures);
  assert.equal((await api2.store.audit.query({ action: 'chart_run' }, { limit: 50 })).items.filter((e) => e.details.cached === true).length, 0);

  // Two-factor: works with the same secrets key...
  api2.clock.advance(120_000);
  const totp = createTotp({ issuer: 'Plotbox', now: () => api2.clock.now().getTime() });
  const needsCode = await api2.client().login(w.totpUser.email, w.totpUser.password);
  assert.equal(needsCode.status, 401);
  await signIn(api2, w.totpUser.email, w.totpUser.password, { totpCode: totp.generate(w.totpUser.secret) });
  // ...and fails closed without it.
  const noKey = join(work, 'restored-without-key');
  mkdirSync(noKey);
  assert.equal((await plotbox({ PLOTBOX_DATA_DIR: noKey }, ['restore', archive, '--passphrase-file', passFile])).status, 0);
  const api3 = await startTestApi(t, { dataDir: noKey });
  api3.clock.advance(240_000);
  const totp3 = createTotp({ issuer: 'Plotbox', now: () => api3.clock.now().getTime() });
  const refused = await api3.client().login(w.totpUser.email, w.totpUser.password, { totpCode: totp3.generate(w.totpUser.secret) });
  assert.equal(refused.status, 401, 'a TOTP secret sealed under another key does not open');
  await signIn(api3, w.admin.email, w.admin.password);
});

test('sessions kept on request; a directory → S3 (s3rver) → directory round trip; damaged, truncated, foreign and wrong-key archives refused with nothing written', async (t) => {
  const sb = await sharedSandbox(t);
  const api = await startTestApi(t, { sandboxUrl: sb.url, sandboxToken: sb.token });
  const w = await seed(api);
  const work = tempDir(t, 'plotbox-backup-');
  const keygen = await plotbox({ PLOTBOX_DATA_DIR: api.dataDir }, ['backup', 'keygen', '--out', join(work, 'backup-key.txt')]);
  assert.equal(keygen.status, 0, keygen.stderr);
  const recipient = /public key: (age1[a-z0-9]+)/u.exec(keygen.stdout)?.[1];
  assert.ok(recipient);
  const archive = join(work, 'with-sessions.age');
  // Made with the public key alone: the backup host never holds what opens it.
  const backup = await plotbox({ PLOTBOX_DATA_DIR: api.dataDir }, ['backup', '--out', archive, '--recipient', recipient, '--include-sessions']);
  assert.equal(backup.status, 0, backup.stderr);
  assert.match(backup.stdout, /session [1-9]/u);
  const key = identityKey(readFileSync(join(work, 'backup-key.txt'), 'utf8'));
  const records = await archiveRecords(archive, key);

  // Into S3 (s3rver) with a fresh SQLite store.
  const s3dir = tempDir(t, 'plotbox-s3rver-');
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory: s3dir, silent: true });
  const { port } = await s3.run();
  t.after(() => s3.close());
  const s3env = { S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_BUCKET: 'plotbox-restored', S3_ACCESS_KEY: 'S3RVER', S3_SECRET_KEY: 'S3RVER' };
  const onS3 = join(work, 'on-s3');
  mkdirSync(join(onS3, 'keys'), { recursive: true });
  copyFileSync(join(api.dataDir, 'keys', 'secrets-key.json'), join(onS3, 'keys', 'secrets-key.json'));
  const toS3 = await plotbox({ PLOTBOX_DATA_DIR: onS3, ...s3env }, ['restore', archive, '--identity', join(work, 'backup-key.txt')]);
  assert.equal(toS3.status, 0, toS3.stderr);
  assert.match(toS3.stdout, /into sqlite \+ s3 .* 2 blobs/u);
  assert.match(toS3.stdout, /sessions were restored/u);
  assert.equal(existsSync(join(onS3, 'blobs')), false, 'blobs went to S3, not to a directory');
  const apiS3 = await startTestApi(t, { dataDir: onS3, env: s3env, sandboxUrl: sb.url, sandboxToken: sb.token });
  assert.deepEqual((await dumpAll(apiS3.store)).filter(notRestoreEvent), records);
  // Kept sessions: the old instance's cookies work here (same signing keys), and charts render from S3.
  const kept = apiS3.client();
  for (const [k, v] of w.adminClient.jar.entries()) kept.jar.set(k, v);
  assert.equal((await kept.req('GET', '/api/me')).status, 200, 'a session kept on purpose');
  assert.equal((await renderAll(kept, w.projectId, w.dashboardId)).size, 8);

  // And back: S3 → an archive → a directory, equal to the original.
  const back = join(work, 'back.age');
  const fromS3 = await plotbox({ PLOTBOX_DATA_DIR: onS3, ...s3env }, ['backup', '--out', back, '--identity', join(work, 'backup-key.txt'), '--include-sessions']);
  assert.equal(fromS3.status, 0, fromS3.stderr);
  const onDir = join(work, 'on-dir');
  mkdirSync(onDir);
  const toDir = await plotbox({ PLOTBOX_DATA_DIR: onDir }, ['restore', back, '--identity', join(work, 'backup-key.txt')]);
  assert.equal(toDir.status, 0, toDir.stderr);
  const apiDir = await startTestApi(t, { dataDir: onDir });
  const original = new Map(records.map((r) => [keyOf(r), r]));
  for (const r of (await dumpAll(apiDir.store)).filter(notRestoreEvent)) {
    // What the S3 instance did meanwhile: its renders and backup (audit), the sandbox facts it re-read (settings).
    if ((r.type === 'audit_event' && !original.has(keyOf(r))) || r.type === 'setting') continue;
    assert.deepEqual(r, original.get(keyOf(r)), keyOf(r));
  }
  assert.deepEqual(await blobBytes(join(onDir, 'blobs')), await blobBytes(join(api.dataDir, 'blobs')));

  // Refusals: nothing is written, not even an empty database.
  const bytes = readFileSync(archive);
  const bad = (name: string, content: Buffer): string => {
    const p = join(work, name);
    writeFileSync(p, content);
    return p;
  };
  const flipped = Buffer.from(bytes);
  flipped[bytes.length - 100] = (flipped[bytes.length - 100] ?? 0) ^ 0x40;
  const other = await plotbox({ PLOTBOX_DATA_DIR: api.dataDir }, ['backup', 'keygen', '--out', join(work, 'other-key.txt')]);
  assert.equal(other.status, 0);
  const cases: [string, string[], RegExp][] = [
    ['damaged', ['restore', bad('flipped.age', flipped), '--identity', join(work, 'backup-key.txt')], /BACKUP_DAMAGED/u],
    ['truncated', ['restore', bad('cut.age', bytes.subarray(0, Math.floor(bytes.length / 2))), '--identity', join(work, 'backup-key.txt')], /BACKUP_DAMAGED/u],
    ['truncated in the header', ['restore', bad('stub.age', bytes.subarray(0, 40)), '--identity', join(work, 'backup-key.txt')], /BACKUP_DAMAGED/u],
    ['foreign', ['restore', bad('foreign.age', randomBytes(4096)), '--identity', join(work, 'backup-key.txt')], /BACKUP_FOREIGN/u],
    ['a SQLite file', ['restore', join(api.dataDir, 'plotbox.db'), '--identity', join(work, 'backup-key.txt')], /BACKUP_FOREIGN/u],
    ['wrong identity', ['restore', archive, '--identity', join(work, 'other-key.txt')], /BACKUP_WRONG_KEY/u],
    ['a passphrase for an identity archive', ['restore', archive, '--passphrase-stdin'], /BACKUP_WRONG_KEY/u],
  ];
  for (const [what, args, expected] of cases) {
    const target = join(work, `target-${randomUUID()}`);
    mkdirSync(target);
    const r = await plotbox({ PLOTBOX_DATA_DIR: target }, args, `${PASSPHRASE}\n`);
    assert.equal(r.status, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, expected, what);
    assert.doesNotMatch(r.stderr, /\n\s+at |node:internal/u, `${what}: no stack`);
    assert.equal(existsSync(join(target, 'plotbox.db')), false, `${what}: nothing written`);
  }
  const usage = await plotbox({ PLOTBOX_DATA_DIR: work }, ['backup', '--out', join(work, 'x.age'), '--passphrase', 'on the command line']);
  assert.equal(usage.status, 64);
});

test('SQLite → MongoDB → SQLite (where MONGODB_URI is set)', async (t) => {
  const uri = process.env.MONGODB_URI;
  if (uri === undefined || uri === '') {
    console.log('# backup-restore: the MongoDB direction SKIPPED: MONGODB_URI is not set (no MongoDB server on this machine)');
    t.skip('MONGODB_URI is not set');
    return;
  }
  const api = await startTestApi(t);
  await seed(api);
  const work = tempDir(t, 'plotbox-backup-');
  const pass = join(work, 'pass');
  writeFileSync(pass, PASSPHRASE);
  const a1 = join(work, 'a1.age');
  assert.equal((await plotbox({ PLOTBOX_DATA_DIR: api.dataDir }, ['backup', '--out', a1, '--passphrase-file', pass, '--include-sessions'])).status, 0);
  const db = `plotbox_backup_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const mongoEnv = { PLOTBOX_DATA_DIR: join(work, 'mongo-data'), MONGODB_URI: uri, MONGODB_DB: db };
  const toMongo = await plotbox(mongoEnv, ['restore', a1, '--passphrase-file', pass]);
  assert.equal(toMongo.status, 0, toMongo.stderr);
  assert.match(toMongo.stdout, /into mongodb \+ dir/u);
  const a2 = join(work, 'a2.age');
  assert.equal((await plotbox(mongoEnv, ['backup', '--out', a2, '--passphrase-file', pass, '--include-sessions'])).status, 0);
  const back = join(work, 'back');
  mkdirSync(back);
  assert.equal((await plotbox({ PLOTBOX_DATA_DIR: back }, ['restore', a2, '--passphrase-file', pass])).status, 0);
  const original = new Map((await archiveRecords(a1, passphraseKey(PASSPHRASE))).map((r) => [keyOf(r), r]));
  const { createSqliteStore } = await import('@plotbox/store-sqlite');
  const store = createSqliteStore({ path: join(back, 'plotbox.db'), now: () => new Date(), newId: randomUUID });
  t.after(() => store.close());
  let compared = 0;
  for (const r of await dumpAll(store)) {
    if (r.type === 'audit_event' && !original.has(keyOf(r))) continue;
    assert.deepEqual(r, original.get(keyOf(r)), keyOf(r));
    compared += 1;
  }
  assert.equal(compared, original.size);
  const { MongoClient } = await import('mongodb');
  const client = await MongoClient.connect(uri);
  await client.db(db).dropDatabase();
  await client.close();
});
