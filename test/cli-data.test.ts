// The data-governance commands of the operator CLI (issue 13) as an operator runs them: `plotbox
// user export|erase`, `plotbox audit export --format jsonl`, and the usage and refusals of
// `plotbox backup|restore` (their round trips are in backup-restore.test.ts). Usage errors are
// exit 64 with the usage; refusals exit 1 with one line; never a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSqliteStore } from '@plotbox/store-sqlite';

const BIN = resolve(import.meta.dirname, '../services/api/bin/plotbox.mjs');

function plotbox(dir: string, args: readonly string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', PLOTBOX_DATA_DIR: dir, PLOTBOX_ARGON2_MEMORY_KIB: '1024', PLOTBOX_ARGON2_TIME_COST: '1' },
    encoding: 'utf8',
    input: input ?? '',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function noStack(r: { stderr: string }, what: string): void {
  assert.doesNotMatch(r.stderr, /\n\s+at |node:internal|Error:/u, `${what}: no stack trace`);
}

test('plotbox user export / erase and audit export: output, refusals, the last administrator, the audit of it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-cli-data-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(plotbox(dir, ['init', '--email', 'ops@example.com', '--name', 'Olga Ops', '--password-stdin'], 'an operator passphrase\n').status, 0);
  let at = Date.parse('2026-02-01T00:00:00Z');
  const store = createSqliteStore({ path: join(dir, 'plotbox.db'), now: () => new Date((at += 1000)), newId: randomUUID });
  const ops = await store.users.findByEmail('ops@example.com');
  assert.ok(ops);
  const ada = await store.users.create({ email: 'ada@example.com', displayName: 'Ada Lovelace', passwordHash: 'h', systemRole: 'user' });
  const hal = await store.users.create({ email: 'hal@example.com', displayName: 'Hal Heir', passwordHash: 'h', systemRole: 'user' });
  const project = await store.projects.create({ name: 'Engines', createdBy: ada.id });
  await store.audit.append({ actor: { kind: 'user', userId: ada.id }, ip: '192.0.2.9', action: 'project_create', target: { type: 'project', id: project.id }, outcome: 'success' });
  await store.close();

  // Usage errors: exit 64 with the usage.
  for (const args of [
    ['user'],
    ['user', 'forget', '--email', 'ada@example.com'],
    ['user', 'export'],
    ['user', 'export', '--email', 'a@b.c', '--id', 'x'],
    ['user', 'erase', '--email', 'ada@example.com', '--projects', 'transfer', '--transfer-to', 'hal@example.com'],
    ['user', 'erase', '--email', 'ada@example.com', '--projects', 'keep', '--yes'],
    ['user', 'erase', '--email', 'ada@example.com', '--projects', 'transfer', '--yes'],
    ['user', 'erase', '--email', 'ada@example.com', '--projects', 'delete', '--transfer-to', 'hal@example.com', '--yes'],
    ['audit', 'export', '--format', 'jsonl'],
    ['audit', 'export', '--since', '2026-01-01'],
    ['audit', 'export', '--since', '2026-01-01', '--format', 'csv'],
    ['audit', 'export', '--since', 'last week', '--format', 'jsonl'],
    ['backup'],
    ['backup', '--out', join(dir, 'x.age')],
    ['backup', '--out', join(dir, 'x.age'), '--passphrase-stdin', '--identity', 'k'],
    ['backup', '--out', join(dir, 'x.age'), '--passphrase', 'on the command line'],
    ['backup', 'keygen'],
    ['restore'],
    ['restore', 'a.age', 'b.age', '--passphrase-stdin'],
  ]) {
    const r = plotbox(dir, args);
    assert.equal(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage:\n {2}plotbox init/u, args.join(' '));
    noStack(r, args.join(' '));
  }

  // Export to a new private file; an existing one is never overwritten.
  const out = join(dir, 'ada.json');
  const exported = plotbox(dir, ['user', 'export', '--email', 'ADA@example.com', '--out', out]);
  assert.equal(exported.status, 0, exported.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const data = JSON.parse(readFileSync(out, 'utf8')) as { user: { email: string }; grants: { projects: { projectName: string; role: string }[] }; auditEvents: { action: string }[] };
  assert.equal(data.user.email, 'ada@example.com');
  assert.deepEqual(
    data.grants.projects.map((g) => [g.projectName, g.role]),
    [['Engines', 'owner']],
  );
  assert.deepEqual(
    data.auditEvents.map((e) => e.action),
    ['project_create', 'personal_data_export'],
    'the export itself is audited first',
  );
  assert.equal(plotbox(dir, ['user', 'export', '--email', 'ada@example.com', '--out', out]).status, 1);
  const toStdout = plotbox(dir, ['user', 'export', '--id', ada.id]);
  assert.equal((JSON.parse(toStdout.stdout) as { user: { id: string } }).user.id, ada.id, 'stdout is the JSON alone');
  const nobody = plotbox(dir, ['user', 'export', '--email', 'nobody@example.com']);
  assert.equal(nobody.status, 1);
  assert.match(nobody.stderr, /no user has the email nobody@example\.com/u);

  // The last administrator is refused; a user is erased, her project handed over.
  const last = plotbox(dir, ['user', 'erase', '--email', 'ops@example.com', '--projects', 'delete', '--yes']);
  assert.equal(last.status, 1);
  assert.match(last.stderr, /last enabled administrator/u);
  noStack(last, 'last admin');
  const erased = plotbox(dir, ['user', 'erase', '--email', 'ada@example.com', '--projects', 'transfer', '--transfer-to', 'hal@example.com', '--yes']);
  assert.equal(erased.status, 0, erased.stderr);
  const pseudonym = /names this person (erased-[\w-]+)/u.exec(erased.stdout)?.[1];
  assert.ok(pseudonym);
  assert.match(erased.stdout, /projects handed over: 1/u);

  const check = createSqliteStore({ path: join(dir, 'plotbox.db'), now: () => new Date(), newId: randomUUID });
  t.after(() => check.close());
  assert.equal(await check.users.findById(ada.id), null);
  assert.deepEqual(
    (await check.projects.listGrants(project.id)).map((g) => [g.principal.id, g.role]),
    [[hal.id, 'owner']],
  );
  const erasure = (await check.audit.query({ action: 'user_erase' }, { limit: 5 })).items[0];
  assert.deepEqual([erasure?.actor, erasure?.target, erasure?.details.via], [{ kind: 'system', userId: null }, { type: 'user', id: pseudonym }, 'cli']);
  const exports = (await check.audit.query({ action: 'personal_data_export' }, { limit: 5 })).items;
  assert.equal(exports.length, 2, 'each export is audited');

  // The audit log as JSON lines, from a date, to a file or stdout.
  const lines = plotbox(dir, ['audit', 'export', '--since', '2026-01-01', '--format', 'jsonl']);
  assert.equal(lines.status, 0, lines.stderr);
  const events = lines.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { action: string; actor: { userId: string | null }; at: string });
  assert.ok(
    events.some((e) => e.action === 'project_create' && e.actor.userId === pseudonym),
    'pseudonymised',
  );
  assert.ok(events.some((e) => e.action === 'user_erase'));
  assert.deepEqual(
    events.map((e) => e.at),
    [...events.map((e) => e.at)].sort(),
    'oldest first',
  );
  assert.doesNotMatch(lines.stdout, /ada@example\.com|Ada Lovelace/u);
  const file = join(dir, 'audit.jsonl');
  const toFile = plotbox(dir, ['audit', 'export', '--since', '2026-02-01T00:00:00Z', '--until', '2026-02-01T00:00:10Z', '--format', 'jsonl', '--out', file]);
  assert.equal(toFile.status, 0, toFile.stderr);
  assert.match(toFile.stdout, /^1 audit events written to /u);
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 1);
});

