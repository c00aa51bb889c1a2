// The supply-chain checks that `npm run security` and the pre-commit hook rely on, run for real:
// secretlint refuses a planted secret (and the hook refuses to commit it), and `npm sbom` writes a
// CycloneDX bill of materials of the production dependencies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SECRETLINT = join(ROOT, 'node_modules/.bin/secretlint');
// Built at run time so this file itself holds no secret-shaped string (made-up, inactive values).
const FAKE_GITHUB_TOKEN = ['ghp_', 'wWPw5k4aXcaT4fNP', '0UcnZwJUVFk6LO0pINUx'].join('');
const FAKE_SLACK_TOKEN = ['xoxb-', '123456789012-1234567890123-', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('');

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-sec-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(ROOT, '.secretlintrc.json'), join(dir, '.secretlintrc.json'));
  // The rules are resolved from the scanned tree: link this checkout's node_modules in.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

test('secretlint with the repository configuration refuses a planted key and passes clean files', (t) => {
  const dir = scratch(t);
  writeFileSync(join(dir, 'clean.ts'), "export const greeting = 'hello';\n");
  let r = spawnSync(SECRETLINT, ['--secretlintrc', '.secretlintrc.json', '**/*'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  writeFileSync(join(dir, 'leak.ts'), `export const token = '${FAKE_GITHUB_TOKEN}';\nexport const slack = '${FAKE_SLACK_TOKEN}';\n`);
  r = spawnSync(SECRETLINT, ['--secretlintrc', '.secretlintrc.json', '**/*'], { cwd: dir, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /leak\.ts/u);
  assert.match(r.stdout, /GITHUB_TOKEN/u);
  assert.match(r.stdout, /SLACK_TOKEN/u);
  assert.ok(!r.stdout.includes(FAKE_GITHUB_TOKEN), 'the finding is masked in the output');
});

test('the pre-commit hook refuses to commit a staged secret and lets clean commits through', (t) => {
  const dir = scratch(t);
  const git = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' });
  assert.equal(git('init', '-q').status, 0);
  copyFileSync(join(ROOT, '.secretlintignore'), join(dir, '.secretlintignore'));
  assert.equal(git('config', 'core.hooksPath', join(ROOT, '.githooks')).status, 0);
  writeFileSync(join(dir, 'ok.txt'), 'nothing to see\n');
  git('add', 'ok.txt', '.secretlintrc.json', '.secretlintignore');
  const clean = git('commit', '-q', '-m', 'clean');
  assert.equal(clean.status, 0, String(clean.stderr));
  writeFileSync(join(dir, 'config.ts'), `export const key = '${FAKE_GITHUB_TOKEN}';\n`);
  git('add', 'config.ts');
  const leak = git('commit', '-q', '-m', 'leak');
  assert.notEqual(leak.status, 0);
  assert.match(String(leak.stderr), /looks like a secret/u);
  assert.equal(String(git('log', '--oneline').stdout).trim().split('\n').length, 1, 'nothing was committed');
});

test('npm sbom writes a CycloneDX bill of the production dependencies', () => {
  const r = spawnSync('npm', ['sbom', '--sbom-format', 'cyclonedx', '--omit', 'dev'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const bom = JSON.parse(r.stdout) as { bomFormat: string; specVersion: string; components: { name: string; version: string; purl?: string }[] };
  assert.equal(bom.bomFormat, 'CycloneDX');
  const names = new Set(bom.components.map((c) => c.name));
  for (const prod of ['express', 'isolated-vm', 'argon2', 'apache-arrow']) assert.ok(names.has(prod), prod);
  for (const dev of ['typescript', 'eslint', 'playwright-core', 'secretlint']) assert.ok(!names.has(dev), `${dev} is a devDependency`);
  assert.ok(bom.components.every((c) => typeof c.version === 'string' && c.version !== ''));
});
