import ivm from 'isolated-vm';
import { checkFigure } from '@plotbox/figure';
import type { Column, Limits, RunError, RunResult } from '@plotbox/sandbox-protocol';
import type { IsolatePool, WarmIsolate } from './isolate-pool.ts';
import { CHART_FILENAME, classifyIsolateError, prepareError, timeoutError } from './isolate-errors.ts';

/** A dataset held by a worker, ready to be copied into isolates. */
export interface HeldDataset {
  readonly sha256: string;
  readonly rowCount: number;
  /** Bytes of column data (typed arrays and dictionaries) held by the worker, for its cache. */
  readonly bytes: number;
  /** What the columns take in an isolate once decoded into plain arrays (when the analyst reads them). */
  readonly decodeBytes: number;
  /** `{ rowCount, columns }` outside any isolate; copied into each run's isolate. */
  readonly payload: ivm.ExternalCopy<unknown>;
  /** What copying this dataset in added to an isolate, measured on its last run; sizes the next isolate. */
  copyBytes: number | undefined;
}

/** Told to the supervisor when the analyst's code starts (worker-protocol.ts `started`). */
export interface RunStart {
  /** What the run may add to the isolate from here: the analyst's allowance plus the decode reserve. */
  readonly budgetBytes: number;
}

export interface ExecuteOptions {
  /** The checked JavaScript to run as a classic script. */
  readonly js: string;
  readonly dataset: HeldDataset;
  readonly limits: Limits;
  /** Extra time after the limit before the host disposes the isolate itself, ms. */
  readonly graceMs?: number;
  /** Budget for preparing the run (isolate, dataset copy, globals), which the time limit does not count, ms. */
  readonly prepareMs?: number;
  /** Called once the run is prepared, right before the analyst's code starts. */
  readonly onStarted?: (start: RunStart) => void;
  /**
   * Called when the host had to dispose the isolate because its own timeout did not stop it
   * (native code overshooting). Such an isolate may still be spinning on a thread, so the
   * worker should not take further runs.
   */
  readonly onForcedDispose?: () => void;
}

/** Result of the serializer the runtime's boot returns. */
type SerializeOutcome = { ok: true; json: string } | { ok: false; code: RunError['code']; message: string };

const MiB = 1024 * 1024;

/**
 * Bytes per row a column takes in an isolate once decoded into a frozen plain array (64-bit V8, no
 * pointer compression): a pointer per cell, plus a boxed double per number and a string per date.
 */
const DECODED_BYTES_PER_ROW: Record<Column['kind'], number> = { number: 24, int: 8, bool: 8, string: 8, date: 48 };

/** The decode reserve of a dataset: every column read as plain arrays (docs/architecture.md "Memory"). */
export function decodeReserveBytes(rowCount: number, columns: readonly Pick<Column, 'kind'>[]): number {
  let perRow = 0;
  for (const c of columns) perRow += DECODED_BYTES_PER_ROW[c.kind];
  return rowCount * perRow;
}

/**
 * V8 heap limit for a run's isolate, MiB: the runtime, the dataset's copy (measured on an earlier
 * run, else guessed at twice its bytes), the decode reserve and the analyst's allowance, plus
 * headroom. The headroom keeps V8's own limit away from the run's budget, which is enforced below
 * it (see {@link executeRun}): an isolate whose V8 limit is the budget itself turns heap bombs into
 * process-aborting OOMs instead of a clean memory-limit error (measured with isolated-vm 7).
 */
export function isolateMemoryMb(limits: Limits, dataset: Pick<HeldDataset, 'bytes' | 'decodeBytes' | 'copyBytes'>, baseBytes: number): number {
  const allowance = limits.memoryMb * MiB;
  const copy = dataset.copyBytes ?? 2 * dataset.bytes;
  return Math.ceil((baseBytes + copy + dataset.decodeBytes + allowance + headroomBytes(limits)) / MiB);
}

/** Measured with isolated-vm 7: at less than ≈2× the budget, a growing Map aborts the process. */
function headroomBytes(limits: Limits): number {
  return Math.max(128, 2 * limits.memoryMb) * MiB;
}



/**
 * Runs checked code once in a fresh isolate from the pool and disposes the isolate, whatever
 * happens. Every outcome is a typed result; nothing the analyst wrote can make this throw.
 *
 * Two phases. **Prepare** (its own budget, not the analyst's time): take an isolate, copy the
 * dataset in, boot the globals, and fix the run's memory budget — isolated-vm counts heap plus
 * external (array buffer) bytes against the isolate's limit, so an untouched buffer "ballast"
 * sized to the limit minus (what is in use + decode reserve + allowance) makes the analyst's
 * allowance exactly what is enforced, whatever the isolate was made with. **Run**: the analyst's
 * code and the serialization of `fig` under the time limit.
 */
