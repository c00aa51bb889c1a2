import { randomBytes } from 'node:crypto';
import ivm from 'isolated-vm';
import { checkFigure } from '@plotbox/figure';
import type { Column, Limits, RunError, RunResult } from '@plotbox/sandbox-protocol';
import { disposeIsolate, type IsolatePool, type WarmIsolate } from './isolate-pool.ts';
import { classifyIsolateError, prepareError, thrownError, timeoutError, type Thrown } from './isolate-errors.ts';

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
  /** Number of columns (sizes the danfo runtime's per-run frame). */
  readonly columnCount?: number;
}

/** Told to the supervisor when the analyst's code starts (worker-protocol.ts `started`). */
export interface RunStart {
  /** What the run may add to the isolate from here: the analyst's allowance plus the decode reserve. */
  readonly budgetBytes: number;
}

export interface ExecuteOptions {
  /** The checked JavaScript to run as the body of a script. */
  readonly js: string;
  readonly dataset: HeldDataset;
  readonly limits: Limits;
  /** Extra time after the limit before the host disposes the isolate itself, ms. */
  readonly graceMs?: number;
  /** Budget for preparing the run (isolate, dataset copy, globals), which the time limit does not count, ms. */
  readonly prepareMs?: number;
  /**
   * The isolate may serve further runs of the same tenant (isolate reuse): the dataset is bound as
   * shared (each run reads private copies, reserved outside the analyst's allowance) and, when the
   * run succeeds, the isolate is handed back instead of disposed.
   */
  readonly shared?: boolean;
  /** An isolate that already served this tenant (same dataset), to use if it is large enough. */
  readonly reuse?: WarmIsolate;
  /**
   * What the runtime's per-run globals take in the isolate beyond the dataset's copy, bytes (the
   * danfo runtime's `df` is a DataFrame built per run: {@link danfoFrameBytes}). Sizes the isolate;
   * like the copy, never charged to the analyst's allowance (it is in place before the ballast).
   */
  readonly runtimeBytes?: number;
  /** Called once the run is prepared, right before the analyst's code starts. */
  readonly onStarted?: (start: RunStart) => void;
  /**
   * Called when the host had to dispose the isolate because its own timeout did not stop it
   * (native code overshooting). Such an isolate may still be spinning on a thread, so the
   * worker should not take further runs.
   */
  readonly onForcedDispose?: () => void;
}

/**
 * A finished run. `isolate` is set when the caller now owns a live isolate: to keep for the
 * tenant's next run (`reusable`, after {@link settleForReuse}) or to dispose — after the result is
 * on its way, so disposal is not on the request path.
 */
