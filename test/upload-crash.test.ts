// Crash-safe uploads: the real API process (services/api/src/main.ts) is SIGKILLed at many points
// of a slow streamed upload (while the body arrives, while the worker parses, while the blob is
// written, around the store write, just after the answer). After each kill the API is started
// again on the same data directory, and once its start-up repair has run: every dataset has a
// current version whose blob is there and reads, no blob is unreferenced, no staged or temp file
// is left, the name of an interrupted upload can be used at once, the ingest worker of the killed
// API is gone, and SQLite's integrity check passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const MAIN = resolve(import.meta.dirname, '../services/api/src/main.ts');
const ADMIN = { email: 'crash-admin@example.com', password: 'a crash test passphrase' };

function env(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    PLOTBOX_DATA_DIR: dir,
    PLOTBOX_PORT: '0',
    PLOTBOX_LOG_LEVEL: 'warn',
    PLOTBOX_SEED_DEMO: 'false',
    PLOTBOX_ARGON2_MEMORY_KIB: '1024',
    PLOTBOX_ARGON2_TIME_COST: '1',
    PLOTBOX_LOGIN_RATE_LIMIT: '1000',
    PLOTBOX_API_RATE_LIMIT: '100000',
    PLOTBOX_ADMIN_EMAIL: ADMIN.email,
    PLOTBOX_ADMIN_PASSWORD: ADMIN.password,
    // Leftovers of a process that is gone are swept at once.
    PLOTBOX_UPLOAD_GRACE_MIN: '0',
    PLOTBOX_MIN_FREE_DISK_MB: '0',
    SANDBOX_URL: 'http://127.0.0.1:9',
  };
}

