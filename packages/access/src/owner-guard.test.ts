import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GrantInput } from './index.ts';
import { checkLastOwner } from './index.ts';

const grants: GrantInput[] = [
  { principal: { kind: 'user', id: 'ann' }, role: 'owner' },
  { principal: { kind: 'group', id: 'leads' }, role: 'owner' },
  { principal: { kind: 'user', id: 'bob' }, role: 'editor' },
];

test('checkLastOwner: the last direct user owner cannot be removed or demoted', () => {
  const ann = { kind: 'user', id: 'ann' } as const;
  for (const role of [null, 'editor', 'viewer'] as const) {
    const r = checkLastOwner(grants, { principal: ann, role });
    assert.equal(r.ok, false, String(role));
    assert.equal(!r.ok && r.reason, 'last_owner');
  }
  assert.deepEqual(checkLastOwner(grants, { principal: ann, role: 'owner' }), { ok: true });
  // a group owner grant does not count, and removing it is always fine
  assert.deepEqual(checkLastOwner(grants, { principal: { kind: 'group', id: 'leads' }, role: null }), { ok: true });
  // with a second user owner, ann may step down
  const two = [...grants, { principal: { kind: 'user', id: 'bob' }, role: 'owner' } as const].filter((g) => !(g.principal.id === 'bob' && g.role === 'editor'));
  assert.deepEqual(checkLastOwner(two, { principal: ann, role: null }), { ok: true });
  // promoting someone else is fine; a group named like the owner is a different principal
  assert.deepEqual(checkLastOwner(grants, { principal: { kind: 'user', id: 'bob' }, role: 'owner' }), { ok: true });
  assert.deepEqual(checkLastOwner(grants, { principal: { kind: 'group', id: 'ann' }, role: null }), { ok: true });
});
