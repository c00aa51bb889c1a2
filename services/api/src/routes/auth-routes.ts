/**
 * Sign-in and session routes: login (password + TOTP or recovery code in one request), refresh
 * (rotating), logout, and the one-time first-admin setup.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { checkPasswordPolicy, hasLocalPassword, hashRecoveryCode, hashRefreshToken, isAuthError, isRefreshTokenFormat, newRefreshToken, type TotpVerifyResult } from '@plotbox/auth';
import { isSessionLive, isStoreError, type User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { publicUser, reqMeta } from '../context.ts';
import { clearAuthCookies, cookieNames, readCookies, setAccessCookie, setAuthCookies } from '../cookies.ts';
import { ApiError } from '../errors.ts';
import { loginBody, parseWith, setupBody } from '../schemas.ts';
import { openTotpSecret } from '../secrets.ts';
import { setupTokenKey } from '../setup-token.ts';

/** How often a refreshing session records account activity. */
const ACTIVITY_EVERY_MS = 3_600_000;

/** Count a failed login/TOTP/password check against the account; audit a new lockout. */
export async function recordAccountFailure(ctx: AppContext, req: Request, user: User): Promise<void> {
  const { outcome } = await ctx.store.counters.recordLoginFailure(`account:${user.id}`, {
    maxFailures: ctx.config.lockout.maxFailures,
    lockMs: ctx.config.lockout.lockMs,
    forgetAfterMs: ctx.config.lockout.lockMs,
  });
  if (outcome === 'locked_now') {
    await ctx.audit({ action: 'lockout', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: user.id }, ...reqMeta(req), details: { lockMinutes: ctx.config.lockout.lockMs / 60_000 } });
  }
}

/** The verify result of a TOTP secret that cannot be opened: a wrong code, as far as anyone outside can tell. */
export const UNREADABLE: TotpVerifyResult = Object.freeze({ ok: false, reason: 'invalid' });

/** Is the account locked now? */
export async function isLocked(ctx: AppContext, user: User): Promise<boolean> {
  const state = await ctx.store.counters.getLoginFailures(`account:${user.id}`);
  return state?.lockedUntil != null && state.lockedUntil.getTime() > ctx.now().getTime();
}

/**
 * What a client learns of its session: the access token's expiry as an instant and, because a
 * browser's clock may be off, as seconds from now (what the web UI schedules its refresh by).
 */
export function sessionView(id: string, accessExpiresAt: number, absoluteExpiresAt: Date, now: number): Record<string, unknown> {
  return { id, accessExpiresAt: new Date(accessExpiresAt).toISOString(), accessExpiresInSec: Math.max(0, Math.floor((accessExpiresAt - now) / 1000)), absoluteExpiresAt: absoluteExpiresAt.toISOString() };
}

/** How long a session signed in with an expired password lives: enough to choose a new one. */
export const PASSWORD_CHANGE_SESSION_MS = 15 * 60_000;

/** Is `user`'s password past `PLOTBOX_PASSWORD_MAX_AGE_DAYS` (accounts without one never are)? */
export function isPasswordExpired(ctx: AppContext, user: User): boolean {
  const maxAge = ctx.config.passwordMaxAgeMs;
  return maxAge !== null && hasLocalPassword(user.passwordHash) && user.passwordChangedAt.getTime() + maxAge <= ctx.now().getTime();
}

/**
 * Start a session for `user`: session record, first refresh token, both cookies. With
 * `passwordChangeRequired` the session is short and may only change the password.
 */
