import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { generateRecoveryCodes, hashRecoveryCode, matchRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';

test('ten human-friendly codes, stored as hashes', () => {
  const { codes, hashes } = generateRecoveryCodes();
  assert.equal(codes.length, 10);
  assert.equal(hashes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const [i, code] of codes.entries()) {
    assert.match(code, /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    assert.equal(hashes[i], createHash('sha256').update(code.replaceAll('-', '')).digest('base64url'));
    assert.equal(hashRecoveryCode(code), hashes[i]);
    assert.ok(!hashes[i]!.includes(code.replaceAll('-', '')));
  }
  assert.equal(generateRecoveryCodes(3).codes.length, 3);
  assert.throws(() => generateRecoveryCodes(0), RangeError);
  assert.throws(() => generateRecoveryCodes(2, { randomBytes: (n) => new Uint8Array(n) }), /repeating/);
});

test('matching forgives case, dashes, spaces and look-alikes', () => {
  let calls = 0;
  const { codes, hashes } = generateRecoveryCodes(10, { randomBytes: (n) => createHash('sha256').update(String(++calls)).digest().subarray(0, n) });
  const code = codes[3]!;
  assert.equal(matchRecoveryCode(code, hashes), 3);
  assert.equal(matchRecoveryCode(code.toUpperCase(), hashes), 3);
  assert.equal(matchRecoveryCode(code.replaceAll('-', ''), hashes), 3);
  assert.equal(matchRecoveryCode(` ${code.replaceAll('-', ' ')} `, hashes), 3);
  assert.equal(normalizeRecoveryCode('IL0O-abcd-efgh-jkmn'), '1100abcdefghjkmn');
  // A used code (hash cleared) no longer matches.
  const used = hashes.map((h, i) => (i === 3 ? null : h));
  assert.equal(matchRecoveryCode(code, used), -1);
});

test('anything else is -1', () => {
  const { codes, hashes } = generateRecoveryCodes();
  const code = codes[0]!;
  for (const bad of ['', code.slice(0, -1), `${code}x`, code.replace(/[0-9a-z]$/, (c) => (c === 'z' ? 'y' : 'z')), 'x'.repeat(100_000), undefined, null, 5, {}]) {
    assert.equal(matchRecoveryCode(bad, hashes), -1, String(bad).slice(0, 20));
  }
  assert.equal(matchRecoveryCode(code, []), -1);
  assert.equal(matchRecoveryCode('', [hashRecoveryCode(code) ?? '', createHash('sha256').update('').digest('base64url')]), -1);
});
