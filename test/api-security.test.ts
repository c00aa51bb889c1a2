// Hostile HTTP against createApp(deps): forged tokens, CSRF, operator injection in every field,
// oversized and malformed bodies, rate limits across replicas, headers, and secrets in logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { errorCode, startTestApi, testKeyPair, type Client, type TestApi } from './helpers/api.ts';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

function rs256(header: object, payload: object, privateKeyPem: string): string {
  const data = `${b64(header)}.${b64(payload)}`;
  return `${data}.${sign('sha256', Buffer.from(data), createPrivateKey(privateKeyPem)).toString('base64url')}`;
}

async function loggedIn(api: TestApi, role: 'admin' | 'user' = 'user'): Promise<{ c: Client; userId: string; password: string; email: string }> {
  const u = await api.createUser({ role });
  const c = api.client();
  assert.equal((await c.login(u.email, u.password)).status, 200);
  return { c, userId: u.user.id, password: u.password, email: u.email };
}

test('token forgery over HTTP: every forged, expired or malformed access token is a 401, never 5xx', async (t) => {
  const api = await startTestApi(t);
  const { c, userId } = await loggedIn(api);
  const real = c.cookie('plotbox_access') ?? '';
  const [, realPayloadB64] = real.split('.');
  const claims = JSON.parse(Buffer.from(realPayloadB64 ?? '', 'base64url').toString()) as Record<string, unknown>;
  const pair = testKeyPair();
  const kid = pair.kid;
  const now = Math.floor(api.clock.now().getTime() / 1000);
  const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const hs = (secret: string): string => {
    const data = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64(claims)}`;
    return `${data}.${createHmac('sha256', secret).update(data).digest('base64url')}`;
  };
  const cases: Record<string, string> = {
    'alg none': `${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims)}.`,
    'alg none with junk signature': `${b64({ alg: 'none', kid })}.${b64(claims)}.AAAA`,
    'HS256 keyed with the public key': hs(pair.publicKeyPem),
    'tampered payload': `${real.split('.')[0]}.${b64({ ...claims, sub: randomUUID() })}.${real.split('.')[2]}`,
    'foreign key, known kid': rs256({ alg: 'RS256', typ: 'JWT', kid }, claims, foreign),
    'wrong issuer': rs256({ alg: 'RS256', kid }, { ...claims, iss: 'https://evil.example' }, pair.privateKeyPem),
    'wrong audience': rs256({ alg: 'RS256', kid }, { ...claims, aud: 'other-service' }, pair.privateKeyPem),
    'no exp': rs256({ alg: 'RS256', kid }, { ...claims, exp: undefined }, pair.privateKeyPem),
    'unknown kid': rs256({ alg: 'RS256', kid: 'nope' }, claims, pair.privateKeyPem),
    'path kid': rs256({ alg: 'RS256', kid: '../../../../etc/passwd' }, claims, pair.privateKeyPem),
    '__proto__ kid': rs256({ alg: 'RS256', kid: '__proto__' }, claims, pair.privateKeyPem),
    'object kid': rs256({ alg: 'RS256', kid: { $ne: null } }, claims, pair.privateKeyPem),
    'huge kid': rs256({ alg: 'RS256', kid: 'k'.repeat(10_000) }, claims, pair.privateKeyPem),
    'embedded jwk': rs256({ alg: 'RS256', jwk: { kty: 'RSA' } }, claims, foreign),
    'session of nobody': rs256({ alg: 'RS256', kid }, { ...claims, sid: randomUUID() }, pair.privateKeyPem),
    'other user, same session': rs256({ alg: 'RS256', kid }, { ...claims, sub: randomUUID() }, pair.privateKeyPem),
    garbage: 'not.a.jwt',
    'empty segments': '..',
    binary: '\u0000\u0001',
    'very long': 'a'.repeat(7000),
  };
  for (const [name, token] of Object.entries(cases)) {
    const res = await c.req('GET', '/api/me', undefined, { cookie: `plotbox_access=${encodeURIComponent(token)}` });
    assert.equal(res.status, 401, name);
    assert.ok(['AUTH_INVALID_TOKEN', 'AUTH_REQUIRED'].includes(await errorCode(res)), name);
  }
  const expired = rs256({ alg: 'RS256', typ: 'JWT', kid }, { ...claims, iat: now - 3600, exp: now - 1800 }, pair.privateKeyPem);
  const res = await c.req('GET', '/api/me', undefined, { cookie: `plotbox_access=${expired}` });
  assert.equal(await errorCode(res), 'AUTH_TOKEN_EXPIRED');
  // the genuine one still works, and belongs to the user
  const ok = await c.req('GET', '/api/me');
  assert.equal(((await ok.json()) as { user: { id: string } }).user.id, userId);
});

test('JWKS publishes public keys only; health is minimal; ready checks the store, the blobs and the sandbox', async (t) => {
  const api = await startTestApi(t);
  const jwks = (await (await fetch(`${api.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0]?.kid, api.keySet.activeKid);
  assert.equal(jwks.keys[0]?.alg, 'RS256');
  for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(jwks.keys[0]?.[priv], undefined);
  assert.deepEqual(await (await fetch(`${api.url}/api/health`)).json(), { status: 'ok' });
  // This app's sandbox client points at a closed port: not ready, and it says which part is missing.
  const ready = await fetch(`${api.url}/api/ready`);
  assert.equal(ready.status, 503);
  assert.deepEqual(await ready.json(), { status: 'not_ready', checks: { store: 'ok', blobs: 'ok', sandbox: 'unavailable', storage: 'ok' }, reasons: ['the sandbox is not ready'] });
});

