/**
 * The contract between the API and the sandbox service, and between the sandbox's parts:
 * error codes, diagnostics, limits, run requests and results, and the columnar dataset shape
 * that crosses into an isolate. Pure: types and constants only.
 */

/** Every error code the Code Mode engine and the sandbox service can produce. */
export const SANDBOX_ERROR_CODES = [
  // Static check (packages/code-check): the code never ran.
  'CODE_SYNTAX',
  'CODE_RULE',
  'CODE_TOO_LARGE',
  'CODE_TOO_DEEP',
  // Running (services/sandbox).
  'SANDBOX_RUNTIME_ERROR',
  'SANDBOX_NO_FIGURE',
  'SANDBOX_TIMEOUT',
  'SANDBOX_MEMORY',
  'SANDBOX_OUTPUT_TOO_LARGE',
  'SANDBOX_DATASET_TOO_LARGE',
  'SANDBOX_DATASET_MISSING',
  'SANDBOX_DATASET_INVALID',
  'SANDBOX_CRASHED',
  'SANDBOX_WORKER_LOST',
  'SANDBOX_BUSY',
  'SANDBOX_UNAVAILABLE',
  'SANDBOX_BAD_REQUEST',
  'SANDBOX_PAYLOAD_TOO_LARGE',
  'SANDBOX_UNAUTHORIZED',
  'SANDBOX_NOT_FOUND',
  // The returned figure (packages/figure).
  'FIGURE_INVALID',
] as const;

export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

/**
 * The codes a chart run can end with for the analyst (SPEC §2), and their HTTP status: the same in
 * the sandbox's internal API and in the dashboard API, which passes them on. The other `SANDBOX_`
 * codes are conditions between the two services.
 */
export const RUN_ERROR_HTTP_STATUS = {
  CODE_SYNTAX: 422,
  CODE_RULE: 422,
  CODE_TOO_LARGE: 422,
  CODE_TOO_DEEP: 422,
  SANDBOX_RUNTIME_ERROR: 422,
  SANDBOX_NO_FIGURE: 422,
  SANDBOX_TIMEOUT: 422,
  SANDBOX_MEMORY: 422,
  SANDBOX_OUTPUT_TOO_LARGE: 422,
  SANDBOX_DATASET_TOO_LARGE: 422,
  SANDBOX_CRASHED: 422,
  FIGURE_INVALID: 422,
  SANDBOX_BUSY: 503,
  SANDBOX_UNAVAILABLE: 503,
  // The worker running the chart was lost to something outside the run (killed by the OS or an
  // operator, shutdown, a stalled dataset copy): transient, and not the analyst's doing.
  SANDBOX_WORKER_LOST: 503,
} as const satisfies Partial<Record<SandboxErrorCode, number>>;

export type RunErrorCode = keyof typeof RUN_ERROR_HTTP_STATUS;

/** The keys of {@link RUN_ERROR_HTTP_STATUS}. */
export const RUN_ERROR_CODES = Object.freeze(Object.keys(RUN_ERROR_HTTP_STATUS) as RunErrorCode[]);

/** Is `value` one of the codes above? */
export function isSandboxErrorCode(value: unknown): value is SandboxErrorCode {
  return typeof value === 'string' && (SANDBOX_ERROR_CODES as readonly string[]).includes(value);
}

/** One finding of the static check, positioned in the analyst's original source. */
export interface Diagnostic {
  /** Stable rule id, e.g. `no-eval`, `no-constructor`, `syntax`. */
  readonly rule: string;
  readonly message: string;
  /** 1-based line in the code as the analyst wrote it (before type stripping). */
  readonly line: number;
  /** 1-based column (UTF-16 code units) in the code as the analyst wrote it. */
  readonly column: number;
}

/** The limits a run is held to. All are configurable; these are SPEC §2's defaults. */
export interface Limits {
  /** Maximum code size in bytes (UTF-8). */
  readonly codeBytes: number;
  /** Wall-clock time for the analyst's code and serializing `fig`, ms (preparing the run, i.e. copying the dataset in, is not counted). */
  readonly timeMs: number;
  /** Memory the analyst's code may allocate (heap and typed arrays), MiB; the dataset's copy and its decoded columns are not counted. */
  readonly memoryMb: number;
  /** Maximum size of the figure as JSON, bytes. */
  readonly outputBytes: number;
  /** Maximum dataset rows per run. */
  readonly rows: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  codeBytes: 64 * 1024,
  timeMs: 2000,
  memoryMb: 64,
  outputBytes: 4 * 1024 * 1024,
  rows: 1_000_000,
});

/** Names of the limits, as reported in `limit` of a limit error. */
export type LimitName = keyof Limits;

export type CodeLang = 'js' | 'ts';

/**
 * Runtimes a run can ask for, each a bundle of its own (packages/sandbox-runtime): `arquero`, the
 * default (`df` an arquero table, `aq`, `op`, `data`, `px`), and `danfo` (`df` a danfo DataFrame,
 * `dfd`, `data`, `px`).
 */
