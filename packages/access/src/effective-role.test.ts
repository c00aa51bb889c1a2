import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AccessUser, GrantInput, ProjectRole, SystemRole } from './index.ts';
import { PROJECT_ROLES, SYSTEM_ROLES, effectiveDashboardRole, effectiveProjectRole, grantedRole, maxRole, minRole, roleRank } from './index.ts';

const alice: AccessUser = { id: 'alice', systemRole: 'user', disabled: false };
const u = (id: string, role: ProjectRole): GrantInput => ({ principal: { kind: 'user', id }, role });
const g = (id: string, role: ProjectRole): GrantInput => ({ principal: { kind: 'group', id }, role });

test('role order: owner > editor > viewer > none', () => {
  assert.deepEqual(
    [null, 'viewer', 'editor', 'owner'].map((r) => roleRank(r as ProjectRole | null)),
    [0, 1, 2, 3],
  );
  assert.equal(maxRole('viewer', 'owner'), 'owner');
  assert.equal(maxRole(null, 'viewer'), 'viewer');
  assert.equal(maxRole(null, null), null);
  assert.equal(minRole('owner', 'viewer'), 'viewer');
  assert.equal(minRole('owner', null), null);
  assert.equal(roleRank('admin' as ProjectRole), 0, 'a corrupt role grants nothing');
});

test('direct grant only; other users and other groups do not count', () => {
  const grants = [u('bob', 'owner'), g('staff', 'owner'), u('alice', 'viewer')];
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: [], projectGrants: grants }), 'viewer');
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: [], projectGrants: [] }), null);
  // a group whose id equals the user's id is still a group: kind matters
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: [], projectGrants: [g('alice', 'owner')] }), null);
});

test('two groups plus a direct grant: the most permissive wins, whatever the order', () => {
  const base = [u('alice', 'viewer'), g('analysts', 'editor'), g('leads', 'owner'), g('other', 'owner')];
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: ['analysts'], projectGrants: base }), 'editor');
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: ['analysts', 'leads'], projectGrants: base }), 'owner');
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: ['leads', 'analysts'], projectGrants: [...base].reverse() }), 'owner');
  // group only, no direct grant
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: ['analysts'], projectGrants: [g('analysts', 'editor')] }), 'editor');
  // direct grant higher than every group
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: ['analysts'], projectGrants: [u('alice', 'owner'), g('analysts', 'viewer')] }), 'owner');
  // leaving the group takes effect with the next evaluation (decision 3)
  assert.equal(effectiveProjectRole({ user: alice, userGroupIds: [], projectGrants: base }), 'viewer');
});

test('system admin acts as owner of every project, even with no grant', () => {
  const admin: AccessUser = { id: 'root', systemRole: 'admin', disabled: false };
  assert.equal(effectiveProjectRole({ user: admin, userGroupIds: [], projectGrants: [] }), 'owner');
  assert.equal(effectiveProjectRole({ user: admin, userGroupIds: [], projectGrants: [u('root', 'viewer')] }), 'owner');
  assert.equal(effectiveDashboardRole({ user: admin, userGroupIds: [], projectRole: null, dashboardGrants: [] }), 'owner');
});

test('system viewer: a read-only ceiling whatever it is granted, directly or by group', () => {
  const ro: AccessUser = { id: 'ro', systemRole: 'viewer', disabled: false };
  assert.equal(effectiveProjectRole({ user: ro, userGroupIds: [], projectGrants: [u('ro', 'owner')] }), 'viewer');
  assert.equal(effectiveProjectRole({ user: ro, userGroupIds: ['g'], projectGrants: [g('g', 'editor')] }), 'viewer');
  assert.equal(effectiveProjectRole({ user: ro, userGroupIds: [], projectGrants: [] }), null, 'the ceiling does not grant access');
  assert.equal(effectiveDashboardRole({ user: ro, userGroupIds: [], projectRole: 'viewer', dashboardGrants: [u('ro', 'owner')] }), 'viewer');
  assert.equal(effectiveDashboardRole({ user: ro, userGroupIds: [], projectRole: null, dashboardGrants: [u('ro', 'editor')] }), 'viewer');
});

