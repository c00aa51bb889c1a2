// Drives createApp(deps) in-process for HTTP tests: a real SQLite file in a temp dir, real RS256
// keys, real fetch and cookies, an injected clock, cheap Argon2, and captured JSON logs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { createKeySet, createPasswordHasher, createTokenService, generateDevKeyPair, type DevKeyPair, type KeySet, type PasswordHasher, type TokenService } from '@plotbox/auth';
import { parseConfig, type ApiConfig } from '@plotbox/config';
import type { BlobStore } from '@plotbox/blobs';
import type { Store, SystemRole, User } from '@plotbox/store';
import { createSqliteStore } from '@plotbox/store-sqlite';
import { createApp, createLogger, createSandboxClient, openBlobs, loadSecretBox, openIngest, registerSetupToken, type IngestDeps, type SandboxPort, type SetupTokenState } from '@plotbox/api';

let sharedPair: DevKeyPair | null = null;
/** One RSA key pair per test process (generation costs ~100 ms). */
export function testKeyPair(): DevKeyPair {
  sharedPair ??= generateDevKeyPair();
  return sharedPair;
}

export const ORIGIN = 'http://127.0.0.1:8080';
export const T0 = Date.parse('2026-03-01T10:00:00Z');

export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

export interface TestApi {
  readonly url: string;
  readonly clock: TestClock;
  readonly store: Store;
  readonly blobs: BlobStore;
  /** Dataset uploads: the ingest worker pool (processes start at the first upload) and staging. */
  readonly ingest: IngestDeps;
  readonly config: ApiConfig;
  readonly keySet: KeySet;
  readonly tokens: TokenService;
  readonly hasher: PasswordHasher;
  /** The Express app itself (e.g. to walk its mounted routes). */
  readonly app: ReturnType<typeof createApp>;
  /** Every JSON log line written so far. */
  readonly logs: string[];
  readonly dataDir: string;
  client(): Client;
  createUser(opts?: { email?: string; password?: string; role?: SystemRole; displayName?: string }): Promise<{ user: User; email: string; password: string }>;
}

/** Options of {@link startTestApi}. */
export interface TestApiOptions {
  readonly env?: Record<string, string>;
  readonly setup?: SetupTokenState | null;
  readonly dataDir?: string;
  /** The real sandbox service to use (`test/helpers/service.ts`). */
  readonly sandboxUrl?: string;
  readonly sandboxToken?: string;
  /** A sandbox port to use instead of the HTTP client (the fake of `services/api/src/testing/`). */
  readonly sandbox?: SandboxPort;
  /** Wrap the store the app gets (e.g. to count its operations); the test's `store` stays the raw one. */
  readonly wrapStore?: (store: Store) => Store;
}

/**
 * Start an app for one test; closed (server, store, temp dir) in `t.after`. Without `sandboxUrl`
 * or `sandbox` the app's sandbox client points at a closed port, so runs answer `SANDBOX_UNAVAILABLE`.
 */
