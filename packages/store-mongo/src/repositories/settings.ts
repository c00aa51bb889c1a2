/** Settings on MongoDB: `settings`, small named records that may expire (`_id` = the key). */
import type { Filter } from 'mongodb';
import { SETTING_INPUTS, assembleRepository, parseJson } from '@plotbox/store';
import type { SettingRecord, SettingsRepository } from '@plotbox/store';
import type { SettingDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { CAS_ATTEMPTS, contention, isDuplicateKey } from '../errors.ts';
import { findOne } from '../queries.ts';

function toSetting(d: SettingDoc): SettingRecord {
  return { key: d._id, value: parseJson(d.value), updatedAt: d.updatedAt, expiresAt: d.expiresAt };
}

const liveFilter = (key: string, t: Date): Filter<SettingDoc> => ({ _id: key, $or: [{ expiresAt: null }, { expiresAt: { $gt: t } }] });

export function createSettingsRepository(h: MongoHandle): SettingsRepository {
  const settings = h.c.settings;
  const settingDoc = (v: { readonly key: string; readonly value: string; readonly expiresAt: number | null }, t: Date): SettingDoc => ({
    _id: v.key,
    value: v.value,
    updatedAt: t,
    expiresAt: v.expiresAt === null ? null : new Date(v.expiresAt),
  });

  return assembleRepository(SETTING_INPUTS, h.op, {
    get: (key) => findOne(settings, liveFilter(key, h.now()), toSetting),
    put: async (v) => {
      const doc = settingDoc(v, h.now());
      await settings.replaceOne({ _id: v.key }, doc, { upsert: true });
      return toSetting(doc);
    },
    putIfAbsent: async (v) => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
        const t = h.now();
        const doc = settingDoc(v, t);
        try {
          await settings.insertOne(doc);
          return { record: toSetting(doc), created: true };
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
        // A record exists: take it over only if it has expired (one atomic conditional replace).
        const replaced = await settings.findOneAndReplace({ _id: v.key, expiresAt: { $ne: null, $lte: t } }, doc);
        if (replaced !== null) return { record: toSetting(doc), created: true };
        const live = await findOne(settings, liveFilter(v.key, t), toSetting);
        if (live !== null) return { record: live, created: false };
      }
      throw contention();
    },
    delete: async (key) => (await settings.deleteOne(liveFilter(key, h.now()))).deletedCount > 0,
    prune: async () => (await settings.deleteMany({ expiresAt: { $ne: null, $lte: h.now() } })).deletedCount,
  });
}
