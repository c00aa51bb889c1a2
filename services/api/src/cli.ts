// `plotbox`: operator commands against the configured store (same environment as the API).
//   plotbox init --email you@example.com [--name "Your Name"] (--password-stdin | --password-file PATH)
//   plotbox audit [--type login_failure] [--since 2026-01-01] [--until ...] [--actor EMAIL_OR_ID] [--outcome ...] [--limit N] [--json]
// Exit codes: 0 done, 1 refused or failed, 64 usage error (sysexits EX_USAGE), 78 configuration refused.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createPasswordHasher, isAuthError } from '@plotbox/auth';
import { ConfigError, parseConfig, type ApiConfig } from '@plotbox/config';
import { isStoreError, type AuditEvent, type AuditFilter, type AuditOutcome } from '@plotbox/store';
import { auditNames, type AuditName } from './audit.ts';
import { auditEventView } from './views.ts';
import { ensureBootstrapAdmin } from './bootstrap.ts';
import { openStore } from './open-store.ts';
import { DATA_USAGE, isCliFailure, runDataCommand } from './backup/data-cli.ts';

const USAGE = `usage:
  plotbox init --email EMAIL [--name NAME] (--password-stdin | --password-file PATH)
      create the first administrator (refused once one exists); never pass the password itself
  plotbox audit [--type ACTION] [--since DATE] [--until DATE] [--actor EMAIL|USER_ID]
                [--outcome success|failure|denied] [--limit N] [--json]
      print audit events, oldest first: tab-separated with names, or JSON lines with ids
${DATA_USAGE}
  plotbox --help`;

const EX_USAGE = 64;
const EX_CONFIG = 78;

/** A failure the CLI reports as one line (never a stack) and exits with. */
class CliExit extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

const usageError = (message: string): CliExit => new CliExit(`${message}\n${USAGE}`, EX_USAGE);

/** parseArgs with its errors (unknown option, missing value, stray argument) as usage errors. */
function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: readonly string[],
  options: T,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/su, '').replace(/\s+$/u, '') : 'invalid arguments';
    throw usageError(`${command}: ${message}`);
  }
}

