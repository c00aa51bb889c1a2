/**
 * Single sign-on with an OpenID Connect provider, over openid-client (a certified relying-party
 * library): discovery, the authorization request (code flow with PKCE S256, `state` and `nonce`),
 * and the callback (the authorization response checked against the expected `state` and the
 * provider's `iss` parameter, the code exchanged with the verifier, the ID token's signature checked
 * against the provider's JWKS and its `iss`, `aud`, `exp`, `iat` and `nonce` checked), plus the
 * user info. The pure parts (where to go afterwards, which groups a user is in, what to change in
 * Plotbox) are functions of their inputs, tested apart.
 */
import * as client from 'openid-client';
import { PlotboxError } from '@plotbox/errors';
import type { OidcConfig } from '@plotbox/config';
import type { SystemRole } from '@plotbox/store';

/** Why a sign-on failed, as far as the provider or its answer is concerned (logged, never shown raw). */
export class OidcError extends PlotboxError<'OIDC_DISCOVERY' | 'OIDC_RESPONSE', never> {
  /** `discovery` (the provider cannot be reached or described itself wrongly) or `response` (its answer was refused). */
  readonly kind: 'discovery' | 'response';
  /** openid-client's error code, e.g. `OAUTH_JWT_CLAIM_COMPARISON_FAILED` (no values in it). */
  readonly detail: string;
  constructor(kind: 'discovery' | 'response', detail: string, cause?: unknown) {
    super(kind === 'discovery' ? 'OIDC_DISCOVERY' : 'OIDC_RESPONSE', `single sign-on ${kind} failed (${detail})`, cause === undefined ? {} : { cause });
    this.name = 'OidcError';
    this.kind = kind;
    this.detail = detail;
  }
}

/** What the provider says about the user, after every check passed. */
export interface OidcIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** Present only when the provider says it is verified (`email_verified: true`). */
  readonly verifiedEmail: string | null;
  /** The email as given, verified or not (for messages and audit only). */
  readonly email: string | null;
  readonly name: string | null;
  readonly groups: readonly string[];
}

/** What a sign-on started: the URL to send the browser to, and what the callback must find again. */
export interface OidcStart {
  readonly url: URL;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface OidcClient {
  /** The authorization request. @throws {@link OidcError} `discovery`. */
  begin(): Promise<OidcStart>;
  /**
   * Check the authorization response (`callbackQuery`: the callback's query string) and exchange
   * its code. @throws {@link OidcError}.
   */
  finish(callbackQuery: string, expected: { readonly state: string; readonly nonce: string; readonly codeVerifier: string }): Promise<OidcIdentity>;
}

const DISCOVERY_TTL_MS = 3_600_000;
const HTTP_TIMEOUT_SEC = 10;

/**
 * Build the client. Discovery happens at the first sign-on (so the API starts while the provider
 * is down) and is kept an hour; a failed discovery is retried by the next sign-on. Signing keys
 * are fetched and refreshed by openid-client as the provider rotates them.
 */
export function createOidcClient(config: OidcConfig, options: { readonly now: () => Date }): OidcClient {
  if (config.scopes.indexOf('openid') < 0) throw new Error('scopes must include openid');
  let discovered: { at: number; config: Promise<client.Configuration> } | null = null;
  const configuration = (): Promise<client.Configuration> => {
    const t = options.now().getTime();
    if (discovered === null || t - discovered.at > DISCOVERY_TTL_MS) {
      const pending = client
        .discovery(
          new URL(config.issuer),
          config.clientId,
          config.clientSecret === null ? undefined : config.clientSecret,
          config.clientSecret === null ? client.None() : client.ClientSecretBasic(config.clientSecret),
          { timeout: HTTP_TIMEOUT_SEC, ...(config.allowHttp ? { execute: [client.allowInsecureRequests] } : {}) },
        )
        .catch((err: unknown) => {
          if (discovered?.config === pending) discovered = null;
          throw new OidcError('discovery', codeOf(err), err);
        });
      discovered = { at: t, config: pending };
    }
    return discovered.config;
  };

  return {
    async begin() {
      const c = await configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(c, {
        redirect_uri: config.redirectUri,
        scope: config.scopes.join(' '),
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url, state, nonce, codeVerifier };
    },
    async finish(callbackQuery, expected) {
      const c = await configuration();
      // The redirect URI as registered, with the provider's answer: openid-client sends the URL
      // without its query as redirect_uri, so it must be exactly the registered one.
      const current = new URL(config.redirectUri);
      current.search = callbackQuery;
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(c, current, { pkceCodeVerifier: expected.codeVerifier, expectedState: expected.state, expectedNonce: expected.nonce, idTokenExpected: true });
      } catch (err) {
        throw new OidcError('response', codeOf(err), err);
      }
      const claims = tokens.claims();
      if (claims === undefined) throw new OidcError('response', 'NO_ID_TOKEN');
      const issuer = c.serverMetadata().issuer;
      let info: Record<string, unknown> = {};
      if (c.serverMetadata().userinfo_endpoint !== undefined && typeof tokens.access_token === 'string') {
        try {
          // The user info must be about the ID token's subject (checked by openid-client).
          info = { ...(await client.fetchUserInfo(c, tokens.access_token, claims.sub)) };
        } catch (err) {
          throw new OidcError('response', codeOf(err), err);
        }
      }
      return identityFromClaims(issuer, { ...info, ...claims }, config.groupsClaim);
    },
  };
}

/** An error's code for logs: openid-client's `code`, or its class name; never its message (which may quote values). */
function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,80}$/u.test(code)) return code;
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[A-Za-z]{1,60}$/u.test(name) ? name : 'unknown';
}

