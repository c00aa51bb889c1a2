/** Input checks of the API keys repository. */
import type { ApiKeyRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertId, assertKnownKeys, assertObject, assertOptionalDate, assertString } from '../validate.ts';
import { FIELD_LIMITS, checkId, checkName } from './common.ts';

export function checkNewApiKey(input: unknown) {
  const v = assertObject(input, 'apiKey');
  assertKnownKeys(v, 'apiKey', ['userId', 'name', 'prefix', 'hash', 'expiresAt']);
  return {
    userId: assertId(v.userId, 'userId'),
    name: assertString(v.name, 'name', FIELD_LIMITS.name, 1),
    prefix: assertString(v.prefix, 'prefix', FIELD_LIMITS.name, 1),
    hash: assertString(v.hash, 'hash', FIELD_LIMITS.hash, 1),
    expiresAt: assertOptionalDate(v.expiresAt, 'expiresAt'),
  };
}

/** The input check of every {@link ApiKeyRepository} operation; times as epoch ms. */
export const API_KEY_INPUTS = {
  create: (input: unknown) => checkNewApiKey(input),
  findById: (id: unknown) => checkId(id),
  findByPrefix: (prefix: unknown) => checkName(prefix, 'prefix'),
  listByUser: (userId: unknown, page: unknown) => ({ userId: assertId(userId, 'userId'), page: checkPage(page, 'api_keys') }),
  markUsed: (id: unknown) => checkId(id),
  revoke: (id: unknown) => checkId(id),
} satisfies InputChecks<ApiKeyRepository>;
