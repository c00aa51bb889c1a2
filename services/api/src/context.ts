/**
 * What every route gets: the injected dependencies plus the pure policies built from them once per
 * app, and small helpers over the request (client IP, request id, auth state).
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { ApiConfig } from '@plotbox/config';
import type { KeySet, PasswordHasher, SecretBox, SessionPolicy, Totp, TokenService } from '@plotbox/auth';
import type { ApiKey, AuditActor, Session, Store, User } from '@plotbox/store';
import type { BlobStore } from '@plotbox/blobs';
import type { Audit } from './audit.ts';
import type { ApiMetrics } from './metrics.ts';
import type { SandboxInfoSource } from './sandbox-info.ts';
import type { SandboxPort } from './sandbox-port.ts';
import type { IngestDeps } from './ingest/open-ingest.ts';
import type { StorageProbe } from './ingest/storage.ts';

/** Everything `createApp` needs, all built by the caller (main.ts or a test). */
export interface AppDeps {
  readonly config: ApiConfig;
  readonly store: Store;
  /** Dataset versions (canonical Arrow IPC) and large cached figures. */
  readonly blobs: BlobStore;
  /** The sandbox service that runs Code Mode. */
  readonly sandbox: SandboxPort;
  /** Dataset uploads: the ingest worker pool and the staging directory (`ingest/open-ingest.ts`). */
  readonly ingest: IngestDeps;
  /** The storage checks `/api/ready` reports (writable, free space). */
  readonly storage: StorageProbe;
  readonly keySet: KeySet;
  readonly tokens: TokenService;
  readonly hasher: PasswordHasher;
  /** Seals secrets kept in the store (TOTP secrets). */
  readonly secrets: SecretBox;
  readonly logger: Logger;
  /** The clock; tests move it. */
  readonly now: () => Date;
  readonly newId: () => string;
  /** The built web UI (`services/api/web/dist`); omitted: the API serves no UI. */
  readonly webDir?: string;
  /** Prometheus metrics (main.ts adds process metrics); omitted: the app makes its own. */
  readonly metrics?: ApiMetrics;
}

export interface AppContext extends AppDeps {
  readonly metrics: ApiMetrics;
  readonly audit: Audit;
  /** The sandbox's runtime version and limits, known even while it is down (render cache key, code check). */
  readonly sandboxInfo: SandboxInfoSource;
  readonly sessionPolicy: SessionPolicy;
  readonly totp: Totp;
}

/** Where a request came from, as plain data for use cases and audit events: client IP (through trusted proxies), our request id, the client's own. */
export interface RequestMeta {
  readonly ip: string | null;
  readonly requestId: string;
  readonly clientRequestId: string | null;
}

/** Who a use case acts for: the principal as the audit log names it, where from, and whether only the system admin role allowed it (SPEC §3.1: such writes are marked). */
export interface Caller extends RequestMeta {
  readonly actor: AuditActor;
  readonly asSystemAdmin: boolean;
}

/** How a request authenticated. */
export type AuthState =
  | { readonly kind: 'session'; readonly user: User; readonly session: Session; readonly restricted: boolean; /** When the access token presented expires, ms. */ readonly accessExpiresAt: number }
  | { readonly kind: 'api_key'; readonly user: User; readonly apiKey: ApiKey; readonly restricted: boolean };

/** The auth state set by `authenticate`; throws if a route forgot it (a programming error). */
export function authOf(res: Response): AuthState {
  const auth = (res.locals as { auth?: AuthState }).auth;
  if (auth === undefined) throw new Error('route used without authenticate()');
  return auth;
}

/** The audit actor of an authenticated request. */
export function actorOf(auth: AuthState): AuditActor {
  // A key's request names the key (SPEC §5: who acted), not only the user it belongs to.
  return auth.kind === 'api_key' ? { kind: 'api_key', userId: auth.user.id, apiKey: { id: auth.apiKey.id, name: auth.apiKey.name } } : { kind: 'user', userId: auth.user.id };
}

/** Client IP per Express's `trust proxy` (set to the configured hop count). */
export function clientIp(req: Request): string | null {
  return typeof req.ip === 'string' && req.ip !== '' ? req.ip : null;
}

/** The request id pino-http assigned (also sent back as `X-Request-Id`). */
export function requestIdOf(req: Request): string {
  const id = (req as Request & { id?: unknown }).id;
  return typeof id === 'string' ? id : String(id ?? '');
}

/** The `X-Request-Id` a client sent (checked: `[A-Za-z0-9._:-]{1,64}`), kept apart from ours. */
export function clientRequestIdOf(req: Request): string | null {
  const id = (req.res?.locals as { clientRequestId?: unknown } | undefined)?.clientRequestId;
  return typeof id === 'string' ? id : null;
}

/** `{ ip, requestId, clientRequestId }` for audit events. */
export function reqMeta(req: Request): RequestMeta {
  return { ip: clientIp(req), requestId: requestIdOf(req), clientRequestId: clientRequestIdOf(req) };
}

/** The authenticated caller of a request that is not a table route (the route table builds its own). */
export function callerOf(req: Request, auth: AuthState): Caller {
  return { ...reqMeta(req), actor: actorOf(auth), asSystemAdmin: false };
}

/** Where the browser signs in from, recorded with a new session. */
export function sessionClientOf(req: Request): { readonly userAgent: string | null; readonly ip: string | null } {
  const ua = req.headers['user-agent'];
  return { userAgent: typeof ua === 'string' ? ua : null, ip: clientIp(req) };
}
