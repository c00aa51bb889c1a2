/**
 * Dump and load on MongoDB. Without multi-document transactions (a standalone server has none) a
 * dump reads collection by collection, parents first, each document as it is when read; the load
 * (shared in `@plotbox/store`) drops what such a dump may hold that points at something read
 * before it existed or after it was deleted. A load buffers documents and inserts them in batches;
 * all or nothing by deleting what it wrote when anything fails (the store was empty before).
 */
import type { Collection, Document, Filter } from 'mongodb';
import { assembleBackup, principalKey, withEpochs } from '@plotbox/store';
import type { BackupGrant, BackupRecord, CheckedBackupGrant, CheckedBackupRecord, JsonValue, StoreBackup } from '@plotbox/store';
import type { GrantDoc, SettingDoc } from '../documents.ts';
import { mapMongoError } from '../errors.ts';
import type { MongoCollections, MongoHandle } from '../handle.ts';
import { toEvent } from './audit.ts';
import { toChart } from './charts.ts';
import { toDataset, toVersion } from './datasets.ts';
import { toUser } from './users.ts';

const parse = (text: string): JsonValue => JSON.parse(text) as JsonValue;
const ms = (d: Date): number => d.getTime();
const optMs = (d: Date | null | undefined): number | null => (d === null || d === undefined ? null : d.getTime());
const grantsOut = (grants: readonly GrantDoc[]): BackupGrant[] =>
  [...grants]
    .sort((a, b) => (a.kind === b.kind ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.kind < b.kind ? -1 : 1))
    .map((g) => ({ kind: g.kind, id: g.id, role: g.role, createdAt: ms(g.createdAt), updatedAt: ms(g.updatedAt) }));
const grantsIn = (grants: readonly CheckedBackupGrant[]): { grants: GrantDoc[]; grantKeys: string[]; grantsRev: number } => {
  const docs = grants.map((g) => ({ kind: g.kind, id: g.id, role: g.role, createdAt: new Date(g.createdAt), updatedAt: new Date(g.updatedAt) }));
  return { grants: docs, grantKeys: docs.map((g) => principalKey(g)), grantsRev: 0 };
};

/** Every document of `coll` in `_id` order (always indexed), streamed. */
function all<D extends Document>(coll: Collection<D>, filter: Filter<D> = {}): AsyncIterable<D> {
  return coll.find(filter).sort({ _id: 1 }) as unknown as AsyncIterable<D>;
}

async function* dump(c: MongoCollections, sessions: boolean): AsyncGenerator<BackupRecord> {
  for await (const d of all(c.users)) {
    const identities = (d.identities ?? []).map((i) => ({ issuer: i.issuer, subject: i.subject, createdAt: ms(i.createdAt) }));
    yield { type: 'user', ...withEpochs(toUser(d)), identities };
  }
  for await (const d of all(c.groups)) yield { type: 'group', id: d._id, name: d.name, memberIds: [...d.memberIds].sort(), createdAt: ms(d.createdAt), updatedAt: ms(d.updatedAt) };
  for await (const d of all(c.projects)) {
    yield {
      type: 'project',
      id: d._id,
      name: d.name,
      description: d.description,
      createdBy: d.createdBy,
      createdAt: ms(d.createdAt),
      updatedAt: ms(d.updatedAt),
      version: d.version,
      grants: grantsOut(d.grants),
    };
  }
  for await (const d of all(c.dashboards)) {
    yield {
      type: 'dashboard',
      id: d._id,
      projectId: d.projectId,
      name: d.name,
      layout: parse(d.layout),
      createdAt: ms(d.createdAt),
      updatedAt: ms(d.updatedAt),
      version: d.version,
      grants: grantsOut(d.grants),
    };
  }
  for await (const d of all(c.datasets)) yield { type: 'dataset', ...withEpochs(toDataset(d)) };
  for await (const d of all(c.datasetVersions)) yield { type: 'dataset_version', ...withEpochs(toVersion(d)) };
  for await (const d of all(c.charts)) yield { type: 'chart', ...withEpochs(toChart(d)) };
  for await (const d of all(c.apiKeys)) {
    yield {
      type: 'api_key',
      id: d._id,
      userId: d.userId,
      name: d.name,
      prefix: d.prefix,
      hash: d.hash,
      createdAt: ms(d.createdAt),
      expiresAt: optMs(d.expiresAt),
      lastUsedAt: optMs(d.lastUsedAt),
      revokedAt: optMs(d.revokedAt),
    };
  }
  if (sessions) {
    for await (const d of all(c.sessions)) {
      yield {
        type: 'session',
        id: d._id,
        userId: d.userId,
        createdAt: ms(d.createdAt),
        lastSeenAt: ms(d.lastSeenAt),
        absoluteExpiresAt: ms(d.absoluteExpiresAt),
        idleExpiresAt: ms(d.idleExpiresAt),
        revokedAt: optMs(d.revokedAt),
        revokeReason: d.revokeReason,
        userAgent: d.userAgent,
        ip: d.ip,
        mfaPending: d.mfaPending,
        passwordChangeRequired: d.passwordChangeRequired ?? false,
      };
    }
    for await (const d of all(c.refreshTokens)) {
      yield { type: 'refresh_token', tokenHash: d._id, sessionId: d.sessionId, familyId: d.familyId, createdAt: ms(d.createdAt), usedAt: optMs(d.usedAt), expiresAt: ms(d.expiresAt) };
    }
  }
  for await (const d of c.audit.find({}).sort({ at: 1, _id: 1 })) yield { type: 'audit_event', ...withEpochs(toEvent(d)) };
  // Settings with an expiry (leases, setup links, sign-in flows in progress) are transient.
  for await (const d of all<SettingDoc>(c.settings, { expiresAt: null })) yield { type: 'setting', key: d._id, value: parse(d.value), updatedAt: ms(d.updatedAt) };
}

