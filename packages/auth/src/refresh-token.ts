/**
 * Refresh tokens: opaque 256-bit random strings, stored only as their SHA-256.
 *
 * A plain (unpeppered) SHA-256 is enough here: the token has 256 bits of entropy, so a leaked
 * hash cannot be brute-forced, and a deterministic hash lets the store look a token up by hash.
 */
import { constantTimeEqual, defaultRandomBytes, drawBytes, sha256Base64url } from './crypto-utils.ts';
import type { RandomBytes } from './crypto-utils.ts';

/** Random bytes in a refresh token. */
export const REFRESH_TOKEN_BYTES = 32;
const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface NewRefreshToken {
  /** The opaque token for the cookie: 43 base64url characters. Never stored. */
  readonly token: string;
  /** What the store keeps: SHA-256 of the token, base64url. */
  readonly hash: string;
}

/** Make a new refresh token and its hash. */
export function newRefreshToken(options: { readonly randomBytes?: RandomBytes } = {}): NewRefreshToken {
  const token = drawBytes(options.randomBytes ?? defaultRandomBytes, REFRESH_TOKEN_BYTES).toString('base64url');
  return { token, hash: sha256Base64url(token) };
}

/** Does `value` have the shape of a refresh token? Use it before hashing cookie input. */
export function isRefreshTokenFormat(value: unknown): value is string {
  return typeof value === 'string' && REFRESH_TOKEN_PATTERN.test(value);
}

/** The stored hash of a presented token (for lookup by hash). */
export function hashRefreshToken(token: string): string {
  return sha256Base64url(token);
}

/** Does `token` hash to `hash`? Constant time; `false` for any non-string input. */
export function refreshTokenMatches(token: unknown, hash: unknown): boolean {
  if (typeof token !== 'string' || typeof hash !== 'string') return false;
  return constantTimeEqual(sha256Base64url(token), hash);
}
