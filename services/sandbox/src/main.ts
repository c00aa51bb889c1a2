// The sandbox service's composition root: read config once, build the runner and the HTTP server,
// listen, and shut down gracefully on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pino } from 'pino';
import { detectCgroupLimits } from './cgroup.ts';
import { parseSandboxConfig, ConfigError } from './config.ts';
import { createRunner } from './runner.ts';
import { createSandboxServer } from './server.ts';

const logger = pino({ name: 'plotbox-sandbox', redact: { paths: ['token', '*.token', 'req.headers.authorization'], censor: '[redacted]' } });

/** The cgroup files are small and read once; anything unreadable means "no limit". */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

let config;
try {
  config = parseSandboxConfig(process.env, (path) => readFileSync(path, 'utf8'), { parallelism: availableParallelism(), cgroup: detectCgroupLimits(readText) });
} catch (err) {
  logger.fatal({ err: err instanceof ConfigError ? err.message : 'invalid configuration' }, 'sandbox configuration refused');
  process.exit(78);
}

logger.info(
  {
    workers: config.workers,
    isolateReuse: config.isolateReuse,
    workerMaxRssMb: config.workerMaxRssMb,
    workerCacheMb: config.workerCacheBytes / 2 ** 20,
    supervisorCacheMb: config.supervisorCacheBytes / 2 ** 20,
    why: config.resources.reasons,
  },
  'sandbox sizing',
);
for (const warning of config.resources.warnings) logger.warn({ warning }, 'sandbox sizing does not fit');

const runner = createRunner({
  workers: config.workers,
  poolSize: config.poolSize,
  warmMemoryMb: config.warmMemoryMb,
  workerMaxRssMb: config.workerMaxRssMb,
  prepareTimeoutMs: config.prepareTimeoutMs,
  onWorkerEvent: (event) => logger.warn(event, 'sandbox worker event'),
  jitWarmUpRows: config.jitWarmUpRows,
  isolateReuse: config.isolateReuse,
  maxRunsPerIsolate: config.maxRunsPerIsolate,
  maxKeptHeapMb: config.maxKeptHeapMb,
  keptIsolates: config.keptIsolates,
  cacheBytes: config.workerCacheBytes,
  defaultLimits: config.defaultLimits,
  ceilings: config.ceilings,
  maxQueue: config.maxQueue,
});
const { server, shutdown } = createSandboxServer({ config, runner, logger });

server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ host: config.host, port, workers: config.workers }, 'sandbox listening');
  // A machine-readable line for supervisors (tests, npm start) that start us on port 0.
  process.send?.({ type: 'listening', port });
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'sandbox shutting down');
    shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
