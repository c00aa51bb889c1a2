import type { Limits, RunError } from '@plotbox/sandbox-protocol';

/** File name the analyst's script is compiled under; stack frames naming it are theirs. */
export const CHART_FILENAME = 'chart.js';

/** Longest error message passed back to the analyst (a thrown 100 MB string must not travel). */
export const MAX_MESSAGE_CHARS = 1000;

/** What the host knew when the error arrived. */
export interface ErrorContext {
  /** The host's wall-clock deadline fired and disposed the isolate. */
  readonly deadlineHit: boolean;
  /** The isolate's memory limit was exceeded (isolated-vm disposed it). */
  readonly limits: Limits;
  /** Which phase failed: preparing the run (dataset copy, globals), analyst code and serializing `fig` (one call into the isolate), or checking the figure. */
  readonly phase: 'boot' | 'code' | 'output';
}

// isolated-vm reports limits only as message strings. These are the strings (pinned by
// isolate-errors.test.ts against the installed isolated-vm, so an upgrade that changes them fails
// a test instead of silently turning limits into generic runtime errors).
const TIMEOUT_MESSAGES = ['Script execution timed out.'];
const MEMORY_PATTERNS = [/disposed during execution due to memory limit/i, /^Array buffer allocation failed$/, /^Invalid string length$/, /out of memory/i];
const DISPOSED_PATTERNS = [/Isolate was disposed during execution/i, /Isolate is disposed/i];
const NON_ERROR_THROWN = /was not an instance of `Error`/;
// What V8, Node and isolated-vm print when a process dies of memory exhaustion (a worker's last
// stderr lines), and the marker our own catastrophic-error handler prints (worker.ts).
const FATAL_MEMORY_PATTERNS = [/out of memory/i, /out-of-memory/i, /Reached heap limit/i, /allocation failed/i, /plotbox-worker-fatal: memory/];

/** Do a dead worker's last stderr lines say it ran out of memory? */
export function fatalLooksLikeMemory(stderrTail: string): boolean {
  return FATAL_MEMORY_PATTERNS.some((re) => re.test(stderrTail));
}

/**
 * Turns anything isolated-vm threw into the analyst-facing error. The single place where
 * isolated-vm's message strings are interpreted (DESIGN §3).
 */
export function classifyIsolateError(err: unknown, ctx: ErrorContext): RunError {
  const message = messageOf(err);
  if (ctx.phase === 'boot') return prepareError(err);
  if (ctx.deadlineHit || TIMEOUT_MESSAGES.includes(message)) return timeoutError(ctx.limits);
  if (MEMORY_PATTERNS.some((re) => re.test(message))) return memoryError(ctx.limits);
  if (DISPOSED_PATTERNS.some((re) => re.test(message))) {
    // Disposed without our deadline firing: isolated-vm hit the memory limit.
    return memoryError(ctx.limits);
  }
  const where = chartPosition(err);
  const text = NON_ERROR_THROWN.test(message)
    ? 'Your code threw a value that is not an Error (throw new Error("...") to report a problem).'
    : truncate(message || 'Your code failed without a message.');
  return {
    code: 'SANDBOX_RUNTIME_ERROR',
    message: where ? `${text} (line ${where.line})` : text,
    ...(where ?? {}),
  };
}

/** What the runtime read from a value the analyst's code threw (isolate-entry.ts `Thrown`). */
export type Thrown = { readonly thrown: 'error'; readonly name: string; readonly message: string; readonly stack: string } | { readonly thrown: 'value' };

/**
 * The analyst-facing error for what their code threw. The runtime catches it inside the isolate
 * (reading its message and stack there, under the time limit) and hands over plain strings; they
 * are classified exactly like an error isolated-vm converted (memory errors V8 raises as ordinary
 * exceptions keep their memory code).
 */
export function thrownError(thrown: Thrown, limits: Limits): RunError {
  if (thrown === null || typeof thrown !== 'object' || thrown.thrown !== 'error') {
    return classifyIsolateError(new Error('A thrown value was not an instance of `Error`'), { deadlineHit: false, limits, phase: 'code' });
  }
  const err = new Error(typeof thrown.message === 'string' ? thrown.message : '');
  err.stack = typeof thrown.stack === 'string' ? thrown.stack : '';
  return classifyIsolateError(err, { deadlineHit: false, limits, phase: 'code' });
}

