/**
 * The host-side check of a Plotly figure returned by analyst code (SPEC §2 "Output",
 * DESIGN §3): shape, trace types and attribute names against plotly.js's own schema, plain JSON
 * data only, no script-capable URLs, and size/depth limits. Iterative and linear in the size of
 * the input, so hostile input can neither overflow the stack nor take superlinear time.
 */
import { templateProblem } from './template-safety.ts';
import { DEFAULT_FIGURE_CHECK_OPTIONS, type FigureCheckOptions, type PlotlyFigure, type FigureCheckResult, type FigureChecker } from './figure-types.ts';
import { Walker } from './figure-walker.ts';
import { Rejection, pathOf } from './walk-slots.ts';

export { DEFAULT_FIGURE_CHECK_OPTIONS } from './figure-types.ts';
export type { FigureCheckOptions, FigureCheckResult, FigureChecker, FigureError, PlotlyFigure, PlotlyLayout, PlotlyTrace } from './figure-types.ts';

function validateOptions(options: FigureCheckOptions | undefined): Required<FigureCheckOptions> {
  const out = { ...DEFAULT_FIGURE_CHECK_OPTIONS };
  if (options === undefined) return out;
  for (const name of Object.keys(DEFAULT_FIGURE_CHECK_OPTIONS) as (keyof FigureCheckOptions)[]) {
    const v = options[name];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`figure check option ${name} must be a positive integer, got ${String(v)}`);
    out[name] = v;
  }
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(DEFAULT_FIGURE_CHECK_OPTIONS, name)) throw new RangeError(`unknown figure check option ${name}`);
  }
  return out;
}

/**
 * Builds a figure checker with fixed limits; options are validated here, eagerly.
 * @throws RangeError for a limit that is not a positive integer or an unknown option.
 */
export function createFigureChecker(options?: FigureCheckOptions): FigureChecker {
  const limits = validateOptions(options);
  return (figure) => check(figure, limits);
}

/**
 * Checks a figure returned by analyst code — usually the result of `JSON.parse`, but safe on any
 * in-memory value — against plotly.js's schema and Plotbox's data rules. On success the same
 * object is returned, typed. The first problem found (in document order) is reported.
 * @throws RangeError for invalid options (never for an invalid figure).
 */
export function checkFigure(figure: unknown, options?: FigureCheckOptions): FigureCheckResult {
  return check(figure, validateOptions(options));
}

function check(figure: unknown, limits: Required<FigureCheckOptions>): FigureCheckResult {
  const walker = new Walker(limits);
  try {
    walker.run(figure);
    // Only once the walk proved the figure plain, bounded JSON: what plotly will fill templates with.
    const template = templateProblem(figure as PlotlyFigure);
    if (template !== undefined) return { ok: false, error: { code: 'FIGURE_INVALID', message: `${template.path}: ${template.message}`, path: template.path } };
    return { ok: true, figure: figure as PlotlyFigure };
  } catch (e) {
    if (e instanceof Rejection) {
      const path = pathOf(e.frame, e.key);
      return { ok: false, error: { code: 'FIGURE_INVALID', message: `${path === '' ? 'figure' : path}: ${e.message}`, path } };
    }
    // A proxy trap or accessor of an in-memory value threw (JSON input cannot get here).
    const path = pathOf(walker.frame, walker.key);
    return { ok: false, error: { code: 'FIGURE_INVALID', message: `${path === '' ? 'figure' : path}: value could not be read`, path } };
  }
}
