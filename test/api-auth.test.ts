// Sign-in, cookies, lockout, refresh and sessions, driven over HTTP against createApp(deps)
// in-process (real SQLite file, real RS256 cookies, injected clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorCode, startTestApi } from './helpers/api.ts';

const MIN = 60_000;

test('login sets HttpOnly SameSite cookies (refresh scoped to its route), no tokens in the body; /api/me works', async (t) => {
  const api = await startTestApi(t);
  const { email, password, user } = await api.createUser();
  const c = api.client();
  const res = await c.login(email, password);
  assert.equal(res.status, 200);
  const text = await res.text();
  const access = c.cookie('plotbox_access');
  const refresh = c.cookie('plotbox_refresh');
  assert.ok(access && refresh);
  assert.ok(!text.includes(access) && !text.includes(refresh), 'tokens never in bodies');
  const [ac, rc] = [c.lastSetCookie.find((s) => s.startsWith('plotbox_access=')), c.lastSetCookie.find((s) => s.startsWith('plotbox_refresh='))];
  assert.match(ac ?? '', /HttpOnly/);
  assert.match(ac ?? '', /SameSite=Lax/);
  assert.match(ac ?? '', /Path=\/(;|$)/);
  assert.doesNotMatch(ac ?? '', /Secure/, 'http public URL: not Secure');
  assert.match(rc ?? '', /HttpOnly/);
  assert.match(rc ?? '', /Path=\/api\/auth\/refresh/);
  const me = await c.req('GET', '/api/me');
  assert.equal(me.status, 200);
  const body = (await me.json()) as { user: Record<string, unknown> };
  assert.equal(body.user.id, user.id);
  assert.equal(body.user.passwordHash, undefined);
  // the access token is RS256 with the claims SPEC §4 names
  const [h, p] = access
    .split('.')
    .slice(0, 2)
    .map((s) => JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>);
  assert.equal(h?.alg, 'RS256');
  assert.equal(h?.kid, api.keySet.activeKid);
  for (const claim of ['iss', 'aud', 'sub', 'sid', 'iat', 'exp', 'jti']) assert.ok(p?.[claim] !== undefined, claim);
  assert.equal(p?.sub, user.id);
});

test('Secure cookies when the public URL is https, or behind a trusted TLS proxy', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_PUBLIC_URL: 'https://plotbox.example.com' } });
  const { email, password } = await api.createUser();
  const c = api.client();
  assert.equal((await c.req('POST', '/api/auth/login', { email, password }, { origin: 'https://plotbox.example.com' })).status, 200);
  assert.ok(c.lastSetCookie.every((s) => /; Secure/.test(s)));
  // Over https the names carry the browser-enforced prefixes (the refresh cookie keeps its path, so `__Secure-`).
  const access = c.lastSetCookie.find((s) => s.startsWith('__Host-plotbox_access='));
  const refresh = c.lastSetCookie.find((s) => s.startsWith('__Secure-plotbox_refresh='));
  assert.match(access ?? '', /; Path=\/(;|$)/);
  assert.doesNotMatch(access ?? '', /Domain=/i);
  assert.match(refresh ?? '', /; Path=\/api\/auth\/refresh/);
  assert.equal(c.lastSetCookie.length, 2);
  const me = await c.req('GET', '/api/me');
  assert.equal(me.status, 200, 'the prefixed access cookie authenticates');
  const refreshed = await c.req('POST', '/api/auth/refresh', {}, { origin: 'https://plotbox.example.com' });
  assert.equal(refreshed.status, 200, 'the prefixed refresh cookie refreshes');
  assert.equal(
    await errorCode(await api.client().req('GET', '/api/me', undefined, { cookie: `plotbox_access=${c.cookie('__Host-plotbox_access') ?? ''}` })),
    'AUTH_REQUIRED',
    'the unprefixed name is not read over https',
  );
  const proxied = await startTestApi(t, { env: { PLOTBOX_TRUST_PROXY_HOPS: '1' } });
  const u2 = await proxied.createUser();
  const c2 = proxied.client();
  assert.equal((await c2.login(u2.email, u2.password)).status, 200);
  assert.ok(c2.lastSetCookie.every((s) => !/; Secure/.test(s)));
  assert.equal((await c2.req('POST', '/api/auth/login', { email: u2.email, password: u2.password }, { 'x-forwarded-proto': 'https' })).status, 200);
  assert.ok(c2.lastSetCookie.every((s) => /; Secure/.test(s)));
});

