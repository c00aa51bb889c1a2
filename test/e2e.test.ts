// End to end: the API and the sandbox as separate processes on port 0, a temporary SQLite store
// and blob directory. Admin creates users and a group; the owner creates a project, uploads the
// sales dataset as CSV and grants the group; the editor saves the eight example charts; the
// viewer renders them (the second load from the cache) and is refused preview; a hostile chart
// yields its typed error and the next render works; the audit log shows all of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { columnToArray, generateSales } from '@plotbox/datasets';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import { Client } from './helpers/api.ts';
import { startSandboxService } from './helpers/service.ts';

const API_MAIN = resolve(import.meta.dirname, '../services/api/src/main.ts');
const ADMIN = { email: 'ops@example.com', password: 'correct horse battery staple e2e' };

/** A passphrase that shares nothing with the user's name or e-mail (the policy refuses that). */
function chartsSeed(name: string): string {
  return [...name].map((c) => c.charCodeAt(0)).join('-');
}

function salesCsv(rows: number): string {
  const columns = generateSales(rows, 7);
  const values = columns.map((c) => columnToArray(c));
  const lines = [columns.map((c) => c.name).join(',')];
  for (let r = 0; r < rows; r++) lines.push(values.map((v) => String(v[r] ?? '')).join(','));
  return lines.join('\n') + '\n';
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 500));
  return JSON.parse(text) as T;
}

