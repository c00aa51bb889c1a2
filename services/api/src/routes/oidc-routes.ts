/**
 * Single sign-on routes: what the sign-in page may offer (`GET /api/auth/options`), the start of a
 * sign-on (`GET /api/auth/oidc/start?next=/...`: a redirect to the provider) and its end
 * (`GET /api/auth/oidc/callback`: the provider's redirect back, which signs the browser in with
 * the same cookies as a password sign-in and redirects to the UI).
 *
 * The flow's one-time values live in the store (`settings`, by the state's hash, 10 minutes), so
 * any replica finishes what any replica started, and once: the record is deleted by the callback
 * that uses it. The PKCE verifier is sealed with the secrets key. The flow is bound to the browser
 * that started it by a random value in an HttpOnly cookie scoped to the callback, whose hash the
 * record keeps: a callback URL carried to another browser (login CSRF) is refused. Failures
 * redirect to the sign-in page with `sso_error=<code>` (the API's error codes), audited with the
 * reason and counted; nothing about them is put in the URL beyond the code.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { stringifySetCookie } from 'cookie';
import { isAuthError } from '@plotbox/auth';
import type { AppContext } from '../context.ts';
import { reqMeta, sessionClientOf } from '../context.ts';
import { readCookies, setSessionCookies } from '../cookies.ts';
import { ApiError, type ApiErrorCode } from '../errors.ts';
import { OidcError, createOidcClient, safeNext, type OidcClient, type OidcIdentity } from '../oidc.ts';
import { SsoFailure, ssoSignIn } from '../use-cases/sso-sign-in.ts';
import { startSession } from '../use-cases/start-session.ts';

export const OIDC_START_PATH = '/api/auth/oidc/start';
export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';
/** How long a started sign-on may take at the provider. */
const FLOW_TTL_MS = 10 * 60_000;
const STATE = /^[A-Za-z0-9_-]{16,200}$/u;
const BINDING = /^[A-Za-z0-9_-]{43}$/u;

