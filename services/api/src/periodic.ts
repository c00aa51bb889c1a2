/**
 * Background jobs of the API (audit retention, the inactivity sweep): run once after a short
 * delay, then every interval, on unref'd timers that never keep the process up. A failed run is
 * logged by its error code and tried again at the next interval.
 */
import type { Logger } from 'pino';

/** Starts `job`; returns a function that stops it. */
export function schedulePeriodic(
  job: () => Promise<unknown>,
  options: { readonly logger: Pick<Logger, 'warn'>; readonly what: string; readonly everyMs: number; readonly firstAfterMs: number },
): () => void {
  const { logger, what, everyMs, firstAfterMs } = options;
  const run = (): void => {
    job().catch((err: unknown) => logger.warn({ reason: (err as { code?: unknown }).code ?? (err as Error).name }, `${what} failed; it runs again later`));
  };
  const first = setTimeout(run, firstAfterMs);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
