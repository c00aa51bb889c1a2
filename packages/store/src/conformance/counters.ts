/** Conformance: Counters: rate windows and login failures. */
import assert from 'node:assert/strict';
import { assertStoreError, MIN } from './harness.ts';
import type { ConformanceContext } from './harness.ts';

export function countersConformance({ it }: ConformanceContext): void {
  it('counters: fixed-window hits are atomic and reset with the clock', async (store, clock) => {
    const a = await store.counters.hit('login:ip:203.0.113.9', 60_000);
    assert.equal(a.count, 1);
    assert.equal(a.resetAt.getTime(), clock.now().getTime() + 60_000);
    clock.advance(10_000);
    const b = await store.counters.hit('login:ip:203.0.113.9', 60_000);
    assert.equal(b.count, 2);
    assert.equal(b.resetAt.getTime(), a.resetAt.getTime());
    assert.equal((await store.counters.hit('login:ip:198.51.100.7', 60_000)).count, 1, 'keys are independent');
    const burst = await Promise.all(Array.from({ length: 10 }, () => store.counters.hit('login:ip:203.0.113.9', 60_000)));
    assert.deepEqual(
      burst.map((x) => x.count).sort((x, y) => x - y),
      [3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    );
    clock.advance(50_000);
    const c = await store.counters.hit('login:ip:203.0.113.9', 60_000);
    assert.equal(c.count, 1, 'a new window starts when the old one ended');
    assert.equal(c.resetAt.getTime(), clock.now().getTime() + 60_000);
    await store.counters.resetWindow('login:ip:203.0.113.9');
    assert.equal((await store.counters.hit('login:ip:203.0.113.9', 60_000)).count, 1);
    await assertStoreError(store.counters.hit('k', 0), 'STORE_INVALID');
    clock.advance(60_000);
    assert.equal(await store.counters.prune(), 2);
  });

  it('counters: login failures lock after maxFailures, refuse while locked, restart after', async (store, clock) => {
    const policy = { maxFailures: 5, lockMs: 15 * MIN, forgetAfterMs: 24 * 60 * MIN };
    assert.equal(await store.counters.getLoginFailures('account:u1'), null);
    for (let i = 1; i <= 4; i += 1) {
      const r = await store.counters.recordLoginFailure('account:u1', policy);
      assert.equal(r.outcome, 'counted');
      assert.equal(r.state.failures, i);
      assert.equal(r.state.lockedUntil, null);
      clock.advance(1000);
    }
    const locked = await store.counters.recordLoginFailure('account:u1', policy);
    assert.equal(locked.outcome, 'locked_now');
    assert.equal(locked.state.lockedUntil?.getTime(), clock.now().getTime() + 15 * MIN);
    clock.advance(MIN);
    const during = await store.counters.recordLoginFailure('account:u1', policy);
    assert.equal(during.outcome, 'already_locked');
    assert.equal(during.state.lockedUntil?.getTime(), locked.state.lockedUntil?.getTime(), 'a lock is not extended');
    assert.deepEqual(await store.counters.getLoginFailures('account:u1'), locked.state);
    clock.advance(15 * MIN);
    const after = await store.counters.recordLoginFailure('account:u1', policy);
    assert.equal(after.outcome, 'counted');
    assert.equal(after.state.failures, 1);
    await store.counters.clearLoginFailures('account:u1');
    assert.equal(await store.counters.getLoginFailures('account:u1'), null);
    // Concurrent failures are all counted.
    const burst = await Promise.all(Array.from({ length: 4 }, () => store.counters.recordLoginFailure('account:u2', policy)));
    assert.deepEqual(burst.map((x) => x.state.failures).sort(), [1, 2, 3, 4]);
    // Forgotten after forgetAfterMs without failures.
    clock.advance(24 * 60 * MIN);
    assert.equal(await store.counters.getLoginFailures('account:u2'), null);
    assert.equal((await store.counters.recordLoginFailure('account:u2', policy)).state.failures, 1);
    await assertStoreError(store.counters.recordLoginFailure('account:u3', { maxFailures: 0, lockMs: 1, forgetAfterMs: 1 }), 'STORE_INVALID');
  });
}
