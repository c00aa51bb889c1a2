// Single sign-on over HTTP against a real OpenID provider (oidc-provider on loopback): the whole
// authorization-code flow with PKCE, state and nonce, accounts created or linked, groups and the
// admin role following the provider at every sign-in, and each way the flow must fail: a wrong or
// replayed state, another browser, a nonce or PKCE challenge changed on the way, an unverified
// email, a taken email, a disabled account, an ID token from an issuer other than the configured
// one, an unreachable provider. The provider and the API are real servers; only the browser is
// reduced to a cookie jar that follows redirects.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, ORIGIN, errorCode, startTestApi, type TestApi } from './helpers/api.ts';
import { FlowClient, startTestProvider, type TestProvider } from './helpers/oidc-provider.ts';

const CALLBACK = `${ORIGIN}/api/auth/oidc/callback`;

function ssoEnv(idp: TestProvider, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PLOTBOX_OIDC_ISSUER: idp.issuer,
    PLOTBOX_OIDC_CLIENT_ID: idp.clientId,
    PLOTBOX_OIDC_CLIENT_SECRET: idp.clientSecret,
    PLOTBOX_OIDC_NAME: 'Test IdP',
    PLOTBOX_OIDC_SCOPES: 'openid email profile groups',
    PLOTBOX_OIDC_GROUP_MAP: JSON.stringify({ 'idp-analysts': 'Analysts', 'idp-ops': ['Ops', 'Analysts'] }),
    PLOTBOX_OIDC_ADMIN_GROUPS: 'idp-admins',
    ...extra,
  };
}

interface Flow {
  readonly browser: FlowClient;
  /** The provider's redirect back to the API (on the test API's real address), not yet visited. */
  readonly callback: URL;
  /** The authorization request the API sent the browser to. */
  readonly authorization: URL;
}

/** Start at the API and sign in at the provider; stops before the callback. */
async function startFlow(api: TestApi, login: string, options: { browser?: FlowClient; next?: string; tamper?: (u: URL) => void } = {}): Promise<Flow> {
  const browser = options.browser ?? new FlowClient();
  const start = await browser.fetch(`${api.url}/api/auth/oidc/start${options.next === undefined ? '' : `?next=${encodeURIComponent(options.next)}`}`);
  assert.equal(start.status, 303);
  const authorization = new URL(start.headers.get('location') ?? '');
  options.tamper?.(authorization);
  const back = await browser.signInAtProvider(authorization, login, CALLBACK);
  return { browser, authorization, callback: new URL(`${back.pathname}${back.search}`, api.url) };
}

/** Visit the callback: where the API sends the browser next. */
async function finish(api: TestApi, flow: Flow, url: URL = flow.callback, browser: FlowClient = flow.browser): Promise<string> {
  // Audit events are ordered by time: each callback a second later than the one before.
  api.clock.advance(1000);
  const res = await browser.fetch(url);
  assert.equal(res.status, 303, `callback answered ${res.status}: ${await res.text()}`);
  return res.headers.get('location') ?? '';
}

/** A JSON client holding the session cookies the flow's browser got from the API. */
function sessionOf(api: TestApi, browser: FlowClient): Client {
  const c = new Client(api.url);
  for (const [name, value] of Object.entries(browser.cookies(api.url))) c.jar.set(name, { value, path: name.includes('refresh') ? '/api/auth/refresh' : '/' });
  return c;
}

async function signInBySso(api: TestApi, login: string, next?: string): Promise<{ client: Client; location: string }> {
  const flow = await startFlow(api, login, next === undefined ? {} : { next });
  const location = await finish(api, flow);
  return { client: sessionOf(api, flow.browser), location };
}

async function lastAudit(api: TestApi, action: string): Promise<{ details: Record<string, unknown>; target: { id: string | null } | null } | undefined> {
  const page = await api.store.audit.query({ action }, { limit: 500 });
  return page.items.at(-1) as never;
}

async function groupNames(api: TestApi, userId: string): Promise<string[]> {
  return (await api.store.groups.listForUser(userId)).map((g) => g.name).sort();
}

async function setup(t: TestContext, extra: Record<string, string> = {}): Promise<{ api: TestApi; idp: TestProvider }> {
  const idp = await startTestProvider(t, CALLBACK);
  const api = await startTestApi(t, { env: ssoEnv(idp, extra) });
  return { api, idp };
}