export async function executeRun(pool: IsolatePool, options: ExecuteOptions): Promise<RunResult> {
  const { limits, dataset } = options;
  const started = performance.now();
  // The time limit starts once the run is prepared: making an isolate, copying the dataset in and
  // booting the globals are the sandbox's cost, not the analyst's.
  let deadline = Number.POSITIVE_INFINITY;
  let entry: WarmIsolate | undefined;
  let deadlineHit = false;
  let phase: 'boot' | 'code' | 'output' = 'boot';
  let dataMs = 0;
  let codeMs = 0;
  let timer: NodeJS.Timeout | undefined;
  const remaining = (): number => Math.max(1, Math.floor(deadline - performance.now()));
  const prepareDeadline = started + (options.prepareMs ?? 30_000);
  const prepareRemaining = (): number => Math.max(1, Math.floor(prepareDeadline - performance.now()));
  const allowance = limits.memoryMb * MiB;
  try {
    if (dataset.rowCount > limits.rows) {
      return fail({
        code: 'SANDBOX_DATASET_TOO_LARGE',
        message: `The dataset has ${dataset.rowCount} rows; Code Mode runs on at most ${limits.rows}.`,
        limit: { name: 'rows', value: limits.rows },
      });
    }
    const t0 = performance.now();
    let serializer: ivm.Reference<() => SerializeOutcome> | undefined;
    for (let attempt = 0; serializer === undefined; attempt++) {
      entry = await pool.take(isolateMemoryMb(limits, dataset, pool.baseBytes));
      const booted = (await entry.boot.apply(undefined, [dataset.payload.copyInto(), new ivm.ExternalCopy({ maxBytes: limits.outputBytes }).copyInto()], {
        timeout: prepareRemaining(),
        result: { reference: true },
      })) as ivm.Reference<() => SerializeOutcome>;
      const heap = await entry.isolate.getHeapStatistics();
      const inUse = heap.used_heap_size + heap.externally_allocated_size;
      dataset.copyBytes = Math.max(0, inUse - entry.baseBytes);
      // heap_size_limit is what isolated-vm holds heap + external bytes to (its memoryLimit plus V8's
      // young generation); the ballast leaves exactly the decode reserve and the allowance free.
      const spare = heap.heap_size_limit - inUse - dataset.decodeBytes - allowance;
      if (spare < 0 && attempt === 0) {
        // The isolate was sized on a guess that proved low (a dataset's first run): make the right one.
        entry.isolate.dispose();
        entry = undefined;
        continue;
      }
      if (spare >= MiB) {
        // A SharedArrayBuffer made on the host and copied in shares its (untouched, so free) pages
        // and is counted at its size by isolated-vm; an ArrayBuffer allocated inside would make V8
        // collect garbage at once over the jump in external memory (≈3 ms on every run).
        const ballast = new ivm.ExternalCopy(new SharedArrayBuffer(Math.floor(spare)));
        await entry.hold.apply(undefined, [ballast.copyInto({ release: true })], { timeout: prepareRemaining() });
      }
      serializer = booted;
    }
    if (!entry) throw new Error('no isolate');
    const { isolate, context } = entry;
    options.onStarted?.({ budgetBytes: allowance + dataset.decodeBytes });
    const t1 = performance.now();
    dataMs = t1 - t0;

    phase = 'code';
    deadline = performance.now() + limits.timeMs;
    timer = setTimeout(
      () => {
        deadlineHit = true;
        options.onForcedDispose?.();
        if (entry && !entry.isolate.isDisposed) entry.isolate.dispose();
      },
      limits.timeMs + (options.graceMs ?? 250),
    );
    const script = await isolate.compileScript(options.js, { filename: CHART_FILENAME });
    await script.run(context, { timeout: remaining() });
    const t2 = performance.now();
    codeMs = t2 - t1;

    phase = 'output';
    const outcome = (await serializer.apply(undefined, [], { timeout: remaining(), result: { copy: true } })) as SerializeOutcome;
    if (deadlineHit) return fail(timeoutError(limits));
    // isolated-vm holds heap objects to the limit only after V8's full collections, so a run can
    // end over its budget before one happens. If the heap looks over (garbage included), collect:
    // isolated-vm's check after that collection ends the run as a memory error if what it keeps is
    // over. Runs under budget pay one heap-statistics call.
    const after = await isolate.getHeapStatistics();
    if (after.used_heap_size + after.externally_allocated_size > after.heap_size_limit && entry.collect) {
      // Not the analyst's code: a collection may take longer than what is left of the time limit.
      await entry.collect.apply(undefined, [], { timeout: Math.max(remaining(), 250) });
    }
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
    return fail(phase === 'boot' ? prepareError(err) : classifyIsolateError(err, { deadlineHit, limits, phase }));
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (entry && !entry.isolate.isDisposed) entry.isolate.dispose();
  }

  function fail(error: RunError): RunResult {
    return { ok: false, error, stats: { durationMs: performance.now() - started, dataMs, codeMs, rows: dataset.rowCount } };
  }
}
