/** Conformance: The audit log: append-only, filters, both orders. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function auditConformance({ it, newUser }: ConformanceContext): void {
  it('audit: append-only, filters, time order, pagination', async (store, clock) => {
    assert.deepEqual(Object.keys(store.audit).sort(), ['append', 'deleteBefore', 'query'], 'no update API; deletion only by age (erasure.ts)');
    const u = await newUser(store);
    const t0 = clock.now();
    const e1 = await store.audit.append({
      actor: { kind: 'anonymous', userId: null },
      ip: '198.51.100.1',
      action: 'login_failure',
      target: { type: 'user', id: u.id },
      outcome: 'failure',
      requestId: 'r1',
      details: { reason: 'bad_password' },
    });
    assert.equal(e1.at.getTime(), t0.getTime());
    assert.deepEqual(e1.details, { reason: 'bad_password' });
    clock.advance(MIN);
    const e2 = await store.audit.append({ actor: { kind: 'user', userId: u.id }, action: 'login_success', outcome: 'success' });
    assert.equal(e2.target, null);
    assert.equal(e2.ip, null);
    assert.deepEqual(e2.details, {});
    assert.deepEqual(e2.actor, { kind: 'user', userId: u.id }, 'no apiKey field unless a key acted');
    clock.advance(MIN);
    const e3 = await store.audit.append({ actor: { kind: 'api_key', userId: u.id }, action: 'dataset_upload', target: { type: 'dataset', id: 'd1' }, outcome: 'denied', requestId: 'r3' });
    const all = await store.audit.query({}, { limit: 10 });
    assert.deepEqual(
      all.items.map((x) => x.id),
      [e1.id, e2.id, e3.id],
    );
    assert.deepEqual(all.items[0], e1);
    assert.deepEqual(
      (await store.audit.query({ action: 'login_failure' }, { limit: 10 })).items.map((x) => x.id),
      [e1.id],
    );
    assert.deepEqual(
      (await store.audit.query({ actorUserId: u.id }, { limit: 10 })).items.map((x) => x.id),
      [e2.id, e3.id],
    );
    assert.deepEqual(
      (await store.audit.query({ since: new Date(t0.getTime() + MIN) }, { limit: 10 })).items.map((x) => x.id),
      [e2.id, e3.id],
    );
    assert.deepEqual(
      (await store.audit.query({ until: new Date(t0.getTime() + MIN) }, { limit: 10 })).items.map((x) => x.id),
      [e1.id],
    );
    assert.deepEqual(
      (await store.audit.query({ outcome: 'denied', targetType: 'dataset' }, { limit: 10 })).items.map((x) => x.id),
      [e3.id],
    );
    assert.deepEqual((await store.audit.query({ action: 'login_success', outcome: 'failure' }, { limit: 10 })).items, []);
    for (let i = 0; i < 7; i += 1) await store.audit.append({ actor: { kind: 'system', userId: null }, action: 'tick', outcome: 'success' });
    const ticks = await collectPages((pg) => store.audit.query({ action: 'tick' }, pg), 3);
    assert.equal(ticks.length, 7);
    assert.equal(new Set(ticks.map((x) => x.id)).size, 7);
    await assertStoreError(store.audit.append({ actor: { kind: 'user', userId: u.id }, action: 'Bad Action!', outcome: 'success' }), 'STORE_INVALID');
    await assertStoreError(store.audit.append({ actor: { kind: 'user', userId: u.id }, action: 'x', outcome: 'success', details: { big: 'x'.repeat(10_000) } }), 'STORE_INVALID');
    await assertStoreError(store.audit.append({ actor: { kind: 'root' as never, userId: null }, action: 'x', outcome: 'success' }), 'STORE_INVALID');
    // An API key's request names the key in the actor, and reads back the same.
    const keyed = await store.audit.append({ actor: { kind: 'api_key', userId: u.id, apiKey: { id: 'key-1', name: 'CI deploy' } }, action: 'api_key_probe', outcome: 'success' });
    assert.deepEqual(keyed.actor, { kind: 'api_key', userId: u.id, apiKey: { id: 'key-1', name: 'CI deploy' } });
    assert.deepEqual((await store.audit.query({ action: 'api_key_probe' }, { limit: 5 })).items[0]?.actor, keyed.actor);
    await assertStoreError(store.audit.append({ actor: { kind: 'api_key', userId: u.id, apiKey: { id: 'k', name: '' } }, action: 'x', outcome: 'success' }), 'STORE_INVALID');
    await assertStoreError(store.audit.append({ actor: { kind: 'api_key', userId: u.id, apiKey: { id: 'k', name: 'n', extra: 1 } as never }, action: 'x', outcome: 'success' }), 'STORE_INVALID');
  });

  it('audit: newest first with its own cursors; cached views left out on request', async (store, clock) => {
    const u = await newUser(store);
    const made: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      if (i % 3 === 0) clock.advance(1000); // ties on `at` break on id, descending too
      const cached = i === 2 || i === 5;
      made.push((await store.audit.append({ actor: { kind: 'user', userId: u.id }, action: 'chart_run', outcome: 'success', details: { cached, durationMs: i } })).id);
    }
    const ascending = (await store.audit.query({}, { limit: 50 })).items;
    const asc = ascending.map((e) => e.id);
    const desc = await collectPages((pg) => store.audit.query({ newestFirst: true }, pg), 2);
    assert.deepEqual(
      desc.map((e) => e.id),
      [...asc].reverse(),
      'descending is exactly the reverse, across pages',
    );
    const visible = await collectPages((pg) => store.audit.query({ newestFirst: true, excludeCached: true }, pg), 2);
    assert.deepEqual(
      visible.map((e) => e.id),
      [...ascending]
        .reverse()
        .filter((e) => e.details.cached !== true)
        .map((e) => e.id),
    );
    assert.deepEqual(visible.map((e) => e.details.durationMs).sort(), [0, 1, 3, 4, 6]);
    assert.deepEqual((await store.audit.query({ excludeCached: true, action: 'chart_run' }, { limit: 50 })).items.length, 5);
    // A cursor of one order is refused by the other.
    const ascCursor = (await store.audit.query({}, { limit: 2 })).nextCursor;
    const descCursor = (await store.audit.query({ newestFirst: true }, { limit: 2 })).nextCursor;
    assert.ok(ascCursor !== undefined && descCursor !== undefined);
    await assertStoreError(store.audit.query({ newestFirst: true }, { limit: 2, cursor: ascCursor }), 'STORE_INVALID');
    await assertStoreError(store.audit.query({}, { limit: 2, cursor: descCursor }), 'STORE_INVALID');
    await assertStoreError(store.audit.query({ newestFirst: 'yes' as never }, { limit: 2 }), 'STORE_INVALID');
    await assertStoreError(store.audit.query({ excludeCached: { $ne: true } as never }, { limit: 2 }), 'STORE_INVALID');
    assert.equal(made.length, 7);
  });
}
