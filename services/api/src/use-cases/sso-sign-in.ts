/**
 * Single sign-on's account side (SPEC §4, docs/architecture.md "Identity"): the Plotbox account of
 * an identity the provider vouched for — linked already, linked now by a verified email (when
 * allowed), or created — and what the provider decides, applied at every sign-in (display name,
 * mapped group memberships, the admin role when admin groups are configured). Refusals are
 * {@link SsoFailure}s: the sign-in page shows their code, the audit log their reason.
 */
import { NO_PASSWORD_HASH } from '@plotbox/auth';
import { PlotboxError } from '@plotbox/errors';
import { isStoreError, type User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { ApiError, type ApiErrorCode } from '../errors.ts';
import { planSsoSync, type OidcIdentity } from '../oidc.ts';
import type { RequestMeta } from '../context.ts';

export type SsoDeps = Pick<AppContext, 'store' | 'config' | 'audit'>;

/** Why a sign-on was refused, as the audit log records it. */
export type SsoFailureReason =
  | 'state_invalid'
  | 'state_unknown'
  | 'state_unreadable'
  | 'browser_mismatch'
  | 'provider_error'
  | 'unavailable'
  | 'response_invalid'
  | 'disabled'
  | 'disabled_inactive'
  | 'email_missing'
  | 'email_unverified'
  | 'email_taken'
  | 'identity_conflict'
  | 'no_account'
  | 'account_gone';

/** A refused sign-on: the API code the sign-in page shows, the reason the audit records, and whose account (if any). */
export class SsoFailure extends PlotboxError<ApiErrorCode, SsoFailureReason> {
  declare readonly reason: SsoFailureReason;
  readonly userId: string | null;
  constructor(code: ApiErrorCode, reason: SsoFailureReason, userId: string | null = null) {
    super(code, reason, { reason });
    this.name = 'SsoFailure';
    this.userId = userId;
  }
}

/** The account `identity` signs in to, created or linked if need be, with what the provider decides applied. */
export async function ssoSignIn(deps: SsoDeps, identity: OidcIdentity, meta: RequestMeta): Promise<User> {
  return syncFromProvider(deps, await accountFor(deps, identity, meta), identity, meta);
}

/** The account of a provider identity: linked already, linked now by verified email (if allowed), or created. */
async function accountFor(ctx: SsoDeps, identity: OidcIdentity, meta: RequestMeta): Promise<User> {
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
    await ctx.audit({
      action: 'sso_link',
      outcome: 'success',
      actor: { kind: 'system', userId: null },
      target: { type: 'user', id: byEmail.id },
      ...meta,
      details: { issuer: identity.issuer.slice(0, 200), by: 'verified_email' },
    });
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
    await ctx.audit({
      action: 'sso_user_create',
      outcome: 'success',
      actor: { kind: 'system', userId: null },
      target: { type: 'user', id: created.id },
      ...meta,
      details: { issuer: identity.issuer.slice(0, 200), systemRole: created.systemRole },
    });
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
async function syncFromProvider(ctx: SsoDeps, user: User, identity: OidcIdentity, meta: RequestMeta): Promise<User> {
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
      await ctx.audit({
        action: 'sso_role_sync',
        outcome: 'success',
        actor: { kind: 'system', userId: null },
        target: { type: 'user', id: user.id },
        ...meta,
        details: { from: user.systemRole, to: plan.role },
      });
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
          await ctx.audit({
            action: 'group_create',
            outcome: 'success',
            actor: { kind: 'system', userId: null },
            target: { type: 'group', id: group.id },
            ...meta,
            details: { name, via: 'oidc_group_map' },
          });
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
      await ctx.audit({ action: 'sso_group_sync', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: user.id }, ...meta, details: { added, removed } });
    }
  }
  return current;
}
