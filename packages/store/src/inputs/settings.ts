/** Input checks of the settings repository. */
import { invalid } from '../store-error.ts';
import type { SettingsRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { assertDate, assertKnownKeys, assertObject, assertString, serializeJson } from '../validate.ts';

const SETTING_KEY = /^[A-Za-z0-9._:-]{1,200}$/u;
/** The largest setting value, JSON bytes. */
export const MAX_SETTING_BYTES = 64 * 1024;

export function checkSettingKey(value: unknown): string {
  const key = assertString(value, 'key', 200, 1);
  if (!SETTING_KEY.test(key)) throw invalid('key', 'must match [A-Za-z0-9._:-]{1,200}');
  return key;
}

/** A setting's value and expiry: the value serialized, the expiry as epoch ms or `null`. */
export function checkSettingInput(value: unknown, options: unknown): { readonly value: string; readonly expiresAt: number | null } {
  const o = options === undefined ? {} : assertObject(options, 'options');
  assertKnownKeys(o, 'options', ['expiresAt']);
  const expiresAt = o.expiresAt === undefined || o.expiresAt === null ? null : assertDate(o.expiresAt, 'expiresAt');
  return { value: serializeJson(value, 'value', MAX_SETTING_BYTES), expiresAt };
}

/** `put`/`putIfAbsent`'s arguments. */
function checkSettingWrite(key: unknown, value: unknown, options: unknown): { readonly key: string; readonly value: string; readonly expiresAt: number | null } {
  const k = checkSettingKey(key);
  return { key: k, ...checkSettingInput(value, options) };
}

/** The input check of every {@link SettingsRepository} operation; values serialized, times as epoch ms. */
export const SETTING_INPUTS = {
  get: (key: unknown) => checkSettingKey(key),
  put: (key: unknown, value: unknown, options?: unknown) => checkSettingWrite(key, value, options),
  putIfAbsent: (key: unknown, value: unknown, options?: unknown) => checkSettingWrite(key, value, options),
  delete: (key: unknown) => checkSettingKey(key),
  prune: () => undefined,
} satisfies InputChecks<SettingsRepository>;
