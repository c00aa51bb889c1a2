// Starts the real sandbox service (services/sandbox/src/main.ts) as its own process on port 0.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { encodeArrowIPC } from '@plotbox/datasets';
import type { ColumnarDataset } from '@plotbox/sandbox-protocol';

export interface SandboxService {
  readonly url: string;
  readonly token: string;
  readonly child: ChildProcess;
  /** Fetch with the bearer token. */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** Upload a dataset (Arrow IPC) under its sha256. */
  putDataset(dataset: ColumnarDataset): Promise<Response>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const MAIN = resolve(import.meta.dirname, '../../services/sandbox/src/main.ts');

export async function startSandboxService(env: Record<string, string> = {}): Promise<SandboxService> {
  const token = randomBytes(32).toString('base64url');
  const child = fork(MAIN, [], {
    execArgv: ['--no-node-snapshot'],
    env: {
      PATH: process.env.PATH ?? '',
      SANDBOX_TOKEN: token,
      SANDBOX_PORT: '0',
      SANDBOX_WORKERS: '2',
      SANDBOX_POOL_SIZE: '1',
      // The isolate mode under test (test/helpers/sandbox.ts ISOLATE_REUSE).
      SANDBOX_ISOLATE_REUSE: process.env.SANDBOX_TEST_ISOLATE_REUSE === 'off' ? 'off' : 'on',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`sandbox did not start: ${stderr}`)), 30_000);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'listening' && m.port) {
        clearTimeout(timer);
        res(m.port);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`sandbox exited with ${code}: ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const call = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(url + path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) } });
  // Wait until the workers are warm.
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`${url}/readyz`);
    if (r.status === 200) break;
    await new Promise((r2) => setTimeout(r2, 50));
  }
  return {
    url,
    token,
    child,
    call,
    putDataset: (dataset) => call(`/v1/datasets/${dataset.sha256}`, { method: 'PUT', body: encodeArrowIPC(dataset.columns), headers: { 'content-type': 'application/vnd.apache.arrow.stream' } }),
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null) return res(child.exitCode);
        child.once('exit', (code) => res(code));
        child.kill('SIGTERM');
      }),
  };
}

/** A run request; it names a project (one tenant, as the API's runs do) unless `extra` says otherwise. */
export function runBody(code: string, sha256: string, extra: Record<string, unknown> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, dataset: { sha256 }, project: 'test-project', ...extra }) };
}
