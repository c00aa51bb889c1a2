// Personal data over HTTP (issue 13): an admin exports anyone's data and a user their own (JSON:
// profile, memberships, grants, API key metadata, sessions, the audit events about them; never a
// hash or secret); an admin erases a user: account and credentials gone, their projects handed over
// or deleted, the audit log kept with the person replaced by a pseudonym everywhere, the erasure
// itself audited; self-erasure, bad transfers and API keys refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupRecord } from '@plotbox/store';
import { errorCode, startTestApi, type Client, type TestApi } from './helpers/api.ts';

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 400));
  return JSON.parse(text) as T;
}

async function person(api: TestApi, role: 'admin' | 'user' = 'user', displayName?: string): Promise<{ id: string; email: string; password: string; client: Client }> {
  const u = await api.createUser({ role, ...(displayName === undefined ? {} : { displayName }) });
  const client = api.client();
  assert.equal((await client.login(u.email, u.password)).status, 200);
  return { id: u.user.id, email: u.email, password: u.password, client };
}

interface Export {
  format: string;
  user: { id: string; email: string; displayName: string };
  identities: unknown[];
  groups: { id: string; name: string }[];
  grants: { projects: { projectId: string; projectName: string; role: string }[]; dashboards: { dashboardId: string; dashboardName: string; role: string }[] };
  apiKeys: { id: string; name: string; prefix: string }[];
  sessions: { id: string; ip: string | null; userAgent: string | null; revokedAt: string | null }[];
  auditEvents: { action: string; actor: { userId: string | null }; target: { type: string; id: string | null } | null }[];
}

/** A user with something of everything: two projects (one alone), a co-owned one, a dashboard grant, a group, a key, a dataset. */
async function worldOf(api: TestApi) {
  const admin = await person(api, 'admin', 'Ada Admin');
  const ada = await person(api, 'user', 'Ada Lovelace');
  const bob = await person(api, 'user', 'Bob Builder');
  const heir = await person(api, 'user', 'Hal Heir');
  const solo = await json<{ project: { id: string } }>(await ada.client.req('POST', '/api/projects', { name: 'Solo' }), 201);
  const shared = await json<{ project: { id: string } }>(await bob.client.req('POST', '/api/projects', { name: 'Shared' }), 201);
  await json(await bob.client.req('PUT', `/api/projects/${shared.project.id}/members/user/${ada.id}`, { role: 'owner' }));
  const dash = await json<{ dashboard: { id: string } }>(await bob.client.req('POST', `/api/projects/${shared.project.id}/dashboards`, { name: 'Board' }), 201);
  const other = await json<{ project: { id: string } }>(await bob.client.req('POST', '/api/projects', { name: 'Other' }), 201);
  const otherDash = await json<{ dashboard: { id: string } }>(await bob.client.req('POST', `/api/projects/${other.project.id}/dashboards`, { name: 'Theirs' }), 201);
  await json(await bob.client.req('PUT', `/api/projects/${other.project.id}/dashboards/${otherDash.dashboard.id}/grants/user/${ada.id}`, { role: 'viewer' }));
  await json(await admin.client.req('POST', '/api/groups', { name: 'Analysts', memberIds: [ada.id, bob.id] }), 201);
  const key = await json<{ key: string; apiKey: { id: string } }>(await ada.client.req('POST', '/api/me/api-keys', { name: 'laptop' }), 201);
  const upload = await ada.client.req('POST', `/api/projects/${solo.project.id}/datasets?name=sales`, 'region,units\nNorth,3\n', { 'content-type': 'text/csv' });
  assert.equal(upload.status, 201, await upload.text());
  return { admin, ada, bob, heir, solo: solo.project.id, shared: shared.project.id, dash: dash.dashboard.id, other: other.project.id, otherDash: otherDash.dashboard.id, key };
}

