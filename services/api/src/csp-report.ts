/**
 * `POST /api/csp-report`: where browsers send Content-Security-Policy violation reports (the
 * policy names it in `report-uri` and, through `Reporting-Endpoints`, `report-to`). Reports are
 * untrusted and anonymous: the body is capped, the sender's address is rate limited through the
 * store, and only a few bounded fields are logged (never query strings, which may carry tokens);
 * each report counts in `plotbox_api_csp_violations_total{directive}`.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { AppContext } from './context.ts';
import { ApiError } from './errors.ts';
import { createRateLimiter } from './rate-limit.ts';

export const CSP_REPORT_PATH = '/api/csp-report';
/** One report is a few hundred bytes; a batch of the Reporting API a few kilobytes. */
const MAX_REPORT_BYTES = 16 * 1024;
const TYPES = ['application/csp-report', 'application/reports+json', 'application/json'];
const DIRECTIVE = /^[a-z-]{1,40}$/u;

/** What is kept of one violation: bounded, and URLs reduced to origin and path. */
export interface CspViolation {
  readonly directive: string;
  readonly blocked: string;
  readonly document: string;
  readonly source: string | null;
  readonly line: number | null;
}

function urlPart(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '';
  if (/^[a-z-]{1,20}$/u.test(value)) return value; // 'inline', 'eval', 'self', 'data'...
  try {
    const u = new URL(value);
    return `${u.origin}${u.pathname}`.slice(0, 200);
  } catch {
    return '(unparsable)';
  }
}

function violation(body: Record<string, unknown>): CspViolation | null {
  const directiveRaw = body['effective-directive'] ?? body['violated-directive'] ?? body.effectiveDirective ?? body.violatedDirective;
  const directive = typeof directiveRaw === 'string' ? (directiveRaw.split(' ')[0] ?? '') : '';
  if (!DIRECTIVE.test(directive)) return null;
  const line = body['line-number'] ?? body.lineNumber;
  const source = urlPart(body['source-file'] ?? body.sourceFile);
  return {
    directive,
    blocked: urlPart(body['blocked-uri'] ?? body.blockedURL),
    document: urlPart(body['document-uri'] ?? body.documentURL),
    source: source === '' ? null : source,
    line: typeof line === 'number' && Number.isSafeInteger(line) && line >= 0 ? line : null,
  };
}

/** The violations in a report body: `{"csp-report": {...}}` (report-uri) or `[{type, body}]` (report-to). */
export function parseCspReport(text: string): CspViolation[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const bodies: Record<string, unknown>[] = [];
  if (Array.isArray(parsed)) {
    for (const r of parsed.slice(0, 20)) {
      const entry = r as { type?: unknown; body?: unknown } | null;
      if (entry?.type === 'csp-violation' && typeof entry.body === 'object' && entry.body !== null) bodies.push(entry.body as Record<string, unknown>);
    }
  } else if (typeof parsed === 'object' && parsed !== null) {
    const inner = (parsed as Record<string, unknown>)['csp-report'];
    if (typeof inner === 'object' && inner !== null) bodies.push(inner as Record<string, unknown>);
  }
  return bodies.map(violation).filter((v): v is CspViolation => v !== null);
}

/** The route's handlers: rate limit per address, capped text body, parse, log, count, 204. */
export function cspReportRoute(ctx: AppContext): RequestHandler[] {
  const limit = createRateLimiter({
    counters: ctx.store.counters,
    prefix: 'rl:csp:',
    limit: 60,
    windowMs: 60_000,
    key: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    now: ctx.now,
  });
  const body = express.text({ type: TYPES, limit: MAX_REPORT_BYTES });
  return [
    limit,
    (req: Request, _res: Response, next) => {
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!TYPES.includes(type)) throw new ApiError('VALIDATION_UNSUPPORTED_MEDIA_TYPE', { message: 'Send CSP reports as application/csp-report or application/reports+json.' });
      next();
    },
    body,
    (req: Request, res: Response) => {
      const text = typeof req.body === 'string' ? req.body : '';
      for (const v of parseCspReport(text)) {
        ctx.metrics.cspViolation(v.directive);
        (req as Request & { log?: { warn: (o: object, m: string) => void } }).log?.warn({ csp: v }, 'content security policy violation');
      }
      res.status(204).end();
    },
  ];
}
