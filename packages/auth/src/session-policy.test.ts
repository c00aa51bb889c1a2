import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAuthError } from './auth-error.ts';
import { DEFAULT_ABSOLUTE_TTL_MS, DEFAULT_IDLE_TTL_MS, createSessionPolicy } from './session-policy.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = 1_750_000_000_000;

test('defaults are SPEC §4: idle 60 min, absolute 30 days, refresh = idle', () => {
  const policy = createSessionPolicy();
  assert.equal(policy.idleTtlMs, 60 * MIN);
  assert.equal(DEFAULT_IDLE_TTL_MS, 60 * MIN);
  assert.equal(policy.absoluteTtlMs, 30 * DAY);
  assert.equal(DEFAULT_ABSOLUTE_TTL_MS, 30 * DAY);
  assert.equal(policy.refreshTtlMs, 60 * MIN);
});

test('evaluateSession: live, idle, absolute, revoked', () => {
  const policy = createSessionPolicy();
  const session = { createdAt: T0, lastSeenAt: T0 + 10 * MIN };
  assert.deepEqual(policy.evaluateSession(session, T0 + 20 * MIN), { ok: true, idleExpiresAt: T0 + 70 * MIN, absoluteExpiresAt: T0 + 30 * DAY });
  assert.equal(policy.evaluateSession(session, T0 + 70 * MIN - 1).ok, true);
  assert.deepEqual(policy.evaluateSession(session, T0 + 70 * MIN), { ok: false, reason: 'idle' });
  // Used every few minutes for 30 days: still ends at the absolute limit.
  const busy = { createdAt: T0, lastSeenAt: T0 + 30 * DAY - MIN };
  assert.equal(policy.evaluateSession(busy, T0 + 30 * DAY - 1).ok, true);
  assert.deepEqual(policy.evaluateSession(busy, T0 + 30 * DAY), { ok: false, reason: 'absolute' });
  // Revocation wins over everything, even at the moment of creation.
  assert.deepEqual(policy.evaluateSession({ ...session, revokedAt: T0 + MIN }, T0 + 11 * MIN), { ok: false, reason: 'revoked' });
  assert.equal(policy.evaluateSession({ ...session, revokedAt: null }, T0 + 11 * MIN).ok, true);
  // Near the absolute end the idle window is clipped to it.
  const late = policy.evaluateSession(busy, T0 + 30 * DAY - 2 * MIN);
  assert.ok(late.ok && late.idleExpiresAt === T0 + 30 * DAY);
});

test('corrupt or skewed timestamps fail closed', () => {
  const policy = createSessionPolicy();
  assert.deepEqual(policy.evaluateSession({ createdAt: Number.NaN, lastSeenAt: T0 }, T0), { ok: false, reason: 'invalid' });
  assert.deepEqual(policy.evaluateSession({ createdAt: T0, lastSeenAt: Number.NaN }, T0), { ok: false, reason: 'invalid' });
  assert.deepEqual(policy.evaluateSession({ createdAt: T0, lastSeenAt: T0 }, Number.NaN), { ok: false, reason: 'invalid' });
  // lastSeenAt in the future cannot stretch the idle window beyond now + idle.
  const skewed = policy.evaluateSession({ createdAt: T0, lastSeenAt: T0 + 10 * DAY }, T0 + MIN);
  assert.ok(skewed.ok && skewed.idleExpiresAt === T0 + 61 * MIN);
});

test('refresh expiry never passes the absolute lifetime', () => {
  const policy = createSessionPolicy({ idleTtlMs: 60 * MIN, absoluteTtlMs: 30 * DAY, refreshTtlMs: 2 * 60 * MIN });
  assert.equal(policy.refreshExpiresAt(T0, T0 + MIN), T0 + MIN + 120 * MIN);
  assert.equal(policy.refreshExpiresAt(T0, T0 + 30 * DAY - MIN), T0 + 30 * DAY);
  assert.equal(policy.refreshExpiresAt(T0, T0 + 31 * DAY), T0 + 30 * DAY);
  assert.equal(policy.absoluteExpiresAt(T0), T0 + 30 * DAY);
});

test('bad options throw AUTH_CONFIG at construction', () => {
  for (const options of [{ idleTtlMs: 0 }, { absoluteTtlMs: -1 }, { refreshTtlMs: 1.5 }, { idleTtlMs: Number.NaN }, { idleTtlMs: 2 * DAY, absoluteTtlMs: DAY }, { refreshTtlMs: 31 * DAY }]) {
    assert.throws(
      () => createSessionPolicy(options),
      (e: unknown) => isAuthError(e, 'AUTH_CONFIG'),
      JSON.stringify(options),
    );
  }
});

test('concurrent refresh grace: a token presented again within the grace is a second tab, later a replay', () => {
  const p = createSessionPolicy();
  assert.equal(p.reuseGraceMs, 20_000);
  const used = Date.parse('2026-03-01T10:00:00Z');
  assert.equal(p.isConcurrentRefresh(used, used + 50), true);
  assert.equal(p.isConcurrentRefresh(used, used + 20_000), true);
  assert.equal(p.isConcurrentRefresh(used, used + 20_001), false);
  assert.equal(p.isConcurrentRefresh(used, used - 1000), true, 'replica clock skew');
  assert.equal(p.isConcurrentRefresh(Number.NaN, used), false);
  const off = createSessionPolicy({ reuseGraceMs: 0 });
  assert.equal(off.isConcurrentRefresh(used, used + 1), false);
  for (const reuseGraceMs of [-1, 1.5, 120_001]) assert.throws(() => createSessionPolicy({ reuseGraceMs }), /reuseGraceMs/);
});