test('failures for unknown user, wrong password, locked and disabled accounts look the same', async (t) => {
  const api = await startTestApi(t);
  const a = await api.createUser();
  const disabled = await api.createUser();
  await api.store.users.update(disabled.user.id, 1, { disabled: true });
  const locked = await api.createUser();
  const c = api.client();
  for (let i = 0; i < 5; i++) await c.login(locked.email, 'wrong password!');
  const attempts = [
    () => c.login('nobody@example.com', 'whatever123'),
    () => c.login(a.email, 'wrong password!'),
    () => c.login(locked.email, locked.password),
    () => c.login(disabled.email, disabled.password),
  ];
  const seen: string[] = [];
  const times: number[] = [];
  for (const attempt of attempts) {
    const t0 = performance.now();
    const res = await attempt();
    times.push(performance.now() - t0);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    const headers = [...res.headers.keys()]
      .filter((k) => k !== 'date' && k !== 'x-request-id' && k !== 'content-length')
      .sort()
      .join(',');
    seen.push(`${res.status}|${body.error.code}|${body.error.message}|${headers}|${res.headers.get('set-cookie') ?? ''}`);
  }
  assert.equal(new Set(seen).size, 1, seen.join('\n'));
  assert.match(seen[0] ?? '', /^401\|AUTH_INVALID_CREDENTIALS/);
  const events = await api.store.audit.query({ action: 'login_failure' }, { limit: 50 });
  const reasons = events.items.map((e) => e.details.reason);
  for (const r of ['unknown_user', 'wrong_password', 'locked', 'disabled']) assert.ok(reasons.includes(r), r);
  assert.ok(!JSON.stringify(events.items).includes('wrong password!'), 'no passwords in audit');
  assert.ok(Math.max(...times) < 1000, `times ${times.join(',')}`);
});

test('lockout: 5 consecutive failures lock the account for 15 min; success before that resets the count', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const c = api.client();
  for (let i = 0; i < 4; i++) assert.equal((await c.login(u.email, 'nope nope nope')).status, 401);
  assert.equal((await c.login(u.email, u.password)).status, 200, 'success resets');
  for (let i = 0; i < 4; i++) await c.login(u.email, 'nope nope nope');
  assert.equal((await c.login(u.email, u.password)).status, 200, 'only 4 since the reset');
  for (let i = 0; i < 5; i++) await c.login(u.email, 'nope nope nope');
  assert.equal((await c.login(u.email, u.password)).status, 401, 'locked: even the right password fails');
  const lockouts = await api.store.audit.query({ action: 'lockout' }, { limit: 10 });
  assert.equal(lockouts.items.length, 1);
  api.clock.advance(14 * MIN);
  assert.equal((await c.login(u.email, u.password)).status, 401);
  api.clock.advance(2 * MIN);
  assert.equal((await c.login(u.email, u.password)).status, 200, 'lock over after 15 min');
});

