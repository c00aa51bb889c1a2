// Builds the web UI into services/api/web/dist: one ES module bundle (app.js) from src/main.ts,
// the stylesheet, index.html and plotly.js-dist's own minified bundle, all served by the API from
// its own origin (no CDN; no inline script, so the strict CSP holds). Run by the root postinstall
// and, if dist is missing, by the API at start. Plain JavaScript so it runs on npm's own Node.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

const here = import.meta.dirname;

/** Build the UI; resolves when dist is complete. */
export async function buildWeb() {
  const { build } = await import('esbuild');
  const out = resolve(here, 'dist');
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [resolve(here, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    outfile: resolve(out, 'app.js'),
    logLevel: 'warning',
  });
  cpSync(resolve(here, 'src/app.css'), resolve(out, 'app.css'));
  const require = createRequire(import.meta.url);
  const plotlyDir = dirname(require.resolve('plotly.js-dist/package.json'));
  const plotly = readFileSync(resolve(plotlyDir, 'plotly.js'), 'utf8');
  writeFileSync(resolve(out, 'plotly.js'), plotly);
  // plotly.js bundles maplibre-gl, whose CSS it injects as a <style> element at load unless an
  // element with that CSS's id exists: ship the CSS as a file under that id instead (strict CSP).
  const m = /getElementById\("([0-9a-f]{64})"\)\) \{\s*var (\w+) = document\.createElement\("style"\);[\s\S]{0,200}?\2\.textContent = `([^`]*)`/u.exec(plotly);
  if (m === null) throw new Error('web build: cannot find the maplibre CSS in plotly.js (its bundle changed): update build.mjs');
  writeFileSync(resolve(out, 'plotly-maplibre.css'), m[3]);
  writeFileSync(resolve(out, 'index.html'), readFileSync(resolve(here, 'src/index.html'), 'utf8').replace('__MAPLIBRE_CSS_ID__', m[1]));
}

if (process.argv[1] === import.meta.filename) await buildWeb();
