/**
 * Personal data (the GDPR's rights of access and erasure): a user's data exported as JSON, and a
 * user erased: the account and its credentials deleted, their projects handed to someone else or
 * deleted, and the audit log kept with the person replaced by a stable opaque pseudonym
 * (`erased-…`, random: nothing links it to the person once the account is gone). The same use cases
 * serve the API (an admin for anyone, a user for themselves) and the CLI.
 */
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '@plotbox/blobs';
import { isStoreError, type AuditActor, type Store, type User } from '@plotbox/store';
import type { Audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { apiKeyView, auditEventView, publicUser } from '../views.ts';
import type { RequestMeta } from '../context.ts';

/** The first line of an export says what it is. */
export const PERSONAL_DATA_FORMAT = 'plotbox-personal-data/1';

/** Every item of a user's bounded list (sessions, keys), page by page. */
async function readAll<T>(list: (cursor: string | undefined) => Promise<{ readonly items: readonly T[]; readonly nextCursor?: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await list(cursor);
    out.push(...page.items);
    if (page.nextCursor === undefined) break;
    cursor = page.nextCursor;
  }
  return out;
}

/**
 * The export as JSON text, in pieces (the audit events are paged, so memory stays bounded however
 * many there are): profile, sign-in identities, group memberships, direct project and dashboard
 * grants (with names), API keys (metadata only), sessions (live and ended), and the audit events
 * that involve the user (as actor, target, or named in their details). Never a password hash, TOTP
 * secret, recovery code, key or token hash.
 */
export async function* exportPersonalData(store: Store, user: User, now: Date): AsyncGenerator<string> {
  const [identities, groups, held, keys, sessions] = await Promise.all([
    store.users.listIdentities(user.id),
    store.groups.listForUser(user.id),
    store.users.grantsHeld(user.id),
    readAll((cursor) => store.apiKeys.listByUser(user.id, { limit: 500, cursor })),
    readAll((cursor) => store.sessions.listByUser(user.id, { limit: 500, cursor })),
  ]);
  const projectNames = new Map<string, string | null>();
  const projectName = async (id: string): Promise<string | null> => {
    if (!projectNames.has(id)) projectNames.set(id, (await store.projects.findById(id))?.name ?? null);
    return projectNames.get(id) ?? null;
  };
  const projects = [];
  for (const g of held.projects)
    projects.push({ projectId: g.projectId, projectName: await projectName(g.projectId), role: g.role, createdAt: g.createdAt.toISOString(), updatedAt: g.updatedAt.toISOString() });
  const dashboards = [];
  for (const g of held.dashboards) {
    dashboards.push({
      dashboardId: g.dashboardId,
      dashboardName: (await store.dashboards.findById(g.dashboardId))?.name ?? null,
      projectId: g.projectId,
      projectName: await projectName(g.projectId),
      role: g.role,
      createdAt: g.createdAt.toISOString(),
      updatedAt: g.updatedAt.toISOString(),
    });
  }
  const head = {
    format: PERSONAL_DATA_FORMAT,
    exportedAt: now.toISOString(),
    user: { ...publicUser(user), updatedAt: user.updatedAt.toISOString() },
    identities,
    groups: groups.map((g) => ({ id: g.id, name: g.name })),
    grants: { projects, dashboards },
    apiKeys: keys.map(apiKeyView),
    sessions: sessions.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastSeenAt: s.lastSeenAt.toISOString(),
      idleExpiresAt: s.idleExpiresAt.toISOString(),
      absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
      revokedAt: s.revokedAt?.toISOString() ?? null,
      revokeReason: s.revokeReason,
      userAgent: s.userAgent,
      ip: s.ip,
    })),
  };
  const text = JSON.stringify(head, null, 2);
  // The head's closing brace is replaced by the audit list, streamed.
  yield `${text.slice(0, text.lastIndexOf('}')).trimEnd()},\n  "auditEvents": [`;
  let first = true;
  let cursor: string | undefined;
  for (let pages = 0; pages < 1_000_000; pages++) {
    const page = await store.audit.query({ involvesUserId: user.id }, cursor === undefined ? { limit: 500 } : { limit: 500, cursor });
    if (page.items.length > 0) {
      yield page.items.map((e, i) => `${first && i === 0 ? '' : ','}\n    ${JSON.stringify(auditEventView(e))}`).join('');
      first = false;
    }
    if (page.nextCursor === undefined) break;
    cursor = page.nextCursor;
  }
  yield `${first ? '' : '\n  '}]\n}\n`;
}