/** The collections a load writes (settings apart: see `commit`), in the order their buffers flush. */
const WRITTEN = ['users', 'groups', 'projects', 'dashboards', 'datasets', 'datasetVersions', 'charts', 'apiKeys', 'sessions', 'refreshTokens', 'audit'] as const;
type Written = (typeof WRITTEN)[number];
const BATCH = 1000;

/** The document a checked record becomes, and its collection. */
function toDoc(r: CheckedBackupRecord): { readonly coll: Written | 'settings'; readonly doc: Document } {
  const at = (t: number): Date => new Date(t);
  const optAt = (t: number | null): Date | null => (t === null ? null : new Date(t));
  switch (r.type) {
    case 'user':
      return {
        coll: 'users',
        doc: {
          _id: r.id,
          email: r.email,
          emailKey: r.emailKey,
          displayName: r.displayName,
          passwordHash: r.passwordHash,
          systemRole: r.systemRole,
          disabled: r.disabled,
          totp: r.totp === null ? null : { secret: r.totp.secret, enabled: r.totp.enabled, lastUsedStep: r.totp.lastUsedStep },
          recoveryCodeHashes: [...r.recoveryCodeHashes],
          createdAt: at(r.createdAt),
          updatedAt: at(r.updatedAt),
          version: r.version,
          passwordChangedAt: at(r.passwordChangedAt),
          lastActiveAt: at(r.lastActiveAt),
          disabledReason: r.disabledReason,
          // Absent (never empty) without identities, for the partial unique index.
          ...(r.identities.length === 0
            ? {}
            : { identityKeys: r.identities.map((i) => i.key), identities: r.identities.map((i) => ({ issuer: i.issuer, subject: i.subject, createdAt: at(i.createdAt) })) }),
        },
      };
    case 'group':
      return { coll: 'groups', doc: { _id: r.id, name: r.name, memberIds: [...r.memberIds], createdAt: at(r.createdAt), updatedAt: at(r.updatedAt) } };
    case 'project':
      return {
        coll: 'projects',
        doc: { _id: r.id, name: r.name, description: r.description, createdBy: r.createdBy, createdAt: at(r.createdAt), updatedAt: at(r.updatedAt), version: r.version, ...grantsIn(r.grants) },
      };
    case 'dashboard':
      return {
        coll: 'dashboards',
        doc: { _id: r.id, projectId: r.projectId, name: r.name, layout: r.layout, createdAt: at(r.createdAt), updatedAt: at(r.updatedAt), version: r.version, ...grantsIn(r.grants) },
      };
    case 'dataset':
      return {
        coll: 'datasets',
        doc: { _id: r.id, projectId: r.projectId, name: r.name, currentVersionId: r.currentVersionId, createdAt: at(r.createdAt), updatedAt: at(r.updatedAt), version: r.version },
      };
    case 'dataset_version':
      return {
        coll: 'datasetVersions',
        doc: {
          _id: r.id,
          datasetId: r.datasetId,
          projectId: r.projectId,
          sha256: r.sha256,
          blobKey: r.blobKey,
          bytes: r.bytes,
          rowCount: r.rowCount,
          schema: r.schema,
          profile: r.profile,
          createdAt: at(r.createdAt),
          createdBy: r.createdBy,
        },
      };
    case 'chart':
      return {
        coll: 'charts',
        doc: {
          _id: r.id,
          projectId: r.projectId,
          dashboardId: r.dashboardId,
          title: r.title,
          code: r.code,
          lang: r.lang,
          runtime: r.runtime,
          datasetId: r.datasetId,
          diagnostics: r.diagnostics,
          codeHash: r.codeHash,
          createdAt: at(r.createdAt),
          updatedAt: at(r.updatedAt),
          version: r.version,
        },
      };
    case 'api_key':
      return {
        coll: 'apiKeys',
        doc: {
          _id: r.id,
          userId: r.userId,
          name: r.name,
          prefix: r.prefix,
          hash: r.hash,
          createdAt: at(r.createdAt),
          expiresAt: optAt(r.expiresAt),
          lastUsedAt: optAt(r.lastUsedAt),
          revokedAt: optAt(r.revokedAt),
        },
      };
    case 'session':
      return {
        coll: 'sessions',
        doc: {
          _id: r.id,
          userId: r.userId,
          createdAt: at(r.createdAt),
          lastSeenAt: at(r.lastSeenAt),
          absoluteExpiresAt: at(r.absoluteExpiresAt),
          idleExpiresAt: at(r.idleExpiresAt),
          revokedAt: optAt(r.revokedAt),
          revokeReason: r.revokeReason,
          userAgent: r.userAgent,
          ip: r.ip,
          mfaPending: r.mfaPending,
          passwordChangeRequired: r.passwordChangeRequired,
        },
      };
    case 'refresh_token':
      return { coll: 'refreshTokens', doc: { _id: r.tokenHash, sessionId: r.sessionId, familyId: r.familyId, createdAt: at(r.createdAt), usedAt: optAt(r.usedAt), expiresAt: at(r.expiresAt) } };
    case 'audit_event':
      return {
        coll: 'audit',
        doc: {
          _id: r.id,
          at: at(r.at),
          actor: r.actorApiKey === null ? { kind: r.actorKind, userId: r.actorUserId } : { kind: r.actorKind, userId: r.actorUserId, apiKey: r.actorApiKey },
          ip: r.ip,
          action: r.action,
          target: r.target,
          outcome: r.outcome,
          requestId: r.requestId,
          details: r.details,
          ...(r.cached ? { cached: true } : {}),
        },
      };
    case 'setting':
      return { coll: 'settings', doc: { _id: r.key, value: r.value, updatedAt: at(r.updatedAt), expiresAt: null } };
  }
}

