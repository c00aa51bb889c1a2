import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError, isAuthError } from './auth-error.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';
import { assertPasswordPolicy, checkPasswordPolicy } from './password-policy.ts';

const reason = (password: unknown, context = {}) => {
  const result = checkPasswordPolicy(password, context);
  return result.ok ? 'ok' : result.reason;
};

test('the common-password list has at least 1,000 unique lower-case entries', () => {
  assert.ok(COMMON_PASSWORDS.length >= 1000, `only ${COMMON_PASSWORDS.length}`);
  assert.equal(new Set(COMMON_PASSWORDS).size, COMMON_PASSWORDS.length, 'duplicates');
  for (const entry of COMMON_PASSWORDS) assert.equal(entry, entry.toLowerCase().normalize('NFKC'));
  assert.ok(COMMON_PASSWORDS.filter((p) => [...p].length >= 8).length >= 600);
  for (const famous of ['123456', 'password', 'qwerty', 'iloveyou', 'dragon', 'monkey', 'letmein', 'trustno1', 'password1', 'qwerty123']) {
    assert.ok(COMMON_PASSWORDS.includes(famous), famous);
  }
});

test('length counts code points after NFKC: 8 to 256', () => {
  assert.equal(reason('seven77'), 'too_short');
  assert.equal(reason('eight888'), 'ok');
  // 4 emoji are 8 UTF-16 units but 4 code points.
  assert.equal(reason('😀😁😂🤣'), 'too_short');
  assert.equal(reason('😀😁😂🤣😃😄😅😆'), 'ok');
  // NFKC: the ligature "ﬀ" (1 code point) becomes "ff" (2).
  assert.equal(reason('ﬀﬀﬀgh12'), 'ok');
  const result = checkPasswordPolicy('ｆｕｌｌｗｉｄｔｈ ok');
  assert.ok(result.ok && result.normalized === 'fullwidth ok');
  assert.equal(reason('x'.repeat(64) + 'y'), 'ok');
  assert.equal(reason('a1'.repeat(128)), 'ok');
  assert.equal(reason('a1'.repeat(128) + 'z'), 'too_long');
  assert.equal(reason('x'.repeat(1000)), 'too_long');
  assert.equal(reason('x'.repeat(1024 * 1024)), 'too_long');
});

test('no composition rules; common, repetitive and invalid passwords are refused', () => {
  assert.equal(reason('correct horse battery staple'), 'ok');
  assert.equal(reason('alllowercaseletters'), 'ok');
  assert.equal(reason('PASSWORD'), 'common');
  assert.equal(reason('Password1'), 'common');
  assert.equal(reason('QwErTy123'), 'common');
  assert.equal(reason('ｐａｓｓｗｏｒｄ'), 'common');
  assert.equal(reason('bbbbbbbbbbbb'), 'repetitive');
  assert.equal(reason('😀😀😀😀😀😀😀😀'), 'repetitive');
  assert.equal(reason('tab\tinside!'), 'invalid');
  assert.equal(reason('nul\u0000inside'), 'invalid');
  assert.equal(reason('lone\uD800surrogate'), 'invalid');
  for (const value of [undefined, null, 12345678, {}, ['password123']]) assert.equal(reason(value), 'invalid');
});

test('context: email local part and display name', () => {
  assert.equal(reason('alice.smith', { email: 'Alice.Smith@example.com' }), 'contains_email');
  assert.equal(reason('alice.smith@example.com', { email: 'alice.smith@example.com' }), 'contains_email');
  assert.equal(reason('ALICE.SMITH-2024', { email: 'alice.smith@example.com' }), 'contains_email');
  assert.equal(reason('my-bob-password', { email: 'bob@example.com' }), 'ok');
  assert.equal(reason('Jane Doe rocks', { displayName: 'Jane Doe' }), 'contains_name');
  assert.equal(reason('janedoe1234', { displayName: 'Jane Doe' }), 'contains_name');
  assert.equal(reason('unrelated words', { email: 'x@y.z', displayName: 'Al' }), 'ok');
});

test('assertPasswordPolicy throws AUTH_PASSWORD_POLICY with the reason', () => {
  assert.equal(assertPasswordPolicy('ﬀﬀﬀgh12'), 'ffffffgh12');
  assert.throws(
    () => assertPasswordPolicy('short'),
    (e: unknown) => e instanceof AuthError && e.code === 'AUTH_PASSWORD_POLICY' && e.reason === 'too_short',
  );
  assert.throws(
    () => assertPasswordPolicy('x'.repeat(1000)),
    (e: unknown) => isAuthError(e, 'AUTH_PASSWORD_POLICY') && e.reason === 'too_long',
  );
  assert.throws(
    () => checkPasswordPolicy('whatever', {}, { minCodePoints: 6 }),
    (e: unknown) => isAuthError(e, 'AUTH_CONFIG'),
  );
  assert.throws(
    () => checkPasswordPolicy('whatever', {}, { maxCodePoints: 32 }),
    (e: unknown) => isAuthError(e, 'AUTH_CONFIG'),
  );
});
