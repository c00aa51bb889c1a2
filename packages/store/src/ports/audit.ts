/** The audit log. */
import type { JsonValue, Page, PageRequest } from './common.ts';

export const ACTOR_KINDS = ['user', 'api_key', 'system', 'anonymous'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditActor {
  readonly kind: ActorKind;
  /** The acting user (also for `api_key`), `null` for `system`/`anonymous`. */
  readonly userId: string | null;
  /** For `api_key`: which key acted (its id and its name when it acted). */
  readonly apiKey?: { readonly id: string; readonly name: string };
}

export interface AuditTarget {
  readonly type: string;
  readonly id: string | null;
}

export interface AuditEvent {
  readonly id: string;
  readonly at: Date;
  readonly actor: AuditActor;
  readonly ip: string | null;
  /** `login_failure`, `refresh_reuse`, `dataset_upload`… (`[a-z0-9_.:-]`, at most 64 chars). */
  readonly action: string;
  readonly target: AuditTarget | null;
  readonly outcome: AuditOutcome;
  readonly requestId: string | null;
  /** Small (at most {@link MAX_AUDIT_DETAILS_BYTES} of JSON); never secrets. */
  readonly details: { readonly [key: string]: JsonValue };
}

export const MAX_AUDIT_DETAILS_BYTES = 8192;

export interface NewAuditEvent {
  readonly actor: AuditActor;
  readonly ip?: string | null;
  readonly action: string;
  readonly target?: AuditTarget | null;
  readonly outcome: AuditOutcome;
  readonly requestId?: string | null;
  readonly details?: { readonly [key: string]: JsonValue };
}

export interface AuditFilter {
  readonly action?: string;
  readonly actorUserId?: string;
  readonly targetType?: string;
  readonly outcome?: AuditOutcome;
  /** Inclusive. */
  readonly since?: Date;
  /** Exclusive. */
  readonly until?: Date;
  /**
   * Leave out events whose details say `cached: true`: dashboard views served from the render
   * cache, recorded (SPEC §5) but routine.
   */
  readonly excludeCached?: boolean;
  /**
   * Events that involve the user: as actor, as a `user` target, or naming the user's id in their
   * details (member and group changes). For a personal-data export; not index-only.
   */
  readonly involvesUserId?: string;
  /** `(at, id)` descending, newest first. A cursor works only with the order that made it. */
  readonly newestFirst?: boolean;
}

/**
 * The audit log: append and query. Events are never edited; the only changes are the two the law
 * and retention need, each by its own operation: an erasure replaces a person by a pseudonym
 * ({@link UserRepository.erase}), and {@link AuditLog.deleteBefore} removes events past the
 * retention period. SQLite enforces exactly this with triggers.
 */
export interface AuditLog {
  /** `at` is the store's clock. */
  append(input: NewAuditEvent): Promise<AuditEvent>;
  /** Events matching every given filter, in time order `(at, id)`. */
  query(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>>;
  /**
   * Retention: delete at most `limit` (1..{@link MAX_AUDIT_DELETE_BATCH}) of the oldest events
   * with `at` before `cutoff`; returns how many. Call again until it returns less than `limit`.
   */
  deleteBefore(cutoff: Date, limit: number): Promise<number>;
}

/** The largest batch of {@link AuditLog.deleteBefore}. */
export const MAX_AUDIT_DELETE_BATCH = 10_000;
