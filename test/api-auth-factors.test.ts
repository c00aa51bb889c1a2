// Two-factor authentication (TOTP, its sealed secrets, required enrolment) and API keys, driven
// over HTTP against createApp(deps) in-process (real SQLite file, real RS256 cookies, injected clock).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTotp } from '@plotbox/auth';
import { createLogger, loadSecretBox, resealStoredSecrets } from '@plotbox/api';
import { parseConfig } from '@plotbox/config';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCode, startTestApi } from './helpers/api.ts';

const MIN = 60_000;

test('TOTP: enrol, confirm (recovery codes once), login needs a code, replay refused, recovery code single use, disable', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser();
  const c = api.client();
  await c.login(u.email, u.password);
  const enrol = (await (await c.req('POST', '/api/me/2fa/enrol', {})).json()) as { secret: string; otpauthUri: string };
  assert.match(enrol.otpauthUri, /^otpauth:\/\/totp\/Plotbox:/);
  // Stored sealed (AES-256-GCM under the secrets key), never in clear.
  const sealed = (await api.store.users.findById(u.user.id))?.totp?.secret ?? '';
  assert.match(sealed, /^pbs1\./u);
  assert.ok(!sealed.includes(enrol.secret));
  const totp = createTotp({ issuer: 'Plotbox', now: () => api.clock.now().getTime() });
  assert.equal(await errorCode(await c.req('POST', '/api/me/2fa/confirm', { code: '000000' === totp.generate(enrol.secret) ? '111111' : '000000' })), 'AUTH_TOTP_INVALID');
  const confirm = await c.req('POST', '/api/me/2fa/confirm', { code: totp.generate(enrol.secret) });
  assert.equal(confirm.status, 200);
  const { recoveryCodes } = (await confirm.json()) as { recoveryCodes: string[] };
  assert.equal(recoveryCodes.length, 10);
  const stored = await api.store.users.findById(u.user.id);
  assert.ok(stored && !stored.recoveryCodeHashes.some((h) => recoveryCodes.includes(h)), 'stored hashed');
  assert.equal(await errorCode(await c.req('POST', '/api/me/2fa/enrol', {})), 'AUTH_TOTP_STATE');

  const d = api.client();
  assert.equal(await errorCode(await d.login(u.email, u.password)), 'AUTH_MFA_REQUIRED');
  assert.equal(d.cookie('plotbox_access'), undefined);
  // the code used to confirm cannot be replayed
  assert.equal(await errorCode(await d.login(u.email, u.password, { totpCode: totp.generate(enrol.secret) })), 'AUTH_INVALID_CREDENTIALS');
  api.clock.advance(30_000);
  const code = totp.generate(enrol.secret);
  assert.equal((await d.login(u.email, u.password, { totpCode: code })).status, 200);
  assert.equal(await errorCode(await api.client().login(u.email, u.password, { totpCode: code })), 'AUTH_INVALID_CREDENTIALS', 'replay');
  const rc = recoveryCodes[0] ?? '';
  assert.equal((await api.client().login(u.email, u.password, { recoveryCode: rc })).status, 200);
  assert.equal((await api.client().login(u.email, u.password, { recoveryCode: rc })).status, 401, 'recovery code works once');
  // TOTP failures count toward lockout (1 recovery failure since the last success, + 4)
  for (let i = 0; i < 4; i++) await api.client().login(u.email, u.password, { totpCode: '123456' === totp.generate(enrol.secret) ? '654321' : '123456' });
  api.clock.advance(30_000);
  assert.equal((await api.client().login(u.email, u.password, { totpCode: totp.generate(enrol.secret) })).status, 401, 'locked by TOTP failures');
  api.clock.advance(16 * MIN);
  assert.equal((await d.req('POST', '/api/auth/refresh', {})).status, 200);
  // Turning 2FA off takes both factors.
  assert.equal(await errorCode(await d.req('POST', '/api/me/2fa/disable', { password: 'wrong wrong wrong', code: totp.generate(enrol.secret) })), 'AUTH_PASSWORD_INCORRECT');
  assert.equal(await errorCode(await d.req('POST', '/api/me/2fa/disable', { password: u.password })), 'AUTH_TOTP_INVALID', 'the password alone is not enough');
  assert.equal((await d.req('POST', '/api/me/2fa/disable', { code: totp.generate(enrol.secret) })).status, 400, 'nor a code alone');
  assert.equal((await d.req('POST', '/api/me/2fa/disable', { password: u.password, code: '123456', recoveryCode: 'abc' })).status, 400, 'a code or a recovery code, not both');
  assert.equal(await errorCode(await d.req('POST', '/api/me/2fa/disable', { password: u.password, recoveryCode: rc })), 'AUTH_TOTP_INVALID', 'a used recovery code');
  api.clock.advance(30_000);
  assert.equal((await d.req('POST', '/api/me/2fa/disable', { password: u.password, code: totp.generate(enrol.secret) })).status, 204);
  assert.equal((await api.client().login(u.email, u.password)).status, 200, 'no code needed any more');
  const actions = (await api.store.audit.query({}, { limit: 500 })).items.map((e) => e.action);
  for (const a of ['totp_enrol_start', 'totp_enable', 'totp_disable', 'recovery_code_used']) assert.ok(actions.includes(a), a);
});

