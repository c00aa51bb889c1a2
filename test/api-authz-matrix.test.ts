// The authorization matrix: EVERY route of the API's route table × every persona, over HTTP, with
// the expected outcome derived from @plotbox/access (ROLE_ACTIONS, SYSTEM_ROLE_ACTIONS,
// resolveAccess and the SPEC's 404-for-strangers / 403-for-members rule), never from a hand-written
// list. Plus: every /api route mounted on the Express app is a table route or an explicitly listed
// hand-mounted (sign-in, self-service, setup, probe) route, so a new route without a rule fails
// here; and ids from another project (or dashboard) under a project's path are 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { GrantInput, ProjectRole, SystemRole } from '@plotbox/access';
import { ACTION_SCOPE, ROLE_ACTIONS, SYSTEM_ROLE_ACTIONS, can, decide, isSystemAction, resolveAccess, systemContext } from '@plotbox/access';
import { API_ROUTES, HAND_MOUNTED_ROUTES, accessLabel, openApiPath, type AnyRoute } from '@plotbox/api';
import { buildDataset, parseCsv, type BuiltDataset } from '@plotbox/datasets';
import type { Chart, Dashboard, Dataset, DatasetVersion, Group, Project, User } from '@plotbox/store';
import { errorCode, startTestApi, type Client, type TestApi } from './helpers/api.ts';

// ---------------------------------------------------------------- personas

/** The shared groups personas belong to; each fresh project grants them a role. */
const GROUP_ROLES = { editors: 'editor', viewers: 'viewer', owners: 'owner' } as const satisfies Record<string, ProjectRole>;
type GroupName = keyof typeof GROUP_ROLES;

interface PersonaSpec {
  readonly name: string;
  /** `null`: anonymous (no credentials). */
  readonly systemRole: SystemRole | null;
  /** Direct project grant on every fixture project (`owner` is the creator). */
  readonly grant?: ProjectRole;
  readonly groups?: readonly GroupName[];
  /** What the persona is meant to be on the project: checked against resolveAccess, so the fixture cannot drift. */
  readonly meant: ProjectRole | null;
}

const PERSONAS: readonly PersonaSpec[] = [
  { name: 'anonymous', systemRole: null, meant: null },
  { name: 'outsider (no grant)', systemRole: 'user', meant: null },
  { name: 'system viewer granted project viewer', systemRole: 'viewer', grant: 'viewer', meant: 'viewer' },
  { name: 'project viewer', systemRole: 'user', grant: 'viewer', meant: 'viewer' },
  { name: 'project editor', systemRole: 'user', grant: 'editor', meant: 'editor' },
  { name: 'project owner', systemRole: 'user', grant: 'owner', meant: 'owner' },
  { name: 'system admin (no grant)', systemRole: 'admin', meant: 'owner' },
  { name: 'editor via a group', systemRole: 'user', groups: ['editors'], meant: 'editor' },
  { name: 'viewer via one group, owner via another', systemRole: 'user', groups: ['viewers', 'owners'], meant: 'owner' },
];
const CREATOR = 'project owner';

interface Persona {
  readonly spec: PersonaSpec;
  readonly user: User | null;
  readonly client: Client;
}

interface World {
  readonly api: TestApi;
  readonly personas: readonly Persona[];
  readonly groups: Readonly<Record<GroupName, Group>>;
  readonly creator: User;
  readonly passwordHash: string;
  readonly data: BuiltDataset;
}

