/**
 * The inactivity sweep (`PLOTBOX_DISABLE_INACTIVE_DAYS`): accounts nobody has signed in to or used
 * (sessions refreshing, API keys) for that long are disabled, with the reason `inactive`, their
 * sessions ended, and each one audited as `user_disabled_inactive`. An administrator enables them
 * again (which restarts their clock).
 *
 * Safe with several replicas: a lease in the store (`settings`, `putIfAbsent` with an expiry) lets
 * one replica sweep at a time, and each account is disabled by one conditional write that only
 * one caller can win, so even two sweeps at once disable and audit each account once. The last
 * enabled administrator is never disabled (the service would be left without one).
 */
import type { Logger } from 'pino';
import type { Store, User } from '@plotbox/store';
import type { Audit } from './audit.ts';
import { schedulePeriodic } from './periodic.ts';
import type { ApiMetrics } from './metrics.ts';

export const SWEEP_LEASE_KEY = 'lease:inactive-sweep';
/** Longer than a sweep takes; a replica that dies mid-sweep holds the lease no longer than this. */
const LEASE_MS = 10 * 60_000;
const BATCH = 100;
/** A sweep handles at most this many accounts; the next one continues. */
const MAX_PER_SWEEP = 10_000;

export interface SweepDeps {
  readonly store: Store;
  readonly audit: Audit;
  readonly logger: Logger;
  readonly metrics?: ApiMetrics;
  readonly now: () => Date;
  /** Names this replica in the lease (for operators reading the store). */
  readonly replica: string;
}

/** What one sweep did; `null` when another replica holds the lease. */
export interface SweepResult {
  readonly disabled: readonly string[];
  /** Inactive admins kept enabled because each was the last enabled one. */
  readonly keptLastAdmin: readonly string[];
}

/** Disable every account inactive for `maxInactiveMs`. */
export async function sweepInactiveAccounts(deps: SweepDeps, maxInactiveMs: number): Promise<SweepResult | null> {
  if (!Number.isInteger(maxInactiveMs) || maxInactiveMs <= 0) throw new Error('maxInactiveMs must be a positive whole number');
  const { store } = deps;
  const start = deps.now();
  const lease = await store.settings.putIfAbsent(SWEEP_LEASE_KEY, { replica: deps.replica.slice(0, 100), at: start.toISOString() }, { expiresAt: new Date(start.getTime() + LEASE_MS) });
  if (!lease.created) return null;
  const before = new Date(start.getTime() - maxInactiveMs);
  const disabled: string[] = [];
  const kept: string[] = [];
  const skipped = new Set<string>();
  let enabledAdmins = await store.users.count({ systemRole: 'admin', disabled: false });
  for (let handled = 0; handled < MAX_PER_SWEEP;) {
    const batch = (await store.users.listInactive(before, BATCH)).filter((u) => !skipped.has(u.id));
    if (batch.length === 0) break;
    for (const user of batch) {
      handled += 1;
      if (user.systemRole === 'admin' && enabledAdmins <= 1) {
        skipped.add(user.id);
        kept.push(user.id);
        continue;
      }
      if (await store.users.disableIfInactive(user.id, before)) {
        if (user.systemRole === 'admin') enabledAdmins -= 1;
        disabled.push(user.id);
        await afterDisable(deps, user, start);
      } else {
        // Used or changed since it was listed: not ours to disable.
        skipped.add(user.id);
      }
    }
  }
  if (disabled.length > 0) {
    deps.metrics?.inactiveDisabled(disabled.length);
    deps.logger.info({ disabled: disabled.length }, 'inactivity sweep: disabled accounts unused for too long');
  }
  if (kept.length > 0) deps.logger.warn({ userIds: kept }, 'inactivity sweep: kept the last enabled administrator although it is inactive');
  return { disabled, keptLastAdmin: kept };
}

async function afterDisable(deps: SweepDeps, user: User, at: Date): Promise<void> {
  const revoked = await deps.store.sessions.revokeAllForUser(user.id, 'user_disabled_inactive');
  const days = Math.floor((at.getTime() - user.lastActiveAt.getTime()) / 86_400_000);
  await deps.audit({
    action: 'user_disabled_inactive',
    outcome: 'success',
    actor: { kind: 'system', userId: null },
    target: { type: 'user', id: user.id },
    ip: null,
    requestId: null,
    details: { lastActiveAt: user.lastActiveAt.toISOString(), inactiveDays: days, systemRole: user.systemRole, sessionsRevoked: revoked },
  });
}

/**
 * Run the sweep now and then every `everyMs` (unref'd timers: they never keep the process up).
 * Returns a function that stops it.
 */
export function scheduleInactiveSweep(deps: SweepDeps, maxInactiveMs: number, everyMs = 3_600_000, firstAfterMs = 30_000): () => void {
  return schedulePeriodic(() => sweepInactiveAccounts(deps, maxInactiveMs), { logger: deps.logger, what: 'inactivity sweep', everyMs, firstAfterMs });
}
