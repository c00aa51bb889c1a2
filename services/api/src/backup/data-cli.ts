/**
 * The data-governance commands of the `plotbox` CLI (`cli.ts` dispatches here): backup, restore,
 * the backup key, a user's personal data (export, erasure) and the audit log as JSON lines.
 * Passphrases and keys come from files or stdin, never from arguments (which `ps` and shell history
 * show). Failures are {@link CliFailure}s: one line, an exit code, and for usage errors the usage.
 */
import { createReadStream, createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ApiConfig } from '@plotbox/config';
import { isStoreError, type Store, type User } from '@plotbox/store';
import { createAudit } from '../audit.ts';
import { writeAuditJsonl } from '../audit-retention.ts';
import { isApiError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { openBlobs } from '../open-blobs.ts';
import { openStore } from '../open-store.ts';
import { eraseUser, exportPersonalData } from '../use-cases/personal-data.ts';
import { generateIdentityFile, identityKey, passphraseKey, recipientKey, type ArchiveKey } from './archive.ts';
import { isBackupError } from './backup-error.ts';
import { backupToFile, backupToStream, restoreArchive, verifyArchive } from './backup-restore.ts';

export const DATA_USAGE = `  plotbox backup --out FILE|- (--passphrase-file PATH | --passphrase-stdin | --identity PATH | --recipient AGE1...)
                 [--include-sessions] [--force]
      write one encrypted archive (age) of the store and every dataset blob, while the API runs;
      secrets (signing keys, secrets key, tokens) are never in it; sessions only with --include-sessions
  plotbox backup keygen --out PATH
      make an age identity for backups (the file opens archives; its public key, printed, only makes them)
  plotbox restore FILE (--passphrase-file PATH | --passphrase-stdin | --identity PATH) [--check]
      check the whole archive, then restore it into an EMPTY store (--check: only check)
  plotbox user export (--email EMAIL | --id USER_ID) [--out FILE]
      a user's personal data as JSON
  plotbox user erase (--email EMAIL | --id USER_ID) --projects transfer|delete [--transfer-to EMAIL] --yes
      erase a user; the projects they alone own go to --transfer-to or are deleted; audit kept, pseudonymised
  plotbox audit export --since DATE [--until DATE] --format jsonl [--out FILE]
      the audit events of a period as JSON lines, oldest first (archive them before retention deletes them)`;

const EX_USAGE = 64;

/** A failure reported as one line; `usage`: print the usage after it. */
export class CliFailure extends Error {
  readonly exitCode: number;
  readonly usage: boolean;
  constructor(message: string, exitCode = 1, usage = false) {
    super(message);
    this.name = 'CliFailure';
    this.exitCode = exitCode;
    this.usage = usage;
  }
}

export function isCliFailure(err: unknown): err is CliFailure {
  return err instanceof CliFailure;
}

const usage = (message: string): CliFailure => new CliFailure(message, EX_USAGE, true);

function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  options: T,
  positionals = 0,
): { values: ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>['values']; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/su, '').replace(/\s+$/u, '') : 'invalid arguments';
    throw usage(`${command}: ${message}`);
  }
  if (parsed.positionals.length > positionals) throw usage(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[positionals] ?? '')}`);
  return parsed;
}

/** What the commands need from `cli.ts`: the configuration, loaded on demand (exit 78 there). */
export interface DataCliDeps {
  readonly loadConfig: () => ApiConfig;
}

function readSecret(path: string | undefined, what: string): string {
  try {
    return path === undefined ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch {
    throw new CliFailure(`cannot read the ${what}${path === undefined ? ' from stdin' : ` file ${path}`}`);
  }
}

/** The one key option given (`encrypt`: a recipient is allowed). */
function archiveKey(
  command: string,
  v: { 'passphrase-file'?: string | undefined; 'passphrase-stdin'?: boolean | undefined; identity?: string | undefined; recipient?: string | undefined },
  encrypt: boolean,
): ArchiveKey {
  const given = [v['passphrase-file'] !== undefined, v['passphrase-stdin'] === true, v.identity !== undefined, v.recipient !== undefined].filter(Boolean).length;
  const options = encrypt ? '--passphrase-file, --passphrase-stdin, --identity or --recipient' : '--passphrase-file, --passphrase-stdin or --identity';
  if (given !== 1) throw usage(`${command}: give exactly one of ${options} (never a passphrase as an argument)`);
  if (v.recipient !== undefined) return recipientKey(v.recipient);
  if (v.identity !== undefined) return identityKey(readSecret(v.identity, 'identity'));
  return passphraseKey(readSecret(v['passphrase-file'], 'passphrase'));
}

const KEY_OPTIONS = { 'passphrase-file': { type: 'string' }, 'passphrase-stdin': { type: 'boolean' }, identity: { type: 'string' } } as const;

function source(config: ApiConfig): { store: string; blobs: string } {
  return { store: config.mongo === null ? 'sqlite' : 'mongodb', blobs: config.s3 === null ? 'dir' : 's3' };
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function backup(deps: DataCliDeps, args: readonly string[]): Promise<void> {
  if (args[0] === 'keygen') return keygen(args.slice(1));
  const { values: v } = parse('backup', args, { ...KEY_OPTIONS, recipient: { type: 'string' }, out: { type: 'string' }, 'include-sessions': { type: 'boolean' }, force: { type: 'boolean' } });
  if (v.out === undefined) throw usage('backup: --out FILE is required (- for stdout)');
  const key = archiveKey('backup', v, true);
  const toStdout = v.out === '-';
  if (!toStdout) {
    if (existsSync(v.out) && v.force !== true) throw new CliFailure(`backup: ${v.out} exists; choose another name or add --force`);
    if (!existsSync(dirname(v.out))) throw new CliFailure(`backup: the directory ${dirname(v.out)} does not exist`);
  }
  const config = deps.loadConfig();
  const { store, close } = await openStore(config);
  try {
    const blobs = await openBlobs(config);
    const started = performance.now();
    const options = { key, sessions: v['include-sessions'] === true, source: source(config) };
    const result = toStdout ? await backupToStream({ store, blobs, now: () => new Date() }, process.stdout, options) : await backupToFile({ store, blobs, now: () => new Date() }, v.out, options);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    await createAudit(
      store,
      createLogger('warn', process.stderr),
    )({
      action: 'backup_create',
      outcome: 'success',
      actor: { kind: 'system', userId: null },
      ip: null,
      requestId: null,
      details: {
        archiveId: result.archiveId,
        records: result.records,
        blobs: result.blobs,
        blobBytes: result.blobBytes,
        missingBlobs: result.missingBlobs.length,
        sessions: options.sessions,
        via: 'cli',
      },
    });
    // With the archive on stdout, the report goes to stderr.
    const say = toStdout ? (s: string) => process.stderr.write(`${s}\n`) : (s: string) => process.stdout.write(`${s}\n`);
    say(
      `backup ${result.archiveId} written${toStdout ? '' : ` to ${v.out}`} in ${seconds} s: ${result.records} records, ${result.blobs} blobs (${mib(result.blobBytes)}), archive ${mib(result.encryptedBytes)}`,
    );
    say(
      `  ${Object.entries(result.byType)
        .filter(([, n]) => n > 0)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`,
    );
    if (!options.sessions) say('  sessions are not included: after a restore everyone signs in again');
    for (const key of result.missingBlobs) say(`  warning: blob ${key} was already missing from the blob store (its dataset version cannot be rendered, here or after a restore)`);
    say('  not in the archive: PLOTBOX_SECRETS_KEY (back it up apart: TOTP secrets in the archive need it), JWT keys, sandbox and metrics tokens');
  } finally {
    await close();
  }
}

async function keygen(args: readonly string[]): Promise<void> {
  const { values: v } = parse('backup keygen', args, { out: { type: 'string' } });
  if (v.out === undefined) throw usage('backup keygen: --out PATH is required');
  const { file, recipient } = await generateIdentityFile(new Date());
  try {
    writeFileSync(v.out, file, { mode: 0o600, flag: 'wx' });
  } catch {
    throw new CliFailure(`backup keygen: cannot create ${v.out} (it must not exist yet)`);
  }
  console.log(`identity written to ${v.out} (keep it apart from the backups: it opens them)`);
  console.log(`public key: ${recipient}  (plotbox backup --recipient ${recipient} makes archives only this identity opens)`);
}

async function restore(deps: DataCliDeps, args: readonly string[]): Promise<void> {
  const { values: v, positionals } = parse('restore', args, { ...KEY_OPTIONS, check: { type: 'boolean' } }, 1);
  const file = positionals[0];
  if (file === undefined) throw usage('restore: the archive FILE is required');
  if (!existsSync(file) || !statSync(file).isFile()) throw new CliFailure(`restore: ${file} is not a file`);
  const key = archiveKey('restore', v, false);
  const open = () => createReadStream(file);
  const started = performance.now();
  // The whole archive is checked before anything (even an empty database file) is written.
  const checked = await verifyArchive(open, key);
  if (v.check === true) {
    console.log(
      `archive ${checked.manifest.archiveId} of ${checked.manifest.createdAt} (from ${checked.manifest.source.store} + ${checked.manifest.source.blobs}) is intact: ${checked.totals.records} records, ${checked.totals.blobs} blobs (${mib(checked.totals.blobBytes)})${checked.manifest.sessions ? ', sessions included' : ''}; checked in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return;
  }
  const config = deps.loadConfig();
  const { store, close } = await openStore(config);
  try {
    const blobs = await openBlobs(config);
    const result = await restoreArchive({ store, blobs }, open, key, checked);
    const total = Object.values(result.loaded).reduce((a, b) => a + b, 0);
    await createAudit(
      store,
      createLogger('warn', process.stderr),
    )({
      action: 'backup_restore',
      outcome: 'success',
      actor: { kind: 'system', userId: null },
      ip: null,
      requestId: null,
      details: {
        archiveId: result.manifest.archiveId,
        createdAt: result.manifest.createdAt,
        from: `${result.manifest.source.store}+${result.manifest.source.blobs}`,
        records: total,
        blobs: result.blobs,
        sessions: result.manifest.sessions,
        via: 'cli',
      },
    });
    console.log(
      `restored archive ${result.manifest.archiveId} of ${result.manifest.createdAt} into ${source(config).store} + ${source(config).blobs} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${total} records, ${result.blobs} blobs (${mib(result.blobBytes)})`,
    );
    console.log(
      `  ${Object.entries(result.loaded)
        .filter(([, n]) => n > 0)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}`,
    );
    for (const [what, n] of Object.entries(result.dropped)) console.log(`  left out ${n} × ${what} (pointed at records not in the archive)`);
    console.log(result.manifest.sessions ? '  sessions were restored: people stay signed in if the JWT keys are the same' : '  no sessions were in the archive: everyone signs in again');
    console.log('  start the API with the same PLOTBOX_SECRETS_KEY as the old instance, or two-factor sign-in fails for those who use it');
  } finally {
    await close();
  }
}

