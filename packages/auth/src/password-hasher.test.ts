import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAuthError } from './auth-error.ts';
import { DEFAULT_ARGON2_PARAMS, createPasswordHasher } from './password-hasher.ts';

// Cheap parameters: the tests check behaviour, not cost.
const cheap = { memoryCost: 1024, timeCost: 1, parallelism: 1, allowWeak: true } as const;

test('hash and verify with Argon2id, NFKC-normalised', async () => {
  const hasher = createPasswordHasher(cheap);
  const hash = await hasher.hash('correct horse battery staple');
  assert.match(hash, /^\$argon2id\$v=19\$m=1024,p=1,t=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.equal(await hasher.verify(hash, 'correct horse battery staple'), true);
  assert.equal(await hasher.verify(hash, 'correct horse battery stapl'), false);
  assert.notEqual(await hasher.hash('correct horse battery staple'), hash, 'per-hash salt');
  // The same password typed in a different Unicode form still matches.
  const ligature = await hasher.hash('ﬀ-password-ﬀ');
  assert.equal(await hasher.verify(ligature, 'ff-password-ff'), true);
});

test('a 1,000-character and a 1 MB password are handled without throwing', async () => {
  const hasher = createPasswordHasher(cheap);
  const long = 'x'.repeat(1000);
  const hash = await hasher.hash(long);
  assert.equal(await hasher.verify(hash, long), true);
  assert.equal(await hasher.verify(hash, 'x'.repeat(1024 * 1024)), false);
  await assert.rejects(hasher.hash('x'.repeat(1024 * 1024)), (e: unknown) => isAuthError(e, 'AUTH_PASSWORD_POLICY'));
});

test('verify returns false, never throws, for malformed or hostile hashes', async () => {
  const hasher = createPasswordHasher(cheap);
  const good = await hasher.hash('password-123-abc');
  const bad: unknown[] = [
    '',
    'x',
    '$argon2id$',
    '$argon2id$v=19$m=1024,t=1,p=1$$',
    good.slice(0, -5),
    `${good}$extra`,
    good.replace('argon2id', 'argon2x'),
    '$2b$12$abcdefghijklmnopqrstuuQ5oKtG0ZC7B9KT5NqDnU/UJSNQ1I7hW',
    good.replace('m=1024', 'm=4000000'),
    good.replace('t=1', 't=100000'),
    undefined,
    null,
    42,
    {},
    Buffer.from(good),
  ];
  for (const hash of bad) assert.equal(await hasher.verify(hash, 'password-123-abc'), false, String(hash));
  for (const password of [undefined, null, 7, {}]) assert.equal(await hasher.verify(good, password), false);
  assert.equal(await hasher.dummyVerify(), false);
});

test('needsRehash flags other parameters, other Argon2 types and garbage', async () => {
  const hasher = createPasswordHasher(cheap);
  const stronger = createPasswordHasher({ ...cheap, memoryCost: 2048 });
  const hash = await hasher.hash('password-123-abc');
  assert.equal(hasher.needsRehash(hash), false);
  assert.equal(stronger.needsRehash(hash), true);
  assert.equal(hasher.needsRehash(hash.replace('$argon2id$', '$argon2i$')), true);
  for (const value of ['', 'garbage', '$argon2id$nonsense', undefined, 3]) assert.equal(hasher.needsRehash(value), true);
});

test('dummyVerify costs about what a real failed verification costs', async () => {
  const hasher = createPasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1, allowWeak: true });
  const hash = await hasher.hash('password-123-abc');
  const runs = { real: () => hasher.verify(hash, 'wrong-password'), dummy: () => hasher.dummyVerify(), malformed: () => hasher.verify('not-a-hash', 'x') };
  const best = { real: Infinity, dummy: Infinity, malformed: Infinity };
  // Interleaved, and the minimum of each: load on the shared cores only ever adds time.
  for (let i = 0; i < 7; i++) {
    for (const name of ['real', 'dummy', 'malformed'] as const) {
      const start = performance.now();
      await runs[name]();
      best[name] = Math.min(best[name], performance.now() - start);
    }
  }
  const { real, dummy, malformed } = best;
  // Same order of cost (a skipped hash would be ~1000× faster); loose so shared CI cores cannot flake it.
  assert.ok(dummy > real / 4 && dummy < real * 4, `real ${real} ms, dummy ${dummy} ms`);
  assert.ok(malformed > real / 4 && malformed < real * 4, `real ${real} ms, malformed ${malformed} ms`);
});

test('defaults are OWASP m=19 MiB t=2 p=1; weak or invalid parameters throw at construction', () => {
  assert.deepEqual(DEFAULT_ARGON2_PARAMS, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  assert.deepEqual(createPasswordHasher().params, DEFAULT_ARGON2_PARAMS);
  assert.ok(createPasswordHasher({ memoryCost: 47_104, timeCost: 1 }));
  for (const options of [
    { memoryCost: 1024, timeCost: 1 },
    { memoryCost: 19_456, timeCost: 1 },
    { memoryCost: 4, timeCost: 1, allowWeak: true },
    { parallelism: 0 },
    { timeCost: 2.5 },
    { memoryCost: 1e12 },
    { maxPasswordLength: 10 },
  ]) {
    assert.throws(
      () => createPasswordHasher(options),
      (e: unknown) => isAuthError(e, 'AUTH_CONFIG'),
      JSON.stringify(options),
    );
  }
});
