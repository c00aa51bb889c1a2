// Links analysts put in chart text, as a viewer's browser gets them (Debian's chromium driven by
// playwright-core, the real sandbox and API as processes): an http(s) link in a chart title opens
// in a new tab without a handle on the viewer's page (target=_blank, rel=noopener noreferrer),
// and a chart whose text links anywhere else never reaches the browser (the host's figure check
// refuses it, and the viewer sees the calm message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { Client } from './helpers/api.ts';
import { CHROMIUM, chromiumMissing, openPage, signIn, startApiProcess } from './helpers/browser.ts';
import { startSandboxService } from './helpers/service.ts';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = resolve(ROOT, 'test-results');
const ADMIN = { email: 'lina.links@example.com', password: 'links open in a new tab only' };

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 300));
  return JSON.parse(text) as T;
}

test('chart links: http(s) only, opened in a new tab with noopener', { timeout: 180_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) {
    console.log(`# skipping the chart-links browser test: ${missing}`);
    t.skip(missing);
    return;
  }
  const { buildWeb } = (await import(pathToFileURL(resolve(ROOT, 'services/api/web/build.mjs')).href)) as { buildWeb: () => Promise<void> };
  await buildWeb();
  mkdirSync(RESULTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-web-links-'));
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
  const projects = await json<{ items: { id: string; name: string }[] }>(await admin.req('GET', '/api/projects'), 200);
  const project = projects.items[0];
  assert.ok(project, 'the demo project');
  const datasets = await json<{ items: { id: string }[] }>(await admin.req('GET', `/api/projects/${project.id}/datasets`), 200);
  const { dashboard } = await json<{ dashboard: { id: string } }>(await admin.req('POST', `/api/projects/${project.id}/dashboards`, { name: 'Links' }), 201);
  const base = `/api/projects/${project.id}/dashboards/${dashboard.id}`;
  const linked = "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum', title: 'Units (<a href=\"https://example.com/method\">method</a>)' });";
  const hostile = "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum', title: 'Units (<a href=\"mailto:someone@example.com\">write</a>)' });";
  await json(await admin.req('POST', `${base}/charts`, { title: 'Linked', code: linked, datasetId: datasets.items[0]?.id }), 201);
  const { chart: bad } = await json<{ chart: { id: string } }>(await admin.req('POST', `${base}/charts`, { title: 'Mail link', code: hostile, datasetId: datasets.items[0]?.id }), 201);
  // The host refuses the second figure before any browser sees it.
  const refused = await json<{ error: { code: string } }>(await admin.req('POST', `${base}/charts/${bad.id}/render`, {}), 422);
  assert.equal(refused.error.code, 'FIGURE_INVALID');

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  t.after(() => browser.close());
  const problems: string[] = [];
  const expected: string[] = [];
  const { page } = await openPage(browser, problems, expected);
  await page.goto(`${url}/`);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto(`${url}/#/projects/${project.id}/dashboards/${dashboard.id}`);
  const region = page.getByRole('region', { name: 'Linked', exact: true });
  await region.locator('.main-svg').first().waitFor({ state: 'attached', timeout: 60_000 });
  const links = await region
    .locator('a')
    .evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href') ?? a.getAttribute('xlink:href'), target: a.getAttribute('target'), rel: a.getAttribute('rel') })));
  const method = links.find((l) => l.href === 'https://example.com/method');
  assert.ok(method, `the title's link is drawn: ${JSON.stringify(links)}`);
  assert.equal(method.target, '_blank');
  assert.equal(method.rel, 'noopener noreferrer');
  await page.screenshot({ path: join(RESULTS, 'web-chart-links.png'), fullPage: true });
  assert.deepEqual(problems, [], 'no console errors or CSP violations');
});
