import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKeySet, createTokenService, generateDevKeyPair, isAuthError, type TokenService } from '@plotbox/auth';
import { cacheVerifiedTokens } from './token-cache.ts';

const pair = generateDevKeyPair();
const otherPair = generateDevKeyPair();

/** A real token service on a shared test clock, with its verifications counted. */
function setup(options: { ttlMs?: number; maxEntries?: number } = {}) {
  const clock = { t: Date.UTC(2026, 0, 1) };
  const real = createTokenService({ keySet: createKeySet({ keys: [pair], activeKid: pair.kid }), issuer: 'iss', audience: 'aud', accessTtlSec: 900, now: () => clock.t });
  let verified = 0;
  const counted: TokenService = {
    issueAccessToken: (s) => real.issueAccessToken(s),
    verifyAccessToken: (token) => {
      verified++;
      return real.verifyAccessToken(token);
    },
  };
  const cached = cacheVerifiedTokens(counted, { ttlMs: options.ttlMs ?? 60_000, maxEntries: options.maxEntries ?? 100, now: () => new Date(clock.t) });
  return { clock, real, cached, verifications: () => verified };
}

test('a token that verified is not verified again within the TTL; the claims are the same', () => {
  const { cached, verifications } = setup();
  const { token } = cached.issueAccessToken({ sub: 'u1', sid: 's1' });
  const first = cached.verifyAccessToken(token);
  const second = cached.verifyAccessToken(token);
  assert.equal(verifications(), 1);
  assert.deepEqual(second, first);
  assert.equal(second.sub, 'u1');
  assert.equal(second.sid, 's1');
});

test('after the TTL the token is verified again', () => {
  const { clock, cached, verifications } = setup({ ttlMs: 1000 });
  const { token } = cached.issueAccessToken({ sub: 'u1', sid: 's1' });
  cached.verifyAccessToken(token);
  clock.t += 1000;
  cached.verifyAccessToken(token);
  assert.equal(verifications(), 2);
});

test('a remembered token past its exp is refused as expired, never served from memory', () => {
  const { clock, cached } = setup({ ttlMs: 3_600_000 });
  const { token } = cached.issueAccessToken({ sub: 'u1', sid: 's1' });
  cached.verifyAccessToken(token);
  clock.t += 900_000 + 10_000;
  assert.throws(
    () => cached.verifyAccessToken(token),
    (e: unknown) => isAuthError(e, 'AUTH_EXPIRED'),
  );
});

test('tokens that do not verify are never remembered, and still refused every time', () => {
  const { cached, verifications } = setup();
  const foreign = createTokenService({ keySet: createKeySet({ keys: [otherPair], activeKid: otherPair.kid }), issuer: 'iss', audience: 'aud', now: () => Date.UTC(2026, 0, 1) });
  const { token } = foreign.issueAccessToken({ sub: 'u1', sid: 's1' });
  for (let i = 0; i < 3; i++)
    assert.throws(
      () => cached.verifyAccessToken(token),
      (e: unknown) => isAuthError(e, 'AUTH_INVALID_TOKEN'),
    );
  assert.throws(
    () => cached.verifyAccessToken(42),
    (e: unknown) => isAuthError(e, 'AUTH_INVALID_TOKEN'),
  );
  assert.equal(verifications(), 4);
  // A tampered copy of a remembered token is a different string: verified, and refused.
  const good = cached.issueAccessToken({ sub: 'u2', sid: 's2' }).token;
  cached.verifyAccessToken(good);
  const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`;
  assert.throws(
    () => cached.verifyAccessToken(tampered),
    (e: unknown) => isAuthError(e, 'AUTH_INVALID_TOKEN'),
  );
});

test('at most maxEntries tokens are remembered, the oldest forgotten first', () => {
  const { cached, verifications } = setup({ maxEntries: 2 });
  const a = cached.issueAccessToken({ sub: 'a', sid: 'a' }).token;
  const b = cached.issueAccessToken({ sub: 'b', sid: 'b' }).token;
  const c = cached.issueAccessToken({ sub: 'c', sid: 'c' }).token;
  for (const t of [a, b, c]) cached.verifyAccessToken(t);
  assert.equal(verifications(), 3);
  cached.verifyAccessToken(c);
  cached.verifyAccessToken(b);
  assert.equal(verifications(), 3, 'b and c are remembered');
  cached.verifyAccessToken(a);
  assert.equal(verifications(), 4, 'a was forgotten');
});

test('options are checked when the cache is made', () => {
  const { real } = setup();
  assert.throws(() => cacheVerifiedTokens(real, { ttlMs: 0, maxEntries: 1, now: () => new Date() }), /ttlMs/);
  assert.throws(() => cacheVerifiedTokens(real, { ttlMs: 1000, maxEntries: 1.5, now: () => new Date() }), /maxEntries/);
});
