// The API's configuration as `parseConfig` returns it: typed, defaulted, frozen.

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
export type JwtKeysConfig = { readonly source: 'configured'; readonly keys: readonly JwtKeyConfig[]; readonly activeKid: string } | { readonly source: 'dev'; readonly dir: string };

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
