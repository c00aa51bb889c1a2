/** Conformance: dump and load (backup, restore, migration between adapters). */
import assert from 'node:assert/strict';
import { BACKUP_RECORD_TYPES } from '../ports.ts';
import type { BackupRecord, Store } from '../ports.ts';
import { assertStoreError, collectPages, MIN, NEVER } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

/** Every record of a dump, as JSON would carry it (what an archive gives back). */
async function dumpAll(store: Store, sessions = false): Promise<BackupRecord[]> {
  const out: BackupRecord[] = [];
  for await (const r of store.backup.dump({ sessions })) out.push(r);
  return JSON.parse(JSON.stringify(out)) as BackupRecord[];
}

/** A store with a record of every kind, in the shapes the API writes them. */
async function seed(store: Store, clock: { advance(ms: number): void }, newUser: ConformanceContext['newUser']) {
  const admin = await newUser(store, { systemRole: 'admin', email: 'Ada@Example.com', displayName: 'Ada Admin', identity: { issuer: 'https://sso.example.com', subject: 'ada' } });
  await store.users.update(admin.id, admin.version, { totp: { secret: 'sealed:v1:k1:abc', enabled: true, lastUsedStep: 42 }, recoveryCodeHashes: ['r1', 'r2'] });
  await store.users.addIdentity(admin.id, { issuer: 'https://other.example.com', subject: 'a-1' });
  const bob = await newUser(store, { displayName: 'Bob' });
  clock.advance(MIN);
  const idle = await newUser(store, { systemRole: 'viewer' });
  clock.advance(60 * MIN);
  assert.equal(await store.users.disableIfInactive(idle.id, new Date(NEVER.getTime())), true);
  const group = await store.groups.create({ name: 'Analysts', memberIds: [bob.id, idle.id] });
  const project = await store.projects.create({ name: 'Sales', description: 'Numbers', createdBy: admin.id });
  await store.projects.update(project.id, project.version, { description: 'All the numbers' });
  await store.projects.setGrant(project.id, { kind: 'user', id: bob.id }, 'editor');
  await store.projects.setGrant(project.id, { kind: 'group', id: group.id }, 'viewer');
  const dash = await store.dashboards.create({ projectId: project.id, name: 'Overview', layout: ['x', { $where: 'inert' }] });
  await store.dashboards.setGrant(dash.id, { kind: 'user', id: idle.id }, 'editor');
  const { dataset, version: v1 } = await store.datasets.createWithVersion({
    projectId: project.id,
    name: 'sales',
    version: { sha256: SHA_A, blobKey: `datasets/${project.id}/a.arrow`, bytes: 10, rowCount: 2, schema: { columns: [{ name: 'x', type: 'int' }] }, profile: { x: { min: 1 } }, createdBy: admin.id },
  });
  clock.advance(MIN);
  const { version: v2 } = await store.datasets.addVersion(dataset.id, {
    sha256: SHA_B,
    blobKey: `datasets/${project.id}/b.arrow`,
    bytes: 20,
    rowCount: 4,
    schema: { columns: [] },
    profile: {},
    createdBy: bob.id,
  });
  const current = await store.datasets.setCurrentVersion(dataset.id, v1.id);
  await store.datasets.create({ projectId: project.id, name: 'empty' });
  const chart = await store.charts.create({
    dashboardId: dash.id,
    title: 'Bars',
    code: 'fig = px.bar(df, { x: "x" });',
    lang: 'js',
    datasetId: dataset.id,
    diagnostics: [{ rule: 'r', line: 1 }],
    codeHash: 'h1',
  });
  await store.charts.update(chart.id, chart.version, { title: 'Bars!' });
  await store.charts.create({ dashboardId: dash.id, title: 'No data', code: 'fig = {data: []};', lang: 'ts', runtime: 'danfo', codeHash: 'h2' });
  await store.dashboards.update(dash.id, dash.version, { layout: [chart.id] });
  const key = await store.apiKeys.create({ userId: bob.id, name: 'CI', prefix: 'abcd1234', hash: 'kh1', expiresAt: NEVER });
  await store.apiKeys.markUsed(key.id);
  const revoked = await store.apiKeys.create({ userId: bob.id, name: 'old', prefix: 'ffff0000', hash: 'kh2' });
  await store.apiKeys.revoke(revoked.id);
  const session = await store.sessions.create({ userId: bob.id, absoluteExpiresAt: NEVER, idleExpiresAt: NEVER, userAgent: 'test', ip: '192.0.2.1' });
  await store.sessions.createRefreshToken({ tokenHash: 'rt0', sessionId: session.id, expiresAt: NEVER });
  assert.equal((await store.sessions.rotateRefresh('rt0', { tokenHash: 'rt1', expiresAt: NEVER })).status, 'rotated');
  const ended = await store.sessions.create({ userId: admin.id, absoluteExpiresAt: NEVER, idleExpiresAt: NEVER, mfaPending: true });
  await store.sessions.revoke(ended.id, 'logout');
  await store.audit.append({
    actor: { kind: 'user', userId: admin.id },
    ip: '198.51.100.7',
    action: 'project_create',
    target: { type: 'project', id: project.id },
    outcome: 'success',
    requestId: 'r1',
  });
  await store.audit.append({ actor: { kind: 'api_key', userId: bob.id, apiKey: { id: key.id, name: 'CI' } }, action: 'chart_run', outcome: 'success', details: { cached: true, durationMs: 3 } });
  await store.audit.append({
    actor: { kind: 'anonymous', userId: null },
    action: 'login_failure',
    target: { type: 'user', id: null },
    outcome: 'failure',
    details: { reason: 'unknown_user', nested: { a: [1, null] } },
  });
  await store.settings.put('sandbox.info', { runtimeVersion: '1.2.3' });
  await store.settings.put('lease:sweep', { replica: 'r' }, { expiresAt: NEVER });
  await store.renderCache.put({ codeHash: 'h1', datasetVersionId: v1.id, runtimeVersion: '1' }, { figure: { data: [] } });
  await store.counters.hit('api:user:x', 60_000);
  return { admin, bob, idle, group, project, dash, dataset: current, v1, v2, chart, key, session, ended };
}

