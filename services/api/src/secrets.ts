/**
 * The key ring that seals secrets kept in the store (`@plotbox/auth`'s secret box): configured
 * (`PLOTBOX_SECRETS_KEY(_FILE)`, required in production), or in dev generated once into
 * `<dataDir>/keys/secrets-key.json` (0600) and reused. And the TOTP secret helpers that every
 * reader and writer of `user.totp.secret` goes through, so no code path meets a sealed value by
 * surprise or writes a clear one.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createSecretBox, generateSecretKey, isAuthError, secretKeyId, type SecretBox } from '@plotbox/auth';
import type { SecretsKeyConfig } from '@plotbox/config';
import { isStoreError, type Store, type User } from '@plotbox/store';

export const DEV_SECRETS_FILE = 'secrets-key.json';

/** Build the box from configuration, generating the dev key on a first start. */
export function loadSecretBox(config: SecretsKeyConfig): { readonly box: SecretBox; readonly generated: boolean } {
  if (config.source === 'configured') {
    const keys = config.keys.map((k) => {
      const key = Buffer.from(k.key, 'base64url');
      return { id: k.id ?? secretKeyId(key), key };
    });
    return { box: createSecretBox({ keys, activeId: config.activeId ?? (keys[0]?.id as string) }), generated: false };
  }
  const file = join(config.dir, DEV_SECRETS_FILE);
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let generated = false;
  if (text === null) {
    mkdirSync(config.dir, { recursive: true, mode: 0o700 });
    chmodSync(config.dir, 0o700);
    const k = generateSecretKey();
    text = `${JSON.stringify({ activeKeyId: k.id, keys: [k] }, null, 2)}\n`;
    try {
      writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
      generated = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      text = readFileSync(file, 'utf8');
    }
  }
  const ring = JSON.parse(text) as { activeKeyId: string; keys: { id: string; key: string }[] };
  return { box: createSecretBox({ keys: ring.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64url') })), activeId: ring.activeKeyId }), generated };
}

/** What a TOTP secret is sealed for: its user (a sealed value moved to another user does not open). */
function totpContext(userId: string): string {
  return `totp:${userId}`;
}

/** Seal a new TOTP secret for `userId`. */
export function sealTotpSecret(box: SecretBox, userId: string, secret: string): string {
  return box.seal(secret, totpContext(userId));
}

/**
 * The user's TOTP secret in clear, or `null` when it cannot be opened (its key was retired, or the
 * record was tampered with): such a user cannot pass the second factor until an admin resets it.
 * A legacy clear value (stored before secrets were sealed) is returned as it is; the startup
 * reseal seals it.
 */
export function openTotpSecret(box: SecretBox, user: User): string | null {
  const stored = user.totp?.secret;
  if (stored === undefined) return null;
  if (!box.isSealed(stored)) return stored;
  try {
    return box.open(stored, totpContext(user.id));
  } catch (err) {
    if (isAuthError(err, 'AUTH_SECRET_UNREADABLE')) return null;
    throw err;
  }
}

/**
 * Seal every stored TOTP secret that is clear or sealed with a key other than the active one (after
 * a key rotation), user by user with a versioned update: safe on several replicas at once (a lost
 * race means another replica resealed it). Returns the counts; unreadable secrets are logged (by
 * user id, never the value) and left alone.
 */
export async function resealStoredSecrets(deps: { readonly store: Store; readonly box: SecretBox; readonly logger: Logger }): Promise<{ readonly resealed: number; readonly unreadable: number }> {
  const { store, box, logger } = deps;
  let resealed = 0;
  let unreadable = 0;
  let cursor: string | undefined;
  for (let pages = 0; pages < 100_000; pages++) {
    const page = await store.users.list(cursor === undefined ? { limit: 200 } : { limit: 200, cursor });
    for (const user of page.items) {
      const totp = user.totp;
      if (totp === null || !box.needsReseal(totp.secret)) continue;
      const clear = openTotpSecret(box, user);
      if (clear === null) {
        unreadable += 1;
        logger.warn({ userId: user.id }, 'a stored TOTP secret cannot be opened with the configured keys (was its key retired too early?)');
        continue;
      }
      try {
        await store.users.update(user.id, user.version, { totp: { ...totp, secret: sealTotpSecret(box, user.id, clear) } });
        resealed += 1;
      } catch (err) {
        if (!isStoreError(err, 'STORE_VERSION_MISMATCH') && !isStoreError(err, 'STORE_NOT_FOUND')) throw err;
      }
    }
    if (page.nextCursor === undefined) break;
    cursor = page.nextCursor;
  }
  if (resealed > 0 || unreadable > 0) logger.info({ resealed, unreadable, activeKey: box.activeId }, 'stored secrets resealed');
  return { resealed, unreadable };
}
