/**
 * The two auth cookies. Tokens travel only here: `HttpOnly`, `SameSite=Lax`, `Secure` over TLS
 * (or behind a trusted TLS proxy); the refresh cookie is scoped to the refresh route.
 *
 * Served over https (an https public URL), the names carry the browser-enforced prefixes: the
 * access cookie is `__Host-` (Secure, Path=/, no Domain: no subdomain or plain-http page can set
 * or shadow it); the refresh cookie is `__Secure-`, because `__Host-` demands Path=/ and the
 * refresh token must only ever be sent to the refresh route.
 */
import type { Request, Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';

export const REFRESH_PATH = '/api/auth/refresh';

/** The cookie names for a deployment: prefixed when its public URL is https. */
export interface CookieNames {
  readonly access: string;
  readonly refresh: string;
}

export function cookieNames(secureCookies: boolean): CookieNames {
  return secureCookies ? { access: '__Host-plotbox_access', refresh: '__Secure-plotbox_refresh' } : { access: 'plotbox_access', refresh: 'plotbox_refresh' };
}

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

function cookie(name: string, value: string, s: boolean, path: string, maxAgeSec: number): string {
  return stringifySetCookie({ name, value, httpOnly: true, sameSite: 'lax', secure: s, path, maxAge: maxAgeSec });
}

/** Set both cookies after login or refresh. `Max-Age` follows each token's own expiry. */
export function setAuthCookies(
  req: Request,
  res: Response,
  opts: { readonly secureCookies: boolean; readonly access: string; readonly accessMaxAgeSec: number; readonly refresh: string; readonly refreshMaxAgeSec: number },
): void {
  const names = cookieNames(opts.secureCookies);
  const s = secure(req, opts.secureCookies);
  res.append('Set-Cookie', cookie(names.access, opts.access, s, '/', Math.max(1, Math.floor(opts.accessMaxAgeSec))));
  res.append('Set-Cookie', cookie(names.refresh, opts.refresh, s, REFRESH_PATH, Math.max(1, Math.floor(opts.refreshMaxAgeSec))));
}

/**
 * Set only the access cookie: the answer to a concurrent refresh, whose caller already holds the
 * new refresh cookie set by the refresh it raced with (cookies are shared by every tab).
 */
export function setAccessCookie(req: Request, res: Response, opts: { readonly secureCookies: boolean; readonly access: string; readonly accessMaxAgeSec: number }): void {
  res.append('Set-Cookie', cookie(cookieNames(opts.secureCookies).access, opts.access, secure(req, opts.secureCookies), '/', Math.max(1, Math.floor(opts.accessMaxAgeSec))));
}

/** Expire both cookies (logout, ended session, refresh-token reuse). */
export function clearAuthCookies(req: Request, res: Response, secureCookies: boolean): void {
  const names = cookieNames(secureCookies);
  const s = secure(req, secureCookies);
  res.append('Set-Cookie', cookie(names.access, '', s, '/', 0));
  res.append('Set-Cookie', cookie(names.refresh, '', s, REFRESH_PATH, 0));
}

/**
 * Hand a session's tokens to the browser: the access cookie, and the refresh cookie when there is a
 * new refresh token. `Max-Age` follows each token's own expiry, from `nowMs`.
 */
export function setSessionCookies(
  req: Request,
  res: Response,
  secureCookies: boolean,
  tokens: { readonly access: { readonly token: string; readonly expiresAt: number }; readonly refresh: { readonly token: string; readonly expiresAt: number } | null },
  nowMs: number,
): void {
  const accessMaxAgeSec = (tokens.access.expiresAt - nowMs) / 1000;
  if (tokens.refresh === null) return setAccessCookie(req, res, { secureCookies, access: tokens.access.token, accessMaxAgeSec });
  setAuthCookies(req, res, { secureCookies, access: tokens.access.token, accessMaxAgeSec, refresh: tokens.refresh.token, refreshMaxAgeSec: (tokens.refresh.expiresAt - nowMs) / 1000 });
}
