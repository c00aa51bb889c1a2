// Sessions that last, in a real browser (Debian's chromium driven by playwright-core) against the
// API as its own process, with a 6-second access token so that minutes of use happen in seconds:
// - an active user is refreshed ahead of expiry and never sees the sign-in page;
// - a page that slept (frozen through the DevTools protocol, so no timer runs, as on a closed
//   laptop) well past the token's expiry refreshes on the next click and carries on;
// - three tabs whose token expired at once refresh once between them (Web Locks), and three tabs
//   without Web Locks refresh at once and survive on the server's concurrent-refresh grace: no
//   refresh-token reuse is detected, nobody is signed out;
// - signing out in one tab signs out the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Client } from './helpers/api.ts';
import { CHROMIUM, chromiumMissing, openPage, signIn, startApiProcess } from './helpers/browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = resolve(ROOT, 'test-results');
const ADMIN = { email: 'sam.session@example.com', password: 'a long session that lasts all day' };
const TTL_SEC = 6;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every request of the context: refreshes, and API answers that said the token was gone. */
function recordAuth(context: BrowserContext): { refreshes: () => number; expired: () => string[] } {
  let refreshes = 0;
  const expired: string[] = [];
  context.on('request', (r) => {
    if (r.url().endsWith('/api/auth/refresh')) refreshes += 1;
  });
  context.on('response', (r) => {
    const url = r.url();
    if (r.status() === 401 && url.includes('/api/') && !url.includes('/api/auth/')) expired.push(`${r.request().method()} ${new URL(url).pathname}`);
  });
  return { refreshes: () => refreshes, expired: () => [...expired] };
}

/** The page shows the signed-in shell and `heading`, not the sign-in form. */
async function assertSignedIn(page: Page, heading: string | RegExp, where: string): Promise<void> {
  await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: 15_000 });
  assert.equal(await page.getByRole('button', { name: 'Sign in' }).count(), 0, `${where}: the sign-in form is not shown`);
  assert.equal(await page.getByRole('button', { name: 'Sign out', exact: true }).count(), 1, `${where}: still signed in`);
}

/** `refresh_reuse` audit events so far (a fresh sign-in each time: tokens here live seconds). */
async function reuseEvents(url: string): Promise<number> {
  const admin = new Client(url);
  assert.equal((await admin.login(ADMIN.email, ADMIN.password)).status, 200);
  const res = await admin.req('GET', '/api/audit?type=refresh_reuse&limit=50');
  assert.equal(res.status, 200);
  return ((await res.json()) as { items: unknown[] }).items.length;
}

