/**
 * `createApp(deps)`: the API as an Express 5 app, everything injected (store, key set, token
 * service, hasher, clock, id generator, logger, config). No I/O at import, no module state.
 */
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { ipKeyGenerator } from 'express-rate-limit';
import { createSessionPolicy, createTotp } from '@plotbox/auth';
import { createAudit } from './audit.ts';
import type { AppContext, AppDeps, AuthState } from './context.ts';
import { clientIp, reqMeta, requestIdOf } from './context.ts';
import { createIpAllowlist, createThrottle, ipAllowlistMiddleware } from './ip-allowlist.ts';
import { toApiError } from './error-table.ts';
import { ApiError, errorBody } from './errors.ts';
import { CSP_REPORT_PATH, cspReportRoute } from './csp-report.ts';
import { createApiMetrics, metricsEndpoint, metricsMiddleware } from './metrics.ts';
import { createRateLimiter } from './rate-limit.ts';
import { createSandboxInfoSource } from './sandbox-info.ts';
import { DEFAULT_TOKEN_CACHE, cacheVerifiedTokens } from './token-cache.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { oidcRoutes } from './routes/oidc-routes.ts';
import { meRoutes } from './routes/me-routes.ts';
import { API_ROUTES } from './routes/index.ts';
import { buildOpenApi } from './openapi.ts';
import { mountRouteTable, type AnyRoute } from './route-table.ts';
import { setupPageRoutes } from './web/setup-page.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** sha256 of `style=""`, which plotly.js's colorbars set. */
const PLOTLY_EMPTY_STYLE = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
/** sha256 of plotly.js's `PIXELATED_IMAGE_STYLE` (src/constants/pixelated_image.js), set on heatmap images. */
const PLOTLY_PIXELATED_STYLE = 'sha256-AR/cKIZjWPcPmBUPDA6oti9XBiTbJvz0Cro2J1VzzS8=';
/** sha256 of `cursor:pointer`, which plotly.js sets on links in chart text (svg_text_utils). */
const PLOTLY_LINK_STYLE = 'sha256-lGP/R5jOMXytzwBHVEM5Nv4XbT9fuH6V2dET/0dje2s=';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/u;