test('TOTP secrets: sealed under the secrets key; rotation reseals them; legacy clear ones get sealed; a retired key fails closed', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plotbox-secrets-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const k1 = { id: 'k1', key: randomBytes(32).toString('base64url') };
  const k2 = { id: 'k2', key: randomBytes(32).toString('base64url') };
  const ring = (active: string, ...keys: { id: string; key: string }[]): Record<string, string> => ({ PLOTBOX_SECRETS_KEY: JSON.stringify({ activeKeyId: active, keys }) });
  const first = await startTestApi(t, { dataDir, env: ring('k1', k1) });
  const u = await first.createUser();
  const legacy = await first.createUser();
  const c = first.client();
  await c.login(u.email, u.password);
  const { secret } = (await (await c.req('POST', '/api/me/2fa/enrol', {})).json()) as { secret: string };
  const totp = createTotp({ issuer: 'Plotbox', now: () => first.clock.now().getTime() });
  assert.equal((await c.req('POST', '/api/me/2fa/confirm', { code: totp.generate(secret) })).status, 200);
  assert.match((await first.store.users.findById(u.user.id))?.totp?.secret ?? '', /^pbs1\.k1\./u);
  // A secret stored in clear before sealing existed.
  const legacySecret = 'JBSWY3DPEHPK3PXP';
  await first.store.users.update(legacy.user.id, legacy.user.version, { totp: { secret: legacySecret, enabled: true, lastUsedStep: null } });

  // Rotation, step 1: k2 joins the ring as the active key; the startup reseal moves everything to it.
  const logger = createLogger('silent');
  const box12 = loadSecretBox(parseConfig(ring('k2', k1, k2), () => '').secretsKey).box;
  assert.deepEqual(await resealStoredSecrets({ store: first.store, box: box12, logger }), { resealed: 2, unreadable: 0 });
  assert.deepEqual(await resealStoredSecrets({ store: first.store, box: box12, logger }), { resealed: 0, unreadable: 0 }, 'idempotent');
  for (const id of [u.user.id, legacy.user.id]) assert.match((await first.store.users.findById(id))?.totp?.secret ?? '', /^pbs1\.k2\./u);
  // Step 2: k1 retired; sign-in with a code still works on an API that knows only k2.
  const second = await startTestApi(t, { dataDir, env: ring('k2', k2) });
  second.clock.advance(60_000);
  const t2 = createTotp({ issuer: 'Plotbox', now: () => second.clock.now().getTime() });
  assert.equal((await second.client().login(u.email, u.password, { totpCode: t2.generate(secret) })).status, 200);
  assert.equal((await second.client().login(legacy.email, legacy.password, { totpCode: t2.generate(legacySecret) })).status, 200);
  // An API holding only the retired key cannot open them: sign-in with a code fails closed, no 5xx.
  const stale = await startTestApi(t, { dataDir, env: ring('k1', k1) });
  stale.clock.advance(120_000);
  const t3 = createTotp({ issuer: 'Plotbox', now: () => stale.clock.now().getTime() });
  assert.equal(await errorCode(await stale.client().login(u.email, u.password, { totpCode: t3.generate(secret) })), 'AUTH_INVALID_CREDENTIALS');
  assert.ok(stale.logs.join('').includes('cannot be opened'));
  assert.ok(!stale.logs.join('').includes(secret), 'never the secret in logs');
});

test('admins can be required to enrol in 2FA before doing anything else', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_REQUIRE_2FA_FOR_ADMINS: 'true' } });
  const admin = await api.createUser({ role: 'admin' });
  const c = api.client();
  const login = (await (await c.login(admin.email, admin.password)).json()) as { mfaEnrolmentRequired: boolean };
  assert.equal(login.mfaEnrolmentRequired, true);
  assert.equal(await errorCode(await c.req('GET', '/api/audit')), 'AUTH_MFA_ENROLMENT_REQUIRED');
  assert.equal((await c.req('GET', '/api/me')).status, 200);
  const { secret } = (await (await c.req('POST', '/api/me/2fa/enrol', {})).json()) as { secret: string };
  const totp = createTotp({ issuer: 'Plotbox', now: () => api.clock.now().getTime() });
  assert.equal((await c.req('POST', '/api/me/2fa/confirm', { code: totp.generate(secret) })).status, 200);
  assert.equal((await c.req('GET', '/api/audit')).status, 200);
});

