import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GrantInput, ProjectRole } from './index.ts';
import { PROJECT_ROLES, inheritedProjectRole, roleRank, validateDashboardGrant } from './index.ts';

test('validateDashboardGrant: only a raise is accepted; equal and lower are refused (409)', () => {
  for (const inherited of [null, ...PROJECT_ROLES]) {
    for (const requested of PROJECT_ROLES) {
      const r = validateDashboardGrant(inherited, requested);
      const raise = roleRank(requested) > roleRank(inherited);
      assert.equal(r.ok, raise, `${String(inherited)} → ${requested}`);
      if (!r.ok) {
        assert.equal(r.reason, roleRank(requested) === roleRank(inherited) ? 'same_as_inherited' : 'lower_than_inherited');
        assert.ok(r.message.length > 0);
      }
    }
  }
  assert.deepEqual(validateDashboardGrant('editor', 'viewer'), {
    ok: false,
    reason: 'lower_than_inherited',
    message: 'a dashboard grant may only raise the inherited role: viewer is lower than the inherited editor',
  });
  assert.equal(validateDashboardGrant('owner', 'owner').ok, false, 'nothing is above owner');
  assert.deepEqual(validateDashboardGrant(null, 'viewer'), { ok: true });
  const bad = validateDashboardGrant(null, 'admin' as ProjectRole);
  assert.equal(!bad.ok && bad.reason, 'invalid_role');
});

test('inheritedProjectRole: user = direct + its groups; group = its own grant; system role ignored', () => {
  const grants: GrantInput[] = [
    { principal: { kind: 'user', id: 'alice' }, role: 'viewer' },
    { principal: { kind: 'group', id: 'analysts' }, role: 'editor' },
    { principal: { kind: 'group', id: 'leads' }, role: 'owner' },
  ];
  assert.equal(inheritedProjectRole({ principal: { kind: 'user', id: 'alice' }, projectGrants: grants }), 'viewer');
  assert.equal(inheritedProjectRole({ principal: { kind: 'user', id: 'alice' }, groupIds: ['analysts'], projectGrants: grants }), 'editor');
  assert.equal(inheritedProjectRole({ principal: { kind: 'group', id: 'analysts' }, groupIds: ['leads'], projectGrants: grants }), 'editor');
  assert.equal(inheritedProjectRole({ principal: { kind: 'group', id: 'nobody' }, projectGrants: grants }), null);
  // granting editor on a dashboard to alice (editor through a group) is redundant
  const inherited = inheritedProjectRole({ principal: { kind: 'user', id: 'alice' }, groupIds: ['analysts'], projectGrants: grants });
  assert.equal(validateDashboardGrant(inherited, 'editor').ok, false);
  assert.equal(validateDashboardGrant(inherited, 'owner').ok, true);
});
