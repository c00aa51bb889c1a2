/**
 * The JWT key set: from configuration (production: `PLOTBOX_JWT_KEYS(_FILE)`), or in dev generated
 * once into `<dataDir>/keys/jwt-keys.json` (directory 0700, file 0600; `.data/` is gitignored)
 * and reused on every later start. Both use the same JSON format, so a dev file shows what a
 * production secret looks like.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKeySet, generateDevKeyPair, type KeySet } from '@plotbox/auth';
import type { JwtKeysConfig } from '@plotbox/config';

export const DEV_KEYS_FILE = 'jwt-keys.json';

/**
 * Build the key set. Throws `AuthError` `AUTH_KEY_CONFIG` for unusable keys (at boot).
 * @returns the key set and whether a dev key pair was generated just now.
 */
export function loadKeySet(keys: JwtKeysConfig): { readonly keySet: KeySet; readonly generated: boolean } {
  if (keys.source === 'configured') return { keySet: createKeySet({ keys: keys.keys, activeKid: keys.activeKid }), generated: false };
  const file = join(keys.dir, DEV_KEYS_FILE);
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let generated = false;
  if (text === null) {
    mkdirSync(keys.dir, { recursive: true, mode: 0o700 });
    chmodSync(keys.dir, 0o700);
    const pair = generateDevKeyPair();
    text = `${JSON.stringify({ activeKid: pair.kid, keys: [pair] }, null, 2)}\n`;
    try {
      // `wx`: if another process created it meanwhile, use theirs.
      writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
      generated = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      text = readFileSync(file, 'utf8');
    }
  }
  const parsed = JSON.parse(text) as { activeKid: string; keys: { kid: string; publicKeyPem: string; privateKeyPem?: string }[] };
  return { keySet: createKeySet({ keys: parsed.keys, activeKid: parsed.activeKid }), generated };
}
