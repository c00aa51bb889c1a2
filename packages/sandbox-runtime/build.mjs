// Bundles the isolate runtime (src/isolate-entry.ts: ses, arquero, px) into ONE classic script,
// dist/runtime.js, that an isolate evaluates once per warm context. Plain JavaScript so the root
// postinstall script can run it on whatever Node npm runs on.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { arqueroPatches } from './patches/arquero-patches.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Where the bundle is written. */
export const RUNTIME_BUNDLE = resolve(here, 'dist/runtime.js');

/**
 * The esbuild options every isolate runtime bundle shares (build-danfo.mjs takes them too): one
 * ES2023 IIFE from src/isolate-entry.ts, minified, with no imports.
 * @param {string} outfile
 * @param {{ minify?: boolean }} options
 */
export function runtimeBuildOptions(outfile, options) {
  return {
    entryPoints: [resolve(here, 'src/isolate-entry.ts')],
    outfile,
    bundle: true,
    format: 'iife',
    target: 'es2023',
    // 'browser' resolves arquero's browser field, which swaps its node:fs stream reader for fetch;
    // neither exists in an isolate, and the loaders that use them are left out of `aq`.
    platform: 'browser',
    mainFields: ['module', 'main'],
    // flechette builds a TextDecoder/TextEncoder at load; a bare context has neither global.
    inject: [resolve(here, 'src/text-codec-shim.ts')],
    minify: options.minify ?? true,
    legalComments: 'none',
    charset: 'utf8',
    // The modules are ES modules, strict by definition; an IIFE bundle is a classic script, so say
    // it (ses refuses to initialise in sloppy mode).
    banner: { js: '"use strict";' },
    logLevel: 'warning',
  };
}

/**
 * Build dist/runtime.js: an ES2023 IIFE, minified, with no imports and no globals other than the
 * `__plotbox_boot` that isolate-entry.ts defines.
 * @param {{ outfile?: string, minify?: boolean }} [options]
 * @returns {Promise<string>} the path of the bundle
 */
export async function buildRuntime(options = {}) {
  const outfile = options.outfile ?? RUNTIME_BUNDLE;
  await mkdir(dirname(outfile), { recursive: true });
  // arquero's seeded sampling, made faster with identical results (patches/arquero-patches.mjs).
  await build({ ...runtimeBuildOptions(outfile, options), plugins: [arqueroPatches()] });
  return outfile;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = await buildRuntime();
  console.log(`built ${file}`);
}
