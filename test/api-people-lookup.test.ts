// The project people finder (issue 12, item 2): `GET /api/projects/:projectId/people?q=` for the
// project's owners (and admins). An email typed in full matches exactly; otherwise a prefix of at
// least 2 characters of an email, a word of a name or a group name, at most 10 of each; only id,
// name and email come back (no roles, no disabled flags: disabled users are left out); wildcards
// and operators are literal or refused; editors get 403 and outsiders 404; lookups that reveal
// users are audited with the ids revealed, never the query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type Client } from './helpers/api.ts';

async function body<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 400));
  return JSON.parse(text) as T;
}

interface People {
  users: { id: string; displayName: string; email: string }[];
  groups: { id: string; name: string; members: number }[];
}

test('people finder: prefixes of emails, name words and group names; exact emails; bounded; literal; owners only; audited', async (t) => {
  const api = await startTestApi(t);
  const owner = await api.createUser({ displayName: 'Olive Owner' });
  const editor = await api.createUser({ displayName: 'Ed Editor' });
  const outsider = await api.createUser({ displayName: 'Otto Outsider' });
  const ada = await api.createUser({ email: 'ada@example.com', displayName: 'Ada Lovelace' });
  await api.createUser({ email: 'grace@navy.example', displayName: 'Grace Hopper' });
  const disabled = await api.createUser({ email: 'gone@example.com', displayName: 'Ada Gone' });
  await api.store.users.update(disabled.user.id, disabled.user.version, { disabled: true });
  for (let i = 1; i <= 12; i++) await api.createUser({ email: `zed${String(i).padStart(2, '0')}@example.com`, displayName: `Zed ${i}` });
  await api.store.groups.create({ name: 'Data engineers', memberIds: [ada.user.id] });
  await api.store.groups.create({ name: 'Finance', memberIds: [] });

  const login = async (u: { email: string; password: string }): Promise<Client> => {
    const c = api.client();
    assert.equal((await c.login(u.email, u.password)).status, 200);
    return c;
  };
  const o = await login(owner);
  const { project } = await body<{ project: { id: string } }>(await o.req('POST', '/api/projects', { name: 'Finder' }), 201);
  const P = `/api/projects/${project.id}`;
  await body(await o.req('PUT', `${P}/members/user/${editor.user.id}`, { role: 'editor' }), 200);
  const find = async (c: Client, q: string, status = 200): Promise<People> => body<People>(await c.req('GET', `${P}/people?q=${encodeURIComponent(q)}`), status);

  // A later word of a name, an email prefix, a group's name.
  const love = await find(o, 'love');
  assert.deepEqual(love.users, [{ id: ada.user.id, displayName: 'Ada Lovelace', email: 'ada@example.com' }], 'id, name and email only');
  assert.deepEqual(love.groups, []);
  assert.deepEqual(
    (await find(o, 'gra')).users.map((u) => u.displayName),
    ['Grace Hopper'],
  );
  assert.deepEqual((await find(o, 'ENG')).groups, [{ id: (await api.store.groups.findByName('Data engineers'))?.id, name: 'Data engineers', members: 1 }]);
  // Disabled users are left out, found by prefix or by exact email.
  assert.deepEqual(
    (await find(o, 'ada')).users.map((u) => u.displayName),
    ['Ada Lovelace'],
  );
  assert.deepEqual((await find(o, 'gone@example.com')).users, []);
  // An exact email, case-insensitively; an email typed in full is never a prefix.
  assert.deepEqual(
    (await find(o, 'Ada@Example.com')).users.map((u) => u.id),
    [ada.user.id],
  );
  assert.deepEqual((await find(o, 'ada@example.co')).users, [], 'a full-looking email matches exactly');
  // At most 10 of a kind.
  assert.equal((await find(o, 'zed')).users.length, 10);
  // Too short, too long, wildcards and operators.
  await find(o, 'a', 400);
  await find(o, ' a ', 400);
  await find(o, 'x'.repeat(101), 400);
  assert.deepEqual((await find(o, '__')).users, [], 'LIKE wildcards are literal');
  assert.deepEqual((await find(o, '%a')).users, []);
  assert.deepEqual((await find(o, '.*')).users, [], 'regular expression syntax is literal');
  assert.equal((await o.req('GET', `${P}/people?q[$ne]=x`)).status, 400, 'an operator object is refused');
  assert.equal((await o.req('GET', `${P}/people`)).status, 400);
  assert.equal((await o.req('GET', `${P}/people?q=ada&extra=1`)).status, 400);

  // Editors may not look people up (403); strangers do not learn the project exists (404).
  const e = await login(editor);
  assert.equal((await e.req('GET', `${P}/people?q=ada`)).status, 403);
  const x = await login(outsider);
  assert.equal((await x.req('GET', `${P}/people?q=ada`)).status, 404);
  // An admin acts as owner.
  const admin = await api.createUser({ role: 'admin' });
  const a = await login(admin);
  assert.deepEqual(
    (await find(a, 'love')).users.map((u) => u.id),
    [ada.user.id],
  );

  // Audited when it reveals users: who asked, the ids revealed, never the query.
  const events = (await api.store.audit.query({ action: 'people_lookup' }, { limit: 50 })).items;
  assert.ok(events.length >= 5);
  // (The test clock stands still, so events are told apart by content, not order.)
  const first = events.find((ev) => ev.actor.userId === owner.user.id && ev.details.users === ada.user.id);
  assert.ok(first !== undefined, 'the owner’s lookup of Ada is recorded');
  assert.deepEqual(first.target, { type: 'project', id: project.id });
  assert.ok(!JSON.stringify(events).includes('love'), 'the query is not recorded');
  const revealedNothing = events.filter((ev) => ev.details.users === '');
  assert.deepEqual(revealedNothing, [], 'lookups that reveal nobody are not audited');
});
