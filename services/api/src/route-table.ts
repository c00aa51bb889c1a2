/**
 * The resource API as one table of routes. Each route names the access action it needs (an action
 * of `@plotbox/access`, or `authenticated` for routes about the caller's own view), its schemas and
 * its handler; {@link mountRouteTable} turns the table into Express routes that authenticate,
 * validate, resolve the project/dashboard/chart/dataset named in the path, decide access from
 * current store data (404 for strangers, 403 for members lacking the permission) and only then
 * call the handler. The same table feeds `GET /api/openapi.json` and the authorization matrix
 * test, so a route cannot exist without a rule.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { AccessContext, Action, Evaluator } from '@plotbox/access';
import { can, decide, resolveAccess, systemContext, ACTION_SCOPE } from '@plotbox/access';
import type { Chart, Dashboard, Dataset, DatasetVersion, Project } from '@plotbox/store';
import { authenticate } from './authenticate.ts';
import type { AppContext, AuthState } from './context.ts';
import { actorOf, authOf, reqMeta } from './context.ts';
import { ApiError } from './errors.ts';
import { parseWith } from './schemas.ts';

export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The path parameters that name resources; {@link resolveScope} loads and checks each. */
export const SCOPE_PARAMS = ['projectId', 'dashboardId', 'chartId', 'datasetId', 'versionId'] as const;

/** What a route's path resolved to, all checked to belong together (else 404). */
export interface ResolvedScope {
  readonly project?: Project;
  readonly dashboard?: Dashboard;
  readonly chart?: Chart;
  readonly dataset?: Dataset;
  readonly version?: DatasetVersion;
  /** The caller's effective roles for the project (and dashboard) in the path. */
  readonly access: AccessContext;
}

/** What a handler gets: parsed input, the resolved scope and the access decision. */
export interface RouteCall<P, Q, B> {
  readonly req: Request;
  readonly res: Response;
  readonly ctx: AppContext;
  readonly auth: AuthState;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly scope: ResolvedScope;
  /** Allowed only because the caller is a system admin (SPEC §3.1): handlers audit such writes. */
  readonly asSystemAdmin: boolean;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  readonly method: RouteMethod;
  /** Express path with `:params`, always under `/api/`. */
  readonly path: string;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  readonly tag: string;
  /** The access action the route needs, or `authenticated` (any signed-in user; the handler filters). */
  readonly access: Action | 'authenticated';
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  /** JSON body schema. Omit for routes without a body (an empty object is still refused if non-empty). */
  readonly body?: z.ZodType<B>;
  /**
   * `upload`: the body is raw bytes the handler streams itself (dataset uploads); the JSON parser
   * and the JSON-only media type rule skip it. Default `json`.
   */
  readonly bodyKind?: 'json' | 'upload';
  /** May an API key call it? Default yes. */
  readonly apiKeys?: boolean;
  /** Status of a successful response, for the OpenAPI document. */
  readonly status: number;
  readonly handler: (call: RouteCall<P, Q, B>) => Promise<void>;
}

/** Any route of the table (handlers see their own typed input). */
export type AnyRoute = RouteSpec<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Declare a route with its input types inferred from its schemas. */
export function defineRoute<P = Record<string, never>, Q = Record<string, never>, B = undefined>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> {
  if (!spec.path.startsWith('/api/')) throw new TypeError(`route path must start with /api/: ${spec.path}`);
  const names = [...spec.path.matchAll(/:([A-Za-z]+)/gu)].map((m) => m[1] ?? '');
  if (spec.access !== 'authenticated' && ACTION_SCOPE[spec.access] !== 'system' && !names.includes('projectId')) {
    throw new TypeError(`a project or dashboard action needs :projectId in the path: ${spec.method.toUpperCase()} ${spec.path}`);
  }
  if (spec.access !== 'authenticated' && ACTION_SCOPE[spec.access] === 'dashboard' && names.includes('chartId') && !names.includes('dashboardId')) {
    throw new TypeError(`a chart route needs :dashboardId in the path: ${spec.path}`);
  }
  return Object.freeze(spec);
}

const notFound = (): ApiError => new ApiError('API_NOT_FOUND');
const EMPTY = z.strictObject({});

/**
 * Load the resources named in the path and check they belong together: a dashboard, dataset or
 * chart id from another project is a 404, like an id that does not exist.
 */
