/**
 * The conformance suite every store adapter must pass (DESIGN §4.5). Import it from
 * `@plotbox/store/conformance` in an adapter's test file and call {@link runStoreConformance}:
 * it registers `node:test` tests, each against a fresh, empty store built by the harness with a
 * fake clock and random ids.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isStoreError } from './store-error.ts';
import type { StoreErrorCode } from './store-error.ts';
import type { Page, PageRequest, Store, StoreDeps, User } from './ports.ts';

/** What the harness's `create` receives: the deps plus the bounds the suite tests against. */
export interface ConformanceStoreOptions extends StoreDeps {
  readonly renderCache: { readonly ttlMs: number; readonly maxEntries: number };
}

/** How the suite gets stores of the adapter under test. */
export interface ConformanceHarness {
  /** Build a fresh, empty store (its own file, database or namespace). */
  readonly create: (options: ConformanceStoreOptions) => Promise<Store>;
  /** Dispose of what `create` made, after the store was closed (delete the file, drop the db). */
  readonly cleanup?: (store: Store) => Promise<void>;
  /** A reason to skip the whole suite (e.g. no database server configured), reported by node:test. */
  readonly skip?: string | false;
}

/** A settable fake clock. */
export interface TestClock {
  readonly now: () => Date;
  advance(ms: number): void;
}

/**
 * A fake clock starting at `start` that moves only when told. The default start lies in the
 * future (2100-01-01) so that a server-side TTL monitor (MongoDB's runs on real time) never
 * removes a record the test still uses.
 */
