/**
 * The HTTP client of the sandbox service's internal API (`/v1/runs`, `/v1/datasets/{sha256}`,
 * `/v1/info`, `/readyz`), implementing {@link SandboxPort}. Bearer token in a header, never in a
 * URL; every failure of the transport becomes a typed `SANDBOX_UNAVAILABLE` result. One request per
 * call: retrying after `SANDBOX_DATASET_MISSING` is the caller's.
 */
import { RUNTIMES, isSandboxErrorCode, type Limits, type RunError, type RunResult, type RunStats, type RuntimeName } from '@plotbox/sandbox-protocol';
import type { SandboxInfo, SandboxPort } from './sandbox-port.ts';

const RUNTIME_VERSION = /^[A-Za-z0-9._:-]{1,128}$/u;
const LIMIT_NAMES = ['timeMs', 'memoryMb', 'outputBytes', 'codeBytes', 'rows'] as const;

/** `/v1/info`'s body as {@link SandboxInfo}, or `null` when it is not one. */
export function parseSandboxInfo(value: unknown): SandboxInfo | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as { runtimeVersion?: unknown; runtimeVersions?: unknown; limits?: unknown };
  if (typeof v.runtimeVersion !== 'string' || !RUNTIME_VERSION.test(v.runtimeVersion)) return null;
  if (typeof v.limits !== 'object' || v.limits === null) return null;
  const raw = v.limits as Record<string, unknown>;
  const limits: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const n = raw[name];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return null;
    limits[name] = n;
  }
  let runtimeVersions: Partial<Record<RuntimeName, string>> | undefined;
  if (v.runtimeVersions !== undefined) {
    if (typeof v.runtimeVersions !== 'object' || v.runtimeVersions === null) return null;
    const raw = v.runtimeVersions as Record<string, unknown>;
    runtimeVersions = {};
    // Only runtimes this API knows; a newer sandbox may have more.
    for (const name of RUNTIMES) {
      const version = raw[name];
      if (version === undefined) continue;
      if (typeof version !== 'string' || !RUNTIME_VERSION.test(version)) return null;
      runtimeVersions[name] = version;
    }
  }
  return { runtimeVersion: v.runtimeVersion, ...(runtimeVersions === undefined ? {} : { runtimeVersions }), limits: limits as unknown as Limits };
}

export interface SandboxClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  /** Bearer token (`null`: none, for a dev sandbox started without one is refused by the sandbox). */
  readonly token: string | null;
  /** Upper bound on one HTTP exchange, ms (runs are bounded by their own time limit first). */
  readonly timeoutMs?: number;
}

const UNAVAILABLE: RunError = { code: 'SANDBOX_UNAVAILABLE', message: 'The chart sandbox is not reachable right now. Try again shortly.' };

const HEAD = '{"figure":';
const STATS = ',"stats":';

/**
 * The sandbox answers `{"figure":<figure JSON>,"stats":{...}}`, written in that order with the
 * figure as the JSON text it checked. Cut the figure out as text instead of parsing and
 * re-serializing it: the stats object is flat (numbers and booleans), so the last `,"stats":` is
 * the separator even when the figure itself has a `stats` key. Anything else is parsed in full.
 */
export function splitRunBody(text: string): RunResult {
  const cut = text.lastIndexOf(STATS);
  if (text.startsWith(HEAD) && text.endsWith('}') && cut > HEAD.length) {
    const stats = JSON.parse(text.slice(cut + STATS.length, -1)) as RunStats;
    return { ok: true, figureJson: text.slice(HEAD.length, cut), stats };
  }
  const parsed = JSON.parse(text) as { figure: unknown; stats: RunStats };
  return { ok: true, figureJson: JSON.stringify(parsed.figure), stats: parsed.stats };
}

/** Build the client; checks its options now. */
export function createSandboxClient(options: SandboxClientOptions): SandboxPort {
  const base = new URL(options.url);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('the sandbox URL must be http(s)');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const auth: Record<string, string> = options.token === null ? {} : { authorization: `Bearer ${options.token}` };

  async function call(path: string, init: RequestInit): Promise<Response> {
    return fetch(new URL(path, base), { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(timeoutMs) });
  }

  return {
    async run(input) {
      const body = JSON.stringify({
        code: input.code,
        lang: input.lang,
        ...(input.runtime === undefined ? {} : { runtime: input.runtime }),
        dataset: { sha256: input.sha256 },
        project: input.project.slice(0, 128),
        ...(input.limits === undefined ? {} : { limits: input.limits }),
      });
      let res: Response;
      try {
        res = await call('/v1/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      } catch {
        return { ok: false, error: UNAVAILABLE };
      }
      const text = await res.text().catch(() => '');
      if (res.status === 200) {
        const result = splitRunBody(text);
        if (!result.ok) return result;
        const version = res.headers.get('x-plotbox-runtime-version');
        return { ...result, runtimeVersion: version !== null && RUNTIME_VERSION.test(version) ? version : null };
      }
      try {
        const e = (JSON.parse(text) as { error?: RunError }).error;
        if (e !== undefined && isSandboxErrorCode(e.code)) return { ok: false, error: e };
      } catch {
        // not JSON: a proxy or a dying process answered
      }
      return { ok: false, error: UNAVAILABLE };
    },
    async putDataset(sha256, bytes) {
      try {
        const put = await call(`/v1/datasets/${encodeURIComponent(sha256)}`, { method: 'PUT', headers: { 'content-type': 'application/vnd.apache.arrow.stream' }, body: bytes });
        await put.arrayBuffer().catch(() => undefined);
        if (put.status === 201 || put.status === 200) return { ok: true };
        return { ok: false, error: { code: 'SANDBOX_DATASET_INVALID', message: 'The sandbox refused the dataset version.' } };
      } catch {
        return { ok: false, error: UNAVAILABLE };
      }
    },
    async info() {
      const res = await fetch(new URL('/v1/info', base), { headers: auth, signal: AbortSignal.timeout(Math.min(timeoutMs, 5000)) });
      const info = res.status === 200 ? parseSandboxInfo(await res.json().catch(() => null)) : null;
      if (info === null) {
        await res.body?.cancel().catch(() => undefined);
        throw new Error('the sandbox did not report its runtime version and limits');
      }
      return info;
    },
    async ready() {
      try {
        const res = await fetch(new URL('/readyz', base), { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    },
  };
}
