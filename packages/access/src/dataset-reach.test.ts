import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveAccess } from './access-context.ts';
import { datasetReach, mayUseDataset } from './dataset-reach.ts';
import type { AccessUser, GrantInput } from './roles.ts';

const user = (systemRole: AccessUser['systemRole']): AccessUser => ({ id: 'u1', systemRole, disabled: false });
const grant = (role: GrantInput['role']): GrantInput => ({ principal: { kind: 'user', id: 'u1' }, role });

test('SPEC §3.8: code under a dashboard-only grant reaches only the dashboard datasets; a project role reaches the project', () => {
  const dashboardOnly = resolveAccess({ user: user('user'), userGroupIds: [], projectGrants: [], dashboardGrants: [grant('editor')] });
  assert.equal(datasetReach(dashboardOnly), 'dashboard');
  // A project viewer raised to editor on one dashboard: the right to run code comes from the dashboard grant.
  const viewerRaised = resolveAccess({ user: user('user'), userGroupIds: [], projectGrants: [grant('viewer')], dashboardGrants: [grant('editor')] });
  assert.equal(datasetReach(viewerRaised), 'dashboard');
  for (const role of ['editor', 'owner'] as const) {
    assert.equal(datasetReach(resolveAccess({ user: user('user'), userGroupIds: [], projectGrants: [grant(role)], dashboardGrants: [] })), 'project', role);
  }
  assert.equal(datasetReach(resolveAccess({ user: user('admin'), userGroupIds: [], projectGrants: [], dashboardGrants: [] })), 'project', 'admins act as owners');
  const used = new Set(['d1']);
  assert.equal(mayUseDataset('dashboard', 'd1', used), true);
  assert.equal(mayUseDataset('dashboard', 'd2', used), false);
  assert.equal(mayUseDataset('project', 'd2', used), true);
});
