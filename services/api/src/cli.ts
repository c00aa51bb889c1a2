// `plotbox`: operator commands against the configured store (same environment as the API).
//   plotbox init --email you@example.com [--name "Your Name"] (--password-stdin | --password-file PATH)
//   plotbox audit [--type login_failure] [--since 2026-01-01] [--until ...] [--actor USER_ID] [--limit N] [--json]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createPasswordHasher, isAuthError } from '@plotbox/auth';
import { ConfigError, parseConfig } from '@plotbox/config';
import { auditEventView } from './routes/admin-routes.ts';
import { ensureBootstrapAdmin } from './bootstrap.ts';
import { openStore } from './open-store.ts';

const USAGE = `usage:
  plotbox init --email EMAIL [--name NAME] (--password-stdin | --password-file PATH)
  plotbox audit [--type ACTION] [--since DATE] [--until DATE] [--actor USER_ID] [--limit N] [--json]`;

function fail(message: string, code = 2): never {
  console.error(`plotbox: ${message}`);
  process.exit(code);
}

const [command, ...rest] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h') {
  console.log(USAGE);
  process.exit(command === undefined ? 2 : 0);
}

let config;
try {
  config = parseConfig(process.env, (path) => readFileSync(path, 'utf8'));
} catch (err) {
  fail(`configuration refused: ${err instanceof ConfigError ? err.message : 'invalid configuration'}`, 78);
}

if (command === 'init') {
  const { values } = parseArgs({
    args: rest,
    options: { email: { type: 'string' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean' }, 'password-file': { type: 'string' } },
  });
  if (values.email === undefined) fail(`--email is required\n${USAGE}`);
  if ((values['password-stdin'] === true) === (values['password-file'] !== undefined)) fail('give exactly one of --password-stdin or --password-file (never the password itself as an argument)');
  let password: string;
  try {
    password = (values['password-file'] !== undefined ? readFileSync(values['password-file'], 'utf8') : readFileSync(0, 'utf8')).replace(/\r?\n$/u, '');
  } catch {
    fail('cannot read the password');
  }
  const { store, close } = await openStore(config);
  try {
    const hasher = createPasswordHasher({ ...config.argon2, allowWeak: config.env === 'dev' });
    const user = await ensureBootstrapAdmin(store, hasher, { email: values.email, password, displayName: values.name ?? 'Administrator' }, 'cli');
    if (user === null) fail('an administrator already exists; nothing changed', 1);
    console.log(`created administrator ${user.email} (${user.id})`);
  } catch (err) {
    if (isAuthError(err, 'AUTH_PASSWORD_POLICY')) fail(`password refused: ${err.reason ?? 'policy'}`, 1);
    if ((err as { code?: unknown }).code === 'STORE_CONFLICT') fail('a user with this email already exists', 1);
    if ((err as { code?: unknown }).code === 'STORE_INVALID') fail('the email address is not valid', 1);
    throw err;
  } finally {
    await close();
  }
} else if (command === 'audit') {
  const { values } = parseArgs({
    args: rest,
    options: { type: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, actor: { type: 'string' }, limit: { type: 'string', default: '1000' }, json: { type: 'boolean' } },
  });
  const date = (name: string, v: string | undefined): Date | undefined => {
    if (v === undefined) return undefined;
    const d = new Date(v);
    if (!Number.isFinite(d.getTime())) fail(`--${name} must be a date like 2026-01-01`);
    return d;
  };
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) fail('--limit must be a positive whole number');
  const since = date('since', values.since);
  const until = date('until', values.until);
  const filter = {
    ...(values.type !== undefined ? { action: values.type } : {}),
    ...(values.actor !== undefined ? { actorUserId: values.actor } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
  };
  const { store, close } = await openStore(config);
  try {
    let printed = 0;
    let cursor: string | undefined;
    while (printed < limit) {
      const page = await store.audit.query(filter, { limit: Math.min(500, limit - printed), cursor });
      for (const e of page.items) {
        const v = auditEventView(e);
        console.log(
          values.json === true
            ? JSON.stringify(v)
            : [v.at, e.action, e.outcome, `${e.actor.kind}${e.actor.userId === null ? '' : `:${e.actor.userId}`}`, e.ip ?? '-', e.target === null ? '-' : `${e.target.type}:${e.target.id ?? ''}`, e.requestId ?? '-', JSON.stringify(e.details)].join('\t'),
        );
        printed++;
      }
      if (page.nextCursor === undefined) break;
      cursor = page.nextCursor;
    }
  } finally {
    await close();
  }
} else {
  fail(`unknown command "${command}"\n${USAGE}`);
}
