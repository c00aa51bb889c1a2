// The web UI in a real browser (Debian's chromium driven by playwright-core) against the real
// stack: the sandbox and the API as their own processes on port 0, a temporary data directory and
// the seeded demo project. The admin signs in with the keyboard, opens the demo dashboard and waits
// for all eight charts, edits one (a forbidden `eval` on line 2 is reported in Problems; the fixed
// code previews and saves, and the dashboard shows the new figure), uploads a CSV dataset, grants
// a member, visits the admin and account pages and signs out. A viewer then sees the dashboard
// without any editing control, and a forged preview request from their page is refused (403).
// Throughout: no console errors, no CSP violations, and every form control and button has an
// accessible name. Screenshots go to test-results/.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import { Client } from './helpers/api.ts';
import { CHROMIUM, a11y, chromiumMissing, openPage, signIn, startApiProcess } from './helpers/browser.ts';
import { startSandboxService } from './helpers/service.ts';

const ROOT = resolve(import.meta.dirname, '..');
const WEB_BUILD = resolve(ROOT, 'services/api/web/build.mjs');
const RESULTS = resolve(ROOT, 'test-results');

const ADMIN = { email: 'ops@example.com', password: 'correct horse battery staple web ui' };
const VIEWER = { email: 'vera.viewer@example.com', name: 'Vera', password: 'purple elephant marmalade sky' };
const GRANTEE = { email: 'gina.grantee@example.com', name: 'Gina', password: 'quiet harbour lantern morning' };
const DEMO_PROJECT = 'Demo: sales';
const DEMO_DASHBOARD = 'Sales overview';
const FIRST = EXAMPLE_CHARTS[0]!;
const EDITED_TITLE = 'Units by region, edited in the browser';

/** Chart code with a forbidden call on line 2 (code-check rule `no-eval`). */
const BAD_CODE = `const field = 'units';\nconst total = eval('1 + 1');\nfig = px.bar(df, { x: 'region', y: field, agg: 'sum' });`;
const GOOD_CODE = `const field = 'units';\nfig = px.bar(df, { x: 'region', y: field, agg: 'sum', title: '${EDITED_TITLE}' });`;

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 500));
  return JSON.parse(text) as T;
}

async function startStack(t: TestContext): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-web-ui-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = await startSandboxService({ SANDBOX_LIMIT_TIME_MS: '5000' });
  t.after(async () => {
    await sandbox.stop();
  });
  return startApiProcess(t, {
    PLOTBOX_DATA_DIR: dir,
    PLOTBOX_ADMIN_EMAIL: ADMIN.email,
    PLOTBOX_ADMIN_PASSWORD: ADMIN.password,
    PLOTBOX_SEED_DEMO: 'true',
    SANDBOX_URL: sandbox.url,
    SANDBOX_TOKEN: sandbox.token,
  });
}

/** Wait until every chart region of the dashboard holds a Plotly SVG. */
async function waitForCharts(page: Page, titles: readonly string[]): Promise<void> {
  for (const title of titles) {
    await page.getByRole('region', { name: title, exact: true }).locator('.main-svg').first().waitFor({ state: 'attached', timeout: 60_000 });
  }
}

/** After a failure: a screenshot of where the page was and what it logged (the page may be closed). */
async function onFailure(page: Page, who: string, problems: readonly string[]): Promise<void> {
  if (page.isClosed()) return;
  console.log(`# ${who} page at ${page.url()}; problems so far: ${problems.length === 0 ? 'none' : problems.join(' | ')}`);
  await page.screenshot({ path: join(RESULTS, `web-ui-failure-${who}.png`), fullPage: true }).catch(() => undefined);
}

