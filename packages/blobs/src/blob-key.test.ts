import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBlobError } from './blob-error.ts';
import { assertBlobKey, assertBlobPrefix, decodeCursor, encodeCursor, isBlobKey } from './blob-key.ts';

test('accepts dataset-style keys', () => {
  for (const key of ['datasets/p_1/' + 'a'.repeat(64), 'a', 'A-b_c.d/e.f', '0/1/2', 'x'.repeat(200)]) assert.ok(isBlobKey(key), key);
  assert.deepEqual(assertBlobKey('a/b/c'), ['a', 'b', 'c']);
});

test('refuses traversal, absolute paths, odd characters and oversize keys', () => {
  const bad = ['', '.', '..', '../x', 'a/..', 'a/../b', '/abs', 'a/', 'a//b', 'a\\b', 'a\0b', 'a\tb', 'é', 'a b', '.git/config', 'x'.repeat(201), `${'a/'.repeat(256)}a`, '~tmp', 'a:b', 'a%2e'];
  for (const key of bad) {
    assert.equal(isBlobKey(key), false, JSON.stringify(key));
    assert.throws(
      () => assertBlobKey(key),
      (err: unknown) => isBlobError(err, 'BLOB_INVALID_KEY') && !err.message.includes('\0'),
    );
  }
  assert.equal(isBlobKey(undefined), false);
  assert.equal(isBlobKey({ toString: () => 'a' }), false);
});

test('prefixes may end mid-segment or with a slash', () => {
  for (const prefix of ['', 'datasets/', 'datasets/p1/ab', 'd']) assert.equal(assertBlobPrefix(prefix), prefix);
  for (const prefix of ['/', '../', 'a//', '.x', 'a/.', 'a\\']) assert.throws(() => assertBlobPrefix(prefix), { code: 'BLOB_INVALID_KEY' });
});

test('cursors round-trip and are bound to their prefix', () => {
  const cursor = encodeCursor('datasets/p1/k');
  assert.equal(decodeCursor(cursor, 'datasets/'), 'datasets/p1/k');
  assert.throws(() => decodeCursor(cursor, 'other/'), { code: 'BLOB_INVALID_KEY' });
  assert.throws(() => decodeCursor(encodeCursor('../x'), ''), { code: 'BLOB_INVALID_KEY' });
  assert.throws(() => decodeCursor('!!', ''), { code: 'BLOB_INVALID_KEY' });
});
