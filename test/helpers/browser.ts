// Browser tests' shared parts: Debian's chromium (installed when root), a free port, an API
// process started like `npm start` starts it, and pages that record console errors, unexpected
// HTTP errors and CSP violations.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const API_MAIN = resolve(import.meta.dirname, '../../services/api/src/main.ts');

/** Runs in the page: every form control and button without an accessible name. */
export const A11Y_CHECK = `(() => {
  const text = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const byIds = (ids) => ids.split(/\\s+/).map((id) => document.getElementById(id)).filter(Boolean).map((n) => n.textContent).join(' ');
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '');
  const named = (el, ownText) => {
    if (text(el.getAttribute('aria-label'))) return true;
    if (el.getAttribute('aria-labelledby') && text(byIds(el.getAttribute('aria-labelledby')))) return true;
    if (el.labels && [...el.labels].some((l) => text(l.textContent))) return true;
    if (ownText && text(el.textContent)) return true;
    if (ownText && el.querySelector('img[alt]:not([alt=""])')) return true;
    return false;
  };
  const missing = [];
  for (const el of document.querySelectorAll('input, select, textarea, [role="textbox"], [role="combobox"]')) {
    if (el.type === 'hidden') continue;
    if (!named(el, false)) missing.push('control ' + describe(el));
  }
  for (const el of document.querySelectorAll('button, [role="button"]')) {
    if (!named(el, true) && !text(el.getAttribute('title'))) missing.push('button ' + describe(el));
  }
  return missing;
})()`;

/**
 * Runs in each document before any script: records CSP violations into `window.__cspViolations`
 * and reports them to the test (`__plotboxCsp`, exposed per context, survives navigations).
 */
export const CSP_RECORDER = `window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const what = e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + (e.sourceFile || '') + ':' + (e.lineNumber || 0);
  window.__cspViolations.push(what);
  if (typeof window.__plotboxCsp === 'function') window.__plotboxCsp(what + ' (page ' + location.href + ')');
}, true);`;

/** Why the browser cannot run, or `null` when /usr/bin/chromium is there (installed if root). */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.getuid?.() !== 0) return `${CHROMIUM} is missing and the test is not running as root to apt-get install it`;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env, stdio: 'inherit', timeout: 240_000 });
  if (r.status !== 0 && !existsSync(CHROMIUM)) {
    spawnSync('apt-get', ['update'], { env, stdio: 'inherit', timeout: 120_000 });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env, stdio: 'inherit', timeout: 240_000 });
  }
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing and apt-get install chromium failed (exit ${r.status ?? r.signal ?? r.error?.message})`;
}

/**
 * A free TCP port. The API refuses writes whose `Origin` is not its public origin, and with
 * PLOTBOX_PORT=0 the default public URL would end in `:0`; so the browser test picks the port.
 */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => res(port));
    });
  });
}

/** Console errors, page errors and CSP reports of one page. */
export function watch(page: Page, problems: string[], expectedHttpErrors: string[]): void {
  page.on('console', (m) => {
    const text = m.text();
    // Chrome logs every non-2xx response as a console error. The app handles those it expects
    // (the 401 of GET /api/me before sign-in, the 422 of a refused preview, the forged 403):
    // they are recorded apart; a 5xx is a problem.
    const http = /^Failed to load resource: the server responded with a status of (\d{3})/u.exec(text);
    if (http !== null && m.type() === 'error') {
      const status = Number(http[1]);
      if (status >= 500) problems.push(`HTTP ${status} on ${m.location().url} (page ${page.url()})`);
      else expectedHttpErrors.push(`${status} ${m.location().url}`);
      return;
    }
    if (m.type() === 'error' || /Content Security Policy/iu.test(text)) problems.push(`console ${m.type()}: ${text} (page ${page.url()})`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message} (page ${page.url()})`));
}

export async function a11y(page: Page, where: string): Promise<void> {
  const missing = await page.evaluate<string[]>(A11Y_CHECK);
  assert.deepEqual(missing, [], `${where}: controls without an accessible name`);
}

/** A fresh browser context and page that record CSP violations, console errors and unexpected HTTP errors. */
export async function openPage(browser: Browser, problems: string[], expectedHttpErrors: string[]): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.exposeFunction('__plotboxCsp', (what: string) => void problems.push(`CSP violation: ${what}`));
  await context.addInitScript({ content: CSP_RECORDER });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  watch(page, problems, expectedHttpErrors);
  return { context, page };
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
}

/**
 * Start the API as its own process (as `npm start` does) on a free port whose origin is its public
 * URL; stopped with SIGTERM after the test. `env` adds to a minimal environment.
 */
export async function startApiProcess(t: TestContext, env: Record<string, string>): Promise<string> {
  return (await startApiProcessWithOutput(t, env)).url;
}

/** {@link startApiProcess}, also giving what the process printed so far (its last 8,000 characters). */
export async function startApiProcessWithOutput(t: TestContext, env: Record<string, string>): Promise<{ url: string; output: () => string }> {
  const apiPort = await freePort();
  const api = fork(API_MAIN, [], {
    execArgv: ['--no-node-snapshot'],
    env: {
      PATH: process.env.PATH ?? '',
      PLOTBOX_PORT: String(apiPort),
      PLOTBOX_PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
      PLOTBOX_LOG_LEVEL: 'warn',
      PLOTBOX_ARGON2_MEMORY_KIB: '1024',
      PLOTBOX_ARGON2_TIME_COST: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let apiOut = '';
  api.stdout?.on('data', (d: Buffer) => void (apiOut = (apiOut + d.toString()).slice(-8000)));
  api.stderr?.on('data', (d: Buffer) => void (apiOut = (apiOut + d.toString()).slice(-8000)));
  t.after(async () => {
    if (api.exitCode === null && api.signalCode === null) {
      const exited = new Promise((r) => api.once('exit', r));
      api.kill('SIGTERM');
      await exited;
    }
  });
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`api did not start: ${apiOut}`)), 60_000);
    api.once('exit', (code) => rej(new Error(`api exited (${code}): ${apiOut}`)));
    api.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer);
        res(m.port);
      }
    });
  });
  return { url: `http://127.0.0.1:${port}`, output: () => apiOut };
}

/** The two widths every page is looked at in: a laptop (1366×900) and a narrow window (800 px). */
export const SCREEN_SIZES = [
  { name: '1366', width: 1366, height: 900 },
  { name: '800', width: 800, height: 900 },
] as const;

/**
 * Screenshots of the page at both {@link SCREEN_SIZES} into `dir` (`<name>-1366.png`,
 * `<name>-800.png`), full page; the viewport is restored afterwards. Returns whether the page
 * scrolls sideways at each width (it should not: the layout must fit).
 */
export async function shoot(page: Page, dir: string, name: string): Promise<{ readonly overflowAt: readonly string[] }> {
  const before = page.viewportSize();
  const overflowAt: string[] = [];
  for (const size of SCREEN_SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    // Let responsive plots and the layout settle at the new width.
    await page.waitForTimeout(400);
    const wide = await page.evaluate<boolean>('document.documentElement.scrollWidth > document.documentElement.clientWidth + 1');
    if (wide) overflowAt.push(size.name);
    await page.screenshot({ path: `${dir}/${name}-${size.name}.png`, fullPage: true });
  }
  if (before !== null) await page.setViewportSize(before);
  return { overflowAt };
}
