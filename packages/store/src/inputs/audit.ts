/** Input checks of the audit log. */
import { invalid } from '../store-error.ts';
import { ACTOR_KINDS, AUDIT_OUTCOMES, MAX_AUDIT_DELETE_BATCH, MAX_AUDIT_DETAILS_BYTES } from '../ports.ts';
import type { ActorKind, AuditEvent, AuditLog, AuditOutcome } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertBoolean, assertDate, assertId, assertInt, assertKnownKeys, assertObject, assertOneOf, assertOptionalString, assertString, parseJson, serializeJsonObject } from '../validate.ts';
import { FIELD_LIMITS } from './common.ts';

const ACTION = /^[a-z0-9_.:-]{1,64}$/;

export function checkAction(value: unknown, field = 'action'): string {
  if (typeof value !== 'string' || !ACTION.test(value)) throw invalid(field, 'must match [a-z0-9_.:-]{1,64}');
  return value;
}

export function checkNewAuditEvent(input: unknown) {
  const v = assertObject(input, 'event');
  assertKnownKeys(v, 'event', ['actor', 'ip', 'action', 'target', 'outcome', 'requestId', 'details']);
  const actor = assertObject(v.actor, 'actor');
  assertKnownKeys(actor, 'actor', ['kind', 'userId', 'apiKey']);
  let apiKey: { id: string; name: string } | null = null;
  if (actor.apiKey !== undefined && actor.apiKey !== null) {
    const k = assertObject(actor.apiKey, 'actor.apiKey');
    assertKnownKeys(k, 'actor.apiKey', ['id', 'name']);
    apiKey = { id: assertId(k.id, 'actor.apiKey.id'), name: assertString(k.name, 'actor.apiKey.name', FIELD_LIMITS.name, 1) };
  }
  let target: { type: string; id: string | null } | null = null;
  if (v.target !== undefined && v.target !== null) {
    const t = assertObject(v.target, 'target');
    assertKnownKeys(t, 'target', ['type', 'id']);
    target = { type: checkAction(t.type, 'target.type'), id: t.id === null || t.id === undefined ? null : assertId(t.id, 'target.id') };
  }
  const details = v.details === undefined ? {} : v.details;
  return {
    actorKind: assertOneOf<ActorKind>(actor.kind, 'actor.kind', ACTOR_KINDS),
    actorUserId: actor.userId === null || actor.userId === undefined ? null : assertId(actor.userId, 'actor.userId'),
    actorApiKey: apiKey,
    ip: assertOptionalString(v.ip, 'ip', FIELD_LIMITS.ip),
    action: checkAction(v.action),
    target,
    outcome: assertOneOf<AuditOutcome>(v.outcome, 'outcome', AUDIT_OUTCOMES),
    requestId: assertOptionalString(v.requestId, 'requestId', FIELD_LIMITS.name),
    details: serializeJsonObject(details, 'details', MAX_AUDIT_DETAILS_BYTES),
    /** The details say `cached: true` (a view served from the render cache; `excludeCached` leaves it out). */
    cached: (details as { readonly cached?: unknown }).cached === true,
  };
}

/** A checked new event ({@link checkNewAuditEvent}). */
export type CheckedNewAuditEvent = ReturnType<typeof checkNewAuditEvent>;

/** The event an adapter stored for `c` under `id` at `at`: what `append` answers, without reading it back. */
export function appendedAuditEvent(id: string, at: Date, c: CheckedNewAuditEvent): AuditEvent {
  return {
    id,
    at,
    actor: c.actorApiKey === null ? { kind: c.actorKind, userId: c.actorUserId } : { kind: c.actorKind, userId: c.actorUserId, apiKey: c.actorApiKey },
    ip: c.ip,
    action: c.action,
    target: c.target,
    outcome: c.outcome,
    requestId: c.requestId,
    details: parseJson(c.details) as AuditEvent['details'],
  };
}

export function checkAuditFilter(filter: unknown) {
  const v = assertObject(filter, 'filter');
  assertKnownKeys(v, 'filter', ['action', 'actorUserId', 'targetType', 'outcome', 'since', 'until', 'excludeCached', 'newestFirst', 'involvesUserId']);
  return {
    excludeCached: v.excludeCached === undefined ? false : assertBoolean(v.excludeCached, 'excludeCached'),
    newestFirst: v.newestFirst === undefined ? false : assertBoolean(v.newestFirst, 'newestFirst'),
    action: v.action === undefined ? null : checkAction(v.action),
    actorUserId: v.actorUserId === undefined ? null : assertId(v.actorUserId, 'actorUserId'),
    targetType: v.targetType === undefined ? null : checkAction(v.targetType, 'targetType'),
    outcome: v.outcome === undefined ? null : assertOneOf<AuditOutcome>(v.outcome, 'outcome', AUDIT_OUTCOMES),
    since: v.since === undefined ? null : assertDate(v.since, 'since'),
    until: v.until === undefined ? null : assertDate(v.until, 'until'),
    involvesUserId: v.involvesUserId === undefined ? null : assertId(v.involvesUserId, 'involvesUserId'),
  };
}

/** The input check of every {@link AuditLog} operation; details serialized, times as epoch ms. */
export const AUDIT_INPUTS = {
  append: (input: unknown) => checkNewAuditEvent(input),
  /** The page in the filter's order: `(at, id)`, newest first on request (with cursors of its own). */
  query: (filter: unknown, page: unknown) => {
    const f = checkAuditFilter(filter);
    return { filter: f, page: checkPage(page, 'audit', f.newestFirst) };
  },
  deleteBefore: (cutoff: unknown, limit: unknown) => ({ cutoff: assertDate(cutoff, 'cutoff'), limit: assertInt(limit, 'limit', 1, MAX_AUDIT_DELETE_BATCH) }),
} satisfies InputChecks<AuditLog>;