export function backupConformance({ it, newUser }: ConformanceContext): void {
  it('backup: a dump loads into an empty store with every id, version and time as stored, and both dumps are equal', async (store, clock, more) => {
    assert.equal(await store.backup.isEmpty(), true);
    const s = await seed(store, clock, newUser);
    assert.equal(await store.backup.isEmpty(), false);
    const records = await dumpAll(store, true);
    // Parents before children: the types come in their declared order.
    const order = records.map((r) => BACKUP_RECORD_TYPES.indexOf(r.type));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    const count = (t: BackupRecord['type']) => records.filter((r) => r.type === t).length;
    assert.deepEqual(
      Object.fromEntries(BACKUP_RECORD_TYPES.map((t) => [t, count(t)])),
      { user: 3, group: 1, project: 1, dashboard: 1, dataset: 2, dataset_version: 2, chart: 2, api_key: 2, session: 2, refresh_token: 2, audit_event: 3, setting: 1 },
      'no render cache, counters or expiring settings',
    );
    const user = records.find((r) => r.type === 'user' && r.id === s.admin.id);
    assert.ok(user?.type === 'user');
    assert.equal(user.totp?.secret, 'sealed:v1:k1:abc', 'TOTP secrets travel as stored (sealed)');

    clock.advance(5 * MIN); // the target's clock differs: nothing in a load may come from it
    const target = await more();
    const result = await target.backup.load(records);
    assert.deepEqual(result.dropped, {});
    assert.equal(
      Object.values(result.loaded).reduce((a, b) => a + b, 0),
      records.length,
    );
    assert.deepEqual(await dumpAll(target, true), records, 'the restored store dumps exactly what was loaded');

    // Reads through the ports agree record by record.
    for (const u of [s.admin, s.bob, s.idle]) {
      assert.deepEqual(await target.users.findById(u.id), await store.users.findById(u.id));
      assert.deepEqual(await target.users.listIdentities(u.id), await store.users.listIdentities(u.id));
      assert.deepEqual(await target.groups.listForUser(u.id), await store.groups.listForUser(u.id));
    }
    assert.deepEqual(await target.users.findByIdentity({ issuer: 'https://sso.example.com', subject: 'ada' }), await store.users.findByIdentity({ issuer: 'https://sso.example.com', subject: 'ada' }));
    assert.deepEqual(await target.projects.findById(s.project.id), await store.projects.findById(s.project.id));
    assert.deepEqual(await target.projects.listGrants(s.project.id), await store.projects.listGrants(s.project.id));
    assert.deepEqual(await target.dashboards.findById(s.dash.id), await store.dashboards.findById(s.dash.id));
    assert.deepEqual(await target.dashboards.listGrants(s.dash.id), await store.dashboards.listGrants(s.dash.id));
    assert.deepEqual(await collectPages((p) => target.charts.listByDashboard(s.dash.id, p), 10), await collectPages((p) => store.charts.listByDashboard(s.dash.id, p), 10));
    assert.deepEqual(await collectPages((p) => target.datasets.listByProject(s.project.id, p), 10), await collectPages((p) => store.datasets.listByProject(s.project.id, p), 10));
    assert.deepEqual(await collectPages((p) => target.datasets.listVersions(s.dataset.id, p), 10), await collectPages((p) => store.datasets.listVersions(s.dataset.id, p), 10));
    assert.deepEqual(await target.apiKeys.findByPrefix('abcd1234'), await store.apiKeys.findByPrefix('abcd1234'));
    assert.deepEqual(await target.sessions.findById(s.session.id), await store.sessions.findById(s.session.id));
    assert.deepEqual(await target.sessions.findRefreshToken('rt1'), await store.sessions.findRefreshToken('rt1'));
    assert.deepEqual(await collectPages((p) => target.audit.query({}, p), 2), await collectPages((p) => store.audit.query({}, p), 2));
    assert.deepEqual((await target.audit.query({ excludeCached: true }, { limit: 10 })).items.length, 2, 'the cached flag comes back too');
    assert.deepEqual(await target.settings.get('sandbox.info'), await store.settings.get('sandbox.info'));
    assert.equal(await target.settings.get('lease:sweep'), null);
    assert.deepEqual(await target.datasets.versionBlobKeys(s.project.id), await store.datasets.versionBlobKeys(s.project.id));

    // The restored store goes on from where the old one was: versions, uniqueness, rotation, replay.
    const bob = await target.users.findById(s.bob.id);
    assert.ok(bob);
    await assertStoreError(target.users.update(bob.id, bob.version + 1, { displayName: 'stale' }), 'STORE_VERSION_MISMATCH');
    assert.equal((await target.users.update(bob.id, bob.version, { displayName: 'Bob 2' })).version, bob.version + 1);
    await assertStoreError(target.users.create({ email: 'ADA@example.com', displayName: 'x', passwordHash: 'h', systemRole: 'user' }), 'STORE_CONFLICT', 'users.email');
    await assertStoreError(target.apiKeys.create({ userId: bob.id, name: 'dup', prefix: 'abcd1234', hash: 'h' }), 'STORE_CONFLICT', 'api_keys.prefix');
    await assertStoreError(target.datasets.create({ projectId: s.project.id, name: 'sales' }), 'STORE_CONFLICT', 'datasets.project_name');
    assert.equal(await target.users.useTotpStep(s.admin.id, 42), false, 'a used TOTP step stays used');
    assert.equal(await target.users.useRecoveryCode(s.admin.id, 'r1'), true);
    assert.equal((await target.sessions.rotateRefresh('rt0', { tokenHash: 'x', expiresAt: NEVER })).status, 'reused', 'a used refresh token is still a reuse');
    assert.equal((await target.sessions.rotateRefresh('rt1', { tokenHash: 'rt2', expiresAt: NEVER })).status, 'rotated');
    const ownerless = target.projects.removeGrant(s.project.id, { kind: 'user', id: s.admin.id });
    await assertStoreError(ownerless, 'STORE_CONFLICT', 'last_owner');
    assert.equal((await target.datasets.delete(s.dataset.id))?.blobKeys.length, 2);
    assert.equal((await target.charts.findById(s.chart.id))?.datasetId, null, 'references behave as before');
  });

  it('backup: sessions only on request; a load needs an empty store and is all or nothing', async (store, clock, more) => {
    const s = await seed(store, clock, newUser);
    const records = await dumpAll(store);
    assert.equal(records.filter((r) => r.type === 'session' || r.type === 'refresh_token').length, 0);
    const target = await more();
    await target.backup.load(records);
    assert.equal(await target.sessions.findById(s.session.id), null, 'without sessions everyone signs in again');
    assert.equal(await target.sessions.findRefreshToken('rt1'), null);

    // Not empty: refused before anything is written.
    const before = await dumpAll(target, true);
    await assertStoreError(target.backup.load(records), 'STORE_CONFLICT', 'not_empty');
    await assertStoreError(store.backup.load([]), 'STORE_CONFLICT', 'not_empty');
    assert.deepEqual(await dumpAll(target, true), before);

    // A bad record anywhere undoes the records before it.
    const fresh = await more();
    const bad = (i: number, change: Record<string, unknown>): unknown[] => records.map((r, j) => (j === i ? { ...r, ...change } : r));
    const last = records.length - 1;
    for (const attempt of [
      bad(last, { type: 'rumour' }),
      bad(last, { value: undefined, key: 'bad key!' }),
      bad(0, { id: { $ne: null } }),
      bad(0, { email: 'not-an-email' }),
      bad(0, { version: 0 }),
      bad(0, { createdAt: '2026-01-01' }),
      bad(0, { extra: 1 }),
      bad(1, { memberIds: ['x', 'x'] }),
      bad(
        records.findIndex((r) => r.type === 'dataset_version'),
        { sha256: 'nothex' },
      ),
      bad(
        records.findIndex((r) => r.type === 'chart'),
        { projectId: 'another-project' },
      ),
      bad(
        records.findIndex((r) => r.type === 'audit_event'),
        { details: ['not', 'an object'] },
      ),
      [...records, records[0]],
      [null],
    ]) {
      await assertStoreError(fresh.backup.load(attempt), 'STORE_INVALID');
      assert.equal(await fresh.backup.isEmpty(), true, 'nothing stays written');
    }
    // A duplicate the database refuses (two users with one email), and a source that fails midway.
    const users = records.filter((r) => r.type === 'user');
    await assert.rejects(
      fresh.backup.load([users[0], { ...users[1], email: users[0]?.type === 'user' ? users[0].email.toUpperCase() : '' }]),
      (e: unknown) => (e as { code?: string }).code === 'STORE_CONFLICT',
    );
    assert.equal(await fresh.backup.isEmpty(), true);
    async function* failing(): AsyncGenerator<unknown> {
      yield records[0];
      yield records[1];
      throw new Error('the archive ended early');
    }
    await assert.rejects(fresh.backup.load(failing()), /ended early/u);
    assert.equal(await fresh.backup.isEmpty(), true);
    await assertStoreError(fresh.backup.load(42 as never), 'STORE_INVALID');
    // After all that, a good load still works.
    await fresh.backup.load(records);
    assert.equal((await fresh.users.findById(s.admin.id))?.email, 'Ada@Example.com');
  });

  it('backup: references to records missing from a dump are dropped the way deletion would; contradictions are refused', async (store, clock, more) => {
    const s = await seed(store, clock, newUser);
    const records = await dumpAll(store);
    // As if the dataset, a user and the project had been deleted while the dump was read.
    const holed = records.filter((r) => !(r.type === 'dataset' && r.id === s.dataset.id) && !(r.type === 'user' && r.id === s.idle.id));
    const target = await more();
    const result = await target.backup.load(holed);
    assert.deepEqual(result.dropped, { 'group.memberIds': 1, 'dashboard.grants': 1, dataset_version: 2, 'chart.datasetId': 1 });
    assert.equal((await target.charts.findById(s.chart.id))?.datasetId, null);
    assert.deepEqual((await target.groups.findById(s.group.id))?.memberIds, [s.bob.id]);
    assert.deepEqual(await target.dashboards.listGrants(s.dash.id), []);

    const noProject = records.filter((r) => r.type !== 'project');
    const third = await more();
    const r2 = await third.backup.load(noProject);
    assert.equal(r2.dropped.dashboard, 1);
    assert.equal(r2.dropped.chart, 2);
    assert.equal(r2.dropped.dataset, 2);

    // A dataset whose current version is not one of its versions is a contradiction, not a hole.
    const fourth = await more();
    const noVersions = records.filter((r) => r.type !== 'dataset_version');
    await assertStoreError(fourth.backup.load(noVersions), 'STORE_INVALID', 'dataset.currentVersionId');
    assert.equal(await fourth.backup.isEmpty(), true);
  });

  it('backup: isEmpty ignores what a fresh API start writes (settings, counters, cached renders)', async (store) => {
    await store.settings.put('sandbox.info', { v: 1 });
    await store.counters.hit('login:ip:x', 60_000);
    assert.equal(await store.backup.isEmpty(), true);
    const u = await newUser(store);
    assert.equal(await store.backup.isEmpty(), false);
    await assertStoreError(store.backup.load([]), 'STORE_CONFLICT', 'not_empty');
    assert.equal((await store.users.findById(u.id))?.id, u.id);
    assertThrowsInvalid(() => store.backup.dump({ sessions: 'yes' as never }));
  });
}

function assertThrowsInvalid(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => (e as { code?: string }).code === 'STORE_INVALID');
}