test('web UI in chromium: sign in, dashboard, chart editor, dataset upload, members, admin pages, viewer refusals', { timeout: 280_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) {
    console.log(`# skipping the browser test: ${missing}`);
    t.skip(missing);
    return;
  }
  // The UI under test is this checkout's source, not whatever dist an earlier install left.
  const { buildWeb } = (await import(pathToFileURL(WEB_BUILD).href)) as { buildWeb: () => Promise<void> };
  await buildWeb();
  mkdirSync(RESULTS, { recursive: true });

  const url = await startStack(t);
  assert.equal((await fetch(`${url}/api/ready`)).status, 200);

  // Setup through the API: a viewer on the demo project and a user for the grant in the UI.
  const admin = new Client(url);
  await json(await admin.login(ADMIN.email, ADMIN.password), 200);
  const { user: viewer } = await json<{ user: { id: string } }>(await admin.req('POST', '/api/users', { email: VIEWER.email, displayName: VIEWER.name, password: VIEWER.password, systemRole: 'viewer' }), 201);
  await json(await admin.req('POST', '/api/users', { email: GRANTEE.email, displayName: GRANTEE.name, password: GRANTEE.password, systemRole: 'user' }), 201);
  const projects = await json<{ items: { id: string; name: string }[] }>(await admin.req('GET', '/api/projects'), 200);
  const project = projects.items.find((p) => p.name === DEMO_PROJECT);
  assert.ok(project, 'the demo project was seeded');
  await json(await admin.req('PUT', `/api/projects/${project.id}/members/user/${viewer.id}`, { role: 'viewer' }), 200);
  const dashboards = await json<{ items: { id: string; name: string }[] }>(await admin.req('GET', `/api/projects/${project.id}/dashboards`), 200);
  const dashboard = dashboards.items.find((d) => d.name === DEMO_DASHBOARD);
  assert.ok(dashboard, 'the demo dashboard was seeded');
  const titles = EXAMPLE_CHARTS.map((c) => c.title);
  assert.equal(titles.length, 8);

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  t.after(async () => {
    await browser.close();
  });
  const problems: string[] = [];
  const expectedHttpErrors: string[] = [];
  let current: { page: Page; who: string } | null = null;

  try {
    // ---------------------------------------------------------------- admin
    {
      const { context, page } = await openPage(browser, problems, expectedHttpErrors);
      current = { page, who: 'admin' };

      await page.goto(`${url}/`);
      await page.getByRole('heading', { name: 'Sign in to Plotbox' }).waitFor();
      await a11y(page, 'sign-in');
      // The keyboard: type, Tab from the password to the button, Enter.
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByLabel('Password', { exact: true }).focus();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate<string>('document.activeElement ? document.activeElement.textContent : ""'), 'Sign in', 'Tab reaches the Sign in button');
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Sign out' }).waitFor();

      // Projects → the demo project → its dashboard with all eight charts.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
      await page.getByRole('link', { name: DEMO_PROJECT }).click();
      await page.getByRole('link', { name: DEMO_DASHBOARD }).waitFor();
      await a11y(page, 'project');
      await page.getByRole('link', { name: DEMO_DASHBOARD }).click();
      await page.getByRole('heading', { level: 1, name: DEMO_DASHBOARD }).waitFor();
      await waitForCharts(page, titles);
      await a11y(page, 'dashboard');
      await page.screenshot({ path: join(RESULTS, 'web-ui-dashboard.png'), fullPage: true });
      const dashboardUrl = page.url();

      // The chart editor: a forbidden eval on line 2 shows up in Problems; the fixed code previews and saves.
      await page.getByRole('link', { name: `Edit ${FIRST.title}` }).click();
      const code = page.getByRole('textbox', { name: 'Chart code' });
      await code.waitFor();
      await code.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(BAD_CODE);
      await page.getByRole('button', { name: 'Run' }).click();
      const problemsRegion = page.getByRole('region', { name: 'Problems' });
      await problemsRegion.getByText(/line 2/iu).first().waitFor();
      const problemsText = await problemsRegion.innerText();
      assert.match(problemsText, /no-eval|eval/u, `Problems names the eval rule: ${problemsText}`);
      await a11y(page, 'chart editor');
      await code.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(GOOD_CODE);
      await page.getByRole('button', { name: 'Run' }).click();
      await page.getByRole('region', { name: 'Preview' }).locator('.main-svg').first().waitFor({ state: 'attached', timeout: 60_000 });
      await page.screenshot({ path: join(RESULTS, 'web-ui-editor.png'), fullPage: true });
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText(/^Saved at [^]*\.$/u).waitFor();
      assert.equal(await page.getByText(/as a draft with/u).count(), 0, 'saved without problems');
      await page.getByRole('link', { name: 'Back to dashboard' }).click();
      assert.equal(page.url(), dashboardUrl);
      await page.getByRole('heading', { level: 1, name: DEMO_DASHBOARD }).waitFor();
      const edited = page.getByRole('region', { name: FIRST.title, exact: true });
      await edited.locator('.gtitle', { hasText: EDITED_TITLE }).waitFor({ timeout: 60_000 });
      await waitForCharts(page, titles);

      // A CSV dataset on the project page.
      await page.goto(`${url}/#/projects/${project.id}`);
      await page.getByRole('button', { name: 'Upload dataset' }).waitFor();
      await page.getByLabel('Dataset file').setInputFiles({ name: 'tiny.csv', mimeType: 'text/csv', buffer: Buffer.from('region,units\nNorth,3\nSouth,5\nEast,8\n') });
      await page.getByLabel('Dataset name').fill('tiny browser upload');
      await page.getByRole('button', { name: 'Upload dataset' }).click();
      await page.getByRole('list', { name: 'Datasets' }).getByText('tiny browser upload').waitFor();
      await a11y(page, 'project after upload');

      // Members: grant Gina editor.
      await page.getByRole('link', { name: 'Members' }).click();
      await page.getByRole('button', { name: 'Grant' }).waitFor();
      await page.getByLabel('Principal type').selectOption('user');
      const who = page.getByLabel(/^User or group/u);
      if ((await page.getByRole('combobox', { name: /^User or group/u }).count()) > 0) {
        const value = await who.locator('option', { hasText: GRANTEE.email }).getAttribute('value');
        assert.ok(value !== null, 'Gina is offered');
        await who.selectOption(value);
      } else {
        const gina = await json<{ items: { id: string; email: string }[] }>(await admin.req('GET', '/api/users'), 200);
        await who.fill(gina.items.find((u) => u.email === GRANTEE.email)?.id ?? '');
      }
      await page.getByLabel('Role', { exact: true }).selectOption('editor');
      await page.getByRole('button', { name: 'Grant' }).click();
      await page.getByRole('table').getByRole('row').filter({ hasText: GRANTEE.email }).filter({ hasText: /editor/iu }).first().waitFor();
      await a11y(page, 'members');

      // Admin pages and the account page (this helper's own pages).
      const nav = page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Users' }).click();
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      await page.getByRole('combobox', { name: `Role for ${VIEWER.email}` }).waitFor();
      await page.getByRole('button', { name: `Disable ${GRANTEE.email}` }).click();
      await page.getByRole('button', { name: `Enable ${GRANTEE.email}` }).waitFor();
      await page.getByRole('button', { name: `Enable ${GRANTEE.email}` }).click();
      await page.getByRole('button', { name: `Disable ${GRANTEE.email}` }).waitFor();
      await a11y(page, 'admin users');

      await nav.getByRole('link', { name: 'Groups' }).click();
      await page.getByRole('heading', { level: 1, name: 'Groups' }).waitFor();
      await page.getByLabel('Group name').fill('Analysts');
      await page.getByRole('button', { name: 'Create group' }).click();
      const addTo = page.getByLabel('User to add to Analysts');
      const ginaOption = await addTo.locator('option', { hasText: GRANTEE.email }).getAttribute('value');
      assert.ok(ginaOption !== null);
      await addTo.selectOption(ginaOption);
      await page.getByRole('button', { name: 'Add to Analysts' }).click();
      await page.getByRole('button', { name: `Remove ${GRANTEE.email}` }).waitFor();
      await a11y(page, 'admin groups');

      await nav.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      await page.getByLabel('Type', { exact: true }).fill('group_member_add');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.getByRole('table', { name: 'Audit events' }).getByRole('row').filter({ hasText: 'group_member_add' }).first().waitFor();
      assert.equal(await page.getByRole('table', { name: 'Audit events' }).getByRole('row').filter({ hasText: 'login_success' }).count(), 0, 'the type filter applies');
      await a11y(page, 'audit log');

      await nav.getByRole('link', { name: 'Account' }).click();
      await page.getByRole('heading', { level: 1, name: 'Account' }).waitFor();
      await page.getByText('This session').waitFor();
      await page.getByLabel('Key name').fill('ci');
      await page.getByRole('button', { name: 'Create key' }).click();
      const keyText = await page.getByLabel('API key ci').innerText();
      assert.match(keyText, /^pbx_/u, 'the new key is shown once');
      await page.getByRole('button', { name: 'Revoke ci' }).waitFor();
      await a11y(page, 'account');
      const keyWorks = await fetch(`${url}/api/projects`, { headers: { authorization: `Bearer ${keyText.trim()}` } });
      assert.equal(keyWorks.status, 200, 'the key shown is the real key');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to Plotbox' }).waitFor();
      await context.close();
    }

    // ---------------------------------------------------------------- viewer
    {
      const { context, page } = await openPage(browser, problems, expectedHttpErrors);
      current = { page, who: 'viewer' };
      await page.goto(`${url}/`);
      await signIn(page, VIEWER.email, VIEWER.password);
      await page.getByRole('link', { name: DEMO_PROJECT }).click();
      await page.getByRole('link', { name: DEMO_DASHBOARD }).click();
      await page.getByRole('heading', { level: 1, name: DEMO_DASHBOARD }).waitFor();
      await waitForCharts(page, titles);
      await a11y(page, 'viewer dashboard');
      assert.equal(await page.getByRole('link', { name: /^Edit /u }).count(), 0, 'no Edit links for a viewer');
      assert.equal(await page.getByRole('link', { name: 'New chart' }).count(), 0, 'no New chart for a viewer');
      assert.equal(await page.getByRole('button', { name: /^Move /u }).count(), 0, 'no Move buttons for a viewer');
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).count(), 0, 'no admin links for a viewer');

      // A forged preview from the viewer's own page (same origin, the CSRF header): the API says no.
      const forged = await page.evaluate<{ status: number; code: string }>(`fetch('/api/projects/${project.id}/dashboards/${dashboard.id}/preview', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'plotbox' },
        body: JSON.stringify({ code: "fig = px.bar(df, { x: 'region', y: 'units' });", lang: 'js' }),
      }).then(async (r) => ({ status: r.status, code: ((await r.json()).error || {}).code }))`);
      assert.equal(forged.status, 403, `forged preview: ${JSON.stringify(forged)}`);

      // An admin page reached by address shows the API's refusal.
      await page.goto(`${url}/#/admin/users`);
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      await page.getByRole('alert').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Create user' }).count(), 0);
      await context.close();
    }
  } catch (err) {
    if (current !== null) await onFailure(current.page, current.who, problems);
    throw err;
  }

  console.log(`# expected HTTP errors the app handled: ${expectedHttpErrors.length === 0 ? 'none' : expectedHttpErrors.join(', ')}`);
  // Each kind once (Plotly repeats its CSP reports per chart), so a failure stays readable.
  const distinct = [...new Set(problems.map((p) => p.replace(/ \(page [^)]*\)$/u, '')))];
  assert.deepEqual(distinct, [], 'console errors, page errors or CSP violations');
});