async function createWorld(api: TestApi): Promise<World> {
  const personas: Persona[] = [];
  for (const spec of PERSONAS) {
    if (spec.systemRole === null) {
      personas.push({ spec, user: null, client: api.client() });
      continue;
    }
    const u = await api.createUser({ role: spec.systemRole, displayName: spec.name });
    const client = api.client();
    assert.equal((await client.login(u.email, u.password)).status, 200, spec.name);
    personas.push({ spec, user: u.user, client });
  }
  const membersOf = (g: GroupName): string[] => personas.filter((p) => p.user !== null && (p.spec.groups ?? []).includes(g)).map((p) => (p.user as User).id);
  const groups = {} as Record<GroupName, Group>;
  for (const g of Object.keys(GROUP_ROLES) as GroupName[]) groups[g] = await api.store.groups.create({ name: `persona-${g}`, memberIds: membersOf(g) });
  const creator = personas.find((p) => p.spec.name === CREATOR)?.user;
  assert.ok(creator);
  return {
    api,
    personas,
    groups,
    creator,
    passwordHash: await api.hasher.hash(`target passphrase ${randomUUID()}`),
    data: buildDataset(parseCsv('region,amount\nnorth,10\nsouth,20\n')),
  };
}

// ---------------------------------------------------------------- fixtures

/** One project with every persona's grants, a dashboard, a chart, a dataset with a version, a group and a target user. */
interface Fixture {
  readonly project: Project;
  readonly dashboard: Dashboard;
  readonly chart: Chart;
  readonly dataset: Dataset;
  readonly version: DatasetVersion;
  /** Not a persona: the user the user, member and grant routes act on (a project viewer, with a dashboard grant, in `group`). */
  readonly target: User;
  /** A group of its own (not a persona's), holding `target`. */
  readonly group: Group;
  readonly projectGrants: readonly GrantInput[];
  readonly dashboardGrants: readonly GrantInput[];
}

async function createFixture(w: World): Promise<Fixture> {
  const { store, blobs } = w.api;
  const tag = randomUUID();
  const target = await store.users.create({ email: `target-${tag}@example.com`, displayName: 'Target', passwordHash: w.passwordHash, systemRole: 'user' });
  const project = await store.projects.create({ name: `Project ${tag}`, createdBy: w.creator.id });
  const projectGrants: GrantInput[] = [];
  for (const p of w.personas) if (p.user !== null && p.spec.grant !== undefined) projectGrants.push({ principal: { kind: 'user', id: p.user.id }, role: p.spec.grant });
  for (const g of Object.keys(GROUP_ROLES) as GroupName[]) projectGrants.push({ principal: { kind: 'group', id: w.groups[g].id }, role: GROUP_ROLES[g] });
  projectGrants.push({ principal: { kind: 'user', id: target.id }, role: 'viewer' });
  for (const g of projectGrants) if (g.principal.id !== w.creator.id) await store.projects.setGrant(project.id, g.principal, g.role);
  assert.deepEqual(
    (await store.projects.listGrants(project.id)).map((g) => `${g.principal.kind}:${g.principal.id}:${g.role}`).sort(),
    projectGrants.map((g) => `${g.principal.kind}:${g.principal.id}:${g.role}`).sort(),
    'the store holds exactly the grants the expectations are computed from',
  );
  const dashboard = await store.dashboards.create({ projectId: project.id, name: `Dashboard ${tag}` });
  const dashboardGrants: GrantInput[] = [{ principal: { kind: 'user', id: target.id }, role: 'editor' }];
  for (const g of dashboardGrants) await store.dashboards.setGrant(dashboard.id, g.principal, g.role);
  const dataset = await store.datasets.create({ projectId: project.id, name: `sales-${tag}` });
  const { sha256 } = w.data.dataset;
  const blobKey = `datasets/${project.id}/${dataset.id}/${sha256}.arrow`;
  await blobs.put(blobKey, w.data.bytes, { expectedSha256: sha256, contentType: 'application/vnd.apache.arrow.stream' });
  const { version } = await store.datasets.addVersion(dataset.id, {
    sha256,
    blobKey,
    bytes: w.data.bytes.byteLength,
    rowCount: w.data.dataset.rowCount,
    schema: { columns: w.data.dataset.columns.map((c) => ({ name: c.name, type: c.kind })) },
    profile: {},
    createdBy: w.creator.id,
  });
  const code = 'export default (data) => ({ data: [{ type: "bar", x: data.region, y: data.amount }] });';
  const chart = await store.charts.create({ dashboardId: dashboard.id, title: 'Sales', code, lang: 'js', datasetId: dataset.id, codeHash: createHash('sha256').update(code).digest('hex') });
  const group = await store.groups.create({ name: `group-${tag}`, memberIds: [target.id] });
  return { project, dashboard, chart, dataset, version, target, group, projectGrants, dashboardGrants };
}