async function findUser(store: Store, command: string, v: { email?: string | undefined; id?: string | undefined }): Promise<User> {
  if ((v.email === undefined) === (v.id === undefined)) throw usage(`${command}: give exactly one of --email or --id`);
  const user = v.email !== undefined ? await store.users.findByEmail(v.email).catch(() => null) : await store.users.findById(v.id ?? '').catch(() => null);
  if (user === null) throw new CliFailure(`${command}: no user has ${v.email !== undefined ? `the email ${v.email}` : `the id ${v.id ?? ''}`}`);
  return user;
}

/** Write to a new file (0600) or stdout, with backpressure; resolves when all is flushed. */
async function withOutput(path: string | undefined, write: (out: Writable) => Promise<void>): Promise<void> {
  if (path === undefined) {
    await write(process.stdout);
    return;
  }
  const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
  try {
    await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
  } catch {
    throw new CliFailure(`cannot create ${path} (it must not exist yet)`);
  }
  await write(out);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function user(deps: DataCliDeps, args: readonly string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'export') {
    const { values: v } = parse('user export', rest, { email: { type: 'string' }, id: { type: 'string' }, out: { type: 'string' } });
    if ((v.email === undefined) === (v.id === undefined)) throw usage('user export: give exactly one of --email or --id');
    const config = deps.loadConfig();
    const { store, close } = await openStore(config);
    try {
      const target = await findUser(store, 'user export', v);
      await withOutput(v.out, async (out) => {
        // Audited once the output is open, before the first byte.
        await createAudit(
          store,
          createLogger('warn', process.stderr),
        )({ action: 'personal_data_export', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: target.id }, ip: null, requestId: null, details: { via: 'cli' } });
        for await (const piece of exportPersonalData(store, target, new Date())) {
          if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', resolve));
        }
      });
    } finally {
      await close();
    }
    return;
  }
  if (sub === 'erase') {
    const { values: v } = parse('user erase', rest, { email: { type: 'string' }, id: { type: 'string' }, projects: { type: 'string' }, 'transfer-to': { type: 'string' }, yes: { type: 'boolean' } });
    if ((v.email === undefined) === (v.id === undefined)) throw usage('user erase: give exactly one of --email or --id');
    if (v.projects !== 'transfer' && v.projects !== 'delete') throw usage('user erase: --projects must be transfer or delete');
    if ((v.projects === 'transfer') !== (v['transfer-to'] !== undefined)) throw usage('user erase: --transfer-to EMAIL goes with --projects transfer (and only with it)');
    if (v.yes !== true) throw usage('user erase: erasure cannot be undone; add --yes');
    const config = deps.loadConfig();
    const { store, close } = await openStore(config);
    try {
      const target = await findUser(store, 'user erase', v);
      const heir = v['transfer-to'] === undefined ? undefined : await findUser(store, 'user erase --transfer-to', { email: v['transfer-to'] });
      const blobs = await openBlobs(config);
      const logger = createLogger('warn', process.stderr);
      const erased = await eraseUser(
        { store, blobs, audit: createAudit(store, logger), logger },
        target,
        { projects: v.projects, transferTo: heir?.id },
        { actor: { kind: 'system', userId: null }, ip: null, requestId: `cli-${Date.now()}`, clientRequestId: null, via: 'cli' },
      );
      console.log(`erased; the audit log now names this person ${erased.pseudonym}`);
      console.log(
        `  projects ${v.projects === 'transfer' ? `handed over: ${erased.projectsTransferred}` : `deleted: ${erased.projectsDeleted}`}; sessions ended: ${erased.sessionsEnded}; API keys deleted: ${erased.apiKeysDeleted}; groups left: ${erased.groupsLeft}; audit events pseudonymised: ${erased.auditEventsPseudonymised}`,
      );
      console.log('  existing backups still hold the person: they leave with your backup retention');
    } catch (err) {
      if (isApiError(err)) throw new CliFailure(`user erase: ${err.message}`);
      throw err;
    } finally {
      await close();
    }
    return;
  }
  throw usage(sub === undefined ? 'user: a subcommand is required (export or erase)' : `user: unknown subcommand "${sub}"`);
}

