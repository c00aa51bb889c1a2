/**
 * The API's configuration: read once from the environment by `services/api/src/main.ts` (and the
 * `plotbox` CLI), validated, defaulted and frozen. Pure apart from the injected `readFile`, used
 * only for `*_FILE` secrets (Kubernetes secrets mounted as files).
 */

import ipaddr from 'ipaddr.js';
import { PlotboxError } from '@plotbox/errors';

/** Thrown for any refused configuration. Messages name variables, never secret values. */
export class ConfigError extends PlotboxError<'CONFIG_INVALID', never> {
  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super('CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
  }
}

export const PLOTBOX_ENVS = ['dev', 'production'] as const;
export type PlotboxEnv = (typeof PLOTBOX_ENVS)[number];

/** One signing/verification key as configured (validated cryptographically by `@plotbox/auth`). */
export interface JwtKeyConfig {
  readonly kid: string;
  readonly publicKeyPem: string;
  readonly privateKeyPem?: string;
}

/** Single sign-on with an OpenID Connect provider (`PLOTBOX_OIDC_*`). */
export interface OidcConfig {
  /** The issuer identifier exactly as the provider publishes it (discovery must say the same). */
  readonly issuer: string;
  readonly clientId: string;
  /** `null`: a public client (PKCE only, no client authentication). */
  readonly clientSecret: string | null;
  /** Shown on the sign-in button: "Sign in with <displayName>". */
  readonly displayName: string;
  /** Always includes `openid`. */
  readonly scopes: readonly string[];
  /** The claim holding the user's groups: a claim name, or a dotted path into nested claims. */
  readonly groupsClaim: string;
  /** Provider group → Plotbox group names. Memberships of the mapped Plotbox groups follow the provider at every sign-in. */
  readonly groupMap: Readonly<Record<string, readonly string[]>>;
  /** Provider groups whose members are system admins; empty: sign-in never changes system roles. */
  readonly adminGroups: readonly string[];
  /** The system role of accounts created by a first sign-in (and of admins no longer in an admin group). */
  readonly defaultRole: 'user' | 'viewer';
  /** Link a first sign-in to an existing account with the same (verified) email, instead of refusing it. */
  readonly linkByEmail: boolean;
  /** Create accounts at a first sign-in; off: only linked accounts may sign in. */
  readonly autoCreate: boolean;
  /** `<public URL>/api/auth/oidc/callback`: register exactly this at the provider. */
  readonly redirectUri: string;
  /** Plain-http provider URLs (dev only; production requires https). */
  readonly allowHttp: boolean;
}

/** Where the JWT keys come from: configured (files/env), or generated into the data dir (dev only). */
export type JwtKeysConfig =
  | { readonly source: 'configured'; readonly keys: readonly JwtKeyConfig[]; readonly activeKid: string }
  | { readonly source: 'dev'; readonly dir: string };

/** The key ring sealing secrets kept in the store (TOTP secrets): configured, or generated in dev. */
export type SecretsKeyConfig =
  | { readonly source: 'configured'; readonly keys: readonly { readonly id: string | null; readonly key: string }[]; readonly activeId: string | null }
  | { readonly source: 'dev'; readonly dir: string };

export interface RateLimitConfig {
  readonly limit: number;
  readonly windowMs: number;
}

