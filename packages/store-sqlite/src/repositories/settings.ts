/** Settings on SQLite: `settings`, small named records that may expire. */
import { SETTING_INPUTS, assembleRepository, parseJson } from '@plotbox/store';
import type { SettingRecord, SettingsRepository } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { date, optDate, str } from '../rows.ts';
import type { Row } from '../rows.ts';

function toSetting(r: Row): SettingRecord {
  return { key: str(r, 'key'), value: parseJson(str(r, 'value')), updatedAt: date(r, 'updated_at'), expiresAt: optDate(r, 'expires_at') };
}

export function createSettingsRepository(h: SqliteHandle): SettingsRepository {
  const live = (key: string, t: number): SettingRecord | null => h.find(toSetting, 'SELECT * FROM settings WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)', key, t);
  const upsert = (v: { readonly key: string; readonly value: string; readonly expiresAt: number | null }, t: number): SettingRecord =>
    toSetting(
      h.one(
        `INSERT INTO settings (key, value, updated_at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expires_at = excluded.expires_at
         RETURNING *`,
        v.key,
        v.value,
        t,
        v.expiresAt,
      ) as Row,
    );

  return assembleRepository(SETTING_INPUTS, h.op, {
    get: (key) => live(key, h.nowMs()),
    put: (v) => upsert(v, h.nowMs()),
    // One transaction: of two replicas racing, the second sees the first's record.
    putIfAbsent: (v) =>
      h.tx(() => {
        const t = h.nowMs();
        const found = live(v.key, t);
        if (found !== null) return { record: found, created: false };
        return { record: upsert(v, t), created: true };
      }),
    delete: (key) => h.run('DELETE FROM settings WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)', key, h.nowMs()) > 0,
    prune: () => h.run('DELETE FROM settings WHERE expires_at IS NOT NULL AND expires_at <= ?', h.nowMs()),
  });
}
