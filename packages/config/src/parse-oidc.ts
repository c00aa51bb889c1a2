import type { OidcConfig } from './api-config.ts';
import { ConfigError } from './config-error.ts';

const GROUP_NAME_MAX = 200;

/** `PLOTBOX_OIDC_*`; `null` when `PLOTBOX_OIDC_ISSUER` is not set (and nothing else of it is). */
export function parseOidc(
  str: (name: string) => string | undefined,
  secret: (name: string) => string | undefined,
  bool: (name: string, fallback: boolean) => boolean,
  production: boolean,
  publicUrl: string,
): OidcConfig | null {
  const issuerRaw = str('PLOTBOX_OIDC_ISSUER');
  const clientId = str('PLOTBOX_OIDC_CLIENT_ID');
  const clientSecret = secret('PLOTBOX_OIDC_CLIENT_SECRET') ?? null;
  if (issuerRaw === undefined) {
    const stray = [
      'PLOTBOX_OIDC_CLIENT_ID',
      'PLOTBOX_OIDC_NAME',
      'PLOTBOX_OIDC_SCOPES',
      'PLOTBOX_OIDC_GROUPS_CLAIM',
      'PLOTBOX_OIDC_GROUP_MAP',
      'PLOTBOX_OIDC_ADMIN_GROUPS',
      'PLOTBOX_OIDC_DEFAULT_ROLE',
      'PLOTBOX_OIDC_LINK_BY_EMAIL',
      'PLOTBOX_OIDC_AUTO_CREATE',
    ].find((n) => str(n) !== undefined);
    if (stray !== undefined || clientSecret !== null) throw new ConfigError(`${stray ?? 'PLOTBOX_OIDC_CLIENT_SECRET'} needs PLOTBOX_OIDC_ISSUER`);
    return null;
  }
  let issuer: URL;
  try {
    issuer = new URL(issuerRaw);
  } catch {
    throw new ConfigError('PLOTBOX_OIDC_ISSUER is not a URL');
  }
  if (issuer.protocol !== 'https:' && issuer.protocol !== 'http:') throw new ConfigError('PLOTBOX_OIDC_ISSUER must be an https URL');
  if (production && issuer.protocol !== 'https:') throw new ConfigError('PLOTBOX_OIDC_ISSUER must be https in production');
  if (issuer.username !== '' || issuer.password !== '' || issuer.search !== '' || issuer.hash !== '') throw new ConfigError('PLOTBOX_OIDC_ISSUER must not carry credentials, a query or a fragment');
  if (clientId === undefined) throw new ConfigError('PLOTBOX_OIDC_CLIENT_ID is required with PLOTBOX_OIDC_ISSUER');
  if (!/^[\x21-\x7e]{1,255}$/u.test(clientId)) throw new ConfigError('PLOTBOX_OIDC_CLIENT_ID must be 1 to 255 visible ASCII characters');
  if (clientSecret !== null && !/^[\x20-\x7e]{1,1024}$/u.test(clientSecret)) throw new ConfigError('PLOTBOX_OIDC_CLIENT_SECRET must be 1 to 1024 printable ASCII characters');

  const scopes = (str('PLOTBOX_OIDC_SCOPES') ?? 'openid email profile').split(/\s+/u).filter((x) => x !== '');
  if (!scopes.includes('openid')) throw new ConfigError('PLOTBOX_OIDC_SCOPES must include openid');
  if (scopes.length > 32 || !scopes.every((x) => /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/u.test(x))) throw new ConfigError('PLOTBOX_OIDC_SCOPES must be space-separated scope names');

  const groupsClaim = str('PLOTBOX_OIDC_GROUPS_CLAIM') ?? 'groups';
  if (!/^[\x21-\x7e]{1,200}$/u.test(groupsClaim)) throw new ConfigError('PLOTBOX_OIDC_GROUPS_CLAIM must be a claim name (or a dotted path)');

  const groupMap: Record<string, readonly string[]> = {};
  const mapRaw = str('PLOTBOX_OIDC_GROUP_MAP');
  if (mapRaw !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(mapRaw);
    } catch {
      throw new ConfigError('PLOTBOX_OIDC_GROUP_MAP must be JSON: {"provider group": "Plotbox group" or ["Plotbox group", ...]}');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError('PLOTBOX_OIDC_GROUP_MAP must be a JSON object');
    const entries = Object.entries(parsed as Record<string, unknown>);
    if (entries.length > 500) throw new ConfigError('PLOTBOX_OIDC_GROUP_MAP maps more than 500 groups');
    for (const [from, to] of entries) {
      const names = typeof to === 'string' ? [to] : Array.isArray(to) ? to : null;
      if (
        from === '' ||
        from.length > 1000 ||
        names === null ||
        names.length === 0 ||
        names.length > 50 ||
        !names.every((n): n is string => typeof n === 'string' && n.trim() !== '' && n.length <= GROUP_NAME_MAX)
      ) {
        throw new ConfigError(`PLOTBOX_OIDC_GROUP_MAP: the entry for ${JSON.stringify(from.slice(0, 60))} must name one or more Plotbox groups (1 to ${GROUP_NAME_MAX} characters)`);
      }
      groupMap[from] = [...new Set(names)];
    }
  }
  const adminGroups = (str('PLOTBOX_OIDC_ADMIN_GROUPS') ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (adminGroups.length > 50 || adminGroups.some((g) => g.length > 1000)) throw new ConfigError('PLOTBOX_OIDC_ADMIN_GROUPS must be a comma-separated list of at most 50 provider groups');
  const defaultRole = str('PLOTBOX_OIDC_DEFAULT_ROLE') ?? 'user';
  if (defaultRole !== 'user' && defaultRole !== 'viewer') throw new ConfigError('PLOTBOX_OIDC_DEFAULT_ROLE must be user or viewer (admins come from PLOTBOX_OIDC_ADMIN_GROUPS)');
  const displayName = str('PLOTBOX_OIDC_NAME') ?? issuer.hostname;
  if (displayName.length > 60 || /\p{Cc}/u.test(displayName)) throw new ConfigError('PLOTBOX_OIDC_NAME must be at most 60 characters without control characters');
  return {
    // As given (minus a trailing slash only if the provider's identifier has none: the provider decides).
    issuer: issuerRaw,
    clientId,
    clientSecret,
    displayName,
    scopes: [...new Set(scopes)],
    groupsClaim,
    groupMap,
    adminGroups: [...new Set(adminGroups)],
    defaultRole,
    linkByEmail: bool('PLOTBOX_OIDC_LINK_BY_EMAIL', false),
    autoCreate: bool('PLOTBOX_OIDC_AUTO_CREATE', true),
    redirectUri: `${publicUrl}/api/auth/oidc/callback`,
    allowHttp: !production,
  };
}
