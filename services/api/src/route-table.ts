/**
 * The resource API as one table of routes. Each route names the access rule it needs (an action
 * of `@plotbox/access`, a composed evaluator such as `all(can(a), can(b))`, or `authenticated` for
 * routes about the caller's own view), its schemas and its handler; {@link mountRouteTable} turns
 * the table into Express routes that authenticate, resolve the project/dashboard/chart/dataset
 * named in the path, decide access from current store data (404 for strangers, 403 for members
 * lacking the permission), validate, and only then call the handler. Handlers keep to: parse →
 * authorize (done here) → call a use case → audit → send. The same table feeds
 * `GET /api/openapi.json` and the authorization matrix test, so a route cannot exist without a rule.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { AccessContext, Action, Evaluator } from '@plotbox/access';
import { ACTION_SCOPE, can, decide, resolveAccess, systemContext } from '@plotbox/access';
import type { Chart, Dashboard, Dataset, DatasetVersion, Project } from '@plotbox/store';
import { authenticate } from './authenticate.ts';
import type { AppContext, AuthState } from './context.ts';
import { actorOf, authOf, reqMeta } from './context.ts';
import { ApiError } from './errors.ts';
import { parseWith } from './schemas.ts';
import type { Caller } from './context.ts';

export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The path parameters that name resources; the route table loads and checks each. */
export const SCOPE_PARAMS = ['projectId', 'dashboardId', 'chartId', 'datasetId', 'versionId'] as const;

/** Does `Path` have the parameter `:Name` (a whole segment)? */
type HasParam<Path extends string, Name extends string> = Path extends `${string}:${Name}` | `${string}:${Name}/${string}` ? true : false;
type When<Cond, T> = Cond extends true ? T : Record<never, never>;

/**
 * What a route's path resolved to, typed from the path itself: a route with `:dashboardId` gets
 * `scope.dashboard: Dashboard`, and so on; all checked to belong together (else 404).
 */
export type ScopeOf<Path extends string> = When<HasParam<Path, 'projectId'>, { readonly project: Project }> &
  When<HasParam<Path, 'dashboardId'>, { readonly dashboard: Dashboard }> &
  When<HasParam<Path, 'chartId'>, { readonly chart: Chart }> &
  When<HasParam<Path, 'datasetId'>, { readonly dataset: Dataset }> &
  When<HasParam<Path, 'versionId'>, { readonly version: DatasetVersion }> & {
    /** The caller's effective roles for the project (and dashboard) in the path. */
    readonly access: AccessContext;
  };

/** A scope as loaded, before the path's type says which parts are there. */
export interface ResolvedScope {
  readonly project?: Project;
  readonly dashboard?: Dashboard;
  readonly chart?: Chart;
  readonly dataset?: Dataset;
  readonly version?: DatasetVersion;
  readonly access: AccessContext;
}

/** What a handler gets: parsed input, the resolved scope, the access decision and the caller. */
export interface RouteCall<Path extends string, P, Q, B> {
  readonly req: Request;
  readonly res: Response;
  readonly ctx: AppContext;
  readonly auth: AuthState;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly scope: ScopeOf<Path>;
  /** Allowed only because the caller is a system admin (SPEC §3.1): handlers audit such writes. */
  readonly asSystemAdmin: boolean;
  /** Who calls, as plain data for use cases and audit events. */
  readonly caller: Caller;
}

/** A route's access rule: an action, a composed evaluator, or any signed-in user (the handler filters). */
export type RouteAccess = Action | Evaluator | 'authenticated';

export interface RouteSpec<Path extends string = string, P = unknown, Q = unknown, B = unknown> {
  readonly method: RouteMethod;
  /** Express path with `:params`, always under `/api/`. */
  readonly path: Path;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  readonly tag: string;
  readonly access: RouteAccess;
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
  readonly handler: (call: RouteCall<Path, P, Q, B>) => Promise<void>;
}

/** Any route of the table (handlers see their own typed input). */
export type AnyRoute = RouteSpec<string, any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The evaluator a route is decided by (`null`: any signed-in user). Built once, at boot. */
export function routeRule(route: Pick<AnyRoute, 'access'>): Evaluator | null {
  if (route.access === 'authenticated') return null;
  return typeof route.access === 'string' ? can(route.access) : route.access;
}

/** How the route's rule reads in the OpenAPI document: the action, or the composed rule's description. */
export function accessLabel(route: Pick<AnyRoute, 'access'>): string {
  return typeof route.access === 'string' ? route.access : route.access.describe();
}

