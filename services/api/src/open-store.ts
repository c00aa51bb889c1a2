/**
 * Open the metadata store the configuration names: MongoDB when `MONGODB_URI` is set, else the
 * embedded SQLite file `<dataDir>/plotbox.db`.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { ApiConfig } from '@plotbox/config';
import type { Store } from '@plotbox/store';
import { createMongoStore } from '@plotbox/store-mongo';
import { createSqliteStore } from '@plotbox/store-sqlite';

/** The opened store and how to release everything it opened (the Mongo client too). */
export async function openStore(config: ApiConfig, deps: { readonly now?: () => Date; readonly newId?: () => string } = {}): Promise<{ readonly store: Store; readonly close: () => Promise<void> }> {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  if (config.mongo !== null) {
    const client = new MongoClient(config.mongo.uri, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    const store = await createMongoStore({ db: client.db(config.mongo.dbName), now, newId });
    return {
      store,
      close: async () => {
        await store.close();
        await client.close();
      },
    };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const path = join(config.dataDir, 'plotbox.db');
  const store = createSqliteStore({ path, now, newId });
  // Password hashes and audit live here: owner-only, whatever the umask (WAL files inherit it).
  chmodSync(path, 0o600);
  return { store, close: () => store.close() };
}
