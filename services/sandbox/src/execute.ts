import ivm from 'isolated-vm';
import { checkFigure } from '@plotbox/figure';
import type { Limits, RunError, RunResult } from '@plotbox/sandbox-protocol';
import type { IsolatePool, WarmIsolate } from './isolate-pool.ts';
import { CHART_FILENAME, classifyIsolateError, timeoutError } from './isolate-errors.ts';

/** A dataset held by a worker, ready to be copied into isolates. */
export interface HeldDataset {
  readonly sha256: string;
  readonly rowCount: number;
  /** Bytes of column data (typed arrays and dictionaries), for memory sizing and the cache. */
  readonly bytes: number;
  /** `{ rowCount, columns }` outside any isolate; copied into each run's isolate. */
  readonly payload: ivm.ExternalCopy<unknown>;
}

export interface ExecuteOptions {
  /** The checked JavaScript to run as a classic script. */
  readonly js: string;
  readonly dataset: HeldDataset;
  readonly limits: Limits;
  /** Extra time after the limit before the host disposes the isolate itself, ms. */
  readonly graceMs?: number;
  /**
   * Called when the host had to dispose the isolate because its own timeout did not stop it
   * (native code overshooting). Such an isolate may still be spinning on a thread, so the
   * worker should not take further runs.
   */
  readonly onForcedDispose?: () => void;
}

/** Result of the serializer the runtime's boot returns. */
type SerializeOutcome = { ok: true; json: string } | { ok: false; code: RunError['code']; message: string };

const MIB = 1024 * 1024;

/**
 * Memory an isolate needs for a run: the analyst's allowance plus the dataset's footprint inside
 * the isolate (typed copies, and plain arrays materialised from them when touched).
 */
export function isolateMemoryMb(limits: Limits, dataset: Pick<HeldDataset, 'bytes'>): number {
  return limits.memoryMb + Math.ceil((dataset.bytes * 3) / MIB);
}

/**
 * Runs checked code once in a fresh isolate from the pool and disposes the isolate, whatever
 * happens. Every outcome is a typed result; nothing the analyst wrote can make this throw.
 */
export async function executeRun(pool: IsolatePool, options: ExecuteOptions): Promise<RunResult> {
  const { limits, dataset } = options;
  const started = performance.now();
  // The time limit starts once the run has its isolate: making one when the pool is empty is the
  // sandbox's cost, not the analyst's (under load it can take longer than a small limit).
  let deadline = Number.POSITIVE_INFINITY;
  let entry: WarmIsolate | undefined;
  let deadlineHit = false;
  let phase: 'boot' | 'code' | 'output' = 'boot';
  let dataMs = 0;
  let codeMs = 0;
  let timer: NodeJS.Timeout | undefined;
  const remaining = (): number => Math.max(1, Math.floor(deadline - performance.now()));
  try {
    if (dataset.rowCount > limits.rows) {
      return fail({
        code: 'SANDBOX_DATASET_TOO_LARGE',
        message: `The dataset has ${dataset.rowCount} rows; Code Mode runs on at most ${limits.rows}.`,
        limit: { name: 'rows', value: limits.rows },
      });
    }
    entry = await pool.take(isolateMemoryMb(limits, dataset));
    const { isolate, context, boot } = entry;
    deadline = performance.now() + limits.timeMs;
    timer = setTimeout(
      () => {
        deadlineHit = true;
        options.onForcedDispose?.();
        if (entry && !entry.isolate.isDisposed) entry.isolate.dispose();
      },
      limits.timeMs + (options.graceMs ?? 250),
    );

    const t0 = performance.now();
    const serializer = (await boot.apply(undefined, [dataset.payload.copyInto(), new ivm.ExternalCopy({ maxBytes: limits.outputBytes }).copyInto()], {
      timeout: remaining(),
      result: { reference: true },
    })) as ivm.Reference<() => SerializeOutcome>;
    const t1 = performance.now();
    dataMs = t1 - t0;

    phase = 'code';
    const script = await isolate.compileScript(options.js, { filename: CHART_FILENAME });
    await script.run(context, { timeout: remaining() });
    const t2 = performance.now();
    codeMs = t2 - t1;

    phase = 'output';
    const outcome = (await serializer.apply(undefined, [], { timeout: remaining(), result: { copy: true } })) as SerializeOutcome;
    if (deadlineHit) return fail(timeoutError(limits));
    if (!outcome || typeof outcome !== 'object') return fail({ code: 'SANDBOX_RUNTIME_ERROR', message: 'The figure could not be read.' });
    if (!outcome.ok) {
      const error: RunError = outcome.code === 'SANDBOX_OUTPUT_TOO_LARGE'
        ? { code: outcome.code, message: outcome.message, limit: { name: 'outputBytes', value: limits.outputBytes } }
        : { code: outcome.code, message: String(outcome.message).slice(0, 1000) };
      return fail(error);
    }
    const json = outcome.json;
    const outputBytes = Buffer.byteLength(json, 'utf8');
    if (outputBytes > limits.outputBytes) {
      return fail({
        code: 'SANDBOX_OUTPUT_TOO_LARGE',
        message: `The figure is ${outputBytes} bytes of JSON; the limit is ${limits.outputBytes}. Aggregate or sample before plotting.`,
        limit: { name: 'outputBytes', value: limits.outputBytes },
      });
    }
    const cpuMs = Number(isolate.cpuTime) / 1e6;
    const checked = checkFigure(JSON.parse(json));
    if (!checked.ok) return fail({ code: 'FIGURE_INVALID', message: checked.error.message, path: checked.error.path });
    const t3 = performance.now();
    return {
      ok: true,
      figureJson: json,
      stats: {
        durationMs: t3 - started,
        cpuMs,
        outputBytes,
        rows: dataset.rowCount,
        dataMs,
        codeMs,
        outputMs: t3 - t2,
        warm: entry.warm,
      },
    };
  } catch (err) {
    return fail(classifyIsolateError(err, { deadlineHit, limits, phase }));
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (entry && !entry.isolate.isDisposed) entry.isolate.dispose();
  }

  function fail(error: RunError): RunResult {
    return { ok: false, error, stats: { durationMs: performance.now() - started, dataMs, codeMs, rows: dataset.rowCount } };
  }
}
