// The web UI in a real browser (Debian's chromium driven by playwright-core) against the real
// stack: the sandbox and the API as their own processes on port 0, a temporary data directory and
// the seeded demo project. The admin signs in with the keyboard, opens the demo dashboard and waits
// for all eight charts (no title drawn twice; a daily axis zoomed to three days ticks by day), edits
// one (a forbidden `eval` on line 2 is reported in Problems with the name as code, not backticks;
// long lines wrap; leaving with unsaved code asks, in the app and on closing the tab; the fixed
// code previews and saves, and the dashboard shows the new figure), uploads a CSV dataset (a failed
// upload's name does not stick to the next file), renames and deletes a chart, a dashboard, a
// dataset and a project through dialogs that name what will be lost (Escape cancels), and sees
// an analyst's error with a link to the editor. A viewer then sees the dashboard without any
// editing control, the broken chart as one calm sentence, a readable refusal on Members, and a
// forged preview request from their page is refused (403). Throughout: no console errors, no CSP
// violations, every form control and button has an accessible name, and no page scrolls sideways
// at 1366 or 800 px. Screenshots go to test-results/ (issue 12, items 3, 4, 9, 10).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import { Client } from './helpers/api.ts';
import { CHROMIUM, a11y, chromiumMissing, openPage, shoot, signIn, startApiProcess } from './helpers/browser.ts';
import { startSandboxService } from './helpers/service.ts';

const ROOT = resolve(import.meta.dirname, '..');
const WEB_BUILD = resolve(ROOT, 'services/api/web/build.mjs');
const RESULTS = resolve(ROOT, 'test-results');

const ADMIN = { email: 'ops@example.com', password: 'correct horse battery staple web ui' };
const VIEWER = { email: 'vera.viewer@example.com', name: 'Vera', password: 'purple elephant marmalade sky' };
const DEMO_PROJECT = 'Demo: sales';
const DEMO_DASHBOARD = 'Sales overview';
const FIRST = EXAMPLE_CHARTS[0]!;
const EDITED_TITLE = 'Units by region, edited in the browser';

/** Chart code with a forbidden call on line 2 (code-check rule `no-eval`). */
const BAD_CODE = `const field = 'units';\nconst total = eval('1 + 1');\nfig = px.bar(df, { x: 'region', y: field, agg: 'sum' });`;
const GOOD_CODE = `const field = 'units';\nfig = px.bar(df, { x: 'region', y: field, agg: 'sum', title: '${EDITED_TITLE}' });`;
/** Passes the check, fails at run time: what a viewer must not read. */
const THROWING_CODE = `const limits = { timeMs: 2000 };\nconst row = null;\nfig = px.bar(df, { x: row.region, y: 'units' });`;
const LONG_LINE = `// ${'a long comment that goes on and on past the edge of the half-width editor '.repeat(3)}`;

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

/** Screenshots at both widths; the page must not scroll sideways at either. */
async function look(page: Page, name: string): Promise<void> {
  const { overflowAt } = await shoot(page, RESULTS, `web-ui-${name}`);
  assert.deepEqual(overflowAt, [], `${name} scrolls sideways at ${overflowAt.join(', ')} px`);
}

/** The open dialog (role dialog, named by its heading). */
function dialog(page: Page, name: RegExp | string) {
  return page.getByRole('dialog', { name });
}