test('audit request ids cannot be forged: the event is filed under the server id, the client id is a bounded detail', async (t) => {
  const api = await startTestApi(t);
  const c = api.client();
  const res = await c.req('POST', '/api/auth/login', { email: 'ghost@example.com', password: 'not the password' }, { 'x-request-id': 'forged-id-of-another-event' });
  assert.equal(res.status, 401);
  const serverId = res.headers.get('x-request-id') ?? '';
  assert.match(serverId, /^[0-9a-f-]{36}$/);
  const [event] = (await api.store.audit.query({ action: 'login_failure' }, { limit: 5 })).items;
  assert.equal(event?.requestId, serverId);
  assert.equal(event?.details.clientRequestId, 'forged-id-of-another-event');
  // An unacceptable client id is dropped, not stored.
  await c.req('POST', '/api/auth/login', { email: 'ghost@example.com', password: 'not the password' }, { 'x-request-id': `x${'y'.repeat(100)}` });
  const events = (await api.store.audit.query({ action: 'login_failure' }, { limit: 5 })).items;
  assert.equal(events.filter((e) => 'clientRequestId' in e.details).length, 1);
});

test('security headers: strict CSP, no X-Powered-By, request ids, no-store, JSON 404', async (t) => {
  const api = await startTestApi(t);
  const res = await fetch(`${api.url}/api/health`, { headers: { 'x-request-id': 'trace-123' } });
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(res.headers.get('x-powered-by'), null);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  // Request ids are the server's own; the client's is not echoed as ours.
  assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const hostileId = await fetch(`${api.url}/api/health`, { headers: { 'x-request-id': 'a b<script>' } });
  assert.match(hostileId.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const nf = await fetch(`${api.url}/api/nope`);
  assert.equal(nf.status, 404);
  const body = (await nf.json()) as { error: { code: string; requestId: string } };
  assert.equal(body.error.code, 'API_NOT_FOUND');
  assert.ok(body.error.requestId.length > 0);
});

test('CSRF: state-changing cookie requests need JSON, X-Requested-With and our own Origin; API keys are exempt', async (t) => {
  const api = await startTestApi(t);
  const { c, email, password } = await loggedIn(api, 'admin');
  const post = (headers: Record<string, string | null>): Promise<Response> => c.req('POST', '/api/me/api-keys', { name: 'k' }, headers);
  assert.equal(await errorCode(await post({ 'x-requested-with': null })), 'ACCESS_CSRF');
  assert.equal(await errorCode(await post({ 'x-requested-with': 'XMLHttpRequest' })), 'ACCESS_CSRF');
  assert.equal(await errorCode(await post({ origin: 'https://evil.example' })), 'ACCESS_CSRF');
  assert.equal(await errorCode(await post({ origin: 'null' })), 'ACCESS_CSRF');
  assert.equal(await errorCode(await post({ 'sec-fetch-site': 'cross-site' })), 'ACCESS_CSRF');
  assert.equal(await errorCode(await post({ 'content-type': 'text/plain' })), 'VALIDATION_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(await errorCode(await post({ 'content-type': 'application/x-www-form-urlencoded' })), 'VALIDATION_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(await errorCode(await c.req('DELETE', '/api/me/sessions/x', undefined, { 'x-requested-with': null })), 'ACCESS_CSRF');
  assert.equal(await errorCode(await c.req('POST', '/api/auth/logout', {}, { 'x-requested-with': null })), 'ACCESS_CSRF');
  // login CSRF too
  assert.equal(await errorCode(await api.client().req('POST', '/api/auth/login', { email, password }, { 'x-requested-with': null })), 'ACCESS_CSRF');
  assert.equal((await post({ origin: api.config.publicOrigin })).status, 201, 'own origin is fine');
  const created = (await (await post({})).json()) as { key: string };
  const viaKey = await api
    .client()
    .req('POST', '/api/users', { email: 'k@example.com', displayName: 'K', password: 'created by a key!' }, { authorization: `Bearer ${created.key}`, 'x-requested-with': null });
  assert.equal(viaKey.status, 201, 'API-key requests need no CSRF header');
});

/** Every body field of every route, with operator objects and wrong types. */
test('operator objects and wrong types in every field of every body are a typed 400', async (t) => {
  const api = await startTestApi(t);
  const { c, password } = await loggedIn(api, 'admin');
  const bodies: [string, string, Record<string, unknown>][] = [
    ['POST', '/api/auth/login', { email: 'a@example.com', password: 'x', totpCode: '123456', recoveryCode: 'aaaa' }],
    ['POST', '/api/setup', { token: 't', email: 'a@example.com', displayName: 'A', password: 'x' }],
    ['POST', '/api/me/password', { currentPassword: password, newPassword: 'new passphrase here' }],
    ['POST', '/api/me/2fa/confirm', { code: '123456' }],
    ['POST', '/api/me/2fa/disable', { password, code: '123456' }],
    ['POST', '/api/me/2fa/disable', { password, recoveryCode: 'aaaa-bbbb' }],
    ['POST', '/api/me/api-keys', { name: 'n', expiresInDays: 3 }],
    ['POST', '/api/me/sessions/revoke-all', { keepCurrent: true }],
    ['POST', '/api/users', { email: 'b@example.com', displayName: 'B', password: 'a fine passphrase', systemRole: 'user' }],
    ['PATCH', `/api/users/${randomUUID()}`, { disabled: true, systemRole: 'user' }],
  ];
  const hostile: unknown[] = [{ $ne: null }, { $gt: '' }, { $regex: '.*' }, { $where: 'sleep(1000)' }, ['a'], null, 12, true, { toString: 'x' }];
  let checked = 0;
  for (const [method, path, valid] of bodies) {
    for (const field of Object.keys(valid)) {
      for (const value of hostile) {
        if (value === null && field === 'expiresInDays') continue; // null = "never expires", valid
        if (typeof value === typeof valid[field]) continue; // a number for a number field is no attack
        const res = await c.req(method, path, { ...valid, [field]: value });
        assert.equal(res.status, 400, `${method} ${path} ${field}=${JSON.stringify(value)}`);
        assert.equal(await errorCode(res), 'VALIDATION_FAILED');
        checked++;
      }
    }
    // unknown fields, __proto__ and operator keys at the top level
    for (const extra of ['{"$where":"1"}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}', '{"isAdmin":true}']) {
      const res = await c.req(method, path, `${JSON.stringify(valid).slice(0, -1)},${extra.slice(1)}`);
      assert.equal(res.status, 400, `${path} ${extra}`);
    }
  }
  assert.ok(checked > 150);
  // query strings too
  assert.equal((await c.req('GET', '/api/audit?type[$ne]=x')).status, 400);
  assert.equal((await c.req('GET', '/api/audit?actor[$ne]=')).status, 400);
});

test('hostile bodies: 2 MB, malformed JSON, non-object JSON, 1,000-character passwords, wrong charset → typed 4xx', async (t) => {
  const api = await startTestApi(t);
  const { c, email, password } = await loggedIn(api);
  const big = await c.req('POST', '/api/auth/login', JSON.stringify({ email, password: 'x'.repeat(2 * 1024 * 1024) }));
  assert.equal(big.status, 413);
  assert.equal(await errorCode(big), 'VALIDATION_PAYLOAD_TOO_LARGE');
  for (const raw of ['{"email": ', '{email: 1}', '"just a string"', '[1,2]', 'null', '{"a":1}}']) {
    const res = await c.req('POST', '/api/auth/login', raw);
    assert.equal(res.status, 400, raw);
    assert.ok(['VALIDATION_MALFORMED_JSON', 'VALIDATION_FAILED'].includes(await errorCode(res)), raw);
  }
  const long = 'Ω'.repeat(1000);
  assert.equal(await errorCode(await api.client().login(email, long)), 'AUTH_INVALID_CREDENTIALS');
  const change = await c.req('POST', '/api/me/password', { currentPassword: password, newPassword: long });
  assert.equal(change.status, 422);
  assert.equal(((await change.json()) as { error: { reason: string } }).error.reason, 'too_long');
  assert.equal((await c.req('POST', '/api/me/password', { currentPassword: password, newPassword: 'x'.repeat(5000) })).status, 400);
  assert.equal((await c.req('POST', '/api/auth/login', { email, password }, { 'content-type': 'application/json; charset=latin1' })).status, 415);
  const r = await c.req('POST', '/api/me/api-keys', { name: 'x'.repeat(101) });
  assert.equal(r.status, 400);
  const text = await (await c.req('POST', '/api/auth/login', '{"email": ')).text();
  assert.doesNotMatch(text, /at |\/work\/|SyntaxError|node_modules/u, 'no stacks or paths');
});

test('login rate limit per client IP (X-Forwarded-For only from trusted hops), shared by replicas through the store', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_LOGIN_RATE_LIMIT: '10' } });
  const replica = await startTestApi(t, { env: { PLOTBOX_LOGIN_RATE_LIMIT: '10' }, dataDir: api.dataDir });
  const attempt = (target: TestApi, xff?: string): Promise<Response> =>
    target.client().req('POST', '/api/auth/login', { email: 'x@example.com', password: 'whatever!' }, xff === undefined ? {} : { 'x-forwarded-for': xff });
  for (let i = 0; i < 5; i++) assert.equal((await attempt(api, `10.0.0.${i}`)).status, 401);
  for (let i = 0; i < 5; i++) assert.equal((await attempt(replica, `10.0.1.${i}`)).status, 401);
  const limited = await attempt(api, '10.9.9.9');
  assert.equal(limited.status, 429, 'X-Forwarded-For ignored without trusted hops; counters shared with the replica');
  assert.equal(await errorCode(limited), 'RATE_LIMITED');
  const retry = Number(limited.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  assert.equal((await attempt(replica)).status, 429);
  api.clock.advance(61_000);
  replica.clock.advance(61_000);
  assert.equal((await attempt(api)).status, 401, 'window over');

  const proxied = await startTestApi(t, { env: { PLOTBOX_LOGIN_RATE_LIMIT: '2', PLOTBOX_TRUST_PROXY_HOPS: '1' } });
  for (let i = 0; i < 2; i++) assert.equal((await attempt(proxied, '198.51.100.7')).status, 401);
  assert.equal((await attempt(proxied, '198.51.100.7')).status, 429);
  assert.equal((await attempt(proxied, '198.51.100.8')).status, 401, 'another client behind the proxy');
  assert.equal((await attempt(proxied, '203.0.113.1, 198.51.100.7')).status, 429, 'a spoofed leftmost entry does not escape: only the hop the proxy added counts');
});

