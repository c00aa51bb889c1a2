/** Driver errors → `StoreError`s. The SQLite message stays in `cause` only. */
import { StoreError, conflict } from '@plotbox/store';
import type { StoreConstraint } from '@plotbox/store';

/** SQLite unique indexes (as SQLite names their columns) → the constraint names callers see. */
const UNIQUE_CONSTRAINTS: Readonly<Record<string, StoreConstraint>> = {
  'users.email_key': 'users.email',
  'user_identities.issuer, user_identities.subject': 'users.identity',
  'api_keys.prefix': 'api_keys.prefix',
  'user_groups.name': 'groups.name',
  'datasets.project_id, datasets.name': 'datasets.project_name',
  'dashboards.project_id, dashboards.name': 'dashboards.project_name',
  'refresh_tokens.token_hash': 'refresh_tokens.token_hash',
  'render_cache.code_hash, render_cache.dataset_version_id, render_cache.runtime_version': 'render_cache.key',
};

function isSqliteError(e: unknown): e is Error & { code: string; errcode: number } {
  return e instanceof Error && (e as { code?: unknown }).code === 'ERR_SQLITE_ERROR' && typeof (e as { errcode?: unknown }).errcode === 'number';
}

/** Translate driver errors into {@link StoreError}s; anything else (a bug) passes unchanged. */
export function mapSqliteError(e: unknown): unknown {
  if (e instanceof StoreError) return e;
  if (isSqliteError(e)) {
    const prefix = 'UNIQUE constraint failed: ';
    if (e.message.startsWith(prefix)) return conflict(UNIQUE_CONSTRAINTS[e.message.slice(prefix.length)] ?? 'primary_key', e);
    if (e.message.includes('FOREIGN KEY constraint failed')) return conflict('reference', e);
    const primary = e.errcode & 0xff;
    if (primary === 5 || primary === 6) return new StoreError('STORE_UNAVAILABLE', 'database is busy', { reason: 'busy', cause: e });
    // SQLITE_FULL, or an I/O error that is the disk being full (SQLITE_IOERR_WRITE on ENOSPC).
    if (primary === 13 || (primary === 10 && /full|space/iu.test(e.message))) return new StoreError('STORE_UNAVAILABLE', 'the database disk is full', { reason: 'storage_full', cause: e });
    return new StoreError('STORE_UNAVAILABLE', 'database error', { reason: 'database', cause: e });
  }
  if (e instanceof Error && (e as { code?: unknown }).code === 'ERR_INVALID_STATE') {
    return new StoreError('STORE_UNAVAILABLE', 'database is closed', { reason: 'closed', cause: e });
  }
  return e;
}
