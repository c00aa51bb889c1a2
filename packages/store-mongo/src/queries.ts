/**
 * Query shapes several repositories share: existence checks, keyset pages and the versioned update
 * (optimistic concurrency), each written once for the MongoDB store.
 */
import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { notFound, pageOf, versionMismatch } from '@plotbox/store';
import type { CursorPosition, Page, PageQuery, Principal } from '@plotbox/store';
import type { MongoHandle } from './handle.ts';

/** Name ordering as people read it (case-insensitive), for prefix searches. */
export const CASE_INSENSITIVE = { locale: 'en', strength: 2 } as const;

/** `text` as a literal inside a regular expression (prefix searches take user input). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

/** The first document matching `filter` as a record, or `null`. */
export async function findOne<D extends { _id: string }, T>(coll: Collection<D>, filter: Filter<D>, map: (doc: D) => T, exclude?: Readonly<Record<string, 0>>): Promise<T | null> {
  const d = await coll.findOne(filter, exclude === undefined ? {} : { projection: exclude });
  return d === null ? null : map(d as D);
}

export async function existsIn<D extends { _id: string }>(coll: Collection<D>, id: string): Promise<boolean> {
  return (await coll.countDocuments({ _id: id } as Filter<D>, { limit: 1 })) === 1;
}

/** @throws `STORE_NOT_FOUND` `user` or `group` when the principal does not exist. */
export async function assertPrincipalExists(h: MongoHandle, p: Principal): Promise<void> {
  const ok = p.kind === 'user' ? await existsIn(h.c.users, p.id) : await existsIn(h.c.groups, p.id);
  if (!ok) throw notFound(p.kind);
}

/** A keyset-paged list of `coll`: `filter` selects the documents, `timeField` and `_id` order them. */
export interface PagedQuery<D, T> {
  readonly filter: Filter<D>;
  readonly timeField: string;
  readonly map: (doc: D) => T;
  readonly position: (item: T) => CursorPosition;
  /** Fields left out of the documents read (large embedded arrays the records do not show). */
  readonly exclude?: Readonly<Record<string, 0>>;
}

/** One page of `query`, after the page's cursor, in its direction. */
export async function paged<D extends { _id: string }, T>(coll: Collection<D>, query: PagedQuery<D, T>, page: PageQuery): Promise<Page<T>> {
  const t = query.timeField;
  const [after, order] = page.descending ? (['$lt', -1] as const) : (['$gt', 1] as const);
  let filter = query.filter;
  if (page.after !== null) {
    const at = new Date(page.after.t);
    filter = { $and: [filter, { $or: [{ [t]: { [after]: at } }, { [t]: at, _id: { [after]: page.after.id } }] }] } as Filter<D>;
  }
  const found = coll
    .find(filter)
    .sort({ [t]: order, _id: order })
    .limit(page.limit + 1);
  const docs = (await (query.exclude === undefined ? found : found.project(query.exclude)).toArray()) as D[];
  return pageOf(docs.map(query.map), page, query.position);
}

/** A versioned update of one document. */
export interface VersionedUpdate<D> {
  readonly entity: string;
  readonly id: string;
  /** The version the caller read; `null` updates whatever the version is. */
  readonly expectedVersion: number | null;
  /** Fields to set besides `updatedAt` (now, unless `at` is given). */
  readonly set: Partial<D>;
  readonly at?: Date;
  readonly exclude?: Readonly<Record<string, 0>>;
}

/**
 * Set fields of the document if it is still at `expectedVersion`, with `updatedAt` now and
 * `version` one more, in one `findOneAndUpdate`; else tell a stale version from a missing document.
 * @returns the document after the update.
 * @throws `STORE_VERSION_MISMATCH` or `STORE_NOT_FOUND` for `entity`.
 */
export async function versionedUpdate<D extends { _id: string; version: number; updatedAt: Date }>(h: MongoHandle, coll: Collection<D>, u: VersionedUpdate<D>): Promise<D> {
  const filter = (u.expectedVersion === null ? { _id: u.id } : { _id: u.id, version: u.expectedVersion }) as Filter<D>;
  const update = { $set: { ...u.set, updatedAt: u.at ?? h.now() }, $inc: { version: 1 } } as unknown as UpdateFilter<D>;
  const d = await coll.findOneAndUpdate(filter, update, { returnDocument: 'after', ...(u.exclude === undefined ? {} : { projection: u.exclude }) });
  if (d !== null) return d as D;
  if (await existsIn(coll, u.id)) throw versionMismatch(u.entity);
  throw notFound(u.entity);
}