test('refresh rotates on every use; a reused refresh token revokes the session and is audited', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const c = api.client();
  await c.login(u.email, u.password);
  const r1 = c.cookie('plotbox_refresh');
  const a1 = c.cookie('plotbox_access');
  api.clock.advance(1000);
  const res = await c.req('POST', '/api/auth/refresh', {});
  assert.equal(res.status, 200);
  assert.ok(!(await res.text()).includes(c.cookie('plotbox_refresh') ?? 'x'));
  const r2 = c.cookie('plotbox_refresh');
  assert.notEqual(r2, r1);
  assert.notEqual(c.cookie('plotbox_access'), a1);
  // an attacker replays the old refresh token, later than any concurrent tab could
  api.clock.advance(21_000);
  const thief = api.client();
  thief.jar.set('plotbox_refresh', { value: r1 ?? '', path: '/api/auth/refresh' });
  const stolen = await thief.req('POST', '/api/auth/refresh', {});
  assert.equal(stolen.status, 401);
  assert.equal(await errorCode(stolen), 'AUTH_INVALID_REFRESH');
  // the whole session is gone: the legitimate user's access token and newest refresh token both fail
  assert.equal(await errorCode(await c.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
  const c2 = api.client();
  c2.jar.set('plotbox_refresh', { value: r2 ?? '', path: '/api/auth/refresh' });
  assert.equal((await c2.req('POST', '/api/auth/refresh', {})).status, 401);
  assert.equal((await api.store.audit.query({ action: 'refresh_reuse' }, { limit: 5 })).items.length, 1);
});

test('concurrent refreshes with one token (several tabs) keep the session; each gets an access token, only one a refresh token', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const c = api.client();
  await c.login(u.email, u.password);
  api.clock.advance(60_000);
  // Three tabs share the cookie jar and refresh at once with the same refresh token.
  const tabs = [0, 1, 2].map(() => {
    const tab = api.client();
    for (const [k, v] of c.jar) tab.jar.set(k, { ...v });
    return tab;
  });
  const answers = await Promise.all(tabs.map((tab) => tab.req('POST', '/api/auth/refresh', {})));
  assert.deepEqual(
    answers.map((r) => r.status),
    [200, 200, 200],
  );
  const withRefresh = tabs.filter((tab) => tab.lastSetCookie.some((sc) => sc.startsWith('plotbox_refresh=') && !sc.startsWith('plotbox_refresh=;')));
  assert.equal(withRefresh.length, 1, 'exactly one rotation');
  for (const tab of tabs) {
    assert.ok(
      tab.lastSetCookie.some((sc) => sc.startsWith('plotbox_access=')),
      'every tab gets an access token',
    );
    assert.ok(!tab.lastSetCookie.some((sc) => /^plotbox_refresh=;|Max-Age=0/u.test(sc)), 'no tab is signed out');
    assert.equal((await tab.req('GET', '/api/me')).status, 200);
  }
  // The session lives on through the successor; no reuse was recorded.
  const winner = withRefresh[0]!;
  api.clock.advance(30_000);
  assert.equal((await winner.req('POST', '/api/auth/refresh', {})).status, 200);
  assert.equal((await api.store.audit.query({ action: 'refresh_reuse' }, { limit: 5 })).items.length, 0);
  const concurrent = (await api.store.audit.query({ action: 'refresh' }, { limit: 10 })).items.filter((e) => (e.details as { concurrent?: boolean }).concurrent === true);
  assert.equal(concurrent.length, 2);
  // A loser replaying its (already used) token after the grace is a replay: the session ends.
  const loser = tabs.find((tab) => tab !== winner)!;
  assert.equal(await errorCode(await loser.req('POST', '/api/auth/refresh', {})), 'AUTH_INVALID_REFRESH');
  assert.equal(await errorCode(await winner.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
});

test('/api/me tells the web UI when its access token expires', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const c = api.client();
  const login = (await (await c.login(u.email, u.password)).json()) as { session: { accessExpiresAt: string } };
  const me = (await (await c.req('GET', '/api/me')).json()) as { auth: { kind: string; accessExpiresAt: string; absoluteExpiresAt: string } };
  assert.equal(me.auth.kind, 'session');
  assert.equal(me.auth.accessExpiresAt, login.session.accessExpiresAt);
  assert.ok(Date.parse(me.auth.absoluteExpiresAt) > Date.parse(me.auth.accessExpiresAt));
});

test('logout and password change revoke sessions on the next request', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const a = api.client();
  const b = api.client();
  await a.login(u.email, u.password);
  await b.login(u.email, u.password);
  const bAccess = b.cookie('plotbox_access') ?? '';
  assert.equal((await b.req('POST', '/api/auth/logout', {})).status, 204);
  assert.equal(b.cookie('plotbox_access'), undefined, 'cookies cleared');
  const replay = api.client();
  replay.jar.set('plotbox_access', { value: bAccess, path: '/' });
  assert.equal(await errorCode(await replay.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
  assert.equal((await a.req('GET', '/api/me')).status, 200, 'other session unaffected by logout');

  const c = api.client();
  await c.login(u.email, u.password);
  const wrong = await a.req('POST', '/api/me/password', { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' });
  assert.equal(await errorCode(wrong), 'AUTH_PASSWORD_INCORRECT');
  const weak = await a.req('POST', '/api/me/password', { currentPassword: u.password, newPassword: 'password1' });
  assert.equal(weak.status, 422);
  const ok = await a.req('POST', '/api/me/password', { currentPassword: u.password, newPassword: 'a brand new passphrase' });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { otherSessionsRevoked: 1 });
  assert.equal((await a.req('GET', '/api/me')).status, 200, 'the changing session stays');
  assert.equal(await errorCode(await c.req('GET', '/api/me')), 'AUTH_SESSION_ENDED', 'other sessions end');
  assert.equal((await c.req('POST', '/api/auth/refresh', {})).status, 401);
  assert.equal((await api.client().login(u.email, u.password)).status, 401);
  assert.equal((await api.client().login(u.email, 'a brand new passphrase')).status, 200);
});

test('idle timeout (refreshed by activity) and absolute timeout (never extended by refresh), on an injected clock', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_SESSION_IDLE_MIN: '10', PLOTBOX_ACCESS_TOKEN_TTL_SEC: '3600', PLOTBOX_SESSION_ABSOLUTE_HOURS: '2' } });
  const u = await api.createUser();
  const c = api.client();
  await c.login(u.email, u.password);
  for (let i = 0; i < 3; i++) {
    api.clock.advance(8 * MIN);
    assert.equal((await c.req('GET', '/api/me')).status, 200, `activity ${i} keeps it alive`);
  }
  api.clock.advance(11 * MIN);
  assert.equal(await errorCode(await c.req('GET', '/api/me')), 'AUTH_SESSION_ENDED', 'idle');
  assert.equal((await c.req('POST', '/api/auth/refresh', {})).status, 401);

  const d = api.client();
  await d.login(u.email, u.password);
  let refreshed = 0;
  for (let elapsed = 0; elapsed < 115 * MIN; elapsed += 9 * MIN) {
    api.clock.advance(9 * MIN);
    const r = await d.req('POST', '/api/auth/refresh', {});
    assert.equal(r.status, 200, `refresh at ${elapsed}`);
    refreshed++;
  }
  assert.ok(refreshed >= 12);
  api.clock.advance(9 * MIN); // past 2 h since login
  const lastAccess = d.cookie('plotbox_access') ?? '';
  assert.equal((await d.req('POST', '/api/auth/refresh', {})).status, 401, 'absolute lifetime not extended');
  assert.equal(await errorCode(await d.req('GET', '/api/me', undefined, { cookie: `plotbox_access=${lastAccess}` })), 'AUTH_SESSION_ENDED');
});

