import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { API_KEY_LENGTH, newApiKey, parseApiKey, verifyApiKey } from './api-key.ts';

test('new keys have the pbx_<prefix>_<secret> format and round-trip through parse and verify', () => {
  for (let i = 0; i < 50; i++) {
    const { key, prefix, hash } = newApiKey();
    assert.equal(key.length, API_KEY_LENGTH);
    assert.match(key, /^pbx_[0-9a-hjkmnp-tv-z]{10}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiKey(key);
    assert.ok(parsed);
    assert.equal(parsed.prefix, prefix);
    assert.equal(key, `pbx_${prefix}_${parsed.secret}`);
    assert.equal(hash, createHash('sha256').update(parsed.secret).digest('base64url'));
    assert.ok(verifyApiKey(parsed.secret, hash));
    assert.ok(!hash.includes(parsed.secret));
  }
  const prefixes = new Set(Array.from({ length: 500 }, () => newApiKey().prefix));
  assert.equal(prefixes.size, 500);
});

test('parseApiKey is strict', () => {
  const { key } = newApiKey({ randomBytes: (n) => new Uint8Array(n).fill(1) });
  assert.equal(key, `pbx_${'1'.repeat(10)}_${Buffer.alloc(32, 1).toString('base64url')}`);
  const good = newApiKey().key;
  const secret = good.slice(15);
  const bad: unknown[] = [
    '',
    'pbx_',
    good.toUpperCase(),
    good.replace('pbx_', 'PBX_'),
    good.replace('pbx_', 'pbk_'),
    `${good}x`,
    good.slice(0, -1),
    ` ${good}`,
    `${good}\n`,
    `Bearer ${good}`,
    `pbx_${'i'.repeat(10)}_${secret}`,
    `pbx_${'a'.repeat(9)}_${secret}x`,
    // The separator after the prefix (index 14; the secret itself may contain '_').
    `${good.slice(0, 14)}-${good.slice(15)}`,
    // Non-canonical base64url: the last character of 32 bytes only carries 4 bits.
    `${good.slice(0, -1)}${good.endsWith('B') ? 'C' : 'B'}`.replace(/[AQgw]$/, 'B'),
    `pbx_${'a'.repeat(10)}_${'A'.repeat(42)}=`,
    `pbx_${'a'.repeat(10)}_${'A'.repeat(42)}B`,
    undefined,
    null,
    1,
    {},
  ];
  for (const value of bad) assert.equal(parseApiKey(value), null, String(value));
  assert.equal(parseApiKey(`pbx_${'a'.repeat(10)}_${'A'.repeat(42)}A`)?.prefix, 'a'.repeat(10));
});

test('verifyApiKey refuses wrong secrets and non-strings', () => {
  const { key, hash } = newApiKey();
  const secret = parseApiKey(key)!.secret;
  assert.equal(verifyApiKey(`${secret.slice(0, -1)}x`, hash), false);
  assert.equal(verifyApiKey(secret, hash.toUpperCase()), false);
  for (const value of [undefined, null, 1, {}]) {
    assert.equal(verifyApiKey(value, hash), false);
    assert.equal(verifyApiKey(secret, value), false);
  }
});