function loadConfig(): ApiConfig {
  try {
    return parseConfig(process.env, (path) => readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliExit(`configuration refused: ${err instanceof ConfigError ? err.message : 'invalid configuration'}`, EX_CONFIG);
  }
}

async function init(args: readonly string[]): Promise<void> {
  const values = parse('init', args, {
    email: { type: 'string' },
    name: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'password-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return void console.log(USAGE);
  if (values.email === undefined) throw usageError('init: --email is required');
  if ((values['password-stdin'] === true) === (values['password-file'] !== undefined))
    throw usageError('init: give exactly one of --password-stdin or --password-file (never the password itself as an argument)');
  const config = loadConfig();
  let password: string;
  try {
    password = (values['password-file'] !== undefined ? readFileSync(values['password-file'], 'utf8') : readFileSync(0, 'utf8')).replace(/\r?\n$/u, '');
  } catch {
    throw new CliExit('cannot read the password', 1);
  }
  const { store, close } = await openStore(config);
  try {
    const hasher = createPasswordHasher({ ...config.argon2, allowWeak: config.env === 'dev' });
    const user = await ensureBootstrapAdmin(store, hasher, { email: values.email, password, displayName: values.name ?? 'Administrator' }, 'cli');
    if (user === null) throw new CliExit('an administrator already exists; nothing changed', 1);
    console.log(`created administrator ${user.email} (${user.id})`);
  } catch (err) {
    if (isAuthError(err, 'AUTH_PASSWORD_POLICY')) throw new CliExit(`password refused: ${err.reason ?? 'policy'}`, 1);
    if (isStoreError(err, 'STORE_CONFLICT')) throw new CliExit('a user with this email already exists', 1);
    if (isStoreError(err, 'STORE_INVALID')) throw new CliExit('the email address is not valid', 1);
    throw err;
  } finally {
    await close();
  }
}

const OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied'];

/** `Ada Lovelace <ada@example.com>` for a known user, the id otherwise. */
function person(names: Readonly<Record<string, AuditName>>, id: string): string {
  const n = names[id];
  return n === undefined ? id : n.email === undefined ? n.name : `${n.name} <${n.email}>`;
}

function actorText(e: AuditEvent, names: Readonly<Record<string, AuditName>>): string {
  if (e.actor.userId === null) return e.actor.kind;
  const who = person(names, e.actor.userId);
  return e.actor.kind === 'api_key' ? `${who} (API key${e.actor.apiKey === undefined ? '' : ` ${JSON.stringify(e.actor.apiKey.name)}`})` : who;
}

function targetText(e: AuditEvent, names: Readonly<Record<string, AuditName>>): string {
  if (e.target === null) return '-';
  if (e.target.id === null) return e.target.type;
  const n = names[e.target.id];
  if (n === undefined) return `${e.target.type}:${e.target.id}`;
  return e.target.type === 'user' ? `user ${person(names, e.target.id)}` : `${e.target.type} ${JSON.stringify(n.name)}`;
}

async function audit(args: readonly string[]): Promise<void> {
  const values = parse('audit', args, {
    type: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    actor: { type: 'string' },
    outcome: { type: 'string' },
    limit: { type: 'string', default: '1000' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return void console.log(USAGE);
  const date = (name: string, v: string | undefined): Date | undefined => {
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (!/^\d{4}-\d{2}-\d{2}/u.test(v) || !Number.isFinite(d.getTime())) throw usageError(`audit: --${name} must be a date like 2026-01-01 (or 2026-01-01T12:00:00Z)`);
    return d;
  };
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw usageError('audit: --limit must be a positive whole number');
  if (values.type !== undefined && !/^[a-z0-9_.:-]{1,64}$/u.test(values.type)) throw usageError('audit: --type is an action name such as login_failure');
  if (values.outcome !== undefined && !(OUTCOMES as readonly string[]).includes(values.outcome)) throw usageError(`audit: --outcome must be one of ${OUTCOMES.join(', ')}`);
  const since = date('since', values.since);
  const until = date('until', values.until);
  const config = loadConfig();
  const { store, close } = await openStore(config);
  try {
    let actorUserId: string | undefined;
    if (values.actor !== undefined) {
      // An email names a user; anything else is taken as a user id.
      if (values.actor.includes('@')) {
        const user = await store.users.findByEmail(values.actor).catch(() => null);
        if (user === null) throw new CliExit(`audit: no user has the email ${values.actor}`, 1);
        actorUserId = user.id;
      } else {
        actorUserId = values.actor;
      }
    }
    const filter: AuditFilter = {
      ...(values.type !== undefined ? { action: values.type } : {}),
      ...(actorUserId !== undefined ? { actorUserId } : {}),
      ...(values.outcome !== undefined ? { outcome: values.outcome as AuditOutcome } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    };
    let printed = 0;
    let cursor: string | undefined;
    while (printed < limit) {
      let page;
      try {
        page = await store.audit.query(filter, { limit: Math.min(500, limit - printed), cursor });
      } catch (err) {
        if (isStoreError(err, 'STORE_INVALID')) throw usageError(`audit: ${err.message}`);
        throw err;
      }
      const names = values.json === true ? {} : await auditNames(store, page.items);
      for (const e of page.items) {
        console.log(
          values.json === true
            ? JSON.stringify(auditEventView(e))
            : [e.at.toISOString(), e.action, e.outcome, actorText(e, names), e.ip ?? '-', targetText(e, names), e.requestId ?? '-', JSON.stringify(e.details)].join('\t'),
        );
        printed++;
      }
      if (page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
  } finally {
    await close();
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined) throw usageError('a command is required');
  if (command === '--help' || command === '-h' || command === 'help') return void console.log(USAGE);
  if (command === 'init') return init(rest);
  if (command === 'audit' && rest[0] === 'export') return runDataCommand({ loadConfig }, 'audit export', rest.slice(1));
  if (command === 'audit') return audit(rest);
  if (command === 'backup' || command === 'restore' || command === 'user') return runDataCommand({ loadConfig }, command, rest);
  throw usageError(command.startsWith('-') ? `unknown option ${command}` : `unknown command "${command}"`);
}

try {
  await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof CliExit) {
    console.error(`plotbox: ${err.message}`);
    process.exit(err.exitCode);
  }
  if (isCliFailure(err)) {
    console.error(`plotbox: ${err.message}${err.usage ? `\n${USAGE}` : ''}`);
    process.exit(err.exitCode);
  }
  // Anything else (the store unreachable, a bug): one line, no stack; the code helps a bug report.
  const code = (err as { code?: unknown } | null)?.code;
  console.error(`plotbox: failed${typeof code === 'string' ? ` (${code})` : ''}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  process.exit(1);
}
