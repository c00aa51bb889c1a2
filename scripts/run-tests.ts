// Runs every node:test file in the repo (unit tests beside the code, integration tests in test/),
// on the Node that npm put on PATH, with the flags isolated-vm needs.
// Usage: node scripts/run-tests.ts [path-prefix ...]  (prefixes narrow the set, e.g. packages/figure)
import { spawn } from 'node:child_process';
import { globSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const prefixes = process.argv.slice(2);
const files = globSync(
  ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'services/*/src/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
  { cwd: root },
)
  .filter((f) => !f.includes('node_modules'))
  .filter((f) => prefixes.length === 0 || prefixes.some((p) => f.startsWith(p)))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
/**
 * Suites that load the whole machine (1,000 sandbox runs under wall-clock limits; Chromium with the
 * full stack; building and running the container image) run after the rest, one at a time, so
 * they neither starve nor are starved.
 */
const ALONE = new Set([
  'test/sandbox-soak.test.ts',
  'test/web-ui.test.ts',
  'test/web-admin.test.ts',
  'test/web-setup.test.ts',
  'test/web-session.test.ts',
  'test/web-chart-links.test.ts',
  'test/web-oidc.test.ts',
  'test/deploy-containers.test.ts',
]);
const concurrency = process.env.TEST_CONCURRENCY ?? '2';

function run(batch: readonly string[], parallel: string): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', '--test', `--test-concurrency=${parallel}`, ...batch], { cwd: root, stdio: 'inherit' });
    child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

const shared = files.filter((f) => !ALONE.has(f));
const alone = files.filter((f) => ALONE.has(f));
const codes: number[] = [];
if (shared.length > 0) codes.push(await run(shared, concurrency));
for (const f of alone) codes.push(await run([f], '1'));
process.exit(codes.some((c) => c !== 0) ? 1 : 0);
