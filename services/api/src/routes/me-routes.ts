/**
 * The signed-in user's own account: profile, password, sessions, two-factor, API keys. Everything
 * but `GET /api/me` refuses API keys (SPEC §4: keys cannot manage keys, passwords, 2FA or sessions).
 * The logic is in `use-cases/`; these parse, call, set cookies and answer.
 */
import { Router, type RequestHandler } from 'express';
import { isSessionLive } from '@plotbox/store';
import type { MeAnswer, SessionListItem } from '../api-types.ts';
import { authenticate } from '../authenticate.ts';
import type { AppContext, AuthState } from '../context.ts';
import { authOf, callerOf, reqMeta, sessionClientOf } from '../context.ts';
import { clearAuthCookies, setSessionCookies } from '../cookies.ts';
import { ApiError } from '../errors.ts';
import { apiKeyCreateBody, emptyBody, idParam, parseWith, passwordChangeBody, revokeAllBody, totpConfirmBody, totpDisableBody } from '../schemas.ts';
import { changePassword } from '../use-cases/change-password.ts';
import { createApiKey } from '../use-cases/create-api-key.ts';
import { confirmTotp, disableTotp, startTotpEnrolment } from '../use-cases/two-factor.ts';
import { apiKeyView, publicUser, sessionView } from '../views.ts';

/** Every item of a user's list, page by page (a user has few sessions and keys; bounded). */
async function readAll<T>(list: (cursor: string | undefined) => Promise<{ readonly items: readonly T[]; readonly nextCursor?: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await list(cursor);
    out.push(...page.items);
    if (page.nextCursor === undefined) break;
    cursor = page.nextCursor;
  }
  return out;
}

/** The session of a cookie-authenticated request (`authenticate` with `apiKeys: false` already refused keys). */
function sessionAuth(auth: AuthState): Extract<AuthState, { kind: 'session' }> {
  if (auth.kind !== 'session') throw new ApiError('ACCESS_API_KEY_FORBIDDEN');
  return auth;
}