test('export: an admin for anyone, a user for themselves; everything about them, no secret; audited; API keys and others refused', async (t) => {
  const api = await startTestApi(t);
  const w = await worldOf(api);
  const res = await w.admin.client.req('GET', `/api/users/${w.ada.id}/export`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="plotbox-personal-data-[\w-]+\.json"$/u);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/u);
  const text = await res.text();
  const data = JSON.parse(text) as Export;
  assert.equal(data.format, 'plotbox-personal-data/1');
  assert.equal(data.user.email, w.ada.email);
  assert.deepEqual(
    data.groups.map((g) => g.name),
    ['Analysts'],
  );
  assert.deepEqual(data.grants.projects.map((g) => [g.projectName, g.role]).sort(), [
    ['Shared', 'owner'],
    ['Solo', 'owner'],
  ]);
  assert.deepEqual(
    data.grants.dashboards.map((g) => [g.dashboardName, g.role]),
    [['Theirs', 'viewer']],
  );
  assert.deepEqual(
    data.apiKeys.map((k) => k.name),
    ['laptop'],
  );
  assert.equal(data.sessions.length, 1);
  assert.ok(data.sessions[0]?.ip !== undefined);
  const actions = data.auditEvents.map((e) => e.action);
  for (const a of ['login_success', 'project_create', 'member_grant', 'api_key_create', 'dataset_upload', 'dashboard_grant', 'personal_data_export'])
    assert.ok(actions.includes(a), `${a} in ${actions.join(',')}`);
  assert.ok(
    data.auditEvents.every((e) => e.actor.userId === w.ada.id || e.target?.id === w.ada.id || JSON.stringify(e).includes(w.ada.id)),
    'only events about her',
  );
  const stored = await api.store.users.findById(w.ada.id);
  const keyRecord = await api.store.apiKeys.findById(w.key.apiKey.id);
  for (const secret of [stored?.passwordHash ?? 'x', keyRecord?.hash ?? 'x', w.key.key, 'passwordHash', 'recoveryCodeHashes', 'tokenHash'])
    assert.equal(text.includes(secret), false, `no ${secret.slice(0, 12)}…`);

  const mine = await w.ada.client.req('GET', '/api/me/export');
  const own = JSON.parse(await mine.text()) as Export;
  assert.equal(own.user.id, w.ada.id);
  assert.equal(own.grants.projects.length, 2);
  const exports = (await api.store.audit.query({ action: 'personal_data_export' }, { limit: 10 })).items;
  assert.deepEqual(exports.map((e) => `${e.actor.userId}:${e.target?.id}:${String(e.details.self)}`).sort(), [`${w.admin.id}:${w.ada.id}:false`, `${w.ada.id}:${w.ada.id}:true`].sort());

  assert.equal(await errorCode(await w.bob.client.req('GET', `/api/users/${w.ada.id}/export`)), 'ACCESS_FORBIDDEN');
  assert.equal((await api.client().req('GET', '/api/me/export')).status, 401);
  const byKey = await fetch(`${api.url}/api/me/export`, { headers: { authorization: `Bearer ${w.key.key}` } });
  assert.equal(byKey.status, 403);
  assert.equal(await errorCode(await w.admin.client.req('GET', '/api/users/no-such-user/export')), 'API_NOT_FOUND');
});

