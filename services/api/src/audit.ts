/**
 * The one way the API writes audit events (SPEC §5). Callers pass what happened; this adds the
 * request's client IP and id. Details are whitelisted by the callers and never carry passwords,
 * tokens or keys. A failed append is logged and does not fail the request.
 */
import type { Logger } from 'pino';
import type { AuditActor, AuditOutcome, AuditTarget, JsonValue, Store } from '@plotbox/store';

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
