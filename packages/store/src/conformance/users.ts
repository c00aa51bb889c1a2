/** Conformance: Users: creation, lookups, optimistic versions, TOTP and recovery codes, identities, the inactivity sweep. */
import assert from 'node:assert/strict';
import { assertStoreError, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function usersConformance({ it, newUser }: ConformanceContext): void {
  it('users: create, find (by id, case-insensitive email), list, count, update', async (store, clock) => {
    const u = await newUser(store, { email: 'Alice@Example.COM', displayName: 'Alice', systemRole: 'admin' });
    assert.equal(typeof u.id, 'string');
    assert.equal(u.email, 'Alice@Example.COM');
    assert.equal(u.version, 1);
    assert.equal(u.disabled, false);
    assert.equal(u.totp, null);
    assert.deepEqual(u.recoveryCodeHashes, []);
    assert.equal(u.createdAt.getTime(), clock.now().getTime());
    assert.deepEqual(await store.users.findById(u.id), u);
    assert.deepEqual(await store.users.findByEmail('alice@example.com'), u);
    assert.deepEqual(await store.users.findByEmail('ALICE@EXAMPLE.COM'), u);
    assert.equal(await store.users.findByEmail('bob@example.com'), null);
    assert.equal(await store.users.findById('no-such-id'), null);
    await newUser(store);
    assert.equal(await store.users.count(), 2);
    assert.equal(await store.users.count({ systemRole: 'admin' }), 1);
    assert.equal(await store.users.count({ systemRole: 'admin', disabled: false }), 1);
    assert.equal(await store.users.count({ disabled: true }), 0);
    await assertStoreError(store.users.count({ disabled: 'no' } as never), 'STORE_INVALID');
    clock.advance(1000);
    const v2 = await store.users.update(u.id, 1, { displayName: 'Alice B', disabled: true, systemRole: 'viewer' });
    assert.equal(v2.version, 2);
    assert.equal(v2.displayName, 'Alice B');
    assert.equal(v2.disabled, true);
    assert.equal(v2.systemRole, 'viewer');
    assert.equal(v2.updatedAt.getTime() - v2.createdAt.getTime(), 1000);
    assert.deepEqual(await store.users.findById(u.id), v2);
    const page = await store.users.list({ limit: 10 });
    assert.equal(page.items.length, 2);
    assert.equal(page.nextCursor, undefined);
    await assertStoreError(store.users.update(u.id, 2, { nope: 1 } as never), 'STORE_INVALID');
  });

  it('users: email is unique case-insensitively (create and update)', async (store) => {
    const a = await newUser(store, { email: 'carol@example.com' });
    await assertStoreError(newUser(store, { email: 'CAROL@example.COM' }), 'STORE_CONFLICT', 'users.email');
    const b = await newUser(store, { email: 'dave@example.com' });
    await assertStoreError(store.users.update(b.id, 1, { email: 'Carol@Example.com' }), 'STORE_CONFLICT', 'users.email');
    assert.equal((await store.users.findById(b.id))?.email, 'dave@example.com');
    // Changing the case of one's own email is not a conflict.
    assert.equal((await store.users.update(a.id, 1, { email: 'Carol@example.com' })).email, 'Carol@example.com');
  });

  it('users: optimistic concurrency refuses a stale version', async (store) => {
    const u = await newUser(store);
    await store.users.update(u.id, 1, { displayName: 'first' });
    await assertStoreError(store.users.update(u.id, 1, { displayName: 'second' }), 'STORE_VERSION_MISMATCH');
    assert.equal((await store.users.findById(u.id))?.displayName, 'first');
    await assertStoreError(store.users.update('missing', 1, { displayName: 'x' }), 'STORE_NOT_FOUND', 'user');
    const results = await Promise.allSettled([store.users.update(u.id, 2, { displayName: 'a' }), store.users.update(u.id, 2, { displayName: 'b' })]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  });

  it('users: TOTP steps and recovery codes are single use, atomically', async (store) => {
    const u = await newUser(store);
    assert.equal(await store.users.useTotpStep(u.id, 5), false, 'no TOTP enrolled');
    const withTotp = await store.users.update(u.id, 1, { totp: { secret: 'JBSWY3DPEHPK3PXP', enabled: true, lastUsedStep: null }, recoveryCodeHashes: ['h1', 'h2'] });
    assert.deepEqual(withTotp.totp, { secret: 'JBSWY3DPEHPK3PXP', enabled: true, lastUsedStep: null });
    assert.equal(await store.users.useTotpStep(u.id, 10), true);
    assert.equal(await store.users.useTotpStep(u.id, 10), false, 'replay');
    assert.equal(await store.users.useTotpStep(u.id, 9), false, 'older step');
    const race = await Promise.all([store.users.useTotpStep(u.id, 11), store.users.useTotpStep(u.id, 11)]);
    assert.deepEqual(race.sort(), [false, true]);
    assert.equal(await store.users.useRecoveryCode(u.id, 'h1'), true);
    assert.equal(await store.users.useRecoveryCode(u.id, 'h1'), false);
    assert.equal(await store.users.useRecoveryCode(u.id, 'nope'), false);
    const after = await store.users.findById(u.id);
    assert.deepEqual(after?.recoveryCodeHashes, ['h2']);
    assert.equal(after?.totp?.lastUsedStep, 11);
    assert.equal(after?.version, 2, 'step and code use do not bump the version');
    assert.equal((await store.users.update(u.id, 2, { totp: null })).totp, null);
  });

  it('users: password age and activity dates; a disabled reason goes with disabling and clears on enabling', async (store, clock) => {
    const t0 = clock.now().getTime();
    const u = await newUser(store);
    assert.equal(u.passwordChangedAt.getTime(), t0);
    assert.equal(u.lastActiveAt.getTime(), t0);
    assert.equal(u.disabledReason, null);
    clock.advance(MIN);
    const rehashed = await store.users.update(u.id, 1, { passwordHash: 'rehashed' });
    assert.equal(rehashed.passwordChangedAt.getTime(), t0, 'a new hash alone is not a new password');
    const changed = await store.users.update(u.id, 2, { passwordHash: 'new', passwordChangedAt: clock.now() });
    assert.equal(changed.passwordChangedAt.getTime(), t0 + MIN);
    clock.advance(MIN);
    assert.equal(await store.users.markActive(u.id), true);
    assert.equal(await store.users.markActive('missing'), false);
    const active = await store.users.findById(u.id);
    assert.equal(active?.lastActiveAt.getTime(), t0 + 2 * MIN);
    assert.equal(active?.version, 3, 'activity does not bump the version');
    const off = await store.users.update(u.id, 3, { disabled: true, disabledReason: 'inactive' });
    assert.equal(off.disabledReason, 'inactive');
    const on = await store.users.update(u.id, 4, { disabled: false });
    assert.equal(on.disabledReason, null);
    assert.equal((await store.users.update(u.id, 5, { disabled: true })).disabledReason, null, 'an admin disabling gives no reason');
    await assertStoreError(store.users.update(u.id, 6, { disabledReason: 'inactive' }), 'STORE_INVALID');
    await assertStoreError(store.users.update(u.id, 6, { disabled: false, disabledReason: 'inactive' }), 'STORE_INVALID');
    await assertStoreError(store.users.update(u.id, 6, { disabled: true, disabledReason: 'Not A Reason' }), 'STORE_INVALID');
    await assertStoreError(store.users.update(u.id, 6, { passwordChangedAt: 'yesterday' as never }), 'STORE_INVALID');
  });

  it('users: external identities link one account each, also when created together', async (store) => {
    const idp = { issuer: 'https://idp.example.com/realms/x', subject: 'abc-123' };
    const a = await newUser(store, { identity: idp });
    assert.deepEqual(await store.users.findByIdentity(idp), a);
    assert.deepEqual(await store.users.listIdentities(a.id), [idp]);
    assert.equal(await store.users.findByIdentity({ issuer: idp.issuer, subject: 'other' }), null);
    assert.equal(await store.users.findByIdentity({ issuer: 'https://other.example.com', subject: idp.subject }), null);
    // The same identity cannot make a second account, and nothing is left of the attempt.
    await assertStoreError(newUser(store, { email: 'second@example.com', identity: idp }), 'STORE_CONFLICT', 'users.identity');
    assert.equal(await store.users.findByEmail('second@example.com'), null);
    const b = await newUser(store);
    await assertStoreError(store.users.addIdentity(b.id, idp), 'STORE_CONFLICT', 'users.identity');
    await store.users.addIdentity(a.id, idp); // idempotent for its own user
    const other = { issuer: 'https://idp.example.com/realms/x', subject: 'def-456' };
    await store.users.addIdentity(b.id, other);
    await Promise.all([store.users.addIdentity(b.id, { issuer: 'https://second.example.com', subject: 's' }), store.users.addIdentity(b.id, { issuer: 'https://second.example.com', subject: 's' })]);
    assert.deepEqual(await store.users.listIdentities(b.id), [other, { issuer: 'https://second.example.com', subject: 's' }]);
    assert.equal((await store.users.findByIdentity(other))?.id, b.id);
    await assertStoreError(store.users.addIdentity('missing', { issuer: 'https://x.example.com', subject: 'y' }), 'STORE_NOT_FOUND', 'user');
    await assertStoreError(store.users.findByIdentity({ issuer: { $ne: null }, subject: 'x' } as never), 'STORE_INVALID');
    await assertStoreError(store.users.findByIdentity({ issuer: '', subject: 'x' }), 'STORE_INVALID');
    await assertStoreError(store.users.addIdentity(a.id, { issuer: 'x', subject: 'y', extra: 1 } as never), 'STORE_INVALID');
  });

  it('users: the inactivity sweep lists the least recently active and disables each once', async (store, clock) => {
    const old = await newUser(store);
    clock.advance(MIN);
    const older = await newUser(store);
    clock.advance(MIN);
    const recent = await newUser(store);
    const gone = await newUser(store, { disabled: true });
    clock.advance(MIN);
    assert.equal(await store.users.markActive(old.id), true); // old is active again: now the most recent
    clock.advance(10 * MIN);
    const before = new Date(recent.createdAt.getTime() + 1);
    const listed = await store.users.listInactive(before, 10);
    assert.deepEqual(
      listed.map((u) => u.id),
      [older.id, recent.id],
      'least recently active first; disabled and active ones left out',
    );
    assert.deepEqual(
      (await store.users.listInactive(before, 1)).map((u) => u.id),
      [older.id],
    );
    assert.deepEqual(
      (await store.users.listInactive(recent.createdAt, 10)).map((u) => u.id),
      [older.id],
      'strictly before',
    );
    const race = await Promise.all([store.users.disableIfInactive(older.id, before), store.users.disableIfInactive(older.id, before)]);
    assert.deepEqual(race.sort(), [false, true], 'one winner');
    const swept = await store.users.findById(older.id);
    assert.equal(swept?.disabled, true);
    assert.equal(swept?.disabledReason, 'inactive');
    assert.equal(swept?.version, 2);
    assert.equal(await store.users.disableIfInactive(gone.id, before), false, 'already disabled');
    await store.users.markActive(recent.id);
    assert.equal(await store.users.disableIfInactive(recent.id, before), false, 'active again since it was listed');
    assert.equal(await store.users.disableIfInactive('missing', before), false);
    assert.deepEqual(await store.users.listInactive(before, 10), []);
    await assertStoreError(store.users.listInactive(before, 0), 'STORE_INVALID');
    await assertStoreError(store.users.listInactive('now' as never, 10), 'STORE_INVALID');
  });
}
