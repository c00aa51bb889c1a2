/**
 * Authentication and the per-route guard. Credentials are either the access-token cookie (bound
 * to a server-side session checked on every request) or `Authorization: Bearer pbx_...` (an API
 * key acting with its user's current role). Nothing else is accepted: a JWT in a bearer header is
 * refused, tokens live only in cookies.
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { hasLocalPassword, isAuthError, parseApiKey, verifyApiKey } from '@plotbox/auth';
import { isSessionLive, type User } from '@plotbox/store';
import type { AppContext, AuthState } from './context.ts';
import { actorOf, reqMeta } from './context.ts';
import { clearAuthCookies, cookieNames, readCookies } from './cookies.ts';
import { ApiError, isApiError } from './errors.ts';

export interface GuardOptions {
  /** May an API key call this route? (No for key, password, 2FA and session management.) */
  readonly apiKeys?: boolean;
  /** Allowed while an admin still has to enrol in 2FA (`PLOTBOX_REQUIRE_2FA_FOR_ADMINS`)? */
  readonly restricted?: boolean;
  /** Allowed in a session signed in with an expired password (which may only change it)? */
  readonly passwordChange?: boolean;
  /** System admins only. */
  readonly admin?: boolean;
}

/** Touch the session at most this often (a write per request is not needed for a 60-min idle window). */
const TOUCH_EVERY_MS = 30_000;
const API_KEY_MARK_EVERY_MS = 60_000;

/**
 * Failed authentication is limited per client address (SPEC §4 rate limits; the per-principal
 * limiter runs only after authentication, so it never sees a guessed key): after
 * `rateLimits.authFailures.limit` invalid tokens or API keys within the window, the address gets
 * `429` for the rest of it, for every API key it presents, right or not, so guessing learns
 * nothing. An access token that verifies (RS256) cannot be a guess and is not held back; one that
 * does not is refused like a key. Expired tokens and ended sessions are ordinary and not counted.
 * The counts live in the store (the lockout records, keyed by address), shared by every replica.
 */
function failureKey(req: Request): string {
  return `authfail:${ipKeyGenerator(req.ip ?? 'unknown')}`;
}

async function refuseIfThrottled(ctx: AppContext, req: Request, res: Response): Promise<void> {
  const state = await ctx.store.counters.getLoginFailures(failureKey(req));
  const until = state?.lockedUntil?.getTime() ?? 0;
  const now = ctx.now().getTime();
  if (until > now) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil((until - now) / 1000))));
    throw new ApiError('RATE_LIMITED', { message: 'Too many failed sign-in attempts from this address. Try again later.' });
  }
}

async function countFailure(ctx: AppContext, req: Request): Promise<void> {
  const { limit, windowMs } = ctx.config.rateLimits.authFailures;
  const { outcome } = await ctx.store.counters.recordLoginFailure(failureKey(req), { maxFailures: limit, lockMs: windowMs, forgetAfterMs: windowMs });
  if (outcome === 'locked_now') {
    await ctx.audit({ action: 'auth_failure_throttle', outcome: 'denied', actor: { kind: 'anonymous', userId: null }, ...reqMeta(req), details: { failures: limit, windowSec: windowMs / 1000 } });
  }
}

type AccessClaims = ReturnType<AppContext['tokens']['verifyAccessToken']>;

/** The claims of the access cookie when its token verifies (signature, issuer, audience, expiry), else `null`. */
function verifiedCookie(ctx: AppContext, req: Request): AccessClaims | null {
  if (req.headers.authorization !== undefined) return null;
  const token = readCookies(req)[cookieNames(ctx.config.secureCookies).access];
  if (token === undefined || token === '') return null;
  try {
    return ctx.tokens.verifyAccessToken(token);
  } catch {
    return null;
  }
}

/**
 * Resolve the request's credentials to an {@link AuthState}, or throw a 401 {@link ApiError}. An
 * access token that verifies cannot have been guessed, so only API keys and tokens that do not
 * verify meet the failure throttle (a signed-in browser's request costs no throttle read).
 */
export async function resolveAuth(ctx: AppContext, req: Request, res: Response): Promise<AuthState> {
  const presents = req.headers.authorization !== undefined || readCookies(req)[cookieNames(ctx.config.secureCookies).access] !== undefined;
  if (!presents) return resolveCredentials(ctx, req, res, null);
  const claims = verifiedCookie(ctx, req);
  if (claims === null) await refuseIfThrottled(ctx, req, res);
  try {
    return await resolveCredentials(ctx, req, res, claims);
  } catch (err) {
    if (isApiError(err) && err.code === 'AUTH_INVALID_TOKEN') await countFailure(ctx, req);
    throw err;
  }
}

