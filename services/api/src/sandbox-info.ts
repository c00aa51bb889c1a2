/**
 * What the API knows of the sandbox's runtime version and limits, for the render cache key and
 * the code check. Learned from the sandbox (`/v1/info`, and the version header on every figure),
 * remembered for a short while in this process, and persisted in the store's settings so that an
 * API replica started while the sandbox is down or restarting still finds cached figures (issue:
 * cached renders never need the sandbox).
 */
import type { Logger } from 'pino';
import type { Store } from '@plotbox/store';
import { parseSandboxInfo } from './sandbox-client.ts';
import type { RuntimeName } from '@plotbox/sandbox-protocol';
import { runtimeVersionOf, type SandboxInfo, type SandboxPort } from './sandbox-port.ts';

/** The settings key under which the last known sandbox info is kept. */
export const SANDBOX_INFO_KEY = 'sandbox.info';

export interface SandboxInfoSource {
  /**
   * The sandbox's info: fresh (asked at most every `freshMs`), else the last value this process or
   * any replica saw (`null` only when nobody has ever reached the sandbox). Never throws.
   */
  current(): Promise<SandboxInfo | null>;
  /** A run on `runtime` (default arquero) reported the version that made its figure: learn the sandbox's info again if it is new. */
  observe(runtimeVersion: string, runtime?: RuntimeName): Promise<void>;
}

export interface SandboxInfoOptions {
  readonly sandbox: SandboxPort;
  readonly store: Store;
  readonly logger: Logger;
  readonly now: () => Date;
  /** How long an answer from the sandbox is trusted before asking again, ms (default 30 s). */
  readonly freshMs?: number;
  /** After the sandbox failed to answer, how long to use the remembered value before asking again, ms (default 5 s). */
  readonly retryMs?: number;
}

/** Build the source; checks its options now. */
export function createSandboxInfoSource(options: SandboxInfoOptions): SandboxInfoSource {
  const freshMs = options.freshMs ?? 30_000;
  const retryMs = options.retryMs ?? 5_000;
  if (!(freshMs > 0 && retryMs > 0)) throw new TypeError('createSandboxInfoSource: freshMs and retryMs must be positive');
  const { sandbox, store, logger } = options;
  const nowMs = (): number => options.now().getTime();
  /** The value we hold and until when it needs no refresh. */
  let held: { info: SandboxInfo; until: number } | null = null;
  let asking: Promise<SandboxInfo | null> | null = null;

  async function persist(info: SandboxInfo): Promise<void> {
    try {
      const stored = parseSandboxInfo((await store.settings.get(SANDBOX_INFO_KEY))?.value);
      if (stored === null || JSON.stringify(stored) !== JSON.stringify(info))
        await store.settings.put(SANDBOX_INFO_KEY, {
          runtimeVersion: info.runtimeVersion,
          ...(info.runtimeVersions === undefined ? {} : { runtimeVersions: { ...info.runtimeVersions } }),
          limits: { ...info.limits },
        });
    } catch (err) {
      logger.warn({ reason: (err as { code?: unknown }).code ?? 'unknown' }, 'the sandbox info could not be persisted');
    }
  }

  async function ask(): Promise<SandboxInfo | null> {
    try {
      const info = await sandbox.info();
      const changed = held === null || JSON.stringify(held.info) !== JSON.stringify(info);
      held = { info, until: nowMs() + freshMs };
      if (changed) await persist(info);
      return info;
    } catch {
      // Down or restarting: the last value this process or any replica saw, retried a little later.
      let info = held?.info ?? null;
      if (info === null) {
        try {
          info = parseSandboxInfo((await store.settings.get(SANDBOX_INFO_KEY))?.value);
        } catch {
          info = null;
        }
      }
      held = info === null ? null : { info, until: nowMs() + retryMs };
      return info;
    }
  }

  return {
    current() {
      if (held !== null && nowMs() < held.until) return Promise.resolve(held.info);
      // One question at a time, however many renders are waiting for the answer.
      asking ??= ask().finally(() => {
        asking = null;
      });
      return asking;
    },
    async observe(runtimeVersion, runtime = 'arquero') {
      if (held !== null && runtimeVersionOf(held.info, runtime) === runtimeVersion) return;
      // A new runtime answered (a rolled sandbox): learn its limits too, now.
      held = null;
      await this.current();
    },
  };
}
