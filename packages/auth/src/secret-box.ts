/**
 * Secrets the store keeps for us (TOTP secrets, and any later one) are sealed with AES-256-GCM
 * under a key from `PLOTBOX_SECRETS_KEY` that never enters the store: a copy of the database or a
 * backup alone reveals none of them. Each sealed value names the key it was sealed with, so keys
 * rotate (add a key, make it active, reseal, retire the old one), and is bound to its record by
 * additional authenticated data (`totp:<userId>`), so a sealed value moved to another user's
 * record does not open.
 *
 * Format: `pbs1.<keyId>.<iv>.<ciphertext>.<tag>` (base64url; a 96-bit random IV per seal).
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { AuthError } from './auth-error.ts';
import { defaultRandomBytes, drawBytes, type RandomBytes } from './crypto-utils.ts';

const PREFIX = 'pbs1';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/u;
const B64URL = /^[A-Za-z0-9_-]*$/u;

/** One key of the ring: 32 bytes. */
export interface SecretKey {
  readonly id: string;
  readonly key: Uint8Array;
}

export interface SecretBox {
  /** The id of the key new seals use. */
  readonly activeId: string;
  /** Seal `plaintext` for the record named by `context` (e.g. `totp:<userId>`). */
  seal(plaintext: string, context: string): string;
  /**
   * Open a sealed value for `context`. @throws AuthError `AUTH_SECRET_UNREADABLE` when its key is
   * unknown, or it was altered, truncated or sealed for another context.
   */
  open(sealed: string, context: string): string;
  /** Does `value` look sealed (as opposed to a legacy clear value)? */
  isSealed(value: string): boolean;
  /** Should `value` be sealed again (clear, or sealed with a key that is not the active one)? */
  needsReseal(value: string): boolean;
}

export interface SecretBoxOptions {
  readonly keys: readonly SecretKey[];
  readonly activeId: string;
  readonly randomBytes?: RandomBytes;
}

/** Build the box; checks the ring now (32-byte keys, unique ids, an active key in the ring). */
export function createSecretBox(options: SecretBoxOptions): SecretBox {
  const ring = new Map<string, Buffer>();
  for (const k of options.keys) {
    if (!KEY_ID.test(k.id)) throw new AuthError('AUTH_CONFIG', 'secret key ids are 1-32 characters of [A-Za-z0-9_-]');
    if (!(k.key instanceof Uint8Array) || k.key.length !== 32) throw new AuthError('AUTH_CONFIG', `secret key ${k.id} must be 32 bytes`);
    if (ring.has(k.id)) throw new AuthError('AUTH_CONFIG', `secret key ${k.id} appears twice`);
    ring.set(k.id, Buffer.from(k.key));
  }
  const active = ring.get(options.activeId);
  if (active === undefined) throw new AuthError('AUTH_CONFIG', 'the active secret key is not in the key ring');
  const randomBytes = options.randomBytes ?? defaultRandomBytes;
  const aad = (context: string): Buffer => Buffer.from(`plotbox-secret:${context}`, 'utf8');
  const unreadable = (why: string): AuthError => new AuthError('AUTH_SECRET_UNREADABLE', `a sealed secret cannot be opened (${why})`);
  const isSealed = (value: string): boolean => value.startsWith(`${PREFIX}.`);

  return Object.freeze({
    activeId: options.activeId,
    seal(plaintext: string, context: string): string {
      const iv = drawBytes(randomBytes, 12);
      const cipher = createCipheriv('aes-256-gcm', active, iv);
      cipher.setAAD(aad(context));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [PREFIX, options.activeId, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed: string, context: string): string {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== PREFIX || !parts.slice(2).every((p) => B64URL.test(p))) throw unreadable('not a sealed value');
      const [, id = '', ivText = '', ctText = '', tagText = ''] = parts;
      const key = ring.get(id);
      if (key === undefined) throw unreadable(`key ${KEY_ID.test(id) ? id : '?'} is not in the key ring`);
      const iv = Buffer.from(ivText, 'base64url');
      const tag = Buffer.from(tagText, 'base64url');
      if (iv.length !== 12 || tag.length !== 16) throw unreadable('malformed');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
        decipher.setAAD(aad(context));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new AuthError('AUTH_SECRET_UNREADABLE', 'a sealed secret cannot be opened (altered, or sealed for another record)', { cause });
      }
    },
    isSealed,
    needsReseal(value: string): boolean {
      return !isSealed(value) || value.split('.')[1] !== options.activeId;
    },
  });
}

/** A new random 32-byte key with a short id derived from it (for `PLOTBOX_SECRETS_KEY` files). */
export function generateSecretKey(randomBytes: RandomBytes = defaultRandomBytes): { readonly id: string; readonly key: string } {
  const key = drawBytes(randomBytes, 32);
  return { id: secretKeyId(key), key: key.toString('base64url') };
}

/** The id a key gets when none is given: 8 hex digits of its SHA-256 (reveals nothing usable). */
export function secretKeyId(key: Uint8Array): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}
