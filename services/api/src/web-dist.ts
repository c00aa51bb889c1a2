/**
 * Where the built web UI is, building it first if `npm install` did not (for instance after
 * `git pull` without a reinstall). The build is our own esbuild step over `services/api/web`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const WEB = resolve(import.meta.dirname, '../web');

export async function ensureWebBuilt(): Promise<string> {
  const dist = resolve(WEB, 'dist');
  if (!existsSync(resolve(dist, 'index.html')) || !existsSync(resolve(dist, 'app.js'))) {
    const { buildWeb } = (await import(pathToFileURL(resolve(WEB, 'build.mjs')).href)) as { buildWeb: () => Promise<void> };
    await buildWeb();
  }
  return dist;
}
