// The audit list as people read it (issue 12, item 5): `GET /api/audit` newest first (order=oldest
// for the other way, each with its own cursors), routine dashboard views served from the render
// cache left out unless routine=show (they stay recorded, SPEC §5), an actor given by email, and
// `names` resolving the people and objects a page mentions (actors, targets, the principals member
// changes name) while a deleted object's id stays an id. The web UI's type picker lists every
// action the API's source records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startTestApi } from './helpers/api.ts';

const ROOT = resolve(import.meta.dirname, '..');

interface AuditPage {
  items: { id: string; action: string; at: string; details: Record<string, unknown>; actor: { userId: string | null } }[];
  nextCursor: string | null;
  names: Record<string, { type: string; name: string; email?: string }>;
}

async function body<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 400));
  return JSON.parse(text) as T;
}

test('audit list: newest first, routine cached views hidden unless asked, actor by email, names for ids', async (t) => {
  const api = await startTestApi(t);
  const admin = await api.createUser({ role: 'admin', email: 'root@example.com', displayName: 'Rita Root' });
  const ada = await api.createUser({ email: 'ada@example.com', displayName: 'Ada Lovelace' });
  const c = api.client();
  assert.equal((await c.login(admin.email, admin.password)).status, 200);
  const project = await api.store.projects.create({ name: 'Sales', createdBy: admin.user.id });
  const gone = await api.store.projects.create({ name: 'Gone soon', createdBy: admin.user.id });
  const group = await api.store.groups.create({ name: 'Analysts', memberIds: [ada.user.id] });
  const dashboard = await api.store.dashboards.create({ projectId: project.id, name: 'Overview' });
  const chart = await api.store.charts.create({ dashboardId: dashboard.id, title: 'Units', code: 'fig = {}', lang: 'js', datasetId: null, codeHash: 'h' });
  const ev = (action: string, extra: Record<string, unknown> = {}) => api.store.audit.append({ actor: { kind: 'user', userId: ada.user.id }, action, outcome: 'success', ...extra });
  for (let i = 0; i < 3; i++) {
    api.clock.advance(1000);
    await ev('chart_run', { target: { type: 'chart', id: chart.id }, details: { cached: i > 0, durationMs: i } });
  }
  api.clock.advance(1000);
  await ev('member_grant', { target: { type: 'project', id: project.id }, details: { principalKind: 'group', principalId: group.id, role: 'viewer' } });
  api.clock.advance(1000);
  await ev('project_update', { target: { type: 'project', id: gone.id } });
  await api.store.projects.delete(gone.id);

  // Newest first by default; cached views left out.
  const def = await body<AuditPage>(await c.req('GET', '/api/audit?limit=500'), 200);
  const ours = def.items.filter((e) => e.actor.userId === ada.user.id);
  assert.deepEqual(
    ours.map((e) => e.action),
    ['project_update', 'member_grant', 'chart_run'],
  );
  assert.deepEqual(ours.at(-1)?.details, { cached: false, durationMs: 0 });
  assert.deepEqual(
    def.items.map((e) => e.at),
    def.items
      .map((e) => e.at)
      .sort()
      .reverse(),
    'newest first',
  );
  // routine=show brings them back; order=oldest turns the order round.
  const all = await body<AuditPage>(await c.req('GET', `/api/audit?limit=500&routine=show&actor=${ada.user.id}`), 200);
  assert.deepEqual(
    all.items.map((e) => e.action),
    ['project_update', 'member_grant', 'chart_run', 'chart_run', 'chart_run'],
  );
  const oldest = await body<AuditPage>(await c.req('GET', `/api/audit?limit=500&routine=show&order=oldest&actor=${ada.user.id}`), 200);
  assert.deepEqual(
    oldest.items.map((e) => e.id),
    all.items.map((e) => e.id).reverse(),
  );
  // Pages in either order: no duplicates, no gaps.
  const paged: string[] = [];
  let cursor: string | null = null;
  do {
    const page: AuditPage = await body<AuditPage>(await c.req('GET', `/api/audit?limit=2&routine=show&actor=${ada.user.id}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`), 200);
    paged.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor !== null);
  assert.deepEqual(
    paged,
    all.items.map((e) => e.id),
  );
  const oldCursor = (await body<AuditPage>(await c.req('GET', '/api/audit?limit=1&order=oldest'), 200)).nextCursor;
  assert.ok(oldCursor !== null);
  assert.equal((await c.req('GET', `/api/audit?limit=1&cursor=${encodeURIComponent(oldCursor)}`)).status, 400, 'a cursor of the other order is refused');

  // An actor by email; an email nobody has matches nothing.
  const byEmail = await body<AuditPage>(await c.req('GET', '/api/audit?limit=500&routine=show&actor=ADA@example.com'), 200);
  assert.deepEqual(
    byEmail.items.map((e) => e.id),
    all.items.map((e) => e.id),
  );
  assert.deepEqual((await body<AuditPage>(await c.req('GET', '/api/audit?actor=nobody@example.com'), 200)).items, []);

  // Names: the actor, the targets, the group a grant names; the deleted project stays an id.
  assert.deepEqual(all.names[ada.user.id], { type: 'user', name: 'Ada Lovelace', email: 'ada@example.com' });
  assert.deepEqual(all.names[project.id], { type: 'project', name: 'Sales' });
  assert.deepEqual(all.names[chart.id], { type: 'chart', name: 'Units' });
  assert.deepEqual(all.names[group.id], { type: 'group', name: 'Analysts' });
  assert.equal(all.names[gone.id], undefined);

  // Hostile filters are 400s.
  for (const q of ['order=sideways', 'routine=yes', 'type=Bad%20Type', 'actor[$ne]=x', 'limit=abc']) assert.equal((await c.req('GET', `/api/audit?${q}`)).status, 400, q);
  // Only admins read it.
  const u = api.client();
  assert.equal((await u.login(ada.email, ada.password)).status, 200);
  assert.equal((await u.req('GET', '/api/audit')).status, 403);
});

/** Every `.ts` file under `dir` (tests excluded). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [join(dir, d.name)] : []));
}

test('the audit log’s type picker lists every action the API records', () => {
  const recorded = new Set<string>();
  for (const file of sources(resolve(ROOT, 'services/api/src'))) {
    const text = readFileSync(file, 'utf8');
    // `action: '…'` in audit events, and the action argument of the helpers that write them.
    for (const m of text.matchAll(/(?:action: |auditWrite\(\w+, \w+, |audit\(deps, caller, user, )'([a-z0-9_]+)'/gu)) recorded.add(m[1] ?? '');
    for (const m of text.matchAll(/action: '([a-z0-9_]+)' \| '([a-z0-9_]+)'/gu)) [m[1], m[2]].forEach((a) => recorded.add(a ?? ''));
  }
  const picker = readFileSync(resolve(ROOT, 'services/api/web/src/pages/audit.ts'), 'utf8');
  const listed = new Set([...picker.matchAll(/\['([a-z0-9_]+)', '/gu)].map((m) => m[1] ?? ''));
  assert.ok(recorded.size > 30, `found the recorded actions: ${[...recorded].join(', ')}`);
  assert.deepEqual([...recorded].filter((a) => !listed.has(a)).sort(), [], 'actions missing from AUDIT_ACTIONS in web/src/pages/audit.ts');
});
