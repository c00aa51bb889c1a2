/** The render cache on SQLite: `render_cache`, bounded by a TTL and a number of entries. */
import { RENDER_CACHE_INPUTS, assembleRepository, parseJson } from '@plotbox/store';
import type { RenderCacheEntry, RenderCacheRepository, RenderCacheText } from '@plotbox/store';
import type { SqliteHandle } from '../handle.ts';
import { date, num, optStr, str } from '../rows.ts';
import type { Row } from '../rows.ts';

function toEntry(r: Row): RenderCacheEntry {
  const figure = optStr(r, 'figure');
  return {
    key: { codeHash: str(r, 'code_hash'), datasetVersionId: str(r, 'dataset_version_id'), runtimeVersion: str(r, 'runtime_version') },
    figure: figure === null ? null : parseJson(figure),
    blobKey: optStr(r, 'blob_key'),
    createdAt: date(r, 'created_at'),
    expiresAt: date(r, 'expires_at'),
  };
}

/** The stored text, unparsed (issue 16: the API serves it as it is). */
function toText(r: Row): RenderCacheText {
  return {
    key: { codeHash: str(r, 'code_hash'), datasetVersionId: str(r, 'dataset_version_id'), runtimeVersion: str(r, 'runtime_version') },
    figureJson: optStr(r, 'figure'),
    blobKey: optStr(r, 'blob_key'),
    createdAt: date(r, 'created_at'),
    expiresAt: date(r, 'expires_at'),
  };
}

export function createRenderCacheRepository(h: SqliteHandle, bounds: { readonly ttlMs: number; readonly maxEntries: number }): RenderCacheRepository {
  return assembleRepository(RENDER_CACHE_INPUTS, h.op, {
    get: (k) =>
      h.find(
        toEntry,
        'SELECT * FROM render_cache WHERE code_hash = ? AND dataset_version_id = ? AND runtime_version = ? AND expires_at > ?',
        k.codeHash,
        k.datasetVersionId,
        k.runtimeVersion,
        h.nowMs(),
      ),
    getText: (k) =>
      h.find(
        toText,
        'SELECT * FROM render_cache WHERE code_hash = ? AND dataset_version_id = ? AND runtime_version = ? AND expires_at > ?',
        k.codeHash,
        k.datasetVersionId,
        k.runtimeVersion,
        h.nowMs(),
      ),
    put: ({ key: k, value: v }) => {
      const t = h.nowMs();
      const r = h.one(
        `INSERT INTO render_cache (code_hash, dataset_version_id, runtime_version, figure, blob_key, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (code_hash, dataset_version_id, runtime_version) DO UPDATE SET
           figure = excluded.figure, blob_key = excluded.blob_key, created_at = excluded.created_at, expires_at = excluded.expires_at
         RETURNING *`,
        k.codeHash,
        k.datasetVersionId,
        k.runtimeVersion,
        v.figure,
        v.blobKey,
        t,
        t + bounds.ttlMs,
      );
      return toEntry(r as Row);
    },
    prune: () =>
      h.tx(() => {
        const t = h.nowMs();
        const blobKeys: string[] = [];
        const collect = (rows: Row[]) => {
          for (const r of rows) {
            const b = optStr(r, 'blob_key');
            if (b !== null) blobKeys.push(b);
          }
        };
        collect(h.all('SELECT blob_key FROM render_cache WHERE expires_at <= ? AND blob_key IS NOT NULL', t));
        let removed = h.run('DELETE FROM render_cache WHERE expires_at <= ?', t);
        const excess = num(h.one('SELECT COUNT(*) AS n FROM render_cache') as Row, 'n') - bounds.maxEntries;
        if (excess > 0) {
          const victims = 'SELECT rowid FROM render_cache ORDER BY created_at, rowid LIMIT ?';
          collect(h.all(`SELECT blob_key FROM render_cache WHERE rowid IN (${victims}) AND blob_key IS NOT NULL`, excess));
          removed += h.run(`DELETE FROM render_cache WHERE rowid IN (${victims})`, excess);
        }
        return { removed, blobKeys };
      }),
  });
}
