/** Conformance: Projects and grants: the owner invariant, lists for principals, deletion. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function projectsConformance({ it, newUser }: ConformanceContext): void {
  it('projects: creator becomes owner; grants are unique per principal; list for principals', async (store, clock) => {
    const owner = await newUser(store);
    const ed = await newUser(store);
    const other = await newUser(store);
    const g = await store.groups.create({ name: 'team', memberIds: [other.id] });
    const p = await store.projects.create({ name: 'Sales', description: 'Q1', createdBy: owner.id });
    assert.equal(p.version, 1);
    assert.equal(p.createdBy, owner.id);
    await assertStoreError(store.projects.create({ name: 'x', createdBy: 'missing' }), 'STORE_NOT_FOUND', 'user');
    const grants0 = await store.projects.listGrants(p.id);
    assert.deepEqual(
      grants0.map((x) => [x.principal, x.role]),
      [[{ kind: 'user', id: owner.id }, 'owner']],
    );
    clock.advance(MIN);
    const ge = await store.projects.setGrant(p.id, { kind: 'user', id: ed.id }, 'viewer');
    assert.equal(ge.role, 'viewer');
    clock.advance(MIN);
    const ge2 = await store.projects.setGrant(p.id, { kind: 'user', id: ed.id }, 'editor');
    assert.equal(ge2.role, 'editor');
    assert.equal(ge2.createdAt.getTime(), ge.createdAt.getTime());
    assert.equal(ge2.updatedAt.getTime(), clock.now().getTime());
    await store.projects.setGrant(p.id, { kind: 'group', id: g.id }, 'viewer');
    const grants = await store.projects.listGrants(p.id);
    assert.equal(grants.length, 3, 'one grant per principal');
    assert.equal(grants.filter((x) => x.principal.id === ed.id).length, 1);
    await assertStoreError(store.projects.setGrant(p.id, { kind: 'user', id: 'missing' }, 'viewer'), 'STORE_NOT_FOUND', 'user');
    await assertStoreError(store.projects.setGrant(p.id, { kind: 'group', id: 'missing' }, 'viewer'), 'STORE_NOT_FOUND', 'group');
    await assertStoreError(store.projects.setGrant('missing', { kind: 'user', id: ed.id }, 'viewer'), 'STORE_NOT_FOUND', 'project');
    await assertStoreError(store.projects.setGrant(p.id, { kind: 'user', id: ed.id }, 'admin' as never), 'STORE_INVALID');
    const p2 = await store.projects.create({ name: 'Ops', createdBy: ed.id });
    await store.projects.create({ name: 'Hidden', createdBy: owner.id });
    const forEd = await store.projects.listForPrincipals([{ kind: 'user', id: ed.id }], { limit: 10 });
    assert.deepEqual(forEd.items.map((x) => x.id).sort(), [p.id, p2.id].sort());
    const forOther = await store.projects.listForPrincipals(
      [
        { kind: 'user', id: other.id },
        { kind: 'group', id: g.id },
      ],
      { limit: 10 },
    );
    assert.deepEqual(
      forOther.items.map((x) => x.id),
      [p.id],
    );
    assert.deepEqual((await store.projects.listForPrincipals([], { limit: 10 })).items, []);
    assert.equal((await collectPages((pg) => store.projects.list(pg), 2)).length, 3);
    const up = await store.projects.update(p.id, 1, { name: 'Sales EU' });
    assert.equal(up.version, 2);
    assert.equal(up.description, 'Q1');
    await assertStoreError(store.projects.update(p.id, 1, { name: 'stale' }), 'STORE_VERSION_MISMATCH');
    assert.equal(await store.projects.removeGrant(p.id, { kind: 'user', id: ed.id }), true);
    assert.equal(await store.projects.removeGrant(p.id, { kind: 'user', id: ed.id }), false);
  });

  it('projects: the last direct user owner cannot be removed or demoted (group owners do not count)', async (store) => {
    const a = await newUser(store);
    const b = await newUser(store);
    const g = await store.groups.create({ name: 'owners', memberIds: [b.id] });
    const p = await store.projects.create({ name: 'P', createdBy: a.id });
    await store.projects.setGrant(p.id, { kind: 'group', id: g.id }, 'owner');
    const me = { kind: 'user', id: a.id } as const;
    await assertStoreError(store.projects.removeGrant(p.id, me), 'STORE_CONFLICT', 'last_owner');
    await assertStoreError(store.projects.setGrant(p.id, me, 'editor'), 'STORE_CONFLICT', 'last_owner');
    assert.equal((await store.projects.listGrants(p.id)).find((x) => x.principal.id === a.id)?.role, 'owner');
    await store.projects.setGrant(p.id, { kind: 'user', id: b.id }, 'owner');
    await store.projects.setGrant(p.id, me, 'viewer');
    await assertStoreError(store.projects.removeGrant(p.id, { kind: 'user', id: b.id }), 'STORE_CONFLICT', 'last_owner');
    assert.equal(await store.projects.removeGrant(p.id, me), true);
    // Concurrent demotions of the two remaining owners: at most one may succeed.
    await store.projects.setGrant(p.id, me, 'owner');
    const results = await Promise.allSettled([store.projects.setGrant(p.id, me, 'editor'), store.projects.setGrant(p.id, { kind: 'user', id: b.id }, 'editor')]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const owners = (await store.projects.listGrants(p.id)).filter((x) => x.principal.kind === 'user' && x.role === 'owner');
    assert.equal(owners.length, 1);
  });

  it('projects: delete removes dashboards, charts, datasets and grants, and returns blob keys', async (store) => {
    const u = await newUser(store);
    const p = await store.projects.create({ name: 'P', createdBy: u.id });
    const keep = await store.projects.create({ name: 'Keep', createdBy: u.id });
    const ds = await store.datasets.create({ projectId: p.id, name: 'sales' });
    await store.datasets.addVersion(ds.id, { sha256: 's1', blobKey: 'b1', bytes: 10, rowCount: 1, schema: [], profile: {}, createdBy: u.id });
    await store.datasets.addVersion(ds.id, { sha256: 's2', blobKey: 'b2', bytes: 10, rowCount: 1, schema: [], profile: {}, createdBy: u.id });
    const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
    const c = await store.charts.create({ dashboardId: d.id, title: 't', code: 'fig = {}', lang: 'js', datasetId: ds.id, codeHash: 'ch' });
    const kd = await store.dashboards.create({ projectId: keep.id, name: 'D' });
    const deleted = await store.projects.delete(p.id);
    assert.deepEqual([...(deleted?.blobKeys ?? [])].sort(), ['b1', 'b2']);
    assert.equal(await store.projects.delete(p.id), null);
    assert.equal(await store.projects.findById(p.id), null);
    assert.equal(await store.dashboards.findById(d.id), null);
    assert.equal(await store.charts.findById(c.id), null);
    assert.equal(await store.datasets.findById(ds.id), null);
    assert.deepEqual(await store.projects.listGrants(p.id), []);
    assert.notEqual(await store.dashboards.findById(kd.id), null);
  });
}
