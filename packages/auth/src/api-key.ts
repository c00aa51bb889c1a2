/**
 * API key format: `pbx_<prefix>_<secret>`. The prefix (10 Crockford base32 characters, ~50 bits)
 * is public and unique, used to find the key record; the secret (32 random bytes, base64url) is
 * stored only as its SHA-256 — enough for a 256-bit random secret, and cheap per request.
 */
import { constantTimeEqual, defaultRandomBytes, drawBytes, randomBase32, sha256Base64url } from './crypto-utils.ts';
import type { RandomBytes } from './crypto-utils.ts';

export const API_KEY_PREFIX = 'pbx_';
const PREFIX_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const PREFIX_LENGTH = 10;
const SECRET_BYTES = 32;
const API_KEY_PATTERN = /^pbx_([0-9abcdefghjkmnpqrstvwxyz]{10})_([A-Za-z0-9_-]{43})$/;
/** Length of every API key: 4 + 10 + 1 + 43. */
export const API_KEY_LENGTH = 58;

export interface NewApiKey {
  /** The full key: show it once, never store it. */
  readonly key: string;
  /** Public id of the key; unique (the store must enforce it; on a clash, make another key). */
  readonly prefix: string;
  /** SHA-256 of the secret part, base64url: store this. */
  readonly hash: string;
}

/** Make a new API key. */
export function newApiKey(options: { readonly randomBytes?: RandomBytes } = {}): NewApiKey {
  const randomBytes = options.randomBytes ?? defaultRandomBytes;
  const prefix = randomBase32(randomBytes, PREFIX_LENGTH, PREFIX_ALPHABET);
  const secret = drawBytes(randomBytes, SECRET_BYTES).toString('base64url');
  return { key: `${API_KEY_PREFIX}${prefix}_${secret}`, prefix, hash: hashApiKeySecret(secret) };
}

/**
 * Split a presented key into prefix and secret; `null` for anything that is not exactly a key
 * this module could have made (wrong length, alphabet, case, non-canonical base64url…).
 */
export function parseApiKey(value: unknown): { readonly prefix: string; readonly secret: string } | null {
  if (typeof value !== 'string' || value.length !== API_KEY_LENGTH) return null;
  const match = API_KEY_PATTERN.exec(value);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  const secret = match[2];
  // 43 characters carry 258 bits; only the canonical encoding of 32 bytes is accepted.
  if (Buffer.from(secret, 'base64url').toString('base64url') !== secret) return null;
  return { prefix: match[1], secret };
}

/** Hash of an API key secret as stored. */
export function hashApiKeySecret(secret: string): string {
  return sha256Base64url(secret);
}

/** Does `secret` match the stored `hash`? Constant time; `false` for non-string input. */
export function verifyApiKey(secret: unknown, hash: unknown): boolean {
  if (typeof secret !== 'string' || typeof hash !== 'string') return false;
  return constantTimeEqual(hashApiKeySecret(secret), hash);
}
