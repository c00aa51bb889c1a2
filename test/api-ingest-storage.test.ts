// Honest readiness and full disks: /api/ready reports storage (each place the API writes can be
// written and keeps PLOTBOX_MIN_FREE_DISK_MB free) with the reason when not; a write that meets a
// full disk (staging, blob directory, SQLite) answers 507 STORAGE_FULL, stores nothing and leaves
// no temp file; once space is back, uploads work again. Real tiny filesystems (tmpfs) when root.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApi, type Client, type TestApi } from './helpers/api.ts';

async function signedIn(api: TestApi): Promise<Client> {
  const u = await api.createUser();
  const client = api.client();
  assert.equal((await client.login(u.email, u.password)).status, 200);
  return client;
}

function upload(c: Client, path: string, body: string, type = 'text/csv'): Promise<Response> {
  const cookie = [...c.jar.entries()].map(([k, v]) => `${k}=${v.value}`).join('; ');
  return fetch(c.url + path, { method: 'POST', headers: { 'x-requested-with': 'plotbox', cookie, 'content-type': type }, body });
}

async function ready(api: TestApi): Promise<{ status: number; body: { status: string; checks: Record<string, string>; reasons?: string[] } }> {
  const res = await fetch(`${api.url}/api/ready`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string>; reasons?: string[] } };
}

/** A tmpfs of `size` mounted for the test (unmounted last), or `null` with a printed reason. */
function tinyFilesystem(t: TestContext, size: string): string | null {
  if (process.getuid?.() !== 0) {
    console.log('# skipped: mounting a tiny tmpfs needs root');
    t.skip('mounting a tiny tmpfs needs root');
    return null;
  }
  const mnt = mkdtempSync(join(tmpdir(), 'plotbox-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    rmSync(mnt, { recursive: true, force: true });
    console.log('# skipped: mount -t tmpfs is not allowed here');
    t.skip('mount -t tmpfs is not allowed here');
    return null;
  }
  return mnt;
}

function unmountLater(t: TestContext, mnt: string): void {
  t.after(() => {
    execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
    rmSync(mnt, { recursive: true, force: true });
  });
}

/** Fill the filesystem at `dir`, leaving about `leave` bytes (0: completely full). */
let fillers = 0;
function fill(dir: string, leave: number): string {
  const path = join(dir, `filler-big-${fillers++}`);
  const total = Number(execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n')[1]);
  try {
    writeFileSync(path, Buffer.alloc(Math.max(0, total - leave)));
  } catch {
    // ENOSPC while filling completely: full, as wanted
  }
  if (leave === 0) {
    try {
      for (let i = 0; i < 64; i++) writeFileSync(join(dir, `filler-${i}`), Buffer.alloc(4096));
    } catch {
      // full
    }
  }
  return path;
}

function tempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.split('/').some((s) => s.startsWith('.')) || /\.(in|out)$/u.test(p));
}

test('/api/ready reports storage: writable and above PLOTBOX_MIN_FREE_DISK_MB, with the reason when not', async (t) => {
  const ok = await startTestApi(t, { env: { PLOTBOX_MIN_FREE_DISK_MB: '1' } });
  const r1 = await ready(ok);
  assert.equal(r1.body.checks.storage, 'ok');
  assert.ok(!(r1.body.reasons ?? []).some((r) => /free space|disk|written/u.test(r)), JSON.stringify(r1.body));
  // 10 TB free required: not ready, saying why (and never a path or a byte count).
  const low = await startTestApi(t, { env: { PLOTBOX_MIN_FREE_DISK_MB: '10000000' } });
  const r2 = await ready(low);
  assert.equal(r2.status, 503);
  assert.equal(r2.body.status, 'not_ready');
  assert.equal(r2.body.checks.storage, 'low_space');
  assert.ok(
    r2.body.reasons?.some((r) => /PLOTBOX_MIN_FREE_DISK_MB/u.test(r)),
    JSON.stringify(r2.body),
  );
  assert.doesNotMatch(JSON.stringify(r2.body), /\/tmp\/|\d{6,}/u);
});