export const RUNTIMES = ['arquero', 'danfo'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** The runtime of a run or chart that names none. */
export const DEFAULT_RUNTIME: RuntimeName = 'arquero';

/** The names each runtime adds to the ECMAScript built-ins (what analyst code sees). */
export const RUNTIME_GLOBALS: Readonly<Record<RuntimeName, readonly string[]>> = Object.freeze({
  arquero: Object.freeze(['df', 'aq', 'op', 'data', 'px']),
  danfo: Object.freeze(['df', 'dfd', 'data', 'px']),
});

/** Is `value` one of {@link RUNTIMES}? */
export function isRuntimeName(value: unknown): value is RuntimeName {
  return typeof value === 'string' && (RUNTIMES as readonly string[]).includes(value);
}

/** The error of a failed run, as shown to the analyst. Never contains host paths or stacks. */
export interface RunError {
  readonly code: SandboxErrorCode;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  /** For limit errors: which limit and its value. */
  readonly limit?: { readonly name: LimitName; readonly value: number };
  /** For CODE_RULE / CODE_SYNTAX: every finding. */
  readonly diagnostics?: readonly Diagnostic[];
  /** For FIGURE_INVALID: the path of the bad value, e.g. `data[0].marker.color`. */
  readonly path?: string;
}

export interface RunStats {
  /** Wall time of the whole run inside the worker, ms. */
  readonly durationMs: number;
  /** CPU time spent in the isolate, ms. */
  readonly cpuMs: number;
  /** Size of the figure JSON, bytes. */
  readonly outputBytes: number;
  /** Rows of the dataset the run saw. */
  readonly rows: number;
  /** Time spent preparing the run (isolate, dataset copy, globals), ms; not counted in the time limit. */
  readonly dataMs: number;
  /** Time spent in the analyst's code and serializing its figure in the isolate (one call), ms. */
  readonly codeMs: number;
  /** Time spent byte-capping, parsing and checking the figure outside the isolate, ms. */
  readonly outputMs: number;
  /** Was the isolate ready before the run: taken warm from the pool, or kept from the tenant's earlier runs? */
  readonly warm: boolean;
  /**
   * Which run of its isolate this was: 1 for a fresh isolate; more when the isolate was kept for
   * its tenant (project, dataset version, runtime) and reused (services/sandbox: SANDBOX_ISOLATE_REUSE).
   */
  readonly isolateRun?: number;
}

/**
 * The outcome of a run. A figure travels as the JSON text the sandbox produced and checked, so
 * services can pass it on without parsing and re-serializing it.
 */
export type RunResult = { readonly ok: true; readonly figureJson: string; readonly stats: RunStats } | { readonly ok: false; readonly error: RunError; readonly stats?: Partial<RunStats> };

// ---------------------------------------------------------------------------------------------
// Columnar datasets: the shape in which data crosses into an isolate.
// Numbers travel as typed arrays, strings dictionary-encoded (DESIGN §3).
// ---------------------------------------------------------------------------------------------

/** A float column; `null` values are marked in `valid` (1 = present) when any exist. */
export interface NumberColumn {
  readonly name: string;
  readonly kind: 'number';
  readonly values: Float64Array;
  readonly valid?: Uint8Array;
}

/** An integer column (fits in int32); nulls as in NumberColumn. */
export interface IntColumn {
  readonly name: string;
  readonly kind: 'int';
  readonly values: Int32Array;
  readonly valid?: Uint8Array;
}

/** A boolean column: values 0/1; nulls as in NumberColumn. */
export interface BoolColumn {
  readonly name: string;
  readonly kind: 'bool';
  readonly values: Uint8Array;
  readonly valid?: Uint8Array;
}

/** A string column, dictionary-encoded; code -1 is null. */
export interface StringColumn {
  readonly name: string;
  readonly kind: 'string';
  readonly dictionary: readonly string[];
  readonly codes: Int32Array;
}

/** A date/time column as epoch milliseconds (UTC); in the isolate, ISO strings (all-midnight columns as 'YYYY-MM-DD'), since a frozen Date can still be changed with setTime. */
export interface DateColumn {
  readonly name: string;
  readonly kind: 'date';
  readonly values: Float64Array;
  readonly valid?: Uint8Array;
}

export type Column = NumberColumn | IntColumn | BoolColumn | StringColumn | DateColumn;
export type ColumnKind = Column['kind'];

/** A dataset as the runner takes it: named columns of equal length. */
export interface ColumnarDataset {
  /** Content hash (sha256 hex) of the dataset's canonical bytes; the cache key everywhere. */
  readonly sha256: string;
  readonly rowCount: number;
  readonly columns: readonly Column[];
}

/** What a run asks for. */
export interface RunRequest {
  readonly code: string;
  readonly lang?: CodeLang;
  readonly runtime?: RuntimeName;
  readonly limits?: Partial<Limits>;
}
