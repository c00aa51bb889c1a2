/** The API keys repository on MongoDB: `api_keys`. */
import { API_KEY_INPUTS, assembleRepository, byCreatedAt, notFound } from '@plotbox/store';
import type { ApiKey, ApiKeyRepository } from '@plotbox/store';
import type { ApiKeyDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { existsIn, findOne, paged } from '../queries.ts';

function toApiKey(d: ApiKeyDoc): ApiKey {
  return {
    id: d._id,
    userId: d.userId,
    name: d.name,
    prefix: d.prefix,
    hash: d.hash,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
    lastUsedAt: d.lastUsedAt,
    revokedAt: d.revokedAt,
  };
}

export function createApiKeysRepository(h: MongoHandle): ApiKeyRepository {
  const keys = h.c.apiKeys;
  return assembleRepository(API_KEY_INPUTS, h.op, {
    create: async (c) => {
      if (!(await existsIn(h.c.users, c.userId))) throw notFound('user');
      const doc: ApiKeyDoc = {
        _id: h.newId(),
        userId: c.userId,
        name: c.name,
        prefix: c.prefix,
        hash: c.hash,
        createdAt: h.now(),
        expiresAt: c.expiresAt === null ? null : new Date(c.expiresAt),
        lastUsedAt: null,
        revokedAt: null,
      };
      await keys.insertOne(doc);
      return toApiKey(doc);
    },
    findById: (id) => findOne(keys, { _id: id }, toApiKey),
    findByPrefix: (prefix) => findOne(keys, { prefix }, toApiKey),
    listByUser: ({ userId, page }) => paged(keys, { filter: { userId }, timeField: 'createdAt', map: toApiKey, position: byCreatedAt }, page),
    markUsed: async (id) => (await keys.updateOne({ _id: id }, { $set: { lastUsedAt: h.now() } })).matchedCount === 1,
    revoke: async (id) => (await keys.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: h.now() } })).modifiedCount === 1,
  });
}
