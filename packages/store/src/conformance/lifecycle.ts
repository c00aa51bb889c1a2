/** Conformance: The store itself: readiness and close. */
import { assertStoreError } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function lifecycleConformance({ it }: ConformanceContext): void {
  it('ping answers; a closed store refuses work with STORE_UNAVAILABLE', async (store) => {
    await store.ping();
    await store.close();
    await assertStoreError(store.users.findById('x'), 'STORE_UNAVAILABLE');
    await assertStoreError(store.ping(), 'STORE_UNAVAILABLE');
    await assertStoreError(store.backup.isEmpty(), 'STORE_UNAVAILABLE');
    await assertStoreError(store.backup.load([]), 'STORE_UNAVAILABLE');
    await assertStoreError(store.audit.deleteBefore(new Date(), 1), 'STORE_UNAVAILABLE');
  });
}
