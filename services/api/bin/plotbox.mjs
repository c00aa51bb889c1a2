#!/usr/bin/env node
// `plotbox` CLI launcher: runs src/cli.ts with Node 24 (which runs TypeScript directly). The
// machine's `node` may be older, so prefer the Node 24 that the `node` devDependency installs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../src/cli.ts');
const major = Number(process.versions.node.split('.')[0]);
let node = process.execPath;
if (major < 24) {
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = resolve(dir, 'node_modules/.bin/node');
    if (existsSync(candidate)) {
      node = candidate;
      break;
    }
    if (dirname(dir) === dir) {
      console.error("plotbox: needs Node 24 (install the repo's dependencies or put Node 24 on PATH)");
      process.exit(2);
    }
  }
}
const result = spawnSync(node, ['--no-warnings', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
