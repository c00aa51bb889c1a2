import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  STORE_CONSTRAINTS,
  STORE_ERROR_CODES,
  StoreError,
  countDirectUserOwners,
  decodeCursor,
  encodeCursor,
  isStoreError,
  isStoreErrorCode,
  nextLoginFailureState,
  normalizeEmail,
  serializeJson,
  toPage,
  checkNewUser,
  checkUserPatch,
  assertPage,
} from './index.ts';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isStoreError(e) ? `${e.code}:${e.reason ?? ''}` : 'other';
  }
  return undefined;
};

test('error codes and constraint names are unique; StoreError keeps cause out of the message', () => {
  assert.equal(new Set(STORE_ERROR_CODES).size, STORE_ERROR_CODES.length);
  assert.equal(new Set(STORE_CONSTRAINTS).size, STORE_CONSTRAINTS.length);
  for (const c of STORE_ERROR_CODES) assert.ok(isStoreErrorCode(c));
  assert.ok(!isStoreErrorCode('NOPE'));
  const cause = new Error('UNIQUE constraint failed: users.email_key');
  const e = new StoreError('STORE_CONFLICT', 'constraint violated: users.email', { reason: 'users.email', cause });
  assert.equal(e.cause, cause);
  assert.ok(isStoreError(e, 'STORE_CONFLICT'));
  assert.ok(!isStoreError(e, 'STORE_INVALID'));
});

test('cursors round-trip, are bound to their list, and refuse anything else', () => {
  const c = encodeCursor('users', { t: 1_700_000_000_000, id: 'a-b' });
  assert.match(c, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeCursor('users', c), { t: 1_700_000_000_000, id: 'a-b' });
  assert.equal(
    code(() => decodeCursor('sessions', c)),
    'STORE_INVALID:cursor',
  );
  for (const bad of ['', 'x y', '%%%', Buffer.from('{"t":1}').toString('base64url'), Buffer.from('["users",1.5,"a"]').toString('base64url'), Buffer.from('["users",1,""]').toString('base64url')]) {
    assert.equal(
      code(() => decodeCursor('users', bad)),
      'STORE_INVALID:cursor',
      bad,
    );
  }
  const page = toPage([1, 2, 3], 2, 'n', (x) => ({ t: x, id: String(x) }));
  assert.deepEqual(page.items, [1, 2]);
  assert.deepEqual(decodeCursor('n', page.nextCursor ?? ''), { t: 2, id: '2' });
  assert.equal(toPage([1, 2], 2, 'n', (x) => ({ t: x, id: String(x) })).nextCursor, undefined);
  assert.equal(
    code(() => assertPage({ limit: 501 })),
    'STORE_INVALID:limit',
  );
});

test('login failures: count, lock at the threshold, ignore while locked, restart after', () => {
  const policy = { maxFailures: 3, lockMs: 1000, forgetAfterMs: 10_000 };
  let r = nextLoginFailureState(null, new Date(0), policy);
  assert.deepEqual([r.outcome, r.state.failures], ['counted', 1]);
  r = nextLoginFailureState(r.state, new Date(1), policy);
  r = nextLoginFailureState(r.state, new Date(2), policy);
  assert.deepEqual([r.outcome, r.state.failures, r.state.lockedUntil?.getTime()], ['locked_now', 3, 1002]);
  const during = nextLoginFailureState(r.state, new Date(500), policy);
  assert.equal(during.outcome, 'already_locked');
  assert.equal(during.state, r.state);
  assert.deepEqual(nextLoginFailureState(r.state, new Date(1002), policy).state.failures, 1);
  const one = nextLoginFailureState(null, new Date(0), policy).state;
  assert.equal(nextLoginFailureState(one, new Date(10_000), policy).state.failures, 1, 'forgotten');
  assert.equal(nextLoginFailureState(one, new Date(9_999), policy).state.failures, 2);
});

test('owner invariant counts direct user owners only', () => {
  const g = (kind: 'user' | 'group', role: 'owner' | 'editor' | 'viewer') => ({ principal: { kind, id: kind }, role });
  assert.equal(countDirectUserOwners([g('group', 'owner'), g('user', 'editor')]), 0);
  assert.equal(countDirectUserOwners([g('group', 'owner'), g('user', 'owner')]), 1);
});

test('inputs: emails fold case, JSON is plain and bounded, unknown fields are refused', () => {
  assert.equal(normalizeEmail('Ünïcode@Example.COM'), 'ünïcode@example.com');
  assert.equal(normalizeEmail('e\u0301@x.io'), normalizeEmail('\u00e9@x.io'), 'NFC');
  assert.equal(serializeJson({ $where: 'x', 'a.b': [1, null] }, 'f', 100), '{"$where":"x","a.b":[1,null]}');
  assert.equal(
    code(() => serializeJson({ a: undefined }, 'f', 100)),
    'STORE_INVALID:f',
  );
  assert.equal(
    code(() => serializeJson([Number.NaN], 'f', 100)),
    'STORE_INVALID:f',
  );
  assert.equal(
    code(() => serializeJson(new Date(0), 'f', 100)),
    'STORE_INVALID:f',
  );
  assert.equal(
    code(() => serializeJson('x'.repeat(200), 'f', 100)),
    'STORE_INVALID:f',
  );
  let deep: unknown = 1;
  for (let i = 0; i < 100; i += 1) deep = [deep];
  assert.equal(
    code(() => serializeJson(deep, 'f', 10_000)),
    'STORE_INVALID:f',
  );
  assert.equal(
    code(() => checkNewUser({ email: 'a@b.c', displayName: 'x', passwordHash: 'h', systemRole: 'user', isAdmin: true })),
    'STORE_INVALID:user',
  );
  assert.equal(
    code(() => checkUserPatch({ version: 9 })),
    'STORE_INVALID:patch',
  );
  assert.equal(
    code(() => checkNewUser({ email: { $ne: null }, displayName: 'x', passwordHash: 'h', systemRole: 'user' })),
    'STORE_INVALID:email',
  );
  assert.deepEqual(checkUserPatch({ email: 'A@B.c' }), { email: 'A@B.c', emailKey: 'a@b.c' });
});
