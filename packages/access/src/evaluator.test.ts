import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccessContext, AccessUser, Action, GrantInput, ProjectRole } from './index.ts';
import { ACTIONS, ACTION_SCOPE, NOT_FOUND_REASON, all, any, can, decide, resolveAccess, systemContext } from './index.ts';

const member = (id: string, systemRole: AccessUser['systemRole'] = 'user'): AccessUser => ({ id, systemRole, disabled: false });
const u = (id: string, role: ProjectRole): GrantInput => ({ principal: { kind: 'user', id }, role });
const g = (id: string, role: ProjectRole): GrantInput => ({ principal: { kind: 'group', id }, role });
const grants = [u('owner1', 'owner'), u('ed', 'editor'), u('vi', 'viewer'), g('analysts', 'editor')];
const ctxFor = (user: AccessUser, groups: string[] = [], dashboardGrants?: GrantInput[]): AccessContext =>
  resolveAccess(dashboardGrants === undefined ? { user, userGroupIds: groups, projectGrants: grants } : { user, userGroupIds: groups, projectGrants: grants, dashboardGrants });

test('describe(): readable requirements for 403 messages', () => {
  assert.equal(can('chart.preview').describe(), 'requires project or dashboard role editor or owner (chart.preview)');
  assert.equal(can('dataset.upload').describe(), 'requires project role editor or owner (dataset.upload)');
  assert.equal(can('project.delete').describe(), 'requires project role owner (project.delete)');
  assert.equal(can('project.view').describe(), 'requires any project role (project.view)');
  assert.equal(can('dashboard.view').describe(), 'requires any project or dashboard role (dashboard.view)');
  assert.equal(can('audit.view').describe(), 'requires system role admin (audit.view)');
  assert.equal(can('project.create').describe(), 'requires system role admin or user (project.create)');
  assert.equal(all(can('chart.edit'), can('dataset.view')).describe(), 'requires project or dashboard role editor or owner (chart.edit) and requires any project role (dataset.view)');
  assert.equal(
    any(can('member.manage'), all(can('dashboard.edit'), can('dataset.upload'))).describe(),
    'requires project role owner (member.manage) or (requires project or dashboard role editor or owner (dashboard.edit) and requires project role editor or owner (dataset.upload))',
  );
  assert.equal(all(can('chart.edit')).describe(), can('chart.edit').describe());
  for (const action of ACTIONS) assert.match(can(action).describe(), new RegExp(`^requires .+ \\(${action.replace('.', '\\.')}\\)$`));
});

test('factories check their arguments eagerly', () => {
  assert.throws(() => can('chart.hack' as Action), TypeError);
  assert.throws(() => all(), TypeError);
  assert.throws(() => any(), TypeError);
  assert.throws(() => all({} as never), TypeError);
});

test('all / any compose', () => {
  const editor = ctxFor(member('ed'));
  const viewer = ctxFor(member('vi'));
  const rule = all(can('chart.edit'), can('dataset.view'));
  assert.equal(rule.evaluate(editor), true);
  assert.equal(rule.evaluate(viewer), false);
  const either = any(can('project.delete'), can('chart.render'));
  assert.equal(either.evaluate(viewer), true);
  assert.equal(any(can('project.delete'), can('audit.view')).evaluate(editor), false);
  assert.deepEqual(all(can('chart.edit'), any(can('chart.edit'), can('audit.view'))).actions, ['chart.edit', 'audit.view']);
});

test('decide: 404 for a principal with no access to the project, for every project and dashboard action', () => {
  const stranger = ctxFor(member('mallory'));
  assert.equal(stranger.projectRole, null);
  for (const action of ACTIONS.filter((a) => ACTION_SCOPE[a] !== 'system')) {
    const d = decide(stranger, can(action));
    assert.deepEqual(d, { allowed: false, status: 404, reason: NOT_FOUND_REASON, required: can(action).describe() }, action);
  }
  // a disabled member is a stranger too
  const off = resolveAccess({ user: { id: 'owner1', systemRole: 'user', disabled: true }, userGroupIds: [], projectGrants: grants });
  assert.equal(decide(off, can('project.view')).allowed, false);
  assert.equal((decide(off, can('project.view')) as { status: number }).status, 404);
});

test('decide: 403 with a useful reason for a member lacking the permission', () => {
  const d = decide(ctxFor(member('vi')), can('dataset.upload'));
  assert.deepEqual(d, {
    allowed: false,
    status: 403,
    reason: 'requires project role editor or owner (dataset.upload); your project role is viewer',
    required: 'requires project role editor or owner (dataset.upload)',
  });
  const viaGroup = decide(ctxFor(member('carol'), ['analysts']), can('project.manage'));
  assert.equal(viaGroup.allowed, false);
  assert.equal(!viaGroup.allowed && viaGroup.status, 403);
  assert.equal(!viaGroup.allowed && viaGroup.reason, 'requires project role owner (project.manage); your project role is editor');
  // the system-viewer ceiling explains itself
  const ro = resolveAccess({ user: member('ro', 'viewer'), userGroupIds: [], projectGrants: [u('ro', 'owner')] });
  const roD = decide(ro, can('chart.preview'));
  assert.equal(!roD.allowed && roD.status, 403);
  assert.equal(!roD.allowed && roD.reason, 'requires project or dashboard role editor or owner (chart.preview); your project role is viewer; system viewers are read-only');
  assert.deepEqual(decide(ro, can('chart.render')), { allowed: true, asSystemAdmin: false });
});