/** Routes under `/api/me`. `apiLimit` is the per-principal limiter, run after authentication. */
export function meRoutes(ctx: AppContext, apiLimit: RequestHandler): Router {
  const router = Router();
  const account = [authenticate(ctx, { apiKeys: false, restricted: true }), apiLimit];

  router.get('/api/me', authenticate(ctx, { restricted: true, passwordChange: true }), apiLimit, (_req, res) => {
    const auth = authOf(res);
    const answer: MeAnswer = {
      user: publicUser(auth.user),
      // The web UI schedules its refresh from accessExpiresAt (SPEC §4: shortly before expiry).
      auth:
        auth.kind === 'session'
          ? { kind: 'session', sessionId: auth.session.id, ...sessionView(auth.session.id, auth.accessExpiresAt, auth.session.absoluteExpiresAt, ctx.now().getTime()) }
          : { kind: 'api_key', apiKeyId: auth.apiKey.id },
      mfaEnrolmentRequired: auth.restricted,
      // Signed in with an expired password: only POST /api/me/password works until it is changed.
      passwordChangeRequired: auth.kind === 'session' && auth.session.passwordChangeRequired,
    };
    res.json(answer);
  });

  router.post('/api/me/password', authenticate(ctx, { apiKeys: false, restricted: true, passwordChange: true }), apiLimit, async (req, res) => {
    const auth = sessionAuth(authOf(res));
    const body = parseWith(passwordChangeBody, req.body ?? {});
    const changed = await changePassword(ctx, auth, body, callerOf(req, auth), sessionClientOf(req));
    if (changed.tokens === null) return void res.json({ otherSessionsRevoked: changed.otherSessionsRevoked });
    setSessionCookies(req, res, ctx.config.secureCookies, changed.tokens, ctx.now().getTime());
    res.json({ otherSessionsRevoked: changed.otherSessionsRevoked, session: changed.tokens.view });
  });

  router.get('/api/me/sessions', ...account, async (_req, res) => {
    const auth = authOf(res);
    const now = ctx.now();
    const sessions = await readAll((cursor) => ctx.store.sessions.listByUser(auth.user.id, { limit: 500, cursor }));
    const items: SessionListItem[] = sessions
      .filter((s) => isSessionLive(s, now))
      .map((s) => ({
        id: s.id,
        current: auth.kind === 'session' && s.id === auth.session.id,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        idleExpiresAt: s.idleExpiresAt.toISOString(),
        absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
        userAgent: s.userAgent,
        ip: s.ip,
      }));
    res.json({ items });
  });

  router.delete('/api/me/sessions/:id', ...account, async (req, res) => {
    const auth = authOf(res);
    const { id } = parseWith(idParam, req.params);
    const session = await ctx.store.sessions.findById(id);
    if (session === null || session.userId !== auth.user.id) throw new ApiError('API_NOT_FOUND');
    if (await ctx.store.sessions.revoke(id, 'user_revoked')) {
      await ctx.audit({ action: 'session_revoke', outcome: 'success', actor: callerOf(req, auth).actor, target: { type: 'session', id }, ...reqMeta(req) });
    }
    if (auth.kind === 'session' && auth.session.id === id) clearAuthCookies(req, res, ctx.config.secureCookies);
    res.status(204).end();
  });

  // Sign out everywhere: every session of mine ends (this one too, unless asked to keep it).
  router.post('/api/me/sessions/revoke-all', ...account, async (req, res) => {
    const auth = authOf(res);
    const body = parseWith(revokeAllBody, req.body ?? {});
    const session = sessionAuth(auth).session;
    const keep = body.keepCurrent === true ? session.id : undefined;
    const revoked = await ctx.store.sessions.revokeAllForUser(auth.user.id, 'user_revoked_all', keep === undefined ? {} : { exceptSessionId: keep });
    await ctx.audit({
      action: 'session_revoke_all',
      outcome: 'success',
      actor: callerOf(req, auth).actor,
      target: { type: 'user', id: auth.user.id },
      ...reqMeta(req),
      details: { revoked, keptCurrent: keep !== undefined },
    });
    if (keep === undefined) clearAuthCookies(req, res, ctx.config.secureCookies);
    res.json({ revoked });
  });

  router.post('/api/me/2fa/enrol', ...account, async (req, res) => {
    parseWith(emptyBody, req.body ?? {});
    const auth = authOf(res);
    res.json(await startTotpEnrolment(ctx, auth.user, callerOf(req, auth)));
  });

  router.post('/api/me/2fa/confirm', ...account, async (req, res) => {
    const auth = authOf(res);
    const { code } = parseWith(totpConfirmBody, req.body ?? {});
    res.json(await confirmTotp(ctx, auth.user, code, callerOf(req, auth)));
  });

  router.post('/api/me/2fa/disable', ...account, async (req, res) => {
    const auth = authOf(res);
    const body = parseWith(totpDisableBody, req.body ?? {});
    await disableTotp(ctx, auth.user, { password: body.password, totpCode: body.code, recoveryCode: body.recoveryCode }, callerOf(req, auth));
    res.status(204).end();
  });

  const keys = [authenticate(ctx, { apiKeys: false }), apiLimit];

  router.get('/api/me/api-keys', ...keys, async (_req, res) => {
    const auth = authOf(res);
    const items = await readAll((cursor) => ctx.store.apiKeys.listByUser(auth.user.id, { limit: 500, cursor }));
    res.json({ items: items.map(apiKeyView) });
  });

  router.post('/api/me/api-keys', ...keys, async (req, res) => {
    const auth = authOf(res);
    const created = await createApiKey(ctx, auth.user, parseWith(apiKeyCreateBody, req.body ?? {}), callerOf(req, auth));
    // The only time the key is shown.
    res.status(201).json({ apiKey: apiKeyView(created.apiKey), key: created.key });
  });

  router.delete('/api/me/api-keys/:id', ...keys, async (req, res) => {
    const auth = authOf(res);
    const { id } = parseWith(idParam, req.params);
    const key = await ctx.store.apiKeys.findById(id);
    if (key === null || key.userId !== auth.user.id) throw new ApiError('API_NOT_FOUND');
    if (await ctx.store.apiKeys.revoke(id)) {
      await ctx.audit({ action: 'api_key_revoke', outcome: 'success', actor: callerOf(req, auth).actor, target: { type: 'api_key', id }, ...reqMeta(req) });
    }
    res.status(204).end();
  });

  return router;
}
