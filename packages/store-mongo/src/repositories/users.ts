/** The users repository on MongoDB: `users`, with linked identities embedded. */
import type { Collection, Filter } from 'mongodb';
import { USER_INPUTS, assembleRepository, byCreatedAt, conflict, countDirectUserOwners, isStoreError, notFound, principalKey } from '@plotbox/store';
import type { CheckedUserPatch, ErasureResult, User, UserRepository } from '@plotbox/store';
import type { GrantDoc, GrantHolderDoc, UserDoc } from '../documents.ts';
import type { MongoHandle } from '../handle.ts';
import { CASE_INSENSITIVE, escapeRegExp, existsIn, findOne, paged, versionedUpdate } from '../queries.ts';
import { changeGrants, toGrant } from './grants.ts';

/** A user document as the domain record (a backup dumps it with times as epoch ms, plus linked identities). */
export function toUser(d: UserDoc): User {
  return {
    id: d._id,
    email: d.email,
    displayName: d.displayName,
    passwordHash: d.passwordHash,
    systemRole: d.systemRole,
    disabled: d.disabled,
    totp: d.totp === null ? null : { secret: d.totp.secret, enabled: d.totp.enabled, lastUsedStep: d.totp.lastUsedStep },
    recoveryCodeHashes: [...d.recoveryCodeHashes],
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    version: d.version,
    passwordChangedAt: d.passwordChangedAt ?? d.updatedAt,
    lastActiveAt: d.lastActiveAt ?? d.updatedAt,
    disabledReason: d.disabledReason ?? null,
  };
}

/** The fields a checked patch sets. */
function patchFields(c: CheckedUserPatch): Partial<UserDoc> {
  const set: Partial<UserDoc> = {};
  if (c.email !== undefined && c.emailKey !== undefined) {
    set.email = c.email;
    set.emailKey = c.emailKey;
  }
  if (c.displayName !== undefined) set.displayName = c.displayName;
  if (c.passwordHash !== undefined) set.passwordHash = c.passwordHash;
  if (c.passwordChangedAt !== undefined) set.passwordChangedAt = new Date(c.passwordChangedAt);
  if (c.systemRole !== undefined) set.systemRole = c.systemRole;
  if (c.disabled !== undefined) {
    set.disabled = c.disabled;
    set.disabledReason = c.disabledReason ?? null;
  }
  if (c.totp !== undefined) set.totp = c.totp === null ? null : { secret: c.totp.secret, enabled: c.totp.enabled, lastUsedStep: c.totp.lastUsedStep };
  if (c.recoveryCodeHashes !== undefined) set.recoveryCodeHashes = c.recoveryCodeHashes;
  return set;
}

/** Enabled and inactive since `before` (documents without `lastActiveAt` by their last update, as SQLite). */
function inactiveFilter(before: Date): Filter<UserDoc> {
  return {
    disabled: false,
    $or: [{ lastActiveAt: { $lt: before } }, { lastActiveAt: { $exists: false }, updatedAt: { $lt: before } }],
  };
}