/** Fill an Express path from a fixture. A parameter the fixture cannot fill fails loudly: extend the fixture. */
function fillPath(path: string, fx: Fixture, override: Partial<Record<string, string>> = {}): string {
  const values: Record<string, string> = {
    projectId: fx.project.id,
    dashboardId: fx.dashboard.id,
    chartId: fx.chart.id,
    datasetId: fx.dataset.id,
    versionId: fx.version.id,
    kind: 'user',
    principalId: fx.target.id,
    userId: fx.target.id,
    groupId: fx.group.id,
  };
  return path.replace(/:([A-Za-z]+)/gu, (_m, name: string) => {
    const v = override[name] ?? values[name];
    if (v === undefined) throw new Error(`the matrix fixture has no value for :${name} in ${path}; add one to fillPath`);
    return encodeURIComponent(v);
  });
}

// ---------------------------------------------------------------- expectations

type Outcome = 'allowed' | 401 | 403 | 404;

/**
 * What @plotbox/access says `persona` gets on `route` over `fx`: anonymous 401; a system action
 * by SYSTEM_ROLE_ACTIONS (403 otherwise); a resource action by ROLE_ACTIONS on the effective role
 * (project role, or the dashboard role for dashboard actions on a route naming a dashboard), 404
 * when the persona holds no role there at all, 403 when its role lacks the action.
 */
function expectedOutcome(route: AnyRoute, persona: Persona, w: World, fx: Fixture): Outcome {
  if (persona.user === null) return 401;
  if (route.access === 'authenticated') return 'allowed';
  if (typeof route.access !== 'string') {
    // A composed rule: what its evaluator decides over the persona's roles (each action it is made
    // of is checked against the tables on the routes that need it alone).
    const groupIds = (persona.spec.groups ?? []).map((g) => w.groups[g].id);
    const withDashboard = route.path.includes(':dashboardId');
    const ctx = route.path.includes(':projectId')
      ? resolveAccess({ user: persona.user, userGroupIds: groupIds, projectGrants: fx.projectGrants, ...(withDashboard ? { dashboardGrants: fx.dashboardGrants } : {}) })
      : systemContext(persona.user);
    const decision = decide(ctx, route.access);
    return decision.allowed ? 'allowed' : decision.status;
  }
  const action = route.access;
  if (isSystemAction(action)) return (SYSTEM_ROLE_ACTIONS[persona.user.systemRole] as readonly string[]).includes(action) ? 'allowed' : 403;
  const userGroupIds = (persona.spec.groups ?? []).map((g) => w.groups[g].id);
  const onDashboard = route.path.includes(':dashboardId');
  const access = resolveAccess({ user: persona.user, userGroupIds, projectGrants: fx.projectGrants, ...(onDashboard ? { dashboardGrants: fx.dashboardGrants } : {}) });
  assert.equal(access.projectRole, persona.spec.meant, `${persona.spec.name}: the fixture gives the role the persona is meant to have`);
  const role = ACTION_SCOPE[action] === 'dashboard' && access.dashboardRole !== undefined ? access.dashboardRole : access.projectRole;
  const seesAnything = access.projectRole !== null || (access.dashboardRole ?? null) !== null;
  const outcome: Outcome = !seesAnything ? 404 : role !== null && (ROLE_ACTIONS[role] as readonly string[]).includes(action) ? 'allowed' : 403;
  // The table-derived expectation and the evaluator the API uses must agree.
  const d = decide(access, can(action));
  assert.equal(d.allowed ? 'allowed' : d.status, outcome, `${route.method} ${route.path} ${persona.spec.name}: decide() agrees with ROLE_ACTIONS`);
  return outcome;
}

const CODE_OF = { 401: 'AUTH_REQUIRED', 403: 'ACCESS_FORBIDDEN', 404: 'API_NOT_FOUND' } as const;

