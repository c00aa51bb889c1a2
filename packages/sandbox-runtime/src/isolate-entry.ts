/**
 * Entry point of the isolate bundle (`dist/runtime.js`, built by `build.mjs`).
 *
 * Evaluated once per warm isolate as a classic script, it defines exactly one global, the
 * non-enumerable `__plotbox_boot`, and nothing else. Per run the host calls
 * `__plotbox_boot(payload, { maxBytes })`, which installs the analyst's globals, strips the
 * globals that could reach outside pure computation, removes itself, and returns the function
 * the host later calls (as a Reference) to serialize `fig`. `__plotbox_boot.warmUp(rows)` optionally
 * exercises the hot paths on synthetic data first (see warm-up.ts).
 */
import { createGlobals, GLOBAL_NAMES } from './create-globals.ts';
import type { DatasetPayload } from './columns.ts';
import { serializeFigure } from './serialize-figure.ts';
import type { SerializeResult } from './serialize-figure.ts';
import { REMOVED_GLOBALS } from './removed-globals.ts';
import { warmUp } from './warm-up.ts';

/**
 * The analyst's top-level `fig` (`fig = …`, `var fig`, or `let fig`). Referenced as a free
 * identifier so it resolves, at call time, through the global lexical scope that every classic
 * script shares (where a top-level `let` lives) and then the global object (where `var` and
 * sloppy assignments live).
 */
declare const fig: unknown;

const BOOT_NAME = '__plotbox_boot';
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const global = globalThis as unknown as Record<string, unknown>;
const defineProperty = Object.defineProperty;
const deleteProperty = Reflect.deleteProperty;

/** Options the host passes to `__plotbox_boot`. */
export interface BootOptions {
  /** Output limit for the figure JSON, bytes (default 4 MiB). */
  readonly maxBytes?: number;
}

function readFig(): { readonly found: boolean; readonly value: unknown } {
  try {
    return typeof fig === 'undefined' ? { found: false, value: undefined } : { found: true, value: fig };
  } catch {
    // `let fig` declared but never initialised (the script threw before it): no figure.
    return { found: false, value: undefined };
  }
}

let booted = false;

function boot(payload: DatasetPayload, options?: BootOptions): () => SerializeResult {
  if (booted) throw new Error('__plotbox_boot may run once per isolate');
  booted = true;
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new TypeError('maxBytes must be a positive integer');
  const globals = createGlobals(payload);
  for (const name of GLOBAL_NAMES) {
    defineProperty(global, name, { value: globals[name], writable: false, enumerable: false, configurable: false });
  }
  for (const name of REMOVED_GLOBALS) deleteProperty(global, name);
  deleteProperty(global, BOOT_NAME);
  return function serialize(): SerializeResult {
    const current = readFig();
    if (!current.found) {
      return { ok: false, code: 'SANDBOX_NO_FIGURE', message: 'No figure: assign one to fig, e.g. fig = px.bar(df, { x: "region", y: "units" }).' };
    }
    return serializeFigure(current.value, maxBytes);
  };
}

// Optional JIT warm-up the pool may run off the request path, before the isolate gets a run:
// `__plotbox_boot.warmUp(rows)`. It costs time per pooled isolate (≈10–40 ms for 2,000 rows), so
// the pool decides. A property of the boot function rather than a second global.
defineProperty(boot, 'warmUp', { value: (rows?: number) => warmUp(typeof rows === 'number' && rows > 0 && rows <= 100_000 ? rows : 2000), enumerable: false });

defineProperty(global, BOOT_NAME, { value: boot, writable: false, enumerable: false, configurable: true });
