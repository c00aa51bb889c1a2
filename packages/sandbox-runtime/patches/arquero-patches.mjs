// An esbuild plugin that puts faster, equivalent modules (./arquero/) in place of a few of
// arquero's own in the isolate bundle (build.mjs). Each replacement was written against one exact
// text of the module it replaces, so the build fails when arquero's file is not that text (an
// upgrade, a local edit) or when a patched file is no longer part of the bundle: the replacement
// must then be checked against the new code, never applied silently.
// Only the bundle is patched: code that imports arquero in Node (tests, the in-process benchmark)
// runs arquero's own modules. Plain JavaScript, like build.mjs.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** arquero's folder (the package the bundle resolves `arquero` to). */
const ARQUERO_ROOT = resolve(dirname(createRequire(import.meta.url).resolve('arquero/package.json')));

/**
 * Module of arquero (path under the package) → SHA-256 of the text its replacement was written
 * against (arquero 8.0.3). The replacement is ./arquero/<same path>.
 * - util/random.js: the seeded LCG as module-level int32 state stepped with Math.imul (the
 *   original keeps it in a closure and multiplies in floating point); same numbers.
 * - util/sample.js, util/shuffle.js: uniform sampling and shuffling step that LCG inline, when a
 *   seed is set and the arrays are typed arrays; same indices, same order.
 */
export const ARQUERO_PATCHES = Object.freeze({
  'src/util/random.js': 'ab1c1a3b246b9cf5ef63f89cc50e02173ec67d08df19d3cc18173dff3836a6b2',
  'src/util/sample.js': '9579aa1cde7257dc3b167ef4f9fb9d114ee0c0e6a832e7548d012e1f5d1b8684',
  'src/util/shuffle.js': '97cefcc16fa03ce02db8b1e8b93f23a8c9325867b03db5064f70cd2fbd3a4180',
});

/** A path under `root`, with forward slashes; undefined for a file elsewhere. */
function pathUnder(root, file) {
  const rel = relative(root, file);
  if (rel.startsWith('..') || rel.startsWith(sep) || rel === '') return undefined;
  return rel.split(sep).join('/');
}

/**
 * The plugin. Fails the build when a patched module's text is not the one expected, or when a
 * patched module was not loaded at all.
 * @param {{ root?: string }} [options] `root`: arquero's folder (default: the installed package; tests give a copy)
 * @returns {import('esbuild').Plugin}
 */
export function arqueroPatches(options = {}) {
  const root = resolve(options.root ?? ARQUERO_ROOT);
  return {
    name: 'plotbox-arquero-patches',
    setup(build) {
      const applied = new Set();
      build.onStart(() => {
        applied.clear();
      });
      build.onLoad({ filter: /[\\/]src[\\/].+\.js$/ }, async (args) => {
        const path = pathUnder(root, args.path);
        const expected = path === undefined ? undefined : ARQUERO_PATCHES[path];
        if (path === undefined || expected === undefined) return undefined;
        const original = await readFile(args.path);
        const actual = createHash('sha256').update(original).digest('hex');
        if (actual !== expected) {
          return {
            errors: [
              {
                text: `arquero's ${path} is not the text patches/arquero/${path.slice('src/'.length)} was written against (sha256 ${actual}, expected ${expected}): check the replacement against the new code, then update ARQUERO_PATCHES`,
              },
            ],
          };
        }
        applied.add(path);
        return {
          contents: await readFile(join(here, 'arquero', path.slice('src/'.length)), 'utf8'),
          loader: 'js',
          // Its imports of arquero's other modules resolve as the original's did.
          resolveDir: dirname(args.path),
        };
      });
      build.onEnd((result) => {
        if (result.errors.length > 0) return undefined;
        const missing = Object.keys(ARQUERO_PATCHES).filter((path) => !applied.has(path));
        if (missing.length === 0) return undefined;
        return { errors: [{ text: `arquero patches not applied (the bundle no longer loads ${missing.join(', ')}): check patches/arquero-patches.mjs against arquero` }] };
      });
    },
  };
}
