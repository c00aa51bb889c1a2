import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { hashRefreshToken, isRefreshTokenFormat, newRefreshToken, refreshTokenMatches } from './refresh-token.ts';

test('refresh tokens are 256-bit base64url strings stored as their SHA-256', () => {
  const { token, hash } = newRefreshToken();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(token, 'base64url').length, 32);
  assert.equal(hash, createHash('sha256').update(token).digest('base64url'));
  assert.equal(hashRefreshToken(token), hash);
  assert.ok(isRefreshTokenFormat(token));
  assert.ok(refreshTokenMatches(token, hash));
  assert.equal(refreshTokenMatches(`${token}x`, hash), false);
  assert.equal(refreshTokenMatches(token, `${hash}x`), false);
  assert.equal(refreshTokenMatches(undefined, hash), false);
  assert.equal(refreshTokenMatches(token, null), false);
  for (const bad of ['', 'x'.repeat(42), 'x'.repeat(44), `${'x'.repeat(42)}=`, 1, null]) assert.equal(isRefreshTokenFormat(bad), false);
  const seen = new Set(Array.from({ length: 200 }, () => newRefreshToken().token));
  assert.equal(seen.size, 200);
});

test('randomness is injectable (and its output length checked)', () => {
  const fixed = newRefreshToken({ randomBytes: (n) => new Uint8Array(n).fill(7) });
  assert.equal(fixed.token, Buffer.alloc(32, 7).toString('base64url'));
  assert.throws(() => newRefreshToken({ randomBytes: () => new Uint8Array(8) }), TypeError);
});
