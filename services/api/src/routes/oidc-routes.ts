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
import { NO_PASSWORD_HASH, isAuthError } from '@plotbox/auth';
import { isStoreError, type User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { reqMeta } from '../context.ts';
import { readCookies } from '../cookies.ts';
import { ApiError, type ApiErrorCode } from '../errors.ts';
import { OidcError, createOidcClient, planSsoSync, safeNext, type OidcClient, type OidcIdentity } from '../oidc.ts';
import { startSession } from './auth-routes.ts';

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
    stringifySetCookie({ name: bindingCookieName(ctx.config.secureCookies), value, httpOnly: true, sameSite: 'lax', secure: ctx.config.secureCookies || req.secure, path: OIDC_CALLBACK_PATH, maxAge: maxAgeSec }),
  );
}

/** Failure of a sign-on, with the code the sign-in page shows and the reason the audit records. */
class SsoFailure extends Error {
  readonly code: ApiErrorCode;
  readonly reason: string;
  readonly userId: string | null;
  constructor(code: ApiErrorCode, reason: string, userId: string | null = null) {
    super(reason);
    this.code = code;
    this.reason = reason;
    this.userId = userId;
  }
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
      await ctx.audit({ action: 'login_failure', outcome: 'failure', actor: { kind: 'anonymous', userId: null }, target: f.userId === null ? null : { type: 'user', id: f.userId }, ...meta, details: { via: 'oidc', reason: f.reason, ...extra } });
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
    let user: User;
    try {
      user = await accountFor(ctx, identity, req);
      user = await syncFromProvider(ctx, user, identity, req);
    } catch (err) {
      if (err instanceof SsoFailure) return fail(err);
      throw err;
    }
    await startSession(ctx, req, res, user);
    await ctx.store.users.markActive(user.id);
    ctx.metrics.ssoLogin('success');
    await ctx.audit({ action: 'login_success', outcome: 'success', actor: { kind: 'user', userId: user.id }, target: { type: 'user', id: user.id }, ...meta, details: { via: 'oidc', issuer: identity.issuer.slice(0, 200) } });
    setBindingCookie(req, res, ctx, '', 0);
    res.redirect(303, safeNext(record.next));
  });

  return router;
}

/** The account of a provider identity: linked already, linked now by verified email (if allowed), or created. */
async function accountFor(ctx: AppContext, identity: OidcIdentity, req: Request): Promise<User> {
  const oidc = ctx.config.oidc;
  if (oidc === null) throw new ApiError('AUTH_SSO_NOT_CONFIGURED');
  const ref = { issuer: identity.issuer, subject: identity.subject };
  const linked = await ctx.store.users.findByIdentity(ref);
  if (linked !== null) {
    if (linked.disabled) throw new SsoFailure('AUTH_ACCOUNT_DISABLED', linked.disabledReason === 'inactive' ? 'disabled_inactive' : 'disabled', linked.id);
    return linked;
  }
  // First sign-in: an account is found or made only by an address the provider vouches for.
  if (identity.verifiedEmail === null) throw new SsoFailure('AUTH_SSO_EMAIL_UNVERIFIED', identity.email === null ? 'email_missing' : 'email_unverified');
  const byEmail = await ctx.store.users.findByEmail(identity.verifiedEmail);
  if (byEmail !== null) {
    if (!oidc.linkByEmail) throw new SsoFailure('AUTH_SSO_EMAIL_TAKEN', 'email_taken', byEmail.id);
    if (byEmail.disabled) throw new SsoFailure('AUTH_ACCOUNT_DISABLED', byEmail.disabledReason === 'inactive' ? 'disabled_inactive' : 'disabled', byEmail.id);
    try {
      await ctx.store.users.addIdentity(byEmail.id, ref);
    } catch (err) {
      // The identity was linked to someone else meanwhile.
      if (isStoreError(err, 'STORE_CONFLICT')) throw new SsoFailure('AUTH_SSO_FAILED', 'identity_conflict', byEmail.id);
      throw err;
    }
    await ctx.audit({ action: 'sso_link', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: byEmail.id }, ...reqMeta(req), details: { issuer: identity.issuer.slice(0, 200), by: 'verified_email' } });
    return byEmail;
  }
  if (!oidc.autoCreate) throw new SsoFailure('AUTH_SSO_NO_ACCOUNT', 'no_account');
  try {
    const created = await ctx.store.users.create({
      email: identity.verifiedEmail,
      displayName: identity.name ?? identity.verifiedEmail.split('@')[0] ?? identity.verifiedEmail,
      // No Plotbox password: password sign-in, password change and Plotbox's own 2FA do not apply.
      passwordHash: NO_PASSWORD_HASH,
      systemRole: oidc.defaultRole,
      identity: ref,
    });
    await ctx.audit({ action: 'sso_user_create', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: created.id }, ...reqMeta(req), details: { issuer: identity.issuer.slice(0, 200), systemRole: created.systemRole } });
    return created;
  } catch (err) {
    // Two first sign-ins at once: the other one made the account.
    if (isStoreError(err, 'STORE_CONFLICT') && err.reason === 'users.identity') {
      const winner = await ctx.store.users.findByIdentity(ref);
      if (winner !== null) return winner;
    }
    if (isStoreError(err, 'STORE_CONFLICT') && err.reason === 'users.email') throw new SsoFailure('AUTH_SSO_EMAIL_TAKEN', 'email_taken');
    throw err;
  }
}

