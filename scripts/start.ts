// `npm start`: runs Plotbox with embedded defaults, as two processes: the sandbox service
// (127.0.0.1:8081) and the dashboard API (127.0.0.1:8080, SQLite in the data directory). Creates
// the data directory and a sandbox token on first start (never printed: it is a secret). The API
// generates its dev JWT keys into <data dir>/keys on first start and, while no admin exists,
// makes a one-time setup link.
//
// In a terminal it prints a short summary (the UI link, the setup link, where data lives, how to
// stop) and then only warnings and errors, one human line each; request logs appear with
// PLOTBOX_LOG_LEVEL=debug. Anywhere else (a pipe, a container, CI) the services write their JSON
// logs and startup lines unchanged.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { thresholdOf, viewLogLine } from './log-view.ts';

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(process.env.PLOTBOX_DATA_DIR ?? resolve(root, '.data'));
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const tokenFile = resolve(dataDir, 'sandbox-token');
if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(32).toString('base64url'), { mode: 0o600 });

const sandboxPort = process.env.SANDBOX_PORT ?? '8081';
const interactive = process.stdout.isTTY === true;
const threshold = thresholdOf(process.env.PLOTBOX_LOG_LEVEL);

// The sandbox refuses SANDBOX_* variables it does not know, and knows nothing of PLOTBOX_*.
const sandboxEnv: NodeJS.ProcessEnv = { ...process.env, SANDBOX_TOKEN_FILE: tokenFile };
delete sandboxEnv.PLOTBOX_DATA_DIR;
delete sandboxEnv.SANDBOX_URL;
delete sandboxEnv.SANDBOX_TOKEN;

const apiEnv: NodeJS.ProcessEnv = { ...process.env, PLOTBOX_DATA_DIR: dataDir, SANDBOX_URL: process.env.SANDBOX_URL ?? `http://127.0.0.1:${sandboxPort}`, SANDBOX_TOKEN_FILE: tokenFile };
delete apiEnv.SANDBOX_TOKEN;
delete apiEnv.SANDBOX_PORT;

/** What the API says when it listens (services/api/src/startup-summary.ts). */
interface Facts {
  readonly uiUrl: string;
  readonly setupUrl: string | null;
  readonly setupTtlMin: number;
  readonly demoUrl: string | null;
  readonly storage: { readonly store: string; readonly blobs: string };
  readonly initCommand: string | null;
}
interface Listening {
  readonly type?: string;
  readonly port?: number;
  readonly facts?: Facts;
}

/** Show a child's output in the terminal: JSON log lines through the log view, plain lines as they are (or not at all). */
function relay(stream: Readable | null, source: string, out: NodeJS.WriteStream, keepPlain: boolean): void {
  if (stream === null) return;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    const shown = viewLogLine(line, { threshold, source });
    if (shown === undefined) {
      if (keepPlain && line.trim() !== '') out.write(`${line}\n`);
    } else if (shown !== null) out.write(`${shown}\n`);
  });
}

const children: ChildProcess[] = [];
let stopping = false;
function start(name: string, main: string, env: NodeJS.ProcessEnv, ready: (msg: Listening) => void): void {
  const child = fork(resolve(root, main), [], { execArgv: ['--no-node-snapshot'], env, stdio: ['ignore', interactive ? 'pipe' : 'inherit', interactive ? 'pipe' : 'inherit', 'ipc'] });
  children.push(child);
  if (interactive) {
    // The API's plain stdout lines are its startup text, which the summary below replaces.
    relay(child.stdout, name, process.stdout, name !== 'api');
    relay(child.stderr, name, process.stderr, true);
  }
  child.on('message', (msg: Listening) => {
    if (msg.type === 'listening' && typeof msg.port === 'number') ready(msg);
  });
  // If either process dies, stop the other and exit with its code.
  child.on('exit', (code) => {
    if (!stopping || code !== 0) console.error(`plotbox: ${name} exited (${code ?? 'signal'})`);
    for (const c of children) if (c !== child && c.exitCode === null) c.kill('SIGTERM');
    process.exitCode = code ?? 1;
  });
}

/** The terminal summary: a few lines a person reads once. */
function summary(facts: Facts): string {
  const rows: [string, string][] = [['Web UI', facts.uiUrl]];
  if (facts.setupUrl !== null) {
    rows.push(['First admin', facts.setupUrl]);
    rows.push(['', `one-time link, valid ${facts.setupTtlMin} min${facts.initCommand === null ? '' : `; or run: ${facts.initCommand}`}`]);
  }
  if (facts.demoUrl !== null) rows.push(['Demo', facts.demoUrl]);
  rows.push(['Data', dataDir], ['', `${facts.storage.store}; ${facts.storage.blobs}; keys and the sandbox token`]);
  rows.push(['Logs', threshold <= 20 ? 'everything at the level asked for, requests included' : 'warnings and errors only (PLOTBOX_LOG_LEVEL=debug shows every request)']);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return ['', 'Plotbox is running.', '', ...rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`), '', 'Press Ctrl+C to stop it.', ''].join('\n');
}

let sandboxReady = false;
let apiFacts: Facts | null = null;
function maybeSummarise(): void {
  if (interactive && sandboxReady && apiFacts !== null) console.log(summary(apiFacts));
}

start('sandbox', 'services/sandbox/src/main.ts', sandboxEnv, (msg) => {
  sandboxReady = true;
  if (!interactive) console.log(`\nPlotbox sandbox service ready on http://127.0.0.1:${msg.port ?? sandboxPort} (bearer token in ${tokenFile})\n`);
  maybeSummarise();
});
start('api', 'services/api/src/main.ts', apiEnv, (msg) => {
  apiFacts = msg.facts ?? null;
  if (!interactive) console.log(`\nPlotbox is ready: ${msg.facts?.uiUrl ?? `http://127.0.0.1:${msg.port}/`}\n`);
  maybeSummarise();
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (interactive && !stopping) console.log('\nStopping Plotbox…');
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  });
}