test('web UI in chromium: dashboard, editor (unsaved warning, wrap), rename and delete with confirmations, calm errors for viewers, viewer refusals', { timeout: 420_000 }, async (t) => {
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

  // Setup through the API: a viewer on the demo project, a dashboard with an analyst's broken chart,
  // a dashboard and a project to rename and delete.
  const admin = new Client(url);
  await json(await admin.login(ADMIN.email, ADMIN.password), 200);
  const { user: viewer } = await json<{ user: { id: string } }>(
    await admin.req('POST', '/api/users', { email: VIEWER.email, displayName: VIEWER.name, password: VIEWER.password, systemRole: 'viewer' }),
    201,
  );
  const projects = await json<{ items: { id: string; name: string }[] }>(await admin.req('GET', '/api/projects'), 200);
  const project = projects.items.find((p) => p.name === DEMO_PROJECT);
  assert.ok(project, 'the demo project was seeded');
  const P = `/api/projects/${project.id}`;
  await json(await admin.req('PUT', `${P}/members/user/${viewer.id}`, { role: 'viewer' }), 200);
  const dashboards = await json<{ items: { id: string; name: string }[] }>(await admin.req('GET', `${P}/dashboards`), 200);
  const dashboard = dashboards.items.find((d) => d.name === DEMO_DASHBOARD);
  assert.ok(dashboard, 'the demo dashboard was seeded');
  const datasets = await json<{ items: { id: string; name: string }[] }>(await admin.req('GET', `${P}/datasets`), 200);
  const sales = datasets.items[0];
  assert.ok(sales);
  const { dashboard: broken } = await json<{ dashboard: { id: string } }>(await admin.req('POST', `${P}/dashboards`, { name: 'Broken board' }), 201);
  await json(await admin.req('POST', `${P}/dashboards/${broken.id}/charts`, { title: 'Thrown at run time', code: THROWING_CODE, lang: 'js', datasetId: sales.id }), 201);
  const { dashboard: scratch } = await json<{ dashboard: { id: string } }>(await admin.req('POST', `${P}/dashboards`, { name: 'Scratch board' }), 201);
  await json(await admin.req('POST', `${P}/dashboards/${scratch.id}/charts`, { title: 'Draft with eval', code: BAD_CODE, lang: 'js', datasetId: sales.id }), 201);
  await json(await admin.req('POST', `${P}/dashboards/${scratch.id}/charts`, { title: 'Units again', code: GOOD_CODE, lang: 'js', datasetId: sales.id }), 201);
  const { project: throwaway } = await json<{ project: { id: string } }>(await admin.req('POST', '/api/projects', { name: 'Throwaway project' }), 201);
  await json(await admin.req('POST', `/api/projects/${throwaway.id}/dashboards`, { name: 'Old board' }), 201);
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
      await look(page, 'sign-in');
      // The keyboard: type, Tab from the password to the button, Enter.
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
      await page.getByLabel('Password', { exact: true }).focus();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate<string>('document.activeElement ? document.activeElement.textContent : ""'), 'Sign in', 'Tab reaches the Sign in button');
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
      assert.match(await page.locator('.top .who').innerText(), /\(Admin\)$/u, 'role names are capitalised in the top bar too');

      // A direct load: focus goes to <main> for screen readers, without a ring drawn around the page.
      await page.goto(`${url}/#/projects/${project.id}`);
      await page.getByRole('heading', { level: 1, name: DEMO_PROJECT }).waitFor();
      const ring = await page.evaluate<{ focused: boolean; outline: string }>(
        `({ focused: document.activeElement === document.getElementById('main'), outline: getComputedStyle(document.getElementById('main')).outlineStyle })`,
      );
      assert.deepEqual(ring, { focused: true, outline: 'none' }, 'main is focused without a focus ring');

      // Projects → the demo project → its dashboard with all eight charts.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
      await page.getByRole('list', { name: 'Projects' }).waitFor();
      await look(page, 'projects');
      await page.getByRole('link', { name: DEMO_PROJECT }).click();
      await page.getByRole('link', { name: DEMO_DASHBOARD }).waitFor();
      await a11y(page, 'project');
      await look(page, 'project');
      await page.getByRole('link', { name: DEMO_DASHBOARD }).click();
      await page.getByRole('heading', { level: 1, name: DEMO_DASHBOARD }).waitFor();
      await waitForCharts(page, titles);
      await a11y(page, 'dashboard');
      // Each chart's title once: on its card, not again inside the plot.
      const doubled = await page.evaluate<string[]>(
        `[...document.querySelectorAll('section.chart')].filter((s) => { const t = s.querySelector('h2')?.textContent?.trim().toLowerCase(); return [...s.querySelectorAll('.gtitle')].some((g) => g.textContent.trim().toLowerCase() === t); }).map((s) => s.getAttribute('aria-label'))`,
      );
      assert.deepEqual(doubled, [], 'no chart shows its title twice');
      // A daily axis zoomed to three days ticks by day, never at 00:00 or 12:00.
      const DAILY = `document.querySelector('section[aria-label="Daily revenue"] .js-plotly-plot')`;
      await page.evaluate(`Plotly.relayout(${DAILY}, { 'xaxis.range': ['2024-03-01', '2024-03-04'] })`);
      await page.waitForTimeout(500);
      const ticks = await page.evaluate<string[]>(`[...${DAILY}.querySelectorAll('.xtick text')].map((t) => t.textContent)`);
      assert.ok(ticks.length >= 2, `ticks drawn: ${ticks.join(' | ')}`);
      assert.ok(!ticks.some((x) => /\d{1,2}:\d{2}/u.test(x)), `no hour ticks on a daily axis: ${ticks.join(' | ')}`);
      await page.evaluate(`Plotly.relayout(${DAILY}, { 'xaxis.autorange': true })`);
      await page.waitForTimeout(300);
      const wide = await page.evaluate<string[]>(`[...${DAILY}.querySelectorAll('.xtick text')].map((t) => t.textContent)`);
      assert.ok(wide.length >= 2 && wide.length <= 16, `zoomed out, plotly.js picks the spacing again: ${wide.join(' | ')}`);
      await look(page, 'dashboard');
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
      await problemsRegion
        .getByText(/line 2/iu)
        .first()
        .waitFor();
      const problemsText = await problemsRegion.innerText();
      assert.match(problemsText, /no-eval|eval/u, `Problems names the eval rule: ${problemsText}`);
      assert.doesNotMatch(problemsText, /`/u, 'no literal backticks in rule messages');
      assert.ok((await problemsRegion.locator('li.problem code').count()) > 0, 'names in rule messages are set as code');
      await a11y(page, 'chart editor');
      // Long lines wrap in the half-width editor.
      await page.keyboard.press('Control+End');
      await page.keyboard.insertText(`\n${LONG_LINE}`);
      const wrap = await page.evaluate<{ wraps: boolean; sideways: boolean }>(`(() => {
        const root = document.querySelector('.code-editor').shadowRoot;
        const scroller = root.querySelector('.cm-scroller');
        return { wraps: root.querySelector('.cm-content').classList.contains('cm-lineWrapping'), sideways: scroller.scrollWidth > scroller.clientWidth + 1 };
      })()`);
      assert.deepEqual(wrap, { wraps: true, sideways: false }, 'long lines wrap instead of scrolling sideways');
      await page.getByText('Unsaved changes').waitFor();

      // Leaving with unsaved code asks; Escape and Cancel stay (with the code), as does the browser's own question.
      await page.getByRole('link', { name: 'Back to dashboard' }).click();
      const leave = dialog(page, 'Leave without saving?');
      await leave.waitFor();
      await a11y(page, 'leave dialog');
      await look(page, 'editor-leave-dialog');
      await page.keyboard.press('Escape');
      await leave.waitFor({ state: 'detached' });
      await page.waitForURL((u) => u.hash.includes('/charts/'));
      assert.notEqual(page.url(), dashboardUrl, 'Escape stays in the editor');
      await page.goBack();
      await leave.waitFor();
      await leave.getByRole('button', { name: 'Cancel' }).click();
      await leave.waitFor({ state: 'detached' });
      await page.waitForURL((u) => u.hash.includes('/charts/'));
      assert.match(await code.innerText(), /eval\('1 \+ 1'\)/u, 'the unsaved code is still there');
      {
        // Closing or reloading the tab: the browser asks (beforeunload).
        const second = await context.newPage();
        await second.goto(page.url());
        const secondCode = second.getByRole('textbox', { name: 'Chart code' });
        await secondCode.waitFor();
        await secondCode.click();
        await second.keyboard.insertText('// unsaved\n');
        const asked = new Promise<string>((res) => second.once('dialog', (d) => void d.accept().then(() => res(d.type()))));
        await second.close({ runBeforeUnload: true });
        assert.equal(await asked, 'beforeunload', 'closing a tab with unsaved code asks');
      }
      await code.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(GOOD_CODE);
      await page.getByRole('button', { name: 'Run' }).click();
      await page.getByRole('region', { name: 'Preview' }).locator('.main-svg').first().waitFor({ state: 'attached', timeout: 60_000 });
      await look(page, 'editor');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText(/^Saved at [^]*\.$/u).waitFor();
      assert.equal(await page.getByText(/as a draft with/u).count(), 0, 'saved without problems');
      await page.getByRole('link', { name: 'Back to dashboard' }).click();
      await page.getByRole('heading', { level: 1, name: DEMO_DASHBOARD }).waitFor();
      assert.equal(page.url(), dashboardUrl, 'saved code leaves without asking');
      const edited = page.getByRole('region', { name: FIRST.title, exact: true });
      await edited.locator('.gtitle', { hasText: EDITED_TITLE }).waitFor({ timeout: 60_000 });
      await waitForCharts(page, titles);

      // The broken chart: editors read the analyst's error, with the way to the editor.
      await page.goto(`${url}/#/projects/${project.id}/dashboards/${broken.id}`);
      const thrown = page.getByRole('region', { name: 'Thrown at run time' });
      await thrown.getByRole('alert').waitFor({ timeout: 60_000 });
      assert.match(await thrown.innerText(), /line 3/u, 'editors get the detail');
      await thrown.getByRole('link', { name: 'Open Thrown at run time in the editor' }).waitFor();

      // A CSV dataset on the project page; a failed upload's name does not stick to the next file.
      await page.goto(`${url}/#/projects/${project.id}`);
      await page.getByRole('button', { name: 'Upload dataset' }).waitFor();
      await page.getByLabel('Dataset file').setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('region,units\nNorth,3,extra,fields\n"unterminated\n') });
      assert.equal(await page.getByLabel('Dataset name').inputValue(), 'broken');
      await page.getByRole('button', { name: 'Upload dataset' }).click();
      await page.locator('form[aria-label="Upload a dataset"] .notice-error').waitFor();
      await page.getByLabel('Dataset file').setInputFiles({ name: 'tiny.csv', mimeType: 'text/csv', buffer: Buffer.from('region,units\nNorth,3\nSouth,5\nEast,8\n') });
      assert.equal(await page.getByLabel('Dataset name').inputValue(), 'tiny', 'the name follows the new file');
      await page.getByLabel('Dataset name').fill('tiny browser upload');
      await page.getByRole('button', { name: 'Upload dataset' }).click();
      await page.getByRole('list', { name: 'Datasets' }).getByText('tiny browser upload').waitFor();
      await a11y(page, 'project after upload');

      // The dataset: rename, then delete (the dialog says no chart uses it).
      await page.getByRole('list', { name: 'Datasets' }).getByRole('link', { name: 'tiny browser upload' }).click();
      await page.getByRole('heading', { level: 1, name: 'tiny browser upload' }).waitFor();
      await page.getByRole('table').first().waitFor();
      await look(page, 'dataset');
      await page.getByRole('button', { name: 'Rename' }).click();
      const renameDataset = dialog(page, 'Rename the dataset');
      await renameDataset.getByLabel('Dataset name').fill('tiny renamed');
      await renameDataset.getByRole('button', { name: 'Rename' }).click();
      await page.getByRole('heading', { level: 1, name: 'tiny renamed' }).waitFor();
      await page.getByRole('button', { name: 'Delete dataset' }).click();
      const deleteDataset = dialog(page, 'Delete the dataset “tiny renamed”?');
      await deleteDataset.waitFor();
      assert.match(await deleteDataset.innerText(), /1 version[^]*No chart uses it/u);
      await deleteDataset.getByRole('button', { name: 'Delete dataset' }).click();
      await page.getByRole('heading', { level: 1, name: DEMO_PROJECT }).waitFor();
      await page.getByRole('list', { name: 'Datasets' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'tiny renamed' }).count(), 0);

      // A dashboard: rename, delete a draft chart (Escape cancels first), then the dashboard with its last chart.
      await page.goto(`${url}/#/projects/${project.id}/dashboards/${scratch.id}`);
      await page.getByRole('heading', { level: 1, name: 'Scratch board' }).waitFor();
      const draft = page.getByRole('region', { name: 'Draft with eval' });
      await draft.getByText(/draft with 1 problem/u).waitFor();
      await page.getByRole('button', { name: 'Rename' }).click();
      const renameBoard = dialog(page, 'Rename the dashboard');
      await renameBoard.getByLabel('Dashboard name').fill('Renamed board');
      await renameBoard.getByRole('button', { name: 'Rename' }).click();
      await page.getByRole('heading', { level: 1, name: 'Renamed board' }).waitFor();
      await page.getByRole('button', { name: 'Delete Draft with eval' }).click();
      const deleteChart = dialog(page, 'Delete the chart “Draft with eval”?');
      await deleteChart.waitFor();
      await page.keyboard.press('Escape');
      await deleteChart.waitFor({ state: 'detached' });
      assert.equal(await draft.count(), 1, 'Escape deletes nothing');
      assert.equal(await page.evaluate<string>('document.activeElement?.textContent ?? ""'), 'Delete', 'focus returns to the button that opened the dialog');
      await page.getByRole('button', { name: 'Delete Draft with eval' }).click();
      await deleteChart.getByRole('button', { name: 'Delete chart' }).click();
      await page.getByText('Deleted the chart “Draft with eval”.').waitFor();
      assert.equal(await draft.count(), 0);
      await page.getByRole('button', { name: 'Delete dashboard' }).click();
      const deleteBoard = dialog(page, 'Delete the dashboard “Renamed board”?');
      assert.match(await deleteBoard.innerText(), /Its 1 chart \(“Units again”\) are deleted with it/u);
      await a11y(page, 'delete dialog');
      await look(page, 'delete-dashboard-dialog');
      await deleteBoard.getByRole('button', { name: 'Delete dashboard and 1 chart' }).click();
      await page.getByText('Deleted the dashboard “Renamed board”.').waitFor();
      assert.equal(await page.getByRole('list', { name: 'Dashboards' }).getByRole('link', { name: 'Renamed board' }).count(), 0);

      // A project: rename, then delete (the dialog counts what goes with it).
      await page.goto(`${url}/#/projects/${throwaway.id}`);
      await page.getByRole('heading', { level: 1, name: 'Throwaway project' }).waitFor();
      await page.getByRole('button', { name: 'Rename' }).click();
      await dialog(page, 'Rename the project').getByLabel('Project name').fill('Old experiments');
      await dialog(page, 'Rename the project').getByRole('button', { name: 'Rename' }).click();
      await page.getByRole('heading', { level: 1, name: 'Old experiments' }).waitFor();
      await page.getByRole('button', { name: 'Delete project' }).click();
      const deleteProject = dialog(page, 'Delete the project “Old experiments”?');
      assert.match(await deleteProject.innerText(), /1 dashboard, 0 charts and 0 datasets/u);
      await deleteProject.getByRole('button', { name: 'Delete project' }).click();
      await page.getByRole('list', { name: 'Projects' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Old experiments' }).count(), 0);

      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
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
      assert.equal(await page.getByRole('button', { name: /^(Move |Delete|Rename)/u }).count(), 0, 'no Move, Rename or Delete for a viewer');
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).count(), 0, 'no admin links for a viewer');
      await look(page, 'viewer-dashboard');

      // The analyst's broken chart: one calm sentence, none of the analyst's error text.
      await page.goto(`${url}/#/projects/${project.id}/dashboards/${broken.id}`);
      const thrown = page.getByRole('region', { name: 'Thrown at run time' });
      await thrown.getByText('This chart could not be drawn right now.').waitFor({ timeout: 60_000 });
      const seen = await thrown.innerText();
      assert.doesNotMatch(seen, /line \d|timeMs|null|SANDBOX_|TypeError|editor/u, `viewers see no analyst error text: ${seen}`);
      await look(page, 'viewer-broken-chart');

      // Members, which only owners see: a readable refusal, not "Something went wrong ... (member.view)".
      await page.goto(`${url}/#/projects/${project.id}/members`);
      await page.getByRole('heading', { level: 1, name: 'Not allowed' }).waitFor();
      const refusal = await page.getByRole('alert').innerText();
      assert.match(refusal, /Owner role/u, refusal);
      assert.doesNotMatch(refusal, /member\.view|requires project role/u);

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