export interface ApiConfig {
  readonly env: PlotboxEnv;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** As given (normalised by `URL`), without a trailing slash. */
  readonly publicUrl: string;
  /** `scheme://host[:port]` of the public URL: "the service's own" origin for the CSRF check. */
  readonly publicOrigin: string;
  /** `true` when the public URL is https: cookies are `Secure`. */
  readonly secureCookies: boolean;
  /** How many reverse-proxy hops may set `X-Forwarded-For` / `X-Forwarded-Proto` (0 = none). */
  readonly trustProxyHops: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly maxBodyBytes: number;
  /** Dataset upload cap, bytes (`PLOTBOX_MAX_UPLOAD_MB`, default 100 MiB). */
  /** Seed the demo project into a fresh store at start (`PLOTBOX_SEED_DEMO`; default on in dev, off in production). */
  readonly seedDemo: boolean;
  readonly maxUploadBytes: number;
  readonly jwt: {
    readonly issuer: string;
    readonly audience: string;
    readonly accessTtlSec: number;
    readonly keys: JwtKeysConfig;
  };
  readonly session: { readonly idleMs: number; readonly absoluteMs: number };
  /** `authFailures`: invalid tokens and API keys per client address before it is refused for a while. */
  readonly rateLimits: { readonly login: RateLimitConfig; readonly api: RateLimitConfig; readonly authFailures: RateLimitConfig };
  readonly lockout: { readonly maxFailures: number; readonly lockMs: number };
  readonly argon2: { readonly memoryCost: number; readonly timeCost: number; readonly parallelism: number };
  readonly require2faForAdmins: boolean;
  /** How long the one-time setup link printed on a first start stays valid. */
  readonly setupTokenTtlMs: number;
  /** `PLOTBOX_ADMIN_*` bootstrap; `null` when not set. */
  readonly bootstrapAdmin: { readonly email: string; readonly password: string; readonly displayName: string } | null;
  /** `null`: the embedded SQLite store at `<dataDir>/plotbox.db`. */
  readonly mongo: { readonly uri: string; readonly dbName: string } | null;
  /** `null`: datasets in `<dataDir>/blobs`. */
  readonly s3: {
    readonly endpoint: string;
    readonly bucket: string;
    readonly region: string;
    readonly accessKey: string;
    readonly secretKey: string;
  } | null;
  readonly sandbox: { readonly url: string; readonly token: string | null };
  /** Seals secrets the store keeps (AES-256-GCM); key material as base64url, 32 bytes each. */
  readonly secretsKey: SecretsKeyConfig;
  /** Bearer token for `GET /metrics` (Prometheus); `null`: the endpoint is off. */
  readonly metricsToken: string | null;
  /** One set of dataset limits for every upload format (`PLOTBOX_DATASET_*`). */
  readonly datasetLimits: {
    readonly maxRows: number;
    readonly maxColumns: number;
    readonly maxFieldChars: number;
    readonly maxDecodedBytes: number;
    readonly maxStoredBytes: number;
  };
  /** Dataset ingest: worker processes, their queue, memory and time, staging of uploads. */
  readonly ingest: {
    readonly workers: number;
    /** Uploads that may wait for a worker beyond those running; more are refused with 503. */
    readonly queue: number;
    /** V8 heap of each ingest worker process, MiB. */
    readonly memoryMb: number;
    readonly timeoutMs: number;
    /** Where uploads are staged; `null`: `<dataDir>/staging`, or the OS temp dir with S3 blobs (resolved in main). */
    readonly stagingDir: string | null;
    /** How old leftovers of interrupted uploads must be before the sweeps remove them. */
    readonly graceMs: number;
  };
  /** Free space the data, blob and staging directories must keep, bytes; below it `/api/ready` fails. */
  readonly minFreeDiskBytes: number;
  /**
   * Client networks allowed to use the API and the UI (`PLOTBOX_ALLOW_CIDRS`), as normalised CIDRs
   * (IPv4 ranges of IPv4-mapped IPv6 written as IPv4); `null`: everyone. Health, readiness and
   * metrics stay reachable from anywhere.
   */
  readonly allowCidrs: readonly string[] | null;
  /** Passwords older than this must be changed at the next sign-in; `null`: they never expire. */
  readonly passwordMaxAgeMs: number | null;
  /** Accounts unused this long are disabled by the inactivity sweep; `null`: never. */
  readonly disableInactiveMs: number | null;
  /** Audit events older than this are deleted by the retention sweep; `null`: kept forever. */
  readonly auditRetentionMs: number | null;
  /** Password sign-in (`PLOTBOX_LOCAL_LOGIN`); off needs single sign-on. */
  readonly localLogin: boolean;
  /** `null`: no single sign-on. */
  readonly oidc: OidcConfig | null;
}

type Env = Readonly<Record<string, string | undefined>>;
type ReadFile = (path: string) => string;

/** Every `PLOTBOX_*` variable the API knows; any other is refused (a typo must not fall back to a default). */
export const KNOWN_PLOTBOX_VARIABLES = Object.freeze([
  'PLOTBOX_ENV',
  'PLOTBOX_HOST',
  'PLOTBOX_PORT',
  'PLOTBOX_DATA_DIR',
  'PLOTBOX_PUBLIC_URL',
  'PLOTBOX_TRUST_PROXY_HOPS',
  'PLOTBOX_LOG_LEVEL',
  'PLOTBOX_MAX_BODY_BYTES',
  'PLOTBOX_MAX_UPLOAD_MB',
  'PLOTBOX_JWT_ISSUER',
  'PLOTBOX_JWT_AUDIENCE',
  'PLOTBOX_JWT_KEYS',
  'PLOTBOX_JWT_KEYS_FILE',
  'PLOTBOX_JWT_ACTIVE_KID',
  'PLOTBOX_ACCESS_TOKEN_TTL_SEC',
  'PLOTBOX_SESSION_IDLE_MIN',
  'PLOTBOX_SESSION_ABSOLUTE_HOURS',
  'PLOTBOX_LOGIN_RATE_LIMIT',
  'PLOTBOX_LOGIN_RATE_WINDOW_SEC',
  'PLOTBOX_API_RATE_LIMIT',
  'PLOTBOX_API_RATE_WINDOW_SEC',
  'PLOTBOX_LOCKOUT_MAX_FAILURES',
  'PLOTBOX_LOCKOUT_MIN',
  'PLOTBOX_ARGON2_MEMORY_KIB',
  'PLOTBOX_ARGON2_TIME_COST',
  'PLOTBOX_ARGON2_PARALLELISM',
  'PLOTBOX_REQUIRE_2FA_FOR_ADMINS',
  'PLOTBOX_SEED_DEMO',
  'PLOTBOX_SETUP_TOKEN_TTL_MIN',
  'PLOTBOX_ADMIN_EMAIL',
  'PLOTBOX_ADMIN_NAME',
  'PLOTBOX_ADMIN_PASSWORD',
  'PLOTBOX_ADMIN_PASSWORD_FILE',
  'PLOTBOX_METRICS_TOKEN',
  'PLOTBOX_SECRETS_KEY',
  'PLOTBOX_SECRETS_KEY_FILE',
  'PLOTBOX_AUTH_FAILURE_LIMIT',
  'PLOTBOX_AUTH_FAILURE_WINDOW_SEC',
  'PLOTBOX_METRICS_TOKEN_FILE',
  'PLOTBOX_DATASET_MAX_ROWS',
  'PLOTBOX_DATASET_MAX_COLUMNS',
  'PLOTBOX_DATASET_MAX_FIELD_CHARS',
  'PLOTBOX_DATASET_MAX_DECODED_MB',
  'PLOTBOX_DATASET_MAX_STORED_MB',
  'PLOTBOX_INGEST_WORKERS',
  'PLOTBOX_INGEST_QUEUE',
  'PLOTBOX_INGEST_MEMORY_MB',
  'PLOTBOX_INGEST_TIMEOUT_SEC',
  'PLOTBOX_STAGING_DIR',
  'PLOTBOX_UPLOAD_GRACE_MIN',
  'PLOTBOX_MIN_FREE_DISK_MB',
  'PLOTBOX_ALLOW_CIDRS',
  'PLOTBOX_PASSWORD_MAX_AGE_DAYS',
  'PLOTBOX_DISABLE_INACTIVE_DAYS',
  'PLOTBOX_AUDIT_RETENTION_DAYS',
  'PLOTBOX_LOCAL_LOGIN',
  'PLOTBOX_OIDC_ISSUER',
  'PLOTBOX_OIDC_CLIENT_ID',
  'PLOTBOX_OIDC_CLIENT_SECRET',
  'PLOTBOX_OIDC_CLIENT_SECRET_FILE',
  'PLOTBOX_OIDC_NAME',
  'PLOTBOX_OIDC_SCOPES',
  'PLOTBOX_OIDC_GROUPS_CLAIM',
  'PLOTBOX_OIDC_GROUP_MAP',
  'PLOTBOX_OIDC_ADMIN_GROUPS',
  'PLOTBOX_OIDC_DEFAULT_ROLE',
  'PLOTBOX_OIDC_LINK_BY_EMAIL',
  'PLOTBOX_OIDC_AUTO_CREATE',
]);

