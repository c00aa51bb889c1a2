#!/usr/bin/env node
// Makes and rotates the API's JWT key set file (PLOTBOX_JWT_KEYS_FILE; the plotbox-jwt-keys secret
// in Kubernetes, deploy/secrets/jwt-keys.json for compose). Plain JavaScript on node:crypto only, so
// it runs on any Node >= 18 without the repository's dependencies. Writes the new set to stdout;
// never prints a private key anywhere else.
//
//   node k8s/jwt-keys.mjs new                  a set with one new RSA-3072 key, active
//   node k8s/jwt-keys.mjs add FILE             FILE's keys plus a new one; the active key is unchanged
//   node k8s/jwt-keys.mjs activate FILE KID    sign new tokens with KID
//   node k8s/jwt-keys.mjs retire FILE KID      drop KID's private key (its tokens still verify)
//   node k8s/jwt-keys.mjs remove FILE KID      drop KID altogether (its tokens stop verifying)
//   node k8s/jwt-keys.mjs list FILE            kid, active, can-sign (no key material)
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

const USAGE = 'usage: jwt-keys.mjs new | add FILE | activate FILE KID | retire FILE KID | remove FILE KID | list FILE';

function fail(message) {
  console.error(`jwt-keys: ${message}`);
  process.exit(2);
}

/** A new RSA key pair, its kid the RFC 7638 thumbprint of the public key (as @plotbox/auth does). */
function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const { e, n } = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
  return {
    kid,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

function load(file) {
  if (file === undefined) fail(USAGE);
  let set;
  try {
    set = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    fail(`${file} is not a readable JSON key set`);
  }
  if (typeof set !== 'object' || set === null || !Array.isArray(set.keys)) fail(`${file} has no "keys" array`);
  for (const key of set.keys) {
    if (typeof key?.kid !== 'string' || typeof key.publicKeyPem !== 'string') fail(`${file} has a key without "kid" or "publicKeyPem"`);
    try {
      createPublicKey(key.publicKeyPem);
    } catch {
      fail(`key ${key.kid} has an unreadable public key`);
    }
  }
  // The API's own rule: without "activeKid", the one key that has a private key signs.
  const signing = set.keys.filter((k) => typeof k.privateKeyPem === 'string');
  if (set.activeKid === undefined && signing.length === 1) return { ...set, activeKid: signing[0].kid };
  return set;
}

function find(set, kid) {
  if (kid === undefined) fail(USAGE);
  const key = set.keys.find((k) => k.kid === kid);
  if (key === undefined) fail(`no key ${kid} in the set`);
  return key;
}

function print(set) {
  const signing = set.keys.filter((k) => typeof k.privateKeyPem === 'string');
  if (!signing.some((k) => k.kid === set.activeKid)) fail('the active key must keep its private key');
  process.stdout.write(`${JSON.stringify(set, null, 2)}\n`);
}

const [command, file, kid] = process.argv.slice(2);
switch (command) {
  case 'new': {
    const key = newKey();
    print({ activeKid: key.kid, keys: [key] });
    break;
  }
  case 'add': {
    const set = load(file);
    print({ ...set, keys: [...set.keys, newKey()] });
    break;
  }
  case 'activate': {
    const set = load(file);
    if (typeof find(set, kid).privateKeyPem !== 'string') fail(`key ${kid} has no private key and cannot sign`);
    print({ ...set, activeKid: kid });
    break;
  }
  case 'retire': {
    const set = load(file);
    find(set, kid);
    if (set.activeKid === kid) fail(`key ${kid} is the active key: activate another one first`);
    print({ ...set, keys: set.keys.map((k) => (k.kid === kid ? { kid: k.kid, publicKeyPem: k.publicKeyPem } : k)) });
    break;
  }
  case 'remove': {
    const set = load(file);
    find(set, kid);
    if (set.activeKid === kid) fail(`key ${kid} is the active key: activate another one first`);
    print({ ...set, keys: set.keys.filter((k) => k.kid !== kid) });
    break;
  }
  case 'list': {
    const set = load(file);
    for (const k of set.keys) console.log(`${k.kid}\t${k.kid === set.activeKid ? 'active' : '-'}\t${typeof k.privateKeyPem === 'string' ? 'can-sign' : 'verify-only'}`);
    break;
  }
  default:
    fail(USAGE);
}
