/**
 * Small crypto helpers shared by the token formats: the randomness seam, base64url, SHA-256 and
 * constant-time comparison.
 */
import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';

/** Source of cryptographically secure random bytes; injected so tests can be deterministic. */
export type RandomBytes = (size: number) => Uint8Array;

/** The default {@link RandomBytes}: node:crypto's CSPRNG. */
export const defaultRandomBytes: RandomBytes = (size) => nodeRandomBytes(size);

/** Draw `size` bytes and check the injected source really returned that many. */
export function drawBytes(randomBytes: RandomBytes, size: number): Buffer {
  const bytes = randomBytes(size);
  if (!(bytes instanceof Uint8Array) || bytes.length !== size) {
    throw new TypeError(`randomBytes(${size}) must return a Uint8Array of ${size} bytes`);
  }
  return Buffer.from(bytes);
}

/** SHA-256 of a UTF-8 string, base64url without padding (43 characters). */
export function sha256Base64url(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/**
 * Constant-time equality of two strings. Both sides are hashed first, so the comparison takes the
 * same time whatever their lengths and wherever they first differ.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** Lower-case RFC 4648 base32 alphabet minus nothing: `a-z2-7`, 32 symbols, 5 bits each. */
const BASE32_LOWER = 'abcdefghijklmnopqrstuvwxyz234567';

/** Encode random bytes as `length` characters from a 32-symbol alphabet (5 bits per character). */
export function randomBase32(randomBytes: RandomBytes, length: number, alphabet: string = BASE32_LOWER): string {
  // One byte per character, using its low 5 bits: 256 is a multiple of 32, so there is no bias.
  const bytes = drawBytes(randomBytes, length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte & 31];
  return out;
}