export function createBackup(h: MongoHandle): StoreBackup {
  const c = h.c;
  const coll = (name: Written): Collection<Document> => c[name] as unknown as Collection<Document>;
  let buffers = new Map<Written, Document[]>();
  let settings: Document[] = [];
  const flush = async (name: Written): Promise<void> => {
    const docs = buffers.get(name) ?? [];
    if (docs.length === 0) return;
    buffers.set(name, []);
    await coll(name).insertMany(docs, { ordered: true });
  };
  return assembleBackup({
    dump: ({ sessions }) => dump(c, sessions),
    isEmpty: async () => {
      for (const name of ['users', 'groups', 'projects', 'datasets', 'apiKeys', 'sessions', 'audit'] as const) {
        if ((await coll(name).countDocuments({}, { limit: 1 })) > 0) return false;
      }
      return true;
    },
    begin: () => {
      buffers = new Map();
      settings = [];
      return Promise.resolve();
    },
    write: async (record) => {
      const { coll: name, doc } = toDoc(record);
      if (name === 'settings') {
        settings.push(doc);
        return;
      }
      const buffer = buffers.get(name) ?? [];
      buffer.push(doc);
      buffers.set(name, buffer);
      if (buffer.length >= BATCH) await flush(name);
    },
    commit: async () => {
      for (const name of WRITTEN) await flush(name);
      // Last: a fresh start of the API may have written the same key (sandbox.info); the archive's wins.
      for (const s of settings) await c.settings.replaceOne({ _id: s._id as string }, s as SettingDoc, { upsert: true });
    },
    // The store was empty when the load began (and nobody else may use it meanwhile).
    rollback: async () => {
      buffers = new Map();
      settings = [];
      for (const name of WRITTEN) await coll(name).deleteMany({});
    },
    mapError: mapMongoError,
    assertOpen: () => h.assertOpen(),
  });
}
