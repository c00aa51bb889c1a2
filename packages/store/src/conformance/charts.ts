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
    const c = await store.charts.create({
      dashboardId: d.id,
      title: 'Untitled',
      code: 'fig = px.bar(df, {x: "a"})',
      lang: 'ts',
      datasetId: ds.id,
      diagnostics: [{ rule: 'x', line: 1 }],
      codeHash: 'h1',
    });
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

  it('charts: the Code Mode runtime, arquero by default, stored, changed, checked', async (store) => {
    const u = await newUser(store);
    const p = await store.projects.create({ name: 'A', createdBy: u.id });
    const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
    const plain = await store.charts.create({ dashboardId: d.id, title: 'a', code: '', lang: 'js', codeHash: 'h1' });
    assert.equal(plain.runtime, 'arquero');
    const danfo = await store.charts.create({ dashboardId: d.id, title: 'b', code: '', lang: 'js', runtime: 'danfo', codeHash: 'h2' });
    assert.equal(danfo.runtime, 'danfo');
    assert.equal((await store.charts.findById(danfo.id))?.runtime, 'danfo');
    const listed = await collectPages((pg) => store.charts.listByDashboard(d.id, pg), 10);
    assert.deepEqual(listed.map((x) => `${x.title}:${x.runtime}`).sort(), ['a:arquero', 'b:danfo']);
    const switched = await store.charts.update(plain.id, 1, { runtime: 'danfo' });
    assert.equal(switched.runtime, 'danfo');
    assert.equal(switched.version, 2);
    const untouched = await store.charts.update(plain.id, 2, { title: 'renamed' });
    assert.equal(untouched.runtime, 'danfo', 'a patch without runtime keeps it');
    assert.equal((await store.charts.update(plain.id, 3, { runtime: 'arquero' })).runtime, 'arquero');
    for (const bad of ['pandas', '', 'Danfo', 1, null, { $ne: null }]) {
      await assertStoreError(store.charts.create({ dashboardId: d.id, title: 't', code: '', lang: 'js', runtime: bad as never, codeHash: 'h' }), 'STORE_INVALID');
      await assertStoreError(store.charts.update(danfo.id, 1, { runtime: bad as never }), 'STORE_INVALID');
    }
    assert.equal((await store.charts.findById(danfo.id))?.version, 1);
  });
}
