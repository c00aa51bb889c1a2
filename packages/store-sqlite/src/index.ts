/**
 * @plotbox/store-sqlite — the embedded default metadata store on `node:sqlite`.
 */
export { createSqliteStore } from './sqlite-store.ts';
export type { SqliteStore, SqliteStoreOptions } from './sqlite-store.ts';
export { SQLITE_MIGRATIONS, migrateSqlite } from './migrations.ts';
export type { Migration } from './migrations.ts';
