// The use cases know nothing of HTTP: no express, no request or response objects (routes parse,
// call them with plain inputs and the caller as data, and send).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

test('use cases import no express and take no req/res', () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.ok(sources.length >= 15);
  for (const file of sources) {
    const text = readFileSync(join(dir, file), 'utf8');
    assert.doesNotMatch(text, /from 'express'|from 'cookie'|from '\.\.\/(cookies|authenticate|route-table)\.ts'/u, `${file} reaches into HTTP`);
    assert.doesNotMatch(text, /\b(req|res): /u, `${file} takes a request or response`);
  }
});