/** Build the API. Factories run now, so bad options throw at boot, not on the first request. */
export function createApp(deps: AppDeps): Express {
  const { config, store, logger } = deps;
  const ctx: AppContext = {
    ...deps,
    // Verified access tokens are remembered briefly; sessions are still checked per request.
    tokens: cacheVerifiedTokens(deps.tokens, { ...DEFAULT_TOKEN_CACHE, now: deps.now }),
    metrics: deps.metrics ?? createApiMetrics(),
    audit: createAudit(store, logger),
    sandboxInfo: createSandboxInfoSource({ sandbox: deps.sandbox, store, logger, now: deps.now }),
    sessionPolicy: createSessionPolicy({ idleTtlMs: config.session.idleMs, absoluteTtlMs: config.session.absoluteMs }),
    totp: createTotp({ issuer: 'Plotbox', now: () => deps.now().getTime() }),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxyHops === 0 ? false : config.trustProxyHops);
  app.set('etag', false);
  app.set('json escape', true);

  app.use(metricsMiddleware(ctx.metrics));
  app.use(
    pinoHttp({
      logger,
      // Request ids are ours: a client's X-Request-Id is kept apart (logs and audit details,
      // bounded and checked) and never becomes the id an audit event is filed under.
      genReqId: (req, res) => {
        const header = req.headers['x-request-id'];
        if (typeof header === 'string' && REQUEST_ID.test(header)) (res.locals as { clientRequestId?: string }).clientRequestId = header;
        const id = deps.newId();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customProps: (_req, res) => {
        const client = (res.locals as { clientRequestId?: string } | undefined)?.clientRequestId;
        return client === undefined ? {} : { clientRequestId: client };
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0], remoteAddress: req.remoteAddress }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err !== undefined || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'"],
          // plotly.js sets exactly three style attributes through d3 that cannot be avoided: an empty
          // one (colorbars), its "pixelated image" declarations (heatmaps) and `cursor:pointer` (links in text). They are allowed by
          // their hashes and nothing else is ('unsafe-hashes' is for attributes only, never <style>).
          styleSrcAttr: ["'unsafe-hashes'", `'${PLOTLY_EMPTY_STYLE}'`, `'${PLOTLY_PIXELATED_STYLE}'`, `'${PLOTLY_LINK_STYLE}'`],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          // Violations are reported to us (logged and counted), by both reporting mechanisms.
          reportUri: [CSP_REPORT_PATH],
          reportTo: ['csp'],
          ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      strictTransportSecurity: config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    }),
  );
  app.use((req, res, next) => {
    if (req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Reporting-Endpoints', `csp="${CSP_REPORT_PATH}"`);
    next();
  });
  if (config.allowCidrs !== null) {
    // Before anything else answers (probes and metrics excepted). Each refusal is logged with the
    // request and counted; it is audited at most once a minute per address per replica, so a flood
    // cannot fill the audit log.
    const auditOnce = createThrottle(60_000, 10_000, () => deps.now().getTime());
    app.use(
      ipAllowlistMiddleware(createIpAllowlist(config.allowCidrs), (req) => {
        ctx.metrics.ipRefused();
        const ip = clientIp(req);
        (req as Request & { log?: { warn: (o: object, m: string) => void } }).log?.warn({ ip }, 'refused: the client address is not in PLOTBOX_ALLOW_CIDRS');
        if (auditOnce(ip ?? 'unknown')) {
          void ctx.audit({ action: 'ip_refused', outcome: 'denied', actor: { kind: 'anonymous', userId: null }, ...reqMeta(req), details: { path: req.path.slice(0, 200), method: req.method } });
        }
      }),
    );
  }
  // Browsers send these without our CSRF header and not as JSON: before that rule, on their own terms.
  app.post(CSP_REPORT_PATH, ...cspReportRoute(ctx));
  app.locals.routeTable = API_ROUTES;
  // Built now, from the table being mounted: a schema that cannot be described fails at boot.
  app.locals.openApi = buildOpenApi(API_ROUTES);
  const isUpload = uploadMatcher(API_ROUTES);
  app.use(csrfAndMediaType(allowedOrigins(config), isUpload));
  // Upload routes stream their own body under their own cap (a JSON-rows dataset is not a JSON
  // request). Their connection closes after the answer: one refused early (404, 403, 413, 415...)
  // is not then read to its end, however much the client still sends.
  const jsonBody = express.json({ limit: config.maxBodyBytes, strict: true, type: ['application/json'] });
  app.use((req, res, next) => {
    if (!isUpload(req)) return void jsonBody(req, res, next);
    res.setHeader('Connection', 'close');
    next();
  });

  // Counters live in the store, so every API replica shares them.
  const limiter = (prefix: string, rule: { readonly limit: number; readonly windowMs: number }, key: Parameters<typeof createRateLimiter>[0]['key']): RequestHandler =>
    createRateLimiter({ counters: store.counters, prefix, limit: rule.limit, windowMs: rule.windowMs, key, now: deps.now });
  const byClientIp = (req: Request): string => ipKeyGenerator(req.ip ?? 'unknown');
  const loginLimiter = limiter('rl:login:', config.rateLimits.login, byClientIp);
  const refreshLimiter = limiter('rl:refresh:', config.rateLimits.api, byClientIp);
  const apiLimiter = limiter('rl:api:', config.rateLimits.api, (_req, res) => `user:${(res.locals as { auth?: AuthState }).auth?.user.id ?? 'anonymous'}`);

  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/api/ready', async (req, res) => {
    const [storeOk, blobs, sandboxOk, storage] = await Promise.all([
      store.ping().then(
        () => true,
        () => false,
      ),
      deps.blobs.health().then(
        (h) => (h.ok ? 'ok' : h.code === 'BLOB_STORAGE_FULL' ? 'full' : 'unavailable'),
        () => 'unavailable',
      ),
      deps.sandbox.ready(),
      deps.storage.check().catch(() => ({ probe: { ok: false, reason: 'unavailable' as const } })),
    ]);
    // Storage: every place the API writes must be writable and keep PLOTBOX_MIN_FREE_DISK_MB free.
    const failing = Object.entries(storage).filter(([, c]) => !c.ok);
    const storageState = failing.length === 0 ? 'ok' : (failing.find(([, c]) => c.reason === 'full')?.[1].reason ?? failing[0]?.[1].reason ?? 'unavailable');
    const checks = { store: storeOk ? 'ok' : 'unavailable', blobs, sandbox: sandboxOk ? 'ok' : 'unavailable', storage: storageState };
    const ready = storeOk && blobs === 'ok' && sandboxOk && failing.length === 0;
    const reasons = [
      ...(storeOk ? [] : ['the metadata store cannot be reached']),
      ...(blobs === 'ok' ? [] : [blobs === 'full' ? 'the blob store is full' : 'the blob store cannot be used']),
      ...(sandboxOk ? [] : ['the sandbox is not ready']),
      ...failing.map(
        ([where, c]) =>
          `${where}: ${c.reason === 'low_space' ? 'free space is below PLOTBOX_MIN_FREE_DISK_MB' : c.reason === 'full' ? 'the disk is full' : c.reason === 'not_writable' ? 'cannot be written' : 'unavailable'}`,
      ),
    ];
    // Free bytes go to the log only: the probe is public.
    if (failing.length > 0) (req as Request & { log?: { warn: (o: object, m: string) => void } }).log?.warn({ storage }, 'not ready: storage');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks, ...(ready ? {} : { reasons }) });
  });
  // Prometheus scrapes with its own bearer token; never a user session, never rate limited.
  app.get('/metrics', metricsEndpoint(ctx.metrics, config.metricsToken));
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(deps.keySet.toJwks());
  });
  app.use(setupPageRoutes(store));

  if (deps.webDir !== undefined) {
    // The UI: index.html, app.js, app.css and plotly.js from the API's own origin (CSP 'self').
    // index.html is never cached (it names the bundles); the bundles are revalidated.
    app.use(
      express.static(deps.webDir, {
        index: 'index.html',
        etag: true,
        lastModified: true,
        dotfiles: 'ignore',
        redirect: false,
        setHeaders: (res, file) => res.setHeader('Cache-Control', file.endsWith('index.html') ? 'no-store' : 'no-cache'),
      }),
    );
  }
  app.use(oidcRoutes(ctx, loginLimiter));
  app.use(authRoutes(ctx, { login: loginLimiter, refresh: refreshLimiter }));
  app.use(meRoutes(ctx, apiLimiter));
  app.use(mountRouteTable(ctx, API_ROUTES, apiLimiter));

  app.use(() => {
    throw new ApiError('API_NOT_FOUND');
  });
  app.use(errorHandler(ctx));
  return app;
}

