/** Conformance: personal data — the grants a user holds, erasure with a pseudonymised audit log, audit retention. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN, NEVER } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

const SHA = 'c'.repeat(64);

export function erasureConformance({ it, newUser }: ConformanceContext): void {
  it('erasure: grantsHeld; the sole owner is refused; erase removes the account and pseudonymises every trace', async (store, clock) => {
    const ada = await newUser(store, { identity: { issuer: 'https://sso.example.com', subject: 'ada' } });
    const bob = await newUser(store);
    const cy = await newUser(store);
    const solo = await store.projects.create({ name: 'Solo', createdBy: ada.id });
    const shared = await store.projects.create({ name: 'Shared', createdBy: bob.id });
    await store.projects.setGrant(shared.id, { kind: 'user', id: ada.id }, 'owner');
    const other = await store.projects.create({ name: 'Other', createdBy: cy.id });
    await store.projects.setGrant(other.id, { kind: 'user', id: ada.id }, 'editor');
    const dash = await store.dashboards.create({ projectId: other.id, name: 'D' });
    await store.dashboards.setGrant(dash.id, { kind: 'user', id: ada.id }, 'owner');
    await store.dashboards.setGrant(dash.id, { kind: 'user', id: bob.id }, 'viewer');
    const group = await store.groups.create({ name: 'G', memberIds: [ada.id, bob.id] });
    const { version } = await store.datasets.createWithVersion({
      projectId: shared.id,
      name: 'd',
      version: { sha256: SHA, blobKey: 'k', bytes: 1, rowCount: 1, schema: {}, profile: {}, createdBy: ada.id },
    });
    const key = await store.apiKeys.create({ userId: ada.id, name: 'laptop', prefix: 'ada00001', hash: 'h' });
    const session = await store.sessions.create({ userId: ada.id, absoluteExpiresAt: NEVER, idleExpiresAt: NEVER });
    await store.sessions.createRefreshToken({ tokenHash: 'ada-rt', sessionId: session.id, expiresAt: NEVER });
    const acted = await store.audit.append({
      actor: { kind: 'user', userId: ada.id },
      ip: '192.0.2.10',
      action: 'login_success',
      target: { type: 'user', id: ada.id },
      outcome: 'success',
      requestId: 'r1',
    });
    const attacked = await store.audit.append({
      actor: { kind: 'anonymous', userId: null },
      ip: '203.0.113.66',
      action: 'login_failure',
      target: { type: 'user', id: ada.id },
      outcome: 'failure',
      details: { reason: 'wrong_password' },
    });
    const named = await store.audit.append({
      actor: { kind: 'user', userId: bob.id },
      ip: '192.0.2.20',
      action: 'member_grant',
      target: { type: 'project', id: shared.id },
      outcome: 'success',
      details: { principalKind: 'user', principalId: ada.id, role: 'owner' },
    });
    const listed = await store.audit.append({
      actor: { kind: 'user', userId: bob.id },
      action: 'people_lookup',
      target: { type: 'project', id: shared.id },
      outcome: 'success',
      details: { users: `${cy.id},${ada.id}` },
    });
    const byKey = await store.audit.append({ actor: { kind: 'api_key', userId: ada.id, apiKey: { id: key.id, name: 'laptop' } }, ip: '192.0.2.10', action: 'chart_run', outcome: 'success' });
    const unrelated = await store.audit.append({ actor: { kind: 'user', userId: cy.id }, ip: '192.0.2.30', action: 'project_update', target: { type: 'project', id: other.id }, outcome: 'success' });

    const held = await store.users.grantsHeld(ada.id);
    assert.deepEqual(
      held.projects.map((g) => [g.projectId, g.role]).sort(),
      [
        [solo.id, 'owner'],
        [shared.id, 'owner'],
        [other.id, 'editor'],
      ].sort(),
    );
    assert.deepEqual(
      held.dashboards.map((g) => [g.dashboardId, g.projectId, g.role]),
      [[dash.id, other.id, 'owner']],
    );
    assert.ok(held.projects.every((g) => g.createdAt instanceof Date && g.updatedAt instanceof Date));
    assert.deepEqual(await store.users.grantsHeld('nobody'), { projects: [], dashboards: [] });
    const involving = await collectPages((p) => store.audit.query({ involvesUserId: ada.id }, p), 2);
    assert.deepEqual(involving.map((e) => e.id).sort(), [acted.id, attacked.id, named.id, listed.id, byKey.id].sort());

    // The only owner of a project: refused, and nothing changed.
    await assertStoreError(store.users.erase(ada.id, { pseudonym: 'erased-0123456789abcdef' }), 'STORE_CONFLICT', 'last_owner');
    assert.ok(await store.users.findById(ada.id));
    assert.equal((await store.audit.query({ actorUserId: ada.id }, { limit: 10 })).items.length, 2);
    assert.ok(await store.sessions.findById(session.id));

    // Hand it over, then erase.
    await store.projects.setGrant(solo.id, { kind: 'user', id: cy.id }, 'owner');
    clock.advance(MIN);
    const pseudonym = 'erased-0123456789abcdef';
    const result = await store.users.erase(ada.id, { pseudonym });
    assert.deepEqual(result, { pseudonym, sessions: 1, apiKeys: 1, groups: 1, projectGrants: 3, dashboardGrants: 1, auditEvents: 5 });
    assert.equal(await store.users.findById(ada.id), null);
    assert.equal(await store.users.findByEmail(ada.email), null);
    assert.equal(await store.users.findByIdentity({ issuer: 'https://sso.example.com', subject: 'ada' }), null);
    assert.equal(await store.sessions.findById(session.id), null);
    assert.equal(await store.sessions.findRefreshToken('ada-rt'), null);
    assert.equal(await store.apiKeys.findByPrefix('ada00001'), null);
    assert.deepEqual((await store.groups.findById(group.id))?.memberIds, [bob.id]);
    for (const p of [solo, shared, other]) assert.ok((await store.projects.listGrants(p.id)).every((g) => g.principal.id !== ada.id));
    assert.deepEqual(
      (await store.dashboards.listGrants(dash.id)).map((g) => g.principal.id),
      [bob.id],
    );
    assert.deepEqual(await store.users.grantsHeld(ada.id), { projects: [], dashboards: [] });
    assert.equal((await store.projects.findById(solo.id))?.createdBy, pseudonym);
    assert.equal((await store.datasets.findVersion(version.id))?.createdBy, pseudonym);

    // The audit log keeps every event, the person replaced by the pseudonym everywhere.
    const events = new Map((await collectPages((p) => store.audit.query({}, p), 50)).map((e) => [e.id, e]));
    assert.equal(events.size, 6);
    assert.deepEqual(events.get(acted.id), { ...acted, actor: { kind: 'user', userId: pseudonym }, target: { type: 'user', id: pseudonym }, ip: null });
    assert.deepEqual(events.get(attacked.id), { ...attacked, target: { type: 'user', id: pseudonym } }, "someone else's address is kept");
    assert.deepEqual(events.get(named.id), { ...named, details: { principalKind: 'user', principalId: pseudonym, role: 'owner' } });
    assert.deepEqual(events.get(listed.id), { ...listed, details: { users: `${cy.id},${pseudonym}` } });
    assert.deepEqual(events.get(byKey.id), { ...byKey, actor: { kind: 'api_key', userId: pseudonym, apiKey: { id: key.id, name: 'laptop' } }, ip: null });
    assert.deepEqual(events.get(unrelated.id), unrelated);
    assert.deepEqual((await store.audit.query({ involvesUserId: ada.id }, { limit: 10 })).items, []);
    assert.equal((await store.audit.query({ involvesUserId: pseudonym }, { limit: 10 })).items.length, 5);
    assert.equal((await store.audit.query({ actorUserId: pseudonym }, { limit: 10 })).items.length, 2);

    // Gone is gone; the address can be used again; inputs are checked.
    assert.equal(await store.users.erase(ada.id, { pseudonym: 'erased-anotherpseudonym' }), null);
    await newUser(store, { email: ada.email });
    await assertStoreError(store.users.erase(bob.id, { pseudonym: 'ada lovelace' }), 'STORE_INVALID');
    await assertStoreError(store.users.erase(bob.id, { pseudonym: 'erased-short' }), 'STORE_INVALID');
    await assertStoreError(store.users.erase({ $ne: null } as never, { pseudonym }), 'STORE_INVALID');
    await assertStoreError(store.users.erase(bob.id, { pseudonym, extra: 1 } as never), 'STORE_INVALID');
    await assertStoreError(store.audit.query({ involvesUserId: { $ne: null } as never }, { limit: 5 }), 'STORE_INVALID');
    assert.ok(await store.users.findById(bob.id));
  });

  it('audit retention: deleteBefore removes only older events, oldest first, in bounded batches', async (store, clock) => {
    assert.deepEqual(Object.keys(store.audit).sort(), ['append', 'deleteBefore', 'query'], 'no update API; deletion only by age');
    const u = await newUser(store);
    const old: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      old.push((await store.audit.append({ actor: { kind: 'user', userId: u.id }, action: 'old', outcome: 'success' })).id);
      clock.advance(MIN);
    }
    const cutoff = clock.now();
    const kept = await store.audit.append({ actor: { kind: 'user', userId: u.id }, action: 'new', outcome: 'success' });
    assert.equal(await store.audit.deleteBefore(cutoff, 2), 2);
    assert.deepEqual(
      (await store.audit.query({}, { limit: 10 })).items.map((e) => e.id),
      [...old.slice(2), kept.id],
      'the oldest went first',
    );
    assert.equal(await store.audit.deleteBefore(cutoff, 10), 3);
    assert.equal(await store.audit.deleteBefore(cutoff, 10), 0);
    assert.deepEqual(
      (await store.audit.query({}, { limit: 10 })).items.map((e) => e.id),
      [kept.id],
    );
    assert.equal(await store.audit.deleteBefore(new Date(cutoff.getTime() - 1), 10), 0);
    await assertStoreError(store.audit.deleteBefore(new Date(Number.NaN), 10), 'STORE_INVALID');
    await assertStoreError(store.audit.deleteBefore(cutoff, 0), 'STORE_INVALID');
    await assertStoreError(store.audit.deleteBefore(cutoff, 1_000_000), 'STORE_INVALID');
    await assertStoreError(store.audit.deleteBefore('2026-01-01' as never, 10), 'STORE_INVALID');
  });
}