const MAX_GROUPS = 1000;
const MAX_GROUP_CHARS = 1000;

/**
 * The identity from checked claims (the ID token's, over the user info's): subject, the email only
 * when `email_verified` is the boolean `true` (a string "true" from a sloppy provider is not), a
 * display name, and the groups.
 */
export function identityFromClaims(issuer: string, claims: Record<string, unknown>, groupsClaim: string): OidcIdentity {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '' || sub.length > 255) throw new OidcError('response', 'BAD_SUBJECT');
  const email = typeof claims.email === 'string' && /^[^\s@]{1,64}@[^\s@]{1,190}$/u.test(claims.email) ? claims.email : null;
  const verifiedEmail = email !== null && claims.email_verified === true ? email : null;
  const nameClaim = [claims.name, claims.preferred_username].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  const name = nameClaim === undefined ? null : nameClaim.trim().slice(0, 200);
  return { issuer, subject: sub, verifiedEmail, email, name, groups: groupsOf(claims, groupsClaim) };
}

/**
 * The groups claim: looked up by its exact name first (names like `https://example.com/groups` hold
 * dots), then as a dotted path (`realm_access.roles`). A string is one group; anything else
 * non-string is ignored. Bounded.
 */
export function groupsOf(claims: Record<string, unknown>, claim: string): readonly string[] {
  let value: unknown = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
  if (value === undefined && claim.includes('.')) {
    value = claim
      .split('.')
      .reduce<unknown>((at, key) => (typeof at === 'object' && at !== null && !Array.isArray(at) && Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined), claims);
  }
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return [...new Set(list.filter((g): g is string => typeof g === 'string' && g !== '' && g.length <= MAX_GROUP_CHARS))].slice(0, MAX_GROUPS);
}

/** What a sign-on changes in Plotbox: memberships of the mapped groups and, optionally, the system role. */
export interface SsoSyncPlan {
  /** Every Plotbox group the mapping manages (memberships of other groups are never touched). */
  readonly managed: readonly string[];
  /** The managed groups the user belongs in now. */
  readonly member: readonly string[];
  /** The system role to set, or `null` to leave it. */
  readonly role: SystemRole | null;
}

/**
 * Pure: from the provider's groups and the configuration, the memberships of mapped groups (added
 * and removed: the provider decides them at every sign-in) and the system role (when admin groups
 * are configured: admin for their members, and an admin who left them drops to the default role).
 */
export function planSsoSync(groups: readonly string[], config: Pick<OidcConfig, 'groupMap' | 'adminGroups' | 'defaultRole'>, currentRole: SystemRole): SsoSyncPlan {
  const managed = new Set<string>();
  const member = new Set<string>();
  const has = new Set(groups);
  for (const [from, to] of Object.entries(config.groupMap)) {
    for (const name of to) {
      managed.add(name);
      if (has.has(from)) member.add(name);
    }
  }
  let role: SystemRole | null = null;
  if (config.adminGroups.length > 0) {
    const admin = config.adminGroups.some((g) => has.has(g));
    if (admin && currentRole !== 'admin') role = 'admin';
    else if (!admin && currentRole === 'admin') role = config.defaultRole;
  }
  return { managed: [...managed].sort(), member: [...member].sort(), role };
}

/**
 * Where to send the browser after signing in: `next` if it is a path on this site (`/`, `/#/...`),
 * else `/`. Refuses anything a browser could read as another origin: `//host`, `/\host`, schemes,
 * control characters, and over-long values.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 1000 || !next.startsWith('/') || /^\/[/\\]/u.test(next) || /[\p{Cc}\\]/u.test(next)) return '/';
  const base = new URL('https://plotbox.invalid/');
  let resolved: URL;
  try {
    resolved = new URL(next, base);
  } catch {
    return '/';
  }
  return resolved.origin === base.origin ? next : '/';
}