test('SSO: a first sign-in creates the account; groups and the admin role follow the provider at every sign-in', { timeout: 60_000 }, async (t) => {
  const { api, idp } = await setup(t);
  const options = await (await fetch(`${api.url}/api/auth/options`)).json();
  assert.deepEqual(options, { localLogin: true, sso: { name: 'Test IdP', startUrl: '/api/auth/oidc/start' } });

  idp.accounts.set('ada', { email: 'Ada@Example.com', email_verified: true, name: 'Ada Lovelace', groups: ['idp-analysts', 'unmapped'] });
  const first = await signInBySso(api, 'ada', '/#/projects');
  assert.equal(first.location, '/#/projects', 'back where the user started');
  const me = await first.client.req('GET', '/api/me');
  assert.equal(me.status, 200);
  const body = (await me.json()) as { user: { id: string; email: string; displayName: string; systemRole: string; hasPassword: boolean; passwordChangedAt: string | null } };
  assert.equal(body.user.email, 'Ada@Example.com');
  assert.equal(body.user.displayName, 'Ada Lovelace');
  assert.equal(body.user.systemRole, 'user');
  assert.equal(body.user.hasPassword, false);
  assert.equal(body.user.passwordChangedAt, null);
  const id = body.user.id;
  assert.deepEqual(await groupNames(api, id), ['Analysts'], 'the mapped group was created and joined; unmapped groups ignored');
  assert.equal((await lastAudit(api, 'login_success'))?.details.via, 'oidc');
  assert.equal((await lastAudit(api, 'sso_user_create'))?.target?.id, id);
  assert.deepEqual((await lastAudit(api, 'sso_group_sync'))?.details, { added: ['Analysts'], removed: [] });
  // The cookies are a normal session: refresh works, the session is listed.
  assert.equal((await first.client.req('POST', '/api/auth/refresh')).status, 200);
  assert.equal((await first.client.req('GET', '/api/me/sessions')).status, 200);

  // Groups changed at the provider: memberships of mapped groups follow; a group joined in Plotbox by hand stays.
  await api.store.groups.create({ name: 'Manual', memberIds: [id] });
  idp.accounts.set('ada', { email: 'Ada@Example.com', email_verified: true, name: 'Ada King', groups: ['idp-ops', 'idp-admins'] });
  const second = await signInBySso(api, 'ada');
  assert.equal(second.location, '/');
  const after = (await (await second.client.req('GET', '/api/me')).json()) as { user: { id: string; systemRole: string; displayName: string } };
  assert.equal(after.user.id, id, 'the same account, found by (issuer, subject)');
  assert.equal(after.user.systemRole, 'admin');
  assert.equal(after.user.displayName, 'Ada King');
  assert.deepEqual(await groupNames(api, id), ['Analysts', 'Manual', 'Ops']);
  assert.deepEqual((await lastAudit(api, 'sso_role_sync'))?.details, { from: 'user', to: 'admin' });

  idp.accounts.set('ada', { email: 'Ada@Example.com', email_verified: true, name: 'Ada King', groups: [] });
  const third = await signInBySso(api, 'ada');
  const demoted = (await (await third.client.req('GET', '/api/me')).json()) as { user: { systemRole: string } };
  assert.equal(demoted.user.systemRole, 'user', 'left the admin group: back to the default role');
  assert.deepEqual(await groupNames(api, id), ['Manual'], 'removed at the provider: removed here; the hand-made membership stays');
  assert.deepEqual((await lastAudit(api, 'sso_group_sync'))?.details, { added: [], removed: ['Analysts', 'Ops'] });
  assert.ok((await api.store.groups.findByName('Manual'))?.memberIds.includes(id));

  // No Plotbox password: password sign-in, password change and Plotbox's TOTP do not apply.
  const local = new Client(api.url);
  assert.equal((await local.login('Ada@Example.com', 'anything at all here')).status, 401);
  assert.equal(await errorCode(await third.client.req('POST', '/api/me/password', { currentPassword: '!no-local-password', newPassword: 'a brand new passphrase' })), 'AUTH_SSO_ONLY');
  assert.equal(await errorCode(await third.client.req('POST', '/api/me/2fa/enrol', {})), 'AUTH_SSO_ONLY');

  // `next` must stay on this site.
  for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/%0d%0aSet-Cookie:x=1', 'javascript:alert(1)']) {
    const r = await signInBySso(api, 'ada', evil);
    assert.ok(r.location === '/' || (r.location.startsWith('/') && !r.location.startsWith('//') && !/[\r\n\\]/u.test(r.location)), `${evil} → ${r.location}`);
    assert.equal(new URL(r.location, ORIGIN).origin, ORIGIN);
  }
});

