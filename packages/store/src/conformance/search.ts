/** Conformance: The people finder: prefix search over users and groups. */
import assert from 'node:assert/strict';
import { assertStoreError } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function searchConformance({ it, newUser }: ConformanceContext): void {
  it('users and groups: prefix search on email and words of the name, bounded, literal', async (store) => {
    const ada = await newUser(store, { email: 'ada@example.com', displayName: 'Ada Lovelace' });
    const adam = await newUser(store, { email: 'adam.smith@example.org', displayName: 'Adam Smith' });
    const grace = await newUser(store, { email: 'grace@navy.example', displayName: 'Grace Hopper', disabled: true });
    await newUser(store, { email: 'percent@example.com', displayName: '100% Sure' });
    const ids = async (prefix: string, extra: { enabledOnly?: boolean; limit?: number } = {}): Promise<string[]> =>
      (await store.users.search({ prefix, limit: extra.limit ?? 10, ...(extra.enabledOnly === undefined ? {} : { enabledOnly: extra.enabledOnly }) })).map((x) => x.displayName);
    assert.deepEqual(await ids('ada'), ['Ada Lovelace', 'Adam Smith'], 'email and name prefixes, ordered by name');
    assert.deepEqual(await ids('ADA'), ['Ada Lovelace', 'Adam Smith'], 'case-insensitive');
    assert.deepEqual(await ids('love'), ['Ada Lovelace'], 'a later word of the name');
    assert.deepEqual(await ids('ovelace'), [], 'a prefix, not a substring');
    assert.deepEqual(await ids('adam.s'), ['Adam Smith']);
    assert.deepEqual(await ids('hop'), ['Grace Hopper']);
    assert.deepEqual(await ids('hop', { enabledOnly: true }), []);
    assert.deepEqual(await ids('ada', { limit: 1 }), ['Ada Lovelace'], 'the limit holds');
    assert.deepEqual(await ids('%'), [], 'LIKE wildcards match themselves');
    assert.deepEqual(await ids('_'), []);
    assert.deepEqual(await ids('100%'), ['100% Sure']);
    assert.deepEqual(await ids('.*'), [], 'regular expression syntax matches itself');
    assert.equal((await store.users.search({ prefix: 'ada', limit: 10 }))[0]?.id, ada.id);
    await assertStoreError(store.users.search({ prefix: '', limit: 10 }), 'STORE_INVALID');
    await assertStoreError(store.users.search({ prefix: 'a', limit: 0 }), 'STORE_INVALID');
    await assertStoreError(store.users.search({ prefix: 'a', limit: 51 }), 'STORE_INVALID');
    await assertStoreError(store.users.search({ prefix: { $ne: null } as never, limit: 5 }), 'STORE_INVALID');
    await assertStoreError(store.users.search({ prefix: 'a', limit: 5, role: 'admin' } as never), 'STORE_INVALID');
    const eng = await store.groups.create({ name: 'Data engineers', memberIds: [ada.id] });
    await store.groups.create({ name: 'Finance', memberIds: [adam.id, grace.id] });
    const groupNames = async (prefix: string): Promise<string[]> => (await store.groups.search({ prefix, limit: 10 })).map((g) => g.name);
    assert.deepEqual(await groupNames('eng'), ['Data engineers']);
    assert.deepEqual(await groupNames('DATA'), ['Data engineers']);
    assert.deepEqual(await groupNames('f'), ['Finance']);
    assert.deepEqual(await groupNames('x'), []);
    assert.deepEqual((await store.groups.search({ prefix: 'data', limit: 10 }))[0]?.memberIds, [ada.id]);
    assert.equal(eng.name, 'Data engineers');
    await assertStoreError(store.groups.search({ prefix: 'a', limit: 5, enabledOnly: true } as never), 'STORE_INVALID');
  });
}