async function resolveCredentials(ctx: AppContext, req: Request, res: Response, verified: AccessClaims | null): Promise<AuthState> {
  const now = ctx.now();
  const authz = req.headers.authorization;
  if (authz !== undefined) {
    const m = /^Bearer ([!-~]{1,200})$/u.exec(authz);
    const parsed = m?.[1] === undefined ? null : parseApiKey(m[1]);
    if (parsed === null) throw new ApiError('AUTH_INVALID_TOKEN');
    const key = await ctx.store.apiKeys.findByPrefix(parsed.prefix);
    // Verify even when the key is unknown-ish, so timing says little about which part was wrong.
    const matches = verifyApiKey(parsed.secret, key?.hash ?? 'x');
    if (key === null || !matches || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime())) {
      throw new ApiError('AUTH_INVALID_TOKEN');
    }
    const user = await ctx.store.users.findById(key.userId);
    if (user === null || user.disabled) throw new ApiError('AUTH_INVALID_TOKEN');
    if (key.lastUsedAt === null || now.getTime() - key.lastUsedAt.getTime() >= API_KEY_MARK_EVERY_MS) {
      await ctx.store.apiKeys.markUsed(key.id);
      // A script using the account keeps it from the inactivity sweep.
      await ctx.store.users.markActive(user.id);
    }
    return { kind: 'api_key', user, apiKey: key, restricted: isRestricted(ctx, user) };
  }

  const token = readCookies(req)[cookieNames(ctx.config.secureCookies).access];
  if (token === undefined || token === '') throw new ApiError('AUTH_REQUIRED');
  let claims = verified;
  if (claims === null) {
    try {
      claims = ctx.tokens.verifyAccessToken(token);
    } catch (err) {
      if (isAuthError(err, 'AUTH_EXPIRED')) throw new ApiError('AUTH_TOKEN_EXPIRED');
      throw new ApiError('AUTH_INVALID_TOKEN');
    }
  }
  const session = await ctx.store.sessions.findById(claims.sid);
  if (session === null || session.userId !== claims.sub) throw new ApiError('AUTH_INVALID_TOKEN');
  const verdict = ctx.sessionPolicy.evaluateSession(
    { createdAt: session.createdAt.getTime(), lastSeenAt: session.lastSeenAt.getTime(), revokedAt: session.revokedAt?.getTime() ?? null },
    now.getTime(),
  );
  const user = await ctx.store.users.findById(session.userId);
  if (!verdict.ok || !isSessionLive(session, now) || session.mfaPending || user === null || user.disabled) {
    clearAuthCookies(req, res, ctx.config.secureCookies);
    throw new ApiError('AUTH_SESSION_ENDED');
  }
  let live = session;
  if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    // Activity moves the idle window; the store caps it at the absolute expiry.
    await ctx.store.sessions.touch(session.id, new Date(now.getTime() + ctx.config.session.idleMs));
    live = { ...session, lastSeenAt: now };
  }
  return { kind: 'session', user, session: live, restricted: isRestricted(ctx, user), accessExpiresAt: claims.exp * 1000 };
}

/**
 * An admin who must still enrol in TOTP. Plotbox's second factor guards its password: an account
 * without one (single sign-on only) has its second factor at the provider and is not held here.
 */
function isRestricted(ctx: AppContext, user: User): boolean {
  return ctx.config.require2faForAdmins && user.systemRole === 'admin' && user.totp?.enabled !== true && hasLocalPassword(user.passwordHash);
}

/**
 * Middleware: authenticate, then apply the route's guard. Permission denials are audited.
 * Put the per-principal rate limiter after it.
 */
export function authenticate(ctx: AppContext, options: GuardOptions = {}): RequestHandler {
  const { apiKeys = true, restricted = false, admin = false, passwordChange = false } = options;
  return async (req, res, next) => {
    const auth = await resolveAuth(ctx, req, res);
    (res.locals as { auth?: AuthState }).auth = auth;
    if (!apiKeys && auth.kind === 'api_key') {
      await ctx.audit({ action: 'permission_denied', outcome: 'denied', actor: actorOf(auth), ...reqMeta(req), details: { route: routeOf(req), reason: 'api_key' } });
      throw new ApiError('ACCESS_API_KEY_FORBIDDEN');
    }
    // A session signed in with an expired password may only change it (and read /api/me).
    if (auth.kind === 'session' && auth.session.passwordChangeRequired && !passwordChange) throw new ApiError('AUTH_PASSWORD_EXPIRED');
    if (auth.restricted && !restricted) throw new ApiError('AUTH_MFA_ENROLMENT_REQUIRED');
    if (admin && auth.user.systemRole !== 'admin') {
      await ctx.audit({ action: 'permission_denied', outcome: 'denied', actor: actorOf(auth), ...reqMeta(req), details: { route: routeOf(req), reason: 'not_admin' } });
      throw new ApiError('ACCESS_FORBIDDEN');
    }
    next();
  };
}

function routeOf(req: Request): string {
  return `${req.method} ${req.baseUrl}${(req.route as { path?: unknown } | undefined)?.path ?? req.path}`.slice(0, 200);
}
