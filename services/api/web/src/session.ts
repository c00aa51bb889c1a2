/**
 * Keeps a signed-in user signed in (SPEC §4): the access token lives 15 minutes, the session an
 * hour of inactivity and 30 days at most. The keeper
 * - refreshes shortly before the access token expires, but only when the user did something since
 *   the last refresh: an unattended tab does not keep its session alive (the idle timeout holds);
 * - refreshes on demand when a request finds the token expired or gone (a tab that slept, a
 *   laptop that was closed: timers do not run then), and when the page becomes visible again;
 * - refreshes once for all tabs: a Web Lock serialises refreshes across tabs, and a tab that gets
 *   the lock after another tab refreshed adopts that refresh (the cookies are shared) instead of
 *   presenting the already-used refresh token, which the server would treat as a replay. Where
 *   Web Locks are missing, the server's short grace for concurrent refreshes covers the race.
 * Tokens stay in HttpOnly cookies; only expiry times are shared between tabs (localStorage).
 */

const SHARED_KEY = 'plotbox.session';
const CHANNEL = 'plotbox-session';
const LOCK = 'plotbox-refresh';

/** How long before expiry to refresh: a minute, or a fifth of a short lifetime. */
function aheadMs(lifetimeMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.floor(lifetimeMs / 5)));
}

interface Shared {
  /** When the access token in the shared cookie jar expires, ms since the epoch. */
  readonly accessExpiresAt: number;
  /** Its lifetime when issued, ms (to know how early to refresh). */
  readonly lifetimeMs: number;
}

let state: Shared | null = null;
let lastRefreshAt = 0;
let lastActivityAt = Date.now();
let timer: ReturnType<typeof setTimeout> | undefined;
let inFlight: Promise<boolean> | null = null;
let onEnded: () => void = () => undefined;
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;

function readShared(): Shared | null {
  try {
    const raw = localStorage.getItem(SHARED_KEY);
    if (raw === null) return null;
    const v = JSON.parse(raw) as Partial<Shared>;
    return typeof v.accessExpiresAt === 'number' && typeof v.lifetimeMs === 'number' ? { accessExpiresAt: v.accessExpiresAt, lifetimeMs: v.lifetimeMs } : null;
  } catch {
    return null;
  }
}

function writeShared(s: Shared | null): void {
  try {
    if (s === null) localStorage.removeItem(SHARED_KEY);
    else localStorage.setItem(SHARED_KEY, JSON.stringify(s));
  } catch {
    // storage disabled: each tab keeps its own state; the server's grace covers concurrent refreshes
  }
}

function schedule(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (state === null) return;
  const due = state.accessExpiresAt - aheadMs(state.lifetimeMs) - Date.now();
  timer = setTimeout(onDue, Math.min(Math.max(due, 1_000), 2 ** 31 - 1));
}

function onDue(): void {
  timer = undefined;
  // Only an active user keeps the session alive; otherwise the next request refreshes on demand.
  if (lastActivityAt > lastRefreshAt) void refreshSession();
}

/**
 * Adopt an access token's expiry (from sign-in, `/api/me` or a refresh), here and for the other
 * tabs. The server says how many seconds it has left; that, not its wall-clock instant, is what
 * counts here, because this machine's clock may be off.
 */
export function noteSession(session: { readonly accessExpiresInSec?: unknown } | null | undefined): void {
  const left = session?.accessExpiresInSec;
  if (typeof left !== 'number' || !Number.isFinite(left) || left < 0) return;
  adopt({ accessExpiresAt: Date.now() + left * 1000, lifetimeMs: Math.max(1_000, left * 1000) }, true);
}

function adopt(next: Shared, broadcast: boolean): void {
  state = next;
  if (broadcast) {
    writeShared(next);
    channel?.postMessage({ type: 'refreshed', shared: next });
  }
  schedule();
}

/** Was this browser signed in (here or in another tab) since it last signed out? Then a refresh cookie may be there. */
export function mayHaveSession(): boolean {
  return state !== null || readShared() !== null;
}

/** Forget the session (signed out here, or told by another tab). */
export function forgetSession(broadcast: boolean): void {
  state = null;
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (broadcast) {
    writeShared(null);
    channel?.postMessage({ type: 'signed-out' });
  }
}

/** Called when another tab signed out, so this one shows the sign-in page too. */
export function setSessionEndedHandler(f: () => void): void {
  onEnded = f;
}

async function refreshOnce(force: boolean): Promise<boolean> {
  // Another tab may have refreshed while we waited for the lock: the shared cookie jar already
  // holds a fresh token, and our refresh token is the used one. Adopt instead of replaying it.
  const shared = readShared();
  if (!force && shared !== null && shared.accessExpiresAt - Date.now() > aheadMs(shared.lifetimeMs)) {
    lastRefreshAt = Date.now();
    adopt(shared, false);
    return true;
  }
  let res: Response;
  try {
    res = await fetch('/api/auth/refresh', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-requested-with': 'plotbox' },
      body: '{}',
    });
  } catch {
    return false; // offline: the session may still be fine; the next request tries again
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401) forgetSession(true);
    return false;
  }
  const body = (await res.json().catch(() => null)) as { session?: { accessExpiresInSec?: unknown } } | null;
  lastRefreshAt = Date.now();
  noteSession(body?.session);
  return true;
}

/**
 * Refresh the access token (one refresh at a time in this tab, and across tabs where the browser
 * has Web Locks). Resolves `true` when a fresh token is in the cookie jar. `force` skips adopting
 * another tab's refresh (when adopting it did not help).
 */
export function refreshSession(options: { readonly force?: boolean } = {}): Promise<boolean> {
  if (inFlight !== null) return inFlight;
  const force = options.force === true;
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  const once = (): Promise<boolean> => refreshOnce(force);
  const run: Promise<boolean> = locks === undefined ? once() : (async (): Promise<boolean> => await locks.request(LOCK, once))();
  inFlight = run.finally(() => {
    inFlight = null;
  });
  return inFlight;
}

function activity(): void {
  lastActivityAt = Date.now();
  // Back from sleep or from another tab with the token already expired or nearly: refresh now.
  if (state !== null && state.accessExpiresAt - Date.now() <= aheadMs(state.lifetimeMs) && lastActivityAt > lastRefreshAt) void refreshSession();
}

for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const) addEventListener(type, activity, { passive: true, capture: true });
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') activity();
});
channel?.addEventListener('message', (e: MessageEvent<{ type?: string; shared?: Shared }>) => {
  const shared = e.data.shared;
  if (e.data.type === 'refreshed' && typeof shared?.accessExpiresAt === 'number' && typeof shared.lifetimeMs === 'number') {
    lastRefreshAt = Date.now();
    adopt({ accessExpiresAt: shared.accessExpiresAt, lifetimeMs: shared.lifetimeMs }, false);
  } else if (e.data.type === 'signed-out') {
    forgetSession(false);
    onEnded();
  }
});
