// DESIGN §1: the auth core is pure apart from crypto — no file system, network, HTTP or store.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ALLOWED = new Set(['node:crypto', 'jsonwebtoken', 'argon2', 'otpauth', '@plotbox/errors']);

test('source files import only node:crypto, jsonwebtoken, argon2, otpauth, @plotbox/errors and each other', () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.ok(sources.length >= 10);
  for (const file of sources) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|require\(\s*'([^']+)'\s*\)/g)) {
      const spec = match[1] ?? match[2] ?? match[3] ?? '';
      assert.ok(spec.startsWith('./') || ALLOWED.has(spec), `${file} imports ${spec}`);
    }
    assert.doesNotMatch(text, /process\.env/, `${file} reads the environment`);
  }
});
