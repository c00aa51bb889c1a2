import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPasswordHasher } from './password-hasher.ts';
import { NO_PASSWORD_HASH, hasLocalPassword } from './no-password.ts';

test('the no-password marker is refused by verify for every password, and is never a hash', async () => {
  const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1, allowWeak: true });
  for (const attempt of ['', NO_PASSWORD_HASH, 'a long passphrase here', '!no-local-password\n']) {
    assert.equal(await hasher.verify(NO_PASSWORD_HASH, attempt), false);
  }
  assert.equal(hasLocalPassword(NO_PASSWORD_HASH), false);
  const real = await hasher.hash('a long passphrase here');
  assert.equal(hasLocalPassword(real), true);
  assert.notEqual(real, NO_PASSWORD_HASH);
  assert.equal(hasher.needsRehash(NO_PASSWORD_HASH), true, 'login never rehashes it: verify fails first');
});