const KNOWN = new Set<string>(KNOWN_PLOTBOX_VARIABLES);
const KID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** Production floors of the storage settings (security settings: {@link PRODUCTION_BOUNDS}). */
export const PRODUCTION_FLOORS = Object.freeze({
  /** Below this much free disk the API cannot even report it is full in time. */
  minFreeDiskMb: 64,
  /** Another replica's upload may take this long: younger leftovers are not swept. */
  uploadGraceMin: 10,
});

/**
 * Production bounds of every security setting (SPEC §7: with `PLOTBOX_ENV=production` a setting
 * outside its bounds stops the API, naming the variable). Rates are bounded as a limit and a
 * window, and the window's rate once more below (a limit of 100 per 1 s is refused even though
 * 100 alone might pass elsewhere).
 */
export const PRODUCTION_BOUNDS = Object.freeze({
  PLOTBOX_ACCESS_TOKEN_TTL_SEC: { min: 60, max: 3600 },
  PLOTBOX_SESSION_IDLE_MIN: { min: 5, max: 720 },
  PLOTBOX_SESSION_ABSOLUTE_HOURS: { min: 1, max: 2160 },
  PLOTBOX_LOGIN_RATE_LIMIT: { min: 1, max: 30 },
  PLOTBOX_LOGIN_RATE_WINDOW_SEC: { min: 60, max: 3600 },
  PLOTBOX_API_RATE_LIMIT: { min: 10, max: 10_000 },
  PLOTBOX_API_RATE_WINDOW_SEC: { min: 10, max: 3600 },
  PLOTBOX_AUTH_FAILURE_LIMIT: { min: 1, max: 100 },
  PLOTBOX_AUTH_FAILURE_WINDOW_SEC: { min: 60, max: 3600 },
  PLOTBOX_LOCKOUT_MAX_FAILURES: { min: 3, max: 10 },
  PLOTBOX_LOCKOUT_MIN: { min: 5, max: 1440 },
  PLOTBOX_ARGON2_MEMORY_KIB: { min: 19_456, max: 4 * 1024 * 1024 },
  PLOTBOX_ARGON2_TIME_COST: { min: 2, max: 64 },
  PLOTBOX_SETUP_TOKEN_TTL_MIN: { min: 1, max: 1440 },
  PLOTBOX_TRUST_PROXY_HOPS: { min: 0, max: 3 },
  // 0 turns these off and is always allowed (NIST SP 800-63B advises against forced password
  // changes); when on, a password changed more often than monthly invites weaker passwords.
  PLOTBOX_PASSWORD_MAX_AGE_DAYS: { min: 30, max: 3650, off: 0 },
  PLOTBOX_DISABLE_INACTIVE_DAYS: { min: 7, max: 3650, off: 0 },
  // Forensics needs months of history: a shorter retention is refused in production.
  PLOTBOX_AUDIT_RETENTION_DAYS: { min: 90, max: 36500, off: 0 },
} satisfies Record<string, { readonly min: number; readonly max: number; readonly off?: number }>);

/** Production ceilings on rates (per second), whatever the limit and window. */
export const PRODUCTION_RATE_CEILINGS = Object.freeze({ loginPerSec: 0.5, apiPerSec: 50 });

