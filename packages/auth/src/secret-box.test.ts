import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isAuthError } from './auth-error.ts';
import { createSecretBox, generateSecretKey, secretKeyId } from './secret-box.ts';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const unreadable = (err: unknown): boolean => isAuthError(err, 'AUTH_SECRET_UNREADABLE');

test('seal/open: AES-256-GCM, a fresh IV each time, bound to its record, tamper-evident', () => {
  const box = createSecretBox({ keys: [k1], activeId: 'k1' });
  const sealed = box.seal('JBSWY3DPEHPK3PXP', 'totp:user-1');
  assert.match(sealed, /^pbs1\.k1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/u);
  assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
  assert.notEqual(box.seal('JBSWY3DPEHPK3PXP', 'totp:user-1'), sealed, 'random IV');
  assert.equal(box.open(sealed, 'totp:user-1'), 'JBSWY3DPEHPK3PXP');
  assert.throws(() => box.open(sealed, 'totp:user-2'), unreadable, 'moved to another record');
  const parts = sealed.split('.');
  const flipped = (i: number): string => parts.map((p, j) => (j === i ? `${p[0] === 'A' ? 'B' : 'A'}${p.slice(1)}` : p)).join('.');
  for (const i of [2, 3, 4]) assert.throws(() => box.open(flipped(i), 'totp:user-1'), unreadable, `part ${i} altered`);
  for (const bad of ['', 'JBSWY3DPEHPK3PXP', 'pbs1.k1', 'pbs1.k1.a.b.c', 'pbs1.k1.!!.b.c', `pbs2${sealed.slice(4)}`]) assert.throws(() => box.open(bad, 'totp:user-1'), unreadable, bad);
});

test('key rotation: old seals open while their key is in the ring, reseal moves them to the active key', () => {
  const before = createSecretBox({ keys: [k1], activeId: 'k1' });
  const old = before.seal('secret', 'totp:u');
  const during = createSecretBox({ keys: [k1, k2], activeId: 'k2' });
  assert.equal(during.open(old, 'totp:u'), 'secret');
  assert.equal(during.needsReseal(old), true);
  const resealed = during.seal(during.open(old, 'totp:u'), 'totp:u');
  assert.equal(during.needsReseal(resealed), false);
  assert.equal(during.needsReseal('clear legacy secret'), true);
  assert.equal(during.isSealed('clear legacy secret'), false);
  const after = createSecretBox({ keys: [k2], activeId: 'k2' });
  assert.equal(after.open(resealed, 'totp:u'), 'secret');
  assert.throws(() => after.open(old, 'totp:u'), unreadable, 'a retired key no longer opens');
});

test('the ring is checked at construction; generated keys are 32 random bytes with a derived id', () => {
  assert.throws(() => createSecretBox({ keys: [k1], activeId: 'k2' }), /active secret key/);
  assert.throws(() => createSecretBox({ keys: [{ id: 'k1', key: randomBytes(16) }], activeId: 'k1' }), /32 bytes/);
  assert.throws(() => createSecretBox({ keys: [k1, { ...k2, id: 'k1' }], activeId: 'k1' }), /twice/);
  assert.throws(() => createSecretBox({ keys: [{ id: 'bad id', key: randomBytes(32) }], activeId: 'bad id' }), /ids/);
  const g = generateSecretKey();
  const raw = Buffer.from(g.key, 'base64url');
  assert.equal(raw.length, 32);
  assert.equal(g.id, secretKeyId(raw));
  assert.notEqual(generateSecretKey().key, g.key);
});
