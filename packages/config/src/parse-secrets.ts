import type { JwtKeyConfig, JwtKeysConfig, SecretsKeyConfig } from './api-config.ts';
import { ConfigError } from './config-error.ts';

const KID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** `PLOTBOX_JWT_KEYS(_FILE)` and `PLOTBOX_JWT_ACTIVE_KID`: a configured key set, or (dev only) keys generated into `<dataDir>/keys`. */
export function parseJwtKeys(raw: string | undefined, activeKidRaw: string | undefined, production: boolean, dataDir: string): JwtKeysConfig {
  if (raw === undefined) {
    if (production) throw new ConfigError('PLOTBOX_JWT_KEYS or PLOTBOX_JWT_KEYS_FILE is required in production');
    if (activeKidRaw !== undefined) throw new ConfigError('PLOTBOX_JWT_ACTIVE_KID needs PLOTBOX_JWT_KEYS(_FILE)');
    return { source: 'dev', dir: `${dataDir.replace(/\/+$/u, '')}/keys` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('PLOTBOX_JWT_KEYS is not JSON ({"keys":[{"kid","publicKeyPem","privateKeyPem"?}],"activeKid"?})');
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new ConfigError('PLOTBOX_JWT_KEYS must be an object with a "keys" array');
  }
  const list = (parsed as { keys: unknown[]; activeKid?: unknown }).keys;
  if (list.length === 0 || list.length > 16) throw new ConfigError('PLOTBOX_JWT_KEYS must hold 1 to 16 keys');
  const keys: JwtKeyConfig[] = list.map((k, i) => {
    if (typeof k !== 'object' || k === null) throw new ConfigError(`PLOTBOX_JWT_KEYS key ${i} is not an object`);
    const { kid, publicKeyPem, privateKeyPem } = k as Record<string, unknown>;
    if (typeof kid !== 'string' || !KID.test(kid)) throw new ConfigError(`PLOTBOX_JWT_KEYS key ${i} has no valid "kid"`);
    if (typeof publicKeyPem !== 'string' || !publicKeyPem.includes('-----BEGIN')) throw new ConfigError(`PLOTBOX_JWT_KEYS key ${kid} has no PEM "publicKeyPem"`);
    if (privateKeyPem !== undefined && (typeof privateKeyPem !== 'string' || !privateKeyPem.includes('-----BEGIN'))) {
      throw new ConfigError(`PLOTBOX_JWT_KEYS key ${kid} has a "privateKeyPem" that is not PEM`);
    }
    return privateKeyPem === undefined ? { kid, publicKeyPem } : { kid, publicKeyPem, privateKeyPem };
  });
  const fileActive = (parsed as { activeKid?: unknown }).activeKid;
  const withPrivate = keys.filter((k) => k.privateKeyPem !== undefined);
  const activeKid = activeKidRaw ?? (typeof fileActive === 'string' ? fileActive : withPrivate.length === 1 ? withPrivate[0]?.kid : undefined);
  if (activeKid === undefined) throw new ConfigError('PLOTBOX_JWT_ACTIVE_KID is required when the key set does not name one signing key');
  if (!withPrivate.some((k) => k.kid === activeKid)) throw new ConfigError('PLOTBOX_JWT_ACTIVE_KID must name a key with a private key');
  return { source: 'configured', keys, activeKid };
}

const SECRET_KEY_ID = /^[A-Za-z0-9_-]{1,32}$/u;

/** 32 bytes written as base64url, base64 or hex, as base64url; `null` otherwise. */
function key32(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const t = text.trim();
  let bytes: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/u.test(t)) bytes = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9_-]{43}$/u.test(t)) bytes = Buffer.from(t, 'base64url');
  else if (/^[A-Za-z0-9+/]{43}=$/u.test(t)) bytes = Buffer.from(t, 'base64');
  return bytes !== null && bytes.length === 32 ? bytes.toString('base64url') : null;
}

/**
 * `PLOTBOX_SECRETS_KEY(_FILE)`: one 32-byte key (base64url, base64 or hex; its id derived from it
 * by the API), or a key ring `{"activeKeyId": "k2", "keys": [{"id": "k1", "key": "..."}, ...]}`
 * for rotation. Required in production; in dev a key is generated into `<dataDir>/keys`.
 */
export function parseSecretsKey(raw: string | undefined, production: boolean, dataDir: string): SecretsKeyConfig {
  if (raw === undefined) {
    if (production) throw new ConfigError('PLOTBOX_SECRETS_KEY or PLOTBOX_SECRETS_KEY_FILE is required in production');
    return { source: 'dev', dir: `${dataDir.replace(/\/+$/u, '')}/keys` };
  }
  const single = key32(raw);
  // One bare key: its id is derived from it by the API (`null` here).
  if (single !== null) return { source: 'configured', keys: [{ id: null, key: single }], activeId: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('PLOTBOX_SECRETS_KEY must be a 32-byte key (base64url, base64 or hex) or a key ring {"activeKeyId","keys":[{"id","key"}]}');
  }
  const ring = parsed as { activeKeyId?: unknown; keys?: unknown };
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(ring.keys) || ring.keys.length === 0 || ring.keys.length > 16) {
    throw new ConfigError('PLOTBOX_SECRETS_KEY must hold 1 to 16 keys');
  }
  const keys = ring.keys.map((k: unknown, i: number) => {
    const { id, key } = (typeof k === 'object' && k !== null ? k : {}) as { id?: unknown; key?: unknown };
    if (typeof id !== 'string' || !SECRET_KEY_ID.test(id)) throw new ConfigError(`PLOTBOX_SECRETS_KEY key ${i} has no valid "id"`);
    const material = key32(key);
    if (material === null) throw new ConfigError(`PLOTBOX_SECRETS_KEY key ${id} is not 32 bytes (base64url, base64 or hex)`);
    return { id, key: material };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw new ConfigError('PLOTBOX_SECRETS_KEY key ids must be unique');
  const activeId: string | undefined = typeof ring.activeKeyId === 'string' ? ring.activeKeyId : keys.length === 1 ? keys[0]?.id : undefined;
  if (activeId === undefined || !keys.some((k) => k.id === activeId)) throw new ConfigError('PLOTBOX_SECRETS_KEY "activeKeyId" must name one of its keys');
  return { source: 'configured', keys, activeId };
}
