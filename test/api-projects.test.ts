// Projects and members through HTTP: visibility by grant and group, 404 for strangers, 403 for
// members lacking the permission, the last-owner rule, and changes taking effect at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type Client, type TestApi } from './helpers/api.ts';

async function signedIn(api: TestApi, role: 'admin' | 'user' | 'viewer' = 'user'): Promise<{ client: Client; id: string }> {
  const u = await api.createUser({ role });
  const client = api.client();
  assert.equal((await client.login(u.email, u.password)).status, 200);
  return { client, id: u.user.id };
}

test('projects: create, list by grant and group, 404 for strangers, 403 for members lacking the permission', async (t) => {
  const api = await startTestApi(t);
  const owner = await signedIn(api);
  const viewer = await signedIn(api);
  const stranger = await signedIn(api);
  const grouped = await signedIn(api);
  const sysViewer = await signedIn(api, 'viewer');

  assert.equal((await sysViewer.client.req('POST', '/api/projects', { name: 'nope' })).status, 403, 'a system viewer cannot create projects');
  const created = await owner.client.req('POST', '/api/projects', { name: 'Sales', description: 'Quarterly' });
  assert.equal(created.status, 201);
  const { project } = (await created.json()) as { project: { id: string; version: number } };

  assert.equal((await owner.client.req('PUT', `/api/projects/${project.id}/members/user/${viewer.id}`, { role: 'viewer' })).status, 200);
  const group = await api.store.groups.create({ name: 'analysts', memberIds: [grouped.id] });
  assert.equal((await owner.client.req('PUT', `/api/projects/${project.id}/members/group/${group.id}`, { role: 'editor' })).status, 200);

  const names = async (c: Client): Promise<string[]> => ((await (await c.req('GET', '/api/projects')).json()) as { items: { name: string }[] }).items.map((p) => p.name);
  assert.deepEqual(await names(owner.client), ['Sales']);
  assert.deepEqual(await names(viewer.client), ['Sales']);
  assert.deepEqual(await names(grouped.client), ['Sales'], 'visible through a group grant');
  assert.deepEqual(await names(stranger.client), []);

  assert.equal((await stranger.client.req('GET', `/api/projects/${project.id}`)).status, 404);
  assert.equal((await stranger.client.req('PATCH', `/api/projects/${project.id}`, { name: 'x' })).status, 404);
  assert.equal((await stranger.client.req('GET', '/api/projects/does-not-exist')).status, 404);
  assert.equal((await stranger.client.req('GET', '/api/projects/..%2F..%2Fetc')).status, 404);
  const mine = (await (await grouped.client.req('GET', `/api/projects/${project.id}`)).json()) as { myRole: string };
  assert.equal(mine.myRole, 'editor');

  const denied = await viewer.client.req('PATCH', `/api/projects/${project.id}`, { name: 'Renamed' });
  assert.equal(denied.status, 403);
  const body = (await denied.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'ACCESS_FORBIDDEN');
  assert.match(body.error.message, /project\.manage/);
  assert.equal((await viewer.client.req('GET', `/api/projects/${project.id}/members`)).status, 403, 'only owners see the member list');
  const members = (await (await owner.client.req('GET', `/api/projects/${project.id}/members`)).json()) as { items: { principal: { kind: string }; name: string | null }[] };
  assert.deepEqual(members.items.map((m) => m.principal.kind).sort(), ['group', 'user', 'user']);
  assert.ok(
    members.items.some((m) => m.name === 'analysts'),
    'owners see the names of groups granted on the project',
  );
  assert.equal((await viewer.client.req('PUT', `/api/projects/${project.id}/members/user/${stranger.id}`, { role: 'owner' })).status, 403);

  // Operator injection and unknown fields are refused by validation.
  assert.equal((await owner.client.req('PATCH', `/api/projects/${project.id}`, { name: { $ne: null } })).status, 400);
  assert.equal((await owner.client.req('POST', '/api/projects', { name: 'x', owner: 'me' })).status, 400);
  assert.equal((await owner.client.req('PUT', `/api/projects/${project.id}/members/user/${viewer.id}`, { role: 'root' })).status, 400);

  // Removing the user from the group takes effect on the next request.
  await api.store.groups.removeMember(group.id, grouped.id);
  assert.equal((await grouped.client.req('GET', `/api/projects/${project.id}`)).status, 404);

  // The last owner stays.
  const demote = await owner.client.req('PUT', `/api/projects/${project.id}/members/user/${owner.id}`, { role: 'editor' });
  assert.equal(demote.status, 409);
  assert.equal((await owner.client.req('DELETE', `/api/projects/${project.id}/members/user/${owner.id}`)).status, 409);

  const renamed = await owner.client.req('PATCH', `/api/projects/${project.id}`, { name: 'Sales 2026', version: project.version });
  assert.equal(renamed.status, 200);
  assert.equal((await owner.client.req('PATCH', `/api/projects/${project.id}`, { name: 'stale', version: project.version })).status, 409, 'a stale version is a conflict');

  assert.equal((await viewer.client.req('DELETE', `/api/projects/${project.id}`)).status, 403);
  assert.equal((await owner.client.req('DELETE', `/api/projects/${project.id}`)).status, 204);
  assert.equal((await owner.client.req('GET', `/api/projects/${project.id}`)).status, 404);

  const audit = await api.store.audit.query({}, { limit: 200 });
  const actions = audit.items.map((e) => e.action);
  for (const a of ['project_create', 'member_grant', 'project_update', 'project_delete', 'permission_denied']) assert.ok(actions.includes(a), a);
});

test('a system admin acts as owner of every project, and that is audited', async (t) => {
  const api = await startTestApi(t);
  const owner = await signedIn(api);
  const admin = await signedIn(api, 'admin');
  const { project } = (await (await owner.client.req('POST', '/api/projects', { name: 'Private' })).json()) as { project: { id: string } };
  assert.equal((await admin.client.req('GET', `/api/projects/${project.id}`)).status, 200);
  assert.equal((await admin.client.req('PATCH', `/api/projects/${project.id}`, { description: 'checked by admin' })).status, 200);
  const audit = await api.store.audit.query({ action: 'project_update' }, { limit: 10 });
  assert.equal(audit.items[0]?.details.asSystemAdmin, true);
});