/** `audit export …` (the rest of `audit` stays in `cli.ts`). */
async function auditExport(deps: DataCliDeps, args: readonly string[]): Promise<void> {
  const { values: v } = parse('audit export', args, { since: { type: 'string' }, until: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } });
  const date = (name: string, s: string | undefined): Date | undefined => {
    if (s === undefined) return undefined;
    const d = new Date(s);
    if (!/^\d{4}-\d{2}-\d{2}/u.test(s) || !Number.isFinite(d.getTime())) throw usage(`audit export: --${name} must be a date like 2026-01-01 (or 2026-01-01T12:00:00Z)`);
    return d;
  };
  const since = date('since', v.since);
  if (since === undefined) throw usage('audit export: --since DATE is required');
  const until = date('until', v.until);
  if (v.format !== 'jsonl') throw usage('audit export: --format jsonl is required (the one format)');
  const config = deps.loadConfig();
  const { store, close } = await openStore(config);
  try {
    let n = 0;
    await withOutput(v.out, async (out) => {
      n = await writeAuditJsonl(store, { since, ...(until === undefined ? {} : { until }) }, out);
    });
    if (v.out !== undefined) console.log(`${n} audit events written to ${v.out}`);
  } finally {
    await close();
  }
}

/** Run a data-governance command; `command` is `backup`, `restore`, `user` or `audit export`. */
export async function runDataCommand(deps: DataCliDeps, command: 'backup' | 'restore' | 'user' | 'audit export', args: readonly string[]): Promise<void> {
  try {
    if (command === 'backup') return await backup(deps, args);
    if (command === 'restore') return await restore(deps, args);
    if (command === 'user') return await user(deps, args);
    return await auditExport(deps, args);
  } catch (err) {
    if (isBackupError(err)) throw new CliFailure(`${command}: ${err.message} (${err.code})`);
    if (isStoreError(err, 'STORE_CONFLICT') && err.reason === 'last_owner') throw new CliFailure(`${command}: a project would be left without an owner`);
    throw err;
  }
}