export async function startSession(ctx: AppContext, req: Request, res: Response, user: User, options: { readonly passwordChangeRequired?: boolean } = {}): Promise<Record<string, unknown>> {
  const now = ctx.now().getTime();
  const ua = req.headers['user-agent'];
  const restricted = options.passwordChangeRequired === true;
  const absolute = ctx.sessionPolicy.absoluteExpiresAt(now);
  const session = await ctx.store.sessions.create({
    userId: user.id,
    absoluteExpiresAt: new Date(restricted ? Math.min(absolute, now + PASSWORD_CHANGE_SESSION_MS) : absolute),
    idleExpiresAt: new Date(now + ctx.config.session.idleMs),
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    ip: reqMeta(req).ip,
    passwordChangeRequired: restricted,
  });
  const refresh = newRefreshToken();
  const refreshExpiresAt = ctx.sessionPolicy.refreshExpiresAt(session.createdAt.getTime(), now);
  await ctx.store.sessions.createRefreshToken({ tokenHash: refresh.hash, sessionId: session.id, expiresAt: new Date(refreshExpiresAt) });
  const access = ctx.tokens.issueAccessToken({ sub: user.id, sid: session.id });
  setAuthCookies(req, res, {
    secureCookies: ctx.config.secureCookies,
    access: access.token,
    accessMaxAgeSec: (access.expiresAt - now) / 1000,
    refresh: refresh.token,
    refreshMaxAgeSec: (refreshExpiresAt - now) / 1000,
  });
  return sessionView(session.id, access.expiresAt, session.absoluteExpiresAt, now);
}

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

  router.post('/api/auth/login', limiters.login, async (req, res) => {
    // Single sign-on only: no password is checked (nor counted, nor timed) at all.
    if (!ctx.config.localLogin) throw new ApiError('AUTH_LOCAL_LOGIN_DISABLED');
    const body = parseWith(loginBody, req.body ?? {});
    const meta = reqMeta(req);
    const fail = async (reason: string, user: User | null): Promise<never> => {
      ctx.metrics.loginFailure(reason);
      await ctx.audit({
        action: 'login_failure',
        outcome: 'failure',
        actor: { kind: 'anonymous', userId: null },
        target: user === null ? null : { type: 'user', id: user.id },
        ...meta,
        details: { reason },
      });
      throw new ApiError('AUTH_INVALID_CREDENTIALS');
    };

    let user: User | null = null;
    try {
      user = await ctx.store.users.findByEmail(body.email);
    } catch (err) {
      if (!isStoreError(err, 'STORE_INVALID')) throw err; // not an email at all: same as unknown
    }
    if (user === null) {
      await ctx.hasher.dummyVerify();
      return fail('unknown_user', null);
    }
    if (await isLocked(ctx, user)) {
      await ctx.hasher.dummyVerify();
      return fail('locked', user);
    }
    const passwordOk = await ctx.hasher.verify(user.passwordHash, body.password);
    // SPEC §4: a disabled account answers like a wrong password, even to the password's holder (the
    // sign-in page says an account may be disabled, e.g. after PLOTBOX_DISABLE_INACTIVE_DAYS).
    if (user.disabled) return fail(user.disabledReason === 'inactive' ? 'disabled_inactive' : 'disabled', user);
    if (!passwordOk) {
      await recordAccountFailure(ctx, req, user);
      return fail('wrong_password', user);
    }
    if (user.totp?.enabled === true) {
      if (body.totpCode !== undefined) {
        // A secret that cannot be opened (its key retired) fails like a wrong code; the log says why.
        const secret = openTotpSecret(ctx.secrets, user);
        if (secret === null) ctx.logger.warn({ userId: user.id }, 'the TOTP secret of this user cannot be opened with the configured keys');
        const r = secret === null ? UNREADABLE : ctx.totp.verify(secret, body.totpCode, user.totp.lastUsedStep);
        if (!r.ok || !(await ctx.store.users.useTotpStep(user.id, r.step))) {
          await recordAccountFailure(ctx, req, user);
          return fail(r.ok || r.reason === 'replay' ? 'totp_replay' : 'totp_invalid', user);
        }
      } else if (body.recoveryCode !== undefined) {
        const hash = hashRecoveryCode(body.recoveryCode);
        if (hash === null || !(await ctx.store.users.useRecoveryCode(user.id, hash))) {
          await recordAccountFailure(ctx, req, user);
          return fail('recovery_code_invalid', user);
        }
        await ctx.audit({ action: 'recovery_code_used', outcome: 'success', actor: { kind: 'user', userId: user.id }, target: { type: 'user', id: user.id }, ...meta });
      } else {
        // The password was right; the second factor is due. Not a failure, so not counted.
        throw new ApiError('AUTH_MFA_REQUIRED');
      }
    }
    await ctx.store.counters.clearLoginFailures(`account:${user.id}`);
    if (ctx.hasher.needsRehash(user.passwordHash)) {
      try {
        user = await ctx.store.users.update(user.id, user.version, { passwordHash: await ctx.hasher.hash(body.password) });
      } catch (err) {
        if (!isStoreError(err, 'STORE_VERSION_MISMATCH')) throw err; // a concurrent change wins; rehash next time
      }
    }
    // Both factors passed. An expired password gets a short session that may only change it.
    const passwordExpired = isPasswordExpired(ctx, user);
    const session = await startSession(ctx, req, res, user, { passwordChangeRequired: passwordExpired });
    await ctx.store.users.markActive(user.id);
    await ctx.audit({ action: 'login_success', outcome: 'success', actor: { kind: 'user', userId: user.id }, target: { type: 'session', id: String(session.id) }, ...meta, details: { via: 'password', mfa: user.totp?.enabled === true, ...(passwordExpired ? { passwordExpired: true } : {}) } });
    const fresh = (await ctx.store.users.findById(user.id)) ?? user;
    res.json({ user: publicUser(fresh), session, mfaEnrolmentRequired: ctx.config.require2faForAdmins && fresh.systemRole === 'admin' && fresh.totp?.enabled !== true, passwordChangeRequired: passwordExpired });
  });

  router.post('/api/auth/refresh', limiters.refresh, async (req, res) => {
    const meta = reqMeta(req);
    const refuse = (): never => {
      clearAuthCookies(req, res, ctx.config.secureCookies);
      throw new ApiError('AUTH_INVALID_REFRESH');
    };
    const token = readCookies(req)[cookieNames(ctx.config.secureCookies).refresh];
    if (!isRefreshTokenFormat(token)) return refuse();
    const oldHash = hashRefreshToken(token as string);
    const existing = await ctx.store.sessions.findRefreshToken(oldHash);
    if (existing === null) return refuse();
    const session = await ctx.store.sessions.findById(existing.sessionId);
    if (session === null) return refuse();
    const now = ctx.now().getTime();
    const next = newRefreshToken();
    const refreshExpiresAt = ctx.sessionPolicy.refreshExpiresAt(session.createdAt.getTime(), now);
    const result = await ctx.store.sessions.rotateRefresh(oldHash, { tokenHash: next.hash, expiresAt: new Date(refreshExpiresAt), idleExpiresAt: new Date(now + ctx.config.session.idleMs) });
    if (result.status === 'reused' && ctx.sessionPolicy.isConcurrentRefresh(result.usedAt.getTime(), now)) {
      // Two tabs (or a retried request) refreshed with the same token at once: the other one
      // rotated it moments ago. Not a replay: a new access token, no new refresh token (the
      // browser already holds the successor), and the session lives on.
      const live = await ctx.store.sessions.findById(result.sessionId);
      const owner = live === null ? null : await ctx.store.users.findById(live.userId);
      if (live !== null && owner !== null && !owner.disabled && !live.mfaPending && isSessionLive(live, ctx.now())) {
        const access = ctx.tokens.issueAccessToken({ sub: owner.id, sid: live.id });
        setAccessCookie(req, res, { secureCookies: ctx.config.secureCookies, access: access.token, accessMaxAgeSec: (access.expiresAt - now) / 1000 });
        await ctx.audit({ action: 'refresh', outcome: 'success', actor: { kind: 'user', userId: owner.id }, target: { type: 'session', id: live.id }, ...meta, details: { concurrent: true } });
        res.json({ session: sessionView(live.id, access.expiresAt, live.absoluteExpiresAt, now) });
        return;
      }
    }
    if (result.status === 'reused') {
      await ctx.store.sessions.revoke(result.sessionId, 'refresh_reuse');
      await ctx.audit({ action: 'refresh_reuse', outcome: 'denied', actor: { kind: 'anonymous', userId: null }, target: { type: 'session', id: result.sessionId }, ...meta, details: { userId: result.userId } });
      return refuse();
    }
    if (result.status !== 'rotated') return refuse();
    const user = await ctx.store.users.findById(result.session.userId);
    if (user === null || user.disabled) {
      await ctx.store.sessions.revoke(result.session.id, 'user_disabled');
      return refuse();
    }
    // A session in use is account activity (the inactivity sweep); written at most hourly.
    if (now - user.lastActiveAt.getTime() >= ACTIVITY_EVERY_MS) await ctx.store.users.markActive(user.id);
    const access = ctx.tokens.issueAccessToken({ sub: user.id, sid: result.session.id });
    setAuthCookies(req, res, {
      secureCookies: ctx.config.secureCookies,
      access: access.token,
      accessMaxAgeSec: (access.expiresAt - now) / 1000,
      refresh: next.token,
      refreshMaxAgeSec: (refreshExpiresAt - now) / 1000,
    });
    await ctx.audit({ action: 'refresh', outcome: 'success', actor: { kind: 'user', userId: user.id }, target: { type: 'session', id: result.session.id }, ...meta });
    res.json({ session: sessionView(result.session.id, access.expiresAt, result.session.absoluteExpiresAt, now) });
  });

  router.post('/api/auth/logout', async (req, res) => {
    const claims = claimsForLogout(ctx, readCookies(req)[cookieNames(ctx.config.secureCookies).access]);
    if (claims !== null) {
      const session = await ctx.store.sessions.findById(claims.sid);
      if (session !== null && session.userId === claims.sub && (await ctx.store.sessions.revoke(session.id, 'logout'))) {
        await ctx.audit({ action: 'logout', outcome: 'success', actor: { kind: 'user', userId: session.userId }, target: { type: 'session', id: session.id }, ...reqMeta(req) });
      }
    }
    clearAuthCookies(req, res, ctx.config.secureCookies);
    res.status(204).end();
  });

  router.post('/api/setup', limiters.login, async (req, res) => {
    const body = parseWith(setupBody, req.body ?? {});
    // Looked up by the token's hash: the store holds no token, and any replica's link works here.
    const key = setupTokenKey(hashRefreshToken(body.token));
    const refuse = async (): Promise<never> => {
      await ctx.audit({ action: 'setup_failure', outcome: 'failure', actor: { kind: 'anonymous', userId: null }, ...reqMeta(req) });
      throw new ApiError('AUTH_SETUP_INVALID');
    };
    if ((await ctx.store.settings.get(key)) === null || (await ctx.store.users.count({ systemRole: 'admin' })) > 0) return refuse();
    const displayName = body.displayName ?? 'Administrator';
    const policy = checkPasswordPolicy(body.password, { email: body.email, displayName });
    if (!policy.ok) throw new ApiError('AUTH_PASSWORD_POLICY', { details: { reason: policy.reason } });
    // Single use across replicas and concurrent requests: the one delete that removes the record wins.
    if (!(await ctx.store.settings.delete(key))) return refuse();
    const user = await ctx.store.users.create({ email: body.email, displayName, passwordHash: await ctx.hasher.hash(policy.normalized), systemRole: 'admin' });
    await ctx.audit({ action: 'admin_bootstrap', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: user.id }, ...reqMeta(req), details: { via: 'setup_link' } });
    res.status(201).json({ user: publicUser(user) });
  });

  return router;
}