/** What erasing a user would change, for the confirmation that names what will be lost. */
export interface ErasurePlan {
  readonly user: { readonly id: string; readonly email: string; readonly displayName: string; readonly systemRole: string };
  /** Projects the user alone owns: handed over or deleted, as chosen. */
  readonly soleOwnedProjects: readonly { readonly id: string; readonly name: string }[];
  /** Projects with another direct owner: the user's grant just goes. */
  readonly otherGrants: number;
  readonly dashboardGrants: number;
  readonly groups: number;
  readonly apiKeys: number;
  /** Live sessions that end. */
  readonly sessions: number;
  /** `true` when the user is the last enabled administrator: the erasure is refused. */
  readonly lastAdmin: boolean;
}

/** The projects the user owns with no other direct user owner (SPEC §3.5). */
async function soleOwned(store: Store, userId: string): Promise<{ id: string; name: string }[]> {
  const held = await store.users.grantsHeld(userId);
  const out: { id: string; name: string }[] = [];
  for (const g of held.projects) {
    if (g.role !== 'owner') continue;
    const grants = await store.projects.listGrants(g.projectId);
    if (grants.some((x) => x.principal.kind === 'user' && x.principal.id !== userId && x.role === 'owner')) continue;
    const project = await store.projects.findById(g.projectId);
    if (project !== null) out.push({ id: project.id, name: project.name });
  }
  return out;
}

async function isLastAdmin(store: Store, user: User): Promise<boolean> {
  return user.systemRole === 'admin' && !user.disabled && (await store.users.count({ systemRole: 'admin', disabled: false })) <= 1;
}

export async function erasurePlan(store: Store, user: User, now: Date): Promise<ErasurePlan> {
  const [held, sole, groups, keys, sessions, lastAdmin] = await Promise.all([
    store.users.grantsHeld(user.id),
    soleOwned(store, user.id),
    store.groups.listForUser(user.id),
    readAll((cursor) => store.apiKeys.listByUser(user.id, { limit: 500, cursor })),
    readAll((cursor) => store.sessions.listByUser(user.id, { limit: 500, cursor })),
    isLastAdmin(store, user),
  ]);
  const t = now.getTime();
  return {
    user: { id: user.id, email: user.email, displayName: user.displayName, systemRole: user.systemRole },
    soleOwnedProjects: sole,
    otherGrants: held.projects.length - sole.length,
    dashboardGrants: held.dashboards.length,
    groups: groups.length,
    apiKeys: keys.filter((k) => k.revokedAt === null).length,
    sessions: sessions.filter((s) => s.revokedAt === null && s.idleExpiresAt.getTime() > t && s.absoluteExpiresAt.getTime() > t).length,
    lastAdmin,
  };
}

export interface ErasureRequest {
  /** What happens to the projects the user alone owns. */
  readonly projects: 'transfer' | 'delete';
  /** With `transfer`: the enabled user who becomes their owner. */
  readonly transferTo?: string | undefined;
}

export interface ErasureDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly audit: Audit;
  readonly logger?: { warn(obj: object, msg: string): void };
}

/** Who erases: an admin's request, or the operator CLI (`system`). */
export interface Eraser extends RequestMeta {
  readonly actor: AuditActor;
  readonly via: 'api' | 'cli';
}

export interface ErasureOutcome {
  readonly pseudonym: string;
  readonly projectsTransferred: number;
  readonly projectsDeleted: number;
  readonly sessionsEnded: number;
  readonly apiKeysDeleted: number;
  readonly groupsLeft: number;
  readonly auditEventsPseudonymised: number;
}

const invalid = (path: string, message: string): ApiError => new ApiError('VALIDATION_FAILED', { message: `${path}: ${message}.`, details: { issues: [{ path, message }] } });

