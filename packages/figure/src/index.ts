/**
 * @plotbox/figure — the host-side check of a Plotly figure returned by analyst code, against
 * the schema of the plotly.js version the web UI loads. Pure: imports only
 * @plotbox/sandbox-protocol and the package's own JSON.
 */
export { checkFigure, createFigureChecker, DEFAULT_FIGURE_CHECK_OPTIONS } from './check-figure.ts';
export type { FigureCheckOptions, FigureCheckResult, FigureChecker, FigureError, PlotlyFigure, PlotlyLayout, PlotlyTrace } from './check-figure.ts';
export { FIGURE_KEYS, PLOTLY_VERSION, TRACE_TYPES } from './plotly-schema.ts';
export { decodeCharacterReferences, unsafeMarkup, unsafeUrlScheme } from './url-safety.ts';
export { TEMPLATE_KEYS, templateProblem } from './template-safety.ts';
export type { TemplateProblem } from './template-safety.ts';
