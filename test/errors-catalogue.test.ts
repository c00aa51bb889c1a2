// docs/errors.md must list every error code the code base defines, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SANDBOX_ERROR_CODES } from '@plotbox/sandbox-protocol';
import { HTTP_STATUS } from '../services/sandbox/src/server.ts';

const doc = readFileSync(resolve(import.meta.dirname, '../docs/errors.md'), 'utf8');
const rows = [...doc.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => ({ code: m[1] ?? '', status: Number(m[2]) }));

test('every defined code is documented once, and nothing else is', () => {
  const documented = rows.map((r) => r.code).sort();
  const defined = [...SANDBOX_ERROR_CODES].sort();
  assert.deepEqual(documented, defined);
});

test('documented statuses match the HTTP status table', () => {
  for (const { code, status } of rows) {
    assert.equal(HTTP_STATUS[code as keyof typeof HTTP_STATUS], status, code);
  }
});
