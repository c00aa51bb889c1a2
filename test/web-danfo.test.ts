// The chart editor's runtime picker in a real browser (Debian's chromium driven by playwright-core,
// the real sandbox and API as processes): a new chart set to "danfo" gets the danfo starter, the
// reference lists df/dfd (not aq/op) and completion offers dfd's members; Run draws the danfo
// figure, Save stores runtime "danfo" (the figure's numbers are the dataset's group sums), and
// the reopened chart shows the picker on danfo and renders. No console errors or CSP violations,
// every control named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { Client } from './helpers/api.ts';
import { CHROMIUM, a11y, chromiumMissing, openPage, signIn, startApiProcess } from './helpers/browser.ts';
import { startSandboxService } from './helpers/service.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = resolve(ROOT, 'test-results');
const ADMIN = { email: 'dana.danfo@example.com', password: 'pandas people pick danfo' };

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 300));
  return JSON.parse(text) as T;
}

test('chart editor: the danfo runtime picked, referenced, completed, previewed, saved and reopened', { timeout: 240_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) {
    console.log(`# skipping the danfo browser test: ${missing}`);
    t.skip(missing);
    return;
  }
  const { buildWeb } = (await import(pathToFileURL(resolve(ROOT, 'services/api/web/build.mjs')).href)) as { buildWeb: () => Promise<void> };
  await buildWeb();
  mkdirSync(RESULTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-web-danfo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = await startSandboxService();
  t.after(() => sandbox.stop());
  const url = await startApiProcess(t, {
    PLOTBOX_DATA_DIR: dir,
    PLOTBOX_ADMIN_EMAIL: ADMIN.email,
    PLOTBOX_ADMIN_PASSWORD: ADMIN.password,
    PLOTBOX_SEED_DEMO: 'true',
    SANDBOX_URL: sandbox.url,
    SANDBOX_TOKEN: sandbox.token,
  });

  const admin = new Client(url);
  await json(await admin.login(ADMIN.email, ADMIN.password), 200);
  const projects = await json<{ items: { id: string }[] }>(await admin.req('GET', '/api/projects'), 200);
  const project = projects.items[0];
  assert.ok(project, 'the demo project');
  const { dashboard } = await json<{ dashboard: { id: string } }>(await admin.req('POST', `/api/projects/${project.id}/dashboards`, { name: 'Danfo' }), 201);
  const base = `/api/projects/${project.id}/dashboards/${dashboard.id}`;

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  t.after(() => browser.close());
  const problems: string[] = [];
  const { page } = await openPage(browser, problems, []);
  await page.goto(`${url}/`);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto(`${url}/#/projects/${project.id}/dashboards/${dashboard.id}/charts/new`);

  const runtime = page.getByLabel('Runtime');
  await runtime.waitFor();
  assert.equal(await runtime.inputValue(), 'arquero', 'arquero is the default');
  const code = page.getByRole('textbox', { name: 'Chart code' });
  // The starter follows the dataset's columns (loaded after the page), then the runtime.
  await page.getByRole('heading', { name: /^Columns of / }).waitFor();
  await runtime.selectOption('danfo');
  await page
    .getByText(/df \(a danfo DataFrame\), dfd, data and px are in scope/u)
    .first()
    .waitFor();
  const starter = await code.innerText();
  assert.match(starter, /df\.groupby\(\['region'\]\)\.col\(\['units'\]\)\.sum\(\)/u, starter);
  const globals = await page.locator('#reference-globals dt code').allInnerTexts();
  assert.deepEqual(globals, ['df', 'dfd', 'data', 'px', 'fig']);
  assert.match(await page.locator('#chart-runtime-help').innerText(), /danfo DataFrame/u);

  // Completion after `dfd.` offers danfo's classes.
  await code.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.insertText('\nconst s = new dfd.Se');
  await page.keyboard.press('Control+Space');
  const completions = page.locator('.code-editor').locator('.cm-tooltip-autocomplete li');
  await completions.first().waitFor();
  const offered = await completions.allInnerTexts();
  assert.ok(
    offered.some((o) => o.startsWith('Series')),
    offered.join(' | '),
  );
  await page.keyboard.press('Escape');
  // Back to the starter, which runs on danfo.
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(starter);
  await page.getByLabel('Title').fill('Units by region (danfo)');
  await a11y(page, 'chart editor on danfo');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByRole('region', { name: 'Preview' }).locator('.main-svg').first().waitFor({ state: 'attached', timeout: 60_000 });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL((u) => /\/charts\/[^/?]+\?saved=1$/u.test(u.hash));

  const charts = await json<{ items: { id: string; runtime: string; title: string }[] }>(await admin.req('GET', `${base}/charts`), 200);
  assert.deepEqual(
    charts.items.map((c) => [c.title, c.runtime]),
    [['Units by region (danfo)', 'danfo']],
  );
  const rendered = await json<{ figure: { data: { x: string[]; y: number[] }[] } }>(await admin.req('POST', `${base}/charts/${charts.items[0]?.id}/render`, {}), 200);
  const trace = rendered.figure.data[0];
  assert.ok(trace !== undefined && trace.x.length > 0);
  // The same sums through arquero on the same dataset: the runtimes agree.
  const datasets = await json<{ items: { id: string }[] }>(await admin.req('GET', `/api/projects/${project.id}/datasets`), 200);
  const check = await json<{ figure: { data: { x: string[]; y: number[] }[] } }>(
    await admin.req('POST', `${base}/preview`, { code: "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum' });", datasetId: datasets.items[0]?.id }),
    200,
  );
  const sums = (tr: { x: string[]; y: number[] } | undefined): Record<string, number> => Object.fromEntries((tr?.x ?? []).map((k, i) => [k, tr?.y[i] ?? NaN]));
  assert.deepEqual(sums(trace), sums(check.figure.data[0]));

  // Reopened: the picker shows danfo, the chart renders, nothing is unsaved.
  await page.reload();
  await runtime.waitFor();
  assert.equal(await runtime.inputValue(), 'danfo');
  await page.getByRole('region', { name: 'Preview' }).locator('.main-svg').first().waitFor({ state: 'attached', timeout: 60_000 });
  assert.equal(await page.getByText('Unsaved changes').isVisible(), false);
  await page.screenshot({ path: join(RESULTS, 'web-danfo-editor.png'), fullPage: true });
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
});
