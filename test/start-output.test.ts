// What `npm start` (scripts/start.ts) prints (issue 12, item 8). In a terminal (a pseudo-terminal
// made by util-linux `script`): a short summary with the UI link, the one-time setup link and the
// CLI command that works from the checkout, where data lives and how to stop; no JSON, no
// 900-character config line, no line per request; Ctrl+C stops both services cleanly. Piped (a
// container, CI): the services' JSON logs as before, plus one plain "ready" line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './helpers/browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const START = resolve(ROOT, 'scripts/start.ts');

async function until(read: () => string, pattern: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pattern.test(read())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; output so far:\n${read()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function environment(t: { after: (f: () => void) => void }): Promise<{ env: NodeJS.ProcessEnv; dir: string; apiPort: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-start-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const apiPort = await freePort();
  const sandboxPort = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    PLOTBOX_DATA_DIR: dir,
    PLOTBOX_PORT: String(apiPort),
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_WORKERS: '1',
    SANDBOX_POOL_SIZE: '1',
    PLOTBOX_ARGON2_MEMORY_KIB: '1024',
    PLOTBOX_ARGON2_TIME_COST: '1',
  };
  return { env, dir, apiPort };
}

test('npm start in a terminal: a short human summary, no JSON, no request lines; Ctrl+C stops it', { timeout: 120_000 }, async (t) => {
  if (spawnSync('script', ['--version'], { encoding: 'utf8' }).status !== 0) {
    console.log('# skipping: util-linux `script` (to make a pseudo-terminal) is not installed');
    t.skip('no `script` command for a pseudo-terminal');
    return;
  }
  const { env, dir, apiPort } = await environment(t);
  const child = spawn('script', ['-qefc', `exec ${process.execPath} ${START}`, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await until(() => out, /Press Ctrl\+C to stop it\./u, 90_000);
  const text = out.replace(/\r/gu, '');
  const base = `http://127.0.0.1:${apiPort}`;
  assert.match(text, new RegExp(`Web UI\\s+${base}/\\n`, 'u'));
  assert.match(text, new RegExp(`First admin\\s+${base}/setup#token=[A-Za-z0-9_-]+\\n`, 'u'));
  assert.match(text, /one-time link, valid 60 min; or run: npx plotbox init --email you@example\.com --password-stdin/u);
  assert.match(text, new RegExp(`Demo\\s+${base}/#/projects/[\\w-]+/dashboards/[\\w-]+\\n`, 'u'));
  assert.match(text, new RegExp(`Data\\s+${dir.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&')}\\n`, 'u'));
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length <= 16, `a short summary (${lines.length} lines):\n${text}`);
  assert.deepEqual(
    lines.filter((l) => l.trimStart().startsWith('{')),
    [],
    'no JSON log lines in a terminal',
  );
  assert.deepEqual(
    lines.filter((l) => l.length > 200),
    [],
    'no 900-character lines',
  );
  assert.doesNotMatch(text, /GET \/api\/projects\//u, 'the demo is a UI link, not an API path');

  // Requests leave no trace in the terminal (PLOTBOX_LOG_LEVEL=debug would show them).
  const before = out.length;
  assert.equal((await fetch(`${base}/`)).status, 200);
  assert.equal((await fetch(`${base}/api/me`)).status, 401);
  assert.equal((await fetch(`${base}/api/nothing-here`)).status, 404);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(out.slice(before).replace(/\s/gu, ''), '', `no request lines: ${out.slice(before)}`);

  // Ctrl+C in the terminal stops both services.
  child.stdin.write('\x03');
  assert.equal(await exited, 0, `exit after Ctrl+C:\n${out}`);
  assert.match(out, /Stopping Plotbox/u);
  assert.doesNotMatch(out, /exited \(/u, 'a clean stop is not reported as a crash');
});

test('npm start piped (containers, CI): JSON logs as before and one plain ready line', { timeout: 120_000 }, async (t) => {
  const { env, apiPort } = await environment(t);
  const child = spawn(process.execPath, [START], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await until(() => out, new RegExp(`Plotbox is ready: http://127\\.0\\.0\\.1:${apiPort}/`, 'u'), 90_000);
  const json = out.split('\n').filter((l) => l.startsWith('{'));
  assert.ok(
    json.some((l) => (JSON.parse(l) as { msg?: string }).msg === 'api listening'),
    'the JSON logs are still there',
  );
  assert.match(out, /setup#token=/u, 'the setup link is printed for the operator');
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
