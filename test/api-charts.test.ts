// Dashboards, dashboard grants, charts and runs through HTTP against the REAL sandbox service
// (its own process): diagnostics stored on save, renders cached by (code hash, dataset version,
// runtime version), viewers render but never preview, hostile code gets its typed error and the
// next render still works, dashboard grants raise a role on one dashboard only, and ids from
// another dashboard or project are 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset, generateSales } from '@plotbox/datasets';
import { startTestApi, type Client, type TestApi } from './helpers/api.ts';
import { sample } from './helpers/metrics.ts';
import { startSandboxService, type SandboxService } from './helpers/service.ts';

const METRICS_TOKEN = 'm'.repeat(40);

let sandbox: SandboxService;
before(async () => {
  sandbox = await startSandboxService();
});
after(async () => {
  await sandbox.stop();
});

const BAR = "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum' });";
const LINE = "fig = px.line(df, { x: 'date', y: 'units', agg: 'sum' });";

interface Who {
  client: Client;
  id: string;
  email: string;
  password: string;
}

async function signedIn(api: TestApi, role: 'admin' | 'user' | 'viewer' = 'user'): Promise<Who> {
  const u = await api.createUser({ role });
  const client = api.client();
  assert.equal((await client.login(u.email, u.password)).status, 200);
  return { client, id: u.user.id, email: u.email, password: u.password };
}

/** A dataset with one version, made through the store and the blob store (not the dataset routes). */
async function addDataset(api: TestApi, projectId: string, name: string, createdBy: string, seed = 1): Promise<{ id: string; versionId: string }> {
  const dataset = await api.store.datasets.create({ projectId, name });
  const version = await addVersion(api, projectId, dataset.id, createdBy, seed);
  return { id: dataset.id, versionId: version };
}

