#!/usr/bin/env node
// Makes and rotates the key ring that seals secrets the API keeps in its store (TOTP secrets):
// PLOTBOX_SECRETS_KEY_FILE, the plotbox-secrets-key secret in Kubernetes, deploy/secrets/secrets-key
// for compose. Plain JavaScript on node:crypto only. Writes the new ring to stdout; never prints a
// key anywhere else.
//
//   node k8s/secrets-key.mjs new                 a ring with one new 32-byte key, active
//   node k8s/secrets-key.mjs add FILE            FILE's keys plus a new one; the active key is unchanged
//   node k8s/secrets-key.mjs activate FILE ID    seal new secrets with ID (the API reseals old ones at start)
//   node k8s/secrets-key.mjs remove FILE ID      drop ID (secrets still sealed with it stop opening)
//   node k8s/secrets-key.mjs list FILE           id, active (no key material)
import { createHash, randomBytes } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';

const USAGE = 'usage: secrets-key.mjs new | add FILE | activate FILE ID | remove FILE ID | list FILE';

function fail(message) {
  console.error(`secrets-key: ${message}`);
  process.exit(2);
}

/** A new 32-byte key; its id is derived from it as the API derives one (8 hex digits of its SHA-256). */
function newKey() {
  const key = randomBytes(32);
  return { id: `k${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, key: key.toString('base64url') };
}

function load(file) {
  if (file === undefined) fail(USAGE);
  let ring;
  try {
    ring = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    fail(`${file} is not a readable JSON key ring`);
  }
  if (typeof ring !== 'object' || ring === null || !Array.isArray(ring.keys)) fail(`${file} has no "keys" array`);
  for (const k of ring.keys) {
    if (typeof k?.id !== 'string' || typeof k.key !== 'string' || Buffer.from(k.key, 'base64url').length !== 32) fail(`${file} has a key that is not {id, key: 32 bytes base64url}`);
  }
  return ring;
}

function find(ring, id) {
  if (id === undefined) fail(USAGE);
  if (!ring.keys.some((k) => k.id === id)) fail(`no key ${id} in the ring`);
}

function print(ring) {
  if (!ring.keys.some((k) => k.id === ring.activeKeyId)) fail('the active key must be in the ring');
  process.stdout.write(`${JSON.stringify(ring, null, 2)}\n`);
}

const [command, file, id] = process.argv.slice(2);
switch (command) {
  case 'new': {
    const key = newKey();
    print({ activeKeyId: key.id, keys: [key] });
    break;
  }
  case 'add': {
    const ring = load(file);
    print({ ...ring, keys: [...ring.keys, newKey()] });
    break;
  }
  case 'activate': {
    const ring = load(file);
    find(ring, id);
    print({ ...ring, activeKeyId: id });
    break;
  }
  case 'remove': {
    const ring = load(file);
    find(ring, id);
    if (ring.activeKeyId === id) fail(`key ${id} is the active key: activate another one first`);
    print({ ...ring, keys: ring.keys.filter((k) => k.id !== id) });
    break;
  }
  case 'list': {
    const ring = load(file);
    for (const k of ring.keys) console.log(`${k.id}\t${k.id === ring.activeKeyId ? 'active' : '-'}`);
    break;
  }
  default:
    fail(USAGE);
}
