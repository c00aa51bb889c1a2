/** The audit log on MongoDB: `audit_events`: append, query, and deletion by age only (erasure rewrites in `users.ts`). */
import type { Filter } from 'mongodb';
import { AUDIT_INPUTS, appendedAuditEvent, assembleRepository, byAt, parseJson } from '@plotbox/store';
import type { AuditEvent, AuditLog } from '@plotbox/store';
import type { AuditDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { escapeRegExp, paged } from '../queries.ts';

export function toEvent(d: AuditDoc): AuditEvent {
  const { kind, userId, apiKey } = d.actor;
  return {
    id: d._id,
    at: d.at,
    actor: apiKey === undefined ? { kind, userId } : { kind, userId, apiKey: { id: apiKey.id, name: apiKey.name } },
    ip: d.ip,
    action: d.action,
    target: d.target === null ? null : { type: d.target.type, id: d.target.id },
    outcome: d.outcome,
    requestId: d.requestId,
    details: parseJson(d.details) as AuditEvent['details'],
  };
}

export function createAuditLog(h: MongoHandle): AuditLog {
  const audit = h.c.audit;
  return assembleRepository(AUDIT_INPUTS, h.op, {
    append: async (c) => {
      const event = appendedAuditEvent(h.newId(), h.now(), c);
      const doc: AuditDoc = {
        _id: event.id,
        at: event.at,
        actor: { ...event.actor },
        ip: c.ip,
        action: c.action,
        target: c.target,
        outcome: c.outcome,
        requestId: c.requestId,
        details: c.details,
        ...(c.cached ? { cached: true as const } : {}),
      };
      await audit.insertOne(doc);
      return event;
    },
    query: ({ filter: f, page }) => {
      const q: Filter<AuditDoc> = {};
      if (f.action !== null) q.action = f.action;
      if (f.actorUserId !== null) q['actor.userId'] = f.actorUserId;
      if (f.targetType !== null) q['target.type'] = f.targetType;
      if (f.outcome !== null) q.outcome = f.outcome;
      if (f.since !== null || f.until !== null) {
        q.at = {
          ...(f.since === null ? {} : { $gte: new Date(f.since) }),
          ...(f.until === null ? {} : { $lt: new Date(f.until) }),
        };
      }
      if (f.excludeCached) q.cached = { $ne: true };
      if (f.involvesUserId !== null) {
        // Ids are random UUIDs: found inside the details' JSON text, they name this user.
        q.$or = [{ 'actor.userId': f.involvesUserId }, { 'target.type': 'user', 'target.id': f.involvesUserId }, { details: { $regex: escapeRegExp(f.involvesUserId) } }];
      }
      return paged(audit, { filter: q, timeField: 'at', map: toEvent, position: byAt }, page);
    },
    deleteBefore: async ({ cutoff, limit }) => {
      const ids = (
        await audit
          .find({ at: { $lt: new Date(cutoff) } }, { projection: { _id: 1 } })
          .sort({ at: 1, _id: 1 })
          .limit(limit)
          .toArray()
      ).map((d) => d._id);
      if (ids.length === 0) return 0;
      return (await audit.deleteMany({ _id: { $in: ids } })).deletedCount;
    },
  });
}