test('access token expiry says AUTH_TOKEN_EXPIRED; refresh gets a new one', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const c = api.client();
  await c.login(u.email, u.password);
  api.clock.advance(16 * MIN);
  const res = await c.req('GET', '/api/me', undefined, { cookie: `plotbox_access=${c.cookie('plotbox_access') ?? ''}` });
  assert.equal(await errorCode(res), 'AUTH_TOKEN_EXPIRED');
  assert.equal((await c.req('POST', '/api/auth/refresh', {})).status, 200);
  assert.equal((await c.req('GET', '/api/me')).status, 200);
  // logout with an expired (genuine) access token still ends the session
  api.clock.advance(16 * MIN);
  const sid = (JSON.parse(Buffer.from((c.cookie('plotbox_access') ?? '').split('.')[1] ?? '', 'base64url').toString()) as { sid: string }).sid;
  await c.req('POST', '/api/auth/logout', {}, { cookie: `plotbox_access=${c.cookie('plotbox_access') ?? ''}` });
  assert.notEqual((await api.store.sessions.findById(sid))?.revokedAt, null);
});

test('sign out everywhere: every session ends, or every other one with keepCurrent; audited', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const [a, b, c] = [api.client(), api.client(), api.client()];
  for (const x of [a, b, c]) assert.equal((await x.login(u.email, u.password)).status, 200);
  const others = await (await a.req('POST', '/api/me/sessions/revoke-all', { keepCurrent: true })).json();
  assert.deepEqual(others, { revoked: 2 });
  assert.equal((await a.req('GET', '/api/me')).status, 200, 'kept');
  assert.equal(await errorCode(await b.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
  assert.equal((await c.req('POST', '/api/auth/refresh', {})).status, 401, 'refresh tokens end with their sessions');
  const d = api.client();
  await d.login(u.email, u.password);
  const all = await a.req('POST', '/api/me/sessions/revoke-all', {});
  assert.deepEqual(await all.json(), { revoked: 2 });
  assert.ok(
    a.lastSetCookie.some((sc) => /^plotbox_access=;/u.test(sc)),
    'this browser is signed out too',
  );
  assert.equal(await errorCode(await d.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
  assert.equal((await a.req('POST', '/api/me/sessions/revoke-all', { keepCurrent: 'yes' })).status, 401);
  const events = (await api.store.audit.query({ action: 'session_revoke_all' }, { limit: 5 })).items;
  assert.equal(events.length, 2);
  assert.deepEqual(events.map((e) => e.details.revoked).sort(), [2, 2]);
});

test('sessions: list own live sessions, revoke one; other users get 404', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const other = await api.createUser();
  const a = api.client();
  const b = api.client();
  await a.login(u.email, u.password);
  await b.login(u.email, u.password);
  const list = (await (await a.req('GET', '/api/me/sessions')).json()) as { items: { id: string; current: boolean }[] };
  assert.equal(list.items.length, 2);
  const bId = list.items.find((s) => !s.current)?.id ?? '';
  const o = api.client();
  await o.login(other.email, other.password);
  assert.equal((await o.req('DELETE', `/api/me/sessions/${bId}`)).status, 404);
  assert.equal((await a.req('DELETE', `/api/me/sessions/${bId}`)).status, 204);
  assert.equal(await errorCode(await b.req('GET', '/api/me')), 'AUTH_SESSION_ENDED');
});