/**
 * Parse the API's environment into a frozen {@link ApiConfig}.
 *
 * Refuses: an unknown `PLOTBOX_*` variable; malformed numbers, URLs and booleans; both `X` and
 * `X_FILE` set; and with `PLOTBOX_ENV=production`, missing JWT keys, a missing or non-https
 * public URL, and weak lifetimes, limits or Argon2 parameters. Never puts a secret value in an
 * error message.
 *
 * @param env - usually `process.env`
 * @param readFile - reads a `*_FILE` path as UTF-8 (throws if unreadable)
 * @throws {@link ConfigError}
 */
export function parseConfig(env: Env, readFile: ReadFile): ApiConfig {
  for (const key of Object.keys(env)) {
    if (key.startsWith('PLOTBOX_') && !KNOWN.has(key)) throw new ConfigError(`unknown setting ${key}`);
  }
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const secret = (name: string): string | undefined => {
    const direct = str(name);
    const file = str(`${name}_FILE`);
    if (direct !== undefined && file !== undefined) throw new ConfigError(`set ${name} or ${name}_FILE, not both`);
    if (file === undefined) return direct;
    let text: string;
    try {
      text = readFile(file);
    } catch {
      throw new ConfigError(`${name}_FILE cannot be read`);
    }
    const trimmed = text.replace(/\r?\n$/u, '');
    if (trimmed === '') throw new ConfigError(`${name}_FILE is empty`);
    return trimmed;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (!/^\d{1,15}$/u.test(raw)) throw new ConfigError(`${name} must be a whole number`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/iu.test(raw)) return true;
    if (/^(0|false|no|off)$/iu.test(raw)) return false;
    throw new ConfigError(`${name} must be true or false`);
  };

  const envName = str('PLOTBOX_ENV') ?? 'dev';
  if (!(PLOTBOX_ENVS as readonly string[]).includes(envName)) throw new ConfigError('PLOTBOX_ENV must be dev or production');
  const production = envName === 'production';

  const host = str('PLOTBOX_HOST') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:_-]{1,253}$/u.test(host)) throw new ConfigError('PLOTBOX_HOST is not a host name or address');
  const port = int('PLOTBOX_PORT', 8080, 0, 65_535);
  const dataDir = str('PLOTBOX_DATA_DIR') ?? '.data';

  const publicUrlRaw = str('PLOTBOX_PUBLIC_URL');
  if (production && publicUrlRaw === undefined) throw new ConfigError('PLOTBOX_PUBLIC_URL is required in production');
  const defaultHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let publicUrl: URL;
  try {
    publicUrl = new URL(publicUrlRaw ?? `http://${defaultHost}:${port}`);
  } catch {
    throw new ConfigError('PLOTBOX_PUBLIC_URL is not a URL');
  }
  if (publicUrl.protocol !== 'http:' && publicUrl.protocol !== 'https:') throw new ConfigError('PLOTBOX_PUBLIC_URL must be http or https');
  if (publicUrl.username !== '' || publicUrl.password !== '' || publicUrl.search !== '' || publicUrl.hash !== '') {
    throw new ConfigError('PLOTBOX_PUBLIC_URL must not carry credentials, a query or a fragment');
  }
  if (production && publicUrl.protocol !== 'https:') throw new ConfigError('PLOTBOX_PUBLIC_URL must be https in production');

  const logLevel = str('PLOTBOX_LOG_LEVEL') ?? 'info';
  const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
  if (!(LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`PLOTBOX_LOG_LEVEL must be one of ${LEVELS.join(', ')}`);

  const accessTtlSec = int('PLOTBOX_ACCESS_TOKEN_TTL_SEC', 900, 1, 86_400);
  const idleMin = int('PLOTBOX_SESSION_IDLE_MIN', 60, 1, 7 * 24 * 60);
  const absoluteHours = int('PLOTBOX_SESSION_ABSOLUTE_HOURS', 720, 1, 24 * 365);
  if (idleMin > absoluteHours * 60) throw new ConfigError('PLOTBOX_SESSION_IDLE_MIN must not exceed the absolute lifetime');
  const loginLimit = int('PLOTBOX_LOGIN_RATE_LIMIT', 10, 1, 100_000);
  const loginWindowSec = int('PLOTBOX_LOGIN_RATE_WINDOW_SEC', 60, 1, 86_400);
  const apiLimit = int('PLOTBOX_API_RATE_LIMIT', 200, 1, 1_000_000);
  const apiWindowSec = int('PLOTBOX_API_RATE_WINDOW_SEC', 60, 1, 86_400);
  const maxFailures = int('PLOTBOX_LOCKOUT_MAX_FAILURES', 5, 1, 1000);
  const lockMin = int('PLOTBOX_LOCKOUT_MIN', 15, 1, 24 * 60);
  const memoryCost = int('PLOTBOX_ARGON2_MEMORY_KIB', 19_456, 1024, 4 * 1024 * 1024);
  const timeCost = int('PLOTBOX_ARGON2_TIME_COST', 2, 1, 64);
  const parallelism = int('PLOTBOX_ARGON2_PARALLELISM', 1, 1, 64);

  const authFailureLimit = int('PLOTBOX_AUTH_FAILURE_LIMIT', 30, 1, 100_000);
  const authFailureWindowSec = int('PLOTBOX_AUTH_FAILURE_WINDOW_SEC', 300, 1, 86_400);
  const setupTokenTtlMin = int('PLOTBOX_SETUP_TOKEN_TTL_MIN', 60, 1, 7 * 24 * 60);
  const trustProxyHops = int('PLOTBOX_TRUST_PROXY_HOPS', 0, 0, 10);
  const passwordMaxAgeDays = int('PLOTBOX_PASSWORD_MAX_AGE_DAYS', 0, 0, 36_500);
  const disableInactiveDays = int('PLOTBOX_DISABLE_INACTIVE_DAYS', 0, 0, 36_500);
  const auditRetentionDays = int('PLOTBOX_AUDIT_RETENTION_DAYS', 0, 0, 36_500);

  if (production) {
    const values: Record<keyof typeof PRODUCTION_BOUNDS, number> = {
      PLOTBOX_ACCESS_TOKEN_TTL_SEC: accessTtlSec,
      PLOTBOX_SESSION_IDLE_MIN: idleMin,
      PLOTBOX_SESSION_ABSOLUTE_HOURS: absoluteHours,
      PLOTBOX_LOGIN_RATE_LIMIT: loginLimit,
      PLOTBOX_LOGIN_RATE_WINDOW_SEC: loginWindowSec,
      PLOTBOX_API_RATE_LIMIT: apiLimit,
      PLOTBOX_API_RATE_WINDOW_SEC: apiWindowSec,
      PLOTBOX_AUTH_FAILURE_LIMIT: authFailureLimit,
      PLOTBOX_AUTH_FAILURE_WINDOW_SEC: authFailureWindowSec,
      PLOTBOX_LOCKOUT_MAX_FAILURES: maxFailures,
      PLOTBOX_LOCKOUT_MIN: lockMin,
      PLOTBOX_ARGON2_MEMORY_KIB: memoryCost,
      PLOTBOX_ARGON2_TIME_COST: timeCost,
      PLOTBOX_SETUP_TOKEN_TTL_MIN: setupTokenTtlMin,
      PLOTBOX_TRUST_PROXY_HOPS: trustProxyHops,
      PLOTBOX_PASSWORD_MAX_AGE_DAYS: passwordMaxAgeDays,
      PLOTBOX_DISABLE_INACTIVE_DAYS: disableInactiveDays,
      PLOTBOX_AUDIT_RETENTION_DAYS: auditRetentionDays,
    };
    for (const [name, bounds] of Object.entries(PRODUCTION_BOUNDS)) {
      const { min, max } = bounds;
      const off = 'off' in bounds ? bounds.off : undefined;
      const v = values[name as keyof typeof PRODUCTION_BOUNDS];
      if (v === off) continue;
      if (v < min || v > max) throw new ConfigError(`${name} must be between ${min} and ${max}${off === undefined ? '' : ` (or ${off}: off)`} in production (it is ${v})`);
    }
    const c = PRODUCTION_RATE_CEILINGS;
    if (loginLimit / loginWindowSec > c.loginPerSec) throw new ConfigError(`PLOTBOX_LOGIN_RATE_LIMIT per PLOTBOX_LOGIN_RATE_WINDOW_SEC must not allow more than ${c.loginPerSec} logins per second in production`);
    if (apiLimit / apiWindowSec > c.apiPerSec) throw new ConfigError(`PLOTBOX_API_RATE_LIMIT per PLOTBOX_API_RATE_WINDOW_SEC must not allow more than ${c.apiPerSec} requests per second in production`);
  }

  const keys = parseJwtKeys(secret('PLOTBOX_JWT_KEYS'), str('PLOTBOX_JWT_ACTIVE_KID'), production, dataDir);
  const secretsKey = parseSecretsKey(secret('PLOTBOX_SECRETS_KEY'), production, dataDir);

  const adminEmail = str('PLOTBOX_ADMIN_EMAIL');
  const adminPassword = secret('PLOTBOX_ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError('PLOTBOX_ADMIN_EMAIL and PLOTBOX_ADMIN_PASSWORD(_FILE) go together');
  }
  if (adminEmail !== undefined && !/^[^\s@]{1,64}@[^\s@]{1,190}$/u.test(adminEmail)) throw new ConfigError('PLOTBOX_ADMIN_EMAIL is not an email address');

  const mongoUri = secret('MONGODB_URI');
  let mongo: ApiConfig['mongo'] = null;
  if (mongoUri !== undefined) {
    // Not `new URL`: a replica-set string lists several hosts (`h1:27017,h2`), which URL refuses.
    const m = /^mongodb(?:\+srv)?:\/\/(?:[^@/?#]*@)?[^/?#@]+(?:\/([^?#]*))?(?:\?[^#]*)?$/u.exec(mongoUri);
    if (m === null) throw new ConfigError('MONGODB_URI must be a mongodb:// or mongodb+srv:// connection string');
    const dbName = str('MONGODB_DB') ?? (m[1] || 'plotbox');
    if (!/^[A-Za-z0-9_-]{1,63}$/u.test(dbName)) throw new ConfigError('MONGODB_DB is not a valid database name');
    mongo = { uri: mongoUri, dbName };
  }

  const s3Endpoint = str('S3_ENDPOINT');
  let s3: ApiConfig['s3'] = null;
  if (s3Endpoint !== undefined) {
    try {
      new URL(s3Endpoint);
    } catch {
      throw new ConfigError('S3_ENDPOINT is not a URL');
    }
    const accessKey = secret('S3_ACCESS_KEY');
    const secretKey = secret('S3_SECRET_KEY');
    if (accessKey === undefined || secretKey === undefined) throw new ConfigError('S3_ACCESS_KEY(_FILE) and S3_SECRET_KEY(_FILE) are required with S3_ENDPOINT');
    s3 = { endpoint: s3Endpoint, bucket: str('S3_BUCKET') ?? 'plotbox', region: str('S3_REGION') ?? 'us-east-1', accessKey, secretKey };
  }

  const sandboxUrl = str('SANDBOX_URL') ?? 'http://127.0.0.1:8081';
  try {
    const u = new URL(sandboxUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError('SANDBOX_URL must be an http(s) URL');
  }
  const sandboxToken = secret('SANDBOX_TOKEN') ?? null;
  if (sandboxToken !== null && sandboxToken.length < 32) throw new ConfigError('SANDBOX_TOKEN must be at least 32 characters');
  if (production && sandboxToken === null) throw new ConfigError('SANDBOX_TOKEN or SANDBOX_TOKEN_FILE is required in production');

  const metricsToken = secret('PLOTBOX_METRICS_TOKEN') ?? null;
  if (metricsToken !== null && metricsToken.length < 32) throw new ConfigError('PLOTBOX_METRICS_TOKEN must be at least 32 characters');

  const MIB = 1024 * 1024;
  const datasetLimits = {
    maxRows: int('PLOTBOX_DATASET_MAX_ROWS', 1_000_000, 1, 10_000_000),
    maxColumns: int('PLOTBOX_DATASET_MAX_COLUMNS', 1000, 1, 10_000),
    maxFieldChars: int('PLOTBOX_DATASET_MAX_FIELD_CHARS', 65_536, 16, 16 * MIB),
    maxDecodedBytes: int('PLOTBOX_DATASET_MAX_DECODED_MB', 256, 1, 16_384) * MIB,
    maxStoredBytes: int('PLOTBOX_DATASET_MAX_STORED_MB', 256, 1, 4096) * MIB,
  };
  const stagingDir = str('PLOTBOX_STAGING_DIR') ?? null;
  if (stagingDir !== null && stagingDir.includes('\0')) throw new ConfigError('PLOTBOX_STAGING_DIR is not a path');
  const ingest = {
    workers: int('PLOTBOX_INGEST_WORKERS', 1, 1, 64),
    queue: int('PLOTBOX_INGEST_QUEUE', 2, 0, 1000),
    memoryMb: int('PLOTBOX_INGEST_MEMORY_MB', 512, 64, 65_536),
    timeoutMs: int('PLOTBOX_INGEST_TIMEOUT_SEC', 120, 1, 3600) * 1000,
    stagingDir,
    graceMs: int('PLOTBOX_UPLOAD_GRACE_MIN', 60, 0, 7 * 24 * 60) * 60_000,
  };
  const minFreeDiskBytes = int('PLOTBOX_MIN_FREE_DISK_MB', 256, 0, 10_000_000) * MIB;
  if (production) {
    const f = PRODUCTION_FLOORS;
    if (minFreeDiskBytes < f.minFreeDiskMb * MIB) throw new ConfigError(`PLOTBOX_MIN_FREE_DISK_MB below ${f.minFreeDiskMb} is refused in production`);
    if (ingest.graceMs < f.uploadGraceMin * 60_000) throw new ConfigError(`PLOTBOX_UPLOAD_GRACE_MIN below ${f.uploadGraceMin} is refused in production (replicas may still be writing newer leftovers)`);
  }

  const origin = publicUrl.origin;
  const allowCidrs = parseAllowCidrs(str('PLOTBOX_ALLOW_CIDRS'));
  const oidc = parseOidc(str, secret, bool, production, publicUrl.href.replace(/\/$/u, ''));
  const localLogin = bool('PLOTBOX_LOCAL_LOGIN', true);
  if (!localLogin && oidc === null) throw new ConfigError('PLOTBOX_LOCAL_LOGIN=false needs single sign-on (PLOTBOX_OIDC_ISSUER and PLOTBOX_OIDC_CLIENT_ID): nobody could sign in');
  const config: ApiConfig = {
    env: envName as PlotboxEnv,
    host,
    port,
    dataDir,
    publicUrl: publicUrl.href.replace(/\/$/u, ''),
    publicOrigin: origin,
    secureCookies: publicUrl.protocol === 'https:',
    trustProxyHops,
    logLevel: logLevel as ApiConfig['logLevel'],
    maxBodyBytes: int('PLOTBOX_MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxUploadBytes: int('PLOTBOX_MAX_UPLOAD_MB', 100, 1, 4096) * 1024 * 1024,
    jwt: {
      issuer: str('PLOTBOX_JWT_ISSUER') ?? origin,
      audience: str('PLOTBOX_JWT_AUDIENCE') ?? 'plotbox-api',
      accessTtlSec,
      keys,
    },
    session: { idleMs: idleMin * 60_000, absoluteMs: absoluteHours * 3_600_000 },
    rateLimits: {
      login: { limit: loginLimit, windowMs: loginWindowSec * 1000 },
      api: { limit: apiLimit, windowMs: apiWindowSec * 1000 },
      authFailures: { limit: authFailureLimit, windowMs: authFailureWindowSec * 1000 },
    },
    lockout: { maxFailures, lockMs: lockMin * 60_000 },
    argon2: { memoryCost, timeCost, parallelism },
    require2faForAdmins: bool('PLOTBOX_REQUIRE_2FA_FOR_ADMINS', false),
    seedDemo: bool('PLOTBOX_SEED_DEMO', !production),
    setupTokenTtlMs: setupTokenTtlMin * 60_000,
    bootstrapAdmin:
      adminEmail !== undefined && adminPassword !== undefined ? { email: adminEmail, password: adminPassword, displayName: str('PLOTBOX_ADMIN_NAME') ?? 'Administrator' } : null,
    mongo,
    s3,
    sandbox: { url: sandboxUrl, token: sandboxToken },
    metricsToken,
    secretsKey,
    datasetLimits,
    ingest,
    minFreeDiskBytes,
    allowCidrs,
    passwordMaxAgeMs: passwordMaxAgeDays === 0 ? null : passwordMaxAgeDays * 86_400_000,
    disableInactiveMs: disableInactiveDays === 0 ? null : disableInactiveDays * 86_400_000,
    auditRetentionMs: auditRetentionDays === 0 ? null : auditRetentionDays * 86_400_000,
    localLogin,
    oidc,
  };
  return deepFreeze(config);
}

function parseJwtKeys(raw: string | undefined, activeKidRaw: string | undefined, production: boolean, dataDir: string): JwtKeysConfig {
  if (raw === undefined) {
    if (production) throw new ConfigError('PLOTBOX_JWT_KEYS or PLOTBOX_JWT_KEYS_FILE is required in production');
    if (activeKidRaw !== undefined) throw new ConfigError('PLOTBOX_JWT_ACTIVE_KID needs PLOTBOX_JWT_KEYS(_FILE)');
    return { source: 'dev', dir: `${dataDir.replace(/\/+$/u, '')}/keys` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('PLOTBOX_JWT_KEYS is not JSON ({"keys":[{"kid","publicKeyPem","privateKeyPem"?}],"activeKid"?})');
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new ConfigError('PLOTBOX_JWT_KEYS must be an object with a "keys" array');
  }
  const list = (parsed as { keys: unknown[]; activeKid?: unknown }).keys;
  if (list.length === 0 || list.length > 16) throw new ConfigError('PLOTBOX_JWT_KEYS must hold 1 to 16 keys');
  const keys: JwtKeyConfig[] = list.map((k, i) => {
    if (typeof k !== 'object' || k === null) throw new ConfigError(`PLOTBOX_JWT_KEYS key ${i} is not an object`);
    const { kid, publicKeyPem, privateKeyPem } = k as Record<string, unknown>;
    if (typeof kid !== 'string' || !KID.test(kid)) throw new ConfigError(`PLOTBOX_JWT_KEYS key ${i} has no valid "kid"`);
    if (typeof publicKeyPem !== 'string' || !publicKeyPem.includes('-----BEGIN')) throw new ConfigError(`PLOTBOX_JWT_KEYS key ${kid} has no PEM "publicKeyPem"`);
    if (privateKeyPem !== undefined && (typeof privateKeyPem !== 'string' || !privateKeyPem.includes('-----BEGIN'))) {
      throw new ConfigError(`PLOTBOX_JWT_KEYS key ${kid} has a "privateKeyPem" that is not PEM`);
    }
    return privateKeyPem === undefined ? { kid, publicKeyPem } : { kid, publicKeyPem, privateKeyPem };
  });
  const fileActive = (parsed as { activeKid?: unknown }).activeKid;
  const withPrivate = keys.filter((k) => k.privateKeyPem !== undefined);
  const activeKid = activeKidRaw ?? (typeof fileActive === 'string' ? fileActive : withPrivate.length === 1 ? withPrivate[0]?.kid : undefined);
  if (activeKid === undefined) throw new ConfigError('PLOTBOX_JWT_ACTIVE_KID is required when the key set does not name one signing key');
  if (!withPrivate.some((k) => k.kid === activeKid)) throw new ConfigError('PLOTBOX_JWT_ACTIVE_KID must name a key with a private key');
  return { source: 'configured', keys, activeKid };
}

const SECRET_KEY_ID = /^[A-Za-z0-9_-]{1,32}$/u;

/** 32 bytes written as base64url, base64 or hex, as base64url; `null` otherwise. */
function key32(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const t = text.trim();
  let bytes: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/u.test(t)) bytes = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9_-]{43}$/u.test(t)) bytes = Buffer.from(t, 'base64url');
  else if (/^[A-Za-z0-9+/]{43}=$/u.test(t)) bytes = Buffer.from(t, 'base64');
  return bytes !== null && bytes.length === 32 ? bytes.toString('base64url') : null;
}

/**
 * `PLOTBOX_SECRETS_KEY(_FILE)`: one 32-byte key (base64url, base64 or hex; its id derived from it
 * by the API), or a key ring `{"activeKeyId": "k2", "keys": [{"id": "k1", "key": "..."}, ...]}`
 * for rotation. Required in production; in dev a key is generated into `<dataDir>/keys`.
 */
function parseSecretsKey(raw: string | undefined, production: boolean, dataDir: string): SecretsKeyConfig {
  if (raw === undefined) {
    if (production) throw new ConfigError('PLOTBOX_SECRETS_KEY or PLOTBOX_SECRETS_KEY_FILE is required in production');
    return { source: 'dev', dir: `${dataDir.replace(/\/+$/u, '')}/keys` };
  }
  const single = key32(raw);
  // One bare key: its id is derived from it by the API (`null` here).
  if (single !== null) return { source: 'configured', keys: [{ id: null, key: single }], activeId: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('PLOTBOX_SECRETS_KEY must be a 32-byte key (base64url, base64 or hex) or a key ring {"activeKeyId","keys":[{"id","key"}]}');
  }
  const ring = parsed as { activeKeyId?: unknown; keys?: unknown };
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(ring.keys) || ring.keys.length === 0 || ring.keys.length > 16) {
    throw new ConfigError('PLOTBOX_SECRETS_KEY must hold 1 to 16 keys');
  }
  const keys = ring.keys.map((k: unknown, i: number) => {
    const { id, key } = (typeof k === 'object' && k !== null ? k : {}) as { id?: unknown; key?: unknown };
    if (typeof id !== 'string' || !SECRET_KEY_ID.test(id)) throw new ConfigError(`PLOTBOX_SECRETS_KEY key ${i} has no valid "id"`);
    const material = key32(key);
    if (material === null) throw new ConfigError(`PLOTBOX_SECRETS_KEY key ${id} is not 32 bytes (base64url, base64 or hex)`);
    return { id, key: material };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new ConfigError('PLOTBOX_SECRETS_KEY key ids must be unique');
  const activeId: string | undefined = typeof ring.activeKeyId === 'string' ? ring.activeKeyId : keys.length === 1 ? keys[0]?.id : undefined;
  if (activeId === undefined || !keys.some((k) => k.id === activeId)) throw new ConfigError('PLOTBOX_SECRETS_KEY "activeKeyId" must name one of its keys');
  return { source: 'configured', keys, activeId };
}

/**
 * `PLOTBOX_ALLOW_CIDRS`: comma-separated IPv4/IPv6 ranges (`10.0.0.0/8`, `2001:db8::/32`) or single
 * addresses. IPv4-mapped IPv6 ranges (`::ffff:10.0.0.0/104`) are rewritten as IPv4, because the API
 * compares an IPv4-mapped client address as IPv4.
 */
function parseAllowCidrs(raw: string | undefined): readonly string[] | null {
  if (raw === undefined) return null;
  const items = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (items.length === 0) throw new ConfigError('PLOTBOX_ALLOW_CIDRS lists no range');
  if (items.length > 256) throw new ConfigError('PLOTBOX_ALLOW_CIDRS lists more than 256 ranges');
  const out = items.map((item) => {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    let bits: number;
    try {
      if (item.includes('/')) [addr, bits] = ipaddr.parseCIDR(item);
      else {
        addr = ipaddr.parse(item);
        bits = addr.kind() === 'ipv4' ? 32 : 128;
      }
      // ipaddr.js reads `1.2.3` and `0x0a.1.2.3` as IPv4 too; a typo must not become a range.
      if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(item.split('/')[0] ?? '')) throw new Error('not dotted quad');
    } catch {
      throw new ConfigError(`PLOTBOX_ALLOW_CIDRS: ${JSON.stringify(item.slice(0, 60))} is not an IPv4 or IPv6 address or range`);
    }
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      return `${(addr as ipaddr.IPv6).toIPv4Address().toString()}/${bits - 96}`;
    }
    // The network address: `10.1.2.3/8` means 10.0.0.0/8.
    const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
    return `${network.toString()}/${bits}`;
  });
  return [...new Set(out)];
}

const GROUP_NAME_MAX = 200;

/** `PLOTBOX_OIDC_*`; `null` when `PLOTBOX_OIDC_ISSUER` is not set (and nothing else of it is). */
function parseOidc(
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
    const stray = ['PLOTBOX_OIDC_CLIENT_ID', 'PLOTBOX_OIDC_NAME', 'PLOTBOX_OIDC_SCOPES', 'PLOTBOX_OIDC_GROUPS_CLAIM', 'PLOTBOX_OIDC_GROUP_MAP', 'PLOTBOX_OIDC_ADMIN_GROUPS', 'PLOTBOX_OIDC_DEFAULT_ROLE', 'PLOTBOX_OIDC_LINK_BY_EMAIL', 'PLOTBOX_OIDC_AUTO_CREATE'].find((n) => str(n) !== undefined);
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
      if (from === '' || from.length > 1000 || names === null || names.length === 0 || names.length > 50 || !names.every((n): n is string => typeof n === 'string' && n.trim() !== '' && n.length <= GROUP_NAME_MAX)) {
        throw new ConfigError(`PLOTBOX_OIDC_GROUP_MAP: the entry for ${JSON.stringify(from.slice(0, 60))} must name one or more Plotbox groups (1 to ${GROUP_NAME_MAX} characters)`);
      }
      groupMap[from] = [...new Set(names)];
    }
  }
  const adminGroups = (str('PLOTBOX_OIDC_ADMIN_GROUPS') ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

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
