import { BlobError } from './blob-error.ts';
import type { BlobListItem, ListPage } from './blob-store.ts';

/** Longest key accepted, in characters (all ASCII, so also bytes). */
export const MAX_KEY_LENGTH = 512;
/** Longest path segment: leaves room under NAME_MAX (255) for the directory adapter's temp names. */
export const MAX_SEGMENT_LENGTH = 200;

// A segment never starts with '.', which rules out '.', '..' and hidden files, and keeps every
// name that starts with '.' or '~' free for the adapters' own temp files and upload keys.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const PARTIAL_SEGMENT = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*)?$/;

/** Does `segment` satisfy the per-segment key rule? */
export function isKeySegment(segment: string): boolean {
  return segment.length <= MAX_SEGMENT_LENGTH && SEGMENT.test(segment);
}

/**
 * Is `key` a valid blob key? Keys are `/`-separated segments of `[A-Za-z0-9._-]` (not starting
 * with `.`), at most {@link MAX_KEY_LENGTH} characters: no `..`, no absolute paths, no
 * backslashes, no control characters, no empty segments. Example: `datasets/<projectId>/<sha256>`.
 */
export function isBlobKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) return false;
  return key.split('/').every(isKeySegment);
}

/** Throws `BLOB_INVALID_KEY` unless `key` is valid; returns its segments. */
export function assertBlobKey(key: unknown): string[] {
  if (!isBlobKey(key)) throw invalidKey(key);
  return key.split('/');
}

/**
 * Throws `BLOB_INVALID_KEY` unless `prefix` is `''` or could start a valid key (complete segments
 * valid, the last one possibly partial or empty, as in `datasets/p1/`).
 */
export function assertBlobPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length > MAX_KEY_LENGTH) throw invalidKey(prefix, 'prefix');
  if (prefix === '') return prefix;
  const segments = prefix.split('/');
  const last = segments.pop() ?? '';
  if (!segments.every(isKeySegment) || last.length > MAX_SEGMENT_LENGTH || !PARTIAL_SEGMENT.test(last)) {
    throw invalidKey(prefix, 'prefix');
  }
  return prefix;
}

/** Opaque list cursor for "keys after `key`". */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** Decodes a cursor from {@link encodeCursor}; `BLOB_INVALID_KEY` if it was not one for `prefix`. */
export function decodeCursor(cursor: unknown, prefix: string): string {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new BlobError('BLOB_INVALID_KEY', 'invalid list cursor');
  }
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isBlobKey(key) || !key.startsWith(prefix)) throw new BlobError('BLOB_INVALID_KEY', 'invalid list cursor');
  return key;
}

function invalidKey(value: unknown, what = 'key'): BlobError {
  // Echo the key only when it is short and printable; never echo control characters or huge input.
  const shown = typeof value === 'string' && value.length <= 80 && /^[\x20-\x7e]*$/.test(value) ? ` ${JSON.stringify(value)}` : '';
  return new BlobError('BLOB_INVALID_KEY', `invalid blob ${what}${shown}: use /-separated segments of [A-Za-z0-9._-] not starting with '.', at most ${MAX_KEY_LENGTH} characters`);
}

/** The page of a listing gathered up to `limit + 1` keys in order: the extra one means "more". */
export function toListPage(items: readonly BlobListItem[], limit: number): ListPage {
  if (items.length <= limit) return { items: [...items] };
  const page = items.slice(0, limit);
  return { items: page, cursor: encodeCursor((page[page.length - 1] as BlobListItem).key) };
}
