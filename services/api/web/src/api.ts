/**
 * The browser's client of the Plotbox API: same-origin cookies, `X-Requested-With: plotbox` on
 * writes (the CSRF rule), JSON in and out, one refresh-and-retry when the access token expired,
 * and every failure as an {@link ApiFailure} carrying the API's typed error.
 */
import type { ApiErrorBody, MeAnswer, Page } from '../../src/api-types.ts';
import { forgetSession, mayHaveSession, noteSession, refreshSession } from './session.ts';

export type { ApiErrorBody, Page };

export class ApiFailure extends Error {
  readonly status: number;
  readonly error: ApiErrorBody;
  constructor(status: number, error: ApiErrorBody) {
    super(error.message);
    this.status = status;
    this.error = error;
  }
}

/** `GET /api/me`: who is signed in. */
export type Me = MeAnswer;

/** Called when the session is gone for good (the app shows the sign-in page). */
let onSignedOut: () => void = () => undefined;
export function setSignedOutHandler(f: () => void): void {
  onSignedOut = f;
}

async function send(method: string, path: string, body?: unknown, init: { contentType?: string; raw?: BodyInit } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-requested-with'] = 'plotbox';
  let payload: BodyInit | undefined;
  if (init.raw !== undefined) {
    payload = init.raw;
    headers['content-type'] = init.contentType ?? 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  } else if (method !== 'GET' && method !== 'HEAD' && method !== 'DELETE') {
    payload = '{}';
    headers['content-type'] = 'application/json';
  }
  return fetch(path, { method, headers, credentials: 'same-origin', ...(payload === undefined ? {} : { body: payload }) });
}

async function failure(res: Response): Promise<ApiFailure> {
  let error: ApiErrorBody = { code: 'API_INTERNAL', message: `The server answered ${res.status}.` };
  try {
    const parsed = (await res.json()) as { error?: ApiErrorBody };
    if (parsed.error && typeof parsed.error.code === 'string') error = parsed.error;
  } catch {
    // not JSON
  }
  return new ApiFailure(res.status, error);
}

/** The token is expired or gone (its cookie expired with it, e.g. after sleep): worth one refresh. */
function needsRefresh(path: string, f: ApiFailure): boolean {
  if (path.startsWith('/api/auth/') || f.status !== 401) return false;
  // No cookie at all is worth a refresh only if this browser was signed in (not on a first visit).
  // An invalid token (its signing key was retired) is worth one too: the refresh token is opaque.
  return f.error.code === 'AUTH_TOKEN_EXPIRED' || ((f.error.code === 'AUTH_REQUIRED' || f.error.code === 'AUTH_INVALID_TOKEN') && mayHaveSession());
}

/** Request JSON; refreshes once (for every tab at once) when the access token expired. Resolves `undefined` for 204. */
export async function api<T = unknown>(method: string, path: string, body?: unknown, init: { contentType?: string; raw?: BodyInit } = {}): Promise<T> {
  let res = await send(method, path, body, init);
  if (res.status === 401) {
    const f = await failure(res);
    if (!needsRefresh(path, f)) {
      if (!path.startsWith('/api/auth/')) onSignedOut();
      throw f;
    }
    if (!(await refreshSession())) {
      onSignedOut();
      throw f;
    }
    res = await send(method, path, body, init);
    // Adopting another tab's refresh did not help (its token was not ours after all): refresh for real, once.
    if (res.status === 401 && (await refreshSession({ force: true }))) res = await send(method, path, body, init);
    if (res.status === 401) onSignedOut();
  }
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return undefined as T;
  const parsed = (await res.json()) as T;
  // Sign-in and /api/me say when the access token expires: the keeper refreshes shortly before.
  if (path === '/api/auth/login') noteSession((parsed as { session?: { accessExpiresInSec?: unknown } }).session);
  else if (path === '/api/me') noteSession((parsed as { auth?: { accessExpiresInSec?: unknown } }).auth);
  else if (path === '/api/auth/logout') forgetSession(true);
  // Changing an expired password answers with a new session; signing out everywhere ends this one too.
  else if (path === '/api/me/password') noteSession((parsed as { session?: { accessExpiresInSec?: unknown } }).session);
  else if (path === '/api/me/sessions/revoke-all' && (body as { keepCurrent?: unknown } | undefined)?.keepCurrent !== true) forgetSession(true);
  return parsed;
}

/** Upload raw bytes with progress (fetch has no upload progress; XMLHttpRequest does). */
export async function upload<T>(path: string, file: Blob, contentType: string, onProgress: (fraction: number) => void): Promise<T> {
  try {
    return await uploadOnce<T>(path, file, contentType, onProgress);
  } catch (err) {
    // An expired token costs one refresh and the upload again (a Blob can be sent twice).
    if (!(err instanceof ApiFailure) || !needsRefresh(path, err)) throw err;
    if (!(await refreshSession())) {
      onSignedOut();
      throw err;
    }
    return uploadOnce<T>(path, file, contentType, onProgress);
  }
}

function uploadOnce<T>(path: string, file: Blob, contentType: string, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('content-type', contentType);
    xhr.setRequestHeader('x-requested-with', 'plotbox');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(parsed as T);
      else reject(new ApiFailure(xhr.status, (parsed as { error?: ApiErrorBody } | null)?.error ?? { code: 'API_INTERNAL', message: `The server answered ${xhr.status}.` }));
    };
    xhr.onerror = () => reject(new ApiFailure(0, { code: 'API_UNAVAILABLE', message: 'The upload could not reach the server.' }));
    xhr.send(file);
  });
}

/** Every item of a paginated list (bounded: lists in the UI are small). */
export async function all<T>(path: string, max = 2000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page<T> = await api<Page<T>>('GET', `${path}${sep}limit=200${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && out.length < max);
  return out;
}

/** A readable sentence for an error, for analysts and owners (never a stack). */
export function describeError(err: unknown): string {
  if (err instanceof ApiFailure) {
    const e = err.error;
    const where = typeof e.line === 'number' ? ` (line ${e.line}${typeof e.column === 'number' ? `, column ${e.column}` : ''})` : '';
    const limit = e.limit ? ` Limit: ${e.limit.name} = ${e.limit.value}.` : '';
    return `${e.message}${where}${limit}`;
  }
  return err instanceof Error ? err.message : 'Something went wrong.';
}
