import type { ApiConfig } from './api-config.ts';

/** A connection string reduced to what may be logged: scheme and hosts, never user, password or options. */
export function redactConnectionString(uri: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/?#]*)/iu.exec(uri);
  return m === null ? '[unparseable]' : `${m[1]}://${m[2]}`;
}

/**
 * A log-safe summary of the configuration: no secrets, no keys, connection strings as hosts only.
 * This is the only form of the configuration that may be logged.
 */
export function describeConfig(config: ApiConfig): Record<string, unknown> {
  return {
    env: config.env,
    host: config.host,
    port: config.port,
    dataDir: config.dataDir,
    publicUrl: config.publicUrl,
    secureCookies: config.secureCookies,
    trustProxyHops: config.trustProxyHops,
    jwt: {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      accessTtlSec: config.jwt.accessTtlSec,
      keys: config.jwt.keys.source === 'dev' ? 'dev (data dir)' : { kids: config.jwt.keys.keys.map((k) => k.kid), activeKid: config.jwt.keys.activeKid },
    },
    session: config.session,
    rateLimits: config.rateLimits,
    lockout: config.lockout,
    argon2: config.argon2,
    require2faForAdmins: config.require2faForAdmins,
    bootstrapAdmin: config.bootstrapAdmin === null ? null : { email: config.bootstrapAdmin.email },
    store: config.mongo === null ? 'sqlite' : { mongo: redactConnectionString(config.mongo.uri), db: config.mongo.dbName },
    blobs: config.s3 === null ? 'directory' : { s3: redactConnectionString(config.s3.endpoint), bucket: config.s3.bucket },
    sandbox: { url: redactConnectionString(config.sandbox.url), token: config.sandbox.token === null ? 'unset' : 'set' },
    metrics: config.metricsToken === null ? 'off' : 'on (token set)',
    secretsKey: config.secretsKey.source === 'dev' ? 'dev (data dir)' : { keyIds: config.secretsKey.keys.map((k) => k.id ?? '(derived)'), active: config.secretsKey.activeId ?? '(derived)' },
    datasetLimits: config.datasetLimits,
    ingest: config.ingest,
    minFreeDiskBytes: config.minFreeDiskBytes,
    allowCidrs: config.allowCidrs ?? 'everyone',
    passwordMaxAgeDays: config.passwordMaxAgeMs === null ? 'never' : config.passwordMaxAgeMs / 86_400_000,
    disableInactiveDays: config.disableInactiveMs === null ? 'never' : config.disableInactiveMs / 86_400_000,
    auditRetentionDays: config.auditRetentionMs === null ? 'forever' : config.auditRetentionMs / 86_400_000,
    localLogin: config.localLogin,
    // Everything about single sign-on but the client secret, of which only its presence.
    oidc:
      config.oidc === null
        ? 'off'
        : {
            issuer: config.oidc.issuer,
            clientId: config.oidc.clientId,
            clientSecret: config.oidc.clientSecret === null ? 'none (public client)' : 'set',
            displayName: config.oidc.displayName,
            scopes: config.oidc.scopes,
            groupsClaim: config.oidc.groupsClaim,
            groupMap: config.oidc.groupMap,
            adminGroups: config.oidc.adminGroups,
            defaultRole: config.oidc.defaultRole,
            linkByEmail: config.oidc.linkByEmail,
            autoCreate: config.oidc.autoCreate,
            redirectUri: config.oidc.redirectUri,
          },
  };
}
