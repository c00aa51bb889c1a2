// Users and groups administration through HTTP: admin only, audited, and group changes taking
// effect on the member's very next request (access is evaluated from the store every time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode, startTestApi, type Client, type TestApi } from './helpers/api.ts';

async function signedIn(api: TestApi, role: 'admin' | 'user' | 'viewer' = 'user'): Promise<{ client: Client; id: string; email: string; password: string }> {
  const u = await api.createUser({ role });
  const client = api.client();
  assert.equal((await client.login(u.email, u.password)).status, 200);
  return { client, id: u.user.id, email: u.email, password: u.password };
}

interface GroupBody {
  group: { id: string; name: string; memberIds: string[]; memberCount: number };
}

test('groups: create, list, read, rename, delete, members; admins only; conflicts and unknown ids', async (t) => {
  const api = await startTestApi(t);
  const admin = await signedIn(api, 'admin');
  const alice = await signedIn(api);
  const bob = await signedIn(api);

  const created = await admin.client.req('POST', '/api/groups', { name: 'analysts', memberIds: [alice.id, alice.id] });
  assert.equal(created.status, 201);
  const { group } = (await created.json()) as GroupBody;
  assert.deepEqual(group.memberIds, [alice.id], 'duplicates collapse');
  assert.equal(group.memberCount, 1);

  assert.equal(await errorCode(await admin.client.req('POST', '/api/groups', { name: 'analysts' })), 'API_CONFLICT', 'names are unique');
  assert.equal(await errorCode(await admin.client.req('POST', '/api/groups', { name: 'x', memberIds: ['no-such-user'] })), 'VALIDATION_FAILED');
  assert.equal((await admin.client.req('POST', '/api/groups', { name: '   ' })).status, 400);
  assert.equal((await admin.client.req('POST', '/api/groups', { name: { $ne: null } })).status, 400);
  assert.equal((await admin.client.req('POST', '/api/groups', { name: 'y', owner: 'me' })).status, 400, 'unknown fields refused');
  assert.equal((await admin.client.req('POST', '/api/groups', { name: 'leads' })).status, 201);

  const list = (await (await admin.client.req('GET', '/api/groups?limit=1')).json()) as { items: { name: string }[]; nextCursor: string | null };
  assert.equal(list.items.length, 1);
  assert.ok(list.nextCursor !== null);
  const rest = (await (await admin.client.req('GET', `/api/groups?limit=1&cursor=${encodeURIComponent(list.nextCursor)}`)).json()) as { items: { name: string }[] };
  assert.deepEqual([...list.items, ...rest.items].map((g) => g.name).sort(), ['analysts', 'leads']);
  assert.equal((await admin.client.req('GET', '/api/groups?cursor=garbage')).status, 400);

  const read = (await (await admin.client.req('GET', `/api/groups/${group.id}`)).json()) as { members: { id: string; email: string }[] };
  assert.deepEqual(
    read.members.map((m) => m.email),
    [alice.email],
  );

  assert.equal((await admin.client.req('PATCH', `/api/groups/${group.id}`, { name: 'data team' })).status, 200);
  assert.equal(await errorCode(await admin.client.req('PATCH', `/api/groups/${group.id}`, { name: 'leads' })), 'API_CONFLICT');
  assert.equal((await admin.client.req('PATCH', `/api/groups/${group.id}`, {})).status, 400);

  const added = await admin.client.req('PUT', `/api/groups/${group.id}/members/${bob.id}`);
  assert.equal(added.status, 200);
  assert.deepEqual(((await added.json()) as GroupBody).group.memberIds, [alice.id, bob.id].sort());
  assert.equal((await admin.client.req('PUT', `/api/groups/${group.id}/members/${bob.id}`)).status, 200, 'idempotent');
  assert.equal((await admin.client.req('PUT', `/api/groups/${group.id}/members/no-such-user`)).status, 404);
  assert.equal((await admin.client.req('PUT', '/api/groups/no-such-group/members/' + bob.id)).status, 404);
  assert.equal((await admin.client.req('DELETE', `/api/groups/${group.id}/members/${bob.id}`)).status, 204);
  assert.equal((await admin.client.req('DELETE', `/api/groups/${group.id}/members/${bob.id}`)).status, 404, 'not a member any more');
  assert.equal((await admin.client.req('GET', '/api/groups/no-such-group')).status, 404);
  assert.equal((await admin.client.req('GET', '/api/groups/..%2Fetc')).status, 404);

  // Not an admin: 403 on every group route (a system action: no 404 hiding), and audited.
  for (const [m, p, b] of [
    ['GET', '/api/groups', undefined],
    ['POST', '/api/groups', { name: 'mine' }],
    ['GET', `/api/groups/${group.id}`, undefined],
    ['PATCH', `/api/groups/${group.id}`, { name: 'mine' }],
    ['DELETE', `/api/groups/${group.id}`, undefined],
    ['PUT', `/api/groups/${group.id}/members/${bob.id}`, undefined],
    ['DELETE', `/api/groups/${group.id}/members/${alice.id}`, undefined],
  ] as const) {
    assert.equal(await errorCode(await alice.client.req(m, p, b)), 'ACCESS_FORBIDDEN', `${m} ${p}`);
  }
  assert.equal((await api.client().req('GET', '/api/groups')).status, 401);

  assert.equal((await admin.client.req('DELETE', `/api/groups/${group.id}`)).status, 204);
  assert.equal((await admin.client.req('DELETE', `/api/groups/${group.id}`)).status, 404);

  const audit = (await api.store.audit.query({ actorUserId: admin.id }, { limit: 200 })).items;
  for (const a of ['group_create', 'group_rename', 'group_member_add', 'group_member_remove', 'group_delete']) {
    // The test clock stands still, so events share a timestamp: look for the one about this group.
    assert.ok(
      audit.some((x) => x.action === a && x.target?.type === 'group' && x.target.id === group.id),
      `${a} about the first group`,
    );
  }
  assert.equal(audit.find((e) => e.action === 'group_rename')?.details.to, 'data team');
  const denials = (await api.store.audit.query({ action: 'permission_denied', actorUserId: alice.id }, { limit: 50 })).items;
  assert.ok(denials.length >= 7);
});

