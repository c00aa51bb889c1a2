/**
 * What the API needs from the sandbox service (SPEC §1: internal HTTP with a bearer token). The
 * HTTP implementation is `createSandboxClient` in `sandbox-client.ts`; unit tests use the fake in
 * `testing/fake-sandbox.ts`. The port is the transport only: what to do when the sandbox lacks a
 * dataset (upload it once, ask again) is the use case's (`use-cases/run-in-sandbox.ts`).
 */
import type { CodeLang, Limits, RunError, RunResult, RuntimeName } from '@plotbox/sandbox-protocol';

/** A run's result; a figure carries the runtime version that made it (`null`: the sandbox did not say). */
export type SandboxRunResult = (Extract<RunResult, { ok: true }> & { readonly runtimeVersion: string | null }) | Extract<RunResult, { ok: false }>;

/** What the sandbox says of itself. */
export interface SandboxInfo {
  /** Identifies the default (arquero) runtime charts run with (a hash of its bundle). */
  readonly runtimeVersion: string;
  /** The same for every runtime the sandbox has, by name (absent from sandboxes older than runtimes). */
  readonly runtimeVersions?: Readonly<Partial<Record<RuntimeName, string>>>;
  /** The limits a run gets unless it asks for others. */
  readonly limits: Limits;
}

/** The version of `runtime` the sandbox reported, or `null` when it did not report one. */
export function runtimeVersionOf(info: SandboxInfo, runtime: RuntimeName): string | null {
  return info.runtimeVersions?.[runtime] ?? (runtime === 'arquero' ? info.runtimeVersion : null);
}

/** One run request: code and the dataset by content hash. */
export interface SandboxRunInput {
  readonly code: string;
  readonly lang: CodeLang;
  /** The runtime to run on (the sandbox's default, arquero, when absent). */
  readonly runtime?: RuntimeName;
  /** The canonical Arrow IPC bytes' sha256 (the sandbox caches datasets by it). */
  readonly sha256: string;
  /** Fairness key (the sandbox queues per project). */
  readonly project: string;
  readonly limits?: Partial<Limits>;
  readonly requestId?: string;
}

export interface SandboxPort {
  /**
   * Run chart code on a dataset the sandbox is given by content hash. Always resolves to a typed
   * result, never an exception: a sandbox that does not hold the dataset answers
   * `SANDBOX_DATASET_MISSING` (give it with {@link putDataset}, then ask again); transport
   * failures become `SANDBOX_UNAVAILABLE`.
   */
  run(input: SandboxRunInput): Promise<SandboxRunResult>;
  /**
   * Give the sandbox a dataset's canonical Arrow IPC bytes under their sha256. Never throws: a
   * refusal is `SANDBOX_DATASET_INVALID`, a transport failure `SANDBOX_UNAVAILABLE`.
   */
  putDataset(sha256: string, bytes: Uint8Array): Promise<{ readonly ok: true } | { readonly ok: false; readonly error: RunError }>;
  /**
   * The sandbox's runtime version (part of the render cache key, SPEC §3.6, so a new runtime never
   * serves figures made by an old one) and default limits. Asks the sandbox every time (callers
   * memoize: see `sandbox-info.ts`); throws when the sandbox cannot be reached or answers nonsense.
   */
  info(): Promise<SandboxInfo>;
  /** Is the sandbox ready (for `GET /api/ready`)? Never throws. */
  ready(): Promise<boolean>;
}
