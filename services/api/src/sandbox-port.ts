/**
 * What the API needs from the sandbox service (SPEC §1: internal HTTP with a bearer token). The
 * HTTP implementation is `createSandboxClient` in `sandbox-client.ts`; the port keeps routes and
 * use cases independent of the transport.
 */
import type { CodeLang, Limits, RunResult } from '@plotbox/sandbox-protocol';

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
  }): Promise<RunResult>;
  /**
   * Identifies the runtime the sandbox runs charts with (a hash of its bundle), part of the render
   * cache key (SPEC §3.6) so a new runtime never serves figures made by an old one. Cached after
   * the first success; throws when the sandbox cannot be reached.
   */
  runtimeVersion(): Promise<string>;
  /** Is the sandbox ready (for `GET /api/ready`)? Never throws. */
  ready(): Promise<boolean>;
}
