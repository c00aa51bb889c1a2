/** Conformance: Operator injection: values shaped like query operators never reach a query. */
import assert from 'node:assert/strict';
import { assertStoreError, NEVER } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function injectionConformance({ it, newUser }: ConformanceContext): void {
  it('values shaped like query operators never reach a query', async (store) => {
    const u = await newUser(store, { email: 'eve@example.com', displayName: '{"$ne": null}' });
    const op = { $ne: null } as never;
    await assertStoreError(store.users.findByEmail(op), 'STORE_INVALID');
    await assertStoreError(store.users.findByEmail({ $regex: '.*' } as never), 'STORE_INVALID');
    await assertStoreError(store.users.findById(op), 'STORE_INVALID');
    await assertStoreError(store.users.findById({ $gt: '' } as never), 'STORE_INVALID');
    await assertStoreError(store.users.update(op, 1, { displayName: 'x' }), 'STORE_INVALID');
    await assertStoreError(store.users.update(u.id, op, { displayName: 'x' }), 'STORE_INVALID');
    await assertStoreError(store.users.update(u.id, 1, { email: op }), 'STORE_INVALID');
    await assertStoreError(store.users.create({ email: op, displayName: 'x', passwordHash: 'h', systemRole: 'user' }), 'STORE_INVALID');
    await assertStoreError(store.users.create({ email: 'x@y.z', displayName: 'x', passwordHash: 'h', systemRole: op }), 'STORE_INVALID');
    await assertStoreError(store.users.useRecoveryCode(u.id, op), 'STORE_INVALID');
    await assertStoreError(store.users.count({ systemRole: op }), 'STORE_INVALID');
    await assertStoreError(store.sessions.findById(op), 'STORE_INVALID');
    await assertStoreError(store.sessions.findRefreshToken(op), 'STORE_INVALID');
    await assertStoreError(store.sessions.rotateRefresh(op, { tokenHash: 'n', expiresAt: NEVER }), 'STORE_INVALID');
    await assertStoreError(store.sessions.revokeAllForUser(u.id, 'x', { exceptSessionId: op }), 'STORE_INVALID');
    await assertStoreError(store.apiKeys.findByPrefix(op), 'STORE_INVALID');
    await assertStoreError(store.groups.findByName(op), 'STORE_INVALID');
    await assertStoreError(store.datasets.findByName('p', op), 'STORE_INVALID');
    await assertStoreError(store.projects.listForPrincipals([{ kind: 'user', id: op }], { limit: 5 }), 'STORE_INVALID');
    await assertStoreError(store.projects.listForPrincipals([{ kind: op, id: u.id }], { limit: 5 }), 'STORE_INVALID');
    await assertStoreError(store.projects.setGrant('p', { kind: 'user', id: op }, 'owner'), 'STORE_INVALID');
    await assertStoreError(store.audit.query({ action: op }, { limit: 5 }), 'STORE_INVALID');
    await assertStoreError(store.audit.query({ actorUserId: op }, { limit: 5 }), 'STORE_INVALID');
    await assertStoreError(store.counters.hit(op, 1000), 'STORE_INVALID');
    await assertStoreError(store.counters.getLoginFailures(op), 'STORE_INVALID');
    await assertStoreError(store.renderCache.get({ codeHash: op, datasetVersionId: 'v', runtimeVersion: '1' }), 'STORE_INVALID');
    await assertStoreError(store.users.list({ limit: 5, cursor: op }), 'STORE_INVALID');
    await assertStoreError(store.users.list({ limit: op }), 'STORE_INVALID');
    // Operator-looking strings are plain data, matched literally.
    assert.equal(await store.users.findByEmail('$ne@example.com'), null);
    assert.equal((await store.users.findById(u.id))?.displayName, '{"$ne": null}');
    const p = await store.projects.create({ name: '$where', createdBy: u.id });
    const layout = { $where: 'sleep(1000)', 'a.b': [{ $ne: null }], __proto__x: 1 };
    const d = await store.dashboards.create({ projectId: p.id, name: '{"$gt": ""}', layout });
    assert.deepEqual((await store.dashboards.findById(d.id))?.layout, layout);
    assert.equal((await store.projects.findById(p.id))?.name, '$where');
  });
}
