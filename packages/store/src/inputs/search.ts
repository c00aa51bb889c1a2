/** Input checks of the people finder (users and groups by prefix). */
import { MAX_SEARCH_LIMIT } from '../ports.ts';
import { assertBoolean, assertInt, assertKnownKeys, assertObject, assertString } from '../validate.ts';

/** A prefix search (users, groups): prefix 1..100 characters, limit 1..{@link MAX_SEARCH_LIMIT}. */
export function checkSearch(query: unknown, allowed: readonly string[] = ['prefix', 'limit']) {
  const v = assertObject(query, 'query');
  assertKnownKeys(v, 'query', allowed);
  return {
    prefix: assertString(v.prefix, 'prefix', 100, 1),
    limit: assertInt(v.limit, 'limit', 1, MAX_SEARCH_LIMIT),
    enabledOnly: v.enabledOnly === undefined ? false : assertBoolean(v.enabledOnly, 'enabledOnly'),
  };
}

/** `prefix` as a LIKE pattern's literal part: `%`, `_` and the escape character match themselves (`ESCAPE '\\'`). */
export function likeLiteral(prefix: string): string {
  return prefix.replace(/[\\%_]/gu, (c) => `\\${c}`);
}
