// The audit API, admin user routes and one-time setup tokens, driven over HTTP against
// createApp(deps) in-process (real SQLite file, real RS256 cookies, injected clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSetupToken } from '@plotbox/api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORIGIN, errorCode, startTestApi } from './helpers/api.ts';

const MIN = 60_000;

test('GET /api/audit: admins only, filters and pagination', async (t) => {
  const api = await startTestApi(t);
  const admin = await api.createUser({ role: 'admin' });
  const u = await api.createUser();
  const a = api.client();
  await a.login(admin.email, admin.password);
  for (let i = 0; i < 3; i++) await api.client().login(u.email, 'bad bad bad bad');
  const uc = api.client();
  await uc.login(u.email, u.password);
  assert.equal(await errorCode(await uc.req('GET', '/api/audit')), 'ACCESS_FORBIDDEN');
  const page1 = (await (await a.req('GET', '/api/audit?type=login_failure&limit=2')).json()) as { items: { action: string }[]; nextCursor: string };
  assert.equal(page1.items.length, 2);
  assert.ok(page1.items.every((e) => e.action === 'login_failure'));
  const page2 = (await (await a.req('GET', `/api/audit?type=login_failure&limit=2&cursor=${encodeURIComponent(page1.nextCursor)}`)).json()) as { items: unknown[]; nextCursor: null };
  assert.equal(page2.items.length, 1);
  assert.equal(page2.nextCursor, null);
  const byActor = (await (await a.req('GET', `/api/audit?actor=${u.user.id}&type=login_success`)).json()) as { items: unknown[] };
  assert.equal(byActor.items.length, 1);
  const future = (await (await a.req('GET', '/api/audit?since=2030-01-01')).json()) as { items: unknown[] };
  assert.equal(future.items.length, 0);
  const until = (await (await a.req('GET', '/api/audit?until=2026-01-01')).json()) as { items: unknown[] };
  assert.equal(until.items.length, 0);
  assert.equal((await a.req('GET', '/api/audit?since=yesterday')).status, 400);
  assert.equal((await a.req('GET', '/api/audit?cursor=garbage')).status, 400);
  assert.equal((await a.req('GET', '/api/audit?type=a&type=b')).status, 400);
  assert.equal((await a.req('GET', '/api/audit?bogus=1')).status, 400);
});

test('admin user routes: create, disable (ends sessions next request), audited', async (t) => {
  const api = await startTestApi(t);
  const admin = await api.createUser({ role: 'admin' });
  const a = api.client();
  await a.login(admin.email, admin.password);
  const res = await a.req('POST', '/api/users', { email: 'new@example.com', displayName: 'New', password: 'a long enough passphrase' });
  assert.equal(res.status, 201);
  const { user } = (await res.json()) as { user: { id: string } };
  assert.equal(await errorCode(await a.req('POST', '/api/users', { email: 'NEW@example.com', displayName: 'Dup', password: 'a long enough passphrase' })), 'USER_EMAIL_TAKEN');
  const n = api.client();
  assert.equal((await n.login('new@example.com', 'a long enough passphrase')).status, 200);
  assert.equal((await a.req('PATCH', `/api/users/${user.id}`, { disabled: true })).status, 200);
  assert.equal(await errorCode(await n.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
  assert.equal((await a.req('PATCH', `/api/users/${admin.user.id}`, { disabled: true })).status, 403, 'no self-lockout');
  const events = (await api.store.audit.query({ actorUserId: admin.user.id }, { limit: 50 })).items.map((e) => e.action);
  assert.ok(events.includes('admin_user_create') && events.includes('admin_user_update'));
});

test('one-time setup token: creates the first admin once; wrong, expired or reused tokens refused', async (t) => {
  const { token, state } = createSetupToken(new Date(Date.parse('2026-03-01T10:00:00Z')), 60 * MIN);
  const api = await startTestApi(t, { setup: state });
  const c = api.client();
  const page = await c.req('GET', '/setup');
  assert.equal(page.status, 200);
  assert.ok(!(await page.text()).includes('<script>'), 'no inline script');
  const body = { token, email: 'root@example.com', displayName: 'Root', password: 'first admin passphrase' };
  assert.equal(await errorCode(await c.req('POST', '/api/setup', { ...body, token: `${token.slice(0, -2)}xx` })), 'AUTH_SETUP_INVALID');
  assert.equal((await c.req('POST', '/api/setup', { ...body, password: 'password' })).status, 422, 'policy; token not burnt');
  assert.equal((await c.req('POST', '/api/setup', body)).status, 201);
  assert.equal(await errorCode(await c.req('POST', '/api/setup', { ...body, email: 'second@example.com' })), 'AUTH_SETUP_INVALID');
  assert.equal((await c.login('root@example.com', 'first admin passphrase')).status, 200);
  const expired = createSetupToken(new Date(Date.parse('2026-03-01T10:00:00Z')), 60 * MIN);
  const api2 = await startTestApi(t, { setup: expired.state });
  api2.clock.advance(61 * MIN);
  assert.equal(await errorCode(await api2.client().req('POST', '/api/setup', { ...body, token: expired.token })), 'AUTH_SETUP_INVALID');
  assert.equal(ORIGIN, api.config.publicOrigin);
});

test('setup token: a link printed by one replica works on another sharing the store, once', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plotbox-setup-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { token, state } = createSetupToken(new Date(Date.parse('2026-03-01T10:00:00Z')), 60 * MIN);
  const printer = await startTestApi(t, { setup: state, dataDir });
  const other = await startTestApi(t, { dataDir });
  const body = { token, email: 'root@example.com', displayName: 'Root', password: 'first admin passphrase' };
  // The replica that did not print the link accepts it...
  assert.equal((await other.client().req('POST', '/api/setup', body)).status, 201);
  assert.equal(await printer.store.users.count({ systemRole: 'admin' }), 1);
  // ...and it is used up for every replica.
  assert.equal(await errorCode(await printer.client().req('POST', '/api/setup', { ...body, email: 'third@example.com' })), 'AUTH_SETUP_INVALID');
});
