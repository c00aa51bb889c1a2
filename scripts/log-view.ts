// What `npm start` shows of the services' JSON logs in a terminal: warnings and errors as one
// short human line each, request logs only when asked for (PLOTBOX_LOG_LEVEL=debug or trace) or
// when a request failed on the server's side. Containers and pipes get the JSON lines untouched
// (start.ts only uses this in a terminal).

/** pino's numeric levels. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

export interface LogViewOptions {
  /** Lowest level shown (PLOTBOX_LOG_LEVEL when set, else warn). */
  readonly threshold: number;
  /** Which service wrote the line (`api`, `sandbox`). */
  readonly source: string;
}

/** The threshold for a PLOTBOX_LOG_LEVEL value; unset or unknown: warnings and errors. */
export function thresholdOf(level: string | undefined): number {
  if (level === 'silent') return Number.POSITIVE_INFINITY;
  return level !== undefined && Object.hasOwn(LEVELS, level) ? LEVELS[level as LevelName] : LEVELS.warn;
}

const NAMES = new Map<number, string>(Object.entries(LEVELS).map(([k, v]) => [v, k.toUpperCase()]));
/** Fields every pino line carries that a person does not need to read. */
const NOISE = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'req', 'res', 'responseTime', 'reqId']);
const MAX_LINE = 240;

function clock(time: unknown): string {
  const d = typeof time === 'number' ? new Date(time) : new Date();
  return d.toTimeString().slice(0, 8);
}

function compact(value: unknown): string {
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text;
}

/**
 * One JSON log line as a person reads it, or `null` to leave it out. A line that is not a JSON
 * object is `undefined`: the caller decides (start.ts drops the API's plain startup lines, which
 * its own summary replaces).
 */
export function viewLogLine(line: string, options: LogViewOptions): string | null | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    entry = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const level = typeof entry.level === 'number' ? entry.level : LEVELS.info;
  const req = entry.req as { method?: unknown; path?: unknown } | undefined;
  const res = entry.res as { statusCode?: unknown } | undefined;
  const isRequest = req !== undefined && res !== undefined;
  // Request logs are routine (a 401 before sign-in, a 404): shown at debug, or when the server failed.
  if (isRequest ? level < LEVELS.error && options.threshold > LEVELS.debug : level < options.threshold) return null;
  const head = `${clock(entry.time)} ${(NAMES.get(level) ?? String(level)).padEnd(5)} ${options.source}:`;
  let body: string;
  if (isRequest) {
    const ms = typeof entry.responseTime === 'number' ? ` ${Math.round(entry.responseTime)} ms` : '';
    body = `${String(req.method ?? '?')} ${String(req.path ?? '?')} → ${String(res.statusCode ?? '?')}${ms}`;
  } else {
    const rest = Object.entries(entry)
      .filter(([k]) => !NOISE.has(k))
      .map(([k, v]) => `${k}=${compact(v)}`);
    body = `${typeof entry.msg === 'string' ? entry.msg : ''}${rest.length > 0 ? ` (${rest.join(', ')})` : ''}`;
  }
  const out = `${head} ${body}`;
  return out.length > MAX_LINE ? `${out.slice(0, MAX_LINE - 1)}…` : out;
}
