/** Conformance: Sessions and refresh tokens: lifetimes, MFA, revocation, rotation and reuse detection. */
import assert from 'node:assert/strict';
import { assertStoreError, collectPages, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function sessionsConformance({ it, newUser }: ConformanceContext): void {
  it('sessions: create, list, touch, MFA, revoke one and all-but-one', async (store, clock) => {
    const u = await newUser(store);
    const abs = new Date(clock.now().getTime() + 30 * 24 * 60 * MIN);
    const s1 = await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: new Date(clock.now().getTime() + 60 * MIN), userAgent: 'UA', ip: '203.0.113.9', mfaPending: true });
    assert.equal(s1.userId, u.id);
    assert.equal(s1.mfaPending, true);
    assert.equal(s1.passwordChangeRequired, false);
    const restricted = await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs, passwordChangeRequired: true });
    assert.equal((await store.sessions.findById(restricted.id))?.passwordChangeRequired, true);
    assert.equal(await store.sessions.revoke(restricted.id, 'test'), true);
    await assertStoreError(store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs, passwordChangeRequired: 'yes' as never }), 'STORE_INVALID');
    assert.equal(s1.revokedAt, null);
    assert.equal(s1.userAgent, 'UA');
    assert.deepEqual(await store.sessions.findById(s1.id), s1);
    await assertStoreError(store.sessions.create({ userId: 'missing', absoluteExpiresAt: abs, idleExpiresAt: abs }), 'STORE_NOT_FOUND', 'user');
    clock.advance(MIN);
    assert.equal(await store.sessions.completeMfa(s1.id), true);
    assert.equal(await store.sessions.touch(s1.id, new Date(abs.getTime() + 1_000_000)), true);
    const touched = await store.sessions.findById(s1.id);
    assert.equal(touched?.mfaPending, false);
    assert.equal(touched?.lastSeenAt.getTime(), clock.now().getTime());
    assert.equal(touched?.idleExpiresAt.getTime(), abs.getTime(), 'idle expiry never passes the absolute one');
    assert.equal(touched?.absoluteExpiresAt.getTime(), abs.getTime());
    const s2 = await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs });
    const s3 = await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs });
    const listed = await collectPages((pg) => store.sessions.listByUser(u.id, pg), 2);
    assert.deepEqual(listed.map((s) => s.id).sort(), [s1.id, restricted.id, s2.id, s3.id].sort());
    assert.equal(await store.sessions.revoke(s3.id, 'logout'), true);
    assert.equal(await store.sessions.revoke(s3.id, 'admin'), false);
    assert.equal((await store.sessions.findById(s3.id))?.revokeReason, 'logout');
    assert.equal(await store.sessions.touch(s3.id, abs), false, 'revoked sessions are not touched');
    assert.equal(await store.sessions.revokeAllForUser(u.id, 'password_change', { exceptSessionId: s1.id }), 1);
    assert.equal((await store.sessions.findById(s1.id))?.revokedAt, null);
    assert.equal((await store.sessions.findById(s2.id))?.revokeReason, 'password_change');
    assert.equal(await store.sessions.revokeAllForUser(u.id, 'disabled'), 1);
    assert.equal(await store.sessions.touch('missing', abs), false);
    const idle = await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: new Date(clock.now().getTime() + MIN) });
    clock.advance(MIN);
    assert.equal(await store.sessions.touch(idle.id, abs), false, 'an idle-expired session cannot be revived');
  });

  it('refresh tokens: rotation, reuse detection, expiry, ended sessions', async (store, clock) => {
    const u = await newUser(store);
    const abs = new Date(clock.now().getTime() + 24 * 60 * MIN);
    const s = await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: new Date(clock.now().getTime() + 60 * MIN) });
    const t0 = await store.sessions.createRefreshToken({ tokenHash: 'h0', sessionId: s.id, expiresAt: new Date(clock.now().getTime() + 60 * MIN) });
    assert.equal(t0.familyId, s.id);
    assert.equal(t0.usedAt, null);
    await assertStoreError(store.sessions.createRefreshToken({ tokenHash: 'h0', sessionId: s.id, expiresAt: abs }), 'STORE_CONFLICT', 'refresh_tokens.token_hash');
    await assertStoreError(store.sessions.createRefreshToken({ tokenHash: 'hx', sessionId: 'missing', expiresAt: abs }), 'STORE_NOT_FOUND', 'session');
    clock.advance(MIN);
    const r1 = await store.sessions.rotateRefresh('h0', { tokenHash: 'h1', expiresAt: new Date(clock.now().getTime() + 60 * MIN), idleExpiresAt: new Date(clock.now().getTime() + 60 * MIN) });
    assert.equal(r1.status, 'rotated');
    if (r1.status !== 'rotated') return;
    assert.equal(r1.token.tokenHash, 'h1');
    assert.equal(r1.token.familyId, t0.familyId);
    assert.equal(r1.token.sessionId, s.id);
    assert.equal(r1.session.lastSeenAt.getTime(), clock.now().getTime());
    assert.equal((await store.sessions.findRefreshToken('h0'))?.usedAt?.getTime(), clock.now().getTime());
    const usedAt = clock.now();
    clock.advance(5000);
    const reuse = await store.sessions.rotateRefresh('h0', { tokenHash: 'h2', expiresAt: abs });
    // When it was used tells the caller whether this is a concurrent tab (seconds) or a replay.
    assert.deepEqual(reuse, { status: 'reused', sessionId: s.id, familyId: t0.familyId, userId: u.id, usedAt });
    assert.equal(await store.sessions.findRefreshToken('h2'), null);
    assert.deepEqual(await store.sessions.rotateRefresh('nope', { tokenHash: 'h3', expiresAt: abs }), { status: 'not_found' });
    // A rotation onto an existing hash fails as a whole: the old token stays usable.
    await assertStoreError(store.sessions.rotateRefresh('h1', { tokenHash: 'h0', expiresAt: abs }), 'STORE_CONFLICT', 'refresh_tokens.token_hash');
    assert.equal((await store.sessions.findRefreshToken('h1'))?.usedAt, null);
    clock.advance(61 * MIN);
    assert.deepEqual(await store.sessions.rotateRefresh('h1', { tokenHash: 'h4', expiresAt: abs }), { status: 'expired', sessionId: s.id });
    const s2 = await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs });
    await store.sessions.createRefreshToken({ tokenHash: 'k0', sessionId: s2.id, expiresAt: abs });
    await store.sessions.revoke(s2.id, 'logout');
    assert.deepEqual(await store.sessions.rotateRefresh('k0', { tokenHash: 'k1', expiresAt: abs }), { status: 'session_ended', sessionId: s2.id });
    assert.equal(await store.sessions.findRefreshToken('k1'), null);
  });

  it('refresh tokens: two concurrent rotations of one token → one rotated, one reused', async (store, clock) => {
    const u = await newUser(store);
    const abs = new Date(clock.now().getTime() + 24 * 60 * MIN);
    for (let round = 0; round < 5; round += 1) {
      const s = await store.sessions.create({ userId: u.id, absoluteExpiresAt: abs, idleExpiresAt: abs });
      await store.sessions.createRefreshToken({ tokenHash: `r${round}`, sessionId: s.id, expiresAt: abs });
      const results = await Promise.all([
        store.sessions.rotateRefresh(`r${round}`, { tokenHash: `r${round}-a`, expiresAt: abs }),
        store.sessions.rotateRefresh(`r${round}`, { tokenHash: `r${round}-b`, expiresAt: abs }),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['reused', 'rotated']);
      const issued = [await store.sessions.findRefreshToken(`r${round}-a`), await store.sessions.findRefreshToken(`r${round}-b`)].filter((t) => t !== null);
      assert.equal(issued.length, 1, 'exactly one new token exists');
    }
  });
}
