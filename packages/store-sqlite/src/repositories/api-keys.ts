/** The API keys repository on SQLite: `api_keys`. */
import { API_KEY_INPUTS, assembleRepository, byCreatedAt } from '@plotbox/store';
import type { ApiKey, ApiKeyRepository } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { insertUnder, paged } from '../queries.ts';
import { date, optDate, str } from '../rows.ts';
import type { Row } from '../rows.ts';

function toApiKey(r: Row): ApiKey {
  return {
    id: str(r, 'id'),
    userId: str(r, 'user_id'),
    name: str(r, 'name'),
    prefix: str(r, 'prefix'),
    hash: str(r, 'hash'),
    createdAt: date(r, 'created_at'),
    expiresAt: optDate(r, 'expires_at'),
    lastUsedAt: optDate(r, 'last_used_at'),
    revokedAt: optDate(r, 'revoked_at'),
  };
}

export function createApiKeysRepository(h: SqliteHandle): ApiKeyRepository {
  const find = (column: 'id' | 'prefix', value: string): ApiKey | null => h.find(toApiKey, `SELECT * FROM api_keys WHERE ${column} = ?`, value);
  return assembleRepository(API_KEY_INPUTS, h.op, {
    create: (c) => {
      const { id } = insertUnder(h, { table: 'users', id: c.userId, entity: 'user' }, (kid, t) =>
        h.run('INSERT INTO api_keys (id, user_id, name, prefix, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', kid, c.userId, c.name, c.prefix, c.hash, t, c.expiresAt),
      );
      return find('id', id) as ApiKey;
    },
    findById: (id) => find('id', id),
    findByPrefix: (prefix) => find('prefix', prefix),
    listByUser: ({ userId, page }) => paged(h, { base: 'SELECT * FROM api_keys WHERE user_id = ?', params: [userId], timeColumn: 'created_at', map: toApiKey, position: byCreatedAt }, page),
    markUsed: (id) => h.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', h.nowMs(), id) === 1,
    revoke: (id) => h.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', h.nowMs(), id) === 1,
  });
}