test('plotbox backup / restore refusals: weak passphrase, an existing output, a missing archive', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-cli-data-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const weak = plotbox(dir, ['backup', '--out', join(dir, 'b.age'), '--passphrase-stdin'], 'short\n');
  assert.equal(weak.status, 1);
  assert.match(weak.stderr, /at least 12 characters .*BACKUP_KEY_INVALID/u);
  writeFileSync(join(dir, 'exists.age'), 'x');
  const exists = plotbox(dir, ['backup', '--out', join(dir, 'exists.age'), '--passphrase-stdin'], 'a long enough passphrase\n');
  assert.equal(exists.status, 1);
  assert.match(exists.stderr, /exists; choose another name or add --force/u);
  const ok = plotbox(dir, ['backup', '--out', join(dir, 'exists.age'), '--passphrase-stdin', '--force'], 'a long enough passphrase\n');
  assert.equal(ok.status, 0, ok.stderr);
  const check = plotbox(dir, ['restore', join(dir, 'exists.age'), '--check', '--passphrase-stdin'], 'a long enough passphrase\n');
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /is intact: 0 records, 0 blobs/u);
  const missing = plotbox(dir, ['restore', join(dir, 'nope.age'), '--passphrase-stdin'], 'a long enough passphrase\n');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /is not a file/u);
  const badIdentity = join(dir, 'id.txt');
  writeFileSync(badIdentity, 'not an identity\n');
  const r = plotbox(dir, ['restore', join(dir, 'exists.age'), '--identity', badIdentity]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /BACKUP_KEY_INVALID/u);
  for (const x of [weak, exists, missing, r]) noStack(x, 'refusal');
});