export async function startTestApi(t: TestContext, opts: TestApiOptions = {}): Promise<TestApi> {
  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'plotbox-api-'));
  let at = T0;
  const clock: TestClock = { now: () => new Date(at), advance: (ms) => void (at += ms) };
  const config = parseConfig(
    {
      PLOTBOX_DATA_DIR: dir,
      PLOTBOX_PUBLIC_URL: ORIGIN,
      PLOTBOX_ARGON2_MEMORY_KIB: '1024',
      PLOTBOX_ARGON2_TIME_COST: '1',
      PLOTBOX_LOGIN_RATE_LIMIT: '1000',
      PLOTBOX_API_RATE_LIMIT: '10000',
      ...opts.env,
    },
    (p) => readFileSync(p, 'utf8'),
  );
  const store = createSqliteStore({ path: join(dir, 'plotbox.db'), now: clock.now, newId: randomUUID });
  const keySet = createKeySet({ keys: [testKeyPair()], activeKid: testKeyPair().kid });
  const tokens = createTokenService({ keySet, issuer: config.jwt.issuer, audience: config.jwt.audience, accessTtlSec: config.jwt.accessTtlSec, now: () => at });
  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1, allowWeak: true });
  const secrets = loadSecretBox(config.secretsKey).box;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = createLogger('info', sink);
  const blobs = await openBlobs(config);
  const sandbox = opts.sandbox ?? createSandboxClient({ url: opts.sandboxUrl ?? 'http://127.0.0.1:9', token: opts.sandboxToken ?? null, timeoutMs: 30_000 });
  const ingestParts = openIngest(config, blobs);
  const { ingest, storage } = ingestParts;
  const app = createApp({
    config,
    store: opts.wrapStore === undefined ? store : opts.wrapStore(store),
    blobs,
    sandbox,
    ingest,
    storage,
    keySet,
    tokens,
    hasher,
    secrets,
    logger,
    now: clock.now,
    newId: randomUUID,
  });
  if (opts.setup !== undefined && opts.setup !== null) await registerSetupToken(store, opts.setup);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((res) => server.once('listening', () => res()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
    await ingestParts.close();
    await store.close();
    if (opts.dataDir === undefined) rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  const api: TestApi = {
    url,
    clock,
    store,
    blobs,
    ingest,
    config,
    keySet,
    tokens,
    hasher,
    app,
    logs,
    dataDir: dir,
    client: () => new Client(url),
    async createUser(o = {}) {
      n += 1;
      const email = o.email ?? `user${n}-${randomUUID().slice(0, 8)}@example.com`;
      const password = o.password ?? `a fine passphrase ${n}`;
      const user = await store.users.create({ email, displayName: o.displayName ?? `User ${n}`, passwordHash: await hasher.hash(password), systemRole: o.role ?? 'user' });
      return { user, email, password };
    },
  };
  return api;
}

interface JarCookie {
  value: string;
  path: string;
}

/** A tiny browser: a cookie jar honouring Path and Max-Age=0, and the headers the web UI sends. */
export class Client {
  readonly url: string;
  readonly jar = new Map<string, JarCookie>();
  /** Raw Set-Cookie headers of the last response. */
  lastSetCookie: string[] = [];

  constructor(url: string) {
    this.url = url;
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name)?.value;
  }

  /** Send a request. `body` is JSON-encoded unless a string; `headers` override the defaults (null removes one). */
  async req(method: string, path: string, body?: unknown, headers: Record<string, string | null> = {}): Promise<Response> {
    const h: Record<string, string> = {};
    const defaults: Record<string, string> = method === 'GET' || method === 'HEAD' ? {} : { 'content-type': 'application/json', 'x-requested-with': 'plotbox' };
    for (const [k, v] of Object.entries({ ...defaults, ...headers })) if (v !== null) h[k] = v;
    const cookies = [...this.jar.entries()].filter(([, c]) => path.startsWith(c.path)).map(([k, c]) => `${k}=${c.value}`);
    if (cookies.length > 0 && h.cookie === undefined) h.cookie = cookies.join('; ');
    const res = await fetch(this.url + path, {
      method,
      headers: h,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const sc of this.lastSetCookie) {
      const [pair = '', ...attrs] = sc.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const pathAttr = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      if (attrs.some((a) => /^max-age=0$/iu.test(a)) || value === '') this.jar.delete(name);
      else this.jar.set(name, { value, path: pathAttr });
    }
    return res;
  }

  async login(email: string, password: string, extra: Record<string, unknown> = {}): Promise<Response> {
    return this.req('POST', '/api/auth/login', { email, password, ...extra });
  }
}

/** Read a JSON error body's code (and check the error shape). */
export async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code?: string; message?: string; requestId?: string } };
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string' || typeof body.error.requestId !== 'string') {
    throw new Error(`not an error body: ${JSON.stringify(body)}`);
  }
  return body.error.code;
}
