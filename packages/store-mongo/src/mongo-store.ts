/**
 * The MongoDB store over an injected `Db`. Works on a standalone server (no transactions needed):
 * invariants that span records are kept by single-document atomic updates — conditional updates
 * (`usedAt: null`, `version: n`) and compare-and-set on a revision field with retry.
 *
 * Operator injection: every filter and update is built here from values returned by the shared
 * `check*`/`assert*` functions of `@plotbox/store` (strings, numbers, booleans, Dates, null);
 * nothing a caller passes is spread into a query. JSON-valued fields are stored as strings, and
 * aggregation-pipeline updates only ever embed Dates and numbers.
 */
import { MongoError, MongoServerError } from 'mongodb';
import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import {
  StoreError,
  assertDate,
  assertEmail,
  assertId,
  assertInt,
  assertLoginFailurePolicy,
  assertOneOf,
  assertPage,
  assertPrincipal,
  checkAuditFilter,
  checkSearch,
  checkChartPatch,
  checkCounterKey,
  checkDashboardPatch,
  checkName,
  checkNewApiKey,
  checkNewAuditEvent,
  checkNewChart,
  checkNewDashboard,
  checkNewDataset,
  checkNewDatasetVersion,
  checkNewDatasetWithVersion,
  checkNewGroup,
  checkNewProject,
  checkNewRefreshToken,
  checkNewSession,
  checkNewUser,
  checkIdentity,
  MAX_PAGE_LIMIT,
  assertBoolean,
  checkPrincipals,
  checkProjectPatch,
  checkReason,
  checkRenderCacheKey,
  checkRenderCacheOptions,
  checkRenderValue,
  checkRevokeAllOptions,
  checkRole,
  checkRotateInput,
  checkTokenHash,
  checkUserPatch,
  checkVersion,
  checkWindowMs,
  conflict,
  countDirectUserOwners,
  decodeCursor,
  loginFailureExpiry,
  nextLoginFailureState,
  normalizeEmail,
  notFound,
  parseJson,
  checkSettingKey,
  checkSettingInput,
  principalKey,
  toPage,
  versionMismatch,
  SYSTEM_ROLES,
} from '@plotbox/store';
import type {
  SettingRecord,
  ActorKind,
  ApiKey,
  AuditEvent,
  AuditOutcome,
  Chart,
  ChartLang,
  CursorPosition,
  Dashboard,
  Dataset,
  DatasetVersion,
  Grant,
  Group,
  LoginFailureState,
  Page,
  Principal,
  PrincipalKind,
  Project,
  ProjectRole,
  RefreshToken,
  RenderCacheEntry,
  Session,
  Store,
  StoreDeps,
  SystemRole,
  User,
} from '@plotbox/store';
import { COLLECTIONS, UNIQUE_INDEX_CONSTRAINTS, ensureIndexes } from './indexes.ts';

/** Options of {@link createMongoStore}. */
export interface MongoStoreOptions extends StoreDeps {
  /** A database of a connected client; the store never closes the client. */
  readonly db: Db;
  /** Create the indexes at start (default `true`; turn off only where a migration job does it). */
  readonly ensureIndexes?: boolean;
  /** Render cache bounds. Defaults: 7 days, 10,000 entries. */
  readonly renderCache?: { readonly ttlMs?: number; readonly maxEntries?: number };
}

// ---------------------------------------------------------------- documents

interface UserDoc {
  _id: string;
  email: string;
  emailKey: string;
  displayName: string;
  passwordHash: string;
  systemRole: SystemRole;
  disabled: boolean;
  totp: { secret: string; enabled: boolean; lastUsedStep: number | null } | null;
  recoveryCodeHashes: string[];
  createdAt: Date;
  updatedAt: Date;
  version: number;
  /** Absent on documents written before it was kept: read as `updatedAt`. */
  passwordChangedAt?: Date;
  /** Absent on documents written before it was kept: read as `updatedAt`. */
  lastActiveAt?: Date;
  disabledReason?: string | null;
  /** `checkIdentity(...).key` of each linked identity; absent (never empty) when there is none, for the unique index. */
  identityKeys?: string[];
  /** The linked identities, oldest first (the keys above are their index). */
  identities?: { issuer: string; subject: string; createdAt: Date }[];
}
interface SessionDoc {
  _id: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  absoluteExpiresAt: Date;
  idleExpiresAt: Date;
  revokedAt: Date | null;
  revokeReason: string | null;
  userAgent: string | null;
  ip: string | null;
  mfaPending: boolean;
  /** Absent on documents written before it was kept: `false`. */
  passwordChangeRequired?: boolean;
}
/** `_id` is the token hash. */
interface RefreshTokenDoc {
  _id: string;
  sessionId: string;
  familyId: string;
  createdAt: Date;
  usedAt: Date | null;
  expiresAt: Date;
}
interface ApiKeyDoc {
  _id: string;
  userId: string;
  name: string;
  prefix: string;
  hash: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}
interface GroupDoc {
  _id: string;
  name: string;
  memberIds: string[];
  createdAt: Date;
  updatedAt: Date;
}
interface GrantDoc {
  kind: PrincipalKind;
  id: string;
  role: ProjectRole;
  createdAt: Date;
  updatedAt: Date;
}
/** Grants are embedded so that the owner invariant is a single-document compare-and-set. */
interface ProjectDoc {
  _id: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
  grants: GrantDoc[];
  /** `kind:id` of every grant, for indexed "projects of these principals". */
  grantKeys: string[];
  /** Bumped on every grant change: the compare-and-set guard. */
  grantsRev: number;
}
interface DashboardDoc {
  _id: string;
  projectId: string;
  name: string;
  layout: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
  grants: GrantDoc[];
  grantKeys: string[];
  grantsRev: number;
}
interface ChartDoc {
  _id: string;
  projectId: string;
  dashboardId: string;
  title: string;
  code: string;
  lang: ChartLang;
  datasetId: string | null;
  diagnostics: string;
  codeHash: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}
interface DatasetDoc {
  _id: string;
  projectId: string;
  name: string;
  currentVersionId: string | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}
interface DatasetVersionDoc {
  _id: string;
  datasetId: string;
  projectId: string;
  sha256: string;
  blobKey: string;
  bytes: number;
  rowCount: number;
  schema: string;
  profile: string;
  createdAt: Date;
  createdBy: string;
}
interface RenderCacheDoc {
  _id: string;
  codeHash: string;
  datasetVersionId: string;
  runtimeVersion: string;
  figure: string | null;
  blobKey: string | null;
  createdAt: Date;
  expiresAt: Date;
}
interface AuditDoc {
  _id: string;
  at: Date;
  actor: { kind: ActorKind; userId: string | null; apiKey?: { id: string; name: string } };
  ip: string | null;
  action: string;
  target: { type: string; id: string | null } | null;
  outcome: AuditOutcome;
  requestId: string | null;
  details: string;
}
interface SettingDoc {
  _id: string;
  value: string;
  updatedAt: Date;
  expiresAt: Date | null;
}
interface RateWindowDoc {
  _id: string;
  count: number;
  resetAt: Date;
}
interface LoginFailureDoc {
  _id: string;
  failures: number;
  lastFailureAt: Date;
  lockedUntil: Date | null;
  expiresAt: Date;
  rev: number;
}

// ---------------------------------------------------------------- errors

const DUP_KEY = /collection: [^.\s]+\.(\S+) index: (\S+) dup key/;

/**
 * Translate driver errors into {@link StoreError}s: duplicate keys (11000) become
 * `STORE_CONFLICT` naming the constraint (from the index name), other driver errors
 * `STORE_UNAVAILABLE`. The driver message stays in `cause` only.
 */
