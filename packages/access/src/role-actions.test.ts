// The role × action table of SPEC §3, restated here independently and checked exhaustively.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Action, ProjectRole, SystemRole } from './index.ts';
import { ACTIONS, ACTION_SCOPE, PROJECT_ROLES, ROLE_ACTIONS, SYSTEM_ROLES, SYSTEM_ROLE_ACTIONS, can, canCreateProject, resolveAccess, systemContext } from './index.ts';

/** SPEC §3 table: the least project role allowing each action ('none' = no project role allows it). */
const SPEC_MIN_ROLE = {
  // view project, dashboards, datasets' metadata, rendered charts
  'project.view': 'viewer',
  'dashboard.view': 'viewer',
  'dataset.view': 'viewer',
  'chart.view': 'viewer',
  // render a saved chart
  'chart.render': 'viewer',
  // run unsaved code (preview), create/edit charts and dashboards
  'chart.preview': 'editor',
  'chart.create': 'editor',
  'chart.edit': 'editor',
  'chart.delete': 'editor', // decision: removing a chart is editing its dashboard
  'dashboard.create': 'editor',
  'dashboard.edit': 'editor',
  // upload/replace datasets
  'dataset.upload': 'editor',
  'dataset.download': 'editor', // decision: editors can read every row through preview anyway
  // delete dashboards and datasets
  'dashboard.delete': 'owner',
  'dataset.delete': 'owner',
  // manage project settings, members, group grants
  'project.manage': 'owner',
  'project.delete': 'owner',
  'member.view': 'owner',
  'member.manage': 'owner',
  // system scope: no project role allows these
  'project.create': 'none',
  'user.manage': 'none',
  'group.manage': 'none',
  'audit.view': 'none',
} as const satisfies Record<Action, ProjectRole | 'none'>;

const SPEC_SYSTEM = {
  'project.create': ['admin', 'user'],
  'user.manage': ['admin'],
  'group.manage': ['admin'],
  'audit.view': ['admin'],
} as const satisfies Partial<Record<Action, readonly SystemRole[]>>;

const RANK = { none: 0, viewer: 1, editor: 2, owner: 3 } as const;

const user = (systemRole: SystemRole, disabled = false) => ({ id: 'u1', systemRole, disabled });

test('ACTIONS: unique, every one scoped, system actions exactly those no project role allows', () => {
  assert.equal(new Set(ACTIONS).size, ACTIONS.length);
  assert.deepEqual(Object.keys(ACTION_SCOPE).sort(), [...ACTIONS].sort());
  assert.deepEqual(Object.keys(SPEC_MIN_ROLE).sort(), [...ACTIONS].sort());
  for (const action of ACTIONS) {
    assert.equal(ACTION_SCOPE[action] === 'system', SPEC_MIN_ROLE[action] === 'none', action);
  }
});

test('ROLE_ACTIONS is the SPEC table, each role a superset of the one below, and frozen', () => {
  for (const role of PROJECT_ROLES) {
    const expected = ACTIONS.filter((a) => SPEC_MIN_ROLE[a] !== 'none' && RANK[SPEC_MIN_ROLE[a]] <= RANK[role]);
    assert.deepEqual([...ROLE_ACTIONS[role]].sort(), [...expected].sort(), role);
    assert.equal(new Set(ROLE_ACTIONS[role]).size, ROLE_ACTIONS[role].length, `${role} has duplicates`);
    assert.ok(Object.isFrozen(ROLE_ACTIONS[role]));
  }
  assert.ok(ROLE_ACTIONS.viewer.every((a) => ROLE_ACTIONS.editor.includes(a)));
  assert.ok(ROLE_ACTIONS.editor.every((a) => ROLE_ACTIONS.owner.includes(a)));
  assert.ok(Object.isFrozen(ROLE_ACTIONS));
  assert.throws(() => (ROLE_ACTIONS.viewer as Action[]).push('project.delete'));
});

test('every project role × every action, via can() on a plain member', () => {
  let checked = 0;
  for (const role of [null, ...PROJECT_ROLES]) {
    for (const action of ACTIONS) {
      const min = SPEC_MIN_ROLE[action];
      const system = ACTION_SCOPE[action] === 'system';
      // a plain `user` holding `role`: system actions are decided on the system role only
      const expected = system ? action === 'project.create' : min !== 'none' && role !== null && RANK[role] >= RANK[min];
      assert.equal(can(action).evaluate({ user: user('user'), projectRole: role }), expected, `${String(role)} ${action}`);
      // inside a dashboard context the dashboard role decides dashboard actions, the project role the rest
      const onDash = can(action).evaluate({ user: user('user'), projectRole: null, dashboardRole: role });
      const expectedOnDash = ACTION_SCOPE[action] === 'dashboard' ? expected : system ? expected : false;
      assert.equal(onDash, expectedOnDash, `dashboard ${String(role)} ${action}`);
      checked++;
    }
  }
  assert.equal(checked, 4 * ACTIONS.length);
});

test('every system role × disabled × project grant × action, through resolveAccess', () => {
  for (const systemRole of SYSTEM_ROLES) {
    for (const disabled of [false, true]) {
      for (const granted of [null, ...PROJECT_ROLES]) {
        const u = user(systemRole, disabled);
        const ctx = resolveAccess({
          user: u,
          userGroupIds: [],
          projectGrants: granted === null ? [] : [{ principal: { kind: 'user', id: 'u1' }, role: granted }],
        });
        // independent statement of decisions 1 and 2 (and disabled = nothing)
        const effective: ProjectRole | null = disabled ? null : systemRole === 'admin' ? 'owner' : systemRole === 'viewer' && granted !== null ? 'viewer' : granted;
        assert.equal(ctx.projectRole, effective, `${systemRole} disabled=${disabled} ${String(granted)}`);
        for (const action of ACTIONS) {
          const min = SPEC_MIN_ROLE[action];
          const expected =
            min === 'none' ? !disabled && (SPEC_SYSTEM[action as keyof typeof SPEC_SYSTEM] as readonly string[]).includes(systemRole) : effective !== null && RANK[effective] >= RANK[min];
          assert.equal(can(action).evaluate(ctx), expected, `${systemRole} disabled=${disabled} ${String(granted)} ${action}`);
        }
      }
    }
  }
});

test('SYSTEM_ROLE_ACTIONS and canCreateProject: only admin and user create projects', () => {
  for (const role of SYSTEM_ROLES) {
    for (const [action, roles] of Object.entries(SPEC_SYSTEM)) {
      assert.equal((SYSTEM_ROLE_ACTIONS[role] as readonly string[]).includes(action), (roles as readonly string[]).includes(role), `${role} ${action}`);
    }
  }
  assert.equal(canCreateProject('admin'), true);
  assert.equal(canCreateProject('user'), true);
  assert.equal(canCreateProject('viewer'), false);
  assert.equal(canCreateProject(user('user')), true);
  assert.equal(canCreateProject(user('admin', true)), false);
  assert.equal(can('project.create').evaluate(systemContext(user('viewer'))), false);
  // corrupt data fails closed: an unknown system role is treated as viewer, a non-boolean disabled as disabled
  assert.equal(canCreateProject({ id: 'x', systemRole: 'root' as SystemRole, disabled: false }), false);
  assert.equal(canCreateProject({ id: 'x', systemRole: 'admin', disabled: undefined as unknown as boolean }), false);
});