test('erasure: the plan names what will be lost; refusals; transfer hands over the projects she alone owns; every trace pseudonymised; audited', async (t) => {
  const api = await startTestApi(t);
  const w = await worldOf(api);
  const plan = (
    await json<{ plan: { soleOwnedProjects: { id: string; name: string }[]; otherGrants: number; dashboardGrants: number; groups: number; apiKeys: number; sessions: number; lastAdmin: boolean } }>(
      await w.admin.client.req('GET', `/api/users/${w.ada.id}/erasure-plan`),
    )
  ).plan;
  assert.deepEqual(plan.soleOwnedProjects, [{ id: w.solo, name: 'Solo' }]);
  assert.deepEqual([plan.otherGrants, plan.dashboardGrants, plan.groups, plan.apiKeys, plan.sessions, plan.lastAdmin], [1, 1, 1, 1, 1, false]);

  const erase = (who: Client, id: string, body: unknown) => who.req('POST', `/api/users/${id}/erase`, body);
  assert.equal(await errorCode(await erase(w.admin.client, w.admin.id, { projects: 'delete' })), 'ACCESS_FORBIDDEN', 'not yourself');
  assert.equal(await errorCode(await erase(w.bob.client, w.ada.id, { projects: 'delete' })), 'ACCESS_FORBIDDEN', 'admins only');
  assert.equal(await errorCode(await erase(w.admin.client, w.ada.id, {})), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await erase(w.admin.client, w.ada.id, { projects: 'transfer' })), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await erase(w.admin.client, w.ada.id, { projects: 'transfer', transferTo: w.ada.id })), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await erase(w.admin.client, w.ada.id, { projects: 'delete', transferTo: w.heir.id })), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await erase(w.admin.client, w.ada.id, { projects: { $ne: null } })), 'VALIDATION_FAILED');
  await json(await w.admin.client.req('PATCH', `/api/users/${w.bob.id}`, { disabled: true }));
  assert.equal(await errorCode(await erase(w.admin.client, w.ada.id, { projects: 'transfer', transferTo: w.bob.id })), 'VALIDATION_FAILED', 'not to a disabled user');
  await json(await w.admin.client.req('PATCH', `/api/users/${w.bob.id}`, { disabled: false }));
  const viewer = await api.createUser({ role: 'viewer' });
  assert.equal(await errorCode(await erase(w.admin.client, w.ada.id, { projects: 'transfer', transferTo: viewer.user.id })), 'VALIDATION_FAILED', 'not to a read-only system viewer');
  const byKey = await fetch(`${api.url}/api/users/${w.ada.id}/erase`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ projects: 'delete' }),
  });
  assert.equal(byKey.status, 403);
  assert.ok(await api.store.users.findById(w.ada.id), 'nothing happened yet');

  const before = (await api.store.audit.query({ involvesUserId: w.ada.id }, { limit: 500 })).items.length;
  const done = await json<{
    erased: { pseudonym: string; projectsTransferred: number; projectsDeleted: number; sessionsEnded: number; apiKeysDeleted: number; groupsLeft: number; auditEventsPseudonymised: number };
  }>(await erase(w.admin.client, w.ada.id, { projects: 'transfer', transferTo: w.heir.id }));
  const p = done.erased.pseudonym;
  assert.match(p, /^erased-[\w-]{22}$/u);
  assert.deepEqual(
    { ...done.erased, pseudonym: 'x' },
    { pseudonym: 'x', projectsTransferred: 1, projectsDeleted: 0, sessionsEnded: 1, apiKeysDeleted: 1, groupsLeft: 1, auditEventsPseudonymised: before },
  );

  // The account and its credentials are gone.
  assert.equal(await api.store.users.findById(w.ada.id), null);
  assert.equal((await w.ada.client.req('GET', '/api/me')).status, 401, 'her session ended');
  assert.equal((await fetch(`${api.url}/api/projects`, { headers: { authorization: `Bearer ${w.key.key}` } })).status, 401, 'her key no longer works');
  assert.equal(await errorCode(await api.client().login(w.ada.email, w.ada.password)), 'AUTH_INVALID_CREDENTIALS');
  // Her project is Hal's; the shared one keeps Bob; her grants and membership are gone.
  const soloGrants = await api.store.projects.listGrants(w.solo);
  assert.deepEqual(
    soloGrants.map((g) => [g.principal.id, g.role]),
    [[w.heir.id, 'owner']],
  );
  assert.equal((await w.heir.client.req('GET', `/api/projects/${w.solo}/datasets`)).status, 200);
  assert.deepEqual(
    (await api.store.projects.listGrants(w.shared)).map((g) => g.principal.id),
    [w.bob.id],
  );
  assert.deepEqual(await api.store.dashboards.listGrants(w.otherDash), []);
  assert.equal((await api.store.projects.findById(w.solo))?.createdBy, p);

  // The audit log: every event kept, the person nowhere, the pseudonym in her place; the erasure audited.
  const dump: BackupRecord[] = [];
  for await (const r of api.store.backup.dump()) dump.push(r);
  const auditText = JSON.stringify(dump.filter((r) => r.type === 'audit_event'));
  for (const trace of [w.ada.id, w.ada.email, 'Ada Lovelace']) assert.equal(auditText.includes(trace), false, `no ${trace} in the audit log`);
  assert.equal(JSON.stringify(dump).includes(w.ada.id), false, 'nor anywhere in the store');
  assert.equal((await api.store.audit.query({ involvesUserId: p }, { limit: 500 })).items.length, before + 1);
  const erasures = (await api.store.audit.query({ action: 'user_erase' }, { limit: 5 })).items;
  assert.equal(erasures.length, 1);
  assert.deepEqual(erasures[0]?.actor, { kind: 'user', userId: w.admin.id });
  assert.deepEqual(erasures[0]?.target, { type: 'user', id: p });
  assert.equal(erasures[0]?.details.transferTo, w.heir.id);
  assert.equal(erasures[0]?.details.auditEventsPseudonymised, before);
  const handover = (await api.store.audit.query({ action: 'member_grant' }, { limit: 50 })).items.filter((e) => e.details.via === 'erasure');
  assert.deepEqual(
    handover.map((e) => [e.target?.id, e.details.principalId]),
    [[w.solo, w.heir.id]],
  );
  // The admin's audit view shows the pseudonym, not a name.
  const view = await json<{ items: { target: { id: string } | null }[]; names?: Record<string, unknown> }>(await w.admin.client.req('GET', '/api/audit?type=user_erase'));
  assert.equal(view.items[0]?.target?.id, p);
  assert.equal(await errorCode(await erase(w.admin.client, w.ada.id, { projects: 'delete' })), 'API_NOT_FOUND', 'gone is gone');
  // Her address can be used again.
  assert.equal((await w.admin.client.req('POST', '/api/users', { email: w.ada.email, displayName: 'Someone new', password: 'another long passphrase', systemRole: 'user' })).status, 201);
});

