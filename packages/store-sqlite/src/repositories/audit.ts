/**
 * The audit log on SQLite: `audit_events`, append-only: triggers refuse every UPDATE but an
 * erasure's pseudonymisation and every DELETE but retention's (migration 5).
 */
import { AUDIT_INPUTS, appendedAuditEvent, assembleRepository, byAt, parseJson } from '@plotbox/store';
import type { ActorKind, AuditEvent, AuditLog, AuditOutcome } from '@plotbox/store';
import type { SQLInputValue } from 'node:sqlite';
import type { SqliteHandle } from '../handle.ts';
import { paged } from '../queries.ts';
import { date, optStr, str } from '../rows.ts';
import type { Row } from '../rows.ts';

function toEvent(r: Row): AuditEvent {
  const kind = str(r, 'actor_kind') as ActorKind;
  const userId = optStr(r, 'actor_user_id');
  const keyId = optStr(r, 'actor_api_key_id');
  const targetType = optStr(r, 'target_type');
  return {
    id: str(r, 'id'),
    at: date(r, 'at'),
    actor: keyId === null ? { kind, userId } : { kind, userId, apiKey: { id: keyId, name: optStr(r, 'actor_api_key_name') ?? '' } },
    ip: optStr(r, 'ip'),
    action: str(r, 'action'),
    target: targetType === null ? null : { type: targetType, id: optStr(r, 'target_id') },
    outcome: str(r, 'outcome') as AuditOutcome,
    requestId: optStr(r, 'request_id'),
    details: parseJson(str(r, 'details')) as AuditEvent['details'],
  };
}

export function createAuditLog(h: SqliteHandle): AuditLog {
  return assembleRepository(AUDIT_INPUTS, h.op, {
    // Group commit (handle.ts): resolves once the row is committed, with concurrent requests' rows.
    // The event is built from what was inserted: no RETURNING row to read back and convert.
    append: async (c) => {
      const id = h.newId();
      const at = h.nowMs();
      await h.grouped(() =>
        h.run(
          `INSERT INTO audit_events (id, at, actor_kind, actor_user_id, actor_api_key_id, actor_api_key_name, ip, action, target_type, target_id, outcome, request_id, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          id,
          at,
          c.actorKind,
          c.actorUserId,
          c.actorApiKey?.id ?? null,
          c.actorApiKey?.name ?? null,
          c.ip,
          c.action,
          c.target?.type ?? null,
          c.target?.id ?? null,
          c.outcome,
          c.requestId,
          c.details,
        ),
      );
      return appendedAuditEvent(id, new Date(at), c);
    },
    query: ({ filter: f, page }) => {
      h.commitGrouped();
      const where: string[] = ['1 = 1'];
      const params: SQLInputValue[] = [];
      const add = (clause: string, value: SQLInputValue) => {
        where.push(clause);
        params.push(value);
      };
      if (f.action !== null) add('action = ?', f.action);
      if (f.actorUserId !== null) add('actor_user_id = ?', f.actorUserId);
      if (f.targetType !== null) add('target_type = ?', f.targetType);
      if (f.outcome !== null) add('outcome = ?', f.outcome);
      if (f.since !== null) add('at >= ?', f.since);
      if (f.until !== null) add('at < ?', f.until);
      if (f.involvesUserId !== null) {
        // Ids are random UUIDs: found inside the details' JSON text, they name this user.
        where.push(`(actor_user_id = ? OR (target_type = 'user' AND target_id = ?) OR instr(details, ?) > 0)`);
        params.push(f.involvesUserId, f.involvesUserId, f.involvesUserId);
      }
      // json_extract reads a JSON true as 1.
      if (f.excludeCached) where.push(`json_extract(details, '$.cached') IS NOT 1`);
      return paged(h, { base: `SELECT * FROM audit_events WHERE ${where.join(' AND ')}`, params, timeColumn: 'at', map: toEvent, position: byAt }, page);
    },
    // The delete trigger lets through only events older than the cutoff this transaction records.
    deleteBefore: ({ cutoff, limit }) =>
      h.tx(() => {
        h.run('INSERT INTO audit_retention_guard (id, cutoff) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET cutoff = excluded.cutoff', cutoff);
        const n = h.run('DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? ORDER BY at, id LIMIT ?)', cutoff, limit);
        h.run('DELETE FROM audit_retention_guard WHERE id = 1');
        return n;
      }),
  });
}