test('decide: system actions are 403, never 404', () => {
  const d = decide(systemContext(member('ed')), can('audit.view'));
  assert.deepEqual(d, { allowed: false, status: 403, reason: 'requires system role admin (audit.view); your system role is user', required: 'requires system role admin (audit.view)' });
  const v = decide(systemContext(member('v', 'viewer')), can('project.create'));
  assert.equal(!v.allowed && v.status, 403);
  const off = decide(systemContext({ id: 'x', systemRole: 'admin', disabled: true }), can('user.manage'));
  assert.equal(!off.allowed && off.reason, 'requires system role admin (user.manage); your account is disabled');
  assert.deepEqual(decide(systemContext(member('a', 'admin')), can('group.manage')), { allowed: true, asSystemAdmin: true });
  assert.deepEqual(decide(systemContext(member('a', 'admin')), can('project.create')), { allowed: true, asSystemAdmin: false });
});

test('decide: asSystemAdmin marks what only the admin role allowed (decision 1: audit it)', () => {
  const admin = member('root', 'admin');
  assert.deepEqual(decide(ctxFor(admin), can('project.delete')), { allowed: true, asSystemAdmin: true });
  const adminOwner = resolveAccess({ user: admin, userGroupIds: [], projectGrants: [u('root', 'owner')] });
  assert.deepEqual(decide(adminOwner, can('project.delete')), { allowed: true, asSystemAdmin: false });
  const adminViewer = resolveAccess({ user: admin, userGroupIds: [], projectGrants: [u('root', 'viewer')] });
  assert.deepEqual(decide(adminViewer, can('chart.render')), { allowed: true, asSystemAdmin: false });
  assert.deepEqual(decide(adminViewer, can('chart.edit')), { allowed: true, asSystemAdmin: true });
  // a hand-built context without `granted`: assume the admin role was needed (audit rather than miss)
  assert.deepEqual(decide({ user: admin, projectRole: 'owner' }, can('project.view')), { allowed: true, asSystemAdmin: true });
  assert.deepEqual(decide(ctxFor(member('ed')), can('chart.edit')), { allowed: true, asSystemAdmin: false });
});

test('dashboard context: a dashboard grant raises the role on that dashboard only', () => {
  // viewer on the project, editor on dashboard D by a group's dashboard grant
  const onD = ctxFor(member('vi'), ['d-editors'], [g('d-editors', 'editor')]);
  assert.equal(onD.projectRole, 'viewer');
  assert.equal(onD.dashboardRole, 'editor');
  assert.deepEqual(decide(onD, can('chart.edit')), { allowed: true, asSystemAdmin: false });
  assert.deepEqual(decide(onD, can('chart.preview')), { allowed: true, asSystemAdmin: false });
  const del = decide(onD, can('dashboard.delete'));
  assert.equal(!del.allowed && del.reason, 'requires project or dashboard role owner (dashboard.delete); your role on this dashboard is editor');
  // project-scope actions stay on the project role, even inside the dashboard context
  const up = decide(onD, can('dataset.upload'));
  assert.equal(!up.allowed && up.status, 403);
  assert.equal(!up.allowed && up.reason, 'requires project role editor or owner (dataset.upload); your project role is viewer');
  // on another dashboard (no grants there) the project role applies
  const onOther = ctxFor(member('vi'), ['d-editors'], []);
  assert.equal(onOther.dashboardRole, 'viewer');
  assert.equal(decide(onOther, can('chart.edit')).allowed, false);
});

test('a dashboard-only principal sees that dashboard and its rendered charts, nothing else of the project', () => {
  const guest = member('guest');
  const onD = ctxFor(guest, [], [u('guest', 'viewer')]);
  assert.equal(onD.projectRole, null);
  assert.equal(onD.dashboardRole, 'viewer');
  for (const action of ['dashboard.view', 'chart.view', 'chart.render'] as const) {
    assert.deepEqual(decide(onD, can(action)), { allowed: true, asSystemAdmin: false }, action);
  }
  // inside the dashboard it can see, a missing permission is 403 (it knows the dashboard exists)
  const edit = decide(onD, can('chart.edit'));
  assert.equal(!edit.allowed && edit.status, 403);
  // the project itself, its datasets, members and other dashboards: 404 as for a stranger
  const projectOnly = resolveAccess({ user: guest, userGroupIds: [], projectGrants: grants });
  for (const action of ['project.view', 'dataset.view', 'dashboard.create', 'member.view'] as const) {
    const d = decide(projectOnly, can(action));
    assert.equal(!d.allowed && d.status, 404, action);
  }
  const otherDashboard = ctxFor(guest, [], []);
  const d = decide(otherDashboard, can('dashboard.view'));
  assert.equal(!d.allowed && d.status, 404);
});