/** Send the route's request as `persona`: JSON `{}` as the body of POST/PUT/PATCH (a 400 still proves authorization passed). */
async function send(persona: Persona, route: AnyRoute, path: string): Promise<Response> {
  const method = route.method.toUpperCase();
  return persona.client.req(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
}

async function describeStatus(res: Response): Promise<string> {
  const text = await res.text();
  let code = '';
  try {
    code = String((JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '');
  } catch {
    // not JSON: the status says enough
  }
  return `${res.status}${code === '' ? '' : ` ${code}`}`;
}

test('authorization matrix: every table route × every persona gets what @plotbox/access says', async (t) => {
  const api = await startTestApi(t);
  const w = await createWorld(api);
  const mismatches: string[] = [];
  const seen = new Map<Outcome, number>();
  for (const route of API_ROUTES) {
    for (const persona of w.personas) {
      // A fresh fixture per request, so a DELETE allowed for one persona leaves the next one its rows.
      const fx = await createFixture(w);
      const expected = expectedOutcome(route, persona, w, fx);
      seen.set(expected, (seen.get(expected) ?? 0) + 1);
      const res = await send(persona, route, fillPath(route.path, fx));
      const got = await describeStatus(res);
      const label = `${route.method.toUpperCase()} ${route.path} as ${persona.spec.name} (${route.access})`;
      if (expected === 'allowed') {
        if (res.status === 401 || res.status === 403 || res.status === 404) mismatches.push(`${label}: expected allowed, got ${got}`);
      } else if (got !== `${expected} ${CODE_OF[expected]}`) {
        mismatches.push(`${label}: expected ${expected} ${CODE_OF[expected]}, got ${got}`);
      }
    }
  }
  assert.deepEqual(mismatches, []);
  assert.equal(
    [...seen.values()].reduce((a, b) => a + b, 0),
    API_ROUTES.length * PERSONAS.length,
  );
  for (const o of ['allowed', 401, 403, 404] as const) assert.ok((seen.get(o) ?? 0) > 0, `the matrix exercised ${o}`);
});

// ---------------------------------------------------------------- cross-project and cross-dashboard ids

test('ids from another project (or a chart of another dashboard) under a project’s path are 404, even for its owner and an admin', async (t) => {
  const api = await startTestApi(t);
  const w = await createWorld(api);
  const owner = w.personas.find((p) => p.spec.name === CREATOR);
  const admin = w.personas.find((p) => p.spec.systemRole === 'admin');
  assert.ok(owner && admin);
  const SWAPPABLE = ['dashboardId', 'chartId', 'datasetId', 'versionId'] as const;
  const routes = API_ROUTES.filter((r) => SWAPPABLE.some((p) => r.path.includes(`:${p}`)));
  assert.ok(routes.length > 0);
  const mismatches: string[] = [];
  let checked = 0;
  for (const route of routes) {
    for (const param of SWAPPABLE.filter((p) => route.path.includes(`:${p}`))) {
      for (const who of [owner, admin]) {
        const a = await createFixture(w);
        const b = await createFixture(w); // same owner, same grants: only the ids' project differs
        const foreign = { dashboardId: b.dashboard.id, chartId: b.chart.id, datasetId: b.dataset.id, versionId: b.version.id }[param];
        const res = await send(who, route, fillPath(route.path, a, { [param]: foreign }));
        const got = await describeStatus(res);
        if (got !== '404 API_NOT_FOUND') mismatches.push(`${route.method.toUpperCase()} ${route.path} with :${param} of another project as ${who.spec.name}: got ${got}`);
        checked++;
      }
    }
    if (route.path.includes(':chartId') && route.path.includes(':dashboardId')) {
      // A chart of another dashboard of the same project.
      const a = await createFixture(w);
      const other = await api.store.dashboards.create({ projectId: a.project.id, name: 'Other' });
      const res = await send(owner, route, fillPath(route.path, a, { dashboardId: other.id }));
      const got = await describeStatus(res);
      if (got !== '404 API_NOT_FOUND') mismatches.push(`${route.method.toUpperCase()} ${route.path} with a chart of another dashboard: got ${got}`);
      checked++;
    }
  }
  assert.deepEqual(mismatches, []);
  assert.ok(checked >= routes.length * 2);
});

// ---------------------------------------------------------------- every mounted route has a rule

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  slash?: boolean;
  rawPath?: unknown;
}

/** Every `METHOD path` mounted on an Express 5 app, through nested routers. */
function mountedRoutes(stack: readonly Layer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route !== undefined) {
      assert.equal(typeof layer.route.path, 'string', 'route paths are strings (extend the walk for arrays or patterns)');
      for (const [method, on] of Object.entries(layer.route.methods)) if (on) out.push(`${method.toUpperCase()} ${prefix}${String(layer.route.path)}`);
    } else if (Array.isArray(layer.handle?.stack)) {
      const mount = layer.slash === true ? '' : layer.rawPath;
      assert.equal(typeof mount, 'string', 'router mount paths are strings');
      out.push(...mountedRoutes(layer.handle.stack, `${prefix}${String(mount)}`));
    }
  }
  return out;
}

