/**
 * `px`: figure builders in the spirit of plotly express, returning plain Plotly figure JSON
 * (`{ data: [...traces], layout }`). Summaries (bins, quartiles, densities, fits, aggregations,
 * hierarchy totals) are computed here, inside the sandbox, so a figure carries results rather
 * than the dataset's raw rows; builders that draw a mark per row sample past `max_points` and
 * say so in the figure. The builders live in `px/` by concern; their options are listed once,
 * in `px/catalog.ts`, which the web editor's reference shares. Pure ECMAScript; runs inside the isolate.
 */
import type { ColumnRef } from './px-source.ts';
import type { Figure } from './px/options.ts';
import { DEFAULT_PALETTE } from './px/options.ts';
import { xyFigure } from './px/xy.ts';
import { histogram } from './px/histogram.ts';
import { box } from './px/box.ts';
import { strip, violin } from './px/violin.ts';
import { ecdf } from './px/ecdf.ts';
import { pie } from './px/pie.ts';
import { funnel, timeline } from './px/funnel.ts';
import { corr, figure, heatmap, imshow } from './px/matrix.ts';
import type { HeatmapMatrix } from './px/matrix.ts';
import { densityContour, densityHeatmap } from './px/density.ts';
import { icicle, sunburst, treemap } from './px/hierarchy.ts';
import { parallelCategories, parallelCoordinates, scatterMatrix } from './px/multidim.ts';
import { barPolar, linePolar, scatterPolar } from './px/polar.ts';

export type { ColumnRef, RowFunction } from './px-source.ts';
export type { Aggregation } from './stats.ts';
export type { Figure } from './px/options.ts';
export type { HeatmapMatrix } from './px/matrix.ts';
export { DEFAULT_PALETTE } from './px/options.ts';
export { compareValues } from './px/groups.ts';

/**
 * Options of a px builder (which names each builder accepts: `px/catalog.ts`). Column options
 * take a column name, an array of values or a function of the row.
 */
export interface PxOptions {
  x?: ColumnRef;
  y?: ColumnRef;
  z?: ColumnRef;
  color?: ColumnRef;
  names?: ColumnRef;
  values?: ColumnRef;
  parents?: ColumnRef;
  ids?: ColumnRef;
  r?: ColumnRef;
  theta?: ColumnRef;
  x_start?: ColumnRef;
  x_end?: ColumnRef;
  facet_row?: ColumnRef;
  facet_col?: ColumnRef;
  path?: readonly ColumnRef[];
  dimensions?: readonly ColumnRef[];
  title?: string;
  labels?: Readonly<Record<string, string>>;
  colors?: readonly string[];
  [option: string]: unknown;
}

/** Kept for callers of the first eight builders' option types. */
export type CommonOptions = PxOptions;
export type XYOptions = PxOptions;
export type ScatterOptions = PxOptions;
export type LineOptions = PxOptions;
export type AreaOptions = PxOptions;
export type BarOptions = PxOptions;
export type HistogramOptions = PxOptions;
export type BoxOptions = PxOptions;
export type PieOptions = PxOptions;
export type HeatmapOptions = PxOptions;

/** Anything px builders accept as a table: an arquero table, an object of column arrays, an array of row objects, or null. */
export type TableInput = unknown;

type Builder = (table: TableInput, options?: PxOptions) => Figure;

/** The `px` global. */
export interface Px {
  bar: Builder;
  line: Builder;
  area: Builder;
  scatter: Builder;
  histogram: Builder;
  box: Builder;
  violin: Builder;
  strip: Builder;
  ecdf: Builder;
  pie: Builder;
  funnel: Builder;
  heatmap(table: TableInput | HeatmapMatrix, options?: PxOptions): Figure;
  density_heatmap: Builder;
  density_contour: Builder;
  imshow(matrix: HeatmapMatrix | readonly ArrayLike<unknown>[], options?: PxOptions): Figure;
  sunburst: Builder;
  treemap: Builder;
  icicle: Builder;
  scatter_matrix: Builder;
  parallel_coordinates: Builder;
  parallel_categories: Builder;
  timeline: Builder;
  bar_polar: Builder;
  line_polar: Builder;
  scatter_polar: Builder;
  corr(table: TableInput, columns?: readonly string[]): { z: (number | null)[][]; x: string[]; y: string[] };
  figure(traces: readonly Record<string, unknown>[], layout?: Record<string, unknown>): Figure;
  readonly palette: readonly string[];
}

/** The figure builders, frozen (analyst code cannot swap one out from under another chart). */
export const px: Px = Object.freeze({
  bar: (table: TableInput, options?: PxOptions) => xyFigure('bar', table, options),
  line: (table: TableInput, options?: PxOptions) => xyFigure('line', table, options),
  area: (table: TableInput, options?: PxOptions) => xyFigure('area', table, options),
  scatter: (table: TableInput, options?: PxOptions) => xyFigure('scatter', table, options),
  histogram: (table: TableInput, options?: PxOptions) => histogram(table, options),
  box: (table: TableInput, options?: PxOptions) => box(table, options),
  violin: (table: TableInput, options?: PxOptions) => violin(table, options),
  strip: (table: TableInput, options?: PxOptions) => strip(table, options),
  ecdf: (table: TableInput, options?: PxOptions) => ecdf(table, options),
  pie: (table: TableInput, options?: PxOptions) => pie(table, options),
  funnel: (table: TableInput, options?: PxOptions) => funnel(table, options),
  heatmap: (table: TableInput | HeatmapMatrix, options?: PxOptions) => heatmap(table, options),
  density_heatmap: (table: TableInput, options?: PxOptions) => densityHeatmap(table, options),
  density_contour: (table: TableInput, options?: PxOptions) => densityContour(table, options),
  imshow: (matrix: HeatmapMatrix | readonly ArrayLike<unknown>[], options?: PxOptions) => imshow(matrix, options),
  sunburst: (table: TableInput, options?: PxOptions) => sunburst(table, options),
  treemap: (table: TableInput, options?: PxOptions) => treemap(table, options),
  icicle: (table: TableInput, options?: PxOptions) => icicle(table, options),
  scatter_matrix: (table: TableInput, options?: PxOptions) => scatterMatrix(table, options),
  parallel_coordinates: (table: TableInput, options?: PxOptions) => parallelCoordinates(table, options),
  parallel_categories: (table: TableInput, options?: PxOptions) => parallelCategories(table, options),
  timeline: (table: TableInput, options?: PxOptions) => timeline(table, options),
  bar_polar: (table: TableInput, options?: PxOptions) => barPolar(table, options),
  line_polar: (table: TableInput, options?: PxOptions) => linePolar(table, options),
  scatter_polar: (table: TableInput, options?: PxOptions) => scatterPolar(table, options),
  corr,
  figure: (traces: readonly Record<string, unknown>[], layout?: Record<string, unknown>) => figure(traces, layout),
  palette: DEFAULT_PALETTE,
});
