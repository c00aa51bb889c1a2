// Runs after `npm install` / `npm ci`: builds the sandbox runtime bundles (one script per runtime
// for the isolate: arquero, danfo) and the web UI bundle.
// Plain JavaScript so it runs on whatever Node npm itself runs on.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const build = resolve(import.meta.dirname, '../packages/sandbox-runtime/build.mjs');
if (existsSync(build)) {
  const { buildRuntime } = await import(pathToFileURL(build).href);
  await buildRuntime();
}
// ...the danfo runtime, a second bundle for charts that choose `runtime: "danfo"`...
const buildDanfo = resolve(import.meta.dirname, '../packages/sandbox-runtime/build-danfo.mjs');
if (existsSync(buildDanfo)) {
  const { buildDanfoRuntime } = await import(pathToFileURL(buildDanfo).href);
  await buildDanfoRuntime();
}
// ...and the web UI the API serves (services/api/web/dist).
const web = resolve(import.meta.dirname, '../services/api/web/build.mjs');
if (existsSync(web)) {
  const { buildWeb } = await import(pathToFileURL(web).href);
  await buildWeb();
}