/** Hand-mounted /api routes may only be sign-in, self-service, setup or probes; everything else belongs in the table. */
const SELF_SERVICE = /^\/api\/(auth\/[a-z]+|auth\/oidc\/[a-z]+|me|me\/.+|setup|health|ready|csp-report)$/u;

test('every /api route mounted on the app is a table route or a listed sign-in/self-service route, and vice versa', async (t) => {
  const api = await startTestApi(t);
  const mounted = mountedRoutes((api.app as unknown as { router: { stack: Layer[] } }).router.stack);
  const key = (r: { method: string; path: string }): string => `${r.method.toUpperCase()} ${r.path}`;
  const table = new Set(API_ROUTES.map(key));
  const hand = new Set(HAND_MOUNTED_ROUTES.map(key));
  for (const r of HAND_MOUNTED_ROUTES) {
    if (r.path.startsWith('/api/')) assert.match(r.path, SELF_SERVICE, `${key(r)} is hand-mounted but is not sign-in, self-service, setup or a probe: make it a table route`);
  }
  const apiMounted = mounted.filter((m) => m.split(' ')[1]?.startsWith('/api/'));
  const unruled = apiMounted.filter((m) => !table.has(m) && !hand.has(m));
  assert.deepEqual(unruled, [], 'mounted /api routes without an access rule (add them to the route table)');
  assert.deepEqual(
    [...table].filter((r) => !mounted.includes(r)),
    [],
    'table routes not mounted',
  );
  assert.deepEqual(
    [...hand].filter((r) => !mounted.includes(r)),
    [],
    'listed hand-mounted routes not mounted (the OpenAPI document would lie)',
  );
  assert.equal(new Set(apiMounted).size, apiMounted.length, 'no route mounted twice');
  assert.ok(apiMounted.length >= API_ROUTES.length);

  // The walk is not vacuous: routes added now, directly or in a router mounted under a prefix, are seen, without a rule.
  const nested = Router();
  nested.get('/x/:id', (_req, res) => void res.end());
  api.app.use('/api/zz-nested', nested);
  api.app.post('/api/zz-direct', (_req, res) => void res.end());
  const after = mountedRoutes((api.app as unknown as { router: { stack: Layer[] } }).router.stack).filter((m) => m.split(' ')[1]?.startsWith('/api/') && !table.has(m) && !hand.has(m));
  assert.deepEqual(after.sort(), ['GET /api/zz-nested/x/:id', 'POST /api/zz-direct']);
});

