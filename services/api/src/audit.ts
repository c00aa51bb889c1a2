/**
 * The one way the API writes audit events (SPEC §5). Callers pass what happened; this adds the
 * request's client IP and id. Details are whitelisted by the callers and never carry passwords,
 * tokens or keys. A failed append is logged and does not fail the request.
 */
import type { Logger } from 'pino';
import type { AuditActor, AuditEvent, AuditOutcome, AuditTarget, JsonValue, Store } from '@plotbox/store';
import type { AuditName } from './api-types.ts';

export interface AuditInput {
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly actor: AuditActor;
  readonly target?: AuditTarget | null;
  readonly ip: string | null;
  readonly requestId: string | null;
  /** The id the client sent, if any: recorded in the details, never as the event's request id. */
  readonly clientRequestId?: string | null;
  readonly details?: { readonly [key: string]: JsonValue };
}

export type Audit = (event: AuditInput) => Promise<void>;

/** Build the `audit(event)` function over the store's append-only log. */
export function createAudit(store: Store, logger: Logger): Audit {
  return async (event) => {
    try {
      await store.audit.append({
        actor: event.actor,
        ip: event.ip === null ? null : event.ip.slice(0, 128),
        action: event.action,
        target: event.target ?? null,
        outcome: event.outcome,
        requestId: event.requestId,
        details: event.clientRequestId === undefined || event.clientRequestId === null ? (event.details ?? {}) : { ...event.details, clientRequestId: event.clientRequestId },
      });
    } catch (err) {
      logger.error({ err: { name: (err as Error).name, code: (err as { code?: unknown }).code }, action: event.action }, 'audit append failed');
    }
  };
}

export type { AuditName };

/** Distinct ids one page may resolve: a page of 500 events stays a bounded number of lookups. */
const MAX_NAMED_IDS = 300;
const NAMED_TYPES = new Set<AuditName['type']>(['user', 'group', 'project', 'dashboard', 'chart', 'dataset']);

/**
 * The people and objects an audit page mentions, by id: actors, targets, and the users or groups
 * that member and group changes name in their details. Ids of deleted objects stay unresolved
 * (the reader sees the id). Lookups are by id only, at most {@link MAX_NAMED_IDS} per call.
 */
export async function auditNames(store: Store, events: readonly AuditEvent[]): Promise<Record<string, AuditName>> {
  const wanted = new Map<string, AuditName['type']>();
  const want = (type: string | undefined, id: unknown): void => {
    if (typeof id !== 'string' || id === '' || wanted.size >= MAX_NAMED_IDS || wanted.has(id)) return;
    if (NAMED_TYPES.has(type as AuditName['type'])) wanted.set(id, type as AuditName['type']);
  };
  for (const e of events) {
    want('user', e.actor.userId);
    if (e.target !== null) want(e.target.type, e.target.id);
    const d = e.details;
    want('user', d.userId);
    if (d.principalKind === 'user' || d.principalKind === 'group') want(d.principalKind, d.principalId);
  }
  const out: Record<string, AuditName> = {};
  await Promise.all(
    [...wanted].map(async ([id, type]) => {
      const name = await lookUp(store, type, id).catch(() => null);
      if (name !== null) out[id] = name;
    }),
  );
  return out;
}

async function lookUp(store: Store, type: AuditName['type'], id: string): Promise<AuditName | null> {
  switch (type) {
    case 'user': {
      const u = await store.users.findById(id);
      return u === null ? null : { type, name: u.displayName, email: u.email };
    }
    case 'group': {
      const g = await store.groups.findById(id);
      return g === null ? null : { type, name: g.name };
    }
    case 'project': {
      const p = await store.projects.findById(id);
      return p === null ? null : { type, name: p.name };
    }
    case 'dashboard': {
      const d = await store.dashboards.findById(id);
      return d === null ? null : { type, name: d.name };
    }
    case 'chart': {
      const c = await store.charts.findById(id);
      return c === null ? null : { type, name: c.title };
    }
    case 'dataset': {
      const d = await store.datasets.findById(id);
      return d === null ? null : { type, name: d.name };
    }
  }
}
