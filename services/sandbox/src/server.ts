import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { decodeArrowIPC } from '@plotbox/datasets';
import { PlotboxError } from '@plotbox/errors';
import type { Logger } from 'pino';
import { RUN_ERROR_HTTP_STATUS, RUNTIMES, type Limits, type RunError, type RunResult, type SandboxErrorCode } from '@plotbox/sandbox-protocol';
import type { SandboxConfig } from './config.ts';
import { createMetrics, type CacheStats } from './metrics.ts';
import type { DatasetRef, Runner } from './runner.ts';

/** HTTP status for every error code: the one table (DESIGN §4.1). */
export const HTTP_STATUS = {
  ...RUN_ERROR_HTTP_STATUS,
  SANDBOX_DATASET_MISSING: 409,
  SANDBOX_DATASET_INVALID: 400,
  SANDBOX_BAD_REQUEST: 400,
  SANDBOX_PAYLOAD_TOO_LARGE: 413,
  SANDBOX_UNAUTHORIZED: 401,
  SANDBOX_NOT_FOUND: 404,
} as const satisfies Record<SandboxErrorCode, number>;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');
const LimitsSchema = z
  .object({
    codeBytes: z.number().int(),
    timeMs: z.number().int(),
    memoryMb: z.number().int(),
    outputBytes: z.number().int(),
    rows: z.number().int(),
  })
  .partial()
  .strict();
const RunBody = z
  .object({
    code: z.string(),
    lang: z.enum(['js', 'ts']).optional(),
    runtime: z.enum(RUNTIMES).optional(),
    dataset: z.object({ sha256: Sha256 }).strict(),
    limits: LimitsSchema.optional(),
    project: z.string().min(1).max(128).optional(),
  })
  .strict();

/** A request the service refuses; the message is shown to the API. */
class HttpError extends PlotboxError<SandboxErrorCode, never> {
  constructor(code: SandboxErrorCode, message: string) {
    super(code, message);
    this.name = 'HttpError';
  }
}

export interface SandboxServerDeps {
  readonly config: SandboxConfig;
  readonly runner: Runner;
  readonly logger: Logger;
}

export interface SandboxServer {
  readonly server: Server;
  /** Stop accepting connections, finish in-flight runs (up to the configured deadline), stop workers. */
  shutdown(): Promise<void>;
}

