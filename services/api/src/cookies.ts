/**
 * The two auth cookies. Tokens travel only here: `HttpOnly`, `SameSite=Lax`, `Secure` over TLS
 * (or behind a trusted TLS proxy); the refresh cookie is scoped to the refresh route.
 */
import type { Request, Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';

export const ACCESS_COOKIE = 'plotbox_access';
export const REFRESH_COOKIE = 'plotbox_refresh';
export const REFRESH_PATH = '/api/auth/refresh';

/** Read cookies without trusting a parser middleware; a malformed header yields `{}`. */
export function readCookies(req: Request): Record<string, string | undefined> {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return {};
  try {
    return parseCookie(header);
  } catch {
    return {};
  }
}

function secure(req: Request, secureCookies: boolean): boolean {
  return secureCookies || req.secure;
}

/** Set both cookies after login or refresh. `Max-Age` follows each token's own expiry. */
export function setAuthCookies(
  req: Request,
  res: Response,
  opts: { readonly secureCookies: boolean; readonly access: string; readonly accessMaxAgeSec: number; readonly refresh: string; readonly refreshMaxAgeSec: number },
): void {
  const s = secure(req, opts.secureCookies);
  res.append('Set-Cookie', stringifySetCookie({ name: ACCESS_COOKIE, value: opts.access, httpOnly: true, sameSite: 'lax', secure: s, path: '/', maxAge: Math.max(1, Math.floor(opts.accessMaxAgeSec)) }));
  res.append('Set-Cookie', stringifySetCookie({ name: REFRESH_COOKIE, value: opts.refresh, httpOnly: true, sameSite: 'lax', secure: s, path: REFRESH_PATH, maxAge: Math.max(1, Math.floor(opts.refreshMaxAgeSec)) }));
}

/**
 * Set only the access cookie: the answer to a concurrent refresh, whose caller already holds the
 * new refresh cookie set by the refresh it raced with (cookies are shared by every tab).
 */
export function setAccessCookie(req: Request, res: Response, opts: { readonly secureCookies: boolean; readonly access: string; readonly accessMaxAgeSec: number }): void {
  res.append('Set-Cookie', stringifySetCookie({ name: ACCESS_COOKIE, value: opts.access, httpOnly: true, sameSite: 'lax', secure: secure(req, opts.secureCookies), path: '/', maxAge: Math.max(1, Math.floor(opts.accessMaxAgeSec)) }));
}

/** Expire both cookies (logout, ended session, refresh-token reuse). */
export function clearAuthCookies(req: Request, res: Response, secureCookies: boolean): void {
  const s = secure(req, secureCookies);
  res.append('Set-Cookie', stringifySetCookie({ name: ACCESS_COOKIE, value: '', httpOnly: true, sameSite: 'lax', secure: s, path: '/', maxAge: 0 }));
  res.append('Set-Cookie', stringifySetCookie({ name: REFRESH_COOKIE, value: '', httpOnly: true, sameSite: 'lax', secure: s, path: REFRESH_PATH, maxAge: 0 }));
}