test('API rate limit per principal: 429 with Retry-After', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_API_RATE_LIMIT: '5' } });
  const { c } = await loggedIn(api);
  const other = await loggedIn(api);
  for (let i = 0; i < 5; i++) assert.equal((await c.req('GET', '/api/me')).status, 200);
  const res = await c.req('GET', '/api/me');
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get('retry-after')) >= 1);
  assert.equal((await other.c.req('GET', '/api/me')).status, 200, 'per principal');
});

test('logs are structured JSON with request ids and carry no tokens, cookies, passwords or keys', async (t) => {
  const api = await startTestApi(t);
  const { c, password } = await loggedIn(api, 'admin');
  await c.req('POST', '/api/auth/refresh', {});
  const created = (await (await c.req('POST', '/api/me/api-keys', { name: 'log test' })).json()) as { key: string };
  await api.client().req('GET', '/api/me', undefined, { authorization: `Bearer ${created.key}` });
  await c.req('GET', '/api/nope');
  const secrets = [c.cookie('plotbox_access') ?? 'x', c.cookie('plotbox_refresh') ?? 'x', password, created.key, created.key.slice(15)];
  const all = api.logs.join('');
  for (const s of secrets) assert.ok(!all.includes(s), 'secret in logs');
  const lines = api.logs.map((l) => JSON.parse(l) as { req?: { id?: string }; msg?: string });
  assert.ok(lines.some((l) => typeof l.req?.id === 'string' && l.req.id.length > 0));
});

