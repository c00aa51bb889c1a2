/** Conformance: The store itself: readiness, reads started together, and close. */
import assert from 'node:assert/strict';
import { assertStoreError } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function lifecycleConformance({ it, newUser }: ConformanceContext): void {
  it('ping answers; a closed store refuses work with STORE_UNAVAILABLE', async (store) => {
    await store.ping();
    await store.close();
    await assertStoreError(store.users.findById('x'), 'STORE_UNAVAILABLE');
    await assertStoreError(store.ping(), 'STORE_UNAVAILABLE');
    await assertStoreError(store.backup.isEmpty(), 'STORE_UNAVAILABLE');
    await assertStoreError(store.backup.load([]), 'STORE_UNAVAILABLE');
    await assertStoreError(store.audit.deleteBefore(new Date(), 1), 'STORE_UNAVAILABLE');
  });

  it('readTogether: reads started together answer as they would alone; a failing one fails alone; writes follow normally', async (store) => {
    const u = await newUser(store);
    const project = await store.projects.create({ name: 'Together', createdBy: u.id });
    const alone = [await store.users.findById(u.id), await store.projects.findById(project.id), await store.groups.listForUser(u.id), await store.projects.listGrants(project.id)];
    const reads = store.readTogether(() => [
      store.users.findById(u.id),
      store.projects.findById(project.id),
      store.groups.listForUser(u.id),
      store.projects.listGrants(project.id),
      store.users.findById(42 as unknown as string),
    ]);
    assert.equal(reads.length, 5, 'readTogether returns what its function returns');
    assert.deepEqual(await Promise.all(reads.slice(0, 4)), alone);
    await assertStoreError(reads[4] as Promise<unknown>, 'STORE_INVALID');
    assert.equal(
      store.readTogether(() => 7),
      7,
    );
    assert.throws(
      () =>
        store.readTogether(() => {
          throw new RangeError('from reads');
        }),
      RangeError,
    );
    // Nothing is left open: writes after it commit, and other reads see them.
    const renamed = await store.projects.update(project.id, project.version, { name: 'Renamed' });
    assert.equal(renamed.name, 'Renamed');
    assert.equal((await store.readTogether(() => store.projects.findById(project.id)))?.name, 'Renamed');
    await store.close();
    await assertStoreError(
      store.readTogether(() => store.users.findById(u.id)),
      'STORE_UNAVAILABLE',
    );
  });
}
