/**
 * Hash routes (`#/projects/:projectId/...`): the API serves one page and the app draws the rest,
 * so a reload or a shared link lands on the same view. Each route renders into `<main>`.
 */
import type { Me } from './api.ts';

export interface PageContext {
  /** The signed-in user. */
  readonly me: Me;
  /** Named parts of the matched route, e.g. `{ projectId }`. */
  readonly params: Readonly<Record<string, string>>;
  /** Query parameters after `?` in the hash. */
  readonly query: URLSearchParams;
  /** The page's container (emptied before render). */
  readonly main: HTMLElement;
  /** Go to another route, e.g. `navigate('/projects/' + id)`. */
  navigate(path: string): void;
  /** Sets the document title ("… — Plotbox") and the page's h1 is the page's own business. */
  setTitle(title: string): void;
  /** Run `f` when the user leaves this page (plots and editors release their listeners). */
  onLeave(f: () => void): void;
  /**
   * Ask before leaving this page (in-app navigation, back and forward): `guard` resolves `true`
   * to leave. Cleared when the page is left; `null` clears it.
   */
  setLeaveGuard(guard: (() => Promise<boolean>) | null): void;
}

export type PageRender = (ctx: PageContext) => Promise<void>;

export interface Route {
  readonly pattern: string;
  readonly render: PageRender;
}

/** Match `/projects/:projectId` against a path; `null` when it does not match. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const want = p[i] ?? '';
    const got = s[i] ?? '';
    if (want.startsWith(':')) {
      if (!/^[A-Za-z0-9_-]{1,64}$/u.test(got)) return null;
      params[want.slice(1)] = got;
    } else if (want !== got) return null;
  }
  return params;
}

/** The current hash as `{ path, query }` (`#/a/b?x=1` → `/a/b`, `x=1`). */
export function currentLocation(): { path: string; query: URLSearchParams } {
  const raw = location.hash.replace(/^#/u, '') || '/';
  const q = raw.indexOf('?');
  return q < 0 ? { path: raw, query: new URLSearchParams() } : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}