interface FlowRecord {
  readonly binding: string;
  readonly nonce: string;
  /** Sealed with the secrets key, for this record only. */
  readonly verifier: string;
  readonly next: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

function flowKey(state: string): string {
  return `oidc:flow:${sha256(state)}`;
}

function bindingCookieName(secure: boolean): string {
  // Not __Host-: that prefix demands Path=/, and this cookie must only ever reach the callback.
  return secure ? '__Secure-plotbox_sso' : 'plotbox_sso';
}

function setBindingCookie(req: Request, res: Response, ctx: AppContext, value: string, maxAgeSec: number): void {
  res.append(
    'Set-Cookie',
    // Lax: the provider's redirect back is a top-level GET navigation from its site, which Lax allows.
    stringifySetCookie({
      name: bindingCookieName(ctx.config.secureCookies),
      value,
      httpOnly: true,
      sameSite: 'lax',
      secure: ctx.config.secureCookies || req.secure,
      path: OIDC_CALLBACK_PATH,
      maxAge: maxAgeSec,
    }),
  );
}

/** Routes of single sign-on; `limit` is the per-address sign-in limiter. */
export function oidcRoutes(ctx: AppContext, limit: RequestHandler): Router {
  const router = Router();
  const oidc = ctx.config.oidc;
  const sso: OidcClient | null = oidc === null ? null : createOidcClient(oidc, { now: ctx.now });

  router.get('/api/auth/options', (_req, res) => {
    res.json({ localLogin: ctx.config.localLogin, sso: oidc === null ? null : { name: oidc.displayName, startUrl: OIDC_START_PATH } });
  });

  const toSignIn = (res: Response, code: ApiErrorCode): void => {
    res.redirect(303, `/#/login?sso_error=${code}`);
  };

  router.get(OIDC_START_PATH, limit, async (req, res) => {
    if (sso === null) throw new ApiError('AUTH_SSO_NOT_CONFIGURED');
    const next = safeNext(req.query.next);
    let start;
    try {
      start = await sso.begin();
    } catch (err) {
      ctx.logger.warn({ reason: err instanceof OidcError ? err.detail : 'unknown' }, 'single sign-on: the provider cannot be reached or described');
      ctx.metrics.ssoLogin('unavailable');
      toSignIn(res, 'AUTH_SSO_UNAVAILABLE');
      return;
    }
    // One binding per browser: flows started in several tabs at once all stay valid.
    const existing = readCookies(req)[bindingCookieName(ctx.config.secureCookies)];
    const binding = existing !== undefined && BINDING.test(existing) ? existing : randomBytes(32).toString('base64url');
    const key = flowKey(start.state);
    const record: FlowRecord = { binding: sha256(binding), nonce: start.nonce, verifier: ctx.secrets.seal(start.codeVerifier, key), next };
    const { created } = await ctx.store.settings.putIfAbsent(key, { ...record }, { expiresAt: new Date(ctx.now().getTime() + FLOW_TTL_MS) });
    if (!created) throw new ApiError('API_CONFLICT');
    setBindingCookie(req, res, ctx, binding, FLOW_TTL_MS / 1000);
    res.redirect(303, start.url.href);
  });

  router.get(OIDC_CALLBACK_PATH, limit, async (req, res) => {
    const meta = reqMeta(req);
    if (sso === null || oidc === null) throw new ApiError('AUTH_SSO_NOT_CONFIGURED');
    const fail = async (f: SsoFailure, extra: Record<string, string> = {}): Promise<void> => {
      ctx.metrics.ssoLogin(f.reason);
      await ctx.audit({
        action: 'login_failure',
        outcome: 'failure',
        actor: { kind: 'anonymous', userId: null },
        target: f.userId === null ? null : { type: 'user', id: f.userId },
        ...meta,
        details: { via: 'oidc', reason: f.reason, ...extra },
      });
      toSignIn(res, f.code);
    };
    const cookieName = bindingCookieName(ctx.config.secureCookies);
    const binding = readCookies(req)[cookieName];
    const query = typeof req.url === 'string' && req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const params = new URLSearchParams(query);
    const state = params.get('state');
    if (state === null || !STATE.test(state) || query.length > 8192) return fail(new SsoFailure('AUTH_SSO_FAILED', 'state_invalid'));
    const key = flowKey(state);
    const found = await ctx.store.settings.get(key);
    // Single use: of two callbacks with this state (a replay, a double click), one deletes the record.
    if (found === null || !(await ctx.store.settings.delete(key))) return fail(new SsoFailure('AUTH_SSO_FAILED', 'state_unknown'));
    const record = found.value as unknown as FlowRecord;
    if (binding === undefined || !BINDING.test(binding) || !timingSafeEqual(Buffer.from(sha256(binding)), Buffer.from(String(record.binding)))) {
      return fail(new SsoFailure('AUTH_SSO_FAILED', 'browser_mismatch'));
    }
    const providerError = params.get('error');
    if (providerError !== null) {
      return fail(new SsoFailure('AUTH_SSO_FAILED', 'provider_error'), { providerError: /^[a-z_]{1,60}$/u.test(providerError) ? providerError : 'other' });
    }
    let identity: OidcIdentity;
    try {
      identity = await sso.finish(query, { state, nonce: record.nonce, codeVerifier: ctx.secrets.open(record.verifier, key) });
    } catch (err) {
      if (err instanceof OidcError) {
        ctx.logger.warn({ kind: err.kind, reason: err.detail }, 'single sign-on: the provider’s answer was refused');
        return fail(new SsoFailure(err.kind === 'discovery' ? 'AUTH_SSO_UNAVAILABLE' : 'AUTH_SSO_FAILED', err.kind === 'discovery' ? 'unavailable' : 'response_invalid'), { check: err.detail });
      }
      if (isAuthError(err, 'AUTH_SECRET_UNREADABLE')) return fail(new SsoFailure('AUTH_SSO_FAILED', 'state_unreadable'));
      throw err;
    }
    let user;
    try {
      user = await ssoSignIn(ctx, identity, meta);
    } catch (err) {
      if (err instanceof SsoFailure) return fail(err);
      throw err;
    }
    const tokens = await startSession(ctx, user, sessionClientOf(req));
    setSessionCookies(req, res, ctx.config.secureCookies, tokens, ctx.now().getTime());
    await ctx.store.users.markActive(user.id);
    ctx.metrics.ssoLogin('success');
    await ctx.audit({
      action: 'login_success',
      outcome: 'success',
      actor: { kind: 'user', userId: user.id },
      target: { type: 'user', id: user.id },
      ...meta,
      details: { via: 'oidc', issuer: identity.issuer.slice(0, 200) },
    });
    setBindingCookie(req, res, ctx, '', 0);
    res.redirect(303, safeNext(record.next));
  });

  return router;
}