test('group changes take effect on the member’s next request: add, remove, delete the group', async (t) => {
  const api = await startTestApi(t);
  const admin = await signedIn(api, 'admin');
  const owner = await signedIn(api);
  const member = await signedIn(api);

  const project = ((await (await owner.client.req('POST', '/api/projects', { name: 'Sales' })).json()) as { project: { id: string } }).project;
  const group = ((await (await admin.client.req('POST', '/api/groups', { name: 'editors' })).json()) as GroupBody).group;
  assert.equal((await owner.client.req('PUT', `/api/projects/${project.id}/members/group/${group.id}`, { role: 'editor' })).status, 200);

  const myRole = async (): Promise<number | string> => {
    const res = await member.client.req('GET', `/api/projects/${project.id}`);
    return res.status === 200 ? ((await res.json()) as { myRole: string }).myRole : res.status;
  };
  assert.equal(await myRole(), 404, 'not in the group yet: a stranger');
  assert.equal((await admin.client.req('PUT', `/api/groups/${group.id}/members/${member.id}`)).status, 200);
  assert.equal(await myRole(), 'editor', 'joined: editor at once, same session');
  assert.equal((await member.client.req('POST', `/api/projects/${project.id}/dashboards`, { name: 'Q1' })).status, 201, 'can edit');

  assert.equal((await admin.client.req('DELETE', `/api/groups/${group.id}/members/${member.id}`)).status, 204);
  assert.equal(await myRole(), 404, 'left: a stranger again on the next request');

  assert.equal((await admin.client.req('PUT', `/api/groups/${group.id}/members/${member.id}`)).status, 200);
  assert.equal(await myRole(), 'editor');
  assert.equal((await admin.client.req('DELETE', `/api/groups/${group.id}`)).status, 204);
  assert.equal(await myRole(), 404, 'group deleted: its grant went with it');
  const members = (await (await owner.client.req('GET', `/api/projects/${project.id}/members`)).json()) as { items: { principal: { kind: string } }[] };
  assert.deepEqual(
    members.items.map((m) => m.principal.kind),
    ['user'],
    'the group grant is gone from the project',
  );
});

