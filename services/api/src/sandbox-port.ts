/**
 * What the API needs from the sandbox service (SPEC §1: internal HTTP with a bearer token). The
 * HTTP implementation is `createSandboxClient` in `sandbox-client.ts`; the port keeps routes and
 * use cases independent of the transport.
 */
import type { CodeLang, Limits, RunResult } from '@plotbox/sandbox-protocol';

/** A run's result; a figure carries the runtime version that made it (`null`: the sandbox did not say). */
export type SandboxRunResult = (Extract<RunResult, { ok: true }> & { readonly runtimeVersion: string | null }) | Extract<RunResult, { ok: false }>;

/** What the sandbox says of itself. */
export interface SandboxInfo {
  /** Identifies the runtime charts run with (a hash of its bundle). */
  readonly runtimeVersion: string;
  /** The limits a run gets unless it asks for others. */
  readonly limits: Limits;
}

export interface SandboxPort {
  /**
   * Run chart code on a dataset the sandbox is given by content hash. When the sandbox does not
   * hold the dataset, `loadArrow` is called for its canonical Arrow IPC bytes, which are uploaded
   * once and the run retried. Always resolves to a typed result: transport failures become
   * `SANDBOX_UNAVAILABLE` / `SANDBOX_BUSY` results, never exceptions.
   */
  run(input: {
    readonly code: string;
    readonly lang: CodeLang;
    readonly sha256: string;
    readonly loadArrow: () => Promise<Uint8Array>;
    /** Fairness key (the sandbox queues per project). */
    readonly project: string;
    readonly limits?: Partial<Limits>;
    readonly requestId?: string;
  }): Promise<SandboxRunResult>;
  /**
   * The sandbox's runtime version (part of the render cache key, SPEC §3.6, so a new runtime never
   * serves figures made by an old one) and default limits. Asks the sandbox every time (callers
   * memoize: see `sandbox-info.ts`); throws when the sandbox cannot be reached or answers nonsense.
   */
  info(): Promise<SandboxInfo>;
  /** Is the sandbox ready (for `GET /api/ready`)? Never throws. */
  ready(): Promise<boolean>;
}
