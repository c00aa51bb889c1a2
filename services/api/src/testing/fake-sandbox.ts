/**
 * A fake of {@link SandboxPort} for unit tests of what the API does around the sandbox (the render
 * cache, error mapping, the missing-dataset retry, runtime changes, the sandbox being down),
 * without starting the real service. It keeps the protocol's one rule that matters to callers: a
 * run on a dataset it has not been given answers `SANDBOX_DATASET_MISSING`. Everything else is
 * scripted: the outcome of each run (a figure or a typed error), the runtime version and limits,
 * being down. Every call is recorded. The real sandbox is exercised end to end in `test/`.
 */
import { DEFAULT_LIMITS, type Limits, type RunError, type RunStats } from '@plotbox/sandbox-protocol';
import type { SandboxInfo, SandboxPort, SandboxRunInput, SandboxRunResult } from '../sandbox-port.ts';

/** What a scripted run answers: a figure (as a value, sent as its JSON text), or a typed error. */
export type FakeRunOutcome = { readonly figure: unknown; /** Default: the fake's current runtime version. */ readonly runtimeVersion?: string | null } | { readonly error: RunError };

export interface FakeSandboxOptions {
  readonly runtimeVersion?: string;
  readonly limits?: Partial<Limits>;
  /** What a run answers when nothing is queued; default a one-bar figure. */
  readonly fallback?: FakeRunOutcome;
  /** Datasets (sha256) it holds from the start; default none (the first run of each asks for it). */
  readonly holds?: readonly string[];
}

export interface FakeSandbox extends SandboxPort {
  /** Every run request, in order (including those answered `SANDBOX_DATASET_MISSING`). */
  readonly runs: readonly SandboxRunInput[];
  /** Every dataset upload, in order. */
  readonly uploads: readonly { readonly sha256: string; readonly bytes: number }[];
  /** How often `info()` was asked. */
  infoCalls(): number;
  /** Answer the next runs (on held datasets) with these, in order. */
  enqueue(...outcomes: FakeRunOutcome[]): void;
  /** Down: runs and uploads answer `SANDBOX_UNAVAILABLE`, `info()` throws, `ready()` is false. */
  setDown(down: boolean): void;
  /** A new runtime (a rolled sandbox): `info()` and later figures report it. */
  setRuntimeVersion(version: string): void;
  /** Forget every dataset (a restarted pod), or one. */
  forget(sha256?: string): void;
  /** Uploads are refused (`SANDBOX_DATASET_INVALID`), or accepted but not kept (so the retry misses again). */
  setUploads(mode: 'keep' | 'refuse' | 'lose'): void;
}

const UNAVAILABLE: RunError = { code: 'SANDBOX_UNAVAILABLE', message: 'The fake sandbox is down.' };
const BAR = { data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2] }] };

function statsOf(figureJson: string): RunStats {
  return { durationMs: 1, cpuMs: 1, outputBytes: Buffer.byteLength(figureJson), rows: 0, dataMs: 0, codeMs: 1, outputMs: 0, warm: true } as RunStats;
}

/** Build a fake sandbox; every option has a default. */
export function createFakeSandbox(options: FakeSandboxOptions = {}): FakeSandbox {
  let runtimeVersion = options.runtimeVersion ?? 'fake-runtime-1';
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const fallback: FakeRunOutcome = options.fallback ?? { figure: BAR };
  const held = new Set(options.holds ?? []);
  const queue: FakeRunOutcome[] = [];
  const runs: SandboxRunInput[] = [];
  const uploads: { sha256: string; bytes: number }[] = [];
  let infoCalls = 0;
  let down = false;
  let uploadMode: 'keep' | 'refuse' | 'lose' = 'keep';

  return {
    runs,
    uploads,
    infoCalls: () => infoCalls,
    enqueue: (...outcomes) => void queue.push(...outcomes),
    setDown: (value) => void (down = value),
    setRuntimeVersion: (version) => void (runtimeVersion = version),
    forget: (sha256) => (sha256 === undefined ? held.clear() : void held.delete(sha256)),
    setUploads: (mode) => void (uploadMode = mode),
    async run(input): Promise<SandboxRunResult> {
      runs.push({ ...input });
      await Promise.resolve();
      if (down) return { ok: false, error: UNAVAILABLE };
      if (!held.has(input.sha256)) return { ok: false, error: { code: 'SANDBOX_DATASET_MISSING', message: 'The sandbox does not hold this dataset.' } };
      const outcome = queue.shift() ?? fallback;
      if ('error' in outcome) return { ok: false, error: outcome.error };
      const figureJson = JSON.stringify(outcome.figure);
      return { ok: true, figureJson, stats: statsOf(figureJson), runtimeVersion: outcome.runtimeVersion === undefined ? runtimeVersion : outcome.runtimeVersion };
    },
    async putDataset(sha256, bytes) {
      uploads.push({ sha256, bytes: bytes.byteLength });
      await Promise.resolve();
      if (down) return { ok: false, error: UNAVAILABLE };
      if (uploadMode === 'refuse') return { ok: false, error: { code: 'SANDBOX_DATASET_INVALID', message: 'The bytes do not hash to their name.' } };
      if (uploadMode === 'keep') held.add(sha256);
      return { ok: true };
    },
    async info(): Promise<SandboxInfo> {
      infoCalls += 1;
      await Promise.resolve();
      if (down) throw new Error('connection refused');
      // Like the real sandbox: a version per runtime (here the same one for both).
      return { runtimeVersion, runtimeVersions: { arquero: runtimeVersion, danfo: runtimeVersion }, limits };
    },
    ready: () => Promise.resolve(!down),
  };
}