test('users: list, create, change role and disable (effective next request), end all sessions; audited; admins only', async (t) => {
  const api = await startTestApi(t);
  const admin = await signedIn(api, 'admin');
  const other = await signedIn(api, 'admin');
  const plain = await signedIn(api);

  const page = (await (await admin.client.req('GET', '/api/users?limit=2')).json()) as { items: { id: string; passwordHash?: unknown; email: string }[]; nextCursor: string | null };
  assert.equal(page.items.length, 2);
  assert.ok(page.nextCursor !== null);
  assert.ok(
    page.items.every((u) => u.passwordHash === undefined && !JSON.stringify(u).includes('argon2')),
    'no hashes',
  );
  assert.equal((await admin.client.req('GET', '/api/users?limit=abc')).status, 400);

  // Demotion takes effect on the other admin's next request.
  assert.equal((await other.client.req('GET', '/api/audit')).status, 200);
  assert.equal((await admin.client.req('PATCH', `/api/users/${other.id}`, { systemRole: 'user' })).status, 200);
  assert.equal(await errorCode(await other.client.req('GET', '/api/audit')), 'ACCESS_FORBIDDEN');
  assert.equal((await admin.client.req('PATCH', `/api/users/${admin.id}`, { systemRole: 'user' })).status, 403, 'no self-demotion');
  assert.equal((await admin.client.req('PATCH', '/api/users/no-such-user', { disabled: true })).status, 404);
  assert.equal((await admin.client.req('PATCH', `/api/users/${plain.id}`, {})).status, 400, 'nothing to change');

  // End every session of a user: both of their sessions end, on the next request.
  const second = api.client();
  assert.equal((await second.login(plain.email, plain.password)).status, 200);
  const ended = await admin.client.req('DELETE', `/api/users/${plain.id}/sessions`);
  assert.equal(ended.status, 200);
  assert.equal(((await ended.json()) as { sessionsRevoked: number }).sessionsRevoked, 2);
  assert.equal(await errorCode(await plain.client.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
  assert.equal(await errorCode(await second.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
  assert.equal((await api.client().login(plain.email, plain.password)).status, 200, 'they can sign in again');
  assert.equal((await admin.client.req('DELETE', '/api/users/no-such-user/sessions')).status, 404);
  assert.equal(await errorCode(await other.client.req('DELETE', `/api/users/${plain.id}/sessions`)), 'ACCESS_FORBIDDEN');

  // API keys cannot manage sessions (SPEC §4), even an admin's.
  const { key } = (await (await admin.client.req('POST', '/api/me/api-keys', { name: 'ops' })).json()) as { key: string };
  const viaKey = await api.client().req('DELETE', `/api/users/${plain.id}/sessions`, undefined, { authorization: `Bearer ${key}`, 'x-requested-with': null });
  assert.equal(await errorCode(viaKey), 'ACCESS_API_KEY_FORBIDDEN');
  assert.equal((await api.client().req('GET', '/api/users', undefined, { authorization: `Bearer ${key}` })).status, 200, 'other user routes accept keys');

  const events = (await api.store.audit.query({ actorUserId: admin.id }, { limit: 100 })).items;
  const revoke = events.find((e) => e.action === 'admin_sessions_revoke');
  assert.deepEqual(revoke?.target, { type: 'user', id: plain.id });
  assert.equal(revoke.details.sessionsRevoked, 2);
  assert.ok(events.some((e) => e.action === 'admin_user_update' && e.target?.id === other.id && e.details.systemRole === 'user'));
});
