/**
 * Input checks shared by several repositories: field size limits, names, optimistic versions, ids
 * and page requests. See `inputs.ts` for what the checks are for.
 */
import { assertId, assertInt, assertString } from '../validate.ts';

/** Field size limits (generous: the API enforces the product limits; these only bound storage). */
export const FIELD_LIMITS = Object.freeze({
  name: 200,
  description: 4000,
  secret: 1024,
  hash: 1024,
  userAgent: 2048,
  ip: 128,
  reason: 200,
  maxRecoveryCodes: 100,
  code: 256 * 1024,
  layoutBytes: 256 * 1024,
  diagnosticsBytes: 256 * 1024,
  schemaBytes: 1024 * 1024,
  profileBytes: 1024 * 1024,
  figureBytes: 8 * 1024 * 1024,
  counterKey: 512,
  maxPrincipals: 1000,
  maxGroupMembers: 10_000,
});

export function checkName(value: unknown, field = 'name'): string {
  return assertString(value, field, FIELD_LIMITS.name, 1);
}

/** The expected version of an optimistic update. */
export function checkVersion(value: unknown): number {
  return assertInt(value, 'expectedVersion', 1);
}

/** The `id` argument of `findById`, `delete` and the like. */
export function checkId(value: unknown): string {
  return assertId(value, 'id');
}

/** Arguments of `update(id, expectedVersion, patch)`, in that order, the patch by `checkPatch`. */
export function checkUpdate<P>(id: unknown, expectedVersion: unknown, patch: unknown, checkPatch: (patch: unknown) => P): { readonly id: string; readonly expectedVersion: number; readonly patch: P } {
  const checkedId = checkId(id);
  const version = checkVersion(expectedVersion);
  return { id: checkedId, expectedVersion: version, patch: checkPatch(patch) };
}

/** A hash (token, recovery code, API key): 1..{@link FIELD_LIMITS}.hash characters. */
export function checkTokenHash(value: unknown, field = 'tokenHash'): string {
  return assertString(value, field, FIELD_LIMITS.hash, 1);
}