test('disabled users have no role at all, admins included', () => {
  for (const systemRole of SYSTEM_ROLES) {
    const off: AccessUser = { id: 'off', systemRole, disabled: true };
    assert.equal(effectiveProjectRole({ user: off, userGroupIds: ['g'], projectGrants: [u('off', 'owner'), g('g', 'owner')] }), null);
    assert.equal(effectiveDashboardRole({ user: off, userGroupIds: ['g'], projectRole: 'owner', dashboardGrants: [u('off', 'owner')] }), null);
  }
});

test('dashboard grants only raise: the project role is never lowered', () => {
  const dash = (projectRole: ProjectRole | null, dashboardGrants: GrantInput[], groups: string[] = []) => effectiveDashboardRole({ user: alice, userGroupIds: groups, projectRole, dashboardGrants });
  assert.equal(dash('viewer', [u('alice', 'editor')]), 'editor');
  assert.equal(dash('viewer', [g('g', 'owner')], ['g']), 'owner');
  assert.equal(dash('editor', [u('alice', 'viewer')]), 'editor', 'a lower (legacy) dashboard grant is ignored');
  assert.equal(dash('owner', [u('alice', 'viewer')]), 'owner');
  assert.equal(dash('viewer', [u('bob', 'owner'), g('g', 'owner')]), 'viewer', "others' grants do not count");
  assert.equal(dash(null, [u('alice', 'viewer')]), 'viewer', 'a dashboard-only share');
  assert.equal(dash(null, []), null);
});

// A small deterministic PRNG (mulberry32) so the property test is reproducible.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('property: effective role never exceeds owner, never drops below the direct grant, and equals the max over applicable grants', () => {
  const random = rng(20260101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const users = ['alice', 'bob', 'carol'];
  const groups = ['g1', 'g2', 'g3', 'g4'];
  for (let i = 0; i < 3000; i++) {
    const grants: GrantInput[] = [];
    for (let n = Math.floor(random() * 7); n > 0; n--) {
      grants.push(random() < 0.5 ? u(pick(users), pick(PROJECT_ROLES)) : g(pick(groups), pick(PROJECT_ROLES)));
    }
    const userGroupIds = groups.filter(() => random() < 0.4);
    const systemRole: SystemRole = pick(SYSTEM_ROLES);
    const disabled = random() < 0.1;
    const user: AccessUser = { id: pick(users), systemRole, disabled };
    const role = effectiveProjectRole({ user, userGroupIds, projectGrants: grants });
    const applicable = grants.filter((x) => (x.principal.kind === 'user' ? x.principal.id === user.id : userGroupIds.includes(x.principal.id)));
    const best = Math.max(0, ...applicable.map((x) => roleRank(x.role)));
    const direct = Math.max(0, ...applicable.filter((x) => x.principal.kind === 'user').map((x) => roleRank(x.role)));
    const ctx = `case ${i}: ${JSON.stringify({ user, userGroupIds, grants })}`;
    assert.ok(roleRank(role) <= roleRank('owner'), ctx);
    assert.equal(roleRank(grantedRole({ kind: 'user', id: user.id }, userGroupIds, grants)), best, ctx);
    if (disabled) assert.equal(role, null, ctx);
    else if (systemRole === 'admin') assert.equal(role, 'owner', ctx);
    else if (systemRole === 'viewer') assert.equal(roleRank(role), Math.min(best, 1), ctx);
    else {
      assert.equal(roleRank(role), best, ctx);
      assert.ok(roleRank(role) >= direct, ctx);
    }
    // dashboard level: never below the project role, never above owner, ceiling still applies
    const dashboardGrants = grants.filter(() => random() < 0.5);
    const dashRole = effectiveDashboardRole({ user, userGroupIds, projectRole: role, dashboardGrants });
    assert.ok(roleRank(dashRole) >= roleRank(role), ctx);
    assert.ok(roleRank(dashRole) <= 3, ctx);
    if (systemRole === 'viewer' || disabled) assert.ok(roleRank(dashRole) <= 1, ctx);
  }
});