/** A byte-bounded LRU of Arrow IPC datasets, by sha256. */
function createByteCache(maxBytes: number) {
  const entries = new Map<string, Uint8Array>();
  let bytes = 0;
  return {
    get(key: string): Uint8Array | undefined {
      const v = entries.get(key);
      if (v) {
        entries.delete(key);
        entries.set(key, v);
      }
      return v;
    },
    set(key: string, value: Uint8Array): void {
      if (entries.has(key)) return;
      entries.set(key, value);
      bytes += value.byteLength;
      for (const [k, v] of entries) {
        if (bytes <= maxBytes || k === key) break;
        entries.delete(k);
        bytes -= v.byteLength;
      }
    },
    has: (key: string): boolean => entries.has(key),
    get bytes() {
      return bytes;
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * The sandbox's internal HTTP API (versioned, JSON except dataset bytes). Bound to loopback by
 * default; every route except the health probes needs the bearer token.
 */
export function createSandboxServer(deps: SandboxServerDeps): SandboxServer {
  const { config, runner, logger } = deps;
  const tokenDigest = createHash('sha256').update(config.token).digest();
  const metrics = createMetrics();
  const datasets = createByteCache(config.supervisorCacheBytes);
  const cacheCounts = { hits: 0, misses: 0 };
  let draining = false;

  function authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
    // Compare digests so the comparison is constant-time whatever the presented length.
    const presented = createHash('sha256').update(header.slice(7)).digest();
    return timingSafeEqual(presented, tokenDigest);
  }

  async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) throw new HttpError('SANDBOX_PAYLOAD_TOO_LARGE', `the body is larger than ${max} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) throw new HttpError('SANDBOX_PAYLOAD_TOO_LARGE', `the body is larger than ${max} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  }

  async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) throw new HttpError('SANDBOX_BAD_REQUEST', 'the body must be application/json');
    const raw = await readBody(req, config.maxBodyBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError('SANDBOX_BAD_REQUEST', 'the body is not valid JSON');
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'body';
      throw new HttpError('SANDBOX_BAD_REQUEST', `${where}: ${issue?.message ?? 'invalid'}`.slice(0, 300));
    }
    return result.data;
  }

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
    res.end(body);
  }

  function sendError(res: ServerResponse, error: RunError): void {
    const status = HTTP_STATUS[error.code];
    // Every 503 is transient (busy, shutting down, a lost worker): say when to come back.
    send(res, status, JSON.stringify({ error }), status === 503 ? { 'retry-after': '1' } : {});
  }

  async function handleRun(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const body = await readJson(req, RunBody);
    const sha = body.dataset.sha256;
    const bytes = datasets.get(sha);
    let dataset: DatasetRef;
    if (bytes) dataset = { sha256: sha, arrow: bytes };
    else if (runner.holds(sha)) dataset = { sha256: sha };
    else {
      cacheCounts.misses++;
      throw new HttpError('SANDBOX_DATASET_MISSING', 'the sandbox does not hold this dataset: PUT /v1/datasets/{sha256}, then retry');
    }
    const result: RunResult = await runner.run({
      code: body.code,
      lang: body.lang ?? 'js',
      dataset,
      ...(body.limits ? { limits: body.limits as Partial<Limits> } : {}),
      ...(body.project ? { project: body.project } : {}),
      ...(body.runtime ? { runtime: body.runtime } : {}),
    });
    if (!result.ok && result.error.code === 'SANDBOX_DATASET_MISSING') cacheCounts.misses++;
    else cacheCounts.hits++;
    metrics.observeRun(result.ok ? 'ok' : result.error.code, (performance.now() - started) / 1000);
    if (result.ok) {
      // The figure is passed through as the JSON text the worker produced and checked.
      // The runtime that made the figure travels with it: the API keys its render cache by it.
      send(res, 200, `{"figure":${result.figureJson},"stats":${JSON.stringify(result.stats)}}`, { 'x-plotbox-runtime-version': runner.runtimeVersions[body.runtime ?? 'arquero'] });
    } else {
      if (result.error.code === 'SANDBOX_CRASHED') logger.warn({ event: 'worker_crashed' }, 'a sandbox worker died during a run');
      if (result.error.code === 'SANDBOX_WORKER_LOST') logger.warn({ event: 'worker_lost' }, 'a sandbox worker was lost during a run');
      sendError(res, result.error);
    }
  }

  async function handlePutDataset(req: IncomingMessage, res: ServerResponse, sha: string): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new HttpError('SANDBOX_BAD_REQUEST', 'the dataset name must be its sha256 (64 lowercase hex characters)');
    const bytes = await readBody(req, config.maxDatasetBytes);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha) throw new HttpError('SANDBOX_DATASET_INVALID', 'the bytes do not hash to the dataset name');
    if (!datasets.has(sha)) {
      try {
        const decoded = decodeArrowIPC(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        if (decoded.rowCount > config.ceilings.rows) throw new HttpError('SANDBOX_DATASET_INVALID', `the dataset has more than ${config.ceilings.rows} rows`);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError('SANDBOX_DATASET_INVALID', 'the bytes are not a readable Arrow IPC dataset');
      }
      datasets.set(sha, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
    send(res, 201, JSON.stringify({ sha256: sha, bytes: bytes.byteLength }));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, '{"status":"ok"}');
    if (req.method === 'GET' && path === '/readyz') {
      const ready = runner.readyWorkers();
      return send(res, ready > 0 && !draining ? 200 : 503, JSON.stringify({ status: ready > 0 && !draining ? 'ready' : 'not_ready', workers: ready }));
    }
    if (!authorized(req)) throw new HttpError('SANDBOX_UNAUTHORIZED', 'a valid bearer token is required');
    if (draining) throw new HttpError('SANDBOX_UNAVAILABLE', 'the sandbox is shutting down');
    if (req.method === 'GET' && path === '/metrics') {
      const cache: CacheStats = { hits: cacheCounts.hits, misses: cacheCounts.misses, bytes: datasets.bytes, entries: datasets.size };
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metrics.render(runner.stats(), cache));
      return;
    }
    if (req.method === 'GET' && path === '/v1/info')
      return send(res, 200, JSON.stringify({ runtimeVersion: runner.runtimeVersion, runtimeVersions: runner.runtimeVersions, limits: config.defaultLimits }));
    if (req.method === 'POST' && path === '/v1/runs') return handleRun(req, res);
    const datasetPath = /^\/v1\/datasets\/([^/]+)$/.exec(path);
    if (datasetPath?.[1] !== undefined) {
      const sha = datasetPath[1];
      if (req.method === 'PUT') return handlePutDataset(req, res, sha);
      if (req.method === 'HEAD' || req.method === 'GET') {
        const held = datasets.has(sha) || runner.holds(sha);
        res.writeHead(held ? 200 : 404).end();
        return;
      }
    }
    throw new HttpError('SANDBOX_NOT_FOUND', `no route ${req.method ?? ''} ${path}`.slice(0, 200));
  }

  const server = createServer({ requestTimeout: 60_000, headersTimeout: 10_000 }, (req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        // The rest of a refused body is not read; close the connection rather than drain it.
        if (err.code === 'SANDBOX_PAYLOAD_TOO_LARGE') res.setHeader('connection', 'close');
        sendError(res, { code: err.code, message: err.message });
        return;
      }
      logger.error({ err: err instanceof Error ? err.message : String(err) }, 'unexpected error in sandbox route');
      sendError(res, { code: 'SANDBOX_UNAVAILABLE', message: 'the sandbox could not handle this request' });
    });
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    async shutdown(): Promise<void> {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await runner.close(config.shutdownMs);
      server.closeAllConnections();
      await closed;
    },
  };
}
