// Assertions shared by the figure check's tests (src/check-figure*.test.ts).

import assert from 'node:assert/strict';
import { checkFigure, type FigureCheckOptions } from '../src/index.ts';

/** Asserts the figure passes, and that the same object comes back. */
export function accepts(figure: unknown, options?: FigureCheckOptions): void {
  const r = checkFigure(figure, options);
  if (!r.ok) assert.fail(`expected the figure to pass, got: ${r.error.message}`);
  assert.equal(r.figure, figure);
}

/** Asserts the figure is refused at `path`, with a message matching `message`. */
export function rejects(figure: unknown, path: string, message: RegExp, options?: FigureCheckOptions): void {
  const r = checkFigure(figure, options);
  if (r.ok) assert.fail(`expected a rejection at ${path}`);
  assert.equal(r.error.code, 'FIGURE_INVALID');
  assert.equal(r.error.path, path, r.error.message);
  assert.match(r.error.message, message);
  assert.ok(r.error.message.startsWith(path === '' ? 'figure: ' : `${path}: `), r.error.message);
}

/** Round-trips through JSON, as the sandbox's output does. */
export const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
