// docs/errors.md must list every error code the code base defines, and nothing else, each with
// the status its service's one status table gives it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SANDBOX_ERROR_CODES } from '@plotbox/sandbox-protocol';
import { API_ERROR_CODES, API_HTTP_STATUS } from '@plotbox/api';
import { HTTP_STATUS } from '../services/sandbox/src/server.ts';

const doc = readFileSync(resolve(import.meta.dirname, '../docs/errors.md'), 'utf8');
const apiStart = doc.indexOf('\n## API\n');
const rowsOf = (text: string): { code: string; status: number }[] => [...text.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => ({ code: m[1] ?? '', status: Number(m[2]) }));
const sandboxRows = rowsOf(apiStart === -1 ? doc : doc.slice(0, apiStart));
const apiRows = apiStart === -1 ? [] : rowsOf(doc.slice(apiStart));

test('every sandbox code is documented once, and nothing else is', () => {
  assert.deepEqual(sandboxRows.map((r) => r.code).sort(), [...SANDBOX_ERROR_CODES].sort());
});

test('documented sandbox statuses match the sandbox HTTP status table', () => {
  for (const { code, status } of sandboxRows) assert.equal(HTTP_STATUS[code as keyof typeof HTTP_STATUS], status, code);
});

test('every API code is documented once in "## API", and nothing else is', () => {
  assert.deepEqual(apiRows.map((r) => r.code).sort(), [...API_ERROR_CODES].sort());
});

test('documented API statuses match the API status table', () => {
  for (const { code, status } of apiRows) assert.equal(API_HTTP_STATUS[code as keyof typeof API_HTTP_STATUS], status, code);
});