test('end to end: users, group, project, CSV dataset, eight charts, cached renders, refusals, hostile chart, audit', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = await startSandboxService({ SANDBOX_LIMIT_TIME_MS: '2000' });
  t.after(async () => {
    await sandbox.stop();
  });
  const api = fork(API_MAIN, [], {
    execArgv: ['--no-node-snapshot'],
    env: {
      PATH: process.env.PATH ?? '',
      PLOTBOX_DATA_DIR: dir,
      PLOTBOX_PORT: '0',
      PLOTBOX_LOG_LEVEL: 'warn',
      PLOTBOX_ARGON2_MEMORY_KIB: '1024',
      PLOTBOX_ARGON2_TIME_COST: '1',
      PLOTBOX_ADMIN_EMAIL: ADMIN.email,
      PLOTBOX_ADMIN_PASSWORD: ADMIN.password,
      PLOTBOX_SEED_DEMO: 'false',
      SANDBOX_URL: sandbox.url,
      SANDBOX_TOKEN: sandbox.token,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let apiOut = '';
  api.stdout?.on('data', (d: Buffer) => void (apiOut += d.toString()));
  api.stderr?.on('data', (d: Buffer) => void (apiOut += d.toString()));
  t.after(async () => {
    if (api.exitCode === null) {
      api.kill('SIGTERM');
      await new Promise((r) => api.once('exit', r));
    }
  });
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`api did not start: ${apiOut}`)), 30_000);
    api.once('exit', (code) => rej(new Error(`api exited (${code}): ${apiOut}`)));
    api.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer);
        res(m.port);
      }
    });
  });
  const url = `http://127.0.0.1:${port}`;
  assert.deepEqual(await json(await fetch(`${url}/api/ready`), 200), { status: 'ready', checks: { store: 'ok', blobs: 'ok', sandbox: 'ok', storage: 'ok' } });

  // Admin: users and a group.
  const admin = new Client(url);
  await json(await admin.login(ADMIN.email, ADMIN.password), 200);
  const people: Record<string, { id: string; email: string; password: string; client: Client }> = {};
  for (const name of ['owner', 'editor', 'viewer', 'outsider']) {
    const email = `${name}.person@example.com`;
    const password = `a long passphrase for person ${chartsSeed(name)}`;
    const { user } = await json<{ user: { id: string } }>(await admin.req('POST', '/api/users', { email, displayName: name, password, systemRole: 'user' }), 201);
    const client = new Client(url);
    await json(await client.login(email, password), 200);
    people[name] = { id: user.id, email, password, client };
  }
  const owner = people.owner!;
  const editor = people.editor!;
  const viewer = people.viewer!;
  const outsider = people.outsider!;
  const { group } = await json<{ group: { id: string } }>(await admin.req('POST', '/api/groups', { name: 'analysts', memberIds: [editor.id] }), 201);

  // Owner: project, CSV upload, grants.
  const { project } = await json<{ project: { id: string } }>(await owner.client.req('POST', '/api/projects', { name: 'Sales' }), 201);
  const p = `/api/projects/${project.id}`;
  const upload = await json<{ dataset: { id: string }; version: { rowCount: number; schema: { columns: { name: string; type: string }[] } } }>(
    await owner.client.req('POST', `${p}/datasets?name=sales`, salesCsv(5000), { 'content-type': 'text/csv' }),
    201,
  );
  assert.equal(upload.version.rowCount, 5000);
  assert.deepEqual(
    upload.version.schema.columns.map((c) => c.name),
    ['date', 'region', 'product', 'units', 'price', 'cost'],
  );
  assert.equal(upload.version.schema.columns.find((c) => c.name === 'price')?.type, 'number');
  const datasetId = upload.dataset.id;
  await json(await owner.client.req('PUT', `${p}/members/group/${group.id}`, { role: 'editor' }), 200);
  await json(await owner.client.req('PUT', `${p}/members/user/${viewer.id}`, { role: 'viewer' }), 200);
  const { dashboard } = await json<{ dashboard: { id: string } }>(await owner.client.req('POST', `${p}/dashboards`, { name: 'Overview' }), 201);
  const d = `${p}/dashboards/${dashboard.id}`;

  // Editor (through the group): the eight charts.
  const chartIds: string[] = [];
  for (const example of EXAMPLE_CHARTS) {
    const { chart } = await json<{ chart: { id: string; diagnostics: unknown[] } }>(
      await editor.client.req('POST', `${d}/charts`, { title: example.title, code: example.code, lang: 'js', datasetId }),
      201,
    );
    assert.deepEqual(chart.diagnostics, [], example.name);
    chartIds.push(chart.id);
  }
  await json(await editor.client.req('PATCH', d, { layout: [...chartIds].reverse() }), 200);

  // Viewer: renders, then the same dashboard again from the cache; preview is refused.
  for (const load of [1, 2]) {
    for (const [i, id] of chartIds.entries()) {
      const body = await json<{ figure: { data: unknown[] }; cached: boolean }>(await viewer.client.req('POST', `${d}/charts/${id}/render`, {}), 200);
      assert.ok(Array.isArray(body.figure.data) && body.figure.data.length > 0, `${EXAMPLE_CHARTS[i]?.name}: a figure with traces`);
      assert.equal(body.cached, load === 2, `${EXAMPLE_CHARTS[i]?.name}: load ${load}`);
    }
  }
  const refused = await viewer.client.req('POST', `${d}/preview`, { code: 'fig = px.bar(df, { x: "region", y: "units" });', lang: 'js', datasetId });
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'ACCESS_FORBIDDEN');
  assert.equal((await outsider.client.req('POST', `${d}/charts/${chartIds[0]}/render`, {})).status, 404);
  assert.equal((await outsider.client.req('GET', p)).status, 404);

  // A hostile chart: its typed error, then the next render works.
  const hostile = await json<{ chart: { id: string } }>(
    await editor.client.req('POST', `${d}/charts`, { title: 'spin', code: 'let n = 0;\nwhile (true) { n++; }\nfig = null;', lang: 'js', datasetId }),
    201,
  );
  const spun = await viewer.client.req('POST', `${d}/charts/${hostile.chart.id}/render`, {});
  assert.equal(spun.status, 422);
  const spunBody = (await spun.json()) as { error: { code: string; requestId: string; limit?: { name: string } } };
  assert.equal(spunBody.error.code, 'SANDBOX_TIMEOUT');
  assert.equal(spunBody.error.limit?.name, 'timeMs');
  assert.ok(spunBody.error.requestId.length > 0);
  const escape = await editor.client.req('POST', `${d}/preview`, { code: "const F = [].constructor.constructor;\nfig = F('return process')();", lang: 'js', datasetId });
  assert.equal(escape.status, 422);
  const escapeBody = (await escape.json()) as { error: { code: string; line?: number } };
  assert.equal(escapeBody.error.code, 'CODE_RULE');
  assert.equal(escapeBody.error.line, 1);
  const preview = await json<{ figure: { data: unknown[] } }>(
    await editor.client.req('POST', `${d}/preview`, { code: 'fig = px.bar(df, { x: "region", y: "units", agg: "sum" });', lang: 'js', datasetId }),
    200,
  );
  assert.ok(preview.figure.data.length > 0);
  await json(await viewer.client.req('POST', `${d}/charts/${chartIds[0]}/render`, {}), 200);

  // Removing the editor from the group ends their access on the next request.
  assert.equal((await admin.req('DELETE', `/api/groups/${group.id}/members/${editor.id}`)).status, 204);
  assert.equal((await editor.client.req('GET', p)).status, 404);

  // The audit log shows all of it, and none of the secrets or the code.
  const events: { action: string; outcome: string; details: Record<string, unknown> }[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: typeof events; nextCursor: string | null } = await json(
      await admin.req('GET', `/api/audit?limit=200&routine=show${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`),
      200,
    );
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  const actions = new Set(events.map((e) => e.action));
  for (const a of [
    'admin_bootstrap',
    'login_success',
    'admin_user_create',
    'group_create',
    'project_create',
    'dataset_upload',
    'member_grant',
    'chart_save',
    'chart_run',
    'chart_preview',
    'permission_denied',
    'group_member_remove',
  ]) {
    assert.ok(actions.has(a), `audited: ${a}`);
  }
  const runs = events.filter((e) => e.action === 'chart_run');
  assert.ok(runs.some((e) => e.details.cached === true) && runs.some((e) => e.details.cached === false));
  assert.ok(runs.some((e) => e.details.outcome === 'SANDBOX_TIMEOUT'));
  const dump = JSON.stringify(events);
  for (const secret of [ADMIN.password, owner.password, sandbox.token, 'while (true)']) assert.ok(!dump.includes(secret), 'the audit log holds no secrets or code');
});
