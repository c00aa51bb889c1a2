/** Settings: small replica-wide named records. */
import type { JsonValue } from './common.ts';

/**
 * A small named record of replica-wide state: things that decide requests and so must not live in
 * one process's memory (the setup tokens a replica printed, the sandbox runtime version the render
 * cache is keyed by). Keys are `[A-Za-z0-9._:-]{1,200}`; values are JSON of at most 64 KiB.
 */
export interface SettingRecord {
  readonly key: string;
  readonly value: JsonValue;
  readonly updatedAt: Date;
  /** After this instant the record reads as absent (and may be pruned); `null`: never. */
  readonly expiresAt: Date | null;
}

export interface SettingsRepository {
  /** The live record, or `null` when absent or expired. */
  get(key: string): Promise<SettingRecord | null>;
  /** Create or replace the record. */
  put(key: string, value: JsonValue, options?: { readonly expiresAt?: Date | null }): Promise<SettingRecord>;
  /**
   * Create the record only when there is no live one (atomic across replicas). Returns the live
   * record afterwards and whether this call created it.
   */
  putIfAbsent(key: string, value: JsonValue, options?: { readonly expiresAt?: Date | null }): Promise<{ readonly record: SettingRecord; readonly created: boolean }>;
  /** Delete the record; `true` when a live record was deleted by this call (one winner among concurrent callers). */
  delete(key: string): Promise<boolean>;
  /** Delete expired records; returns how many. */
  prune(): Promise<number>;
}
