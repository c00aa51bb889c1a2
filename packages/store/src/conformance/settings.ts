/** Conformance: Settings: replica-wide named records. */
import assert from 'node:assert/strict';
import { assertStoreError, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function settingsConformance({ it }: ConformanceContext): void {
  it('settings: put/get, putIfAbsent has one winner, expiry reads as absent, delete once, prune', async (store, clock) => {
    assert.equal(await store.settings.get('sandbox.runtimeVersion'), null);
    const put = await store.settings.put('sandbox.runtimeVersion', 'abc');
    assert.equal(put.value, 'abc');
    assert.equal(put.expiresAt, null);
    assert.deepEqual(await store.settings.get('sandbox.runtimeVersion'), put);
    const replaced = await store.settings.put('sandbox.runtimeVersion', { v: 2, list: [1, 'x', null] });
    assert.deepEqual((await store.settings.get('sandbox.runtimeVersion'))?.value, { v: 2, list: [1, 'x', null] });
    assert.deepEqual(replaced.value, { v: 2, list: [1, 'x', null] });
    // Of concurrent putIfAbsent calls exactly one creates; the others see its record.
    const expiresAt = new Date(clock.now().getTime() + 10 * MIN);
    const racers = await Promise.all([1, 2, 3, 4].map((n) => store.settings.putIfAbsent('setup:token:h1', { n }, { expiresAt })));
    assert.equal(racers.filter((r) => r.created).length, 1);
    const winner = racers.find((r) => r.created)?.record.value;
    for (const r of racers) assert.deepEqual(r.record.value, winner);
    assert.equal((await store.settings.get('setup:token:h1'))?.expiresAt?.getTime(), expiresAt.getTime());
    // Expired: absent to get and delete, and putIfAbsent takes the key over.
    clock.advance(10 * MIN);
    assert.equal(await store.settings.get('setup:token:h1'), null);
    assert.equal(await store.settings.delete('setup:token:h1'), false);
    const again = await store.settings.putIfAbsent('setup:token:h1', 'second', { expiresAt: new Date(clock.now().getTime() + MIN) });
    assert.equal(again.created, true);
    assert.equal(again.record.value, 'second');
    // Delete: one winner among concurrent deleters.
    const deletes = await Promise.all([1, 2, 3].map(() => store.settings.delete('setup:token:h1')));
    assert.equal(deletes.filter(Boolean).length, 1);
    assert.equal(await store.settings.get('setup:token:h1'), null);
    // Prune removes expired records only.
    await store.settings.put('a', 1, { expiresAt: new Date(clock.now().getTime() + MIN) });
    await store.settings.put('b', 2, { expiresAt: null });
    clock.advance(2 * MIN);
    assert.ok((await store.settings.prune()) >= 1);
    assert.equal((await store.settings.get('b'))?.value, 2);
    // Inputs are checked like everything else.
    await assertStoreError(store.settings.get('bad key'), 'STORE_INVALID');
    await assertStoreError(store.settings.get('x'.repeat(201)), 'STORE_INVALID');
    await assertStoreError(store.settings.put('k', 'x'.repeat(70 * 1024)), 'STORE_INVALID');
    await assertStoreError(store.settings.put('k', 1, { expiresAt: new Date(Number.NaN) }), 'STORE_INVALID');
    // An operator-looking key is plain JSON here: stored as text, never interpreted.
    await store.settings.put('k', { $ne: null });
    assert.deepEqual((await store.settings.get('k'))?.value, { $ne: null });
  });
}
