// Identity settings of issue 11 over HTTP against the real app: the IP allowlist (through trusted
// proxies, IPv4-mapped addresses, probes exempt, refusals audited once a minute and counted),
// password expiry (a short session that may only change the password, then a normal one), and the
// inactivity sweep (disabled accounts say so to whoever knows the password; enabling restarts the
// clock; activity through refresh and API keys counts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createAudit, createLogger, sweepInactiveAccounts } from '@plotbox/api';
import { Client, errorCode, startTestApi } from './helpers/api.ts';

const DAY = 86_400_000;
const METRICS_TOKEN = 'm'.repeat(40);

async function json<T>(res: Response): Promise<T> {
  assert.ok(res.status < 300, `${res.status}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

test('IP allowlist: refuses addresses outside the ranges (as seen through trusted proxies); probes and metrics stay open', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_ALLOW_CIDRS: '10.0.0.0/8,2001:db8::/32', PLOTBOX_METRICS_TOKEN: METRICS_TOKEN } });
  // The test client is 127.0.0.1 and no proxy is trusted: every forwarded header is ignored.
  const refused = await fetch(`${api.url}/api/me`, { headers: { 'x-forwarded-for': '10.1.2.3' } });
  assert.equal(refused.status, 403);
  assert.equal(await errorCode(refused), 'ACCESS_IP_NOT_ALLOWED');
  assert.equal((await fetch(`${api.url}/`)).status, 403, 'the UI too');
  assert.equal(await errorCode(await new Client(api.url).login('a@example.com', 'whatever it is')), 'ACCESS_IP_NOT_ALLOWED', 'before any credential is looked at');
  assert.equal((await fetch(`${api.url}/api/health`)).status, 200);
  assert.notEqual((await fetch(`${api.url}/api/ready`)).status, 403);
  const metrics = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /plotbox_api_ip_refused_total 3/u);
  // Audited, once a minute per address.
  let events = (await api.store.audit.query({ action: 'ip_refused' }, { limit: 10 })).items;
  assert.equal(events.length, 1);
  assert.equal(events[0]?.ip, '127.0.0.1');
  assert.equal(events[0]?.outcome, 'denied');
  api.clock.advance(61_000);
  await fetch(`${api.url}/api/me`);
  events = (await api.store.audit.query({ action: 'ip_refused' }, { limit: 10 })).items;
  assert.equal(events.length, 2);
  assert.ok(
    api.logs.some((l) => l.includes('PLOTBOX_ALLOW_CIDRS')),
    'logged',
  );
});

test('IP allowlist behind one trusted proxy: the address the proxy saw decides, IPv4-mapped addresses as IPv4', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_ALLOW_CIDRS: '10.0.0.0/8,2001:db8::/32', PLOTBOX_TRUST_PROXY_HOPS: '1' } });
  const from = (xff: string): Promise<Response> => fetch(`${api.url}/api/me`, { headers: { 'x-forwarded-for': xff } });
  // Allowed addresses reach authentication (401: not signed in), refused ones do not.
  assert.equal((await from('10.1.2.3')).status, 401);
  assert.equal((await from('::ffff:10.9.8.7')).status, 401);
  assert.equal((await from('2001:db8::42')).status, 401);
  assert.equal((await from('11.1.2.3')).status, 403);
  assert.equal((await from('2001:db9::1')).status, 403);
  // A client cannot prepend an allowed address: only the hop the trusted proxy added counts.
  assert.equal((await from('10.1.2.3, 11.1.2.3')).status, 403);
  assert.equal((await from('11.1.2.3, 10.1.2.3')).status, 401);
  assert.equal((await fetch(`${api.url}/api/me`)).status, 403, 'no header: the proxy itself (127.0.0.1) is the client');
  assert.equal((await fetch(`${api.url}/api/health`, { headers: { 'x-forwarded-for': '11.1.2.3' } })).status, 200);
});

test('password expiry: the next sign-in gets a 15-minute session that may only change the password', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_PASSWORD_MAX_AGE_DAYS: '30' } });
  const { user, email, password } = await api.createUser();
  const fresh = await json<{ passwordChangeRequired: boolean }>(await new Client(api.url).login(email, password));
  assert.equal(fresh.passwordChangeRequired, false);

  api.clock.advance(31 * DAY);
  const c = new Client(api.url);
  const wrong = await c.login(email, 'not the password at all');
  assert.equal(await errorCode(wrong), 'AUTH_INVALID_CREDENTIALS', 'an expired password still has to be the right one');
  const login = await json<{ passwordChangeRequired: boolean; session: { absoluteExpiresAt: string } }>(await c.login(email, password));
  assert.equal(login.passwordChangeRequired, true);
  assert.equal(Date.parse(login.session.absoluteExpiresAt) - api.clock.now().getTime(), 15 * 60_000);
  const me = await json<{ passwordChangeRequired: boolean }>(await c.req('GET', '/api/me'));
  assert.equal(me.passwordChangeRequired, true);
  for (const [method, path, body] of [
    ['GET', '/api/projects', undefined],
    ['POST', '/api/projects', { name: 'Nope' }],
    ['GET', '/api/me/sessions', undefined],
    ['POST', '/api/me/api-keys', { name: 'k' }],
    ['POST', '/api/me/2fa/enrol', {}],
  ] as const) {
    assert.equal(await errorCode(await c.req(method, path, body)), 'AUTH_PASSWORD_EXPIRED', `${method} ${path}`);
  }
  assert.equal((await api.store.audit.query({ action: 'login_success' }, { limit: 10 })).items.at(-1)?.details.passwordExpired, true);
  // The same password again is not a change.
  const same = await c.req('POST', '/api/me/password', { currentPassword: password, newPassword: password });
  assert.equal(same.status, 422);
  assert.equal(((await same.json()) as { error: { reason: string } }).error.reason, 'reused');

  const restrictedCookie = c.cookie('plotbox_access');
  const changed = await json<{ session: { id: string } }>(await c.req('POST', '/api/me/password', { currentPassword: password, newPassword: 'a completely new passphrase' }));
  assert.ok(typeof changed.session.id === 'string', 'a new, normal session');
  assert.notEqual(c.cookie('plotbox_access'), restrictedCookie);
  assert.equal((await c.req('GET', '/api/projects')).status, 200);
  assert.equal((await json<{ passwordChangeRequired: boolean }>(await c.req('GET', '/api/me'))).passwordChangeRequired, false);
  const stale = new Client(api.url);
  stale.jar.set('plotbox_access', { value: restrictedCookie ?? '', path: '/' });
  assert.equal((await stale.req('GET', '/api/me')).status, 401, 'the restricted session ended');
  assert.equal((await api.store.users.findById(user.id))?.passwordChangedAt.getTime(), api.clock.now().getTime());
  assert.equal((await json<{ passwordChangeRequired: boolean }>(await new Client(api.url).login(email, 'a completely new passphrase'))).passwordChangeRequired, false);

  // The restricted session does not outlive its 15 minutes.
  api.clock.advance(31 * DAY);
  const late = new Client(api.url);
  await json(await late.login(email, 'a completely new passphrase'));
  api.clock.advance(16 * 60_000);
  assert.equal((await late.req('GET', '/api/me')).status, 401);
  assert.equal((await late.req('POST', '/api/auth/refresh')).status, 401);
});

test('inactive accounts: the sweep disables them; the password holder is told why; enabling restarts the clock; use counts', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_DISABLE_INACTIVE_DAYS: '30' } });
  const admin = await api.createUser({ role: 'admin' });
  const idle = await api.createUser();
  const refresher = await api.createUser();
  const scripted = await api.createUser();
  const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
  const sweep = () => sweepInactiveAccounts({ store: api.store, audit: createAudit(api.store, logger), logger, now: api.clock.now, replica: randomUUID() }, 30 * DAY);

  // A session kept alive by refreshing, and an API key in use, count as activity.
  const r = new Client(api.url);
  await json(await r.login(refresher.email, refresher.password));
  const s = new Client(api.url);
  await json(await s.login(scripted.email, scripted.password));
  const { key } = await json<{ key: string }>(await s.req('POST', '/api/me/api-keys', { name: 'ci' }));
  const a = new Client(api.url);
  await json(await a.login(admin.email, admin.password));
  for (let day = 0; day < 31; day++) {
    api.clock.advance(DAY);
    // Sessions live 60 idle minutes: sign in again each day (a sign-in is activity too), refresh once.
    await json(await r.login(refresher.email, refresher.password));
    assert.equal((await r.req('POST', '/api/auth/refresh')).status, 200);
    assert.equal((await fetch(`${api.url}/api/projects`, { headers: { authorization: `Bearer ${key}` } })).status, 200);
  }
  await json(await a.login(admin.email, admin.password));
  api.clock.advance(1000);
  const result = await sweep();
  assert.deepEqual(result?.disabled, [idle.user.id], 'only the account nobody used');

  // Sign-in answers as for any failure (SPEC §4), even with the right password; the audit says why.
  assert.equal(await errorCode(await new Client(api.url).login(idle.email, idle.password)), 'AUTH_INVALID_CREDENTIALS');
  assert.equal((await api.store.audit.query({ action: 'login_failure' }, { limit: 10 })).items.at(-1)?.details.reason, 'disabled_inactive');
  // Admins see it, distinctly.
  const users = await json<{ items: { id: string; disabled: boolean; disabledReason: string | null; lastActiveAt: string }[] }>(await a.req('GET', '/api/users?limit=100'));
  const row = users.items.find((u) => u.id === idle.user.id);
  assert.equal(row?.disabled, true);
  assert.equal(row?.disabledReason, 'inactive');
  assert.equal(row?.lastActiveAt, idle.user.createdAt.toISOString());
  assert.equal((await api.store.audit.query({ action: 'user_disabled_inactive' }, { limit: 10 })).items[0]?.target?.id, idle.user.id);

  // Enabled again by an admin: signs in, and the next sweep leaves the account alone.
  const enabled = await json<{ user: { disabled: boolean; disabledReason: string | null } }>(await a.req('PATCH', `/api/users/${idle.user.id}`, { disabled: false }));
  assert.deepEqual([enabled.user.disabled, enabled.user.disabledReason], [false, null]);
  assert.equal((await api.store.audit.query({ action: 'admin_user_update' }, { limit: 10 })).items.at(-1)?.details.wasDisabledFor, 'inactive');
  api.clock.advance(11 * 60_000);
  assert.deepEqual((await sweep())?.disabled, []);
  assert.equal((await new Client(api.url).login(idle.email, idle.password)).status, 200);
});