async function loadScope(ctx: AppContext, params: Record<string, unknown>): Promise<Omit<ResolvedScope, 'access'>> {
  const id = (name: (typeof SCOPE_PARAMS)[number]): string | undefined => (typeof params[name] === 'string' ? params[name] : undefined);
  const projectId = id('projectId');
  if (projectId === undefined) return {};
  const project = await ctx.store.projects.findById(projectId);
  if (project === null) throw notFound();
  const out: { project: Project; dashboard?: Dashboard; chart?: Chart; dataset?: Dataset; version?: DatasetVersion } = { project };
  const dashboardId = id('dashboardId');
  if (dashboardId !== undefined) {
    const dashboard = await ctx.store.dashboards.findById(dashboardId);
    if (dashboard === null || dashboard.projectId !== project.id) throw notFound();
    out.dashboard = dashboard;
  }
  const chartId = id('chartId');
  if (chartId !== undefined) {
    const chart = await ctx.store.charts.findById(chartId);
    if (chart === null || chart.projectId !== project.id || (out.dashboard !== undefined && chart.dashboardId !== out.dashboard.id)) throw notFound();
    out.chart = chart;
  }
  const datasetId = id('datasetId');
  if (datasetId !== undefined) {
    const dataset = await ctx.store.datasets.findById(datasetId);
    if (dataset === null || dataset.projectId !== project.id) throw notFound();
    out.dataset = dataset;
  }
  const versionId = id('versionId');
  if (versionId !== undefined) {
    const version = await ctx.store.datasets.findVersion(versionId);
    if (version === null || out.dataset === undefined || version.datasetId !== out.dataset.id) throw notFound();
    out.version = version;
  }
  return out;
}

/** The caller's effective roles, from the store as it is now (SPEC §3.3: nothing cached in tokens). */
async function accessFor(ctx: AppContext, auth: AuthState, scope: Omit<ResolvedScope, 'access'>): Promise<AccessContext> {
  if (scope.project === undefined) return systemContext(auth.user);
  const [groups, projectGrants, dashboardGrants] = await Promise.all([
    ctx.store.groups.listForUser(auth.user.id),
    ctx.store.projects.listGrants(scope.project.id),
    scope.dashboard === undefined ? Promise.resolve(undefined) : ctx.store.dashboards.listGrants(scope.dashboard.id),
  ]);
  return resolveAccess({
    user: auth.user,
    userGroupIds: groups.map((g) => g.id),
    projectGrants,
    ...(dashboardGrants === undefined ? {} : { dashboardGrants }),
  });
}

/**
 * Resolve and authorize a request: throws 404/403 (and audits the denial) or returns the scope.
 * `rule` is `null` for `authenticated` routes (the handler filters what it shows).
 */
async function authorize(ctx: AppContext, req: Request, auth: AuthState, rule: Evaluator | null, params: Record<string, unknown>): Promise<{ scope: ResolvedScope; asSystemAdmin: boolean }> {
  const loaded = await loadScope(ctx, params);
  const access = await accessFor(ctx, auth, loaded);
  const scope: ResolvedScope = { ...loaded, access };
  if (rule === null) return { scope, asSystemAdmin: false };
  const decision = decide(access, rule);
  if (decision.allowed) return { scope, asSystemAdmin: decision.asSystemAdmin };
  await ctx.audit({
    action: 'permission_denied',
    outcome: 'denied',
    actor: actorOf(auth),
    target: loaded.project === undefined ? null : { type: 'project', id: loaded.project.id },
    ...reqMeta(req),
    details: { route: `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? ''}`.slice(0, 200), required: decision.required, status: decision.status },
  });
  if (decision.status === 404) throw notFound();
  throw new ApiError('ACCESS_FORBIDDEN', { message: `You cannot do this: ${decision.reason}.` });
}

/** Mount every route of `table` on a new router. `apiLimit` runs after authentication (per user). */
export function mountRouteTable(ctx: AppContext, table: readonly AnyRoute[], apiLimit: RequestHandler): Router {
  const router = Router();
  const seen = new Set<string>();
  for (const spec of table) {
    const key = `${spec.method} ${spec.path}`;
    if (seen.has(key)) throw new TypeError(`route declared twice: ${key}`);
    seen.add(key);
    // Built once here (throws at boot for an unknown action), not per request.
    const rule = spec.access === 'authenticated' ? null : can(spec.access);
    router[spec.method](spec.path, authenticate(ctx, { apiKeys: spec.apiKeys ?? true }), apiLimit, async (req, res) => {
      const auth = authOf(res);
      // Authorize before validating query and body, so a stranger learns nothing from a 400 and
      // a malformed id is simply not found.
      let params: unknown = {};
      if (spec.params !== undefined) {
        const parsed = spec.params.safeParse({ ...req.params });
        if (!parsed.success) throw notFound();
        params = parsed.data;
      }
      const { scope, asSystemAdmin } = await authorize(ctx, req, auth, rule, params as Record<string, unknown>);
      const query = parseWith(spec.query ?? EMPTY, { ...(req.query as Record<string, unknown>) });
      const body: unknown = spec.bodyKind === 'upload' ? undefined : parseWith(spec.body ?? EMPTY, req.body ?? {});
      await spec.handler({ req, res, ctx, auth, params, query, body, scope, asSystemAdmin });
    });
  }
  return router;
}
