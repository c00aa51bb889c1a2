// Personal data in a real browser (issue 13): an admin downloads a user's data from the users page
// and erases them through a confirmation that names what will be lost and asks where the projects
// they alone own go; a user downloads their own data from the account page. No console errors, no
// CSP violations, every control named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Client } from './helpers/api.ts';
import { CHROMIUM, a11y, chromiumMissing, openPage, signIn, startApiProcess } from './helpers/browser.ts';

const ROOT = resolve(import.meta.dirname, '..');
const ADMIN = { email: 'ops@example.com', password: 'correct horse battery staple admin ui' };
const ADA = { email: 'ada@example.com', name: 'Ada Lovelace', password: 'analytical engine notes' };
const HAL = { email: 'hal@example.com', name: 'Hal Heir', password: 'heir to the engines' };

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 500));
  return JSON.parse(text) as T;
}

/** Click what starts a download and read the file. */
async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; body: string }> {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await d.path();
  return { name: d.suggestedFilename(), body: readFileSync(path, 'utf8') };
}

test('admin UI: export a user’s data, erase them (projects handed over); account page: download my data', { timeout: 180_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing !== null) {
    console.log(`# skipping the browser test: ${missing}`);
    t.skip(missing);
    return;
  }
  const { buildWeb } = (await import(pathToFileURL(resolve(ROOT, 'services/api/web/build.mjs')).href)) as { buildWeb: () => Promise<void> };
  await buildWeb();
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-web-pd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = await startApiProcess(t, { PLOTBOX_DATA_DIR: dir, PLOTBOX_ADMIN_EMAIL: ADMIN.email, PLOTBOX_ADMIN_PASSWORD: ADMIN.password, PLOTBOX_SEED_DEMO: 'false' });
  const admin = new Client(url);
  await json(await admin.login(ADMIN.email, ADMIN.password), 200);
  const mk = async (u: { email: string; name: string; password: string }): Promise<string> =>
    (await json<{ user: { id: string } }>(await admin.req('POST', '/api/users', { email: u.email, displayName: u.name, password: u.password, systemRole: 'user' }), 201)).user.id;
  const adaId = await mk(ADA);
  const halId = await mk(HAL);
  const ada = new Client(url);
  await json(await ada.login(ADA.email, ADA.password), 200);
  const project = await json<{ project: { id: string } }>(await ada.req('POST', '/api/projects', { name: 'Engines' }), 201);

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const problems: string[] = [];
  const { page } = await openPage(browser, problems, []);
  await page.goto(`${url}/`);
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto(`${url}/#/admin/users`);
  await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();

  const exported = await download(page, () => page.getByRole('link', { name: `Export the personal data of ${ADA.email}` }).click());
  assert.equal(exported.name, `plotbox-personal-data-${adaId}.json`);
  const data = JSON.parse(exported.body) as { user: { email: string }; grants: { projects: { projectName: string }[] } };
  assert.equal(data.user.email, ADA.email);
  assert.deepEqual(
    data.grants.projects.map((g) => g.projectName),
    ['Engines'],
  );

  await page.getByRole('button', { name: `Erase ${ADA.email}` }).click();
  const dialog = page.getByRole('dialog', { name: `Erase ${ADA.email}?` });
  await dialog.waitFor();
  const text = (await dialog.textContent()) ?? '';
  assert.match(text, /the account, its password/u);
  assert.match(text, /1 live session/u);
  assert.match(text, /They alone own 1 project: “Engines”/u);
  assert.match(text, /audit log keeps every event/u);
  await a11y(page, 'the erase dialog');
  assert.ok(await dialog.getByRole('radio', { name: /Hand them to/u }).isChecked());
  await dialog.getByRole('combobox', { name: 'New owner' }).selectOption(halId);
  // Cancel first: nothing happens.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await admin.req('GET', `/api/users/${adaId}/erasure-plan`)).status, 200);
  await page.getByRole('button', { name: `Erase ${ADA.email}` }).click();
  await dialog.waitFor();
  await dialog.getByRole('combobox', { name: 'New owner' }).selectOption(halId);
  await dialog.getByRole('button', { name: 'Erase user' }).click();
  await page.getByText(/ada@example\.com was erased\. The audit log keeps their events under erased-/u).waitFor();
  assert.equal(await page.getByRole('cell', { name: ADA.email }).count(), 0);
  const grants = await json<{ items: { principal: { id: string }; role: string }[] }>(await admin.req('GET', `/api/projects/${project.project.id}/members`), 200);
  assert.ok(JSON.stringify(grants).includes(halId), 'the project is Hal’s');
  assert.equal((await ada.req('GET', '/api/me')).status, 401);

  // Hal downloads his own data from the account page.
  const { page: halPage } = await openPage(browser, problems, []);
  await halPage.goto(`${url}/`);
  await signIn(halPage, HAL.email, HAL.password);
  await halPage.getByRole('link', { name: 'Account', exact: true }).click();
  await halPage.getByRole('heading', { level: 2, name: 'Your data' }).waitFor();
  const mine = await download(halPage, () => halPage.getByRole('link', { name: 'Download my data' }).click());
  const own = JSON.parse(mine.body) as { user: { email: string }; grants: { projects: { projectName: string; role: string }[] } };
  assert.equal(own.user.email, HAL.email);
  assert.deepEqual(
    own.grants.projects.map((g) => [g.projectName, g.role]),
    [['Engines', 'owner']],
  );
  await a11y(halPage, 'the account page');
  assert.deepEqual(problems, []);
});