export function createUsersRepository(h: MongoHandle): UserRepository {
  const users = h.c.users;
  const findUser = (filter: Filter<UserDoc>): Promise<User | null> => findOne(users, filter, toUser);

  return assembleRepository(USER_INPUTS, h.op, {
    create: async (c) => {
      const t = h.now();
      const doc: UserDoc = {
        _id: h.newId(),
        email: c.email,
        emailKey: c.emailKey,
        displayName: c.displayName,
        passwordHash: c.passwordHash,
        systemRole: c.systemRole,
        disabled: c.disabled,
        totp: null,
        recoveryCodeHashes: [],
        createdAt: t,
        updatedAt: t,
        version: 1,
        passwordChangedAt: t,
        lastActiveAt: t,
        disabledReason: null,
        // In the user's own document: created with it in one write, unique across users by index.
        ...(c.identity === null ? {} : { identityKeys: [c.identity.key], identities: [{ issuer: c.identity.issuer, subject: c.identity.subject, createdAt: t }] }),
      };
      await users.insertOne(doc);
      return toUser(doc);
    },
    findById: (id) => findUser({ _id: id }),
    findByEmail: (emailKey) => findUser({ emailKey }),
    list: (page) => paged(users, { filter: {}, timeField: 'createdAt', map: toUser, position: byCreatedAt }, page),
    count: ({ systemRole, disabled }) => {
      const f: Filter<UserDoc> = {};
      if (systemRole !== null) f.systemRole = systemRole;
      if (disabled !== null) f.disabled = disabled;
      return users.countDocuments(f);
    },
    update: async ({ id, expectedVersion, patch }) => toUser(await versionedUpdate(h, users, { entity: 'user', id, expectedVersion, set: patchFields(patch) })),
    useTotpStep: async ({ id, step }) => {
      const r = await users.updateOne({ _id: id, totp: { $ne: null }, $or: [{ 'totp.lastUsedStep': null }, { 'totp.lastUsedStep': { $lt: step } }] }, { $set: { 'totp.lastUsedStep': step } });
      return r.modifiedCount === 1;
    },
    useRecoveryCode: async ({ id, codeHash }) => (await users.updateOne({ _id: id, recoveryCodeHashes: codeHash }, { $pull: { recoveryCodeHashes: codeHash } })).modifiedCount === 1,
    search: async (q) => {
      const f: Filter<UserDoc> = {
        $or: [{ emailKey: { $regex: `^${escapeRegExp(q.prefix.toLowerCase())}` } }, { displayName: { $regex: `(?:^|\\s)${escapeRegExp(q.prefix)}`, $options: 'i' } }],
        ...(q.enabledOnly ? { disabled: false } : {}),
      };
      return (await users.find(f).collation(CASE_INSENSITIVE).sort({ displayName: 1, _id: 1 }).limit(q.limit).toArray()).map(toUser);
    },
    findByIdentity: (i) => findUser({ identityKeys: i.key }),
    addIdentity: async ({ userId, identity: i }) => {
      const holder = await users.findOne({ identityKeys: i.key }, { projection: { _id: 1 } });
      if (holder !== null) {
        if (holder._id !== userId) throw conflict('users.identity');
        return;
      }
      // Conditional on the key not being there yet, so a concurrent link of the same identity to
      // the same user adds it once; another user's concurrent link fails on the unique index.
      const r = await users.updateOne({ _id: userId, identityKeys: { $ne: i.key } }, { $push: { identityKeys: i.key, identities: { issuer: i.issuer, subject: i.subject, createdAt: h.now() } } });
      if (r.matchedCount === 0 && !(await existsIn(users, userId))) throw notFound('user');
    },
    listIdentities: async (userId) => {
      const d = await users.findOne({ _id: userId }, { projection: { identities: 1 } });
      return (d?.identities ?? []).map((x) => ({ issuer: x.issuer, subject: x.subject }));
    },
    markActive: async (id) => (await users.updateOne({ _id: id }, { $set: { lastActiveAt: h.now() } })).matchedCount === 1,
    listInactive: async ({ before, limit }) => {
      const docs = await users
        .find(inactiveFilter(new Date(before)))
        .sort({ lastActiveAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      // Documents without lastActiveAt sort first in MongoDB; order them all by their effective time, as SQLite does.
      return docs.map(toUser).sort((x, y) => x.lastActiveAt.getTime() - y.lastActiveAt.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    },
    disableIfInactive: async ({ id, before }) => {
      const r = await users.updateOne({ _id: id, ...inactiveFilter(new Date(before)) }, { $set: { disabled: true, disabledReason: 'inactive', updatedAt: h.now() }, $inc: { version: 1 } });
      return r.modifiedCount === 1;
    },
    grantsHeld: async (userId) => {
      const key = principalKey({ kind: 'user', id: userId });
      const mine = (grants: readonly GrantDoc[]) => grants.find((g) => g.kind === 'user' && g.id === userId);
      const projects = await h.c.projects
        .find({ grantKeys: key }, { projection: { grants: 1 } })
        .sort({ _id: 1 })
        .toArray();
      const dashboards = await h.c.dashboards
        .find({ grantKeys: key }, { projection: { grants: 1, projectId: 1 } })
        .sort({ _id: 1 })
        .toArray();
      return {
        projects: projects.flatMap((p) => {
          const g = mine(p.grants);
          return g === undefined ? [] : [{ projectId: p._id, role: g.role, createdAt: g.createdAt, updatedAt: g.updatedAt }];
        }),
        dashboards: dashboards.flatMap((d) => {
          const g = mine(d.grants);
          return g === undefined ? [] : [{ dashboardId: d._id, projectId: d.projectId, role: g.role, createdAt: g.createdAt, updatedAt: g.updatedAt }];
        }),
      };
    },
    erase: ({ userId, pseudonym }) => eraseUser(h, userId, pseudonym),
  });
}

const isUser =
  (userId: string) =>
  (g: GrantDoc): boolean =>
    g.kind === 'user' && g.id === userId;

/**
 * The erasure without transactions (see {@link UserRepository.erase}): the pseudonym is recorded on
 * the user's document first, so an erasure cut short and called again goes on with the same one;
 * every later step is repeatable; the document goes last.
 */
async function eraseUser(h: MongoHandle, userId: string, given: string): Promise<ErasureResult | null> {
  const { users, projects, dashboards, groups, sessions, refreshTokens, apiKeys, audit, datasetVersions } = h.c;
  if (!(await existsIn(users, userId))) return null;
  const key = principalKey({ kind: 'user', id: userId });
  const owned = await projects.find({ grantKeys: key }, { projection: { grants: 1 } }).toArray();
  // Refused before any change in the usual case; each removal below checks again atomically.
  const keepsOwner = (grants: readonly GrantDoc[]): boolean => countDirectUserOwners(grants.filter((g) => !isUser(userId)(g)).map(toGrant)) > 0;
  if (owned.some((p) => p.grants.some((g) => isUser(userId)(g) && g.role === 'owner') && !keepsOwner(p.grants))) throw conflict('last_owner');
  await users.updateOne({ _id: userId, erasurePseudonym: { $exists: false } }, { $set: { erasurePseudonym: given } });
  const pseudonym = (await users.findOne({ _id: userId }, { projection: { erasurePseudonym: 1 } }))?.erasurePseudonym ?? given;

  const dropGrant = async <D extends GrantHolderDoc>(coll: Collection<D>, id: string, entity: string, check: boolean): Promise<boolean> => {
    try {
      return await changeGrants(coll, id, entity, (grants) => {
        const after = grants.filter((g) => !isUser(userId)(g));
        if (after.length === grants.length) return { unchanged: false };
        if (check && grants.some((g) => isUser(userId)(g) && g.role === 'owner') && !keepsOwner(grants)) throw conflict('last_owner');
        return { grants: after, result: true };
      });
    } catch (error) {
      if (isStoreError(error, 'STORE_NOT_FOUND')) return false;
      throw error;
    }
  };
  let projectGrants = 0;
  for (const p of owned) if (await dropGrant(projects, p._id, 'project', true)) projectGrants += 1;
  let dashboardGrants = 0;
  for (const d of await dashboards.find({ grantKeys: key }, { projection: { _id: 1 } }).toArray()) if (await dropGrant(dashboards, d._id, 'dashboard', false)) dashboardGrants += 1;
  const groupCount = (await groups.updateMany({ memberIds: userId }, { $pull: { memberIds: userId } })).modifiedCount;
  const sessionIds = (await sessions.find({ userId }, { projection: { _id: 1 } }).toArray()).map((s) => s._id);
  await refreshTokens.deleteMany({ sessionId: { $in: sessionIds } });
  const sessionCount = (await sessions.deleteMany({ userId })).deletedCount;
  const apiKeyCount = (await apiKeys.deleteMany({ userId })).deletedCount;
  // The audit keeps its events with the person replaced; the address of what they did goes too.
  const inDetails = { details: { $regex: escapeRegExp(userId) } };
  const auditEvents = await audit.countDocuments({ $or: [{ 'actor.userId': userId }, { 'target.type': 'user', 'target.id': userId }, inDetails] });
  await audit.updateMany({ 'actor.userId': userId }, { $set: { 'actor.userId': pseudonym, ip: null } });
  await audit.updateMany({ 'target.type': 'user', 'target.id': userId }, { $set: { 'target.id': pseudonym } });
  // A pipeline update embeds the ids as $literal: a value starting with `$` stays a string.
  await audit.updateMany(inDetails, [{ $set: { details: { $replaceAll: { input: '$details', find: { $literal: userId }, replacement: { $literal: pseudonym } } } } }]);
  await projects.updateMany({ createdBy: userId }, { $set: { createdBy: pseudonym } });
  await datasetVersions.updateMany({ createdBy: userId }, { $set: { createdBy: pseudonym } });
  await users.deleteOne({ _id: userId });
  return { pseudonym, sessions: sessionCount, apiKeys: apiKeyCount, groups: groupCount, projectGrants, dashboardGrants, auditEvents };
}
