// Bundles the danfo runtime (the `danfo` Code Mode runtime: ses, danfojs, px) into ONE classic
// script, dist/danfo-runtime.js, beside the arquero runtime (build.mjs). The entry is the same
// isolate-entry.ts; a few modules are put in place of others here (see DANFO_SWAPS), so both
// runtimes share the lockdown, the per-run compartment, the serializer and px.
// Plain JavaScript so the root postinstall script can run it on whatever Node npm runs on.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runtimeBuildOptions } from './build.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// danfojs exports only its entry (dist/danfojs-browser/src/index.js under Node's conditions); its
// core, dist/danfojs-base, sits two folders up from that, wherever npm put the package.
const danfoBase = resolve(dirname(createRequire(import.meta.url).resolve('danfojs')), '../../danfojs-base/index.js');

/** Where the bundle is written. */
export const DANFO_RUNTIME_BUNDLE = resolve(here, 'dist/danfo-runtime.js');

/**
 * Modules of the arquero runtime replaced in the danfo bundle, and what stands in for them:
 * - the analyst's globals (`dfd`, `df` as a danfo DataFrame, `data`, `px`; no `aq`/`op`) and
 *   their JIT warm-up;
 * - `arquero`, of which isolate-entry.ts only seeds the random source (no arquero here);
 * - `@tensorflow/tfjs` (the union package: layers, converter, tf.data, WebGL) by tfjs-core and
 *   its CPU backend, all danfo computes with;
 * - `mathjs` by the five statistics danfo uses, from mathjs's ES module build;
 * - danfo's plotting module (plotly.js, a DOM) and the `table` text formatter (ajv, which
 *   compiles code with `new Function` at run time): a sandbox draws with px.
 * File I/O (danfo's `io/`: papaparse, xlsx, fetch) is not reached: `danfojs` resolves to
 * danfo-base's index, which has none.
 */
const DANFO_SWAPS = {
  './create-globals.ts': resolve(here, 'src/danfo/danfo-globals.ts'),
  './warm-up.ts': resolve(here, 'src/danfo/warm-up.ts'),
  arquero: resolve(here, 'src/danfo/arquero-seed.ts'),
  '@tensorflow/tfjs': resolve(here, 'src/danfo/tfjs-cpu.ts'),
  '../../danfojs-base/plotting': resolve(here, 'src/danfo/no-plotting.ts'),
  table: resolve(here, 'src/danfo/table-text.ts'),
  mathjs: resolve(here, 'src/danfo/mathjs-stats.ts'),
  // danfo's core without its browser entry's file readers and writers (papaparse, xlsx, fetch).
  danfojs: danfoBase,
};

/** @type {import('esbuild').Plugin} */
const swaps = {
  name: 'plotbox-danfo-swaps',
  setup(b) {
    b.onResolve({ filter: /^(\.\/create-globals\.ts|\.\/warm-up\.ts|arquero|@tensorflow\/tfjs|\.\.\/\.\.\/danfojs-base\/plotting|table|danfojs|mathjs)$/ }, (args) => {
      // A stand-in's own import of the package it stands in for resolves normally.
      if (DANFO_SWAPS[args.path] === args.importer) return undefined;
      // Only the runtime's own imports of its globals and warm-up are swapped (not danfo-globals'
      // own relative imports, which never use these names).
      if (args.path.startsWith('./') && !args.importer.startsWith(resolve(here, 'src'))) return undefined;
      return { path: DANFO_SWAPS[args.path] };
    });
  },
};

/**
 * Build dist/danfo-runtime.js: an ES2023 IIFE, minified, with no imports and no globals other
 * than the `__plotbox_boot` that isolate-entry.ts defines (and tfjs's engine, which the start
 * compartment alone sees: danfo-globals.ts).
 * @param {{ outfile?: string, minify?: boolean }} [options]
 * @returns {Promise<string>} the path of the bundle
 */
export async function buildDanfoRuntime(options = {}) {
  const outfile = options.outfile ?? DANFO_RUNTIME_BUNDLE;
  await mkdir(dirname(outfile), { recursive: true });
  const shared = runtimeBuildOptions(outfile, options);
  await build({ ...shared, plugins: [swaps], define: { 'process.env.NODE_ENV': '"production"' } });
  return outfile;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = await buildDanfoRuntime();
  console.log(`built ${file}`);
}
