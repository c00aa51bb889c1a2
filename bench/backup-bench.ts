// Backup section (issue 13): `plotbox backup` and `plotbox restore` as an operator runs them (child
// processes), against the real API process holding (1) the demo data `npm start` seeds and (2) a
// 1,000,000-row sales dataset uploaded through the API as CSV. For each: backup time (the API
// running), archive size, restore time into an empty data directory (both passes), with an age
// identity (X25519) and with a passphrase (scrypt, work factor 2^18). Reports, never fails on slowness.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { columnToArray, generateSales } from '@plotbox/datasets';
import { printTable } from './data.ts';

const MAIN = resolve(import.meta.dirname, '../services/api/src/main.ts');
const BIN = resolve(import.meta.dirname, '../services/api/bin/plotbox.mjs');
const ADMIN = { email: 'backup-bench@example.com', password: 'a backup benchmark passphrase' };
const PASSPHRASE = 'a backup benchmark archive passphrase';
const MIB = 1024 * 1024;

export interface BackupBenchOptions {
  readonly quick: boolean;
}

async function startApi(dir: string, seedDemo: boolean): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(MAIN, [], {
    execArgv: ['--no-node-snapshot'],
    env: {
      PATH: process.env.PATH ?? '',
      PLOTBOX_DATA_DIR: dir,
      PLOTBOX_PORT: '0',
      PLOTBOX_LOG_LEVEL: 'warn',
      PLOTBOX_SEED_DEMO: String(seedDemo),
      PLOTBOX_ADMIN_EMAIL: ADMIN.email,
      PLOTBOX_ADMIN_PASSWORD: ADMIN.password,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((done, fail) => {
    child.on('message', (m: { type?: string; port?: number }) => m.type === 'listening' && m.port !== undefined && done(m.port));
    child.once('exit', (code) => fail(new Error(`the API exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

function run(env: Record<string, string>, args: readonly string[], input = ''): Promise<{ ms: number; status: number | null; out: string }> {
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end(input);
    child.on('close', (status) => done({ ms: performance.now() - started, status, out }));
  });
}

async function uploadMillion(url: string, dir: string, rows: number): Promise<void> {
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-requested-with': 'plotbox' }, body: JSON.stringify(ADMIN) });
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const headers = { cookie, 'x-requested-with': 'plotbox' };
  const project = (await (
    await fetch(`${url}/api/projects`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Backup bench' }) })
  ).json()) as { project: { id: string } };
  const columns = generateSales(rows, 20240101);
  const arrays = columns.map((c) => columnToArray(c));
  const csv = join(dir, 'sales.csv');
  async function* lines(): AsyncGenerator<string> {
    yield `${columns.map((c) => c.name).join(',')}\n`;
    let buf = '';
    for (let i = 0; i < rows; i++) {
      buf += `${arrays.map((a) => String(a[i] ?? '')).join(',')}\n`;
      if (buf.length > MIB) {
        yield buf;
        buf = '';
      }
    }
    yield buf;
  }
  await pipeline(lines(), createWriteStream(csv));
  const { openAsBlob } = await import('node:fs');
  const res = await fetch(`${url}/api/projects/${project.project.id}/datasets?name=sales`, { method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body: await openAsBlob(csv) });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
}

interface Row {
  readonly data: string;
  readonly key: string;
  readonly backupMs: number;
  readonly archiveBytes: number;
  readonly restoreMs: number;
  readonly storeBytes: number;
  readonly blobs: string;
}

export async function backupBench(options: BackupBenchOptions): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'plotbox-backup-bench-'));
  const rowsOut: Row[] = [];
  try {
    writeFileSync(join(work, 'pass'), PASSPHRASE, { mode: 0o600 });
    const keygen = await run({ PLOTBOX_DATA_DIR: work }, ['backup', 'keygen', '--out', join(work, 'key.txt')]);
    if (keygen.status !== 0) throw new Error(keygen.out);
    const datasets: [string, number | null][] = [['demo (20,000 rows)', null], ...(options.quick ? [] : [['1,000,000 rows', 1_000_000] as [string, number]])];
    for (const [label, rows] of datasets) {
      const dir = join(work, `src-${rows ?? 'demo'}`);
      mkdirSync(dir);
      const api = await startApi(dir, rows === null);
      try {
        if (rows !== null) await uploadMillion(api.url, work, rows);
        // WAL mode: what is not checkpointed yet is in the -wal file.
        const sizeOf = (f: string): number => {
          try {
            return statSync(f).size;
          } catch {
            return 0;
          }
        };
        const db = sizeOf(join(dir, 'plotbox.db')) + sizeOf(join(dir, 'plotbox.db-wal'));
        for (const [keyLabel, keyArgs] of [
          ['age identity', ['--identity', join(work, 'key.txt')]],
          ['passphrase (scrypt 2^18)', ['--passphrase-file', join(work, 'pass')]],
        ] as const) {
          const archive = join(work, `${rows ?? 'demo'}-${keyLabel.length}.age`);
          const b = await run({ PLOTBOX_DATA_DIR: dir }, ['backup', '--out', archive, ...keyArgs]);
          if (b.status !== 0) throw new Error(b.out);
          const target = join(work, `dst-${rows ?? 'demo'}-${keyLabel.length}`);
          mkdirSync(target);
          const r = await run({ PLOTBOX_DATA_DIR: target }, ['restore', archive, ...keyArgs]);
          if (r.status !== 0) throw new Error(r.out);
          const blobs = /(\d+) blobs \(([\d.]+) MiB\)/u.exec(b.out);
          rowsOut.push({
            data: label,
            key: keyLabel,
            backupMs: b.ms,
            archiveBytes: statSync(archive).size,
            restoreMs: r.ms,
            storeBytes: db,
            blobs: blobs === null ? '?' : `${blobs[1] ?? '?'} (${blobs[2] ?? '?'} MiB)`,
          });
        }
      } finally {
        api.child.kill('SIGTERM');
        await new Promise((r) => api.child.once('exit', r));
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  printTable(
    'backup and restore (plotbox CLI processes; the API running during the backup; restore = check pass + write pass into an empty store)',
    ['data', 'key', 'backup', 'archive', 'restore', 'SQLite (+WAL)', 'blobs'],
    rowsOut.map((r) => [
      r.data,
      r.key,
      `${(r.backupMs / 1000).toFixed(1)} s`,
      `${(r.archiveBytes / MIB).toFixed(1)} MiB`,
      `${(r.restoreMs / 1000).toFixed(1)} s`,
      `${(r.storeBytes / MIB).toFixed(1)} MiB`,
      r.blobs,
    ]),
  );
}

if (import.meta.main) await backupBench({ quick: process.argv.includes('--quick') });