export interface RunOutcome {
  readonly result: RunResult;
  readonly isolate: WarmIsolate | undefined;
  readonly reusable: boolean;
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
export function isolateMemoryMb(limits: Limits, dataset: Pick<HeldDataset, 'bytes' | 'decodeBytes' | 'copyBytes'>, baseBytes: number, shared = false, runtimeBytes = 0): number {
  const allowance = limits.memoryMb * MiB;
  const copy = dataset.copyBytes ?? 2 * dataset.bytes;
  return Math.ceil((baseBytes + copy + runtimeBytes + reserveBytes(dataset, shared) + allowance + headroomBytes(limits)) / MiB);
}

/**
 * What the danfo runtime's `df` takes in an isolate: danfo keeps every cell twice (row and column
 * arrays) plus its index and dtype bookkeeping; measured ≈85 bytes per cell at 1M rows × 6 columns
 * (506 MiB), rounded up.
 */
export function danfoFrameBytes(rowCount: number, columnCount: number): number {
  return rowCount * (columnCount * 96 + 16);
}

/**
 * What a run may add to the isolate besides the analyst's allowance, never charged to it: the
 * decode reserve, and with a shared binding the private copies of the columns it reads.
 */
export function reserveBytes(dataset: Pick<HeldDataset, 'bytes' | 'decodeBytes'>, shared: boolean): number {
  return dataset.decodeBytes + (shared ? dataset.bytes : 0);
}

/** Measured with isolated-vm 7: at less than ≈2× the budget, a growing Map aborts the process. */
function headroomBytes(limits: Limits): number {
  return Math.max(128, 2 * limits.memoryMb) * MiB;
}

/**
 * Runs checked code once, in a fresh compartment of an isolate that is either the tenant's kept
 * one (`reuse`) or a fresh one from the pool. Every outcome is a typed result; nothing the
 * analyst wrote can make this throw. The isolate is disposed on any failure; after a success it is
 * handed back (`RunOutcome.isolate`) to keep (`reusable`) or to dispose after replying.
 *
 * Two phases. **Prepare** (its own budget, not the analyst's time): take an isolate, bind the
 * dataset if it has none, make the run's compartment and globals, and fix the run's memory budget
 * — isolated-vm counts heap plus external (array buffer) bytes against the isolate's limit, so an
 * untouched buffer "ballast" sized to the limit minus (what is in use + reserve + allowance) makes
 * the analyst's allowance exactly what is enforced, whatever the isolate was made with or held
 * before. **Run**: the analyst's code and the serialization of `fig` under the time limit.
 */
export async function executeRun(pool: IsolatePool, options: ExecuteOptions): Promise<RunOutcome> {
  const { limits, dataset } = options;
  const shared = options.shared === true;
  const started = performance.now();
  // The time limit starts once the run is prepared: making an isolate, copying the dataset in and
  // booting the globals are the sandbox's cost, not the analyst's.
  let deadline = Number.POSITIVE_INFINITY;
  let entry: WarmIsolate | undefined;
  let reuse = options.reuse;
  let deadlineHit = false;
  let phase: 'boot' | 'code' | 'output' = 'boot';
  let dataMs = 0;
  let codeMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let keep = false;
  const remaining = (): number => Math.max(1, Math.floor(deadline - performance.now()));
  const prepareDeadline = started + (options.prepareMs ?? 30_000);
  const prepareRemaining = (): number => Math.max(1, Math.floor(prepareDeadline - performance.now()));
  const allowance = limits.memoryMb * MiB;
  const reserve = reserveBytes(dataset, shared);
  try {
    if (dataset.rowCount > limits.rows) {
      return fail({
        code: 'SANDBOX_DATASET_TOO_LARGE',
        message: `The dataset has ${dataset.rowCount} rows; Code Mode runs on at most ${limits.rows}.`,
        limit: { name: 'rows', value: limits.rows },
      });
    }
    const t0 = performance.now();
    for (let attempt = 0; entry === undefined; attempt++) {
      const needMb = isolateMemoryMb(limits, dataset, pool.baseBytes, shared, options.runtimeBytes ?? 0);
      let candidate: WarmIsolate;
      if (reuse !== undefined && reuse.boundSha === dataset.sha256 && reuse.memoryMb >= needMb && !reuse.isolate.isDisposed) {
        candidate = reuse;
      } else {
        if (reuse !== undefined) disposeIsolate(reuse);
        candidate = await pool.take(needMb);
      }
      reuse = undefined;
      entry = candidate;
      const { api } = candidate;
      if (candidate.boundSha === undefined) {
        await api.bind.apply(undefined, [dataset.payload.copyInto(), new ivm.ExternalCopy({ shared }).copyInto()], { timeout: prepareRemaining() });
        candidate.boundSha = dataset.sha256;
        const bound = candidate.isolate.getHeapStatisticsSync();
        candidate.boundBytes = bound.used_heap_size + bound.externally_allocated_size;
        dataset.copyBytes = Math.max(0, candidate.boundBytes - candidate.baseBytes);
      }
      candidate.runs++;
      // A kept isolate had this run's compartment made when the previous run ended (settleForReuse).
      if (!candidate.preparedAhead) await prepareRealm(candidate, prepareRemaining());
      candidate.preparedAhead = false;
      const fits = await fixBallast(candidate, reserve + allowance, prepareRemaining);
      if (!fits && attempt === 0) {
        // The isolate was sized on a guess that proved low (a dataset's first run): make the right one.
        disposeIsolate(candidate);
        entry = undefined;
        continue;
      }
    }
    const { isolate, api } = entry;
    options.onStarted?.({ budgetBytes: allowance + reserve });
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
    // The code and the serialization of `fig`, in one call (one hop to the isolate's thread and
    // back instead of two). A nonce per run keeps every run's source text unique (run-realm.ts).
    const outcome = (await api.run.apply(undefined, [options.js, randomBytes(12).toString('hex'), limits.outputBytes], { timeout: remaining(), result: { copy: true } })) as Thrown | SerializeOutcome;
    const t2 = performance.now();
    codeMs = t2 - t1;
    if (outcome !== null && typeof outcome === 'object' && 'thrown' in outcome) return fail(deadlineHit ? timeoutError(limits) : thrownError(outcome, limits));

    phase = 'output';
    if (deadlineHit) return fail(timeoutError(limits));
    // isolated-vm holds heap objects to the limit only after V8's full collections, so a run can
    // end over its budget before one happens. If the heap looks over (garbage included), collect:
    // isolated-vm's check after that collection ends the run as a memory error if what it keeps is
    // over. Runs under budget pay one heap-statistics call.
    const after = isolate.getHeapStatisticsSync();
    if (after.used_heap_size + after.externally_allocated_size > entry.limitBytes && entry.collect) {
      // Not the analyst's code: a collection may take longer than what is left of the time limit.
      await entry.collect.apply(undefined, [], { timeout: Math.max(remaining(), 250) });
    }
    if (!outcome || typeof outcome !== 'object') return fail({ code: 'SANDBOX_RUNTIME_ERROR', message: 'The figure could not be read.' });
    if (!outcome.ok) {
      const error: RunError =
        outcome.code === 'SANDBOX_OUTPUT_TOO_LARGE'
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
    keep = !deadlineHit && !isolate.isDisposed;
    return {
      result: {
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
          // Ready before the run: taken from the pool, or kept from the tenant's earlier runs.
          warm: entry.warm || entry.runs > 1,
          isolateRun: entry.runs,
        },
      },
      isolate: keep ? entry : undefined,
      reusable: keep && shared,
    };
  } catch (err) {
    return fail(phase === 'boot' ? prepareError(err) : classifyIsolateError(err, { deadlineHit, limits, phase }));
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    // Never reused after a failure; a success's isolate goes back to the caller.
    if (!keep && entry) disposeIsolate(entry);
    if (reuse !== undefined) disposeIsolate(reuse);
  }

  function fail(error: RunError): RunOutcome {
    return {
      result: { ok: false, error, stats: { durationMs: performance.now() - started, dataMs, codeMs, rows: dataset.rowCount, ...(entry ? { isolateRun: entry.runs } : {}) } },
      isolate: undefined,
      reusable: false,
    };
  }
}

/** Makes a fresh compartment with fresh globals in the isolate, for its next run (seeded from the host's CSPRNG). */
async function prepareRealm(entry: WarmIsolate, timeout: number): Promise<void> {
  await entry.api.prepare.apply(undefined, [new ivm.ExternalCopy({ seed: Array.from(new Uint32Array(randomBytes(16).buffer)) }).copyInto()], { timeout });
}

/** Garbage a kept isolate may carry into the tenant's next run before the worker collects it. */
const SETTLE_GARBAGE_BYTES = 16 * MiB;

/**
 * Makes the ballast exactly what leaves `budget` (reserve + allowance) free under the isolate's
 * limit: isolated-vm counts heap plus array-buffer bytes against it, so an untouched buffer
 * taking up the rest makes the analyst's allowance what is enforced. A kept isolate keeps its
 * ballast from run to run (garbage a previous run left does not shrink the budget: V8 collects it
 * when the run needs the room); it grows by a piece when the budget shrinks, and is rebuilt after a
 * collection when the budget grows. False when the isolate is too small for the budget.
 */
async function fixBallast(entry: WarmIsolate, budget: number, remaining: () => number): Promise<boolean> {
  // Bookkeeping calls here and around a run are synchronous: each asynchronous call into the
  // isolate is a round trip through isolated-vm's thread pool, which on a busy machine costs a
  // scheduling delay every time (the analyst's code and the serializer stay asynchronous).
  let heap = entry.isolate.getHeapStatisticsSync();
  // What is in use besides the ballast: the runtime, the dataset, the run's globals, and garbage
  // of earlier runs (at most SETTLE_GARBAGE_BYTES: settleForReuse collects beyond that).
  const live = heap.used_heap_size + heap.externally_allocated_size - entry.ballastBytes;
  if (entry.limitBytes - live - budget < 0) return false;
  let add: number;
  if (entry.ballastBytes === 0) {
    add = entry.limitBytes - live - budget;
  } else if (budget > entry.ballastBudget + MiB || entry.ballastBytes > entry.limitBytes - live - budget + SETTLE_GARBAGE_BYTES + MiB) {
    // A larger budget than the ballast was made for (or the isolate's own memory grew): let go of
    // the ballast, collect (twice if V8 has not yet swept the buffers), measure again, rebuild.
    await entry.hold.apply(undefined, [null], { timeout: remaining() });
    entry.ballastBytes = 0;
    if (entry.collect) {
      await entry.collect.apply(undefined, [], { timeout: remaining() });
      heap = entry.isolate.getHeapStatisticsSync();
      if (heap.externally_allocated_size > entry.boundBytes + 16 * MiB) await entry.collect.apply(undefined, [], { timeout: remaining() });
    }
    heap = entry.isolate.getHeapStatisticsSync();
    add = entry.limitBytes - (heap.used_heap_size + heap.externally_allocated_size) - budget;
  } else {
    // The same budget (or a smaller one: one more piece). Garbage of earlier runs needs no room of
    // its own: V8 collects it when this run needs the space.
    add = entry.ballastBudget - budget;
  }
  entry.ballastBudget = budget;
  // Array buffers are held to the memory limit itself (isolate-pool.ts limitBytes): a ballast
  // larger than that fails. Only a young generation larger than the allowance gets there (a
  // large --max-semi-space-size with a small memory limit); the allowance is then that much larger.
  const room = entry.memoryMb * MiB - heap.externally_allocated_size - MiB;
  const piece = Math.floor(Math.min(add, room));
  if (piece >= MiB) {
    // A SharedArrayBuffer made on the host and copied in shares its (untouched, so free) pages
    // and is counted at its size by isolated-vm; an ArrayBuffer allocated inside would make V8
    // collect garbage at once over the jump in external memory (≈3 ms on every run).
    const ballast = new ivm.ExternalCopy(new SharedArrayBuffer(piece));
    entry.hold.applySync(undefined, [ballast.copyInto({ release: true })], { timeout: remaining() });
    entry.ballastBytes += piece;
  }
  return true;
}

/**
 * Makes a kept isolate ready for the tenant's next run, after the result was sent: drops the run's
 * state (its compartment and the code's suspended scope) and collects the young generation; when
 * more than a little garbage is left, has V8 collect everything (a full collection costs ≈5 ms, so
 * not after every run; the ballast stays, so the next run's budget is exact either way); then
 * makes the next run's fresh compartment and globals ahead of it. Resolves to the bytes the isolate holds
 * besides its ballast, or undefined if it cannot be kept.
 */
export async function settleForReuse(entry: WarmIsolate, busy: () => boolean = () => false): Promise<number | undefined> {
  if (entry.isolate.isDisposed || entry.collect === undefined) return undefined;
  try {
    entry.api.end.applySync(undefined, [], { timeout: 1000 });
    // Most of what a run leaves is young (its own objects, its copies of the columns): a minor
    // collection (≈0.5 ms) frees it. What it left in the old generation is collected when it
    // exceeds a share of the budget: garbage left in the heap leaves the next run that much less
    // room before V8 must collect during the run.
    entry.collect.applySync(undefined, [true], { timeout: 5000 });
    let heap = entry.isolate.getHeapStatisticsSync();
    const threshold = Math.min(SETTLE_GARBAGE_BYTES, entry.ballastBudget / 8);
    if (heap.used_heap_size + heap.externally_allocated_size - entry.ballastBytes > entry.boundBytes + threshold) {
      await entry.collect.apply(undefined, [], { timeout: 5000 });
      heap = entry.isolate.getHeapStatisticsSync();
    }
    const held = heap.used_heap_size + heap.externally_allocated_size - entry.ballastBytes;
    // Make the next run's compartment now, off its request path (≈1–2 ms), and fit the ballast to
    // it; unless a run is already waiting for this worker, which may as well do it itself.
    if (!busy()) {
      await prepareRealm(entry, 5000);
      entry.preparedAhead = await fixBallast(entry, entry.ballastBudget, () => 5000);
    }
    return held;
  } catch {
    return undefined;
  }
}
