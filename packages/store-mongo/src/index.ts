/**
 * @plotbox/store-mongo — the MongoDB metadata store over an injected `Db`.
 */
export { createMongoStore, mapMongoError } from './mongo-store.ts';
export type { MongoStoreOptions } from './mongo-store.ts';
export { ensureIndexes, MONGO_INDEXES, COLLECTIONS, UNIQUE_INDEX_CONSTRAINTS } from './indexes.ts';
