// `npm start`: runs Plotbox with embedded defaults, as two processes: the sandbox service
// (127.0.0.1:8081) and the dashboard API (127.0.0.1:8080, SQLite in the data directory). Creates
// the data directory and a sandbox token on first start (never printed: it is a secret). The API
// generates its dev JWT keys into <data dir>/keys on first start and, while no admin exists,
// prints a one-time setup link.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(process.env.PLOTBOX_DATA_DIR ?? resolve(root, '.data'));
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const tokenFile = resolve(dataDir, 'sandbox-token');
if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(32).toString('base64url'), { mode: 0o600 });

const sandboxPort = process.env.SANDBOX_PORT ?? '8081';

// The sandbox refuses SANDBOX_* variables it does not know, and knows nothing of PLOTBOX_*.
const sandboxEnv: NodeJS.ProcessEnv = { ...process.env, SANDBOX_TOKEN_FILE: tokenFile };
delete sandboxEnv.PLOTBOX_DATA_DIR;
delete sandboxEnv.SANDBOX_URL;
delete sandboxEnv.SANDBOX_TOKEN;

const apiEnv: NodeJS.ProcessEnv = { ...process.env, PLOTBOX_DATA_DIR: dataDir, SANDBOX_URL: process.env.SANDBOX_URL ?? `http://127.0.0.1:${sandboxPort}`, SANDBOX_TOKEN_FILE: tokenFile };
delete apiEnv.SANDBOX_TOKEN;
delete apiEnv.SANDBOX_PORT;

const children: ChildProcess[] = [];
function start(name: string, main: string, env: NodeJS.ProcessEnv, ready: (port: number) => void): void {
  const child = fork(resolve(root, main), [], { execArgv: ['--no-node-snapshot'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  child.on('message', (msg: { type?: string; port?: number }) => {
    if (msg.type === 'listening' && typeof msg.port === 'number') ready(msg.port);
  });
  // If either process dies, stop the other and exit with its code.
  child.on('exit', (code) => {
    console.error(`plotbox: ${name} exited (${code ?? 'signal'})`);
    for (const c of children) if (c !== child && c.exitCode === null) c.kill('SIGTERM');
    process.exitCode = code ?? 1;
  });
}

start('sandbox', 'services/sandbox/src/main.ts', sandboxEnv, (port) => {
  console.log(`\nPlotbox sandbox service ready on http://127.0.0.1:${port}`);
  console.log(`  bearer token: in ${tokenFile}`);
  console.log(`  try: curl -s http://127.0.0.1:${port}/readyz\n`);
});
start('api', 'services/api/src/main.ts', apiEnv, (port) => {
  console.log(`\nPlotbox API ready on http://127.0.0.1:${port}`);
  console.log(`  try: curl -s http://127.0.0.1:${port}/api/health\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  });
}
