/** Driver errors → `StoreError`s, and the failures of a compare-and-set that keeps losing. */
import { MongoError, MongoServerError } from 'mongodb';
import { StoreError, conflict } from '@plotbox/store';
import { UNIQUE_INDEX_CONSTRAINTS } from './indexes.ts';

const DUP_KEY = /collection: [^.\s]+\.(\S+) index: (\S+) dup key/;

/**
 * Translate driver errors into {@link StoreError}s: duplicate keys (11000) become
 * `STORE_CONFLICT` naming the constraint (from the index name), other driver errors
 * `STORE_UNAVAILABLE`. The driver message stays in `cause` only.
 */
export function mapMongoError(error: unknown): unknown {
  if (error instanceof StoreError) return error;
  if (error instanceof MongoServerError && error.code === 11000) {
    const m = DUP_KEY.exec(error.message);
    const collection = m?.[1];
    const index = m?.[2];
    const constraint =
      (index === undefined ? undefined : UNIQUE_INDEX_CONSTRAINTS[index]) ??
      (collection === undefined || index === undefined ? undefined : UNIQUE_INDEX_CONSTRAINTS[`${collection}.${index}`]) ??
      'primary_key';
    return conflict(constraint, error);
  }
  if (error instanceof MongoServerError && (error.code === 14031 || error.codeName === 'OutOfDiskSpace')) {
    return new StoreError('STORE_UNAVAILABLE', 'the database disk is full', { reason: 'storage_full', cause: error });
  }
  if (error instanceof MongoError) return new StoreError('STORE_UNAVAILABLE', 'database error', { reason: 'database', cause: error });
  return error;
}

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/** How often a compare-and-set loop retries before giving up with {@link contention}. */
export const CAS_ATTEMPTS = 20;

export function contention(): StoreError {
  return new StoreError('STORE_UNAVAILABLE', 'too much contention, try again', { reason: 'contention' });
}