test('erasure with delete: the projects she alone owns go, with their dataset blobs; another admin can be erased, the last one cannot (CLI test)', async (t) => {
  const api = await startTestApi(t);
  const w = await worldOf(api);
  const blobKeys = await api.store.datasets.versionBlobKeys(w.solo);
  assert.equal(blobKeys.length, 1);
  assert.ok(existsSync(join(api.dataDir, 'blobs', ...(blobKeys[0] ?? '').split('/'))));
  const done = await json<{ erased: { projectsDeleted: number; projectsTransferred: number } }>(await w.admin.client.req('POST', `/api/users/${w.ada.id}/erase`, { projects: 'delete' }));
  assert.equal(done.erased.projectsDeleted, 1);
  assert.equal(await api.store.projects.findById(w.solo), null);
  assert.ok(await api.store.projects.findById(w.shared), 'co-owned projects stay');
  assert.equal(existsSync(join(api.dataDir, 'blobs', ...(blobKeys[0] ?? '').split('/'))), false, 'the blob went with it');
  const deleted = (await api.store.audit.query({ action: 'project_delete' }, { limit: 5 })).items;
  assert.deepEqual(
    deleted.map((e) => [e.target?.id, e.details.via, e.details.name]),
    [[w.solo, 'erasure', 'Solo']],
  );
  // Another admin: allowed (the caller remains).
  const second = await person(api, 'admin');
  assert.equal((await w.admin.client.req('POST', `/api/users/${second.id}/erase`, { projects: 'delete' })).status, 200);
});
