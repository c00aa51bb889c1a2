// Runs after `npm install` / `npm ci`: builds the sandbox runtime bundle (one script for the isolate).
// Plain JavaScript so it runs on whatever Node npm itself runs on.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const build = resolve(import.meta.dirname, '../packages/sandbox-runtime/build.mjs');
if (existsSync(build)) {
  const { buildRuntime } = await import(pathToFileURL(build).href);
  await buildRuntime();
}