/**
 * Erase `user` (see the file comment). Refused: the last enabled administrator (`API_CONFLICT`,
 * reason `last_admin`); `transfer` without an enabled other user to transfer to
 * (`VALIDATION_FAILED`). Audited: each handed-over or deleted project, then `user_erase` naming the
 * pseudonym (never the name or email).
 */
export async function eraseUser(deps: ErasureDeps, user: User, request: ErasureRequest, by: Eraser): Promise<ErasureOutcome> {
  const { store } = deps;
  if (await isLastAdmin(store, user)) {
    throw new ApiError('API_CONFLICT', { message: 'The last enabled administrator cannot be erased: make someone else an administrator first.', details: { reason: 'last_admin' } });
  }
  let heir: User | null = null;
  if (request.projects === 'transfer') {
    if (request.transferTo === undefined) throw invalid('transferTo', 'required when projects is "transfer"');
    heir = await store.users.findById(request.transferTo);
    if (heir === null || heir.id === user.id || heir.disabled) throw invalid('transferTo', 'must be another enabled user');
    // A system viewer is read-only whatever it is granted (SPEC §3 decision 2): it could not run the projects.
    if (heir.systemRole === 'viewer') throw invalid('transferTo', 'must be an administrator or a user, not a viewer');
  } else if (request.transferTo !== undefined) {
    throw invalid('transferTo', 'only with projects "transfer"');
  }
  const meta = { ip: by.ip, requestId: by.requestId, clientRequestId: by.clientRequestId };
  const sole = await soleOwned(store, user.id);
  let transferred = 0;
  let deleted = 0;
  for (const project of sole) {
    if (heir !== null) {
      await store.projects.setGrant(project.id, { kind: 'user', id: heir.id }, 'owner');
      transferred += 1;
      await deps.audit({
        action: 'member_grant',
        outcome: 'success',
        actor: by.actor,
        target: { type: 'project', id: project.id },
        ...meta,
        details: { principalKind: 'user', principalId: heir.id, role: 'owner', via: 'erasure' },
      });
    } else {
      const removed = await store.projects.delete(project.id);
      if (removed === null) continue;
      deleted += 1;
      for (const key of removed.blobKeys) {
        await deps.blobs
          .delete(key)
          .catch((err: unknown) =>
            deps.logger?.warn({ reason: (err as { code?: unknown }).code ?? 'unknown' }, 'a blob of an erased user’s project could not be deleted; the upload repair removes it later'),
          );
      }
      await deps.audit({
        action: 'project_delete',
        outcome: 'success',
        actor: by.actor,
        target: { type: 'project', id: project.id },
        ...meta,
        details: { name: project.name, blobs: removed.blobKeys.length, via: 'erasure' },
      });
    }
  }
  const pseudonym = `erased-${randomBytes(16).toString('base64url')}`;
  let erased;
  try {
    erased = await store.users.erase(user.id, { pseudonym });
  } catch (err) {
    // An owner grant changed meanwhile (another request made the user sole owner somewhere).
    if (isStoreError(err, 'STORE_CONFLICT') && err.reason === 'last_owner') {
      throw new ApiError('API_CONFLICT', { message: 'The user became the only owner of another project meanwhile; try again.', details: { reason: 'last_owner' } });
    }
    throw err;
  }
  if (erased === null) throw new ApiError('API_NOT_FOUND');
  const outcome: ErasureOutcome = {
    pseudonym: erased.pseudonym,
    projectsTransferred: transferred,
    projectsDeleted: deleted,
    sessionsEnded: erased.sessions,
    apiKeysDeleted: erased.apiKeys,
    groupsLeft: erased.groups,
    auditEventsPseudonymised: erased.auditEvents,
  };
  await deps.audit({
    action: 'user_erase',
    outcome: 'success',
    actor: by.actor,
    target: { type: 'user', id: erased.pseudonym },
    ...meta,
    details: { projects: request.projects, ...(heir === null ? {} : { transferTo: heir.id }), via: by.via, ...outcome, systemRole: user.systemRole },
  });
  return outcome;
}