test('web UI sessions: refreshed ahead of expiry, after sleep, and once for several tabs', { timeout: 240_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) {
    console.log(`# skipping the browser session test: ${missing}`);
    t.skip(missing);
    return;
  }
  const { buildWeb } = (await import(pathToFileURL(resolve(ROOT, 'services/api/web/build.mjs')).href)) as { buildWeb: () => Promise<void> };
  await buildWeb();
  mkdirSync(RESULTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-web-session-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // No sandbox: nothing here runs chart code.
  const url = await startApiProcess(t, {
    PLOTBOX_DATA_DIR: dir,
    PLOTBOX_ADMIN_EMAIL: ADMIN.email,
    PLOTBOX_ADMIN_PASSWORD: ADMIN.password,
    PLOTBOX_SEED_DEMO: 'false',
    PLOTBOX_ACCESS_TOKEN_TTL_SEC: String(TTL_SEC),
    SANDBOX_URL: 'http://127.0.0.1:9',
  });
  const admin = new Client(url);
  assert.equal((await admin.login(ADMIN.email, ADMIN.password)).status, 200);
  assert.equal((await admin.req('POST', '/api/projects', { name: 'Session project' })).status, 201);

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  t.after(() => browser.close());
  const problems: string[] = [];
  const expectedHttpErrors: string[] = [];
  const { context, page } = await openPage(browser, problems, expectedHttpErrors);
  const auth = recordAuth(context);
  try {
    await page.goto(`${url}/`);
    await signIn(page, ADMIN.email, ADMIN.password);
    await assertSignedIn(page, 'Projects', 'after sign-in');
    const expiredAtStart = auth.expired().length;

    // 1. An active user (a keypress and a page change every second) for four token lifetimes.
    const activeUntil = Date.now() + 4 * TTL_SEC * 1000;
    let step = 0;
    while (Date.now() < activeUntil) {
      await page.keyboard.press('Shift');
      await page.evaluate(`location.hash = ${JSON.stringify(step % 2 === 0 ? '#/account' : '#/')}`);
      await assertSignedIn(page, step % 2 === 0 ? 'Account' : 'Projects', `active step ${step}`);
      step += 1;
      await sleep(1000);
    }
    assert.ok(auth.refreshes() >= 3, `refreshed ahead of expiry while active (${auth.refreshes()} refreshes in ${4 * TTL_SEC} s)`);
    const expiredWhileActive = auth.expired().length - expiredAtStart;
    console.log(`# active for ${4 * TTL_SEC} s: ${auth.refreshes()} refreshes, ${expiredWhileActive} requests that found the token expired ${auth.expired().slice(expiredAtStart).join(', ')}`);
    assert.ok(expiredWhileActive <= 1, `the refresh comes before expiry, not after: ${auth.expired().join(', ')}`);

    // 2. Asleep (frozen: no script, no timer) for three lifetimes; then the user clicks.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    await sleep(3 * TTL_SEC * 1000);
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    const beforeWake = auth.refreshes();
    await page.getByRole('link', { name: 'Account' }).click();
    await assertSignedIn(page, 'Account', 'after sleep');
    await page.getByRole('link', { name: 'Projects' }).first().click();
    await assertSignedIn(page, 'Projects', 'after sleep, next page');
    await page.getByText('Session project').waitFor();
    assert.ok(auth.refreshes() > beforeWake, 'woke up with a refresh');

    // 3. Three tabs whose token expired together, all navigating at the same instant.
    const tabs = [page, await context.newPage(), await context.newPage()];
    for (const tab of tabs.slice(1)) {
      await tab.goto(`${url}/#/account`);
      await assertSignedIn(tab, 'Account', 'new tab');
    }
    await sleep((TTL_SEC + 2) * 1000);
    const beforeTabs = auth.refreshes();
    await Promise.all(tabs.map((tab) => tab.evaluate("location.hash = '#/'")));
    for (const [i, tab] of tabs.entries()) await assertSignedIn(tab, 'Projects', `tab ${i} after a shared expiry`);
    console.log(`# three tabs after a shared expiry: ${auth.refreshes() - beforeTabs} refresh request(s)`);
    assert.ok(auth.refreshes() - beforeTabs <= 2, 'the tabs shared a refresh (Web Locks) instead of each presenting the same token');
    assert.equal(await reuseEvents(url), 0, 'no refresh-token reuse detected');
    for (const tab of tabs.slice(1)) await tab.close();
  } catch (err) {
    if (!page.isClosed()) await page.screenshot({ path: join(RESULTS, 'web-session-failure.png'), fullPage: true }).catch(() => undefined);
    throw err;
  }

  // 4. Without Web Locks (an insecure origin, an old browser), the server's grace carries the race.
  const bare = await openPage(browser, problems, expectedHttpErrors);
  await bare.context.addInitScript({ content: "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined });" });
  const bareAuth = recordAuth(bare.context);
  await bare.page.goto(`${url}/`);
  assert.equal(await bare.page.evaluate('navigator.locks !== undefined'), false, 'Web Locks are gone in this context');
  await signIn(bare.page, ADMIN.email, ADMIN.password);
  const bareTabs = [bare.page, await bare.context.newPage(), await bare.context.newPage()];
  for (const tab of bareTabs.slice(1)) {
    await tab.goto(`${url}/#/account`);
    await assertSignedIn(tab, 'Account', 'new tab without locks');
  }
  await sleep((TTL_SEC + 2) * 1000);
  const beforeBare = bareAuth.refreshes();
  await Promise.all(bareTabs.map((tab) => tab.evaluate("location.hash = '#/'")));
  for (const [i, tab] of bareTabs.entries()) await assertSignedIn(tab, 'Projects', `tab ${i} without locks`);
  console.log(`# three tabs without Web Locks: ${bareAuth.refreshes() - beforeBare} refresh request(s)`);
  assert.equal(await reuseEvents(url), 0, 'concurrent refreshes are not mistaken for reuse');

  // 5. Signing out in one tab signs out the others.
  await bareTabs[0]!.getByRole('button', { name: 'Sign out', exact: true }).click();
  await bareTabs[0]!.getByRole('button', { name: 'Sign in' }).waitFor();
  for (const tab of bareTabs.slice(1)) await tab.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
  await bareTabs[0]!.screenshot({ path: join(RESULTS, 'web-session-signed-out.png') });

  assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
});
