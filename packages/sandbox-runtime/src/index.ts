/**
 * @plotbox/sandbox-runtime: what runs inside a Code Mode isolate, also importable in Node for
 * tests, benchmarks and the in-process comparison. The isolate itself loads the esbuild bundle
 * `dist/runtime.js` (see `build.mjs` and `isolate-entry.ts`).
 */
export { createGlobals, GLOBAL_NAMES } from './create-globals.ts';
export type { SandboxGlobals } from './create-globals.ts';
export { createLazyColumns, decodeColumn, packStringColumn } from './columns.ts';
export type { CellValue, DatasetPayload, FrozenColumn, LazyColumns, LazyColumnsOptions, PackedStringColumn, PayloadColumn } from './columns.ts';
export { serializeFigure, utf8Length, MAX_DEPTH } from './serialize-figure.ts';
export type { SerializeErrorCode, SerializeResult } from './serialize-figure.ts';
export { px, DEFAULT_PALETTE } from './px.ts';
export type * from './px.ts';
export { EXAMPLE_CHARTS } from './examples.ts';
export type { ExampleChart } from './examples.ts';
export { REMOVED_GLOBALS } from './removed-globals.ts';
export { RUNTIME_VERSION } from './version.ts';
