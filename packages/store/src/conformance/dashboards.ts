/** Conformance: Dashboards and dashboard grants. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function dashboardsConformance({ it, newUser }: ConformanceContext): void {
  it('dashboards: CRUD, name unique within a project only, layout JSON, versions, grants', async (store, clock) => {
    const u = await newUser(store);
    const v = await newUser(store);
    const p = await store.projects.create({ name: 'A', createdBy: u.id });
    const q = await store.projects.create({ name: 'B', createdBy: u.id });
    const layout = { items: [{ chartId: 'c1', x: 0, y: 0, w: 6, h: 4 }], note: 'ünïcode ✓' };
    const d = await store.dashboards.create({ projectId: p.id, name: 'Overview', layout });
    assert.deepEqual(d.layout, layout);
    assert.equal(d.version, 1);
    assert.deepEqual((await store.dashboards.create({ projectId: q.id, name: 'Other' })).layout, []);
    await assertStoreError(store.dashboards.create({ projectId: p.id, name: 'Overview' }), 'STORE_CONFLICT', 'dashboards.project_name');
    const dq = await store.dashboards.create({ projectId: q.id, name: 'Overview' });
    assert.equal(dq.name, 'Overview');
    await assertStoreError(store.dashboards.create({ projectId: 'missing', name: 'x' }), 'STORE_NOT_FOUND', 'project');
    const d2 = await store.dashboards.create({ projectId: p.id, name: 'Second' });
    await assertStoreError(store.dashboards.update(d2.id, 1, { name: 'Overview' }), 'STORE_CONFLICT', 'dashboards.project_name');
    clock.advance(MIN);
    const up = await store.dashboards.update(d.id, 1, { layout: { items: [] } });
    assert.equal(up.version, 2);
    assert.equal(up.name, 'Overview');
    assert.deepEqual(up.layout, { items: [] });
    await assertStoreError(store.dashboards.update(d.id, 1, { name: 'x' }), 'STORE_VERSION_MISMATCH');
    await assertStoreError(store.dashboards.update('missing', 1, { name: 'x' }), 'STORE_NOT_FOUND');
    await assertStoreError(store.dashboards.create({ projectId: p.id, name: 'bad', layout: { f: () => 1 } as never }), 'STORE_INVALID');
    const listed = await collectPages((pg) => store.dashboards.listByProject(p.id, pg), 1);
    assert.deepEqual(listed.map((x) => x.id).sort(), [d.id, d2.id].sort());
    const grant = await store.dashboards.setGrant(d.id, { kind: 'user', id: v.id }, 'viewer');
    assert.equal(grant.role, 'viewer');
    await store.dashboards.setGrant(d.id, { kind: 'user', id: v.id }, 'editor');
    const grants = await store.dashboards.listGrants(d.id);
    assert.deepEqual(
      grants.map((x) => [x.principal, x.role]),
      [[{ kind: 'user', id: v.id }, 'editor']],
    );
    await assertStoreError(store.dashboards.setGrant('missing', { kind: 'user', id: v.id }, 'viewer'), 'STORE_NOT_FOUND', 'dashboard');
    assert.equal(await store.dashboards.removeGrant(d.id, { kind: 'user', id: v.id }), true);
    assert.equal(await store.dashboards.removeGrant(d.id, { kind: 'user', id: v.id }), false);
    const c = await store.charts.create({ dashboardId: d.id, title: 't', code: '', lang: 'js', codeHash: 'h' });
    assert.equal(await store.dashboards.delete(d.id), true);
    assert.equal(await store.dashboards.delete(d.id), false);
    assert.equal(await store.charts.findById(c.id), null, 'charts go with their dashboard');
  });
}