interface Api {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startApi(dir: string): Promise<Api> {
  const child = fork(MAIN, [], { execArgv: ['--no-node-snapshot'], env: env(dir), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`api did not start: ${err}`)), 60_000);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer);
        res(m.port);
      }
    });
    child.once('exit', (code) => rej(new Error(`api exited ${code}: ${err}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

function stop(api: Api, signal: NodeJS.Signals): Promise<void> {
  return new Promise((res) => {
    if (api.child.exitCode !== null || api.child.signalCode !== null) return res();
    api.child.once('exit', () => res());
    api.child.kill(signal);
  });
}

/** Child processes of `pid` (the ingest workers), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text !== '') out.push(...text.split(/\s+/u).map(Number));
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function signIn(api: Api): Promise<string> {
  const res = await fetch(`${api.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-requested-with': 'plotbox' }, body: JSON.stringify(ADMIN) });
  assert.equal(res.status, 200, await res.clone().text());
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

async function call(api: Api, cookie: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(api.url + path, {
    method,
    headers: { cookie, 'content-type': 'application/json', 'x-requested-with': 'plotbox' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** A CSV of `rows` rows, in pieces. */
function csvPieces(rows: number, pieces: number): Buffer[] {
  const lines = ['id,region,amount'];
  for (let i = 0; i < rows; i++) lines.push(`${i},r${i % 50},${(i * 1.25).toFixed(2)}`);
  const all = Buffer.from(`${lines.join('\n')}\n`);
  const size = Math.ceil(all.length / pieces);
  return Array.from({ length: pieces }, (_, k) => all.subarray(k * size, (k + 1) * size));
}

/**
 * POST the pieces with `gapMs` between them; resolves with the status, or `null` when the
 * connection died (the API was killed). `sent` resolves once the whole body is written.
 */
function slowUpload(api: Api, cookie: string, path: string, pieces: readonly Buffer[], gapMs: number, sent?: () => void): Promise<number | null> {
  return new Promise((res) => {
    const u = new URL(api.url + path);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { cookie, 'content-type': 'text/csv', 'x-requested-with': 'plotbox', 'transfer-encoding': 'chunked' } },
      (response) => {
        response.resume();
        response.on('end', () => res(response.statusCode ?? null));
        response.on('error', () => res(null));
      },
    );
    req.on('error', () => res(null));
    let k = 0;
    const next = (): void => {
      if (req.destroyed) return;
      if (k === pieces.length) {
        req.end(() => sent?.());
        return;
      }
      req.write(pieces[k++]);
      setTimeout(next, gapMs);
    };
    next();
  });
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as { isFile(): boolean; name: string; parentPath: string }[]).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

/** The invariants a restarted API must reach (after its repair); returns what is still wrong. */
async function problems(api: Api, cookie: string, dir: string, pid: string): Promise<string[]> {
  const out: string[] = [];
  const list = await call(api, cookie, 'GET', `/api/projects/${pid}/datasets?limit=100`);
  const items = list.json.items as { id: string; name: string; currentVersionId: string | null }[];
  for (const d of items) {
    if (d.currentVersionId === null) {
      out.push(`dataset ${d.name} has no version`);
      continue;
    }
    const preview = await call(api, cookie, 'GET', `/api/projects/${pid}/datasets/${d.id}/versions/${d.currentVersionId}/preview?limit=1`);
    if (preview.status !== 200) out.push(`dataset ${d.name}: preview ${preview.status}`);
  }
  const db = new DatabaseSync(join(dir, 'plotbox.db'), { readOnly: true });
  try {
    const referenced = new Set(
      db
        .prepare('SELECT blob_key FROM dataset_versions')
        .all()
        .map((r) => String(r.blob_key)),
    );
    const blobRoot = join(dir, 'blobs');
    for (const f of files(blobRoot)) {
      const rel = f.slice(blobRoot.length + 1);
      if (rel.endsWith('.tmp')) out.push(`blob temp file ${rel}`);
      else if (rel.startsWith('datasets/') && !referenced.has(rel)) out.push(`unreferenced blob ${rel}`);
    }
    for (const key of referenced) if (!existsSync(join(blobRoot, key))) out.push(`missing blob ${key}`);
    const orphans = db.prepare('SELECT COUNT(*) AS n FROM datasets WHERE current_version_id IS NULL').get();
    if (Number(orphans?.n) > 0) out.push(`${String(orphans?.n)} datasets without a current version`);
  } finally {
    db.close();
  }
  for (const f of files(join(dir, 'staging'))) out.push(`staged file ${f.slice(dir.length + 1)}`);
  return out;
}

/** What a killed API left on disk, before any repair. */
async function leftovers(dir: string): Promise<{ staged: boolean; blobTemp: boolean; unreferenced: boolean }> {
  const db = new DatabaseSync(join(dir, 'plotbox.db'), { readOnly: true });
  let referenced: Set<string>;
  try {
    referenced = new Set(
      db
        .prepare('SELECT blob_key FROM dataset_versions')
        .all()
        .map((r) => String(r.blob_key)),
    );
  } finally {
    db.close();
  }
  const blobRoot = join(dir, 'blobs');
  const blobs = files(blobRoot).map((f) => f.slice(blobRoot.length + 1));
  return {
    staged: files(join(dir, 'staging')).length > 0,
    blobTemp: blobs.some((b) => b.endsWith('.tmp')),
    unreferenced: blobs.some((b) => b.startsWith('datasets/') && b.endsWith('.arrow') && !referenced.has(b)),
  };
}

async function eventually(check: () => Promise<string[]>, ms: number): Promise<string[]> {
  const until = Date.now() + ms;
  let last = await check();
  while (last.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    last = await check();
  }
  return last;
}

test('kill -9 at any point of an upload leaves a consistent store, blob directory and staging directory', { timeout: 300_000 }, async (t) => {
  if (!existsSync('/proc/self/task')) {
    console.log('# skipped: needs /proc to find the ingest worker processes');
    t.skip('needs /proc');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'plotbox-upload-crash-'));
  let api = await startApi(dir);
  t.after(async () => {
    await stop(api, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  let cookie = await signIn(api);
  const project = await call(api, cookie, 'POST', '/api/projects', { name: 'Crash' });
  assert.equal(project.status, 201);
  const pid = (project.json.project as { id: string }).id;
  const pieces = csvPieces(60_000, 30);

  // One complete upload, to time the phases: the body arrives over ~1.5 s, then parse, blob, store.
  const t0 = performance.now();
  assert.equal(await slowUpload(api, cookie, `/api/projects/${pid}/datasets?name=timing`, pieces, 50), 201);
  const total = performance.now() - t0;
  const existing = await call(api, cookie, 'GET', `/api/projects/${pid}/datasets?limit=100`);
  const timingId = (existing.json.items as { id: string; name: string }[]).find((d) => d.name === 'timing')?.id as string;

  // Kill points: while the body arrives (a fraction of its time), then at delays after its last
  // byte, where the worker parses and the blob and the store are written.
  // And at the instant the blob store starts writing (its temp file appears) or has published the
  // blob (the `.arrow` file appears, before the store records the version), seen through inotify.
  const blobDir = join(dir, 'blobs', 'datasets', pid);
  const points: { readonly during?: number; readonly after?: number; readonly on?: 'temp' | 'blob' }[] = [
    { during: 0.2 },
    { during: 0.7 },
    ...[0, 60, 160, 400].map((after) => ({ after })),
    { on: 'temp' },
    { on: 'temp' },
    { on: 'blob' },
    { on: 'blob' },
  ];
  const outcomes: string[] = [];
  const seen = { staged: 0, blobTemp: 0, unreferenced: 0 };
  for (const [i, point] of points.entries()) {
    const f = point.on !== undefined ? `on ${point.on}` : point.during !== undefined ? `${Math.round(point.during * 100)}% of the body` : `end+${point.after ?? 0}ms`;
    const name = `kill-${i}`;
    const workersBefore = new Set<number>();
    const sample = setInterval(() => {
      try {
        for (const p of childrenOf(api.child.pid as number)) workersBefore.add(p);
      } catch {
        // the API is gone
      }
    }, 20);
    // Alternate new datasets and new versions of an existing one.
    const path = i % 2 === 0 ? `/api/projects/${pid}/datasets?name=${name}` : `/api/projects/${pid}/datasets/${timingId}/versions`;
    let bodySent: () => void = () => undefined;
    const sent = new Promise<void>((r) => (bodySent = r));
    const upload = slowUpload(api, cookie, path, pieces, 50, bodySent);
    if (point.on !== undefined) {
      const victim = api.child;
      const watcher = watch(blobDir, (_event, file) => {
        const name = String(file ?? '');
        if (point.on === 'temp' ? name.endsWith('.tmp') : name.endsWith('.arrow') && !before.has(name)) victim.kill('SIGKILL');
      });
      const before = new Set(readdirSync(blobDir));
      await Promise.race([new Promise((r) => victim.once('exit', r)), upload.then(() => new Promise((r) => setTimeout(r, 200)))]);
      watcher.close();
    } else if (point.during !== undefined) {
      const during = point.during;
      await new Promise((r) => setTimeout(r, total * during));
    } else {
      await sent;
      await new Promise((r) => setTimeout(r, point.after));
    }
    await stop(api, 'SIGKILL');
    clearInterval(sample);
    const status = await upload;
    outcomes.push(`${f}: ${status ?? 'killed'}`);
    // What the kill left (the repair must clear it).
    const leftNow = await leftovers(dir);
    if (leftNow.staged) seen.staged++;
    if (leftNow.blobTemp) seen.blobTemp++;
    if (leftNow.unreferenced) seen.unreferenced++;

    // The killed API's ingest workers exit on their own (they lose their parent).
    const deadline = Date.now() + 10_000;
    while ([...workersBefore].some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...workersBefore].filter(alive), [], `ingest workers outlived the API (kill at ${f})`);

    api = await startApi(dir);
    cookie = await signIn(api);
    const left = await eventually(() => problems(api, cookie, dir, pid), 15_000);
    assert.deepEqual(left, [], `after a kill at ${f}`);
    // The interrupted dataset's name is free (or the upload had finished).
    if (i % 2 === 0) {
      const again = await call(api, cookie, 'GET', `/api/projects/${pid}/datasets?limit=100`);
      const exists = (again.json.items as { name: string }[]).some((d) => d.name === name);
      if (!exists) assert.equal(await slowUpload(api, cookie, `/api/projects/${pid}/datasets?name=${name}`, pieces, 0), 201, `retry of ${name}`);
    }
  }
  console.log(`# kill points (upload of ${total.toFixed(0)} ms; answer): ${outcomes.join(', ')}`);
  console.log(`# kills that left staged files: ${seen.staged}, blob temp files: ${seen.blobTemp}, unreferenced blobs: ${seen.unreferenced} (all repaired)`);
  assert.ok(seen.staged > 0, 'some kills happened mid-upload');
  await stop(api, 'SIGTERM');
  const db = new DatabaseSync(join(dir, 'plotbox.db'), { readOnly: true });
  try {
    assert.deepEqual(
      db
        .prepare('PRAGMA integrity_check')
        .all()
        .map((r) => r.integrity_check),
      ['ok'],
    );
  } finally {
    db.close();
  }
});
