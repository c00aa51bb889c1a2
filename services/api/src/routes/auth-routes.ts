/**
 * Sign-in and session routes: login (password + TOTP or recovery code in one request), refresh
 * (rotating), logout, and the one-time first-admin setup. The logic is in `use-cases/`; these
 * parse, call, set or clear cookies, and answer.
 */
import { Router, type RequestHandler } from 'express';
import { isAuthError } from '@plotbox/auth';
import type { LoginAnswer } from '../api-types.ts';
import type { AppContext } from '../context.ts';
import { reqMeta, sessionClientOf } from '../context.ts';
import { clearAuthCookies, cookieNames, readCookies, setSessionCookies } from '../cookies.ts';
import { ApiError } from '../errors.ts';
import { loginBody, parseWith, setupBody } from '../schemas.ts';
import { logIn } from '../use-cases/log-in.ts';
import { refreshSession } from '../use-cases/refresh-session.ts';
import { setUpAdmin } from '../use-cases/set-up-admin.ts';
import { publicUser } from '../views.ts';

/** The claims of a genuine access token, even an expired one (for logout), or `null`. */
function claimsForLogout(ctx: AppContext, token: string | undefined): { sub: string; sid: string } | null {
  if (token === undefined || token === '') return null;
  try {
    const c = ctx.tokens.verifyAccessToken(token);
    return { sub: c.sub, sid: c.sid };
  } catch (err) {
    // AUTH_EXPIRED is only reported after the signature, issuer and audience checked out, so the
    // payload of such a token is genuine and may be read without verifying again.
    if (!isAuthError(err, 'AUTH_EXPIRED')) return null;
    try {
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown; sid?: unknown };
      return typeof payload.sub === 'string' && typeof payload.sid === 'string' ? { sub: payload.sub, sid: payload.sid } : null;
    } catch {
      return null;
    }
  }
}

/** Routes under `/api/auth` and `/api/setup`. */
export function authRoutes(ctx: AppContext, limiters: { readonly login: RequestHandler; readonly refresh: RequestHandler }): Router {
  const router = Router();
  const { secureCookies } = ctx.config;

  router.post('/api/auth/login', limiters.login, async (req, res) => {
    // Password sign-in off: refused before the body is even looked at (nothing checked, counted or timed).
    if (!ctx.config.localLogin) throw new ApiError('AUTH_LOCAL_LOGIN_DISABLED');
    const body = parseWith(loginBody, req.body ?? {});
    const done = await logIn(ctx, body, reqMeta(req), sessionClientOf(req));
    setSessionCookies(req, res, secureCookies, done.tokens, ctx.now().getTime());
    const answer: LoginAnswer = { user: publicUser(done.user), session: done.tokens.view, mfaEnrolmentRequired: done.mfaEnrolmentRequired, passwordChangeRequired: done.passwordChangeRequired };
    res.json(answer);
  });

  router.post('/api/auth/refresh', limiters.refresh, async (req, res) => {
    const tokens = await refreshSession(ctx, readCookies(req)[cookieNames(secureCookies).refresh], reqMeta(req));
    if (tokens === null) {
      clearAuthCookies(req, res, secureCookies);
      throw new ApiError('AUTH_INVALID_REFRESH');
    }
    setSessionCookies(req, res, secureCookies, tokens, ctx.now().getTime());
    res.json({ session: tokens.view });
  });

  router.post('/api/auth/logout', async (req, res) => {
    const claims = claimsForLogout(ctx, readCookies(req)[cookieNames(secureCookies).access]);
    if (claims !== null) {
      const session = await ctx.store.sessions.findById(claims.sid);
      if (session !== null && session.userId === claims.sub && (await ctx.store.sessions.revoke(session.id, 'logout'))) {
        await ctx.audit({ action: 'logout', outcome: 'success', actor: { kind: 'user', userId: session.userId }, target: { type: 'session', id: session.id }, ...reqMeta(req) });
      }
    }
    clearAuthCookies(req, res, secureCookies);
    res.status(204).end();
  });

  router.post('/api/setup', limiters.login, async (req, res) => {
    const user = await setUpAdmin(ctx, parseWith(setupBody, req.body ?? {}), reqMeta(req));
    res.status(201).json({ user: publicUser(user) });
  });

  return router;
}
