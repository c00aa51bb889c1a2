// The API's composition root: read the environment once, build the clients, build the app with
// everything injected, listen, and shut down gracefully on SIGTERM/SIGINT.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createPasswordHasher, createTokenService, isAuthError } from '@plotbox/auth';
import { ConfigError, describeConfig, parseConfig } from '@plotbox/config';
import { isBlobError, type BlobStore } from '@plotbox/blobs';
import { createApp } from './app.ts';
import { openBlobs } from './open-blobs.ts';
import { createSandboxClient } from './sandbox-client.ts';
import { ensureBootstrapAdmin } from './bootstrap.ts';
import { loadKeySet } from './keys.ts';
import { loadSecretBox, resealStoredSecrets } from './secrets.ts';
import { createLogger } from './logger.ts';
import { openStore } from './open-store.ts';
import { runHousekeeping } from './housekeeping.ts';
import { scheduleInactiveSweep } from './inactive-sweep.ts';
import { scheduleAuditRetention } from './audit-retention.ts';
import { createAudit } from './audit.ts';
import { createApiMetrics } from './metrics.ts';
import { seedDemo } from './seed-demo.ts';
import { openIngest } from './ingest/open-ingest.ts';
import { repairUploads } from './ingest/repair.ts';
import { ensureWebBuilt } from './web-dist.ts';
import { createSetupToken, registerSetupToken } from './setup-token.ts';
import { startupFacts, startupLines, type ListeningMessage } from './startup-summary.ts';

let config;
try {
  config = parseConfig(process.env, (path) => readFileSync(path, 'utf8'));
} catch (err) {
  console.error(`plotbox-api: configuration refused: ${err instanceof ConfigError ? err.message : 'invalid configuration'}`);
  process.exit(78);
}
const logger = createLogger(config.logLevel);
logger.info({ config: describeConfig(config) }, 'api starting');

let keys;
try {
  keys = loadKeySet(config.jwt.keys);
} catch (err) {
  logger.fatal({ reason: isAuthError(err) ? err.message : 'the JWT key set cannot be loaded' }, 'api configuration refused');
  process.exit(78);
}
if (keys.generated)
  logger.warn({ dir: config.jwt.keys.source === 'dev' ? config.jwt.keys.dir : null, kid: keys.keySet.activeKid }, 'generated a dev JWT key pair (dev only; production reads PLOTBOX_JWT_KEYS_FILE)');
let secrets;
try {
  secrets = loadSecretBox(config.secretsKey);
} catch (err) {
  logger.fatal({ reason: isAuthError(err) ? err.message : 'the secrets key cannot be loaded' }, 'api configuration refused');
  process.exit(78);
}
if (secrets.generated)
  logger.warn(
    { dir: config.secretsKey.source === 'dev' ? config.secretsKey.dir : null, keyId: secrets.box.activeId },
    'generated a dev secrets key (dev only; production reads PLOTBOX_SECRETS_KEY_FILE)',
  );

const now = (): Date => new Date();
const { store, close: closeStore } = await openStore(config, { now, newId: randomUUID });
const hasher = createPasswordHasher({ ...config.argon2, allowWeak: config.env === 'dev' });
// Secrets stored in clear (before sealing existed) or under a retired-to-be key are sealed again.
await resealStoredSecrets({ store, box: secrets.box, logger }).catch((err: unknown) =>
  logger.warn({ reason: (err as { code?: unknown }).code ?? 'unknown' }, 'resealing stored secrets failed; it runs again at the next start'),
);
const tokens = createTokenService({ keySet: keys.keySet, issuer: config.jwt.issuer, audience: config.jwt.audience, accessTtlSec: config.jwt.accessTtlSec });

