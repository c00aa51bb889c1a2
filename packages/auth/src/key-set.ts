/**
 * The RSA key set behind access tokens: several public keys verify (so keys can be rotated
 * without logging everyone out), exactly one private key signs.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AuthError } from './auth-error.ts';

/** One configured key. `privateKeyPem` is needed only for the active key. */
export interface KeyInput {
  /** Key id, carried in the token header; `[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}`. */
  readonly kid: string;
  /** PKCS#8 or PKCS#1 PEM of the RSA private key (unencrypted). */
  readonly privateKeyPem?: string;
  /** SPKI or PKCS#1 PEM of the RSA public key. */
  readonly publicKeyPem: string;
}

export interface KeySetOptions {
  readonly keys: readonly KeyInput[];
  /** The kid of the key that signs new tokens; it must have a private key. */
  readonly activeKid: string;
}

/** A public RSA signing key as published in the JWKS. */
export interface PublicJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
}

export interface Jwks {
  readonly keys: readonly PublicJwk[];
}

/** A validated, immutable key set. The private key is not reachable through this interface. */
export interface KeySet {
  readonly activeKid: string;
  /** Every kid that verifies, in configuration order. */
  readonly kids: readonly string[];
  /** The public key for `kid`, or `undefined` for anything that is not exactly a configured kid. */
  publicKey(kid: unknown): KeyObject | undefined;
  /** The public JWKS to serve at `/.well-known/jwks.json`. */
  toJwks(): Jwks;
}

/** Minimum RSA modulus, bits. */
export const MIN_RSA_BITS = 2048;
const KID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

// Private keys live here, keyed by the key set, so they cannot be reached (or logged) through it.
const signingKeys = new WeakMap<KeySet, { readonly kid: string; readonly key: KeyObject }>();

function configError(message: string, cause?: unknown): AuthError {
  return new AuthError('AUTH_KEY_CONFIG', message, cause === undefined ? {} : { cause });
}

function assertRsa(key: KeyObject, what: string): void {
  // 'rsa-pss' keys are refused too: RS256 is PKCS#1 v1.5 and only that is accepted.
  if (key.asymmetricKeyType !== 'rsa') {
    throw configError(`${what} is not an RSA key (got ${String(key.asymmetricKeyType)})`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw configError(`${what} is ${bits} bits; at least ${MIN_RSA_BITS} are required`);
}

function rsaComponents(key: KeyObject): { n: string; e: string } {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw configError('cannot export RSA key as JWK');
  return { n: jwk.n, e: jwk.e };
}

/**
 * Build a key set, validating everything now so a bad configuration fails at boot.
 *
 * @throws AuthError `AUTH_KEY_CONFIG` for: no keys, a bad or duplicate kid, a PEM that is not an
 *   RSA key (an HMAC secret, an EC key, garbage), an RSA key under 2048 bits, a private key that
 *   does not match its public key, or an active kid that is unknown or has no private key.
 */
export function createKeySet(options: KeySetOptions): KeySet {
  if (options === null || typeof options !== 'object') throw configError('key set options are required');
  const { keys, activeKid } = options;
  if (!Array.isArray(keys) || keys.length === 0) throw configError('at least one key is required');

  const publicKeys = new Map<string, KeyObject>();
  const jwks: PublicJwk[] = [];
  let signing: { kid: string; key: KeyObject } | undefined;

  for (const input of keys as readonly KeyInput[]) {
    const kid: unknown = input?.kid;
    if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) throw configError(`invalid kid ${JSON.stringify(kid)}`);
    if (publicKeys.has(kid)) throw configError(`duplicate kid ${kid}`);
    if (typeof input.publicKeyPem !== 'string' || !input.publicKeyPem.includes('-----BEGIN')) {
      throw configError(`key ${kid}: publicKeyPem must be a PEM string (shared HMAC secrets are not accepted)`);
    }
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: input.publicKeyPem, format: 'pem' });
    } catch (cause) {
      throw configError(`key ${kid}: publicKeyPem is not a valid public key`, cause);
    }
    assertRsa(publicKey, `key ${kid}`);
    const components = rsaComponents(publicKey);

    if (input.privateKeyPem !== undefined) {
      if (typeof input.privateKeyPem !== 'string' || !input.privateKeyPem.includes('-----BEGIN')) {
        throw configError(`key ${kid}: privateKeyPem must be a PEM string`);
      }
      let privateKey: KeyObject;
      try {
        privateKey = createPrivateKey({ key: input.privateKeyPem, format: 'pem' });
      } catch (cause) {
        throw configError(`key ${kid}: privateKeyPem is not a valid (unencrypted) private key`, cause);
      }
      assertRsa(privateKey, `key ${kid} (private)`);
      const derived = rsaComponents(createPublicKey(privateKey));
      if (derived.n !== components.n || derived.e !== components.e) {
        throw configError(`key ${kid}: private key does not match public key`);
      }
      if (kid === activeKid) signing = { kid, key: privateKey };
    }

    publicKeys.set(kid, publicKey);
    jwks.push(Object.freeze({ kty: 'RSA', n: components.n, e: components.e, kid, alg: 'RS256', use: 'sig' }));
  }

  if (typeof activeKid !== 'string' || !publicKeys.has(activeKid)) {
    throw configError(`active kid ${JSON.stringify(activeKid)} is not one of the configured keys`);
  }
  if (signing === undefined) throw configError(`active key ${activeKid} has no private key`);

  const kids = Object.freeze([...publicKeys.keys()]);
  const frozenJwks = Object.freeze(jwks);
  const keySet: KeySet = Object.freeze({
    activeKid,
    kids,
    publicKey(kid: unknown): KeyObject | undefined {
      // A Map lookup on an exact string: '__proto__', paths and other junk simply miss.
      return typeof kid === 'string' ? publicKeys.get(kid) : undefined;
    },
    toJwks(): Jwks {
      return { keys: frozenJwks };
    },
  });
  signingKeys.set(keySet, Object.freeze(signing));
  return keySet;
}

/** Was `value` built by {@link createKeySet}? */
export function isKeySet(value: unknown): value is KeySet {
  return typeof value === 'object' && value !== null && signingKeys.has(value as KeySet);
}

/** The active private key of a key set. Package-internal: not exported from the index. */
export function signingKeyOf(keySet: KeySet): { readonly kid: string; readonly key: KeyObject } {
  const signing = signingKeys.get(keySet);
  if (signing === undefined) throw configError('not a key set built by createKeySet');
  return signing;
}

/** A fresh RSA key pair as PEMs, with a kid that is its RFC 7638 JWK thumbprint. */
export interface DevKeyPair {
  readonly kid: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/**
 * Generate an RSA key pair (default 2048 bits) for development: the API writes one into its data
 * directory on first start when no key is configured. Synchronous; takes tens of milliseconds.
 */
export function generateDevKeyPair(options: { readonly modulusLength?: number } = {}): DevKeyPair {
  const modulusLength = options.modulusLength ?? MIN_RSA_BITS;
  if (!Number.isInteger(modulusLength) || modulusLength < MIN_RSA_BITS || modulusLength > 8192) {
    throw new AuthError('AUTH_CONFIG', `modulusLength must be an integer in [${MIN_RSA_BITS}, 8192]`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  const { n, e } = rsaComponents(publicKey);
  // RFC 7638: members in lexicographic order, no whitespace.
  const kid = createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
  return {
    kid,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