/**
 * What the provider decides, applied at every sign-in: the display name, memberships of the mapped
 * groups (added and removed; other groups untouched; a mapped group that does not exist yet is
 * created), and the system role when admin groups are configured.
 */
async function syncFromProvider(ctx: AppContext, user: User, identity: OidcIdentity, req: Request): Promise<User> {
  const oidc = ctx.config.oidc;
  if (oidc === null) return user;
  const plan = planSsoSync(identity.groups, oidc, user.systemRole);
  const patch: { displayName?: string; systemRole?: User['systemRole'] } = {};
  if (identity.name !== null && identity.name !== user.displayName) patch.displayName = identity.name;
  if (plan.role !== null) patch.systemRole = plan.role;
  let current = user;
  if (Object.keys(patch).length > 0) {
    try {
      current = await ctx.store.users.update(user.id, user.version, patch);
    } catch (err) {
      if (!isStoreError(err, 'STORE_VERSION_MISMATCH')) throw err;
      const latest = await ctx.store.users.findById(user.id);
      if (latest === null) throw new SsoFailure('AUTH_SSO_FAILED', 'account_gone');
      current = await ctx.store.users.update(latest.id, latest.version, patch);
    }
    if (plan.role !== null) {
      await ctx.audit({ action: 'sso_role_sync', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: user.id }, ...reqMeta(req), details: { from: user.systemRole, to: plan.role } });
    }
  }
  if (plan.managed.length > 0) {
    const member = new Set(plan.member);
    const mine = new Set((await ctx.store.groups.listForUser(user.id)).map((g) => g.name));
    const added: string[] = [];
    const removed: string[] = [];
    for (const name of plan.managed) {
      const want = member.has(name);
      if (want === mine.has(name)) continue;
      let group = await ctx.store.groups.findByName(name);
      if (group === null) {
        if (!want) continue;
        try {
          group = await ctx.store.groups.create({ name });
          await ctx.audit({ action: 'group_create', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'group', id: group.id }, ...reqMeta(req), details: { name, via: 'oidc_group_map' } });
        } catch (err) {
          if (!isStoreError(err, 'STORE_CONFLICT')) throw err;
          group = await ctx.store.groups.findByName(name);
          if (group === null) throw err;
        }
      }
      if (want) {
        await ctx.store.groups.addMember(group.id, user.id);
        added.push(name);
      } else {
        await ctx.store.groups.removeMember(group.id, user.id);
        removed.push(name);
      }
    }
    if (added.length > 0 || removed.length > 0) {
      await ctx.audit({ action: 'sso_group_sync', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: user.id }, ...reqMeta(req), details: { added, removed } });
    }
  }
  return current;
}
