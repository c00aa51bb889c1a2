// `npm start`: runs Plotbox with embedded defaults. Creates the data directory and a sandbox
// token on first start (never printed: it is a secret), then starts the sandbox service.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dataDir = resolve(process.env.PLOTBOX_DATA_DIR ?? resolve(root, '.data'));
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
const tokenFile = resolve(dataDir, 'sandbox-token');
if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(32).toString('base64url'), { mode: 0o600 });

const env: NodeJS.ProcessEnv = { ...process.env, SANDBOX_TOKEN_FILE: tokenFile };
delete env.PLOTBOX_DATA_DIR;
const sandbox = fork(resolve(root, 'services/sandbox/src/main.ts'), [], {
  execArgv: ['--no-node-snapshot'],
  env,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
sandbox.on('message', (msg: { type?: string; port?: number }) => {
  if (msg.type === 'listening') {
    console.log(`\nPlotbox sandbox service ready on http://127.0.0.1:${msg.port}`);
    console.log(`  bearer token: in ${tokenFile}`);
    console.log(`  try: curl -s http://127.0.0.1:${msg.port}/readyz\n`);
  }
});
sandbox.on('exit', (code) => process.exit(code ?? 1));
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => sandbox.kill('SIGTERM'));