export function mapMongoError(error: unknown): unknown {
  if (error instanceof StoreError) return error;
  if (error instanceof MongoServerError && error.code === 11000) {
    const m = DUP_KEY.exec(error.message);
    const collection = m?.[1];
    const index = m?.[2];
    const constraint =
      (index === undefined ? undefined : UNIQUE_INDEX_CONSTRAINTS[index]) ??
      (collection === undefined || index === undefined ? undefined : UNIQUE_INDEX_CONSTRAINTS[`${collection}.${index}`]) ??
      'primary_key';
    return conflict(constraint, error);
  }
  if (error instanceof MongoServerError && (error.code === 14031 || error.codeName === 'OutOfDiskSpace')) {
    return new StoreError('STORE_UNAVAILABLE', 'the database disk is full', { reason: 'storage_full', cause: error });
  }
  if (error instanceof MongoError) return new StoreError('STORE_UNAVAILABLE', 'database error', { reason: 'database', cause: error });
  return error;
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

const CAS_ATTEMPTS = 20;
/** Name ordering as people read it (case-insensitive), for prefix searches. */
const CASE_INSENSITIVE = { locale: 'en', strength: 2 } as const;
/** `text` as a literal inside a regular expression (prefix searches take user input). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}
function contention(): StoreError {
  return new StoreError('STORE_UNAVAILABLE', 'too much contention, try again', { reason: 'contention' });
}

const samePrincipal = (g: { kind: string; id: string }, p: Principal): boolean => g.kind === p.kind && g.id === p.id;
const sortGrants = (grants: GrantDoc[]): GrantDoc[] =>
  [...grants].sort((a, b) => (a.kind === b.kind ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.kind < b.kind ? -1 : 1));
const toGrant = (g: GrantDoc): Grant => ({ principal: { kind: g.kind, id: g.id }, role: g.role, createdAt: g.createdAt, updatedAt: g.updatedAt });

/**
 * Build the store over `options.db`, creating indexes first unless told not to.
 * @throws `STORE_INVALID` for bad options, `STORE_UNAVAILABLE` if the indexes cannot be created.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  if (typeof options !== 'object' || options === null) throw new StoreError('STORE_INVALID', 'options are required', { reason: 'options' });
  if (typeof options.now !== 'function' || typeof options.newId !== 'function') {
    throw new StoreError('STORE_INVALID', 'now and newId must be functions', { reason: 'options' });
  }
  if (typeof options.db !== 'object' || options.db === null || typeof options.db.collection !== 'function') {
    throw new StoreError('STORE_INVALID', 'db must be a mongodb Db', { reason: 'options' });
  }
  const cacheOptions = checkRenderCacheOptions(options.renderCache);
  const db = options.db;
  if (options.ensureIndexes !== false) {
    try {
      await ensureIndexes(db);
    } catch (error) {
      throw mapMongoError(error);
    }
  }
  const clock = options.now;
  const now = (): Date => {
    const d = clock();
    if (!(d instanceof Date) || !Number.isFinite(d.getTime())) throw new StoreError('STORE_INVALID', 'now() must return a valid Date', { reason: 'now' });
    return new Date(d.getTime());
  };
  const newId = (): string => assertId(options.newId(), 'newId()');

  const usersC = db.collection<UserDoc>(COLLECTIONS.users);
  const sessionsC = db.collection<SessionDoc>(COLLECTIONS.sessions);
  const tokensC = db.collection<RefreshTokenDoc>(COLLECTIONS.refreshTokens);
  const apiKeysC = db.collection<ApiKeyDoc>(COLLECTIONS.apiKeys);
  const groupsC = db.collection<GroupDoc>(COLLECTIONS.groups);
  const projectsC = db.collection<ProjectDoc>(COLLECTIONS.projects);
  const dashboardsC = db.collection<DashboardDoc>(COLLECTIONS.dashboards);
  const chartsC = db.collection<ChartDoc>(COLLECTIONS.charts);
  const datasetsC = db.collection<DatasetDoc>(COLLECTIONS.datasets);
  const versionsC = db.collection<DatasetVersionDoc>(COLLECTIONS.datasetVersions);
  const cacheC = db.collection<RenderCacheDoc>(COLLECTIONS.renderCache);
  const auditC = db.collection<AuditDoc>(COLLECTIONS.audit);
  const windowsC = db.collection<RateWindowDoc>(COLLECTIONS.rateWindows);
  const failuresC = db.collection<LoginFailureDoc>(COLLECTIONS.loginFailures);
  const settingsC = db.collection<SettingDoc>(COLLECTIONS.settings);

  let closed = false;
  /** One store operation: refused after close, driver errors mapped. */
  const op = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new StoreError('STORE_UNAVAILABLE', 'store is closed', { reason: 'closed' });
    try {
      return await fn();
    } catch (error) {
      throw mapMongoError(error);
    }
  };
  /** Keyset pagination on `(tfield, _id)`. */
  const paged = async <D extends { _id: string }, T>(
    coll: Collection<D>,
    list: string,
    filter: Filter<D>,
    tfield: string,
    page: unknown,
    map: (doc: D) => T,
    pos: (item: T) => CursorPosition,
    projection?: Record<string, 0>,
  ): Promise<Page<T>> => {
    const { limit, cursor } = assertPage(page);
    let f: Filter<D> = filter;
    if (cursor !== undefined) {
      const c = decodeCursor(list, cursor);
      const at = new Date(c.t);
      f = { $and: [filter, { $or: [{ [tfield]: { $gt: at } }, { [tfield]: at, _id: { $gt: c.id } }] }] } as Filter<D>;
    }
    const found = coll.find(f).sort({ [tfield]: 1, _id: 1 }).limit(limit + 1);
    const docs = (await (projection === undefined ? found : found.project(projection)).toArray()) as D[];
    return toPage(docs.map(map), limit, list, pos);
  };
  const POS_CREATED = (x: { createdAt: Date; id: string }): CursorPosition => ({ t: x.createdAt.getTime(), id: x.id });
  const existsIn = async <D extends { _id: string }>(coll: Collection<D>, id: string): Promise<boolean> =>
    (await coll.countDocuments({ _id: id } as Filter<D>, { limit: 1 })) === 1;
  const assertPrincipalExists = async (p: Principal): Promise<void> => {
    const ok = p.kind === 'user' ? await existsIn(usersC, p.id) : await existsIn(groupsC, p.id);
    if (!ok) throw notFound(p.kind);
  };

  // ------------------------------------------------------------ users
  const toUser = (d: UserDoc): User => ({
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
  });
  /** Enabled and inactive since `before` (documents without `lastActiveAt` by their last update, as SQLite). */
  const inactiveFilter = (before: Date): Filter<UserDoc> => ({
    disabled: false,
    $or: [{ lastActiveAt: { $lt: before } }, { lastActiveAt: { $exists: false }, updatedAt: { $lt: before } }],
  });
  const users: Store['users'] = {
    create: (input) =>
      op(async () => {
        const c = checkNewUser(input);
        const t = now();
        const doc: UserDoc = {
          _id: newId(),
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
        await usersC.insertOne(doc);
        return toUser(doc);
      }),
    findById: (id) =>
      op(async () => {
        const d = await usersC.findOne({ _id: assertId(id, 'id') });
        return d === null ? null : toUser(d);
      }),
    findByEmail: (email) =>
      op(async () => {
        const d = await usersC.findOne({ emailKey: normalizeEmail(assertEmail(email)) });
        return d === null ? null : toUser(d);
      }),
    list: (page) => op(() => paged(usersC, 'users', {}, 'createdAt', page, toUser, POS_CREATED)),
    count: (filter) =>
      op(async () => {
        const f: Filter<UserDoc> = {};
        if (filter?.systemRole !== undefined) f.systemRole = assertOneOf<SystemRole>(filter.systemRole, 'systemRole', SYSTEM_ROLES);
        if (filter?.disabled !== undefined) f.disabled = assertBoolean(filter.disabled, 'disabled');
        return usersC.countDocuments(f);
      }),
    update: (id, expectedVersion, patch) =>
      op(async () => {
        const uid = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const c = checkUserPatch(patch);
        const set: Partial<UserDoc> = { updatedAt: now() };
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
        const d = await usersC.findOneAndUpdate({ _id: uid, version: v }, { $set: set, $inc: { version: 1 } }, { returnDocument: 'after' });
        if (d !== null) return toUser(d);
        if (await existsIn(usersC, uid)) throw versionMismatch('user');
        throw notFound('user');
      }),
    useTotpStep: (id, step) =>
      op(async () => {
        const uid = assertId(id, 'id');
        const s = assertInt(step, 'step', 0);
        const r = await usersC.updateOne(
          { _id: uid, totp: { $ne: null }, $or: [{ 'totp.lastUsedStep': null }, { 'totp.lastUsedStep': { $lt: s } }] },
          { $set: { 'totp.lastUsedStep': s } },
        );
        return r.modifiedCount === 1;
      }),
    useRecoveryCode: (id, codeHash) =>
      op(async () => {
        const uid = assertId(id, 'id');
        const h = checkTokenHash(codeHash, 'codeHash');
        const r = await usersC.updateOne({ _id: uid, recoveryCodeHashes: h }, { $pull: { recoveryCodeHashes: h } });
        return r.modifiedCount === 1;
      }),
    search: (query) =>
      op(async () => {
        const q = checkSearch(query, ['prefix', 'limit', 'enabledOnly']);
        const p = escapeRegExp(q.prefix);
        const f: Filter<UserDoc> = {
          $or: [{ emailKey: { $regex: `^${escapeRegExp(q.prefix.toLowerCase())}` } }, { displayName: { $regex: `(?:^|\\s)${p}`, $options: 'i' } }],
          ...(q.enabledOnly ? { disabled: false } : {}),
        };
        return (await usersC.find(f).collation(CASE_INSENSITIVE).sort({ displayName: 1, _id: 1 }).limit(q.limit).toArray()).map(toUser);
      }),
    findByIdentity: (identity) =>
      op(async () => {
        const d = await usersC.findOne({ identityKeys: checkIdentity(identity).key });
        return d === null ? null : toUser(d);
      }),
    addIdentity: (userId, identity) =>
      op(async () => {
        const uid = assertId(userId, 'userId');
        const i = checkIdentity(identity);
        const holder = await usersC.findOne({ identityKeys: i.key }, { projection: { _id: 1 } });
        if (holder !== null) {
          if (holder._id !== uid) throw conflict('users.identity');
          return;
        }
        // Conditional on the key not being there yet, so a concurrent link of the same identity to
        // the same user adds it once; another user's concurrent link fails on the unique index.
        const r = await usersC.updateOne(
          { _id: uid, identityKeys: { $ne: i.key } },
          { $push: { identityKeys: i.key, identities: { issuer: i.issuer, subject: i.subject, createdAt: now() } } },
        );
        if (r.matchedCount === 0 && !(await existsIn(usersC, uid))) throw notFound('user');
      }),
    listIdentities: (userId) =>
      op(async () => {
        const d = await usersC.findOne({ _id: assertId(userId, 'userId') }, { projection: { identities: 1 } });
        return (d?.identities ?? []).map((x) => ({ issuer: x.issuer, subject: x.subject }));
      }),
    markActive: (id) => op(async () => (await usersC.updateOne({ _id: assertId(id, 'id') }, { $set: { lastActiveAt: now() } })).matchedCount === 1),
    listInactive: (before, limit) =>
      op(async () => {
        const b = new Date(assertDate(before, 'before'));
        const n = assertInt(limit, 'limit', 1, MAX_PAGE_LIMIT);
        const docs = await usersC.find(inactiveFilter(b)).sort({ lastActiveAt: 1, _id: 1 }).limit(n).toArray();
        // Documents without lastActiveAt sort first in MongoDB; order them all by their effective time, as SQLite does.
        return docs.map(toUser).sort((x, y) => x.lastActiveAt.getTime() - y.lastActiveAt.getTime() || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
      }),
    disableIfInactive: (id, before) =>
      op(async () => {
        const uid = assertId(id, 'id');
        const b = new Date(assertDate(before, 'before'));
        const r = await usersC.updateOne({ _id: uid, ...inactiveFilter(b) }, { $set: { disabled: true, disabledReason: 'inactive', updatedAt: now() }, $inc: { version: 1 } });
        return r.modifiedCount === 1;
      }),
  };

  // ------------------------------------------------------------ sessions
  const toSession = (d: SessionDoc): Session => ({
    id: d._id,
    userId: d.userId,
    createdAt: d.createdAt,
    lastSeenAt: d.lastSeenAt,
    absoluteExpiresAt: d.absoluteExpiresAt,
    idleExpiresAt: d.idleExpiresAt,
    revokedAt: d.revokedAt,
    revokeReason: d.revokeReason,
    userAgent: d.userAgent,
    ip: d.ip,
    mfaPending: d.mfaPending,
    passwordChangeRequired: d.passwordChangeRequired ?? false,
  });
  const toToken = (d: RefreshTokenDoc): RefreshToken => ({
    tokenHash: d._id,
    sessionId: d.sessionId,
    familyId: d.familyId,
    createdAt: d.createdAt,
    usedAt: d.usedAt,
    expiresAt: d.expiresAt,
  });
  const liveFilter = (id: string, t: Date): Filter<SessionDoc> => ({ _id: id, revokedAt: null, absoluteExpiresAt: { $gt: t }, idleExpiresAt: { $gt: t } });
  /** Pipeline update: only Dates are embedded, never caller strings (which could read as `$field`). */
  const touchUpdate = (t: Date, idle: Date) => [{ $set: { lastSeenAt: t, idleExpiresAt: { $min: [idle, '$absoluteExpiresAt'] } } }];
  const isLive = (s: SessionDoc, t: Date): boolean => s.revokedAt === null && s.absoluteExpiresAt > t && s.idleExpiresAt > t;

  const sessions: Store['sessions'] = {
    create: (input) =>
      op(async () => {
        const c = checkNewSession(input);
        if (!(await existsIn(usersC, c.userId))) throw notFound('user');
        const t = now();
        const doc: SessionDoc = {
          _id: newId(),
          userId: c.userId,
          createdAt: t,
          lastSeenAt: t,
          absoluteExpiresAt: new Date(c.absoluteExpiresAt),
          idleExpiresAt: new Date(c.idleExpiresAt),
          revokedAt: null,
          revokeReason: null,
          userAgent: c.userAgent,
          ip: c.ip,
          mfaPending: c.mfaPending,
          passwordChangeRequired: c.passwordChangeRequired,
        };
        await sessionsC.insertOne(doc);
        return toSession(doc);
      }),
    findById: (id) =>
      op(async () => {
        const d = await sessionsC.findOne({ _id: assertId(id, 'id') });
        return d === null ? null : toSession(d);
      }),
    listByUser: (userId, page) => op(() => paged(sessionsC, 'sessions', { userId: assertId(userId, 'userId') }, 'createdAt', page, toSession, POS_CREATED)),
    touch: (id, idleExpiresAt) =>
      op(async () => {
        const sid = assertId(id, 'id');
        const idle = new Date(assertDate(idleExpiresAt, 'idleExpiresAt'));
        const t = now();
        return (await sessionsC.updateOne(liveFilter(sid, t), touchUpdate(t, idle))).matchedCount === 1;
      }),
    completeMfa: (id) => op(async () => (await sessionsC.updateOne(liveFilter(assertId(id, 'id'), now()), { $set: { mfaPending: false } })).matchedCount === 1),
    revoke: (id, reason) =>
      op(async () => {
        const sid = assertId(id, 'id');
        const r = checkReason(reason);
        return (await sessionsC.updateOne({ _id: sid, revokedAt: null }, { $set: { revokedAt: now(), revokeReason: r } })).modifiedCount === 1;
      }),
    revokeAllForUser: (userId, reason, options) =>
      op(async () => {
        const uid = assertId(userId, 'userId');
        const r = checkReason(reason);
        const { exceptSessionId } = checkRevokeAllOptions(options);
        const filter: Filter<SessionDoc> = exceptSessionId === null ? { userId: uid, revokedAt: null } : { userId: uid, revokedAt: null, _id: { $ne: exceptSessionId } };
        return (await sessionsC.updateMany(filter, { $set: { revokedAt: now(), revokeReason: r } })).modifiedCount;
      }),
    createRefreshToken: (input) =>
      op(async () => {
        const c = checkNewRefreshToken(input);
        if (!(await existsIn(sessionsC, c.sessionId))) throw notFound('session');
        const doc: RefreshTokenDoc = { _id: c.tokenHash, sessionId: c.sessionId, familyId: c.familyId, createdAt: now(), usedAt: null, expiresAt: new Date(c.expiresAt) };
        await tokensC.insertOne(doc);
        return toToken(doc);
      }),
    findRefreshToken: (hash) =>
      op(async () => {
        const d = await tokensC.findOne({ _id: checkTokenHash(hash) });
        return d === null ? null : toToken(d);
      }),
    rotateRefresh: (oldHash, next) =>
      op(async () => {
        const old = checkTokenHash(oldHash, 'oldHash');
        const n = checkRotateInput(next);
        const t = now();
        const why = async (token: RefreshTokenDoc | null) => {
          if (token === null) return { status: 'not_found' } as const;
          if (token.usedAt !== null) {
            const s = await sessionsC.findOne({ _id: token.sessionId }, { projection: { userId: 1 } });
            return { status: 'reused', sessionId: token.sessionId, familyId: token.familyId, userId: s?.userId ?? '', usedAt: token.usedAt } as const;
          }
          return { status: 'expired', sessionId: token.sessionId } as const;
        };
        const token = await tokensC.findOne({ _id: old });
        if (token === null || token.usedAt !== null || token.expiresAt <= t) return why(token);
        const session = await sessionsC.findOne({ _id: token.sessionId });
        if (session === null || !isLive(session, t)) return { status: 'session_ended', sessionId: token.sessionId } as const;
        // Insert the successor first (a duplicate hash fails here and changes nothing), then claim
        // the old token with one conditional update: of concurrent rotations exactly one matches.
        const successor: RefreshTokenDoc = { _id: n.tokenHash, sessionId: token.sessionId, familyId: token.familyId, createdAt: t, usedAt: null, expiresAt: new Date(n.expiresAt) };
        await tokensC.insertOne(successor);
        const claimed = await tokensC.findOneAndUpdate({ _id: old, usedAt: null, expiresAt: { $gt: t } }, { $set: { usedAt: t } });
        if (claimed === null) {
          await tokensC.deleteOne({ _id: n.tokenHash });
          return why(await tokensC.findOne({ _id: old }));
        }
        const updated =
          n.idleExpiresAt === null
            ? session
            : ((await sessionsC.findOneAndUpdate({ _id: token.sessionId }, touchUpdate(t, new Date(n.idleExpiresAt)), { returnDocument: 'after' })) ?? session);
        return { status: 'rotated', token: toToken(successor), session: toSession(updated) } as const;
      }),
  };

  // ------------------------------------------------------------ API keys
  const toApiKey = (d: ApiKeyDoc): ApiKey => ({
    id: d._id,
    userId: d.userId,
    name: d.name,
    prefix: d.prefix,
    hash: d.hash,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
    lastUsedAt: d.lastUsedAt,
    revokedAt: d.revokedAt,
  });
  const apiKeys: Store['apiKeys'] = {
    create: (input) =>
      op(async () => {
        const c = checkNewApiKey(input);
        if (!(await existsIn(usersC, c.userId))) throw notFound('user');
        const doc: ApiKeyDoc = {
          _id: newId(),
          userId: c.userId,
          name: c.name,
          prefix: c.prefix,
          hash: c.hash,
          createdAt: now(),
          expiresAt: c.expiresAt === null ? null : new Date(c.expiresAt),
          lastUsedAt: null,
          revokedAt: null,
        };
        await apiKeysC.insertOne(doc);
        return toApiKey(doc);
      }),
    findById: (id) =>
      op(async () => {
        const d = await apiKeysC.findOne({ _id: assertId(id, 'id') });
        return d === null ? null : toApiKey(d);
      }),
    findByPrefix: (prefix) =>
      op(async () => {
        const d = await apiKeysC.findOne({ prefix: checkName(prefix, 'prefix') });
        return d === null ? null : toApiKey(d);
      }),
    listByUser: (userId, page) => op(() => paged(apiKeysC, 'api_keys', { userId: assertId(userId, 'userId') }, 'createdAt', page, toApiKey, POS_CREATED)),
    markUsed: (id) => op(async () => (await apiKeysC.updateOne({ _id: assertId(id, 'id') }, { $set: { lastUsedAt: now() } })).matchedCount === 1),
    revoke: (id) => op(async () => (await apiKeysC.updateOne({ _id: assertId(id, 'id'), revokedAt: null }, { $set: { revokedAt: now() } })).modifiedCount === 1),
  };

  // ------------------------------------------------------------ groups
  const toGroup = (d: GroupDoc): Group => ({ id: d._id, name: d.name, memberIds: [...d.memberIds].sort(), createdAt: d.createdAt, updatedAt: d.updatedAt });
  const getGroup = async (id: string): Promise<Group> => {
    const d = await groupsC.findOne({ _id: id });
    if (d === null) throw notFound('group');
    return toGroup(d);
  };
  const groups: Store['groups'] = {
    create: (input) =>
      op(async () => {
        const c = checkNewGroup(input);
        if (c.memberIds.length > 0 && (await usersC.countDocuments({ _id: { $in: c.memberIds } })) !== c.memberIds.length) throw notFound('user');
        const t = now();
        const doc: GroupDoc = { _id: newId(), name: c.name, memberIds: c.memberIds, createdAt: t, updatedAt: t };
        await groupsC.insertOne(doc);
        return toGroup(doc);
      }),
    findById: (id) =>
      op(async () => {
        const d = await groupsC.findOne({ _id: assertId(id, 'id') });
        return d === null ? null : toGroup(d);
      }),
    findByName: (name) =>
      op(async () => {
        const d = await groupsC.findOne({ name: checkName(name) });
        return d === null ? null : toGroup(d);
      }),
    list: (page) => op(() => paged(groupsC, 'groups', {}, 'createdAt', page, toGroup, POS_CREATED)),
    listForUser: (userId) => op(async () => (await groupsC.find({ memberIds: assertId(userId, 'userId') }).sort({ createdAt: 1, _id: 1 }).toArray()).map(toGroup)),
    search: (query) =>
      op(async () => {
        const q = checkSearch(query);
        const docs = await groupsC.find({ name: { $regex: `(?:^|\\s)${escapeRegExp(q.prefix)}`, $options: 'i' } }).collation(CASE_INSENSITIVE).sort({ name: 1, _id: 1 }).limit(q.limit).toArray();
        return docs.map(toGroup);
      }),
    rename: (id, name) =>
      op(async () => {
        const gid = assertId(id, 'id');
        const n = checkName(name);
        const d = await groupsC.findOneAndUpdate({ _id: gid }, { $set: { name: n, updatedAt: now() } }, { returnDocument: 'after' });
        if (d === null) throw notFound('group');
        return toGroup(d);
      }),
    addMember: (groupId, userId) =>
      op(async () => {
        const gid = assertId(groupId, 'groupId');
        const uid = assertId(userId, 'userId');
        if (!(await existsIn(groupsC, gid))) throw notFound('group');
        if (!(await existsIn(usersC, uid))) throw notFound('user');
        await groupsC.updateOne({ _id: gid, memberIds: { $ne: uid } }, { $addToSet: { memberIds: uid }, $set: { updatedAt: now() } });
        return getGroup(gid);
      }),
    removeMember: (groupId, userId) =>
      op(async () => {
        const gid = assertId(groupId, 'groupId');
        const uid = assertId(userId, 'userId');
        await groupsC.updateOne({ _id: gid, memberIds: uid }, { $pull: { memberIds: uid }, $set: { updatedAt: now() } });
        return getGroup(gid);
      }),
    delete: (id) =>
      op(async () => {
        const gid = assertId(id, 'id');
        // The group goes first, so setGrant (which checks that it exists) cannot re-add it.
        const deleted = (await groupsC.deleteOne({ _id: gid })).deletedCount === 1;
        const key = principalKey({ kind: 'group', id: gid });
        const pull = { $pull: { grants: { kind: 'group' as const, id: gid }, grantKeys: key }, $inc: { grantsRev: 1 } };
        await projectsC.updateMany({ grantKeys: key }, pull);
        await dashboardsC.updateMany({ grantKeys: key }, pull);
        return deleted;
      }),
  };

  // ------------------------------------------------------------ grants (shared by projects and dashboards)
  type GrantHolder = { _id: string; grants: GrantDoc[]; grantsRev: number };
  /**
   * Compare-and-set on the holder's `grantsRev`: read the grants, let `change` compute the new
   * list (or throw), write it only if nobody changed the grants meanwhile; retry otherwise.
   */
  const changeGrants = async <D extends GrantHolder & { grantKeys: string[] }, R>(
    coll: Collection<D>,
    id: string,
    entity: string,
    change: (grants: GrantDoc[]) => { grants: GrantDoc[]; result: R } | { unchanged: R },
  ): Promise<R> => {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const doc = (await coll.findOne({ _id: id } as Filter<D>, { projection: { grants: 1, grantsRev: 1 } })) as GrantHolder | null;
      if (doc === null) throw notFound(entity);
      const out = change(doc.grants);
      if ('unchanged' in out) return out.unchanged;
      const grants = sortGrants(out.grants);
      const update = { $set: { grants, grantKeys: grants.map(principalKey) }, $inc: { grantsRev: 1 } } as unknown as UpdateFilter<D>;
      const r = await coll.updateOne({ _id: id, grantsRev: doc.grantsRev } as Filter<D>, update);
      if (r.matchedCount === 1) return out.result;
    }
    throw contention();
  };
  const upsertGrant = (grants: GrantDoc[], p: Principal, role: ProjectRole, t: Date): { grants: GrantDoc[]; grant: GrantDoc } => {
    const existing = grants.find((g) => samePrincipal(g, p));
    const grant: GrantDoc = { kind: p.kind, id: p.id, role, createdAt: existing?.createdAt ?? t, updatedAt: t };
    return { grants: [...grants.filter((g) => !samePrincipal(g, p)), grant], grant };
  };

  // ------------------------------------------------------------ projects
  const toProject = (d: ProjectDoc): Project => ({
    id: d._id,
    name: d.name,
    description: d.description,
    createdBy: d.createdBy,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    version: d.version,
  });
  const NO_GRANTS = { grants: 0, grantKeys: 0 } as const;
  const projects: Store['projects'] = {
    create: (input) =>
      op(async () => {
        const c = checkNewProject(input);
        if (!(await existsIn(usersC, c.createdBy))) throw notFound('user');
        const t = now();
        const owner: GrantDoc = { kind: 'user', id: c.createdBy, role: 'owner', createdAt: t, updatedAt: t };
        const doc: ProjectDoc = {
          _id: newId(),
          name: c.name,
          description: c.description,
          createdBy: c.createdBy,
          createdAt: t,
          updatedAt: t,
          version: 1,
          grants: [owner],
          grantKeys: [principalKey(owner)],
          grantsRev: 0,
        };
        await projectsC.insertOne(doc);
        return toProject(doc);
      }),
    findById: (id) =>
      op(async () => {
        const d = await projectsC.findOne({ _id: assertId(id, 'id') }, { projection: NO_GRANTS });
        return d === null ? null : toProject(d);
      }),
    list: (page) => op(() => paged(projectsC, 'projects', {}, 'createdAt', page, toProject, POS_CREATED, NO_GRANTS)),
    listForPrincipals: (principals, page) =>
      op(() => {
        const keys = checkPrincipals(principals).map(principalKey);
        return paged(projectsC, 'projects', { grantKeys: { $in: keys } }, 'createdAt', page, toProject, POS_CREATED, NO_GRANTS);
      }),
    update: (id, expectedVersion, patch) =>
      op(async () => {
        const pid = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const c = checkProjectPatch(patch);
        const set: Partial<ProjectDoc> = { updatedAt: now() };
        if (c.name !== undefined) set.name = c.name;
        if (c.description !== undefined) set.description = c.description;
        const d = await projectsC.findOneAndUpdate({ _id: pid, version: v }, { $set: set, $inc: { version: 1 } }, { returnDocument: 'after', projection: NO_GRANTS });
        if (d !== null) return toProject(d);
        if (await existsIn(projectsC, pid)) throw versionMismatch('project');
        throw notFound('project');
      }),
    delete: (id) =>
      op(async () => {
        const pid = assertId(id, 'id');
        // No multi-document transaction (standalone servers have none): the project goes first so
        // everything under it becomes unreachable at once; children are removed after it.
        const deleted = await projectsC.findOneAndDelete({ _id: pid }, { projection: { _id: 1 } });
        if (deleted === null) return null;
        const versions = await versionsC.find({ projectId: pid }, { projection: { blobKey: 1, createdAt: 1 } }).sort({ createdAt: 1, _id: 1 }).toArray();
        await chartsC.deleteMany({ projectId: pid });
        await dashboardsC.deleteMany({ projectId: pid });
        await versionsC.deleteMany({ projectId: pid });
        await datasetsC.deleteMany({ projectId: pid });
        return { blobKeys: versions.map((v) => v.blobKey) };
      }),
    listGrants: (projectId) =>
      op(async () => {
        const d = await projectsC.findOne({ _id: assertId(projectId, 'projectId') }, { projection: { grants: 1 } });
        return d === null ? [] : sortGrants(d.grants).map(toGrant);
      }),
    setGrant: (projectId, principal, role) =>
      op(async () => {
        const pid = assertId(projectId, 'projectId');
        const p = assertPrincipal(principal);
        const r = checkRole(role);
        if (!(await existsIn(projectsC, pid))) throw notFound('project');
        await assertPrincipalExists(p);
        const t = now();
        return changeGrants(projectsC, pid, 'project', (grants) => {
          const { grants: after, grant } = upsertGrant(grants, p, r, t);
          if (countDirectUserOwners(after.map(toGrant)) === 0) throw conflict('last_owner');
          return { grants: after, result: toGrant(grant) };
        });
      }),
    removeGrant: (projectId, principal) =>
      op(async () => {
        const pid = assertId(projectId, 'projectId');
        const p = assertPrincipal(principal);
        return changeGrants(projectsC, pid, 'project', (grants) => {
          if (!grants.some((g) => samePrincipal(g, p))) return { unchanged: false };
          const after = grants.filter((g) => !samePrincipal(g, p));
          if (countDirectUserOwners(after.map(toGrant)) === 0) throw conflict('last_owner');
          return { grants: after, result: true };
        });
      }),
  };

  // ------------------------------------------------------------ dashboards
  const toDashboard = (d: DashboardDoc): Dashboard => ({
    id: d._id,
    projectId: d.projectId,
    name: d.name,
    layout: parseJson(d.layout),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    version: d.version,
  });
  const dashboards: Store['dashboards'] = {
    create: (input) =>
      op(async () => {
        const c = checkNewDashboard(input);
        if (!(await existsIn(projectsC, c.projectId))) throw notFound('project');
        const t = now();
        const doc: DashboardDoc = { _id: newId(), projectId: c.projectId, name: c.name, layout: c.layout, createdAt: t, updatedAt: t, version: 1, grants: [], grantKeys: [], grantsRev: 0 };
        await dashboardsC.insertOne(doc);
        return toDashboard(doc);
      }),
    findById: (id) =>
      op(async () => {
        const d = await dashboardsC.findOne({ _id: assertId(id, 'id') }, { projection: NO_GRANTS });
        return d === null ? null : toDashboard(d);
      }),
    listByProject: (projectId, page) =>
      op(() => paged(dashboardsC, 'dashboards', { projectId: assertId(projectId, 'projectId') }, 'createdAt', page, toDashboard, POS_CREATED, NO_GRANTS)),
    update: (id, expectedVersion, patch) =>
      op(async () => {
        const did = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const c = checkDashboardPatch(patch);
        const set: Partial<DashboardDoc> = { updatedAt: now() };
        if (c.name !== undefined) set.name = c.name;
        if (c.layout !== undefined) set.layout = c.layout;
        const d = await dashboardsC.findOneAndUpdate({ _id: did, version: v }, { $set: set, $inc: { version: 1 } }, { returnDocument: 'after', projection: NO_GRANTS });
        if (d !== null) return toDashboard(d);
        if (await existsIn(dashboardsC, did)) throw versionMismatch('dashboard');
        throw notFound('dashboard');
      }),
    delete: (id) =>
      op(async () => {
        const did = assertId(id, 'id');
        const deleted = (await dashboardsC.deleteOne({ _id: did })).deletedCount === 1;
        await chartsC.deleteMany({ dashboardId: did });
        return deleted;
      }),
    listGrants: (dashboardId) =>
      op(async () => {
        const d = await dashboardsC.findOne({ _id: assertId(dashboardId, 'dashboardId') }, { projection: { grants: 1 } });
        return d === null ? [] : sortGrants(d.grants).map(toGrant);
      }),
    setGrant: (dashboardId, principal, role) =>
      op(async () => {
        const did = assertId(dashboardId, 'dashboardId');
        const p = assertPrincipal(principal);
        const r = checkRole(role);
        if (!(await existsIn(dashboardsC, did))) throw notFound('dashboard');
        await assertPrincipalExists(p);
        const t = now();
        return changeGrants(dashboardsC, did, 'dashboard', (grants) => {
          const { grants: after, grant } = upsertGrant(grants, p, r, t);
          return { grants: after, result: toGrant(grant) };
        });
      }),
    removeGrant: (dashboardId, principal) =>
      op(async () => {
        const did = assertId(dashboardId, 'dashboardId');
        const p = assertPrincipal(principal);
        return changeGrants(dashboardsC, did, 'dashboard', (grants) =>
          grants.some((g) => samePrincipal(g, p)) ? { grants: grants.filter((g) => !samePrincipal(g, p)), result: true } : { unchanged: false },
        ).catch((error: unknown) => {
          if (error instanceof StoreError && error.code === 'STORE_NOT_FOUND') return false;
          throw error;
        });
      }),
  };

  // ------------------------------------------------------------ charts
  const toChart = (d: ChartDoc): Chart => ({
    id: d._id,
    projectId: d.projectId,
    dashboardId: d.dashboardId,
    title: d.title,
    code: d.code,
    lang: d.lang,
    datasetId: d.datasetId,
    diagnostics: parseJson(d.diagnostics),
    codeHash: d.codeHash,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    version: d.version,
  });
  const assertDatasetInProject = async (datasetId: string, projectId: string): Promise<void> => {
    if ((await datasetsC.countDocuments({ _id: datasetId, projectId }, { limit: 1 })) !== 1) throw notFound('dataset');
  };
  const charts: Store['charts'] = {
    create: (input) =>
      op(async () => {
        const c = checkNewChart(input);
        const dash = await dashboardsC.findOne({ _id: c.dashboardId }, { projection: { projectId: 1 } });
        if (dash === null) throw notFound('dashboard');
        if (c.datasetId !== null) await assertDatasetInProject(c.datasetId, dash.projectId);
        const t = now();
        const doc: ChartDoc = {
          _id: newId(),
          projectId: dash.projectId,
          dashboardId: c.dashboardId,
          title: c.title,
          code: c.code,
          lang: c.lang,
          datasetId: c.datasetId,
          diagnostics: c.diagnostics,
          codeHash: c.codeHash,
          createdAt: t,
          updatedAt: t,
          version: 1,
        };
        await chartsC.insertOne(doc);
        return toChart(doc);
      }),
    findById: (id) =>
      op(async () => {
        const d = await chartsC.findOne({ _id: assertId(id, 'id') });
        return d === null ? null : toChart(d);
      }),
    listByDashboard: (dashboardId, page) => op(() => paged(chartsC, 'charts', { dashboardId: assertId(dashboardId, 'dashboardId') }, 'createdAt', page, toChart, POS_CREATED)),
    update: (id, expectedVersion, patch) =>
      op(async () => {
        const cid = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const c = checkChartPatch(patch);
        const cur = await chartsC.findOne({ _id: cid }, { projection: { projectId: 1, version: 1 } });
        if (cur === null) throw notFound('chart');
        if (cur.version !== v) throw versionMismatch('chart');
        if (c.datasetId !== undefined && c.datasetId !== null) await assertDatasetInProject(c.datasetId, cur.projectId);
        const set: Partial<ChartDoc> = { updatedAt: now() };
        if (c.title !== undefined) set.title = c.title;
        if (c.code !== undefined) set.code = c.code;
        if (c.lang !== undefined) set.lang = c.lang;
        if (c.datasetId !== undefined) set.datasetId = c.datasetId;
        if (c.diagnostics !== undefined) set.diagnostics = c.diagnostics;
        if (c.codeHash !== undefined) set.codeHash = c.codeHash;
        const d = await chartsC.findOneAndUpdate({ _id: cid, version: v }, { $set: set, $inc: { version: 1 } }, { returnDocument: 'after' });
        if (d !== null) return toChart(d);
        if (await existsIn(chartsC, cid)) throw versionMismatch('chart');
        throw notFound('chart');
      }),
    delete: (id) => op(async () => (await chartsC.deleteOne({ _id: assertId(id, 'id') })).deletedCount === 1),
  };

  // ------------------------------------------------------------ datasets
  const toDataset = (d: DatasetDoc): Dataset => ({
    id: d._id,
    projectId: d.projectId,
    name: d.name,
    currentVersionId: d.currentVersionId,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    version: d.version,
  });
  const toVersion = (d: DatasetVersionDoc): DatasetVersion => ({
    id: d._id,
    datasetId: d.datasetId,
    sha256: d.sha256,
    blobKey: d.blobKey,
    bytes: d.bytes,
    rowCount: d.rowCount,
    schema: parseJson(d.schema),
    profile: parseJson(d.profile),
    createdAt: d.createdAt,
    createdBy: d.createdBy,
  });
  const datasets: Store['datasets'] = {
    create: (input) =>
      op(async () => {
        const c = checkNewDataset(input);
        if (!(await existsIn(projectsC, c.projectId))) throw notFound('project');
        const t = now();
        const doc: DatasetDoc = { _id: newId(), projectId: c.projectId, name: c.name, currentVersionId: null, createdAt: t, updatedAt: t, version: 1 };
        await datasetsC.insertOne(doc);
        return toDataset(doc);
      }),
    findById: (id) =>
      op(async () => {
        const d = await datasetsC.findOne({ _id: assertId(id, 'id') });
        return d === null ? null : toDataset(d);
      }),
    findByName: (projectId, name) =>
      op(async () => {
        const d = await datasetsC.findOne({ projectId: assertId(projectId, 'projectId'), name: checkName(name) });
        return d === null ? null : toDataset(d);
      }),
    listByProject: (projectId, page) => op(() => paged(datasetsC, 'datasets', { projectId: assertId(projectId, 'projectId') }, 'createdAt', page, toDataset, POS_CREATED)),
    rename: (id, expectedVersion, name) =>
      op(async () => {
        const did = assertId(id, 'id');
        const v = checkVersion(expectedVersion);
        const n = checkName(name);
        const d = await datasetsC.findOneAndUpdate({ _id: did, version: v }, { $set: { name: n, updatedAt: now() }, $inc: { version: 1 } }, { returnDocument: 'after' });
        if (d !== null) return toDataset(d);
        if (await existsIn(datasetsC, did)) throw versionMismatch('dataset');
        throw notFound('dataset');
      }),
    createWithVersion: (input) =>
      op(async () => {
        const c = checkNewDatasetWithVersion(input);
        if (!(await existsIn(projectsC, c.projectId))) throw notFound('project');
        const t = now();
        const did = newId();
        const v = c.version;
        const vdoc: DatasetVersionDoc = {
          _id: newId(),
          datasetId: did,
          projectId: c.projectId,
          sha256: v.sha256,
          blobKey: v.blobKey,
          bytes: v.bytes,
          rowCount: v.rowCount,
          schema: v.schema,
          profile: v.profile,
          createdAt: t,
          createdBy: v.createdBy,
        };
        // No multi-document transaction (it needs a replica set): the version first, invisible
        // while its dataset does not exist, then the dataset already pointing at it. A crash in
        // between leaves only an orphan version, which removeIncomplete deletes; never a name
        // taken by a dataset without data.
        await versionsC.insertOne(vdoc);
        const doc: DatasetDoc = { _id: did, projectId: c.projectId, name: c.name, currentVersionId: vdoc._id, createdAt: t, updatedAt: t, version: 1 };
        try {
          await datasetsC.insertOne(doc);
        } catch (error) {
          await versionsC.deleteOne({ _id: vdoc._id }).catch(() => undefined);
          throw error;
        }
        return { dataset: toDataset(doc), version: toVersion(vdoc) };
      }),
    versionBlobKeys: (projectId) =>
      op(async () => {
        const docs = await versionsC.find({ projectId: assertId(projectId, 'projectId') }, { projection: { blobKey: 1 } }).toArray();
        return docs.map((d) => d.blobKey);
      }),
    removeIncomplete: (olderThan) =>
      op(async () => {
        const cutoff = new Date(assertDate(olderThan, 'olderThan'));
        const orphans = await versionsC
          .aggregate<{ _id: string; blobKey: string }>([
            { $match: { createdAt: { $lt: cutoff } } },
            { $lookup: { from: COLLECTIONS.datasets, localField: 'datasetId', foreignField: '_id', as: 'dataset' } },
            { $match: { dataset: { $size: 0 } } },
            { $project: { _id: 1, blobKey: 1 } },
          ])
          .toArray();
        if (orphans.length > 0) await versionsC.deleteMany({ _id: { $in: orphans.map((o) => o._id) } });
        let datasetsRemoved = 0;
        const empty = await datasetsC.find({ currentVersionId: null, createdAt: { $lt: cutoff } }, { projection: { _id: 1 } }).toArray();
        for (const d of empty) {
          if ((await versionsC.countDocuments({ datasetId: d._id }, { limit: 1 })) > 0) continue;
          // Only while it still has no current version: an addVersion racing this one wins.
          if ((await datasetsC.deleteOne({ _id: d._id, currentVersionId: null })).deletedCount === 1) {
            datasetsRemoved++;
            await chartsC.updateMany({ datasetId: d._id }, { $set: { datasetId: null } });
          }
        }
        return { datasets: datasetsRemoved, versions: orphans.length, blobKeys: orphans.map((o) => o.blobKey) };
      }),
    addVersion: (datasetId, input) =>
      op(async () => {
        const did = assertId(datasetId, 'datasetId');
        const c = checkNewDatasetVersion(input);
        const ds = await datasetsC.findOne({ _id: did }, { projection: { projectId: 1 } });
        if (ds === null) throw notFound('dataset');
        const t = now();
        const doc: DatasetVersionDoc = {
          _id: newId(),
          datasetId: did,
          projectId: ds.projectId,
          sha256: c.sha256,
          blobKey: c.blobKey,
          bytes: c.bytes,
          rowCount: c.rowCount,
          schema: c.schema,
          profile: c.profile,
          createdAt: t,
          createdBy: c.createdBy,
        };
        // The version row first, then one atomic switch of the dataset to it: readers see either
        // the old current version or the new one, never a current id without its row.
        await versionsC.insertOne(doc);
        const updated = await datasetsC.findOneAndUpdate({ _id: did }, { $set: { currentVersionId: doc._id, updatedAt: t }, $inc: { version: 1 } }, { returnDocument: 'after' });
        if (updated === null) {
          await versionsC.deleteOne({ _id: doc._id });
          throw notFound('dataset');
        }
        return { dataset: toDataset(updated), version: toVersion(doc) };
      }),
    findVersion: (id) =>
      op(async () => {
        const d = await versionsC.findOne({ _id: assertId(id, 'id') });
        return d === null ? null : toVersion(d);
      }),
    setCurrentVersion: (datasetId, versionId, expectedVersion) =>
      op(async () => {
        const did = assertId(datasetId, 'datasetId');
        const vid = assertId(versionId, 'versionId');
        const v = expectedVersion === undefined ? undefined : checkVersion(expectedVersion);
        if (!(await existsIn(datasetsC, did))) throw notFound('dataset');
        if ((await versionsC.findOne({ _id: vid, datasetId: did }, { projection: { _id: 1 } })) === null) throw notFound('dataset_version');
        const d = await datasetsC.findOneAndUpdate(
          { _id: did, ...(v === undefined ? {} : { version: v }) },
          { $set: { currentVersionId: vid, updatedAt: now() }, $inc: { version: 1 } },
          { returnDocument: 'after' },
        );
        if (d !== null) return toDataset(d);
        if (await existsIn(datasetsC, did)) throw versionMismatch('dataset');
        throw notFound('dataset');
      }),
    listVersions: (datasetId, page) =>
      op(() => paged(versionsC, 'dataset_versions', { datasetId: assertId(datasetId, 'datasetId') }, 'createdAt', page, toVersion, POS_CREATED)),
    delete: (id) =>
      op(async () => {
        const did = assertId(id, 'id');
        const deleted = await datasetsC.findOneAndDelete({ _id: did }, { projection: { _id: 1 } });
        if (deleted === null) return null;
        const versions = await versionsC.find({ datasetId: did }, { projection: { blobKey: 1 } }).sort({ createdAt: 1, _id: 1 }).toArray();
        await versionsC.deleteMany({ datasetId: did });
        await chartsC.updateMany({ datasetId: did }, { $set: { datasetId: null } });
        return { blobKeys: versions.map((v) => v.blobKey) };
      }),
  };

  // ------------------------------------------------------------ render cache
  const cacheId = (k: { codeHash: string; datasetVersionId: string; runtimeVersion: string }): string => JSON.stringify([k.codeHash, k.datasetVersionId, k.runtimeVersion]);
  const toEntry = (d: RenderCacheDoc): RenderCacheEntry => ({
    key: { codeHash: d.codeHash, datasetVersionId: d.datasetVersionId, runtimeVersion: d.runtimeVersion },
    figure: d.figure === null ? null : parseJson(d.figure),
    blobKey: d.blobKey,
    createdAt: d.createdAt,
    expiresAt: d.expiresAt,
  });
  const renderCache: Store['renderCache'] = {
    get: (key) =>
      op(async () => {
        const k = checkRenderCacheKey(key);
        const d = await cacheC.findOne({ _id: cacheId(k), expiresAt: { $gt: now() } });
        return d === null ? null : toEntry(d);
      }),
    put: (key, value) =>
      op(async () => {
        const k = checkRenderCacheKey(key);
        const v = checkRenderValue(value);
        const t = now();
        const doc: RenderCacheDoc = { _id: cacheId(k), ...k, figure: v.figure, blobKey: v.blobKey, createdAt: t, expiresAt: new Date(t.getTime() + cacheOptions.ttlMs) };
        try {
          await cacheC.replaceOne({ _id: doc._id }, doc, { upsert: true });
        } catch (error) {
          // Two first writes of one key raced on the upsert; the second now replaces.
          if (!isDuplicateKey(error)) throw error;
          await cacheC.replaceOne({ _id: doc._id }, doc, { upsert: true });
        }
        return toEntry(doc);
      }),
    prune: () =>
      op(async () => {
        const t = now();
        const blobKeys: string[] = [];
        const expired = await cacheC.find({ expiresAt: { $lte: t } }, { projection: { blobKey: 1 } }).toArray();
        for (const e of expired) if (e.blobKey !== null) blobKeys.push(e.blobKey);
        let removed = expired.length === 0 ? 0 : (await cacheC.deleteMany({ _id: { $in: expired.map((e) => e._id) } })).deletedCount;
        const excess = (await cacheC.countDocuments({})) - cacheOptions.maxEntries;
        if (excess > 0) {
          const victims = await cacheC.find({}, { projection: { blobKey: 1 } }).sort({ createdAt: 1, _id: 1 }).limit(excess).toArray();
          for (const e of victims) if (e.blobKey !== null) blobKeys.push(e.blobKey);
          removed += (await cacheC.deleteMany({ _id: { $in: victims.map((e) => e._id) } })).deletedCount;
        }
        return { removed, blobKeys };
      }),
  };

  // ------------------------------------------------------------ audit
  const toEvent = (d: AuditDoc): AuditEvent => ({
    id: d._id,
    at: d.at,
    actor: d.actor.apiKey === undefined ? { kind: d.actor.kind, userId: d.actor.userId } : { kind: d.actor.kind, userId: d.actor.userId, apiKey: { id: d.actor.apiKey.id, name: d.actor.apiKey.name } },
    ip: d.ip,
    action: d.action,
    target: d.target === null ? null : { type: d.target.type, id: d.target.id },
    outcome: d.outcome,
    requestId: d.requestId,
    details: parseJson(d.details) as AuditEvent['details'],
  });
  const audit: Store['audit'] = {
    append: (input) =>
      op(async () => {
        const c = checkNewAuditEvent(input);
        const doc: AuditDoc = {
          _id: newId(),
          at: now(),
          actor: c.actorApiKey === null ? { kind: c.actorKind, userId: c.actorUserId } : { kind: c.actorKind, userId: c.actorUserId, apiKey: c.actorApiKey },
          ip: c.ip,
          action: c.action,
          target: c.target,
          outcome: c.outcome,
          requestId: c.requestId,
          details: c.details,
        };
        await auditC.insertOne(doc);
        return toEvent(doc);
      }),
    query: (filter, page) =>
      op(async () => {
        const f = checkAuditFilter(filter);
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
        if (f.excludeCached) q['details.cached'] = { $ne: true };
        const pos = (e: AuditEvent): CursorPosition => ({ t: e.at.getTime(), id: e.id });
        if (!f.newestFirst) return paged(auditC, 'audit', q, 'at', page, toEvent, pos);
        const { limit, cursor } = assertPage(page);
        let where: Filter<AuditDoc> = q;
        if (cursor !== undefined) {
          const c = decodeCursor('audit-desc', cursor);
          const at = new Date(c.t);
          where = { $and: [q, { $or: [{ at: { $lt: at } }, { at, _id: { $lt: c.id } }] }] };
        }
        const docs = await auditC.find(where).sort({ at: -1, _id: -1 }).limit(limit + 1).toArray();
        return toPage(docs.map(toEvent), limit, 'audit-desc', pos);
      }),
  };

  // ------------------------------------------------------------ counters
  const toFailureState = (d: LoginFailureDoc): LoginFailureState => ({ failures: d.failures, lastFailureAt: d.lastFailureAt, lockedUntil: d.lockedUntil });
  const counters: Store['counters'] = {
    hit: (key, windowMs) =>
      op(async () => {
        const k = checkCounterKey(key);
        const w = checkWindowMs(windowMs);
        for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
          const t = now();
          const reset = new Date(t.getTime() + w);
          const open = { $gt: ['$resetAt', t] };
          try {
            // One atomic upsert; the pipeline embeds only Dates (the key is in the filter).
            const d = await windowsC.findOneAndUpdate(
              { _id: k },
              [{ $set: { count: { $cond: [open, { $add: ['$count', 1] }, 1] }, resetAt: { $cond: [open, '$resetAt', reset] } } }],
              { upsert: true, returnDocument: 'after' },
            );
            if (d === null) continue;
            return { count: d.count, resetAt: d.resetAt };
          } catch (error) {
            if (!isDuplicateKey(error)) throw error; // two first hits raced on the upsert: retry
          }
        }
        throw contention();
      }),
    resetWindow: (key) =>
      op(async () => {
        await windowsC.deleteOne({ _id: checkCounterKey(key) });
      }),
    recordLoginFailure: (accountKey, policy) =>
      op(async () => {
        const k = checkCounterKey(accountKey, 'accountKey');
        const p = assertLoginFailurePolicy(policy);
        for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
          const t = now();
          const doc = await failuresC.findOne({ _id: k });
          const live = doc !== null && doc.expiresAt > t ? toFailureState(doc) : null;
          const result = nextLoginFailureState(live, t, p);
          if (result.outcome === 'already_locked') return result;
          const s = result.state;
          const fields = { failures: s.failures, lastFailureAt: s.lastFailureAt, lockedUntil: s.lockedUntil, expiresAt: new Date(loginFailureExpiry(s, p)) };
          if (doc === null) {
            try {
              await failuresC.insertOne({ _id: k, ...fields, rev: 0 });
              return result;
            } catch (error) {
              if (!isDuplicateKey(error)) throw error;
              continue;
            }
          }
          const r = await failuresC.updateOne({ _id: k, rev: doc.rev }, { $set: fields, $inc: { rev: 1 } });
          if (r.matchedCount === 1) return result;
        }
        throw contention();
      }),
    getLoginFailures: (accountKey) =>
      op(async () => {
        const d = await failuresC.findOne({ _id: checkCounterKey(accountKey, 'accountKey'), expiresAt: { $gt: now() } });
        return d === null ? null : toFailureState(d);
      }),
    clearLoginFailures: (accountKey) =>
      op(async () => {
        await failuresC.deleteOne({ _id: checkCounterKey(accountKey, 'accountKey') });
      }),
    prune: () =>
      op(async () => {
        const t = now();
        const a = await windowsC.deleteMany({ resetAt: { $lte: t } });
        const b = await failuresC.deleteMany({ expiresAt: { $lte: t } });
        return a.deletedCount + b.deletedCount;
      }),
  };

  // ------------------------------------------------------------ settings
  const toSetting = (d: SettingDoc): SettingRecord => ({ key: d._id, value: parseJson(d.value), updatedAt: d.updatedAt, expiresAt: d.expiresAt });
  const liveSettingFilter = (key: string, t: Date): Filter<SettingDoc> => ({ _id: key, $or: [{ expiresAt: null }, { expiresAt: { $gt: t } }] });
  const settings: Store['settings'] = {
    get: (key) =>
      op(async () => {
        const d = await settingsC.findOne(liveSettingFilter(checkSettingKey(key), now()));
        return d === null ? null : toSetting(d);
      }),
    put: (key, value, options) =>
      op(async () => {
        const k = checkSettingKey(key);
        const v = checkSettingInput(value, options);
        const doc: SettingDoc = { _id: k, value: v.value, updatedAt: now(), expiresAt: v.expiresAt === null ? null : new Date(v.expiresAt) };
        await settingsC.replaceOne({ _id: k }, doc, { upsert: true });
        return toSetting(doc);
      }),
    putIfAbsent: (key, value, options) =>
      op(async () => {
        const k = checkSettingKey(key);
        const v = checkSettingInput(value, options);
        for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
          const t = now();
          const doc: SettingDoc = { _id: k, value: v.value, updatedAt: t, expiresAt: v.expiresAt === null ? null : new Date(v.expiresAt) };
          try {
            await settingsC.insertOne(doc);
            return { record: toSetting(doc), created: true };
          } catch (error) {
            if (!isDuplicateKey(error)) throw error;
          }
          // A record exists: take it over only if it has expired (one atomic conditional replace).
          const replaced = await settingsC.findOneAndReplace({ _id: k, expiresAt: { $ne: null, $lte: t } }, doc);
          if (replaced !== null) return { record: toSetting(doc), created: true };
          const live = await settingsC.findOne(liveSettingFilter(k, t));
          if (live !== null) return { record: toSetting(live), created: false };
        }
        throw contention();
      }),
    delete: (key) =>
      op(async () => {
        const r = await settingsC.deleteOne(liveSettingFilter(checkSettingKey(key), now()));
        return r.deletedCount > 0;
      }),
    prune: () =>
      op(async () => {
        const r = await settingsC.deleteMany({ expiresAt: { $ne: null, $lte: now() } });
        return r.deletedCount;
      }),
  };

  return {
    users,
    sessions,
    apiKeys,
    groups,
    projects,
    dashboards,
    charts,
    datasets,
    renderCache,
    audit,
    counters,
    settings,
    ping: () =>
      op(async () => {
        await db.command({ ping: 1 });
      }),
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
}