if (config.bootstrapAdmin !== null) {
  try {
    const created = await ensureBootstrapAdmin(store, hasher, config.bootstrapAdmin, 'env');
    if (created !== null) logger.info({ userId: created.id, email: created.email }, 'created the first admin from PLOTBOX_ADMIN_*');
  } catch (err) {
    logger.fatal({ reason: isAuthError(err) ? `PLOTBOX_ADMIN_PASSWORD: ${err.reason ?? err.code}` : 'bootstrap failed' }, 'api configuration refused');
    await closeStore();
    process.exit(78);
  }
}
let blobs: BlobStore;
try {
  blobs = await openBlobs(config);
} catch (err) {
  logger.fatal({ reason: isBlobError(err) ? err.code : 'the blob store cannot be opened' }, 'api cannot start');
  await closeStore();
  process.exit(69);
}
// Dataset ingest: worker processes (started now) and the staging directory.
let ingest: ReturnType<typeof openIngest>;
try {
  ingest = openIngest(config, blobs, { warm: true });
} catch (err) {
  logger.fatal({ reason: err instanceof Error ? err.message : 'the ingest pool cannot be started' }, 'api cannot start');
  await closeStore();
  process.exit(69);
}
let demo = null;
if (config.seedDemo) {
  try {
    demo = await seedDemo({ store, blobs, hasher });
    if (demo !== null) logger.info({ projectId: demo.projectId, charts: demo.charts }, 'seeded the demo project');
  } catch (err) {
    logger.warn({ reason: (err as { code?: unknown }).code ?? 'unknown' }, 'the demo project could not be seeded');
  }
}
let setupToken: string | null = null;
if ((await store.users.count({ systemRole: 'admin' })) === 0) {
  // In the store, so the printed link works on every replica (each replica that starts without an
  // admin prints its own, all valid until used or expired).
  const t = createSetupToken(now(), config.setupTokenTtlMs);
  await registerSetupToken(store, t.state);
  setupToken = t.token;
}

const sandbox = createSandboxClient({ url: config.sandbox.url, token: config.sandbox.token });
const webDir = await ensureWebBuilt().catch((err: unknown) => {
  logger.warn({ reason: err instanceof Error ? err.message : 'unknown' }, 'the web UI could not be built; serving the API only');
  return undefined;
});
const metrics = createApiMetrics({ processMetrics: true });
const app = createApp({
  config,
  store,
  blobs,
  sandbox,
  ingest: ingest.ingest,
  storage: ingest.storage,
  keySet: keys.keySet,
  tokens,
  hasher,
  secrets: secrets.box,
  logger,
  now,
  newId: randomUUID,
  metrics,
  ...(webDir === undefined ? {} : { webDir }),
});
const server = app.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger.info({ host: config.host, port }, 'api listening');
  const facts = startupFacts({ config, port, setupToken, demo, hasLocalCli: existsSync(resolve('node_modules/.bin/plotbox')) });
  // Printed, never logged as a field: the setup link is the one way to create the first admin without a default password.
  const lines = startupLines(facts);
  if (lines.length > 0) console.log(lines.join('\n'));
  // `npm start` prints its own summary in a terminal from these facts.
  process.send?.({ type: 'listening', port, facts } satisfies ListeningMessage);
});
// What interrupted uploads left behind (staged files, blob temp files, blobs no version points at,
// datasets without data): swept now, in the background, and then periodically.
const repair = (): Promise<unknown> => repairUploads({ store, blobs, staging: ingest.ingest.staging, logger, now, graceMs: config.ingest.graceMs }).catch(() => undefined);
void repair();
const repairTimer = setInterval(() => void repair(), 30 * 60_000);
repairTimer.unref();
// Expired records go (cached renders with their blobs, rate windows, used setup tokens).
const housekeepingTimer = setInterval(() => void runHousekeeping({ store, blobs, logger }), 10 * 60_000);
housekeepingTimer.unref();
// Accounts unused for PLOTBOX_DISABLE_INACTIVE_DAYS: hourly, one replica at a time (a lease in the store).
if (config.disableInactiveMs !== null) {
  scheduleInactiveSweep({ store, audit: createAudit(store, logger), logger, metrics, now, replica: randomUUID() }, config.disableInactiveMs);
}
// Audit events older than PLOTBOX_AUDIT_RETENTION_DAYS: hourly, one replica at a time (a lease in the store).
if (config.auditRetentionMs !== null) {
  scheduleAuditRetention({ store, audit: createAudit(store, logger), logger, now, replica: randomUUID() }, config.auditRetentionMs);
}
server.headersTimeout = 20_000;
server.requestTimeout = 30_000;

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api shutting down');
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    force.unref();
    server.close(() => {
      ingest
        .close()
        .catch(() => undefined)
        .then(() => closeStore())
        .then(
          () => process.exit(0),
          () => process.exit(1),
        );
    });
    server.closeIdleConnections();
  });
}
