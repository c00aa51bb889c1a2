import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCode } from '@plotbox/code-check';
import { createCheckCache } from './check-cache.ts';

const CHART = 'fig = px.bar(df, { x: "region", y: "units" });\n';

test('an accepted snippet gives what checkCode gives, and is remembered per project', () => {
  const cache = createCheckCache({ maxEntries: 8, maxChars: 1 << 20 });
  const first = cache.check('p1', CHART, 'js', 65_536);
  assert.deepEqual(first, checkCode(CHART, { lang: 'js', maxBytes: 65_536 }));
  assert.equal(cache.size, 1);
  assert.deepEqual(cache.check('p1', CHART, 'js', 65_536), first);
  assert.equal(cache.size, 1);
  // Another project, language or size limit is checked (and remembered) on its own.
  cache.check('p2', CHART, 'js', 65_536);
  cache.check('p1', CHART, 'ts', 65_536);
  cache.check('p1', CHART, 'js', 1024);
  assert.equal(cache.size, 4);
});

test('TypeScript is remembered as its checked JavaScript', () => {
  const cache = createCheckCache({ maxEntries: 8, maxChars: 1 << 20 });
  const ts = 'const n: number = 3;\nfig = px.bar(df, { x: "region", y: "units" });\n';
  const first = cache.check('p', ts, 'ts', 65_536);
  assert.equal(first.ok, true);
  assert.deepEqual(cache.check('p', ts, 'ts', 65_536), first);
  if (first.ok) assert.doesNotMatch(first.js, /: number/);
});

test('rejections are not remembered, and each one is a fresh result', () => {
  const cache = createCheckCache({ maxEntries: 8, maxChars: 1 << 20 });
  const bad = 'fig = ;';
  const a = cache.check('p', bad, 'js', 65_536);
  assert.equal(a.ok, false);
  assert.equal(cache.size, 0);
  const b = cache.check('p', bad, 'js', 65_536);
  assert.deepEqual(b, a);
  if (!a.ok && !b.ok) assert.notEqual(a.diagnostics, b.diagnostics);
  // Over the size limit: rejected the same way whether or not the code was accepted under a larger one.
  cache.check('p', CHART, 'js', 65_536);
  const small = cache.check('p', CHART, 'js', 8);
  assert.equal(small.ok, false);
  if (!small.ok) assert.equal(small.code, 'CODE_TOO_LARGE');
});

test('the least recently used go first, by count and by characters', () => {
  const cache = createCheckCache({ maxEntries: 2, maxChars: 1 << 20 });
  const code = (n: number): string => `fig = px.bar(df, { x: "region", y: "units", title: "${n}" });\n`;
  cache.check('p', code(1), 'js', 65_536);
  cache.check('p', code(2), 'js', 65_536);
  cache.check('p', code(1), 'js', 65_536); // 1 is now the most recent
  cache.check('p', code(3), 'js', 65_536); // evicts 2
  assert.equal(cache.size, 2);

  const tight = createCheckCache({ maxEntries: 100, maxChars: 3 * 2 * code(1).length + 60 });
  for (let i = 1; i <= 10; i++) tight.check('p', code(i), 'js', 65_536);
  assert.ok(tight.size <= 3, `size ${tight.size}`);
  // A snippet larger than the whole budget is checked but not remembered.
  const none = createCheckCache({ maxEntries: 100, maxChars: 10 });
  assert.equal(none.check('p', CHART, 'js', 65_536).ok, true);
  assert.equal(none.size, 0);
});

test('options are checked when the cache is made', () => {
  assert.throws(() => createCheckCache({ maxEntries: -1, maxChars: 10 }), /maxEntries/);
  assert.throws(() => createCheckCache({ maxEntries: 1.5, maxChars: 10 }), /maxEntries/);
  assert.throws(() => createCheckCache({ maxEntries: 1, maxChars: Number.NaN }), /maxChars/);
});