/** Declare a route with its scope typed from its path and its input types from its schemas. */
// `NoInfer` on the result: a table typed `AnyRoute[]` must not make the path's type `string`.
export function defineRoute<const Path extends string, P = Record<string, never>, Q = Record<string, never>, B = undefined>(spec: RouteSpec<Path, P, Q, B>): RouteSpec<NoInfer<Path>, P, Q, B> {
  if (!spec.path.startsWith('/api/')) throw new TypeError(`route path must start with /api/: ${spec.path}`);
  const names = [...spec.path.matchAll(/:([A-Za-z]+)/gu)].map((m) => m[1] ?? '');
  // Throws for an unknown action or a malformed evaluator: at boot, not on a request.
  const actions = routeRule(spec)?.actions ?? [];
  if (actions.some((a) => ACTION_SCOPE[a] !== 'system') && !names.includes('projectId')) {
    throw new TypeError(`a project or dashboard action needs :projectId in the path: ${spec.method.toUpperCase()} ${spec.path}`);
  }
  if (actions.some((a) => ACTION_SCOPE[a] === 'dashboard') && names.includes('chartId') && !names.includes('dashboardId')) {
    throw new TypeError(`a chart route needs :dashboardId in the path: ${spec.path}`);
  }
  return Object.freeze(spec);
}

const notFound = (): ApiError => new ApiError('API_NOT_FOUND');
const EMPTY = z.strictObject({});

/**
 * Load the resources named in the path and the caller's roles over them, all at once (every id is
 * in the path), then check they belong together: a dashboard, dataset or chart id from another
 * project is a 404, like an id that does not exist. Roles come from the store as it is now
 * (SPEC §3.3: nothing cached in tokens).
 */
async function loadScope(ctx: AppContext, auth: AuthState, params: Record<string, unknown>): Promise<ResolvedScope> {
  const id = (name: (typeof SCOPE_PARAMS)[number]): string | undefined => (typeof params[name] === 'string' ? params[name] : undefined);
  const projectId = id('projectId');
  if (projectId === undefined) return { access: systemContext(auth.user) };
  const [dashboardId, chartId, datasetId, versionId] = [id('dashboardId'), id('chartId'), id('datasetId'), id('versionId')];
  const { store } = ctx;
  const none = Promise.resolve(null);
  // Started together, so the store may serve them as one read (one SQLite transaction).
  const [project, dashboard, chart, dataset, version, groups, projectGrants, dashboardGrants] = await store.readTogether(() =>
    Promise.all([
      store.projects.findById(projectId),
      dashboardId === undefined ? none : store.dashboards.findById(dashboardId),
      chartId === undefined ? none : store.charts.findById(chartId),
      datasetId === undefined ? none : store.datasets.findById(datasetId),
      versionId === undefined ? none : store.datasets.findVersion(versionId),
      store.groups.listForUser(auth.user.id),
      store.projects.listGrants(projectId),
      dashboardId === undefined ? Promise.resolve(undefined) : store.dashboards.listGrants(dashboardId),
    ]),
  );
  if (project === null) throw notFound();
  if (dashboardId !== undefined && (dashboard === null || dashboard.projectId !== project.id)) throw notFound();
  if (chartId !== undefined && (chart === null || chart.projectId !== project.id || (dashboard !== null && chart.dashboardId !== dashboard.id))) throw notFound();
  if (datasetId !== undefined && (dataset === null || dataset.projectId !== project.id)) throw notFound();
  if (versionId !== undefined && (version === null || dataset === null || version.datasetId !== dataset.id)) throw notFound();
  const access = resolveAccess({ user: auth.user, userGroupIds: groups.map((g) => g.id), projectGrants, ...(dashboardGrants === undefined ? {} : { dashboardGrants }) });
  return {
    project,
    ...(dashboard === null ? {} : { dashboard }),
    ...(chart === null ? {} : { chart }),
    ...(dataset === null ? {} : { dataset }),
    ...(version === null ? {} : { version }),
    access,
  };
}

/**
 * Resolve and authorize a request: throws 404/403 (and audits the denial) or returns the scope.
 * `rule` is `null` for `authenticated` routes (the handler filters what it shows).
 */
async function authorize(ctx: AppContext, req: Request, auth: AuthState, rule: Evaluator | null, params: Record<string, unknown>): Promise<{ scope: ResolvedScope; asSystemAdmin: boolean }> {
  const scope = await loadScope(ctx, auth, params);
  if (rule === null) return { scope, asSystemAdmin: false };
  const decision = decide(scope.access, rule);
  if (decision.allowed) return { scope, asSystemAdmin: decision.asSystemAdmin };
  await ctx.audit({
    action: 'permission_denied',
    outcome: 'denied',
    actor: actorOf(auth),
    target: scope.project === undefined ? null : { type: 'project', id: scope.project.id },
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
    const rule = routeRule(spec);
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
      const caller: Caller = { ...reqMeta(req), actor: actorOf(auth), asSystemAdmin };
      // The scope holds what the path names (loadScope threw otherwise), which is what ScopeOf<Path> says.
      await spec.handler({ req, res, ctx, auth, params, query, body, scope: scope as ScopeOf<string>, asSystemAdmin, caller });
    });
  }
  return router;
}
