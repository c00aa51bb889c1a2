import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

// The package is pure at runtime (DESIGN §1): its source may import only the shared protocol
// and its own modules and JSON — no node:*, no plotly.js (that is a devDependency for the script).
test("src imports only @plotbox/sandbox-protocol and the package's own files", () => {
  const dir = import.meta.dirname;
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.ok(files.includes('check-figure.ts'));
  const specifier = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;
  const seen = new Set<string>();
  for (const file of files) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const m of source.matchAll(specifier)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? '';
      seen.add(spec);
      const ok = spec === '@plotbox/sandbox-protocol' || /^\.\/[a-z0-9-]+\.(ts|json)$/.test(spec);
      assert.ok(ok, `${file} imports ${spec}`);
    }
    assert.doesNotMatch(source, /\brequire\s*\(|process\.|globalThis/, file);
  }
  // The scan does see imports (so the test can fail).
  assert.ok(seen.has('@plotbox/sandbox-protocol') && seen.has('./plotly-schema.json'), [...seen].join(', '));
});