test('API keys: shown once, hashed, named, expiring, revocable; current permissions; refused for account management', async (t) => {
  const api = await startTestApi(t);
  const u = await api.createUser({ role: 'admin' });
  const c = api.client();
  await c.login(u.email, u.password);
  const created = await c.req('POST', '/api/me/api-keys', { name: 'ci', expiresInDays: 30 });
  assert.equal(created.status, 201);
  const { key, apiKey } = (await created.json()) as { key: string; apiKey: { id: string; prefix: string; expiresAt: string } };
  assert.match(key, /^pbx_[0-9a-z]{10}_[A-Za-z0-9_-]{43}$/);
  assert.ok(key.startsWith(apiKey.prefix));
  const listed = await (await c.req('GET', '/api/me/api-keys')).text();
  assert.ok(!listed.includes(key) && listed.includes(apiKey.prefix), 'never shown again');
  const stored = await api.store.apiKeys.findById(apiKey.id);
  assert.ok(stored && !key.includes(stored.hash));

  const k = api.client();
  const bearer = { authorization: `Bearer ${key}` };
  const me = await k.req('GET', '/api/me', undefined, bearer);
  assert.equal(me.status, 200);
  assert.equal(((await me.json()) as { auth: { kind: string } }).auth.kind, 'api_key');
  assert.equal((await k.req('GET', '/api/audit', undefined, bearer)).status, 200, 'admin key acts as admin');
  // What a key does is audited under the key (id and name), not only its user.
  const made = await k.req('POST', '/api/projects', { name: 'Made by CI' }, bearer);
  assert.equal(made.status, 201);
  const [create] = (await api.store.audit.query({ action: 'project_create' }, { limit: 5 })).items;
  assert.deepEqual(create?.actor, { kind: 'api_key', userId: u.user.id, apiKey: { id: apiKey.id, name: 'ci' } });
  // account management refused (403) and audited; no CSRF header needed for keys
  for (const [m, p, b] of [
    ['POST', '/api/me/api-keys', { name: 'x' }],
    ['GET', '/api/me/api-keys', undefined],
    ['POST', '/api/me/password', { currentPassword: u.password, newPassword: 'another fine passphrase' }],
    ['POST', '/api/me/2fa/enrol', {}],
    ['GET', '/api/me/sessions', undefined],
    ['DELETE', `/api/me/api-keys/${apiKey.id}`, undefined],
  ] as const) {
    const r = await k.req(m, p, b, { ...bearer, 'x-requested-with': null });
    assert.equal(r.status, 403, `${m} ${p}`);
    assert.equal(await errorCode(r), 'ACCESS_API_KEY_FORBIDDEN');
  }
  assert.ok((await api.store.audit.query({ action: 'permission_denied' }, { limit: 50 })).items.length >= 6);
  // current permissions: demote the user, the key loses admin on the next request
  const fresh = await api.store.users.findById(u.user.id);
  await api.store.users.update(u.user.id, fresh?.version ?? 1, { systemRole: 'user' });
  assert.equal(await errorCode(await k.req('GET', '/api/audit', undefined, bearer)), 'ACCESS_FORBIDDEN');
  // expiry
  api.clock.advance(31 * 24 * 60 * MIN);
  assert.equal(await errorCode(await k.req('GET', '/api/me', undefined, bearer)), 'AUTH_INVALID_TOKEN');
  api.clock.advance(-31 * 24 * 60 * MIN);
  // revoke
  assert.equal((await c.req('DELETE', `/api/me/api-keys/${apiKey.id}`)).status, 204);
  assert.equal(await errorCode(await k.req('GET', '/api/me', undefined, bearer)), 'AUTH_INVALID_TOKEN');
  // tampered keys and JWTs in the bearer header are refused
  const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
  assert.equal((await k.req('GET', '/api/me', undefined, { authorization: `Bearer ${tampered}` })).status, 401);
  assert.equal((await k.req('GET', '/api/me', undefined, { authorization: `Bearer ${c.cookie('plotbox_access') ?? ''}` })).status, 401);
  const actions = (await api.store.audit.query({}, { limit: 500 })).items;
  assert.ok(actions.some((e) => e.action === 'api_key_create') && actions.some((e) => e.action === 'api_key_revoke'));
  assert.ok(!JSON.stringify(actions).includes(key.slice(15)), 'no key secret in audit');
});