/** Matches requests for the table's `upload` routes (raw bodies the route streams itself). */
function uploadMatcher(table: readonly AnyRoute[]): (req: Request) => boolean {
  const patterns = table.filter((r) => r.bodyKind === 'upload').map((r) => ({ method: r.method.toUpperCase(), re: new RegExp(`^${r.path.replace(/:[A-Za-z]+/gu, '[^/]+')}$`, 'u') }));
  return (req) => patterns.some((p) => p.method === req.method && p.re.test(req.path));
}

function isJson(req: Request): boolean {
  const type = req.headers['content-type'];
  return typeof type === 'string' && /^application\/json\s*(;\s*charset=utf-8\s*)?$/iu.test(type.trim());
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * CSRF (SPEC §4) and JSON-only: a state-changing request not authenticated by an API key must
 * carry `X-Requested-With: plotbox` (a custom header a cross-site form cannot send and fetch can
 * only send after a CORS preflight, which we never grant), must not come from a foreign `Origin`
 * or a cross-site fetch, and must be `application/json`. API-key requests carry no cookies and
 * are exempt from the header rule; their bodies must still be JSON.
 */
/**
 * Origins a browser may send state-changing requests from: the public origin, and in dev, when that
 * is a loopback address, the other loopback spellings of the same port (`localhost` vs `127.0.0.1`).
 */
function allowedOrigins(config: AppDeps['config']): ReadonlySet<string> {
  const origins = new Set([config.publicOrigin]);
  const u = new URL(config.publicOrigin);
  if (config.env === 'dev' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) {
    for (const host of ['localhost', '127.0.0.1', '[::1]']) origins.add(`${u.protocol}//${host}${u.port === '' ? '' : `:${u.port}`}`);
  }
  return origins;
}

function csrfAndMediaType(allowed: ReadonlySet<string>, isUpload: (req: Request) => boolean): RequestHandler {
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const authz = req.headers.authorization;
    const apiKey = typeof authz === 'string' && authz.startsWith('Bearer pbx_');
    if (!apiKey) {
      const origin = req.headers.origin;
      if (origin !== undefined && !allowed.has(origin)) throw new ApiError('ACCESS_CSRF');
      if (req.headers['sec-fetch-site'] === 'cross-site') throw new ApiError('ACCESS_CSRF');
      if (req.headers['x-requested-with'] !== 'plotbox') throw new ApiError('ACCESS_CSRF');
    }
    // Dataset uploads carry CSV, JSON rows or Arrow bytes; their route checks the type itself.
    if (isUpload(req)) return next();
    const needsJson = hasBody(req) || (!apiKey && req.method !== 'DELETE');
    if (needsJson && !isJson(req)) throw new ApiError('VALIDATION_UNSUPPORTED_MEDIA_TYPE');
    next();
  };
}

/** What body-parser's own failures mean (they carry a `type`, not one of our codes). */
function bodyParserError(type: string, maxBodyBytes: number): ApiError | null {
  if (type === 'entity.too.large') return new ApiError('VALIDATION_PAYLOAD_TOO_LARGE', { message: `The request body is larger than ${maxBodyBytes} bytes.` });
  if (type === 'entity.parse.failed') return new ApiError('VALIDATION_MALFORMED_JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new ApiError('VALIDATION_UNSUPPORTED_MEDIA_TYPE');
  if (type.startsWith('request.')) return new ApiError('VALIDATION_FAILED', { message: 'The request body could not be read.' });
  return null;
}

/**
 * The one error handler: every failure becomes `{ error: { code, message, requestId } }`. Package
 * errors are translated by the one table (`error-table.ts`); server-side failures are logged with
 * their cause under the request id, never sent.
 */
function errorHandler(ctx: AppContext): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const type = (err as { type?: unknown } | null)?.type;
    const apiErr = (typeof type === 'string' ? bodyParserError(type, ctx.config.maxBodyBytes) : null) ?? toApiError(err);
    if (apiErr.status >= 500) (req as Request & { log?: { error: (o: object, m: string) => void } }).log?.error({ err }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    if (apiErr.retryAfterSec !== undefined) res.setHeader('Retry-After', String(apiErr.retryAfterSec));
    res.status(apiErr.status).json(errorBody(apiErr, requestIdOf(req)));
  };
}