test('failed authentication is limited per client address: guessed keys and forged tokens get 429, even a right key then', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_AUTH_FAILURE_LIMIT: '5', PLOTBOX_AUTH_FAILURE_WINDOW_SEC: '120', PLOTBOX_TRUST_PROXY_HOPS: '1' } });
  const { c } = await loggedIn(api, 'user');
  const made = (await (await c.req('POST', '/api/me/api-keys', { name: 'real' })).json()) as { key: string };
  const from = (ip: string, bearer: string): Promise<Response> => api.client().req('GET', '/api/me', undefined, { authorization: `Bearer ${bearer}`, 'x-forwarded-for': ip });
  const guess = (i: number): string => `pbx_${'abcdefghij'}_${String(i).padStart(43, 'A')}`;
  for (let i = 0; i < 5; i++) assert.equal(await errorCode(await from('203.0.113.7', guess(i))), 'AUTH_INVALID_TOKEN', `guess ${i}`);
  const sixth = await from('203.0.113.7', guess(6));
  assert.equal(sixth.status, 429);
  assert.ok(Number(sixth.headers.get('retry-after')) > 0);
  assert.equal((await from('203.0.113.7', made.key)).status, 429, 'a right key learns nothing while the address is refused');
  // Forged cookies count the same; other addresses are not affected.
  assert.equal((await api.client().req('GET', '/api/me', undefined, { cookie: 'plotbox_access=not.a.jwt', 'x-forwarded-for': '203.0.113.7' })).status, 429);
  assert.equal((await from('198.51.100.9', made.key)).status, 200);
  assert.equal(await errorCode(await from('198.51.100.9', guess(99))), 'AUTH_INVALID_TOKEN');
  // No credential at all is not a failure (a signed-out browser asking /api/me).
  for (let i = 0; i < 10; i++) assert.equal((await api.client().req('GET', '/api/me', undefined, { 'x-forwarded-for': '192.0.2.1' })).status, 401);
  assert.equal((await from('192.0.2.1', made.key)).status, 200);
  // The window ends.
  api.clock.advance(121_000);
  assert.equal((await from('203.0.113.7', made.key)).status, 200);
  const throttled = (await api.store.audit.query({ action: 'auth_failure_throttle' }, { limit: 5 })).items;
  assert.equal(throttled.length, 1);
  assert.equal(throttled[0]?.ip, '203.0.113.7');
});

