/**
 * @plotbox/errors — the one error base every Plotbox package's errors extend: `code`, a typed
 * `reason`, `cause`; one generic guard instead of a copied `is*Error` per package. Pure: no imports.
 */
export { PlotboxError, errorGuard, isCodeOf, isPlotboxError } from './plotbox-error.ts';
export type { ErrorClass, ErrorGuard, PlotboxErrorOptions } from './plotbox-error.ts';
