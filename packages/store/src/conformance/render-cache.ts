/** Conformance: The render cache: TTL and bounded size. */
import assert from 'node:assert/strict';
import { assertStoreError, TTL } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function renderCacheConformance({ it }: ConformanceContext): void {
  it('render cache: put/get, replace, expiry by TTL, prune to max entries', async (store, clock) => {
    const key = { codeHash: 'c1', datasetVersionId: 'v1', runtimeVersion: '1.0.0' };
    assert.equal(await store.renderCache.get(key), null);
    const fig = { data: [{ type: 'bar', x: [1], y: [2] }], layout: { title: { text: 't' } } };
    const e = await store.renderCache.put(key, { figure: fig });
    assert.deepEqual(e.figure, fig);
    assert.equal(e.blobKey, null);
    assert.equal(e.expiresAt.getTime() - e.createdAt.getTime(), TTL);
    assert.deepEqual((await store.renderCache.get(key))?.figure, fig);
    // The stored text, unparsed: what JSON.stringify makes of the figure.
    const text = await store.renderCache.getText(key);
    assert.equal(text?.figureJson, JSON.stringify(fig));
    assert.equal(text?.blobKey, null);
    assert.deepEqual(text?.key, key);
    assert.equal(await store.renderCache.getText({ ...key, runtimeVersion: '1.0.1' }), null);
    assert.equal(await store.renderCache.get({ ...key, runtimeVersion: '1.0.1' }), null);
    const replaced = await store.renderCache.put(key, { blobKey: 'figures/c1' });
    assert.equal(replaced.figure, null);
    assert.equal((await store.renderCache.get(key))?.blobKey, 'figures/c1');
    assert.deepEqual([(await store.renderCache.getText(key))?.figureJson, (await store.renderCache.getText(key))?.blobKey], [null, 'figures/c1']);
    await assertStoreError(store.renderCache.put(key, { figure: fig, blobKey: 'x' } as never), 'STORE_INVALID');
    clock.advance(TTL);
    assert.equal(await store.renderCache.get(key), null, 'expired entries are never returned');
    assert.equal(await store.renderCache.getText(key), null, 'expired entries are never returned as text');
    const pruned = await store.renderCache.prune();
    assert.equal(pruned.removed, 1);
    assert.deepEqual(pruned.blobKeys, ['figures/c1']);
    for (let i = 0; i < 5; i += 1) {
      clock.advance(1000);
      await store.renderCache.put({ ...key, codeHash: `k${i}` }, i === 0 ? { blobKey: 'old-blob' } : { figure: { data: [] } });
    }
    const trimmed = await store.renderCache.prune();
    assert.equal(trimmed.removed, 2, 'trimmed to maxEntries = 3, oldest first');
    assert.deepEqual(trimmed.blobKeys, ['old-blob']);
    assert.equal(await store.renderCache.get({ ...key, codeHash: 'k1' }), null);
    assert.notEqual(await store.renderCache.get({ ...key, codeHash: 'k4' }), null);
  });
}