test('CSP violations are reported to us: logged with bounded fields, counted; capped, typed and rate limited', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_METRICS_TOKEN: 'm'.repeat(40), PLOTBOX_TRUST_PROXY_HOPS: '1' } });
  const page = await fetch(`${api.url}/`);
  assert.match(page.headers.get('content-security-policy') ?? '', /report-uri \/api\/csp-report;report-to csp/u);
  assert.equal(page.headers.get('reporting-endpoints'), 'csp="/api/csp-report"');
  const send = (type: string, body: string, ip = '203.0.113.50'): Promise<Response> =>
    fetch(`${api.url}/api/csp-report`, { method: 'POST', headers: { 'content-type': type, 'x-forwarded-for': ip }, body });
  // The legacy report-uri format, from a browser: no CSRF header, no JSON type, still accepted.
  const legacy = {
    'csp-report': {
      'document-uri': `${api.url}/#/dash?token=secret-in-query`,
      'violated-directive': 'script-src-elem',
      'effective-directive': 'script-src-elem',
      'blocked-uri': 'https://evil.example/x.js?k=v',
      'source-file': `${api.url}/app.js`,
      'line-number': 12,
    },
  };
  assert.equal((await send('application/csp-report', JSON.stringify(legacy))).status, 204);
  // The Reporting API format, a batch.
  const batch = [
    { type: 'csp-violation', url: `${api.url}/`, body: { documentURL: `${api.url}/`, effectiveDirective: 'style-src-attr', blockedURL: 'inline', lineNumber: 3 } },
    { type: 'deprecation', body: {} },
  ];
  assert.equal((await send('application/reports+json', JSON.stringify(batch))).status, 204);
  const logged = api.logs
    .join('')
    .split('\n')
    .filter((l) => l.includes('content security policy violation'));
  assert.equal(logged.length, 2);
  assert.ok(!logged.some((l) => l.includes('secret-in-query') || l.includes('k=v')), 'no query strings in logs');
  assert.ok(logged[0]?.includes('"blocked":"https://evil.example/x.js"'));
  const metrics = await (await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${'m'.repeat(40)}` } })).text();
  assert.match(metrics, /plotbox_api_csp_violations_total\{directive="script-src-elem"\} 1/u);
  assert.match(metrics, /plotbox_api_csp_violations_total\{directive="style-src-attr"\} 1/u);
  // Garbage is ignored, oversized is 413, other types 415.
  assert.equal((await send('application/csp-report', '{"csp-report": {"violated-directive": "<script>"}}')).status, 204);
  assert.equal((await send('application/csp-report', 'not json')).status, 204);
  assert.equal((await send('application/csp-report', JSON.stringify({ 'csp-report': { x: 'y'.repeat(20_000) } }))).status, 413);
  assert.equal(await errorCode(await send('text/plain', '{}')), 'VALIDATION_UNSUPPORTED_MEDIA_TYPE');
  // Rate limited per address (60 a minute).
  let last = 0;
  for (let i = 0; i < 61; i++) last = (await send('application/csp-report', '{}', '198.51.100.77')).status;
  assert.equal(last, 429);
  assert.equal((await send('application/csp-report', '{}', '198.51.100.78')).status, 204);
});