test('SSO: the state is single use, bound to the browser, and the nonce and PKCE verifier are checked', { timeout: 60_000 }, async (t) => {
  const { api, idp } = await setup(t);
  idp.accounts.set('bob', { email: 'bob@example.com', email_verified: true, name: 'Bob', groups: [] });
  const failures = async (): Promise<string[]> => (await api.store.audit.query({ action: 'login_failure' }, { limit: 500 })).items.map((e) => String(e.details.reason));

  // A state nobody issued.
  const flow = await startFlow(api, 'bob');
  const forged = new URL(flow.callback);
  forged.searchParams.set('state', 'Aforgedstatevaluethatnobodyissued');
  assert.equal(await finish(api, flow, forged), '/#/login?sso_error=AUTH_SSO_FAILED');
  // No state at all, and junk.
  const noState = new URL(flow.callback);
  noState.searchParams.delete('state');
  assert.equal(await finish(api, flow, noState), '/#/login?sso_error=AUTH_SSO_FAILED');
  // The genuine callback still works once...
  assert.equal(await finish(api, flow), '/');
  assert.equal((await sessionOf(api, flow.browser).req('GET', '/api/me')).status, 200);
  // ...and never again (replay), even in the same browser.
  const replayer = new FlowClient();
  assert.equal(await finish(api, flow, flow.callback, replayer), '/#/login?sso_error=AUTH_SSO_FAILED');
  assert.equal(await finish(api, flow), '/#/login?sso_error=AUTH_SSO_FAILED');
  assert.deepEqual((await failures()).slice(-4), ['state_unknown', 'state_invalid', 'state_unknown', 'state_unknown']);

  // A callback URL carried to another browser (login CSRF): refused, and the state is spent.
  const carried = await startFlow(api, 'bob');
  const victim = new FlowClient();
  assert.equal(await finish(api, carried, carried.callback, victim), '/#/login?sso_error=AUTH_SSO_FAILED');
  assert.equal((await sessionOf(api, victim).req('GET', '/api/me')).status, 401);
  assert.equal((await failures()).at(-1), 'browser_mismatch');
  assert.equal(await finish(api, carried), '/#/login?sso_error=AUTH_SSO_FAILED', 'the state was used up by the refused attempt');

  // The nonce changed on the way to the provider: the ID token carries another one.
  const nonce = await startFlow(api, 'bob', { tamper: (u) => u.searchParams.set('nonce', 'a-nonce-the-api-never-issued') });
  assert.equal(await finish(api, nonce), '/#/login?sso_error=AUTH_SSO_FAILED');
  const nonceEvent = await lastAudit(api, 'login_failure');
  assert.equal(nonceEvent?.details.reason, 'response_invalid');
  assert.equal(nonceEvent?.details.check, 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'the ID token claim (nonce) comparison');

  // The PKCE challenge changed on the way: the provider refuses the code for our verifier.
  const pkce = await startFlow(api, 'bob', { tamper: (u) => u.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM') });
  assert.equal(await finish(api, pkce), '/#/login?sso_error=AUTH_SSO_FAILED');
  assert.deepEqual(
    (await lastAudit(api, 'login_failure'))?.details,
    { via: 'oidc', reason: 'response_invalid', check: 'OAUTH_RESPONSE_BODY_ERROR' },
    'the token endpoint refused the code (invalid_grant)',
  );

  // The request the API sends: code flow, S256, state and nonce, the registered redirect URI.
  const p = flow.authorization.searchParams;
  assert.equal(p.get('response_type'), 'code');
  assert.equal(p.get('code_challenge_method'), 'S256');
  assert.equal(p.get('redirect_uri'), CALLBACK);
  assert.ok((p.get('state') ?? '').length >= 32 && (p.get('nonce') ?? '').length >= 32);
  assert.equal(p.get('scope'), 'openid email profile groups');

  // The user cancels at the provider.
  const cancel = await startFlow(api, 'bob');
  const denied = new URL(cancel.callback);
  for (const k of ['code', 'iss']) denied.searchParams.delete(k);
  denied.searchParams.set('error', 'access_denied');
  assert.equal(await finish(api, cancel, denied), '/#/login?sso_error=AUTH_SSO_FAILED');
  assert.deepEqual((await lastAudit(api, 'login_failure'))?.details, { via: 'oidc', reason: 'provider_error', providerError: 'access_denied' });
  // The binding cookie is scoped to the callback and HttpOnly.
  const start = await new FlowClient().fetch(`${api.url}/api/auth/oidc/start`);
  assert.match(start.headers.getSetCookie().join('\n'), /plotbox_sso=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/api\/auth\/oidc\/callback; HttpOnly; SameSite=Lax/u);
});

test('SSO: unverified or taken emails and disabled accounts are refused, nothing is created', { timeout: 60_000 }, async (t) => {
  const { api, idp } = await setup(t);
  const before = await api.store.users.count();
  idp.accounts.set('unverified', { email: 'eve@example.com', email_verified: false, name: 'Eve' });
  idp.accounts.set('stringly', { email: 'mallory@example.com', email_verified: 'true', name: 'Mallory' });
  idp.accounts.set('noemail', { name: 'Nobody' });
  for (const login of ['unverified', 'stringly', 'noemail']) {
    assert.equal((await signInBySso(api, login)).location, '/#/login?sso_error=AUTH_SSO_EMAIL_UNVERIFIED', login);
  }
  assert.equal(await api.store.users.count(), before);
  assert.equal((await lastAudit(api, 'login_failure'))?.details.reason, 'email_missing');

  // A local account with the same email is not taken over (linking by email is off by default).
  const local = await api.createUser({ email: 'carol@example.com' });
  idp.accounts.set('carol', { email: 'CAROL@example.com', email_verified: true, name: 'Carol' });
  const taken = await signInBySso(api, 'carol');
  assert.equal(taken.location, '/#/login?sso_error=AUTH_SSO_EMAIL_TAKEN');
  assert.deepEqual(await api.store.users.listIdentities(local.user.id), []);
  assert.equal((await taken.client.req('GET', '/api/me')).status, 401);

  // A disabled account (by an admin, or by the inactivity sweep) cannot sign in through the provider either.
  idp.accounts.set('dan', { email: 'dan@example.com', email_verified: true, name: 'Dan' });
  await signInBySso(api, 'dan');
  const dan = await api.store.users.findByEmail('dan@example.com');
  assert.ok(dan !== null);
  await api.store.users.update(dan.id, dan.version, { disabled: true, disabledReason: 'inactive' });
  assert.equal((await signInBySso(api, 'dan')).location, '/#/login?sso_error=AUTH_ACCOUNT_DISABLED');
  assert.equal((await lastAudit(api, 'login_failure'))?.details.reason, 'disabled_inactive');
});

test('SSO: linking by verified email when configured; no account creation when turned off; password sign-in turned off; no password expiry', { timeout: 60_000 }, async (t) => {
  const { api, idp } = await setup(t, { PLOTBOX_OIDC_LINK_BY_EMAIL: 'true', PLOTBOX_OIDC_AUTO_CREATE: 'false', PLOTBOX_LOCAL_LOGIN: 'false', PLOTBOX_PASSWORD_MAX_AGE_DAYS: '30' });
  assert.deepEqual(await (await fetch(`${api.url}/api/auth/options`)).json(), { localLogin: false, sso: { name: 'Test IdP', startUrl: '/api/auth/oidc/start' } });
  const local = await api.createUser({ email: 'erin@example.com' });
  // Password sign-in is refused before any password is looked at.
  assert.equal(await errorCode(await new Client(api.url).login(local.email, local.password)), 'AUTH_LOCAL_LOGIN_DISABLED');

  idp.accounts.set('erin', { email: 'ERIN@example.com', email_verified: true, name: 'Erin' });
  // Erin's Plotbox password has long expired; signing in through the provider does not ask about it.
  api.clock.advance(40 * 86_400_000);
  const linked = await signInBySso(api, 'erin');
  assert.equal(linked.location, '/');
  const me = (await (await linked.client.req('GET', '/api/me')).json()) as { user: { id: string; hasPassword: boolean } };
  assert.equal(me.user.id, local.user.id, 'signed in to the existing account');
  assert.equal(me.user.hasPassword, true, 'a linked account keeps its password');
  assert.equal(((await (await linked.client.req('GET', '/api/me')).json()) as { passwordChangeRequired: boolean }).passwordChangeRequired, false);
  assert.equal((await linked.client.req('GET', '/api/projects')).status, 200, 'single sign-on is exempt from password expiry');
  assert.equal((await lastAudit(api, 'sso_link'))?.target?.id, local.user.id);
  assert.equal((await api.store.users.listIdentities(local.user.id)).length, 1);

  idp.accounts.set('frank', { email: 'frank@example.com', email_verified: true, name: 'Frank' });
  assert.equal((await signInBySso(api, 'frank')).location, '/#/login?sso_error=AUTH_SSO_NO_ACCOUNT');
  assert.equal(await api.store.users.findByEmail('frank@example.com'), null);
});

test('SSO: an ID token from another issuer than the configured one is refused; an unreachable provider is reported', { timeout: 60_000 }, async (t) => {
  // The configured issuer P publishes discovery metadata whose endpoints belong to a second, real
  // provider B: B signs its tokens with its own (published) keys, but as issuer B, not P.
  const b = await startTestProvider(t, CALLBACK);
  const bMeta = (await (await fetch(`${b.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  const p = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      const issuer = `http://127.0.0.1:${(p.address() as AddressInfo).port}`;
      // Without B's RFC 9207 `iss` support the mix-up is caught by the ID token's own `iss` check.
      const { authorization_response_iss_parameter_supported: _drop, ...rest } = bMeta;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ...rest, issuer }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => p.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => p.close(() => r())));
  const pIssuer = `http://127.0.0.1:${(p.address() as AddressInfo).port}`;
  const api = await startTestApi(t, { env: { ...ssoEnv(b), PLOTBOX_OIDC_ISSUER: pIssuer } });
  b.accounts.set('grace', { email: 'grace@example.com', email_verified: true, name: 'Grace' });

  // With B's `iss` in the authorization response: refused at once (mix-up defence).
  const withIss = await startFlow(api, 'grace');
  assert.equal(new URL(withIss.authorization).origin, b.issuer);
  assert.equal(withIss.callback.searchParams.get('iss'), b.issuer);
  assert.equal(await finish(api, withIss), '/#/login?sso_error=AUTH_SSO_FAILED');
  // Without it: the code is exchanged, and the ID token's `iss` is refused.
  const noIss = await startFlow(api, 'grace');
  const stripped = new URL(noIss.callback);
  stripped.searchParams.delete('iss');
  assert.equal(await finish(api, noIss, stripped), '/#/login?sso_error=AUTH_SSO_FAILED');
  const event = await lastAudit(api, 'login_failure');
  assert.equal(event?.details.reason, 'response_invalid');
  const checks = (await api.store.audit.query({ action: 'login_failure' }, { limit: 10 })).items.map((e) => e.details.check);
  assert.deepEqual(checks, ['OAUTH_INVALID_RESPONSE', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'], 'the authorization response’s iss, then the ID token’s iss');
  assert.equal(await api.store.users.findByEmail('grace@example.com'), null);
  assert.ok(!JSON.stringify(event).includes(b.clientSecret), 'no secret in the audit');
  assert.ok(!api.logs.join('').includes(b.clientSecret), 'no secret in the logs');

  // A provider that does not answer: the start says so, the API stays up.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const deadIssuer = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
  const down = await startTestApi(t, { env: { ...ssoEnv(b), PLOTBOX_OIDC_ISSUER: deadIssuer } });
  const res = await new FlowClient().fetch(`${down.url}/api/auth/oidc/start`);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/#/login?sso_error=AUTH_SSO_UNAVAILABLE');
  assert.equal((await fetch(`${down.url}/api/health`)).status, 200);
  // Without single sign-on configured, its routes say so.
  const plain = await startTestApi(t);
  assert.deepEqual(await (await fetch(`${plain.url}/api/auth/options`)).json(), { localLogin: true, sso: null });
  assert.equal(await errorCode(await fetch(`${plain.url}/api/auth/oidc/start`)), 'AUTH_SSO_NOT_CONFIGURED');
});
