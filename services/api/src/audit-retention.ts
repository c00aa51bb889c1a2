/**
 * Audit retention (`PLOTBOX_AUDIT_RETENTION_DAYS`): events older than that are deleted by a sweep
 * every replica schedules hourly; a lease in the store (`settings`: `lease:audit-retention`) lets
 * one replica sweep at a time, and deleting by age is harmless to repeat, so several replicas never
 * delete more or report twice what one would. Each sweep that deleted something is itself audited.
 * Archive first: `plotbox audit export --since … --format jsonl` ({@link writeAuditJsonl}).
 */
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { AuditFilter, Store } from '@plotbox/store';
import type { Audit } from './audit.ts';
import { schedulePeriodic } from './periodic.ts';
import { auditEventView } from './views.ts';

export const RETENTION_LEASE_KEY = 'lease:audit-retention';
/** Longer than a sweep takes; a replica that dies mid-sweep holds the lease no longer than this. */
const LEASE_MS = 10 * 60_000;
const BATCH = 1000;
/** A sweep deletes at most this many events (bounded time per hour); the next one continues. */
const MAX_PER_SWEEP = 1_000_000;

export interface RetentionDeps {
  readonly store: Store;
  readonly audit: Audit;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly now: () => Date;
  /** Names this replica in the lease (for operators reading the store). */
  readonly replica: string;
}

/** Delete events older than `retentionMs`; `null` when another replica holds the lease. */
export async function sweepAuditRetention(deps: RetentionDeps, retentionMs: number): Promise<{ readonly deleted: number; readonly cutoff: Date } | null> {
  if (!Number.isInteger(retentionMs) || retentionMs <= 0) throw new Error('retentionMs must be a positive whole number');
  const start = deps.now();
  const lease = await deps.store.settings.putIfAbsent(RETENTION_LEASE_KEY, { replica: deps.replica.slice(0, 100), at: start.toISOString() }, { expiresAt: new Date(start.getTime() + LEASE_MS) });
  if (!lease.created) return null;
  const cutoff = new Date(start.getTime() - retentionMs);
  let deleted = 0;
  while (deleted < MAX_PER_SWEEP) {
    const n = await deps.store.audit.deleteBefore(cutoff, BATCH);
    deleted += n;
    if (n < BATCH) break;
  }
  if (deleted > 0) {
    deps.logger.info({ deleted, cutoff: cutoff.toISOString() }, 'audit retention: deleted events older than the retention period');
    await deps.audit({
      action: 'audit_retention',
      outcome: 'success',
      actor: { kind: 'system', userId: null },
      target: null,
      ip: null,
      requestId: null,
      details: { deleted, cutoff: cutoff.toISOString(), retentionDays: retentionMs / 86_400_000 },
    });
  }
  return { deleted, cutoff };
}

/**
 * Sweep now-ish and then every `everyMs` (unref'd timers: they never keep the process up).
 * Returns a function that stops it.
 */
export function scheduleAuditRetention(deps: RetentionDeps, retentionMs: number, everyMs = 3_600_000, firstAfterMs = 60_000): () => void {
  return schedulePeriodic(() => sweepAuditRetention(deps, retentionMs), { logger: deps.logger, what: 'audit retention sweep', everyMs, firstAfterMs });
}

/**
 * Write the audit events of `filter` (`since` inclusive, `until` exclusive), oldest first, to
 * `out` as JSON lines (the shape of `GET /api/audit`), page by page with backpressure: memory
 * stays bounded however many there are. Returns how many were written.
 */
export async function writeAuditJsonl(store: Store, filter: Pick<AuditFilter, 'since' | 'until'>, out: Writable): Promise<number> {
  let written = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await store.audit.query(filter, cursor === undefined ? { limit: 500 } : { limit: 500, cursor });
    if (page.items.length > 0) {
      const text = page.items.map((e) => `${JSON.stringify(auditEventView(e))}\n`).join('');
      written += page.items.length;
      if (!out.write(text)) {
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error): void => reject(err);
          out.once('error', onError);
          out.once('drain', () => {
            out.off('error', onError);
            resolve();
          });
        });
      }
    }
    if (page.nextCursor === undefined) return written;
    cursor = page.nextCursor;
  }
}
