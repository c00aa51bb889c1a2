/**
 * The one error base of Plotbox (DESIGN §4.1): every package's errors extend {@link PlotboxError},
 * so a caller can tell "one of ours, with a stable code" from anything else with one guard, and
 * the API can translate every package error through one table keyed by code and reason.
 */

/** Options of {@link PlotboxError}. */
export interface PlotboxErrorOptions<R extends string> {
  /**
   * A finer, stable sub-code, typed per package and code: the constraint of a store conflict, the
   * rule of a refused password, the limit of a refused upload.
   */
  readonly reason?: R;
  /** The underlying error (a driver's, a library's), for logs only: never shown to a client. */
  readonly cause?: unknown;
}

/**
 * The base of every Plotbox error. `code` is stable and machine-readable, prefixed by area
 * (`AUTH_`, `STORE_`, `BLOB_`, `DATASET_`, `CONFIG_`, ...); `reason`, when there is one, refines it
 * with a value of a closed set; `message` is for logs unless the package says it is safe to show;
 * `cause` keeps the original error for logs.
 *
 * Subclasses set `name` and narrow `C` and `R` to their own unions.
 */
export class PlotboxError<C extends string = string, R extends string = string> extends Error {
  readonly code: C;
  readonly reason: R | undefined;

  constructor(code: C, message: string, options: PlotboxErrorOptions<R> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlotboxError';
    this.code = code;
    this.reason = options.reason;
  }
}

/** Is `value` a {@link PlotboxError} (of any package)? */
export function isPlotboxError(value: unknown): value is PlotboxError {
  return value instanceof PlotboxError;
}

/** A class of errors, as {@link errorGuard} takes it (abstract or not, any constructor arguments). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass<E extends PlotboxError> = abstract new (...args: any[]) => E;

/** The guard {@link errorGuard} builds: is `value` an `E`, optionally with `code`? */
export type ErrorGuard<E extends PlotboxError> = (value: unknown, code?: E['code']) => value is E;

/**
 * The `is*Error(value, code?)` guard of an error class: one generic implementation instead of a
 * copy per package. (A package whose `reason` is typed per code may re-declare the guard's type so
 * that a code narrows the reason too.)
 */
export function errorGuard<E extends PlotboxError>(cls: ErrorClass<E>): ErrorGuard<E> {
  return ((value: unknown, code?: string) => value instanceof cls && (code === undefined || value.code === code)) as ErrorGuard<E>;
}

/** Is `value` one of `codes`? (For the `is*ErrorCode` checks of each package's code list.) */
export function isCodeOf<C extends string>(codes: readonly C[], value: unknown): value is C {
  return typeof value === 'string' && (codes as readonly string[]).includes(value);
}
