// The operator CLI (issue 12, item 7) as an operator runs it: the command `npm start` prints
// (`npx plotbox ...`) works from the checkout; unknown flags, stray arguments, missing values and
// bad dates are usage errors (exit 64, the usage, no stack trace); `audit --actor` takes an email,
// the text output names people and objects (ids stay in --json); an email nobody has says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSqliteStore } from '@plotbox/store-sqlite';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = resolve(ROOT, 'services/api/bin/plotbox.mjs');

function env(dir: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', PLOTBOX_DATA_DIR: dir, PLOTBOX_ARGON2_MEMORY_KIB: '1024', PLOTBOX_ARGON2_TIME_COST: '1' };
}

function plotbox(dir: string, args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: env(dir), encoding: 'utf8', ...(input === undefined ? {} : { input }), timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('plotbox CLI: usage errors are exit 64 without a stack; audit takes an email and prints names; npx plotbox works from the checkout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [
    ['audit', '--bogus'],
    ['audit', 'stray'],
    ['audit', '--since'],
    ['audit', '--since', 'yesterday'],
    ['audit', '--outcome', 'maybe'],
    ['audit', '--limit', '0'],
    ['init', '--password-stdin'],
    ['frobnicate'],
    ['--verbose'],
    [],
  ]) {
    const r = plotbox(dir, args);
    assert.equal(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^plotbox: /u, args.join(' '));
    assert.match(r.stderr, /usage:\n {2}plotbox init/u, `${args.join(' ')} prints the usage`);
    assert.doesNotMatch(r.stderr, /\n\s+at |Error:|node:internal/u, `${args.join(' ')}: no stack trace`);
  }
  const help = plotbox(dir, ['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /plotbox audit \[--type ACTION\]/u);

  const init = plotbox(dir, ['init', '--email', 'ops@example.com', '--name', 'Olga Ops', '--password-stdin'], 'an operator passphrase\n');
  assert.equal(init.status, 0, init.stderr);

  // Events that name people and objects, written as the API would.
  const store = createSqliteStore({ path: join(dir, 'plotbox.db'), now: () => new Date(), newId: randomUUID });
  const ops = await store.users.findByEmail('ops@example.com');
  assert.ok(ops);
  const project = await store.projects.create({ name: 'Sales', createdBy: ops.id });
  await store.audit.append({ actor: { kind: 'user', userId: ops.id }, action: 'project_update', target: { type: 'project', id: project.id }, outcome: 'success', ip: '127.0.0.1', requestId: 'r1' });
  await store.audit.append({ actor: { kind: 'api_key', userId: ops.id, apiKey: { id: 'k1', name: 'nightly' } }, action: 'chart_run', target: { type: 'project', id: project.id }, outcome: 'success' });
  await store.close();

  const byEmail = plotbox(dir, ['audit', '--actor', 'OPS@example.com']);
  assert.equal(byEmail.status, 0, byEmail.stderr);
  const lines = byEmail.stdout.trim().split('\n');
  assert.equal(lines.length, 2, byEmail.stdout);
  // Both events may carry the same millisecond: find each by its action, not by its place.
  const lineOf = (action: string): string => lines.find((l) => l.includes(`\t${action}\t`)) ?? '';
  assert.match(lineOf('project_update'), /\tproject_update\tsuccess\tOlga Ops <ops@example\.com>\t127\.0\.0\.1\tproject "Sales"\tr1\t/u);
  assert.match(lineOf('chart_run'), /\tchart_run\tsuccess\tOlga Ops <ops@example\.com> \(API key "nightly"\)\t-\tproject "Sales"\t/u);
  assert.doesNotMatch(byEmail.stdout, new RegExp(ops.id, 'u'), 'names, not ids, in the text output');
  const asJson = plotbox(dir, ['audit', '--actor', 'ops@example.com', '--type', 'project_update', '--json']);
  assert.equal(asJson.status, 0, asJson.stderr);
  const event = JSON.parse(asJson.stdout.trim()) as { actor: { userId: string }; target: { id: string } };
  assert.equal(event.actor.userId, ops.id, 'ids in --json');
  assert.equal(event.target.id, project.id);
  const nobody = plotbox(dir, ['audit', '--actor', 'nobody@example.com']);
  assert.equal(nobody.status, 1);
  assert.match(nobody.stderr, /no user has the email nobody@example\.com/u);
  const bootstrap = plotbox(dir, ['audit', '--type', 'admin_bootstrap', '--since', '2020-01-01']);
  assert.match(bootstrap.stdout, /admin_bootstrap\tsuccess\tsystem\t-\tuser Olga Ops <ops@example\.com>/u);

  // The command npm start prints runs from the checkout (npx finds the workspace's bin).
  const npx = spawnSync('npx', ['--no-install', 'plotbox', '--help'], { cwd: ROOT, env: { ...env(dir), HOME: process.env.HOME ?? dir }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(npx.status, 0, `npx plotbox --help: ${npx.stderr}`);
  assert.match(npx.stdout, /plotbox init --email EMAIL/u);
});
