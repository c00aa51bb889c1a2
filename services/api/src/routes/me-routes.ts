/**
 * The signed-in user's own account: profile, password, sessions, two-factor, API keys. Everything
 * but `GET /api/me` refuses API keys (SPEC §4: keys cannot manage keys, passwords, 2FA or sessions).
 */
import { Router, type RequestHandler } from 'express';
import { checkPasswordPolicy, generateRecoveryCodes, hasLocalPassword, hashRecoveryCode, newApiKey } from '@plotbox/auth';
import { isSessionLive, isStoreError, type ApiKey } from '@plotbox/store';
import { authenticate } from '../authenticate.ts';
import type { AppContext } from '../context.ts';
import { actorOf, authOf, publicUser, reqMeta } from '../context.ts';
import { clearAuthCookies } from '../cookies.ts';
import { ApiError } from '../errors.ts';
import { apiKeyCreateBody, emptyBody, idParam, parseWith, passwordChangeBody, revokeAllBody, totpConfirmBody, totpDisableBody } from '../schemas.ts';
import { openTotpSecret, sealTotpSecret } from '../secrets.ts';
import { UNREADABLE, isLocked, recordAccountFailure, sessionView, startSession } from './auth-routes.ts';

function apiKeyView(k: ApiKey): Record<string, unknown> {
  return {
    id: k.id,
    name: k.name,
    prefix: `pbx_${k.prefix}`,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

/** Routes under `/api/me`. `apiLimit` is the per-principal limiter, run after authentication. */
export function meRoutes(ctx: AppContext, apiLimit: RequestHandler): Router {
  const router = Router();
  const account = [authenticate(ctx, { apiKeys: false, restricted: true }), apiLimit];

  router.get('/api/me', authenticate(ctx, { restricted: true, passwordChange: true }), apiLimit, (_req, res) => {
    const auth = authOf(res);
    res.json({
      user: publicUser(auth.user),
      // The web UI schedules its refresh from accessExpiresAt (SPEC §4: shortly before expiry).
      auth:
        auth.kind === 'session'
          ? { kind: 'session', sessionId: auth.session.id, ...sessionView(auth.session.id, auth.accessExpiresAt, auth.session.absoluteExpiresAt, ctx.now().getTime()) }
          : { kind: 'api_key', apiKeyId: auth.apiKey.id },
      mfaEnrolmentRequired: auth.restricted,
      // Signed in with an expired password: only POST /api/me/password works until it is changed.
      passwordChangeRequired: auth.kind === 'session' && auth.session.passwordChangeRequired,
    });
  });

  router.post('/api/me/password', authenticate(ctx, { apiKeys: false, restricted: true, passwordChange: true }), apiLimit, async (req, res) => {
    const auth = authOf(res);
    if (auth.kind !== 'session') throw new ApiError('ACCESS_API_KEY_FORBIDDEN');
    const body = parseWith(passwordChangeBody, req.body ?? {});
    const { user } = auth;
    const meta = reqMeta(req);
    if (!hasLocalPassword(user.passwordHash)) throw new ApiError('AUTH_SSO_ONLY');
    const locked = await isLocked(ctx, user);
    const ok = (await ctx.hasher.verify(user.passwordHash, body.currentPassword)) && !locked;
    if (!ok) {
      if (!locked) await recordAccountFailure(ctx, req, user);
      await ctx.audit({ action: 'password_change', outcome: 'failure', actor: actorOf(auth), target: { type: 'user', id: user.id }, ...meta, details: { reason: locked ? 'locked' : 'wrong_password' } });
      throw new ApiError('AUTH_PASSWORD_INCORRECT');
    }
    const policy = checkPasswordPolicy(body.newPassword, { email: user.email, displayName: user.displayName });
    if (!policy.ok) throw new ApiError('AUTH_PASSWORD_POLICY', { details: { reason: policy.reason } });
    // The same password again would make expiry (and a change after a suspected leak) meaningless.
    if (await ctx.hasher.verify(user.passwordHash, policy.normalized)) throw new ApiError('AUTH_PASSWORD_POLICY', { message: 'The new password must differ from the current one.', details: { reason: 'reused' } });
    await ctx.store.users.update(user.id, user.version, { passwordHash: await ctx.hasher.hash(policy.normalized), passwordChangedAt: ctx.now() });
    if (auth.session.passwordChangeRequired) {
      // The short session that could only do this is replaced by a normal one (new cookies).
      const revoked = await ctx.store.sessions.revokeAllForUser(user.id, 'password_change');
      const fresh = (await ctx.store.users.findById(user.id)) ?? user;
      const session = await startSession(ctx, req, res, fresh);
      await ctx.audit({ action: 'password_change', outcome: 'success', actor: actorOf(auth), target: { type: 'user', id: user.id }, ...meta, details: { otherSessionsRevoked: revoked - 1, expired: true } });
      res.json({ otherSessionsRevoked: Math.max(0, revoked - 1), session });
      return;
    }
    const revoked = await ctx.store.sessions.revokeAllForUser(user.id, 'password_change', { exceptSessionId: auth.session.id });
    await ctx.audit({ action: 'password_change', outcome: 'success', actor: actorOf(auth), target: { type: 'user', id: user.id }, ...meta, details: { otherSessionsRevoked: revoked } });
    res.json({ otherSessionsRevoked: revoked });
  });

  router.get('/api/me/sessions', ...account, async (_req, res) => {
    const auth = authOf(res);
    const now = ctx.now();
    const items: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    // A user has few live sessions; read them all (bounded) rather than paginate dead ones.
    for (let i = 0; i < 20; i++) {
      const page = await ctx.store.sessions.listByUser(auth.user.id, { limit: 500, cursor });
      for (const s of page.items) {
        if (!isSessionLive(s, now)) continue;
        items.push({
          id: s.id,
          current: auth.kind === 'session' && s.id === auth.session.id,
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: s.lastSeenAt.toISOString(),
          idleExpiresAt: s.idleExpiresAt.toISOString(),
          absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
          userAgent: s.userAgent,
          ip: s.ip,
        });
      }
      if (page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
    res.json({ items });
  });

  router.delete('/api/me/sessions/:id', ...account, async (req, res) => {
    const auth = authOf(res);
    const { id } = parseWith(idParam, req.params);
    const session = await ctx.store.sessions.findById(id);
    if (session === null || session.userId !== auth.user.id) throw new ApiError('API_NOT_FOUND');
    if (await ctx.store.sessions.revoke(id, 'user_revoked')) {
      await ctx.audit({ action: 'session_revoke', outcome: 'success', actor: actorOf(auth), target: { type: 'session', id }, ...reqMeta(req) });
    }
    if (auth.kind === 'session' && auth.session.id === id) clearAuthCookies(req, res, ctx.config.secureCookies);
    res.status(204).end();
  });

  // Sign out everywhere: every session of mine ends (this one too, unless asked to keep it).
  router.post('/api/me/sessions/revoke-all', ...account, async (req, res) => {
    const auth = authOf(res);
    const body = parseWith(revokeAllBody, req.body ?? {});
    if (auth.kind !== 'session') throw new ApiError('ACCESS_API_KEY_FORBIDDEN');
    const keep = body.keepCurrent === true ? auth.session.id : undefined;
    const revoked = await ctx.store.sessions.revokeAllForUser(auth.user.id, 'user_revoked_all', keep === undefined ? {} : { exceptSessionId: keep });
    await ctx.audit({ action: 'session_revoke_all', outcome: 'success', actor: actorOf(auth), target: { type: 'user', id: auth.user.id }, ...reqMeta(req), details: { revoked, keptCurrent: keep !== undefined } });
    if (keep === undefined) clearAuthCookies(req, res, ctx.config.secureCookies);
    res.json({ revoked });
  });

  router.post('/api/me/2fa/enrol', ...account, async (req, res) => {
    parseWith(emptyBody, req.body ?? {});
    const auth = authOf(res);
    // Plotbox's second factor guards its password; single sign-on's is the provider's business.
    if (!hasLocalPassword(auth.user.passwordHash)) throw new ApiError('AUTH_SSO_ONLY', { message: 'This account signs in through single sign-on: two-factor authentication is set up at your identity provider.' });
    if (auth.user.totp?.enabled === true) throw new ApiError('AUTH_TOTP_STATE', { message: 'Two-factor authentication is already on; disable it first.' });
    const secret = ctx.totp.generateSecret();
    // Sealed before it is stored: the store (and its backups) never holds it in clear.
    await ctx.store.users.update(auth.user.id, auth.user.version, { totp: { secret: sealTotpSecret(ctx.secrets, auth.user.id, secret), enabled: false, lastUsedStep: null } });
    await ctx.audit({ action: 'totp_enrol_start', outcome: 'success', actor: actorOf(auth), target: { type: 'user', id: auth.user.id }, ...reqMeta(req) });
    res.json({ secret, otpauthUri: ctx.totp.provisioningUri(secret, auth.user.email) });
  });

  router.post('/api/me/2fa/confirm', ...account, async (req, res) => {
    const auth = authOf(res);
    const { code } = parseWith(totpConfirmBody, req.body ?? {});
    const totp = auth.user.totp;
    if (totp === null || totp.enabled) throw new ApiError('AUTH_TOTP_STATE', { message: 'Start enrolment first (POST /api/me/2fa/enrol).' });
    const secret = openTotpSecret(ctx.secrets, auth.user);
    const r = secret === null ? null : ctx.totp.verify(secret, code, null);
    if (r === null || !r.ok) {
      await ctx.audit({ action: 'totp_enable', outcome: 'failure', actor: actorOf(auth), target: { type: 'user', id: auth.user.id }, ...reqMeta(req) });
      throw new ApiError('AUTH_TOTP_INVALID');
    }
    const recovery = generateRecoveryCodes(10);
    await ctx.store.users.update(auth.user.id, auth.user.version, { totp: { secret: totp.secret, enabled: true, lastUsedStep: r.step }, recoveryCodeHashes: recovery.hashes });
    await ctx.audit({ action: 'totp_enable', outcome: 'success', actor: actorOf(auth), target: { type: 'user', id: auth.user.id }, ...reqMeta(req) });
    res.json({ recoveryCodes: recovery.codes });
  });

  router.post('/api/me/2fa/disable', ...account, async (req, res) => {
    const auth = authOf(res);
    const body = parseWith(totpDisableBody, req.body ?? {});
    const { user } = auth;
    if (user.totp === null) throw new ApiError('AUTH_TOTP_STATE', { message: 'Two-factor authentication is not on.' });
    const failed = async (reason: string, error: ApiError): Promise<never> => {
      await ctx.audit({ action: 'totp_disable', outcome: 'failure', actor: actorOf(auth), target: { type: 'user', id: user.id }, ...reqMeta(req), details: { reason } });
      throw error;
    };
    // First factor: the password (a locked account is refused like a wrong password).
    const locked = await isLocked(ctx, user);
    if (locked || !(await ctx.hasher.verify(user.passwordHash, body.password))) {
      if (!locked) await recordAccountFailure(ctx, req, user);
      return failed(locked ? 'locked' : 'wrong_password', new ApiError('AUTH_PASSWORD_INCORRECT'));
    }
    // Second factor, when one exists: a current code (not replayed) or an unused recovery code.
    if (user.totp.enabled) {
      if (body.code !== undefined) {
        const secret = openTotpSecret(ctx.secrets, user);
        const r = secret === null ? UNREADABLE : ctx.totp.verify(secret, body.code, user.totp.lastUsedStep);
        if (!r.ok || !(await ctx.store.users.useTotpStep(user.id, r.step))) {
          await recordAccountFailure(ctx, req, user);
          return failed('totp_invalid', new ApiError(r.ok || r.reason === 'replay' ? 'AUTH_TOTP_REPLAY' : 'AUTH_TOTP_INVALID'));
        }
      } else if (body.recoveryCode !== undefined) {
        const hash = hashRecoveryCode(body.recoveryCode);
        if (hash === null || !(await ctx.store.users.useRecoveryCode(user.id, hash))) {
          await recordAccountFailure(ctx, req, user);
          return failed('recovery_code_invalid', new ApiError('AUTH_TOTP_INVALID', { message: 'The recovery code is not valid.' }));
        }
      } else {
        return failed('second_factor_missing', new ApiError('AUTH_TOTP_INVALID', { message: 'Give a current code from your authenticator app, or a recovery code, with your password.' }));
      }
    }
    const latest = (await ctx.store.users.findById(user.id)) ?? user;
    await ctx.store.users.update(user.id, latest.version, { totp: null, recoveryCodeHashes: [] });
    await ctx.audit({ action: 'totp_disable', outcome: 'success', actor: actorOf(auth), target: { type: 'user', id: user.id }, ...reqMeta(req) });
    res.status(204).end();
  });

  const keys = [authenticate(ctx, { apiKeys: false }), apiLimit];

  router.get('/api/me/api-keys', ...keys, async (_req, res) => {
    const auth = authOf(res);
    const items: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const page = await ctx.store.apiKeys.listByUser(auth.user.id, { limit: 500, cursor });
      items.push(...page.items.map(apiKeyView));
      if (page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
    res.json({ items });
  });

  router.post('/api/me/api-keys', ...keys, async (req, res) => {
    const auth = authOf(res);
    const body = parseWith(apiKeyCreateBody, req.body ?? {});
    const expiresAt = body.expiresInDays == null ? null : new Date(ctx.now().getTime() + body.expiresInDays * 86_400_000);
    for (let attempt = 0; ; attempt++) {
      const k = newApiKey();
      try {
        const created = await ctx.store.apiKeys.create({ userId: auth.user.id, name: body.name, prefix: k.prefix, hash: k.hash, expiresAt });
        await ctx.audit({ action: 'api_key_create', outcome: 'success', actor: actorOf(auth), target: { type: 'api_key', id: created.id }, ...reqMeta(req), details: { name: body.name, prefix: `pbx_${k.prefix}` } });
        // The only time the key is shown.
        res.status(201).json({ apiKey: apiKeyView(created), key: k.key });
        return;
      } catch (err) {
        if (!isStoreError(err, 'STORE_CONFLICT') || attempt >= 2) throw err;
      }
    }
  });

  router.delete('/api/me/api-keys/:id', ...keys, async (req, res) => {
    const auth = authOf(res);
    const { id } = parseWith(idParam, req.params);
    const key = await ctx.store.apiKeys.findById(id);
    if (key === null || key.userId !== auth.user.id) throw new ApiError('API_NOT_FOUND');
    if (await ctx.store.apiKeys.revoke(id)) {
      await ctx.audit({ action: 'api_key_revoke', outcome: 'success', actor: actorOf(auth), target: { type: 'api_key', id }, ...reqMeta(req) });
    }
    res.status(204).end();
  });

  return router;
}
