// The real API process (services/api/src/main.ts) with a temp data dir: health, JWKS, dev keys
// generated once (0600) and reused, the one-time setup link, and the plotbox CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const MAIN = resolve(import.meta.dirname, '../services/api/src/main.ts');
const BIN = resolve(import.meta.dirname, '../services/api/bin/plotbox.mjs');

function baseEnv(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    PLOTBOX_DATA_DIR: dir,
    PLOTBOX_PORT: '0',
    PLOTBOX_LOG_LEVEL: 'warn',
    PLOTBOX_ARGON2_MEMORY_KIB: '1024',
    PLOTBOX_ARGON2_TIME_COST: '1',
    SANDBOX_URL: 'http://127.0.0.1:9',
  };
}

async function startApi(dir: string): Promise<{ url: string; stdout: () => string; stop: () => Promise<number | null> }> {
  const child = fork(MAIN, [], { execArgv: ['--no-node-snapshot'], env: baseEnv(dir), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`api did not start: ${err}`)), 30_000);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer);
        res(m.port);
      }
    });
    child.on('exit', (code) => rej(new Error(`api exited ${code}: ${err}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stop: () =>
      new Promise((res) => {
        child.once('exit', (code) => res(code));
        child.kill('SIGTERM');
      }),
  };
}

test('main.ts: health, JWKS, dev keys once (0600), setup link flow, restart reuses keys; CLI audit and init', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-main-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const api = await startApi(dir);
  let stopped = false;
  t.after(async () => {
    if (!stopped) await api.stop();
  });
  assert.deepEqual(await (await fetch(`${api.url}/api/health`)).json(), { status: 'ok' });
  // No sandbox runs beside this API process: ready says so, naming only the missing part.
  const ready = (await (await fetch(`${api.url}/api/ready`)).json()) as { checks: Record<string, string> };
  assert.deepEqual(ready.checks, { store: 'ok', blobs: 'ok', sandbox: 'unavailable', storage: 'ok' });
  const jwks = (await (await fetch(`${api.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  assert.equal(jwks.keys.length, 1);
  assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'keys/jwt-keys.json')).mode & 0o777, 0o600);

  for (let i = 0; i < 100 && !api.stdout().includes('#token='); i++) await new Promise((r) => setTimeout(r, 20));
  const link = /(http:\/\/\S+\/setup#token=([A-Za-z0-9_-]+))/u.exec(api.stdout());
  assert.ok(link, `setup link printed: ${api.stdout()}`);
  assert.ok(link[1]?.startsWith(`${api.url}/setup#`));
  const headers = { 'content-type': 'application/json', 'x-requested-with': 'plotbox' };
  const setup = await fetch(`${api.url}/api/setup`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ token: link[2], email: 'root@example.com', displayName: 'Root', password: 'the first admin passphrase' }),
  });
  assert.equal(setup.status, 201);
  const again = await fetch(`${api.url}/api/setup`, { method: 'POST', headers, body: JSON.stringify({ token: link[2], email: 'evil@example.com', password: 'another admin passphrase' }) });
  assert.equal(again.status, 403);
  const login = await fetch(`${api.url}/api/auth/login`, { method: 'POST', headers, body: JSON.stringify({ email: 'root@example.com', password: 'the first admin passphrase' }) });
  assert.equal(login.status, 200);
  assert.equal(await api.stop(), 0, 'graceful SIGTERM');
  stopped = true;

  const api2 = await startApi(dir);
  const jwks2 = (await (await fetch(`${api2.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  assert.equal(jwks2.keys[0]?.kid, jwks.keys[0]?.kid, 'dev key reused');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(!api2.stdout().includes('#token='), 'no setup link once an admin exists');
  await api2.stop();

  const audit = spawnSync(process.execPath, [BIN, 'audit', '--type', 'admin_bootstrap', '--since', '2020-01-01'], { env: baseEnv(dir), encoding: 'utf8' });
  assert.equal(audit.status, 0, audit.stderr);
  assert.match(audit.stdout, /admin_bootstrap\tsuccess\tsystem/u);
  const failures = spawnSync(process.execPath, [BIN, 'audit', '--type', 'login_failure', '--since', '2026-01-01', '--json'], { env: baseEnv(dir), encoding: 'utf8' });
  assert.equal(failures.status, 0, failures.stderr);

  const fresh = mkdtempSync(join(tmpdir(), 'plotbox-init-'));
  t.after(() => rmSync(fresh, { recursive: true, force: true }));
  const init = spawnSync(process.execPath, [BIN, 'init', '--email', 'ops@example.com', '--name', 'Ops', '--password-stdin'], {
    env: baseEnv(fresh),
    input: 'an operator passphrase\n',
    encoding: 'utf8',
  });
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /created administrator ops@example.com/u);
  const twice = spawnSync(process.execPath, [BIN, 'init', '--email', 'other@example.com', '--password-stdin'], { env: baseEnv(fresh), input: 'an operator passphrase\n', encoding: 'utf8' });
  assert.equal(twice.status, 1);
  const weak = spawnSync(process.execPath, [BIN, 'init', '--email', 'x@example.com', '--password-stdin'], {
    env: baseEnv(mkdtempSync(join(tmpdir(), 'plotbox-weak-'))),
    input: 'password\n',
    encoding: 'utf8',
  });
  assert.equal(weak.status, 1);
  assert.match(weak.stderr, /password refused: common/u);
  // A well-formed command (usage errors are checked first, exit 64) over a refused configuration.
  const bad = spawnSync(process.execPath, [BIN, 'init', '--email', 'x@example.com', '--password-stdin'], {
    env: { ...baseEnv(fresh), PLOTBOX_TYPO: '1' },
    input: 'an operator passphrase\n',
    encoding: 'utf8',
  });
  assert.equal(bad.status, 78);
  assert.match(bad.stderr, /unknown setting PLOTBOX_TYPO/u);
});
