/** Conformance: Groups and their members. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function groupsConformance({ it, newUser }: ConformanceContext): void {
  it('groups: create, unique name, members, list for user, rename, delete', async (store) => {
    const a = await newUser(store);
    const b = await newUser(store);
    const g = await store.groups.create({ name: 'analysts', memberIds: [b.id, a.id, a.id] });
    assert.deepEqual(g.memberIds, [a.id, b.id].sort());
    await assertStoreError(store.groups.create({ name: 'analysts' }), 'STORE_CONFLICT', 'groups.name');
    await assertStoreError(store.groups.create({ name: 'x', memberIds: ['missing'] }), 'STORE_NOT_FOUND', 'user');
    const h = await store.groups.create({ name: 'ops' });
    assert.deepEqual(h.memberIds, []);
    assert.deepEqual((await store.groups.addMember(h.id, a.id)).memberIds, [a.id]);
    assert.deepEqual((await store.groups.addMember(h.id, a.id)).memberIds, [a.id], 'idempotent');
    await assertStoreError(store.groups.addMember(h.id, 'missing'), 'STORE_NOT_FOUND', 'user');
    await assertStoreError(store.groups.addMember('missing', a.id), 'STORE_NOT_FOUND', 'group');
    assert.deepEqual((await store.groups.listForUser(a.id)).map((x) => x.id).sort(), [g.id, h.id].sort());
    assert.deepEqual((await store.groups.removeMember(g.id, a.id)).memberIds, [b.id]);
    assert.deepEqual(
      (await store.groups.listForUser(a.id)).map((x) => x.id),
      [h.id],
    );
    await assertStoreError(store.groups.rename(h.id, 'analysts'), 'STORE_CONFLICT', 'groups.name');
    assert.equal((await store.groups.rename(h.id, 'operators')).name, 'operators');
    assert.equal((await store.groups.findByName('operators'))?.id, h.id);
    const p = await store.projects.create({ name: 'P', createdBy: a.id });
    await store.projects.setGrant(p.id, { kind: 'group', id: h.id }, 'owner');
    const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
    await store.dashboards.setGrant(d.id, { kind: 'group', id: h.id }, 'editor');
    assert.equal(await store.groups.delete(h.id), true);
    assert.equal(await store.groups.delete(h.id), false);
    assert.equal(await store.groups.findById(h.id), null);
    assert.deepEqual(
      (await store.projects.listGrants(p.id)).map((x) => x.principal),
      [{ kind: 'user', id: a.id }],
    );
    assert.deepEqual(await store.dashboards.listGrants(d.id), []);
    assert.equal((await collectPages((pg) => store.groups.list(pg), 1)).length, 1);
  });
}
