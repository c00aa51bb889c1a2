// DESIGN §1: the access core is pure: no imports at all but its own files, no environment.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

test('source files import only each other and read no environment', () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.ok(sources.length >= 6);
  for (const file of sources) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|require\(\s*'([^']+)'\s*\)/g)) {
      const spec = match[1] ?? match[2] ?? match[3] ?? '';
      assert.ok(spec.startsWith('./'), `${file} imports ${spec}`);
    }
    assert.doesNotMatch(text, /process\.|globalThis|Date\.now|Math\.random/, `${file} reaches outside its inputs`);
  }
});
