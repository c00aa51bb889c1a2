// Runs after `npm install` / `npm ci`: builds the sandbox runtime bundle (one script for the isolate)
// and the web UI bundle.
// Plain JavaScript so it runs on whatever Node npm itself runs on.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const build = resolve(import.meta.dirname, '../packages/sandbox-runtime/build.mjs');
if (existsSync(build)) {
  const { buildRuntime } = await import(pathToFileURL(build).href);
  await buildRuntime();
}
// ...and the web UI the API serves (services/api/web/dist).
const web = resolve(import.meta.dirname, '../services/api/web/build.mjs');
if (existsSync(web)) {
  const { buildWeb } = await import(pathToFileURL(web).href);
  await buildWeb();
}