test('a full blob directory or database: 507 STORAGE_FULL, nothing stored, no temp file; ready says full; recovers', async (t) => {
  const mnt = tinyFilesystem(t, '6m');
  if (mnt === null) return;
  const staging = mkdtempSync(join(tmpdir(), 'plotbox-staging-'));
  const api = await startTestApi(t, { dataDir: mnt, env: { PLOTBOX_STAGING_DIR: staging, PLOTBOX_MIN_FREE_DISK_MB: '1' } });
  unmountLater(t, mnt);
  t.after(() => rmSync(staging, { recursive: true, force: true }));
  const owner = await signedIn(api);
  const created = await owner.req('POST', '/api/projects', { name: 'Full' });
  const pid = ((await created.json()) as { project: { id: string } }).project.id;
  const base = `/api/projects/${pid}/datasets`;
  assert.equal((await upload(owner, `${base}?name=small`, 'a,b\n1,2\n')).status, 201);

  // About 3 MB stored (distinct strings), with ~300 KB left on the data disk: the blob cannot be written.
  const lines = ['id,s'];
  for (let i = 0; i < 100_000; i++) lines.push(`${i},value-${i}-xxxxxxxxxx`);
  const big = `${lines.join('\n')}\n`;
  const filler = fill(mnt, 300 * 1024);
  const res = await upload(owner, `${base}?name=big`, big);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(res.status, 507, JSON.stringify(body));
  assert.equal(body.error.code, 'STORAGE_FULL');
  assert.doesNotMatch(body.error.message, /ENOSPC|\/tmp\//u);
  assert.equal(await api.store.datasets.findByName(pid, 'big'), null);
  assert.deepEqual(tempFiles(join(mnt, 'blobs')), []);
  assert.deepEqual(tempFiles(staging), []);
  const r = await ready(api);
  assert.equal(r.status, 503);
  assert.ok(['low_space', 'full'].includes(r.body.checks.storage ?? ''), JSON.stringify(r.body));

  // Completely full: a database write is 507 too (SQLite reports the disk full), reads still work.
  fill(mnt, 0);
  // SQLite reuses the pages its WAL already has: write until it needs one more.
  const statuses = new Set<number>();
  let full: Response | undefined;
  for (let i = 0; i < 2000 && full === undefined; i++) {
    const proj = await owner.req('POST', '/api/projects', { name: `Another ${i}`, description: 'd'.repeat(1000) });
    statuses.add(proj.status);
    if (proj.status === 507) full = proj;
    else await proj.arrayBuffer();
  }
  assert.ok(full !== undefined, `no write failed: ${[...statuses].join(', ')}`);
  assert.deepEqual(
    [...statuses].filter((s) => s !== 201 && s !== 507),
    [],
    'only successes and 507',
  );
  assert.equal(((await full.json()) as { error: { code: string } }).error.code, 'STORAGE_FULL');
  assert.equal((await owner.req('GET', base)).status, 200);
  assert.equal((await ready(api)).body.checks.storage, 'full');

  // Space back: uploads work, ready's storage check passes.
  for (const f of readdirSync(mnt)) if (f.startsWith('filler')) rmSync(join(mnt, f));
  assert.ok(!existsSync(filler));
  assert.equal((await upload(owner, `${base}?name=big`, big)).status, 201);
  assert.equal((await ready(api)).body.checks.storage, 'ok');
});

test('a full staging disk: 507 STORAGE_FULL while the body arrives, nothing left behind', async (t) => {
  const mnt = tinyFilesystem(t, '1m');
  if (mnt === null) return;
  const api = await startTestApi(t, { env: { PLOTBOX_STAGING_DIR: mnt, PLOTBOX_MIN_FREE_DISK_MB: '0' } });
  unmountLater(t, mnt);
  const owner = await signedIn(api);
  const created = await owner.req('POST', '/api/projects', { name: 'Staging' });
  const pid = ((await created.json()) as { project: { id: string } }).project.id;
  const res = await upload(owner, `/api/projects/${pid}/datasets?name=big`, `a,b\n${'1,2\n'.repeat(600_000)}`);
  assert.equal(res.status, 507, await res.clone().text());
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'STORAGE_FULL');
  assert.deepEqual(readdirSync(mnt), []);
  assert.equal(await api.store.datasets.findByName(pid, 'big'), null);
  // The failure is audited (the audit log is on another disk here).
  const audits = (await api.store.audit.query({ action: 'dataset_upload' }, { limit: 10 })).items;
  assert.ok(audits.some((a) => a.outcome === 'failure' && a.details.reason === 'storage_full'));
});
