/** Conformance: Charts. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function chartsConformance({ it, newUser }: ConformanceContext): void {
  it('charts: CRUD, same-project datasets only, titles may repeat, versions', async (store, clock) => {
    const u = await newUser(store);
    const p = await store.projects.create({ name: 'A', createdBy: u.id });
    const q = await store.projects.create({ name: 'B', createdBy: u.id });
    const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
    const ds = await store.datasets.create({ projectId: p.id, name: 'sales' });
    const foreign = await store.datasets.create({ projectId: q.id, name: 'secret' });
    const c = await store.charts.create({ dashboardId: d.id, title: 'Untitled', code: 'fig = px.bar(df, {x: "a"})', lang: 'ts', datasetId: ds.id, diagnostics: [{ rule: 'x', line: 1 }], codeHash: 'h1' });
    assert.equal(c.projectId, p.id);
    assert.equal(c.lang, 'ts');
    assert.deepEqual(c.diagnostics, [{ rule: 'x', line: 1 }]);
    assert.deepEqual(await store.charts.findById(c.id), c);
    const c2 = await store.charts.create({ dashboardId: d.id, title: 'Untitled', code: '', lang: 'js', codeHash: 'h2' });
    assert.equal(c2.datasetId, null);
    assert.deepEqual(c2.diagnostics, []);
    await assertStoreError(store.charts.create({ dashboardId: d.id, title: 't', code: '', lang: 'js', datasetId: foreign.id, codeHash: 'h' }), 'STORE_NOT_FOUND', 'dataset');
    await assertStoreError(store.charts.create({ dashboardId: 'missing', title: 't', code: '', lang: 'js', codeHash: 'h' }), 'STORE_NOT_FOUND', 'dashboard');
    await assertStoreError(store.charts.create({ dashboardId: d.id, title: 't', code: '', lang: 'py' as never, codeHash: 'h' }), 'STORE_INVALID');
    clock.advance(MIN);
    const up = await store.charts.update(c.id, 1, { code: 'fig = {}', codeHash: 'h3', diagnostics: [] });
    assert.equal(up.version, 2);
    assert.equal(up.title, 'Untitled');
    assert.equal(up.datasetId, ds.id);
    assert.equal(up.code, 'fig = {}');
    await assertStoreError(store.charts.update(c.id, 1, { title: 'stale' }), 'STORE_VERSION_MISMATCH');
    await assertStoreError(store.charts.update(c.id, 2, { datasetId: foreign.id }), 'STORE_NOT_FOUND', 'dataset');
    assert.equal((await store.charts.update(c.id, 2, { datasetId: null })).datasetId, null);
    await store.charts.update(c.id, 3, { datasetId: ds.id });
    await store.datasets.delete(ds.id);
    assert.equal((await store.charts.findById(c.id))?.datasetId, null, 'a deleted dataset leaves charts without one');
    const listed = await collectPages((pg) => store.charts.listByDashboard(d.id, pg), 1);
    assert.deepEqual(listed.map((x) => x.id).sort(), [c.id, c2.id].sort());
    assert.equal(await store.charts.delete(c.id), true);
    assert.equal(await store.charts.delete(c.id), false);
  });
}
