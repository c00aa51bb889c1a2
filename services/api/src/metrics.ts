/**
 * The API's Prometheus metrics (prom-client, one registry per app: no global state): requests by
 * route pattern and status with latencies, render cache hits and misses, sandbox call outcomes
 * and durations, login failures by reason, and (in the service, not in tests) Node's process
 * metrics such as event-loop delay and heap. Served at `GET /metrics` behind a bearer token
 * (`PLOTBOX_METRICS_TOKEN`), like the sandbox's own `/metrics`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ApiError } from './errors.ts';

/** What the rest of the API records. Labels are bounded sets (route patterns, codes, reasons). */
export interface ApiMetrics {
  readonly registry: Registry;
  /** Count one answered request (by the route pattern that answered it). */
  readonly http: { observe(req: Request, res: Response, seconds: number): void };
  renderCache(result: 'hit' | 'miss'): void;
  sandboxCall(outcome: string, seconds: number): void;
  loginFailure(reason: string): void;
  cspViolation(directive: string): void;
  /** A request refused by the IP allowlist (`PLOTBOX_ALLOW_CIDRS`). */
  ipRefused(): void;
  /** Single sign-on attempts by outcome (`success` or the reason it failed). */
  ssoLogin(outcome: string): void;
  /** Accounts the inactivity sweep disabled. */
  inactiveDisabled(count: number): void;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Build the metrics; `processMetrics` adds Node's default collectors (event loop, heap, GC, fds). */
export function createApiMetrics(options: { readonly processMetrics?: boolean } = {}): ApiMetrics {
  const registry = new Registry();
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry, prefix: 'plotbox_api_' });
  const requests = new Counter({
    name: 'plotbox_api_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'plotbox_api_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const cache = new Counter({ name: 'plotbox_api_render_cache_total', help: 'Saved-chart renders by cache result', labelNames: ['result'] as const, registers: [registry] });
  const sandboxCalls = new Counter({
    name: 'plotbox_api_sandbox_calls_total',
    help: 'Runs sent to the sandbox, by outcome (ok or the error code)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const sandboxLatency = new Histogram({ name: 'plotbox_api_sandbox_call_duration_seconds', help: 'Time of a sandbox run as the API saw it', buckets: LATENCY_BUCKETS, registers: [registry] });
  const csp = new Counter({
    name: 'plotbox_api_csp_violations_total',
    help: 'Content-Security-Policy violations browsers reported, by directive',
    labelNames: ['directive'] as const,
    registers: [registry],
  });
  const loginFailures = new Counter({ name: 'plotbox_api_login_failures_total', help: 'Failed sign-ins, by reason', labelNames: ['reason'] as const, registers: [registry] });
  const ipRefused = new Counter({ name: 'plotbox_api_ip_refused_total', help: 'Requests refused because the client address is outside PLOTBOX_ALLOW_CIDRS', registers: [registry] });
  const sso = new Counter({ name: 'plotbox_api_sso_logins_total', help: 'Single sign-on attempts, by outcome (success or why it failed)', labelNames: ['outcome'] as const, registers: [registry] });
  const inactive = new Counter({ name: 'plotbox_api_inactive_accounts_disabled_total', help: 'Accounts disabled by the inactivity sweep (PLOTBOX_DISABLE_INACTIVE_DAYS)', registers: [registry] });
  for (const result of ['hit', 'miss'] as const) cache.inc({ result }, 0);
  return {
    registry,
    http: {
      observe(req, res, seconds) {
        const route = routeLabel(req);
        requests.inc({ method: req.method, route, status: String(res.statusCode) });
        latency.observe({ method: req.method, route }, seconds);
      },
    },
    renderCache: (result) => cache.inc({ result }),
    sandboxCall(outcome, seconds) {
      sandboxCalls.inc({ outcome: /^[A-Z_]{1,64}$|^ok$/u.test(outcome) ? outcome : 'other' });
      sandboxLatency.observe(seconds);
    },
    cspViolation: (directive) => csp.inc({ directive: /^[a-z-]{1,40}$/u.test(directive) ? directive : 'other' }),
    loginFailure: (reason) => loginFailures.inc({ reason: /^[a-z_]{1,40}$/u.test(reason) ? reason : 'other' }),
    ipRefused: () => ipRefused.inc(),
    ssoLogin: (outcome) => sso.inc({ outcome: /^[a-z_]{1,40}$/u.test(outcome) ? outcome : 'other' }),
    inactiveDisabled: (count) => inactive.inc(count),
  };
}

/** The route pattern that answered (`/api/projects/:projectId`), never the raw path (unbounded labels). */
function routeLabel(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (route !== undefined && typeof route.path === 'string') return route.path;
  if (req.method === 'GET' && !req.path.startsWith('/api/')) return 'static';
  return 'unmatched';
}

/** Counts every answered request (on `finish`, so errors and 404s count too). */
export function metricsMiddleware(metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => metrics.http.observe(req, res, Number(process.hrtime.bigint() - started) / 1e9));
    next();
  };
}

/** `GET /metrics`: Prometheus text for a caller presenting the token (compared in constant time); 404 when metrics are off. */
export function metricsEndpoint(metrics: ApiMetrics, token: string | null): RequestHandler {
  const expected = token === null ? null : createHash('sha256').update(token).digest();
  return async (req, res) => {
    if (expected === null) throw new ApiError('API_NOT_FOUND');
    const header = req.headers.authorization;
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? createHash('sha256').update(header.slice(7)).digest() : null;
    if (presented === null || !timingSafeEqual(presented, expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new ApiError('AUTH_REQUIRED', { message: 'The metrics token is missing or wrong.' });
    }
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  };
}