/**
 * A failure while preparing a run (copying the dataset in, booting the globals): before the
 * analyst's code, so never their fault. Running out of the preparation budget or memory means the
 * sandbox is overloaded or undersized (transient: SANDBOX_UNAVAILABLE); anything else is a dataset
 * the runtime refuses.
 */
export function prepareError(err: unknown): RunError {
  const message = messageOf(err);
  if (TIMEOUT_MESSAGES.includes(message) || MEMORY_PATTERNS.some((re) => re.test(message)) || DISPOSED_PATTERNS.some((re) => re.test(message))) {
    return {
      code: 'SANDBOX_UNAVAILABLE',
      message: 'The sandbox could not prepare the dataset for this chart (it is busy or short of memory); this was not caused by your code. Try again shortly.',
    };
  }
  return { code: 'SANDBOX_DATASET_INVALID', message: `The dataset could not be prepared for this chart: ${truncate(message)}` };
}

/** A worker process killed for using more memory than it may, during the analyst's run. */
export function workerMemoryError(limits: Limits): RunError {
  return {
    code: 'SANDBOX_MEMORY',
    message: `Your code used more than the ${limits.memoryMb} MiB memory limit (the sandbox process running it grew past its ceiling and was stopped). Aggregate or sample the data instead of building large arrays or strings.`,
    limit: { name: 'memoryMb', value: limits.memoryMb },
  };
}

/** The run's worker was lost to something outside the run; `why` says what, without blaming the analyst. */
export function workerLostError(why: string): RunError {
  return {
    code: 'SANDBOX_WORKER_LOST',
    message: `The sandbox lost the process running this chart (${why}); this was not caused by your code. Try again.`,
  };
}

/** A worker that died by itself during the analyst's code, with no sign of running out of memory. */
export function crashedError(): RunError {
  return {
    code: 'SANDBOX_CRASHED',
    message: 'The sandbox process running this chart stopped while running your code. Your other charts are unaffected; try again with less data or simpler code.',
  };
}

/** The error for a run that exceeded its wall-clock limit. */
export function timeoutError(limits: Limits): RunError {
  return {
    code: 'SANDBOX_TIMEOUT',
    message: `Your code ran longer than the ${limits.timeMs} ms time limit. Look for a loop that never ends, or aggregate before plotting.`,
    limit: { name: 'timeMs', value: limits.timeMs },
  };
}

/** The error for a run that exceeded its memory limit. */
export function memoryError(limits: Limits): RunError {
  return {
    code: 'SANDBOX_MEMORY',
    message: `Your code used more than the ${limits.memoryMb} MiB memory limit. Aggregate or sample the data instead of building large arrays or strings.`,
    limit: { name: 'memoryMb', value: limits.memoryMb },
  };
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return typeof err.message === 'string' ? err.message : '';
  if (typeof err === 'string') return err;
  return '';
}

function truncate(s: string): string {
  return s.length > MAX_MESSAGE_CHARS ? `${s.slice(0, MAX_MESSAGE_CHARS)}…` : s;
}

const FRAME = /chart\.js:(\d+):(\d+)/;

/**
 * Characters the runtime puts before the analyst's first line (`(function* () { `, the generator
 * the code runs in: packages/sandbox-runtime/src/run-realm.ts `CODE_PREFIX`); columns on line 1
 * are that much off. Pinned by a test that reads a line-1 column from a real run.
 */
export const FIRST_LINE_PREFIX_CHARS = 16;

/** The first stack frame in the analyst's script: where their code failed (or called the failing helper). */
export function chartPosition(err: unknown): { line: number; column: number } | undefined {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return undefined;
  const m = FRAME.exec(err.stack);
  if (!m) return undefined;
  const line = Number(m[1]);
  const column = Number(m[2]);
  return { line, column: line === 1 ? Math.max(1, column - FIRST_LINE_PREFIX_CHARS) : column };
}
