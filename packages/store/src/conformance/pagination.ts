/** Conformance: Pagination: keyset order, cursors bound to their list. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function paginationConformance({ it, newUser }: ConformanceContext): void {
  it('pagination: stable order, no duplicates or gaps, opaque cursors, garbage refused', async (store, clock) => {
    const ids: string[] = [];
    for (let i = 0; i < 23; i += 1) {
      if (i % 4 === 0) clock.advance(1000); // several items share a createdAt: ties break on id
      ids.push((await newUser(store)).id);
    }
    for (const limit of [1, 5, 7, 23, 500]) {
      const items = await collectPages((pg) => store.users.list(pg), limit);
      assert.equal(items.length, 23, `limit ${limit}`);
      assert.deepEqual(items.map((x) => x.id).sort(), [...ids].sort());
      const order = items.map((x) => [x.createdAt.getTime(), x.id] as const);
      const sorted = [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      assert.deepEqual(order, sorted, 'ordered by (createdAt, id)');
    }
    const first = await store.users.list({ limit: 5 });
    assert.equal(typeof first.nextCursor, 'string');
    const again = await store.users.list({ limit: 5, cursor: first.nextCursor });
    assert.deepEqual(
      again.items.map((x) => x.id),
      (await store.users.list({ limit: 5, cursor: first.nextCursor })).items.map((x) => x.id),
      'cursors are repeatable',
    );
    // A page boundary survives inserts before it: nothing is skipped or repeated.
    await newUser(store);
    const rest = await collectPages((pg) => store.users.list(pg.cursor === undefined ? { limit: pg.limit, cursor: first.nextCursor } : pg), 4);
    assert.equal(new Set([...first.items, ...rest].map((x) => x.id)).size, first.items.length + rest.length);
    assert.equal(first.items.length + rest.length, 24);
    for (const garbage of ['garbage', '', 'eyJ4IjoxfQ', Buffer.from('["users","x","y"]').toString('base64url'), '!!!!', 'a'.repeat(5000)]) {
      await assertStoreError(store.users.list({ limit: 5, cursor: garbage }), 'STORE_INVALID', 'cursor');
    }
    const u = await newUser(store);
    const abs = new Date(clock.now().getTime() + 60 * MIN);
    await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs });
    await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs });
    const sessionCursor = (await store.sessions.listByUser(u.id, { limit: 1 })).nextCursor;
    assert.equal(typeof sessionCursor, 'string');
    await assertStoreError(store.users.list({ limit: 5, cursor: sessionCursor }), 'STORE_INVALID', 'cursor');
    for (const limit of [0, -1, 501, 1.5, Number.NaN]) await assertStoreError(store.users.list({ limit }), 'STORE_INVALID', 'limit');
  });
}
