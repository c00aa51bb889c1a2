// The options and results of the figure check (check-figure.ts).

import type { SandboxErrorCode } from '@plotbox/sandbox-protocol';

export interface FigureCheckOptions {
  /** Longest array (and most keys in one object) allowed anywhere. Default 1,000,000. */
  maxArrayLength?: number;
  /** Most traces in `data`. Default 1,000. */
  maxTraces?: number;
  /** Deepest nesting of objects and arrays, counted from the figure (`data` is 1, `data[0]` is 2). Default 64. */
  maxDepth?: number;
  /** Longest string (values and keys), in UTF-16 code units. Default 1,000,000. */
  maxStringLength?: number;
  /**
   * Most values in the whole figure: array elements plus object properties plus one per
   * container, counted as JSON.stringify would write them. Default 10,000,000 (a 4 MiB JSON
   * figure holds at most about 2 million). Bounds the work on in-memory objects shared many times.
   */
  maxValues?: number;
}

export const DEFAULT_FIGURE_CHECK_OPTIONS: Readonly<Required<FigureCheckOptions>> = Object.freeze({
  maxArrayLength: 1_000_000,
  maxTraces: 1_000,
  maxDepth: 64,
  maxStringLength: 1_000_000,
  maxValues: 10_000_000,
});

/** One trace; `type` defaults to `scatter`, as in plotly.js. */
export interface PlotlyTrace {
  type?: string;
  [attribute: string]: unknown;
}

export type PlotlyLayout = Record<string, unknown>;

/** A checked figure: JSON data only, every trace type and attribute known to plotly.js. */
export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout?: PlotlyLayout;
}

export interface FigureError {
  readonly code: Extract<SandboxErrorCode, 'FIGURE_INVALID'>;
  /** What is wrong, starting with the path, e.g. `data[0].marker.colour: unknown attribute ...`. */
  readonly message: string;
  /** Where, e.g. `data[2].marker.line.color` or `layout.xaxis2.title.text`; `` for the figure itself. */
  readonly path: string;
}

export type FigureCheckResult = { readonly ok: true; readonly figure: PlotlyFigure } | { readonly ok: false; readonly error: FigureError };

export type FigureChecker = (figure: unknown) => FigureCheckResult;
