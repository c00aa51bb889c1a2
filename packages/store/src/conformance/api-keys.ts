/** Conformance: API keys. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN, NEVER } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function apiKeysConformance({ it, newUser }: ConformanceContext): void {
  it('API keys: create, find by prefix, list, mark used, revoke; prefix unique', async (store, clock) => {
    const u = await newUser(store);
    const k = await store.apiKeys.create({ userId: u.id, name: 'ci', prefix: 'pbx_abc123', hash: 'kh', expiresAt: NEVER });
    assert.equal(k.lastUsedAt, null);
    assert.equal(k.revokedAt, null);
    assert.equal(k.expiresAt?.getTime(), NEVER.getTime());
    assert.deepEqual(await store.apiKeys.findByPrefix('pbx_abc123'), k);
    assert.deepEqual(await store.apiKeys.findById(k.id), k);
    assert.equal(await store.apiKeys.findByPrefix('pbx_zzz'), null);
    await assertStoreError(store.apiKeys.create({ userId: u.id, name: 'other', prefix: 'pbx_abc123', hash: 'kh2' }), 'STORE_CONFLICT', 'api_keys.prefix');
    await assertStoreError(store.apiKeys.create({ userId: 'missing', name: 'x', prefix: 'pbx_new', hash: 'h' }), 'STORE_NOT_FOUND', 'user');
    const k2 = await store.apiKeys.create({ userId: u.id, name: 'ci', prefix: 'pbx_def456', hash: 'kh3' });
    assert.equal(k2.expiresAt, null);
    clock.advance(MIN);
    assert.equal(await store.apiKeys.markUsed(k.id), true);
    assert.equal((await store.apiKeys.findById(k.id))?.lastUsedAt?.getTime(), clock.now().getTime());
    assert.equal(await store.apiKeys.revoke(k.id), true);
    assert.equal(await store.apiKeys.revoke(k.id), false);
    assert.notEqual((await store.apiKeys.findById(k.id))?.revokedAt, null);
    const all = await collectPages((pg) => store.apiKeys.listByUser(u.id, pg), 1);
    assert.deepEqual(all.map((x) => x.id).sort(), [k.id, k2.id].sort());
  });
}
