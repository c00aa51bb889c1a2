/** Conformance: Datasets and versions: creation with a first version, repair after crashes, current versions. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function datasetsConformance({ it, newUser }: ConformanceContext): void {
  it('datasets: createWithVersion creates the dataset with its current first version, or nothing', async (store, clock) => {
    const u = await newUser(store);
    const p = await store.projects.create({ name: 'P', createdBy: u.id });
    const version = { sha256: 'aa', blobKey: 'datasets/p/one.arrow', bytes: 10, rowCount: 3, schema: { columns: [] }, profile: { rowCount: 3 }, createdBy: u.id };
    const { dataset, version: v } = await store.datasets.createWithVersion({ projectId: p.id, name: 'sales', version });
    assert.equal(dataset.currentVersionId, v.id);
    assert.equal(dataset.version, 1);
    assert.equal(v.datasetId, dataset.id);
    assert.equal(v.blobKey, 'datasets/p/one.arrow');
    assert.deepEqual(await store.datasets.findById(dataset.id), dataset);
    assert.deepEqual(await store.datasets.findVersion(v.id), v);
    assert.deepEqual((await store.datasets.listVersions(dataset.id, { limit: 10 })).items, [v]);
    // A taken name: refused, and nothing of the refused upload is left (no version, no blob key).
    await assertStoreError(store.datasets.createWithVersion({ projectId: p.id, name: 'sales', version: { ...version, blobKey: 'datasets/p/two.arrow' } }), 'STORE_CONFLICT', 'datasets.project_name');
    await assertStoreError(store.datasets.createWithVersion({ projectId: 'missing', name: 'x', version }), 'STORE_NOT_FOUND', 'project');
    await assertStoreError(store.datasets.createWithVersion({ projectId: p.id, name: 'x', version: { ...version, bytes: -1 } }), 'STORE_INVALID');
    await assertStoreError(store.datasets.createWithVersion({ projectId: p.id, name: { $ne: null } as unknown as string, version }), 'STORE_INVALID');
    assert.deepEqual([...(await store.datasets.versionBlobKeys(p.id))].sort(), ['datasets/p/one.arrow']);
    clock.advance(60_000);
    assert.deepEqual(await store.datasets.removeIncomplete(clock.now()), { datasets: 0, versions: 0, blobKeys: [] });
  });

  it("datasets: removeIncomplete deletes old datasets that never got a version, and versionBlobKeys lists a project's blobs", async (store, clock) => {
    const u = await newUser(store);
    const p = await store.projects.create({ name: 'P', createdBy: u.id });
    const q = await store.projects.create({ name: 'Q', createdBy: u.id });
    const empty = await store.datasets.create({ projectId: p.id, name: 'left-behind' });
    const full = await store.datasets.create({ projectId: p.id, name: 'full' });
    await store.datasets.addVersion(full.id, { sha256: 's', blobKey: 'datasets/p/full.arrow', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id });
    await store.datasets.createWithVersion({
      projectId: q.id,
      name: 'other',
      version: { sha256: 's', blobKey: 'datasets/q/other.arrow', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id },
    });
    const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
    const chart = await store.charts.create({ dashboardId: d.id, title: 'c', code: '', lang: 'js', datasetId: empty.id, codeHash: 'h' });
    const cutoff = clock.now();
    clock.advance(1000);
    const recent = await store.datasets.create({ projectId: p.id, name: 'in-flight' });
    // Only what is older than the cutoff goes: an upload in progress elsewhere keeps its dataset.
    assert.deepEqual(await store.datasets.removeIncomplete(new Date(cutoff.getTime() + 1)), { datasets: 1, versions: 0, blobKeys: [] });
    assert.equal(await store.datasets.findById(empty.id), null);
    assert.notEqual(await store.datasets.findById(recent.id), null);
    assert.notEqual(await store.datasets.findById(full.id), null);
    assert.equal((await store.charts.findById(chart.id))?.datasetId, null);
    // The name is free again.
    await store.datasets.createWithVersion({
      projectId: p.id,
      name: 'left-behind',
      version: { sha256: 't', blobKey: 'datasets/p/again.arrow', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id },
    });
    assert.deepEqual([...(await store.datasets.versionBlobKeys(p.id))].sort(), ['datasets/p/again.arrow', 'datasets/p/full.arrow']);
    assert.deepEqual(await store.datasets.versionBlobKeys(q.id), ['datasets/q/other.arrow']);
    await assertStoreError(store.datasets.removeIncomplete(new Date(Number.NaN)), 'STORE_INVALID');
  });

  it('datasets: name unique within a project only, versions become current atomically, delete returns blobs', async (store, clock) => {
    const u = await newUser(store);
    const p = await store.projects.create({ name: 'A', createdBy: u.id });
    const q = await store.projects.create({ name: 'B', createdBy: u.id });
    const ds = await store.datasets.create({ projectId: p.id, name: 'sales' });
    assert.equal(ds.currentVersionId, null);
    await assertStoreError(store.datasets.create({ projectId: p.id, name: 'sales' }), 'STORE_CONFLICT', 'datasets.project_name');
    await store.datasets.create({ projectId: q.id, name: 'sales' });
    await assertStoreError(store.datasets.create({ projectId: 'missing', name: 'x' }), 'STORE_NOT_FOUND', 'project');
    assert.equal((await store.datasets.findByName(p.id, 'sales'))?.id, ds.id);
    assert.equal(await store.datasets.findByName(p.id, 'SALES'), null);
    const schema = {
      columns: [
        { name: 'region', type: 'string' },
        { name: 'amount', type: 'float64' },
      ],
    };
    const { dataset, version } = await store.datasets.addVersion(ds.id, { sha256: 'aa', blobKey: 'blob/1', bytes: 1234, rowCount: 10, schema, profile: { rows: 10 }, createdBy: u.id });
    assert.equal(dataset.currentVersionId, version.id);
    assert.equal(dataset.version, 2);
    assert.deepEqual(version.schema, schema);
    assert.equal(version.bytes, 1234);
    assert.deepEqual(await store.datasets.findVersion(version.id), version);
    clock.advance(MIN);
    const second = await store.datasets.addVersion(ds.id, { sha256: 'bb', blobKey: 'blob/2', bytes: 1, rowCount: 0, schema: { columns: [] }, profile: null, createdBy: u.id });
    assert.equal(second.dataset.currentVersionId, second.version.id);
    await assertStoreError(store.datasets.addVersion('missing', { sha256: 'x', blobKey: 'x', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id }), 'STORE_NOT_FOUND', 'dataset');
    await assertStoreError(store.datasets.addVersion(ds.id, { sha256: 'x', blobKey: 'x', bytes: -1, rowCount: 1, schema: null, profile: null, createdBy: u.id }), 'STORE_INVALID');
    const versions = await collectPages((pg) => store.datasets.listVersions(ds.id, pg), 1);
    assert.deepEqual(
      versions.map((x) => x.id),
      [version.id, second.version.id],
    );
    const other = await store.datasets.create({ projectId: p.id, name: 'costs' });
    const otherVersion = (await store.datasets.addVersion(other.id, { sha256: 'cc', blobKey: 'blob/3', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id })).version;
    assert.equal((await store.datasets.findById(other.id))?.version, 2);
    // Making an older version current again: the dataset's version moves on.
    clock.advance(MIN);
    const rolledBack = await store.datasets.setCurrentVersion(ds.id, version.id);
    assert.equal(rolledBack.currentVersionId, version.id);
    assert.equal(rolledBack.version, second.dataset.version + 1);
    assert.equal(rolledBack.updatedAt.getTime(), clock.now().getTime());
    assert.deepEqual(await store.datasets.findById(ds.id), rolledBack);
    assert.equal((await store.datasets.setCurrentVersion(ds.id, second.version.id, rolledBack.version)).currentVersionId, second.version.id);
    await assertStoreError(store.datasets.setCurrentVersion(ds.id, version.id, rolledBack.version), 'STORE_VERSION_MISMATCH');
    assert.equal((await store.datasets.findById(ds.id))?.currentVersionId, second.version.id, 'a refused switch changes nothing');
    // A version of another dataset, or none at all, is not found: the current version never points elsewhere.
    await assertStoreError(store.datasets.setCurrentVersion(ds.id, otherVersion.id), 'STORE_NOT_FOUND', 'dataset_version');
    await assertStoreError(store.datasets.setCurrentVersion(ds.id, 'missing'), 'STORE_NOT_FOUND', 'dataset_version');
    await assertStoreError(store.datasets.setCurrentVersion('missing', version.id), 'STORE_NOT_FOUND', 'dataset');
    await assertStoreError(store.datasets.setCurrentVersion(ds.id, { $ne: null } as unknown as string), 'STORE_INVALID');
    await assertStoreError(store.datasets.setCurrentVersion(ds.id, version.id, 0), 'STORE_INVALID');
    assert.equal((await store.datasets.findById(ds.id))?.currentVersionId, second.version.id);
    assert.equal((await store.datasets.findById(other.id))?.currentVersionId, otherVersion.id);
    await assertStoreError(store.datasets.rename(other.id, 2, 'sales'), 'STORE_CONFLICT', 'datasets.project_name');
    assert.equal((await store.datasets.rename(other.id, 2, 'costs-2025')).version, 3);
    await assertStoreError(store.datasets.rename(ds.id, 1, 'stale'), 'STORE_VERSION_MISMATCH');
    assert.equal((await collectPages((pg) => store.datasets.listByProject(p.id, pg), 5)).length, 2);
    const deleted = await store.datasets.delete(ds.id);
    assert.deepEqual(deleted?.blobKeys, ['blob/1', 'blob/2']);
    assert.equal(await store.datasets.findVersion(version.id), null);
    assert.equal(await store.datasets.delete(ds.id), null);
  });
}