test('GET /api/openapi.json: signed-in callers get the document of exactly the mounted routes; anonymous get 401', async (t) => {
  const api = await startTestApi(t);
  assert.equal((await api.client().req('GET', '/api/openapi.json')).status, 401);
  const u = await api.createUser({ role: 'viewer' });
  const c = api.client();
  await c.login(u.email, u.password);
  const res = await c.req('GET', '/api/openapi.json');
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { 'x-plotbox-access': string }>> };
  assert.equal(doc.openapi, '3.1.0');
  const described = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
  const expected = [...API_ROUTES, ...HAND_MOUNTED_ROUTES].map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`);
  assert.deepEqual(described.sort(), expected.sort());
  for (const r of API_ROUTES) assert.equal(doc.paths[openApiPath(r.path)]?.[r.method]?.['x-plotbox-access'], accessLabel(r));
});

test('SPEC §3 decision 8: code under a dashboard-only grant may use only the datasets the dashboard already uses', async (t) => {
  const api = await startTestApi(t);
  const { store } = api;
  const owner = await api.createUser();
  const project = await store.projects.create({ name: 'Decision 8', createdBy: owner.user.id });
  const datasetA = await store.datasets.create({ projectId: project.id, name: 'a' });
  const datasetB = await store.datasets.create({ projectId: project.id, name: 'b' });
  const shared = await store.dashboards.create({ projectId: project.id, name: 'Shared' });
  const other = await store.dashboards.create({ projectId: project.id, name: 'Internal' });
  const hash = createHash('sha256').update('x').digest('hex');
  const chartA = await store.charts.create({ dashboardId: shared.id, title: 'On A', code: 'fig = {data: []};', lang: 'js', datasetId: datasetA.id, codeHash: hash });
  await store.charts.create({ dashboardId: other.id, title: 'On B', code: 'fig = {data: []};', lang: 'js', datasetId: datasetB.id, codeHash: hash });
  // Two ways to hold editor rights on one dashboard only: a grant alone, or a project viewer raised there.
  const grantOnly = await api.createUser();
  const viewerRaised = await api.createUser();
  const editor = await api.createUser();
  await store.dashboards.setGrant(shared.id, { kind: 'user', id: grantOnly.user.id }, 'editor');
  await store.projects.setGrant(project.id, { kind: 'user', id: viewerRaised.user.id }, 'viewer');
  await store.dashboards.setGrant(shared.id, { kind: 'user', id: viewerRaised.user.id }, 'editor');
  await store.projects.setGrant(project.id, { kind: 'user', id: editor.user.id }, 'editor');
  const base = `/api/projects/${project.id}/dashboards/${shared.id}`;
  // The datasets have no version: a preview that passes the dataset check ends there (409); a refused one is a 400.
  const code = 'fig = px.bar(df, { x: "region", y: "units" });';
  for (const who of [grantOnly, viewerRaised]) {
    const c = api.client();
    assert.equal((await c.login(who.email, who.password)).status, 200);
    assert.equal(await errorCode(await c.req('POST', `${base}/preview`, { code, datasetId: datasetA.id })), 'CHART_DATASET_NO_VERSION', 'the dashboard’s own dataset');
    const refused = await c.req('POST', `${base}/preview`, { code, datasetId: datasetB.id });
    assert.equal(refused.status, 400, 'another dataset of the project');
    assert.equal(((await refused.json()) as { error: { message: string } }).error.message, 'No such dataset in this project.', 'refused like a dataset that does not exist');
    assert.equal((await c.req('POST', `${base}/charts`, { title: 'New', code, datasetId: datasetB.id })).status, 400);
    assert.equal((await c.req('POST', `${base}/charts`, { title: 'New', code, datasetId: datasetA.id })).status, 201);
    assert.equal((await c.req('PATCH', `${base}/charts/${chartA.id}`, { datasetId: datasetB.id })).status, 400);
    assert.equal((await c.req('PATCH', `${base}/charts/${chartA.id}`, { code: `${code}\n` })).status, 200, 'editing code on its own dataset');
    // The dataset list and rows stay closed, as before.
    assert.equal((await c.req('GET', `/api/projects/${project.id}/datasets`)).status, who === grantOnly ? 404 : 200);
  }
  const e = api.client();
  assert.equal((await e.login(editor.email, editor.password)).status, 200);
  assert.equal(await errorCode(await e.req('POST', `${base}/preview`, { code, datasetId: datasetB.id })), 'CHART_DATASET_NO_VERSION', 'a project editor reaches every dataset');
});