async function addVersion(api: TestApi, projectId: string, datasetId: string, createdBy: string, seed: number): Promise<string> {
  const built = buildDataset(generateSales(2000, seed));
  const blobKey = `datasets/${projectId}/${built.dataset.sha256}`;
  await api.blobs.put(blobKey, built.bytes);
  const { version } = await api.store.datasets.addVersion(datasetId, {
    sha256: built.dataset.sha256,
    blobKey,
    bytes: built.bytes.byteLength,
    rowCount: built.dataset.rowCount,
    schema: [],
    profile: [],
    createdBy,
  });
  return version.id;
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

interface ErrorBody {
  error: { code: string; message: string; requestId: string; line?: number; column?: number; limit?: { name: string; value: number }; diagnostics?: { rule: string; line: number; column: number }[] };
}
interface RenderBody {
  figure: { data: { type: string }[]; layout?: unknown };
  cached: boolean;
  stats: { durationMs: number } | null;
}
interface ChartBody {
  chart: { id: string; version: number; codeHash: string; diagnostics: { rule: string; message: string; line: number; column: number }[]; code: string };
}

async function setup(t: Parameters<typeof startTestApi>[0]): Promise<{ api: TestApi; owner: Who; projectId: string; dashboardId: string; dataset: { id: string; versionId: string } }> {
  const api = await startTestApi(t, { sandboxUrl: sandbox.url, sandboxToken: sandbox.token });
  const owner = await signedIn(api);
  const { project } = await json<{ project: { id: string } }>(await owner.client.req('POST', '/api/projects', { name: 'Sales' }), 201);
  const { dashboard } = await json<{ dashboard: { id: string } }>(await owner.client.req('POST', `/api/projects/${project.id}/dashboards`, { name: 'Overview' }), 201);
  const dataset = await addDataset(api, project.id, 'sales', owner.id);
  return { api, owner, projectId: project.id, dashboardId: dashboard.id, dataset };
}

test('charts: CRUD with diagnostics stored on save, render, cache, invalidation by a code edit, viewer may render but not preview', async (t) => {
  const { api, owner, projectId, dashboardId, dataset } = await setup(t);
  const base = `/api/projects/${projectId}/dashboards/${dashboardId}`;
  const viewer = await signedIn(api);
  assert.equal((await owner.client.req('PUT', `/api/projects/${projectId}/members/user/${viewer.id}`, { role: 'viewer' })).status, 200);

  // A draft with a rule violation is saved, with its diagnostics stored and returned.
  const draft = await json<ChartBody>(await owner.client.req('POST', `${base}/charts`, { title: 'Draft', code: 'const x = 1;\nfig = eval("x");', lang: 'js', datasetId: dataset.id }), 201);
  assert.equal(draft.chart.diagnostics.length, 1);
  assert.equal(draft.chart.diagnostics[0]?.rule, 'no-eval');
  assert.equal(draft.chart.diagnostics[0]?.line, 2);
  assert.match(draft.chart.codeHash, /^[0-9a-f]{64}$/);
  const stored = await api.store.charts.findById(draft.chart.id);
  assert.deepEqual(stored?.diagnostics, draft.chart.diagnostics, 'diagnostics are stored');
  const reread = await json<ChartBody>(await viewer.client.req('GET', `${base}/charts/${draft.chart.id}`), 200);
  assert.deepEqual(reread.chart.diagnostics, draft.chart.diagnostics);
  // Rendering a draft with findings gives the CODE_* error with its position.
  const bad = await json<ErrorBody>(await owner.client.req('POST', `${base}/charts/${draft.chart.id}/render`, {}), 422);
  assert.equal(bad.error.code, 'CODE_RULE');
  assert.equal(bad.error.line, 2);
  assert.ok(bad.error.diagnostics?.some((d) => d.rule === 'no-eval'));

  // Fixing it clears the diagnostics and changes the hash.
  const fixed = await json<ChartBody>(await owner.client.req('PATCH', `${base}/charts/${draft.chart.id}`, { code: BAR, version: draft.chart.version }), 200);
  assert.deepEqual(fixed.chart.diagnostics, []);
  assert.notEqual(fixed.chart.codeHash, draft.chart.codeHash);
  assert.equal((await owner.client.req('PATCH', `${base}/charts/${draft.chart.id}`, { title: 'stale', version: draft.chart.version })).status, 409, 'a stale version is a conflict');
  // Too-large code is refused outright; a dataset of no project or another project is a 400.
  assert.equal((await json<ErrorBody>(await owner.client.req('PATCH', `${base}/charts/${draft.chart.id}`, { code: `// ${'é'.repeat(40_000)}` }), 422)).error.code, 'CODE_TOO_LARGE');
  assert.equal((await json<ErrorBody>(await owner.client.req('POST', `${base}/charts`, { title: 'big', code: `// ${'x'.repeat(70_000)}` }), 422)).error.code, 'CODE_TOO_LARGE');
  assert.equal((await json<ErrorBody>(await owner.client.req('POST', `${base}/preview`, { code: `// ${'x'.repeat(70_000)}`, datasetId: dataset.id }), 422)).error.code, 'CODE_TOO_LARGE');
  assert.equal((await owner.client.req('POST', `${base}/charts`, { title: 'huge', code: 'x'.repeat(300_000) })).status, 400, 'far over the limit: refused by the schema');
  assert.equal((await owner.client.req('PATCH', `${base}/charts/${draft.chart.id}`, { datasetId: 'nope' })).status, 400);
  assert.equal((await owner.client.req('POST', `${base}/charts`, { title: 'x', code: BAR, lang: 'py' })).status, 400);
  assert.equal((await owner.client.req('POST', `${base}/charts`, { title: 'x', code: { $ne: null } })).status, 400);

  // The viewer renders the stored code: a Plotly figure, then the same from the cache.
  const first = await json<RenderBody>(await viewer.client.req('POST', `${base}/charts/${draft.chart.id}/render`, {}), 200);
  assert.equal(first.cached, false);
  assert.equal(first.figure.data[0]?.type, 'bar');
  assert.ok(first.stats !== null && first.stats.durationMs >= 0);
  const second = await json<RenderBody>(await viewer.client.req('POST', `${base}/charts/${draft.chart.id}/render`, {}), 200);
  assert.equal(second.cached, true);
  assert.deepEqual(second.figure, first.figure);

  // Editing the code invalidates (a new hash misses the cache); so does a new dataset version.
  await json<ChartBody>(await owner.client.req('PATCH', `${base}/charts/${draft.chart.id}`, { code: LINE }), 200);
  const third = await json<RenderBody>(await viewer.client.req('POST', `${base}/charts/${draft.chart.id}/render`, {}), 200);
  assert.equal(third.cached, false);
  assert.equal(third.figure.data[0]?.type, 'scatter', 'px.line makes scatter traces');
  assert.equal((await json<RenderBody>(await viewer.client.req('POST', `${base}/charts/${draft.chart.id}/render`, {}), 200)).cached, true);
  await addVersion(api, projectId, dataset.id, owner.id, 2);
  assert.equal((await json<RenderBody>(await viewer.client.req('POST', `${base}/charts/${draft.chart.id}/render`, {}), 200)).cached, false, 'a new dataset version renders again');

  // Viewers may not preview, save, or delete; editors preview unsaved code (never cached).
  const denied = await json<ErrorBody>(await viewer.client.req('POST', `${base}/preview`, { code: BAR, datasetId: dataset.id }), 403);
  assert.equal(denied.error.code, 'ACCESS_FORBIDDEN');
  assert.equal((await viewer.client.req('POST', `${base}/charts`, { title: 'x', code: BAR })).status, 403);
  assert.equal((await viewer.client.req('PATCH', `${base}/charts/${draft.chart.id}`, { title: 'x' })).status, 403);
  assert.equal((await viewer.client.req('DELETE', `${base}/charts/${draft.chart.id}`)).status, 403);
  const preview = await json<RenderBody>(
    await owner.client.req('POST', `${base}/preview`, { code: "const t: string = 'region';\nfig = px.pie(df, { names: t, values: 'units' });", lang: 'ts', datasetId: dataset.id }),
    200,
  );
  assert.equal(preview.figure.data[0]?.type, 'pie');
  assert.equal(preview.cached, false);
  assert.equal((await json<RenderBody>(await owner.client.req('POST', `${base}/preview`, { code: BAR, datasetId: dataset.id }), 200)).cached, false);
  assert.equal((await owner.client.req('POST', `${base}/preview`, { code: BAR, datasetId: 'nope' })).status, 400);

  // A chart without a dataset, and a dataset without a version: typed 409s. (The clock moves so
  // the new chart is the newer one: charts not yet in the layout are shown oldest first.)
  api.clock.advance(1000);
  const orphan = await json<ChartBody>(await owner.client.req('POST', `${base}/charts`, { title: 'No data', code: BAR }), 201);
  assert.equal((await json<ErrorBody>(await viewer.client.req('POST', `${base}/charts/${orphan.chart.id}/render`, {}), 409)).error.code, 'CHART_NO_DATASET');
  const empty = await api.store.datasets.create({ projectId, name: 'empty' });
  await json<ChartBody>(await owner.client.req('PATCH', `${base}/charts/${orphan.chart.id}`, { datasetId: empty.id }), 200);
  assert.equal((await json<ErrorBody>(await viewer.client.req('POST', `${base}/charts/${orphan.chart.id}/render`, {}), 409)).error.code, 'CHART_DATASET_NO_VERSION');

  // The dashboard lists its charts (without code) and my role.
  const dash = await json<{ dashboard: { charts: { id: string; diagnostics: unknown; code?: string }[]; layout: string[] }; myRole: string }>(
    await viewer.client.req('GET', `/api/projects/${projectId}/dashboards/${dashboardId}`),
    200,
  );
  assert.equal(dash.myRole, 'viewer');
  assert.deepEqual(dash.dashboard.layout, [draft.chart.id, orphan.chart.id]);
  assert.equal(dash.dashboard.charts[0]?.code, undefined);
  const list = await json<{ items: { id: string }[] }>(await viewer.client.req('GET', `${base}/charts`), 200);
  assert.equal(list.items.length, 2);

  assert.equal((await owner.client.req('DELETE', `${base}/charts/${orphan.chart.id}`)).status, 204);
  assert.equal((await owner.client.req('GET', `${base}/charts/${orphan.chart.id}`)).status, 404);

  // Saves and runs are audited with the code hash, duration, outcome and cache flag; never the code.
  const audit = (await api.store.audit.query({}, { limit: 500 })).items;
  const runs = audit.filter((e) => e.action === 'chart_run');
  assert.ok(runs.some((e) => e.details.cached === true && e.outcome === 'success'));
  assert.ok(runs.some((e) => e.details.outcome === 'CODE_RULE' && e.outcome === 'failure'));
  assert.ok(runs.every((e) => typeof e.details.codeHash === 'string' && typeof e.details.durationMs === 'number'));
  assert.ok(audit.some((e) => e.action === 'chart_preview'));
  assert.ok(audit.some((e) => e.action === 'chart_save' && e.details.codeHash === fixed.chart.codeHash));
  const text = JSON.stringify(audit);
  assert.ok(!text.includes('px.bar(df'), 'the code is never in the audit log');
});

test('runs: hostile charts get their typed error with position, and the next render works', async (t) => {
  const { owner, projectId, dashboardId, dataset } = await setup(t);
  const base = `/api/projects/${projectId}/dashboards/${dashboardId}`;
  const save = async (code: string): Promise<string> => (await json<ChartBody>(await owner.client.req('POST', `${base}/charts`, { title: 'h', code, datasetId: dataset.id }), 201)).chart.id;
  const render = (id: string): Promise<Response> => owner.client.req('POST', `${base}/charts/${id}/render`, {});

  const escape = await save("const a = 1;\nfig = this.constructor.constructor('return process')();");
  const refused = await json<ErrorBody>(await render(escape), 422);
  assert.equal(refused.error.code, 'CODE_RULE');
  assert.equal(refused.error.line, 2);
  assert.ok(typeof refused.error.column === 'number');

  const loop = await save('let i = 0;\nwhile (true) { i++; }');
  const timeout = await json<ErrorBody>(await render(loop), 422);
  assert.equal(timeout.error.code, 'SANDBOX_TIMEOUT');
  assert.equal(timeout.error.limit?.name, 'timeMs');
  assert.ok(!/\/(?:work|home|usr|tmp)\//u.test(timeout.error.message), 'no host paths');

  const throws = await save('const rows = null;\n\nfig = rows.length;');
  const runtime = await json<ErrorBody>(await render(throws), 422);
  assert.equal(runtime.error.code, 'SANDBOX_RUNTIME_ERROR');
  assert.equal(runtime.error.line, 3);

  const noFig = await save('const x = 1;');
  assert.equal((await json<ErrorBody>(await render(noFig), 422)).error.code, 'SANDBOX_NO_FIGURE');

  const syntax = await save('fig = (;');
  const syn = await json<ErrorBody>(await render(syntax), 422);
  assert.equal(syn.error.code, 'CODE_SYNTAX');
  assert.equal(syn.error.line, 1);

  // The sandbox recovered: a good chart renders; errors were never cached.
  const good = await save(BAR);
  assert.equal((await json<RenderBody>(await render(good), 200)).figure.data[0]?.type, 'bar');
  assert.equal((await json<ErrorBody>(await render(loop), 422)).error.code, 'SANDBOX_TIMEOUT', 'errors are not cached');
});

test('dashboards: dashboard grants raise a role on one dashboard only; foreign ids are 404; layouts name only own charts', async (t) => {
  const { api, owner, projectId, dashboardId, dataset } = await setup(t);
  const analyst = await signedIn(api);
  const stranger = await signedIn(api);
  const P = `/api/projects/${projectId}`;
  assert.equal((await owner.client.req('PUT', `${P}/members/user/${analyst.id}`, { role: 'viewer' })).status, 200);
  const other = await json<{ dashboard: { id: string } }>(await owner.client.req('POST', `${P}/dashboards`, { name: 'Other' }), 201);
  assert.equal((await owner.client.req('POST', `${P}/dashboards`, { name: 'Other' })).status, 409, 'names are unique in a project');
  assert.equal((await analyst.client.req('POST', `${P}/dashboards`, { name: 'Mine' })).status, 403);

  const onMain = await json<ChartBody>(await owner.client.req('POST', `${P}/dashboards/${dashboardId}/charts`, { title: 'a', code: BAR, datasetId: dataset.id }), 201);
  const onOther = await json<ChartBody>(await owner.client.req('POST', `${P}/dashboards/${other.dashboard.id}/charts`, { title: 'b', code: BAR, datasetId: dataset.id }), 201);

  // Grants: equal or lower than the inherited role is refused; raising to editor works.
  assert.equal((await owner.client.req('PUT', `${P}/dashboards/${dashboardId}/grants/user/${analyst.id}`, { role: 'viewer' })).status, 409);
  assert.equal((await owner.client.req('PUT', `${P}/dashboards/${dashboardId}/grants/user/${owner.id}`, { role: 'editor' })).status, 409);
  assert.equal((await analyst.client.req('PUT', `${P}/dashboards/${dashboardId}/grants/user/${analyst.id}`, { role: 'editor' })).status, 403, 'only owners manage grants');
  assert.equal((await owner.client.req('PUT', `${P}/dashboards/${dashboardId}/grants/user/no-such-user`, { role: 'editor' })).status, 400);
  const raised = await json<{ grant: { role: string; inheritedRole: string } }>(await owner.client.req('PUT', `${P}/dashboards/${dashboardId}/grants/user/${analyst.id}`, { role: 'editor' }), 200);
  assert.deepEqual([raised.grant.role, raised.grant.inheritedRole], ['editor', 'viewer']);
  const grants = await json<{ items: { principal: { id: string }; role: string }[] }>(await owner.client.req('GET', `${P}/dashboards/${dashboardId}/grants`), 200);
  assert.deepEqual(
    grants.items.map((g) => [g.principal.id, g.role]),
    [[analyst.id, 'editor']],
  );

  // The analyst now edits charts on that dashboard only.
  const mine = await json<{ myRole: string }>(await analyst.client.req('GET', `${P}/dashboards/${dashboardId}`), 200);
  assert.equal(mine.myRole, 'editor');
  assert.equal((await analyst.client.req('PATCH', `${P}/dashboards/${dashboardId}/charts/${onMain.chart.id}`, { title: 'renamed' })).status, 200);
  assert.equal((await analyst.client.req('POST', `${P}/dashboards/${dashboardId}/preview`, { code: BAR, datasetId: dataset.id })).status, 200);
  assert.equal((await analyst.client.req('PATCH', `${P}/dashboards/${other.dashboard.id}/charts/${onOther.chart.id}`, { title: 'renamed' })).status, 403);
  assert.equal((await analyst.client.req('POST', `${P}/dashboards/${other.dashboard.id}/preview`, { code: BAR, datasetId: dataset.id })).status, 403);
  assert.equal((await analyst.client.req('DELETE', `${P}/dashboards/${dashboardId}`)).status, 403, 'editors do not delete dashboards');
  // Revoking takes effect on the next request.
  assert.equal((await owner.client.req('DELETE', `${P}/dashboards/${dashboardId}/grants/user/${analyst.id}`)).status, 204);
  assert.equal((await analyst.client.req('PATCH', `${P}/dashboards/${dashboardId}/charts/${onMain.chart.id}`, { title: 'again' })).status, 403);
  assert.equal((await owner.client.req('DELETE', `${P}/dashboards/${dashboardId}/grants/user/${analyst.id}`)).status, 404);

  // A chart id under another dashboard, or another project, is a 404, as is a stranger.
  assert.equal((await owner.client.req('GET', `${P}/dashboards/${dashboardId}/charts/${onOther.chart.id}`)).status, 404);
  assert.equal((await owner.client.req('POST', `${P}/dashboards/${dashboardId}/charts/${onOther.chart.id}/render`, {})).status, 404);
  const { project: second } = await json<{ project: { id: string } }>(await owner.client.req('POST', '/api/projects', { name: 'Second' }), 201);
  const secondDash = await json<{ dashboard: { id: string } }>(await owner.client.req('POST', `/api/projects/${second.id}/dashboards`, { name: 'Overview' }), 201);
  assert.equal((await owner.client.req('GET', `/api/projects/${second.id}/dashboards/${dashboardId}`)).status, 404);
  assert.equal((await owner.client.req('GET', `/api/projects/${second.id}/dashboards/${secondDash.dashboard.id}/charts/${onMain.chart.id}`)).status, 404);
  assert.equal(
    (await owner.client.req('POST', `/api/projects/${second.id}/dashboards/${secondDash.dashboard.id}/preview`, { code: BAR, datasetId: dataset.id })).status,
    400,
    'a dataset of another project',
  );
  assert.equal((await owner.client.req('POST', `/api/projects/${second.id}/dashboards/${secondDash.dashboard.id}/charts`, { title: 'x', code: BAR, datasetId: dataset.id })).status, 400);
  assert.equal((await stranger.client.req('GET', `${P}/dashboards/${dashboardId}`)).status, 404);
  assert.equal((await stranger.client.req('POST', `${P}/dashboards/${dashboardId}/charts/${onMain.chart.id}/render`, {})).status, 404);

  // Layout: only this dashboard's charts, each once; the order is kept.
  const second2 = await json<ChartBody>(await owner.client.req('POST', `${P}/dashboards/${dashboardId}/charts`, { title: 'c', code: LINE, datasetId: dataset.id }), 201);
  assert.equal((await owner.client.req('PATCH', `${P}/dashboards/${dashboardId}`, { layout: [onMain.chart.id, onOther.chart.id] })).status, 400);
  assert.equal((await owner.client.req('PATCH', `${P}/dashboards/${dashboardId}`, { layout: [onMain.chart.id, onMain.chart.id] })).status, 400);
  const { dashboard: before } = await json<{ dashboard: { version: number } }>(await owner.client.req('GET', `${P}/dashboards/${dashboardId}`), 200);
  const reordered = await json<{ dashboard: { layout: string[]; name: string } }>(
    await owner.client.req('PATCH', `${P}/dashboards/${dashboardId}`, { name: 'Main', layout: [second2.chart.id, onMain.chart.id], version: before.version }),
    200,
  );
  assert.deepEqual(reordered.dashboard.layout, [second2.chart.id, onMain.chart.id]);
  assert.equal(reordered.dashboard.name, 'Main');
  assert.equal((await owner.client.req('PATCH', `${P}/dashboards/${dashboardId}`, { name: 'Stale', version: before.version })).status, 409);
  const listed = await json<{ items: { name: string }[] }>(await analyst.client.req('GET', `${P}/dashboards`), 200);
  assert.deepEqual(listed.items.map((d) => d.name).sort(), ['Main', 'Other']);

  // Owners delete dashboards with their charts.
  assert.equal((await owner.client.req('DELETE', `${P}/dashboards/${other.dashboard.id}`)).status, 204);
  assert.equal(await api.store.charts.findById(onOther.chart.id), null);
  const actions = (await api.store.audit.query({}, { limit: 500 })).items.map((e) => e.action);
  for (const a of ['dashboard_create', 'dashboard_update', 'dashboard_delete', 'dashboard_grant', 'dashboard_revoke', 'chart_save']) assert.ok(actions.includes(a), a);
});

test('runs: a large figure is cached as a blob; an unreachable sandbox is a 503 with Retry-After', async (t) => {
  const { api, owner, projectId, dashboardId, dataset } = await setup(t);
  const base = `/api/projects/${projectId}/dashboards/${dashboardId}`;
  const big = "fig = { data: [{ type: 'scatter', mode: 'markers', y: Array.from({ length: 40000 }, (_, i) => i * 1.23456789) }] };";
  const { chart } = await json<ChartBody>(await owner.client.req('POST', `${base}/charts`, { title: 'big', code: big, datasetId: dataset.id }), 201);
  const first = await json<RenderBody>(await owner.client.req('POST', `${base}/charts/${chart.id}/render`, {}), 200);
  assert.equal(first.cached, false);
  const blobs = await api.blobs.list('renders/');
  assert.equal(blobs.items.length, 1, 'stored as a blob, not inline');
  const second = await json<RenderBody>(await owner.client.req('POST', `${base}/charts/${chart.id}/render`, {}), 200);
  assert.equal(second.cached, true);
  assert.deepEqual(second.figure, first.figure);

  // The same data through an API whose sandbox is unreachable.
  const down = await startTestApi(t);
  const o = await signedIn(down);
  const { project } = await json<{ project: { id: string } }>(await o.client.req('POST', '/api/projects', { name: 'P' }), 201);
  const { dashboard } = await json<{ dashboard: { id: string } }>(await o.client.req('POST', `/api/projects/${project.id}/dashboards`, { name: 'D' }), 201);
  const ds = await addDataset(down, project.id, 'sales', o.id);
  const c = await json<ChartBody>(await o.client.req('POST', `/api/projects/${project.id}/dashboards/${dashboard.id}/charts`, { title: 'x', code: BAR, datasetId: ds.id }), 201);
  const res = await o.client.req('POST', `/api/projects/${project.id}/dashboards/${dashboard.id}/charts/${c.chart.id}/render`, {});
  assert.equal(res.headers.get('retry-after'), '1');
  assert.equal((await json<ErrorBody>(res, 503)).error.code, 'SANDBOX_UNAVAILABLE');
});

test('cached renders need no sandbox: an API replica started while the sandbox is down serves what another replica cached', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plotbox-cache-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const own = await startSandboxService();
  t.after(() => own.stop());
  const api = await startTestApi(t, { dataDir, sandboxUrl: own.url, sandboxToken: own.token, env: { PLOTBOX_METRICS_TOKEN: METRICS_TOKEN } });
  const owner = await signedIn(api);
  const { project } = await json<{ project: { id: string } }>(await owner.client.req('POST', '/api/projects', { name: 'Sales' }), 201);
  const { dashboard } = await json<{ dashboard: { id: string } }>(await owner.client.req('POST', `/api/projects/${project.id}/dashboards`, { name: 'Overview' }), 201);
  const dataset = await addDataset(api, project.id, 'sales', owner.id);
  const base = `/api/projects/${project.id}/dashboards/${dashboard.id}`;
  const { chart } = await json<ChartBody>(await owner.client.req('POST', `${base}/charts`, { title: 'Units', code: BAR, datasetId: dataset.id }), 201);
  const first = await json<RenderBody>(await owner.client.req('POST', `${base}/charts/${chart.id}/render`, {}), 200);
  assert.equal(first.cached, false);

  await json<RenderBody>(await owner.client.req('POST', `${base}/charts/${chart.id}/render`, {}), 200);
  const metrics = await (await owner.client.req('GET', '/metrics', undefined, { authorization: `Bearer ${METRICS_TOKEN}` })).text();
  assert.equal(sample(metrics, 'plotbox_api_render_cache_total', { result: 'miss' }), 1);
  assert.equal(sample(metrics, 'plotbox_api_render_cache_total', { result: 'hit' }), 1);
  assert.equal(sample(metrics, 'plotbox_api_sandbox_calls_total', { outcome: 'ok' }), 1);

  // The sandbox stops; a second replica (a fresh process's state: nothing in memory) starts on the same store.
  assert.equal(await own.stop(), 0);
  const replica = await startTestApi(t, { dataDir, sandboxUrl: own.url, sandboxToken: own.token });
  const viewer = replica.client();
  assert.equal((await viewer.login(owner.email, owner.password)).status, 200);
  const cached = await json<RenderBody>(await viewer.req('POST', `${base}/charts/${chart.id}/render`), 200);
  assert.equal(cached.cached, true);
  assert.deepEqual(cached.figure, first.figure);
  // What needs the sandbox still says so.
  assert.equal((await json<ErrorBody>(await viewer.req('POST', `${base}/preview`, { code: BAR, datasetId: dataset.id }), 503)).error.code, 'SANDBOX_UNAVAILABLE');
});

test('charts: the danfo runtime is chosen per chart, validated, stored, rendered on danfo, and keyed apart in the render cache', async (t) => {
  const { api, owner, projectId, dashboardId, dataset } = await setup(t);
  const base = `/api/projects/${projectId}/dashboards/${dashboardId}`;
  const DANFO_BAR = "const g = df.groupby(['region']).col(['units']).sum();\nfig = px.bar(g, { x: 'region', y: 'units_sum' });";
  // What the figure must hold: units summed per region of the dataset's version.
  const columns = generateSales(2000, 1);
  const region = columns.find((c) => c.name === 'region');
  const units = columns.find((c) => c.name === 'units');
  assert.ok(region?.kind === 'string' && units !== undefined && units.kind !== 'string');
  const expected = new Map<string, number>();
  for (let i = 0; i < region.codes.length; i++) {
    const name = region.dictionary[region.codes[i] as number] as string;
    expected.set(name, (expected.get(name) ?? 0) + Number(units.values[i]));
  }

  // Unknown runtimes are refused like any invalid field; nothing is stored.
  for (const runtime of ['pandas', 'Danfo', '', 42, null, { $ne: null }]) {
    assert.equal((await json<ErrorBody>(await owner.client.req('POST', `${base}/charts`, { title: 'x', code: DANFO_BAR, runtime, datasetId: dataset.id }), 400)).error.code, 'VALIDATION_FAILED');
    assert.equal((await owner.client.req('POST', `${base}/preview`, { code: DANFO_BAR, runtime, datasetId: dataset.id })).status, 400);
  }
  assert.equal((await api.store.charts.listByDashboard(dashboardId, { limit: 10 })).items.length, 0);

  const created = await json<{ chart: { id: string; version: number; runtime: string } }>(
    await owner.client.req('POST', `${base}/charts`, { title: 'Units (danfo)', code: DANFO_BAR, runtime: 'danfo', datasetId: dataset.id }),
    201,
  );
  assert.equal(created.chart.runtime, 'danfo');
  assert.equal((await api.store.charts.findById(created.chart.id))?.runtime, 'danfo');
  assert.equal((await json<{ chart: { runtime: string } }>(await owner.client.req('GET', `${base}/charts/${created.chart.id}`), 200)).chart.runtime, 'danfo');
  const listed = await json<{ items: { id: string; runtime: string }[] }>(await owner.client.req('GET', `${base}/charts`), 200);
  assert.deepEqual(
    listed.items.map((c) => c.runtime),
    ['danfo'],
  );

  const rendered = await json<RenderBody>(await owner.client.req('POST', `${base}/charts/${created.chart.id}/render`, {}), 200);
  assert.equal(rendered.cached, false);
  const trace = rendered.figure.data[0] as unknown as { type: string; x: string[]; y: number[] };
  assert.equal(trace.type, 'bar');
  assert.deepEqual(Object.fromEntries(trace.x.map((r, i) => [r, trace.y[i]])), Object.fromEntries(expected));
  assert.equal((await json<RenderBody>(await owner.client.req('POST', `${base}/charts/${created.chart.id}/render`, {}), 200)).cached, true);

  // The same code on arquero has no dfd: its own (typed) error, never the danfo figure from the cache.
  const switched = await json<{ chart: { runtime: string; codeHash: string } }>(await owner.client.req('PATCH', `${base}/charts/${created.chart.id}`, { runtime: 'arquero' }), 200);
  assert.equal(switched.chart.runtime, 'arquero');
  const onArquero = await json<ErrorBody>(await owner.client.req('POST', `${base}/charts/${created.chart.id}/render`, {}), 422);
  assert.equal(onArquero.error.code, 'SANDBOX_RUNTIME_ERROR');
  assert.equal((await owner.client.req('PATCH', `${base}/charts/${created.chart.id}`, { runtime: 'pandas' })).status, 400);
  await json(await owner.client.req('PATCH', `${base}/charts/${created.chart.id}`, { runtime: 'danfo' }), 200);
  assert.equal((await json<RenderBody>(await owner.client.req('POST', `${base}/charts/${created.chart.id}/render`, {}), 200)).cached, true, 'back on danfo: its cached figure');

  // Preview: danfo when asked, arquero (no dfd, aq present) otherwise.
  const preview = await json<RenderBody>(
    await owner.client.req('POST', `${base}/preview`, {
      code: "fig = { data: [], layout: { title: { text: [typeof dfd, typeof aq, String(df.shape)].join(',') } } };",
      runtime: 'danfo',
      datasetId: dataset.id,
    }),
    200,
  );
  assert.deepEqual((preview.figure.layout as { title: { text: string } }).title.text, `object,undefined,2000,${columns.length}`);
  const plain = await json<RenderBody>(
    await owner.client.req('POST', `${base}/preview`, { code: "fig = { data: [], layout: { title: { text: [typeof dfd, typeof aq].join(',') } } };", datasetId: dataset.id }),
    200,
  );
  assert.deepEqual((plain.figure.layout as { title: { text: string } }).title.text, 'undefined,object');

  // The audit of saves is as before (no runtime in it).
  const saves = (await api.store.audit.query({}, { limit: 500 })).items.filter((e) => e.action === 'chart_save');
  assert.ok(saves.length >= 3 && saves.every((e) => !('runtime' in e.details)));
});
