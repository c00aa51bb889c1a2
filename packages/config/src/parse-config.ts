/**
 * The API's configuration: read once from the environment by `services/api/src/main.ts` (and the
 * `plotbox` CLI), validated, defaulted and frozen. Pure apart from the injected `readFile`, used
 * only for `*_FILE` secrets (Kubernetes secrets mounted as files).
 */

import { PLOTBOX_ENVS, type ApiConfig, type PlotboxEnv } from './api-config.ts';
import { ConfigError } from './config-error.ts';
import { KNOWN_PLOTBOX_VARIABLES } from './known-variables.ts';
import { parseAllowCidrs } from './parse-allow-cidrs.ts';
import { parseOidc } from './parse-oidc.ts';
import { parseJwtKeys, parseSecretsKey } from './parse-secrets.ts';
import { PRODUCTION_BOUNDS, PRODUCTION_FLOORS, PRODUCTION_RATE_CEILINGS } from './production-bounds.ts';

type Env = Readonly<Record<string, string | undefined>>;
type ReadFile = (path: string) => string;

const KNOWN = new Set<string>(KNOWN_PLOTBOX_VARIABLES);

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
    if (loginLimit / loginWindowSec > c.loginPerSec)
      throw new ConfigError(`PLOTBOX_LOGIN_RATE_LIMIT per PLOTBOX_LOGIN_RATE_WINDOW_SEC must not allow more than ${c.loginPerSec} logins per second in production`);
    if (apiLimit / apiWindowSec > c.apiPerSec)
      throw new ConfigError(`PLOTBOX_API_RATE_LIMIT per PLOTBOX_API_RATE_WINDOW_SEC must not allow more than ${c.apiPerSec} requests per second in production`);
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
    if (ingest.graceMs < f.uploadGraceMin * 60_000)
      throw new ConfigError(`PLOTBOX_UPLOAD_GRACE_MIN below ${f.uploadGraceMin} is refused in production (replicas may still be writing newer leftovers)`);
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
    bootstrapAdmin: adminEmail !== undefined && adminPassword !== undefined ? { email: adminEmail, password: adminPassword, displayName: str('PLOTBOX_ADMIN_NAME') ?? 'Administrator' } : null,
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
