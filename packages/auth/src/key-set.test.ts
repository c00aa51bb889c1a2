import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { isAuthError } from './auth-error.ts';
import { createKeySet, generateDevKeyPair, isKeySet } from './key-set.ts';

const a = generateDevKeyPair();
const b = generateDevKeyPair();

function throwsKeyConfig(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => isAuthError(e, 'AUTH_KEY_CONFIG'));
}

test('generateDevKeyPair makes 2048-bit RSA PEMs with a thumbprint kid', () => {
  assert.match(a.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.match(a.publicKeyPem, /^-----BEGIN PUBLIC KEY-----/);
  const key = createPublicKey(a.publicKeyPem);
  assert.equal(key.asymmetricKeyType, 'rsa');
  assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
  assert.match(a.kid, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a.kid, b.kid);
  assert.throws(
    () => generateDevKeyPair({ modulusLength: 1024 }),
    (e: unknown) => isAuthError(e, 'AUTH_CONFIG'),
  );
});

test('a key set verifies with every key, signs with the active one, and publishes only public JWKs', () => {
  const keySet = createKeySet({ keys: [a, { kid: b.kid, publicKeyPem: b.publicKeyPem }], activeKid: a.kid });
  assert.ok(isKeySet(keySet));
  assert.deepEqual(keySet.kids, [a.kid, b.kid]);
  assert.equal(keySet.activeKid, a.kid);
  const jwks = keySet.toJwks();
  assert.equal(jwks.keys.length, 2);
  for (const jwk of jwks.keys) {
    assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.alg, 'RS256');
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.e, 'AQAB');
  }
  // The published JWK is the same key as the PEM.
  const fromJwk = createPublicKey({ key: { ...jwks.keys[1]! }, format: 'jwk' });
  assert.ok(fromJwk.equals(createPublicKey(b.publicKeyPem)));
  assert.doesNotMatch(JSON.stringify(keySet), /PRIVATE/);
  assert.doesNotMatch(JSON.stringify(jwks), /"d"|"p"|"q"/);
});

test('publicKey resolves exact kids only', () => {
  const keySet = createKeySet({ keys: [a], activeKid: a.kid });
  assert.ok(keySet.publicKey(a.kid));
  for (const kid of ['__proto__', 'constructor', 'toString', '../../etc/passwd', '', 'x'.repeat(10_240), a.kid.toUpperCase(), ` ${a.kid}`]) {
    assert.equal(keySet.publicKey(kid), undefined, kid.slice(0, 20));
  }
  for (const kid of [undefined, null, 1, {}, [a.kid], { toString: () => a.kid }]) assert.equal(keySet.publicKey(kid), undefined);
});

test('bad key configurations throw AUTH_KEY_CONFIG at construction', () => {
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
  const pem = (k: { export(o: { format: 'pem'; type: 'spki' | 'pkcs8' }): string | Buffer }, type: 'spki' | 'pkcs8') => k.export({ format: 'pem', type }).toString();
  throwsKeyConfig(() => createKeySet({ keys: [], activeKid: 'x' }));
  throwsKeyConfig(() => createKeySet(undefined as never));
  throwsKeyConfig(() => createKeySet({ keys: [a, { ...b, kid: a.kid }], activeKid: a.kid }));
  throwsKeyConfig(() => createKeySet({ keys: [{ kid: 'hs', privateKeyPem: 'supersecret', publicKeyPem: 'supersecret' }], activeKid: 'hs' }));
  throwsKeyConfig(() => createKeySet({ keys: [{ kid: 'w', privateKeyPem: pem(weak.privateKey, 'pkcs8'), publicKeyPem: pem(weak.publicKey, 'spki') }], activeKid: 'w' }));
  throwsKeyConfig(() => createKeySet({ keys: [{ kid: 'ec', privateKeyPem: pem(ec.privateKey, 'pkcs8'), publicKeyPem: pem(ec.publicKey, 'spki') }], activeKid: 'ec' }));
  throwsKeyConfig(() => createKeySet({ keys: [{ kid: 'pss', privateKeyPem: pem(pss.privateKey, 'pkcs8'), publicKeyPem: pem(pss.publicKey, 'spki') }], activeKid: 'pss' }));
  throwsKeyConfig(() => createKeySet({ keys: [{ kid: a.kid, publicKeyPem: a.publicKeyPem }], activeKid: a.kid }));
  throwsKeyConfig(() => createKeySet({ keys: [a], activeKid: 'nope' }));
  throwsKeyConfig(() => createKeySet({ keys: [{ kid: 'mix', privateKeyPem: a.privateKeyPem, publicKeyPem: b.publicKeyPem }], activeKid: 'mix' }));
  throwsKeyConfig(() => createKeySet({ keys: [{ ...a, kid: '../../etc/passwd' }], activeKid: '../../etc/passwd' }));
  throwsKeyConfig(() => createKeySet({ keys: [{ ...a, kid: '' }], activeKid: '' }));
  throwsKeyConfig(() => createKeySet({ keys: [{ ...a, publicKeyPem: '-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----' }], activeKid: a.kid }));
  assert.equal(isKeySet({ activeKid: a.kid, kids: [a.kid], publicKey: () => undefined, toJwks: () => ({ keys: [] }) }), false);
});
