/**
 * The IP allowlist (`PLOTBOX_ALLOW_CIDRS`): only clients whose address lies in one of the ranges
 * may use the API and the UI. The address is Express's `req.ip`, i.e. the client as seen through
 * the trusted proxy hops (`PLOTBOX_TRUST_PROXY_HOPS`), never a header a client could set itself
 * beyond them. Ranges are matched by ipaddr.js; an IPv4-mapped IPv6 client (`::ffff:10.1.2.3`, as a
 * dual-stack socket reports IPv4 peers) is compared as the IPv4 address it is.
 */
import type { Request, RequestHandler } from 'express';
import ipaddr from 'ipaddr.js';
import { ApiError } from './errors.ts';

/** Decides whether a client address is allowed. */
export interface IpAllowlist {
  allows(ip: string | null | undefined): boolean;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Build the matcher from ranges as `parseConfig` normalised them (`10.0.0.0/8`, `2001:db8::/32`).
 * @throws Error for a range that is not one (a programming error: config checked them).
 */
export function createIpAllowlist(cidrs: readonly string[]): IpAllowlist {
  if (cidrs.length === 0) throw new Error('an allowlist needs at least one range');
  const v4: Range[] = [];
  const v6: Range[] = [];
  for (const c of cidrs) {
    const range = ipaddr.parseCIDR(c);
    (range[0].kind() === 'ipv4' ? v4 : v6).push(range);
  }
  return {
    allows(ip) {
      // Only the forms a socket reports: dotted-quad IPv4 or IPv6 (ipaddr.js would also read `1.2.3` or hex parts).
      if (typeof ip !== 'string' || !(ipaddr.IPv4.isValidFourPartDecimal(ip) || ipaddr.IPv6.isValid(ip))) return false;
      // process(): an IPv4-mapped IPv6 address becomes IPv4.
      const addr = ipaddr.process(ip);
      if (addr.kind() === 'ipv4') {
        const a = addr as ipaddr.IPv4;
        return v4.some((r) => a.match(r as [ipaddr.IPv4, number]));
      }
      const a = addr as ipaddr.IPv6;
      return v6.some((r) => a.match(r as [ipaddr.IPv6, number]));
    },
  };
}

/** Paths the cluster probes (and Prometheus, which has its own token): reachable from anywhere. */
export const ALLOWLIST_EXEMPT_PATHS: ReadonlySet<string> = new Set(['/api/health', '/api/ready', '/metrics']);

/**
 * Middleware refusing clients outside the allowlist with `403 ACCESS_IP_NOT_ALLOWED`;
 * `onRefused` is told of each refusal (to log, count and audit it).
 */
export function ipAllowlistMiddleware(list: IpAllowlist, onRefused: (req: Request) => void): RequestHandler {
  return (req, _res, next) => {
    if (ALLOWLIST_EXEMPT_PATHS.has(req.path) || list.allows(req.ip)) return next();
    onRefused(req);
    throw new ApiError('ACCESS_IP_NOT_ALLOWED');
  };
}

/**
 * At most one call per key per `everyMs`, remembering at most `maxKeys` keys (then it forgets them
 * all): so a flood from many addresses cannot grow memory, nor fill the audit log.
 */
export function createThrottle(everyMs: number, maxKeys: number, now: () => number): (key: string) => boolean {
  const last = new Map<string, number>();
  return (key) => {
    const t = now();
    const prev = last.get(key);
    if (prev !== undefined && t - prev < everyMs) return false;
    if (last.size >= maxKeys) last.clear();
    last.set(key, t);
    return true;
  };
}