export function createTestClock(start = Date.UTC(2100, 0, 1)): TestClock {
  let t = start;
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** Assert that `promise` rejects with a StoreError of `code` (and `reason`, if given). */
export async function assertStoreError(promise: Promise<unknown>, code: StoreErrorCode, reason?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStoreError(error), `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code, `code (message: ${error.message})`);
    if (reason !== undefined) assert.equal(error.reason, reason);
    // Driver messages never leak into ours.
    assert.doesNotMatch(error.message, /E11000|SQLITE|UNIQUE constraint|constraint failed:/i);
    return true;
  });
}

/** Every item of a paginated list, checking that cursors are strings and pages bounded. */
export async function collectPages<T>(list: (page: PageRequest) => Promise<Page<T>>, limit: number): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10_000; i += 1) {
    const page = await list(cursor === undefined ? { limit } : { limit, cursor });
    assert.ok(page.items.length <= limit);
    out.push(...page.items);
    if (page.nextCursor === undefined) return out;
    assert.equal(typeof page.nextCursor, 'string');
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

const MIN = 60_000;
const TTL = 60 * MIN;
const NEVER = new Date(Date.UTC(2200, 0, 1));

/**
 * Register the conformance tests for one adapter under `describe(name)`.
 */
export function runStoreConformance(name: string, harness: ConformanceHarness): void {
  const withStore = async (fn: (store: Store, clock: TestClock) => Promise<void>): Promise<void> => {
    const clock = createTestClock();
    const store = await harness.create({ now: clock.now, newId: () => randomUUID(), renderCache: { ttlMs: TTL, maxEntries: 3 } });
    try {
      await fn(store, clock);
    } finally {
      await store.close();
      await harness.cleanup?.(store);
    }
  };
  let n = 0;
  const newUser = (store: Store, over: Partial<Parameters<Store['users']['create']>[0]> = {}): Promise<User> => {
    n += 1;
    return store.users.create({ email: `user${n}@example.com`, displayName: `User ${n}`, passwordHash: `hash${n}`, systemRole: 'user', ...over });
  };
  const it = (title: string, fn: (store: Store, clock: TestClock) => Promise<void>): void => {
    // test() inside describe() returns a promise node:test itself tracks.
    void test(title, () => withStore(fn));
  };

  if (typeof harness.skip === 'string') {
    // One visible skipped test, so the runner's summary counts it.
    void test(`store conformance: ${name}`, { skip: harness.skip }, () => {});
    return;
  }
  describe(`store conformance: ${name}`, () => {
    // ------------------------------------------------------------ users
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
      assert.deepEqual(listed.map((u) => u.id), [older.id, recent.id], 'least recently active first; disabled and active ones left out');
      assert.deepEqual((await store.users.listInactive(before, 1)).map((u) => u.id), [older.id]);
      assert.deepEqual((await store.users.listInactive(recent.createdAt, 10)).map((u) => u.id), [older.id], 'strictly before');
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

    // ------------------------------------------------------------ operator injection
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

    // ------------------------------------------------------------ sessions
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

    // ------------------------------------------------------------ API keys
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

    // ------------------------------------------------------------ groups
    it('groups: create, unique name, members, list for user, rename, delete', async (store) => {
      const a = await newUser(store);
      const b = await newUser(store);
      const g = await store.groups.create({ name: 'analysts', memberIds: [b.id, a.id, a.id] });
      assert.deepEqual(g.memberIds, [a.id, b.id].sort());
      await assertStoreError(store.groups.create({ name: 'analysts' }), 'STORE_CONFLICT', 'groups.name');
      await assertStoreError(store.groups.create({ name: 'x', memberIds: ['missing'] }), 'STORE_NOT_FOUND', 'user');
      const h = await store.groups.create({ name: 'ops' });
      assert.deepEqual(h.memberIds, []);
      assert.deepEqual((await store.groups.addMember(h.id, a.id)).memberIds, [a.id]);
      assert.deepEqual((await store.groups.addMember(h.id, a.id)).memberIds, [a.id], 'idempotent');
      await assertStoreError(store.groups.addMember(h.id, 'missing'), 'STORE_NOT_FOUND', 'user');
      await assertStoreError(store.groups.addMember('missing', a.id), 'STORE_NOT_FOUND', 'group');
      assert.deepEqual((await store.groups.listForUser(a.id)).map((x) => x.id).sort(), [g.id, h.id].sort());
      assert.deepEqual((await store.groups.removeMember(g.id, a.id)).memberIds, [b.id]);
      assert.deepEqual((await store.groups.listForUser(a.id)).map((x) => x.id), [h.id]);
      await assertStoreError(store.groups.rename(h.id, 'analysts'), 'STORE_CONFLICT', 'groups.name');
      assert.equal((await store.groups.rename(h.id, 'operators')).name, 'operators');
      assert.equal((await store.groups.findByName('operators'))?.id, h.id);
      const p = await store.projects.create({ name: 'P', createdBy: a.id });
      await store.projects.setGrant(p.id, { kind: 'group', id: h.id }, 'owner');
      const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
      await store.dashboards.setGrant(d.id, { kind: 'group', id: h.id }, 'editor');
      assert.equal(await store.groups.delete(h.id), true);
      assert.equal(await store.groups.delete(h.id), false);
      assert.equal(await store.groups.findById(h.id), null);
      assert.deepEqual((await store.projects.listGrants(p.id)).map((x) => x.principal), [{ kind: 'user', id: a.id }]);
      assert.deepEqual(await store.dashboards.listGrants(d.id), []);
      assert.equal((await collectPages((pg) => store.groups.list(pg), 1)).length, 1);
    });

    // ------------------------------------------------------------ projects and grants
    it('projects: creator becomes owner; grants are unique per principal; list for principals', async (store, clock) => {
      const owner = await newUser(store);
      const ed = await newUser(store);
      const other = await newUser(store);
      const g = await store.groups.create({ name: 'team', memberIds: [other.id] });
      const p = await store.projects.create({ name: 'Sales', description: 'Q1', createdBy: owner.id });
      assert.equal(p.version, 1);
      assert.equal(p.createdBy, owner.id);
      await assertStoreError(store.projects.create({ name: 'x', createdBy: 'missing' }), 'STORE_NOT_FOUND', 'user');
      const grants0 = await store.projects.listGrants(p.id);
      assert.deepEqual(grants0.map((x) => [x.principal, x.role]), [[{ kind: 'user', id: owner.id }, 'owner']]);
      clock.advance(MIN);
      const ge = await store.projects.setGrant(p.id, { kind: 'user', id: ed.id }, 'viewer');
      assert.equal(ge.role, 'viewer');
      clock.advance(MIN);
      const ge2 = await store.projects.setGrant(p.id, { kind: 'user', id: ed.id }, 'editor');
      assert.equal(ge2.role, 'editor');
      assert.equal(ge2.createdAt.getTime(), ge.createdAt.getTime());
      assert.equal(ge2.updatedAt.getTime(), clock.now().getTime());
      await store.projects.setGrant(p.id, { kind: 'group', id: g.id }, 'viewer');
      const grants = await store.projects.listGrants(p.id);
      assert.equal(grants.length, 3, 'one grant per principal');
      assert.equal(grants.filter((x) => x.principal.id === ed.id).length, 1);
      await assertStoreError(store.projects.setGrant(p.id, { kind: 'user', id: 'missing' }, 'viewer'), 'STORE_NOT_FOUND', 'user');
      await assertStoreError(store.projects.setGrant(p.id, { kind: 'group', id: 'missing' }, 'viewer'), 'STORE_NOT_FOUND', 'group');
      await assertStoreError(store.projects.setGrant('missing', { kind: 'user', id: ed.id }, 'viewer'), 'STORE_NOT_FOUND', 'project');
      await assertStoreError(store.projects.setGrant(p.id, { kind: 'user', id: ed.id }, 'admin' as never), 'STORE_INVALID');
      const p2 = await store.projects.create({ name: 'Ops', createdBy: ed.id });
      await store.projects.create({ name: 'Hidden', createdBy: owner.id });
      const forEd = await store.projects.listForPrincipals([{ kind: 'user', id: ed.id }], { limit: 10 });
      assert.deepEqual(forEd.items.map((x) => x.id).sort(), [p.id, p2.id].sort());
      const forOther = await store.projects.listForPrincipals([{ kind: 'user', id: other.id }, { kind: 'group', id: g.id }], { limit: 10 });
      assert.deepEqual(forOther.items.map((x) => x.id), [p.id]);
      assert.deepEqual((await store.projects.listForPrincipals([], { limit: 10 })).items, []);
      assert.equal((await collectPages((pg) => store.projects.list(pg), 2)).length, 3);
      const up = await store.projects.update(p.id, 1, { name: 'Sales EU' });
      assert.equal(up.version, 2);
      assert.equal(up.description, 'Q1');
      await assertStoreError(store.projects.update(p.id, 1, { name: 'stale' }), 'STORE_VERSION_MISMATCH');
      assert.equal(await store.projects.removeGrant(p.id, { kind: 'user', id: ed.id }), true);
      assert.equal(await store.projects.removeGrant(p.id, { kind: 'user', id: ed.id }), false);
    });

    it('projects: the last direct user owner cannot be removed or demoted (group owners do not count)', async (store) => {
      const a = await newUser(store);
      const b = await newUser(store);
      const g = await store.groups.create({ name: 'owners', memberIds: [b.id] });
      const p = await store.projects.create({ name: 'P', createdBy: a.id });
      await store.projects.setGrant(p.id, { kind: 'group', id: g.id }, 'owner');
      const me = { kind: 'user', id: a.id } as const;
      await assertStoreError(store.projects.removeGrant(p.id, me), 'STORE_CONFLICT', 'last_owner');
      await assertStoreError(store.projects.setGrant(p.id, me, 'editor'), 'STORE_CONFLICT', 'last_owner');
      assert.equal((await store.projects.listGrants(p.id)).find((x) => x.principal.id === a.id)?.role, 'owner');
      await store.projects.setGrant(p.id, { kind: 'user', id: b.id }, 'owner');
      await store.projects.setGrant(p.id, me, 'viewer');
      await assertStoreError(store.projects.removeGrant(p.id, { kind: 'user', id: b.id }), 'STORE_CONFLICT', 'last_owner');
      assert.equal(await store.projects.removeGrant(p.id, me), true);
      // Concurrent demotions of the two remaining owners: at most one may succeed.
      await store.projects.setGrant(p.id, me, 'owner');
      const results = await Promise.allSettled([store.projects.setGrant(p.id, me, 'editor'), store.projects.setGrant(p.id, { kind: 'user', id: b.id }, 'editor')]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const owners = (await store.projects.listGrants(p.id)).filter((x) => x.principal.kind === 'user' && x.role === 'owner');
      assert.equal(owners.length, 1);
    });

    it('projects: delete removes dashboards, charts, datasets and grants, and returns blob keys', async (store) => {
      const u = await newUser(store);
      const p = await store.projects.create({ name: 'P', createdBy: u.id });
      const keep = await store.projects.create({ name: 'Keep', createdBy: u.id });
      const ds = await store.datasets.create({ projectId: p.id, name: 'sales' });
      await store.datasets.addVersion(ds.id, { sha256: 's1', blobKey: 'b1', bytes: 10, rowCount: 1, schema: [], profile: {}, createdBy: u.id });
      await store.datasets.addVersion(ds.id, { sha256: 's2', blobKey: 'b2', bytes: 10, rowCount: 1, schema: [], profile: {}, createdBy: u.id });
      const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
      const c = await store.charts.create({ dashboardId: d.id, title: 't', code: 'fig = {}', lang: 'js', datasetId: ds.id, codeHash: 'ch' });
      const kd = await store.dashboards.create({ projectId: keep.id, name: 'D' });
      const deleted = await store.projects.delete(p.id);
      assert.deepEqual([...(deleted?.blobKeys ?? [])].sort(), ['b1', 'b2']);
      assert.equal(await store.projects.delete(p.id), null);
      assert.equal(await store.projects.findById(p.id), null);
      assert.equal(await store.dashboards.findById(d.id), null);
      assert.equal(await store.charts.findById(c.id), null);
      assert.equal(await store.datasets.findById(ds.id), null);
      assert.deepEqual(await store.projects.listGrants(p.id), []);
      assert.notEqual(await store.dashboards.findById(kd.id), null);
    });

    // ------------------------------------------------------------ dashboards
    it('dashboards: CRUD, name unique within a project only, layout JSON, versions, grants', async (store, clock) => {
      const u = await newUser(store);
      const v = await newUser(store);
      const p = await store.projects.create({ name: 'A', createdBy: u.id });
      const q = await store.projects.create({ name: 'B', createdBy: u.id });
      const layout = { items: [{ chartId: 'c1', x: 0, y: 0, w: 6, h: 4 }], note: 'ünïcode ✓' };
      const d = await store.dashboards.create({ projectId: p.id, name: 'Overview', layout });
      assert.deepEqual(d.layout, layout);
      assert.equal(d.version, 1);
      assert.deepEqual((await store.dashboards.create({ projectId: q.id, name: 'Other' })).layout, []);
      await assertStoreError(store.dashboards.create({ projectId: p.id, name: 'Overview' }), 'STORE_CONFLICT', 'dashboards.project_name');
      const dq = await store.dashboards.create({ projectId: q.id, name: 'Overview' });
      assert.equal(dq.name, 'Overview');
      await assertStoreError(store.dashboards.create({ projectId: 'missing', name: 'x' }), 'STORE_NOT_FOUND', 'project');
      const d2 = await store.dashboards.create({ projectId: p.id, name: 'Second' });
      await assertStoreError(store.dashboards.update(d2.id, 1, { name: 'Overview' }), 'STORE_CONFLICT', 'dashboards.project_name');
      clock.advance(MIN);
      const up = await store.dashboards.update(d.id, 1, { layout: { items: [] } });
      assert.equal(up.version, 2);
      assert.equal(up.name, 'Overview');
      assert.deepEqual(up.layout, { items: [] });
      await assertStoreError(store.dashboards.update(d.id, 1, { name: 'x' }), 'STORE_VERSION_MISMATCH');
      await assertStoreError(store.dashboards.update('missing', 1, { name: 'x' }), 'STORE_NOT_FOUND');
      await assertStoreError(store.dashboards.create({ projectId: p.id, name: 'bad', layout: { f: () => 1 } as never }), 'STORE_INVALID');
      const listed = await collectPages((pg) => store.dashboards.listByProject(p.id, pg), 1);
      assert.deepEqual(listed.map((x) => x.id).sort(), [d.id, d2.id].sort());
      const grant = await store.dashboards.setGrant(d.id, { kind: 'user', id: v.id }, 'viewer');
      assert.equal(grant.role, 'viewer');
      await store.dashboards.setGrant(d.id, { kind: 'user', id: v.id }, 'editor');
      const grants = await store.dashboards.listGrants(d.id);
      assert.deepEqual(grants.map((x) => [x.principal, x.role]), [[{ kind: 'user', id: v.id }, 'editor']]);
      await assertStoreError(store.dashboards.setGrant('missing', { kind: 'user', id: v.id }, 'viewer'), 'STORE_NOT_FOUND', 'dashboard');
      assert.equal(await store.dashboards.removeGrant(d.id, { kind: 'user', id: v.id }), true);
      assert.equal(await store.dashboards.removeGrant(d.id, { kind: 'user', id: v.id }), false);
      const c = await store.charts.create({ dashboardId: d.id, title: 't', code: '', lang: 'js', codeHash: 'h' });
      assert.equal(await store.dashboards.delete(d.id), true);
      assert.equal(await store.dashboards.delete(d.id), false);
      assert.equal(await store.charts.findById(c.id), null, 'charts go with their dashboard');
    });

    // ------------------------------------------------------------ charts
    it('charts: CRUD, same-project datasets only, titles may repeat, versions', async (store, clock) => {
      const u = await newUser(store);
      const p = await store.projects.create({ name: 'A', createdBy: u.id });
      const q = await store.projects.create({ name: 'B', createdBy: u.id });
      const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
      const ds = await store.datasets.create({ projectId: p.id, name: 'sales' });
      const foreign = await store.datasets.create({ projectId: q.id, name: 'secret' });
      const c = await store.charts.create({ dashboardId: d.id, title: 'Untitled', code: 'fig = px.bar(df, {x: "a"})', lang: 'ts', datasetId: ds.id, diagnostics: [{ rule: 'x', line: 1 }], codeHash: 'h1' });
      assert.equal(c.projectId, p.id);
      assert.equal(c.lang, 'ts');
      assert.deepEqual(c.diagnostics, [{ rule: 'x', line: 1 }]);
      assert.deepEqual(await store.charts.findById(c.id), c);
      const c2 = await store.charts.create({ dashboardId: d.id, title: 'Untitled', code: '', lang: 'js', codeHash: 'h2' });
      assert.equal(c2.datasetId, null);
      assert.deepEqual(c2.diagnostics, []);
      await assertStoreError(store.charts.create({ dashboardId: d.id, title: 't', code: '', lang: 'js', datasetId: foreign.id, codeHash: 'h' }), 'STORE_NOT_FOUND', 'dataset');
      await assertStoreError(store.charts.create({ dashboardId: 'missing', title: 't', code: '', lang: 'js', codeHash: 'h' }), 'STORE_NOT_FOUND', 'dashboard');
      await assertStoreError(store.charts.create({ dashboardId: d.id, title: 't', code: '', lang: 'py' as never, codeHash: 'h' }), 'STORE_INVALID');
      clock.advance(MIN);
      const up = await store.charts.update(c.id, 1, { code: 'fig = {}', codeHash: 'h3', diagnostics: [] });
      assert.equal(up.version, 2);
      assert.equal(up.title, 'Untitled');
      assert.equal(up.datasetId, ds.id);
      assert.equal(up.code, 'fig = {}');
      await assertStoreError(store.charts.update(c.id, 1, { title: 'stale' }), 'STORE_VERSION_MISMATCH');
      await assertStoreError(store.charts.update(c.id, 2, { datasetId: foreign.id }), 'STORE_NOT_FOUND', 'dataset');
      assert.equal((await store.charts.update(c.id, 2, { datasetId: null })).datasetId, null);
      await store.charts.update(c.id, 3, { datasetId: ds.id });
      await store.datasets.delete(ds.id);
      assert.equal((await store.charts.findById(c.id))?.datasetId, null, 'a deleted dataset leaves charts without one');
      const listed = await collectPages((pg) => store.charts.listByDashboard(d.id, pg), 1);
      assert.deepEqual(listed.map((x) => x.id).sort(), [c.id, c2.id].sort());
      assert.equal(await store.charts.delete(c.id), true);
      assert.equal(await store.charts.delete(c.id), false);
    });

    // ------------------------------------------------------------ datasets
    it('datasets: createWithVersion creates the dataset with its current first version, or nothing', async (store, clock) => {
      const u = await newUser(store);
      const p = await store.projects.create({ name: 'P', createdBy: u.id });
      const version = { sha256: 'aa', blobKey: 'datasets/p/one.arrow', bytes: 10, rowCount: 3, schema: { columns: [] }, profile: { rowCount: 3 }, createdBy: u.id };
      const { dataset, version: v } = await store.datasets.createWithVersion({ projectId: p.id, name: 'sales', version });
      assert.equal(dataset.currentVersionId, v.id);
      assert.equal(dataset.version, 1);
      assert.equal(v.datasetId, dataset.id);
      assert.equal(v.blobKey, 'datasets/p/one.arrow');
      assert.deepEqual(await store.datasets.findById(dataset.id), dataset);
      assert.deepEqual(await store.datasets.findVersion(v.id), v);
      assert.deepEqual((await store.datasets.listVersions(dataset.id, { limit: 10 })).items, [v]);
      // A taken name: refused, and nothing of the refused upload is left (no version, no blob key).
      await assertStoreError(store.datasets.createWithVersion({ projectId: p.id, name: 'sales', version: { ...version, blobKey: 'datasets/p/two.arrow' } }), 'STORE_CONFLICT', 'datasets.project_name');
      await assertStoreError(store.datasets.createWithVersion({ projectId: 'missing', name: 'x', version }), 'STORE_NOT_FOUND', 'project');
      await assertStoreError(store.datasets.createWithVersion({ projectId: p.id, name: 'x', version: { ...version, bytes: -1 } }), 'STORE_INVALID');
      await assertStoreError(store.datasets.createWithVersion({ projectId: p.id, name: { $ne: null } as unknown as string, version }), 'STORE_INVALID');
      assert.deepEqual([...(await store.datasets.versionBlobKeys(p.id))].sort(), ['datasets/p/one.arrow']);
      clock.advance(60_000);
      assert.deepEqual(await store.datasets.removeIncomplete(clock.now()), { datasets: 0, versions: 0, blobKeys: [] });
    });

    it('datasets: removeIncomplete deletes old datasets that never got a version, and versionBlobKeys lists a project\'s blobs', async (store, clock) => {
      const u = await newUser(store);
      const p = await store.projects.create({ name: 'P', createdBy: u.id });
      const q = await store.projects.create({ name: 'Q', createdBy: u.id });
      const empty = await store.datasets.create({ projectId: p.id, name: 'left-behind' });
      const full = await store.datasets.create({ projectId: p.id, name: 'full' });
      await store.datasets.addVersion(full.id, { sha256: 's', blobKey: 'datasets/p/full.arrow', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id });
      await store.datasets.createWithVersion({ projectId: q.id, name: 'other', version: { sha256: 's', blobKey: 'datasets/q/other.arrow', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id } });
      const d = await store.dashboards.create({ projectId: p.id, name: 'D' });
      const chart = await store.charts.create({ dashboardId: d.id, title: 'c', code: '', lang: 'js', datasetId: empty.id, codeHash: 'h' });
      const cutoff = clock.now();
      clock.advance(1000);
      const recent = await store.datasets.create({ projectId: p.id, name: 'in-flight' });
      // Only what is older than the cutoff goes: an upload in progress elsewhere keeps its dataset.
      assert.deepEqual(await store.datasets.removeIncomplete(new Date(cutoff.getTime() + 1)), { datasets: 1, versions: 0, blobKeys: [] });
      assert.equal(await store.datasets.findById(empty.id), null);
      assert.notEqual(await store.datasets.findById(recent.id), null);
      assert.notEqual(await store.datasets.findById(full.id), null);
      assert.equal((await store.charts.findById(chart.id))?.datasetId, null);
      // The name is free again.
      await store.datasets.createWithVersion({ projectId: p.id, name: 'left-behind', version: { sha256: 't', blobKey: 'datasets/p/again.arrow', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id } });
      assert.deepEqual([...(await store.datasets.versionBlobKeys(p.id))].sort(), ['datasets/p/again.arrow', 'datasets/p/full.arrow']);
      assert.deepEqual(await store.datasets.versionBlobKeys(q.id), ['datasets/q/other.arrow']);
      await assertStoreError(store.datasets.removeIncomplete(new Date(Number.NaN)), 'STORE_INVALID');
    });

    it('datasets: name unique within a project only, versions become current atomically, delete returns blobs', async (store, clock) => {
      const u = await newUser(store);
      const p = await store.projects.create({ name: 'A', createdBy: u.id });
      const q = await store.projects.create({ name: 'B', createdBy: u.id });
      const ds = await store.datasets.create({ projectId: p.id, name: 'sales' });
      assert.equal(ds.currentVersionId, null);
      await assertStoreError(store.datasets.create({ projectId: p.id, name: 'sales' }), 'STORE_CONFLICT', 'datasets.project_name');
      await store.datasets.create({ projectId: q.id, name: 'sales' });
      await assertStoreError(store.datasets.create({ projectId: 'missing', name: 'x' }), 'STORE_NOT_FOUND', 'project');
      assert.equal((await store.datasets.findByName(p.id, 'sales'))?.id, ds.id);
      assert.equal(await store.datasets.findByName(p.id, 'SALES'), null);
      const schema = { columns: [{ name: 'region', type: 'string' }, { name: 'amount', type: 'float64' }] };
      const { dataset, version } = await store.datasets.addVersion(ds.id, { sha256: 'aa', blobKey: 'blob/1', bytes: 1234, rowCount: 10, schema, profile: { rows: 10 }, createdBy: u.id });
      assert.equal(dataset.currentVersionId, version.id);
      assert.equal(dataset.version, 2);
      assert.deepEqual(version.schema, schema);
      assert.equal(version.bytes, 1234);
      assert.deepEqual(await store.datasets.findVersion(version.id), version);
      clock.advance(MIN);
      const second = await store.datasets.addVersion(ds.id, { sha256: 'bb', blobKey: 'blob/2', bytes: 1, rowCount: 0, schema: { columns: [] }, profile: null, createdBy: u.id });
      assert.equal(second.dataset.currentVersionId, second.version.id);
      await assertStoreError(store.datasets.addVersion('missing', { sha256: 'x', blobKey: 'x', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id }), 'STORE_NOT_FOUND', 'dataset');
      await assertStoreError(store.datasets.addVersion(ds.id, { sha256: 'x', blobKey: 'x', bytes: -1, rowCount: 1, schema: null, profile: null, createdBy: u.id }), 'STORE_INVALID');
      const versions = await collectPages((pg) => store.datasets.listVersions(ds.id, pg), 1);
      assert.deepEqual(versions.map((x) => x.id), [version.id, second.version.id]);
      const other = await store.datasets.create({ projectId: p.id, name: 'costs' });
      const otherVersion = (await store.datasets.addVersion(other.id, { sha256: 'cc', blobKey: 'blob/3', bytes: 1, rowCount: 1, schema: null, profile: null, createdBy: u.id })).version;
      assert.equal((await store.datasets.findById(other.id))?.version, 2);
      // Making an older version current again: the dataset's version moves on.
      clock.advance(MIN);
      const rolledBack = await store.datasets.setCurrentVersion(ds.id, version.id);
      assert.equal(rolledBack.currentVersionId, version.id);
      assert.equal(rolledBack.version, second.dataset.version + 1);
      assert.equal(rolledBack.updatedAt.getTime(), clock.now().getTime());
      assert.deepEqual(await store.datasets.findById(ds.id), rolledBack);
      assert.equal((await store.datasets.setCurrentVersion(ds.id, second.version.id, rolledBack.version)).currentVersionId, second.version.id);
      await assertStoreError(store.datasets.setCurrentVersion(ds.id, version.id, rolledBack.version), 'STORE_VERSION_MISMATCH');
      assert.equal((await store.datasets.findById(ds.id))?.currentVersionId, second.version.id, 'a refused switch changes nothing');
      // A version of another dataset, or none at all, is not found: the current version never points elsewhere.
      await assertStoreError(store.datasets.setCurrentVersion(ds.id, otherVersion.id), 'STORE_NOT_FOUND', 'dataset_version');
      await assertStoreError(store.datasets.setCurrentVersion(ds.id, 'missing'), 'STORE_NOT_FOUND', 'dataset_version');
      await assertStoreError(store.datasets.setCurrentVersion('missing', version.id), 'STORE_NOT_FOUND', 'dataset');
      await assertStoreError(store.datasets.setCurrentVersion(ds.id, { $ne: null } as unknown as string), 'STORE_INVALID');
      await assertStoreError(store.datasets.setCurrentVersion(ds.id, version.id, 0), 'STORE_INVALID');
      assert.equal((await store.datasets.findById(ds.id))?.currentVersionId, second.version.id);
      assert.equal((await store.datasets.findById(other.id))?.currentVersionId, otherVersion.id);
      await assertStoreError(store.datasets.rename(other.id, 2, 'sales'), 'STORE_CONFLICT', 'datasets.project_name');
      assert.equal((await store.datasets.rename(other.id, 2, 'costs-2025')).version, 3);
      await assertStoreError(store.datasets.rename(ds.id, 1, 'stale'), 'STORE_VERSION_MISMATCH');
      assert.equal((await collectPages((pg) => store.datasets.listByProject(p.id, pg), 5)).length, 2);
      const deleted = await store.datasets.delete(ds.id);
      assert.deepEqual(deleted?.blobKeys, ['blob/1', 'blob/2']);
      assert.equal(await store.datasets.findVersion(version.id), null);
      assert.equal(await store.datasets.delete(ds.id), null);
    });

    // ------------------------------------------------------------ render cache
    it('render cache: put/get, replace, expiry by TTL, prune to max entries', async (store, clock) => {
      const key = { codeHash: 'c1', datasetVersionId: 'v1', runtimeVersion: '1.0.0' };
      assert.equal(await store.renderCache.get(key), null);
      const fig = { data: [{ type: 'bar', x: [1], y: [2] }], layout: { title: { text: 't' } } };
      const e = await store.renderCache.put(key, { figure: fig });
      assert.deepEqual(e.figure, fig);
      assert.equal(e.blobKey, null);
      assert.equal(e.expiresAt.getTime() - e.createdAt.getTime(), TTL);
      assert.deepEqual((await store.renderCache.get(key))?.figure, fig);
      assert.equal(await store.renderCache.get({ ...key, runtimeVersion: '1.0.1' }), null);
      const replaced = await store.renderCache.put(key, { blobKey: 'figures/c1' });
      assert.equal(replaced.figure, null);
      assert.equal((await store.renderCache.get(key))?.blobKey, 'figures/c1');
      await assertStoreError(store.renderCache.put(key, { figure: fig, blobKey: 'x' } as never), 'STORE_INVALID');
      clock.advance(TTL);
      assert.equal(await store.renderCache.get(key), null, 'expired entries are never returned');
      const pruned = await store.renderCache.prune();
      assert.equal(pruned.removed, 1);
      assert.deepEqual(pruned.blobKeys, ['figures/c1']);
      for (let i = 0; i < 5; i += 1) {
        clock.advance(1000);
        await store.renderCache.put({ ...key, codeHash: `k${i}` }, i === 0 ? { blobKey: 'old-blob' } : { figure: { data: [] } });
      }
      const trimmed = await store.renderCache.prune();
      assert.equal(trimmed.removed, 2, 'trimmed to maxEntries = 3, oldest first');
      assert.deepEqual(trimmed.blobKeys, ['old-blob']);
      assert.equal(await store.renderCache.get({ ...key, codeHash: 'k1' }), null);
      assert.notEqual(await store.renderCache.get({ ...key, codeHash: 'k4' }), null);
    });

    // ------------------------------------------------------------ audit
    it('audit: append-only, filters, time order, pagination', async (store, clock) => {
      assert.deepEqual(Object.keys(store.audit).sort(), ['append', 'query'], 'no update or delete API');
      const u = await newUser(store);
      const t0 = clock.now();
      const e1 = await store.audit.append({ actor: { kind: 'anonymous', userId: null }, ip: '198.51.100.1', action: 'login_failure', target: { type: 'user', id: u.id }, outcome: 'failure', requestId: 'r1', details: { reason: 'bad_password' } });
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
      assert.deepEqual(all.items.map((x) => x.id), [e1.id, e2.id, e3.id]);
      assert.deepEqual(all.items[0], e1);
      assert.deepEqual((await store.audit.query({ action: 'login_failure' }, { limit: 10 })).items.map((x) => x.id), [e1.id]);
      assert.deepEqual((await store.audit.query({ actorUserId: u.id }, { limit: 10 })).items.map((x) => x.id), [e2.id, e3.id]);
      assert.deepEqual((await store.audit.query({ since: new Date(t0.getTime() + MIN) }, { limit: 10 })).items.map((x) => x.id), [e2.id, e3.id]);
      assert.deepEqual((await store.audit.query({ until: new Date(t0.getTime() + MIN) }, { limit: 10 })).items.map((x) => x.id), [e1.id]);
      assert.deepEqual((await store.audit.query({ outcome: 'denied', targetType: 'dataset' }, { limit: 10 })).items.map((x) => x.id), [e3.id]);
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
      assert.deepEqual(desc.map((e) => e.id), [...asc].reverse(), 'descending is exactly the reverse, across pages');
      const visible = await collectPages((pg) => store.audit.query({ newestFirst: true, excludeCached: true }, pg), 2);
      assert.deepEqual(visible.map((e) => e.id), [...ascending].reverse().filter((e) => e.details.cached !== true).map((e) => e.id));
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

    // ------------------------------------------------------------ people finder
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

    // ------------------------------------------------------------ pagination
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
      assert.deepEqual(again.items.map((x) => x.id), (await store.users.list({ limit: 5, cursor: first.nextCursor })).items.map((x) => x.id), 'cursors are repeatable');
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

    // ------------------------------------------------------------ counters
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
      assert.deepEqual(burst.map((x) => x.count).sort((x, y) => x - y), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
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

    it('settings: put/get, putIfAbsent has one winner, expiry reads as absent, delete once, prune', async (store, clock) => {
      assert.equal(await store.settings.get('sandbox.runtimeVersion'), null);
      const put = await store.settings.put('sandbox.runtimeVersion', 'abc');
      assert.equal(put.value, 'abc');
      assert.equal(put.expiresAt, null);
      assert.deepEqual(await store.settings.get('sandbox.runtimeVersion'), put);
      const replaced = await store.settings.put('sandbox.runtimeVersion', { v: 2, list: [1, 'x', null] });
      assert.deepEqual((await store.settings.get('sandbox.runtimeVersion'))?.value, { v: 2, list: [1, 'x', null] });
      assert.deepEqual(replaced.value, { v: 2, list: [1, 'x', null] });
      // Of concurrent putIfAbsent calls exactly one creates; the others see its record.
      const expiresAt = new Date(clock.now().getTime() + 10 * MIN);
      const racers = await Promise.all([1, 2, 3, 4].map((n) => store.settings.putIfAbsent('setup:token:h1', { n }, { expiresAt })));
      assert.equal(racers.filter((r) => r.created).length, 1);
      const winner = racers.find((r) => r.created)?.record.value;
      for (const r of racers) assert.deepEqual(r.record.value, winner);
      assert.equal((await store.settings.get('setup:token:h1'))?.expiresAt?.getTime(), expiresAt.getTime());
      // Expired: absent to get and delete, and putIfAbsent takes the key over.
      clock.advance(10 * MIN);
      assert.equal(await store.settings.get('setup:token:h1'), null);
      assert.equal(await store.settings.delete('setup:token:h1'), false);
      const again = await store.settings.putIfAbsent('setup:token:h1', 'second', { expiresAt: new Date(clock.now().getTime() + MIN) });
      assert.equal(again.created, true);
      assert.equal(again.record.value, 'second');
      // Delete: one winner among concurrent deleters.
      const deletes = await Promise.all([1, 2, 3].map(() => store.settings.delete('setup:token:h1')));
      assert.equal(deletes.filter(Boolean).length, 1);
      assert.equal(await store.settings.get('setup:token:h1'), null);
      // Prune removes expired records only.
      await store.settings.put('a', 1, { expiresAt: new Date(clock.now().getTime() + MIN) });
      await store.settings.put('b', 2, { expiresAt: null });
      clock.advance(2 * MIN);
      assert.ok((await store.settings.prune()) >= 1);
      assert.equal((await store.settings.get('b'))?.value, 2);
      // Inputs are checked like everything else.
      await assertStoreError(store.settings.get('bad key'), 'STORE_INVALID');
      await assertStoreError(store.settings.get('x'.repeat(201)), 'STORE_INVALID');
      await assertStoreError(store.settings.put('k', 'x'.repeat(70 * 1024)), 'STORE_INVALID');
      await assertStoreError(store.settings.put('k', 1, { expiresAt: new Date(Number.NaN) }), 'STORE_INVALID');
      // An operator-looking key is plain JSON here: stored as text, never interpreted.
      await store.settings.put('k', { $ne: null });
      assert.deepEqual((await store.settings.get('k'))?.value, { $ne: null });
    });

    it('ping answers; a closed store refuses work with STORE_UNAVAILABLE', async (store) => {
      await store.ping();
      await store.close();
      await assertStoreError(store.users.findById('x'), 'STORE_UNAVAILABLE');
      await assertStoreError(store.ping(), 'STORE_UNAVAILABLE');
    });
  });
}
