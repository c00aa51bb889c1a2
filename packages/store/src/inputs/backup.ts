/**
 * Input checks of backup records ({@link StoreBackup.load}): a record read back from an archive is
 * as untrusted as any other input, so each is checked field by field into the primitives an
 * adapter writes (strings, numbers, booleans, `null`, serialized JSON), like every other operation.
 */
import { invalid } from '../store-error.ts';
import { ACTOR_KINDS, AUDIT_OUTCOMES, BACKUP_RECORD_TYPES, CHART_LANGS, CHART_RUNTIMES, MAX_AUDIT_DETAILS_BYTES, PRINCIPAL_KINDS, PROJECT_ROLES, SYSTEM_ROLES } from '../ports.ts';
import type {
  ActorKind,
  AuditOutcome,
  BackupApiKey,
  BackupDataset,
  BackupRecordType,
  BackupRefreshToken,
  BackupSession,
  ChartLang,
  ChartRuntime,
  PrincipalKind,
  ProjectRole,
  SystemRole,
} from '../ports.ts';
import {
  assertBoolean,
  assertEmail,
  assertId,
  assertInt,
  assertKnownKeys,
  assertObject,
  assertOneOf,
  assertOptionalString,
  assertString,
  normalizeEmail,
  serializeJson,
  serializeJsonObject,
} from '../validate.ts';
import { checkAction } from './audit.ts';
import { FIELD_LIMITS, checkName, checkTokenHash } from './common.ts';
import { checkSettingKey, MAX_SETTING_BYTES } from './settings.ts';
import { checkIdentity, checkTotp } from './users.ts';
import type { CheckedTotp } from './users.ts';

/** Epoch ms from the year 1970 to about 275,000: what a `Date` holds. */
const MAX_TIME = 8_640_000_000_000_000;
const time = (value: unknown, field: string): number => assertInt(value, field, 0, MAX_TIME);
const optTime = (value: unknown, field: string): number | null => (value === null ? null : time(value, field));
const version = (value: unknown, field: string): number => assertInt(value, field, 1);

export interface CheckedBackupGrant {
  readonly kind: PrincipalKind;
  readonly id: string;
  readonly role: ProjectRole;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type CheckedBackupRecord =
  | {
      readonly type: 'user';
      readonly id: string;
      readonly email: string;
      readonly emailKey: string;
      readonly displayName: string;
      readonly passwordHash: string;
      readonly systemRole: SystemRole;
      readonly disabled: boolean;
      readonly disabledReason: string | null;
      readonly totp: CheckedTotp | null;
      readonly recoveryCodeHashes: readonly string[];
      readonly createdAt: number;
      readonly updatedAt: number;
      readonly version: number;
      readonly passwordChangedAt: number;
      readonly lastActiveAt: number;
      readonly identities: readonly { readonly issuer: string; readonly subject: string; readonly key: string; readonly createdAt: number }[];
    }
  | { readonly type: 'group'; readonly id: string; readonly name: string; readonly memberIds: readonly string[]; readonly createdAt: number; readonly updatedAt: number }
  | {
      readonly type: 'project';
      readonly id: string;
      readonly name: string;
      readonly description: string;
      readonly createdBy: string;
      readonly createdAt: number;
      readonly updatedAt: number;
      readonly version: number;
      readonly grants: readonly CheckedBackupGrant[];
    }
  | {
      readonly type: 'dashboard';
      readonly id: string;
      readonly projectId: string;
      readonly name: string;
      /** Serialized JSON. */
      readonly layout: string;
      readonly createdAt: number;
      readonly updatedAt: number;
      readonly version: number;
      readonly grants: readonly CheckedBackupGrant[];
    }
  | BackupDataset
  | {
      readonly type: 'dataset_version';
      readonly id: string;
      readonly datasetId: string;
      /** The dataset's project (MongoDB keeps it on the version). */
      readonly projectId: string;
      readonly sha256: string;
      readonly blobKey: string;
      readonly bytes: number;
      readonly rowCount: number;
      /** Serialized JSON. */
      readonly schema: string;
      /** Serialized JSON. */
      readonly profile: string;
      readonly createdAt: number;
      readonly createdBy: string;
    }
  | {
      readonly type: 'chart';
      readonly id: string;
      readonly projectId: string;
      readonly dashboardId: string;
      readonly title: string;
      readonly code: string;
      readonly lang: ChartLang;
      readonly runtime: ChartRuntime;
      readonly datasetId: string | null;
      /** Serialized JSON. */
      readonly diagnostics: string;
      readonly codeHash: string;
      readonly createdAt: number;
      readonly updatedAt: number;
      readonly version: number;
    }
  | BackupApiKey
  | BackupSession
  | BackupRefreshToken
  | {
      readonly type: 'audit_event';
      readonly id: string;
      readonly at: number;
      readonly actorKind: ActorKind;
      readonly actorUserId: string | null;
      readonly actorApiKey: { readonly id: string; readonly name: string } | null;
      readonly ip: string | null;
      readonly action: string;
      readonly target: { readonly type: string; readonly id: string | null } | null;
      readonly outcome: AuditOutcome;
      readonly requestId: string | null;
      /** Serialized JSON object. */
      readonly details: string;
      /** The details say `cached: true`. */
      readonly cached: boolean;
    }
  | { readonly type: 'setting'; readonly key: string; readonly value: string; readonly updatedAt: number };

/** A checked record of one type. */
export type CheckedBackupRecordOf<T extends BackupRecordType> = Extract<CheckedBackupRecord, { readonly type: T }>;

function keys(v: Record<string, unknown>, type: string, allowed: readonly string[]): void {
  assertKnownKeys(v, type, ['type', ...allowed]);
}

function checkGrants(value: unknown, field: string): CheckedBackupGrant[] {
  if (!Array.isArray(value) || value.length > FIELD_LIMITS.maxPrincipals * 10) throw invalid(field, 'must be an array of grants');
  const seen = new Set<string>();
  return value.map((g: unknown) => {
    const v = assertObject(g, field);
    assertKnownKeys(v, field, ['kind', 'id', 'role', 'createdAt', 'updatedAt']);
    const grant = {
      kind: assertOneOf<PrincipalKind>(v.kind, `${field}.kind`, PRINCIPAL_KINDS),
      id: assertId(v.id, `${field}.id`),
      role: assertOneOf<ProjectRole>(v.role, `${field}.role`, PROJECT_ROLES),
      createdAt: time(v.createdAt, `${field}.createdAt`),
      updatedAt: time(v.updatedAt, `${field}.updatedAt`),
    };
    const key = `${grant.kind}:${grant.id}`;
    if (seen.has(key)) throw invalid(field, 'names a principal twice');
    seen.add(key);
    return grant;
  });
}

function optId(value: unknown, field: string): string | null {
  return value === null ? null : assertId(value, field);
}

const SHA256 = /^[0-9a-f]{64}$/u;
const DISABLED_REASON = /^[a-z_]{1,32}$/u;

/**
 * Check one backup record (anything, e.g. parsed JSON) into what an adapter writes.
 * `projectOfDataset` tells a version's project (from the dataset record loaded before it).
 * @throws `STORE_INVALID` naming the record type and field.
 */
export function checkBackupRecord(value: unknown, projectOfDataset: (datasetId: string) => string | undefined = () => undefined): CheckedBackupRecord {
  const v = assertObject(value, 'record');
  const type = assertOneOf<BackupRecordType>(v.type, 'record.type', BACKUP_RECORD_TYPES);
  const f = (name: string): string => `${type}.${name}`;
  switch (type) {
    case 'user': {
      keys(v, type, [
        'id',
        'email',
        'displayName',
        'passwordHash',
        'systemRole',
        'disabled',
        'disabledReason',
        'totp',
        'recoveryCodeHashes',
        'createdAt',
        'updatedAt',
        'version',
        'passwordChangedAt',
        'lastActiveAt',
        'identities',
      ]);
      const email = assertEmail(v.email, f('email'));
      const disabled = assertBoolean(v.disabled, f('disabled'));
      const disabledReason = assertOptionalString(v.disabledReason ?? null, f('disabledReason'), 32);
      if (disabledReason !== null && (!disabled || !DISABLED_REASON.test(disabledReason))) throw invalid(f('disabledReason'), 'a reason ([a-z_]) goes only with disabled: true');
      if (!Array.isArray(v.recoveryCodeHashes) || v.recoveryCodeHashes.length > FIELD_LIMITS.maxRecoveryCodes) throw invalid(f('recoveryCodeHashes'), 'must be an array of hashes');
      if (!Array.isArray(v.identities) || v.identities.length > 100) throw invalid(f('identities'), 'must be an array of identities');
      return {
        type,
        id: assertId(v.id, f('id')),
        email,
        emailKey: normalizeEmail(email),
        displayName: assertString(v.displayName, f('displayName'), FIELD_LIMITS.name),
        passwordHash: assertString(v.passwordHash, f('passwordHash'), FIELD_LIMITS.hash, 1),
        systemRole: assertOneOf<SystemRole>(v.systemRole, f('systemRole'), SYSTEM_ROLES),
        disabled,
        disabledReason,
        totp: v.totp === undefined ? null : checkTotp(v.totp),
        recoveryCodeHashes: v.recoveryCodeHashes.map((h: unknown) => checkTokenHash(h, f('recoveryCodeHashes'))),
        createdAt: time(v.createdAt, f('createdAt')),
        updatedAt: time(v.updatedAt, f('updatedAt')),
        version: version(v.version, f('version')),
        passwordChangedAt: time(v.passwordChangedAt, f('passwordChangedAt')),
        lastActiveAt: time(v.lastActiveAt, f('lastActiveAt')),
        identities: v.identities.map((i: unknown) => {
          const o = assertObject(i, f('identities'));
          const { issuer, subject, key } = checkIdentity({ issuer: o.issuer, subject: o.subject });
          assertKnownKeys(o, f('identities'), ['issuer', 'subject', 'createdAt']);
          return { issuer, subject, key, createdAt: time(o.createdAt, f('identities.createdAt')) };
        }),
      };
    }
    case 'group': {
      keys(v, type, ['id', 'name', 'memberIds', 'createdAt', 'updatedAt']);
      if (!Array.isArray(v.memberIds) || v.memberIds.length > FIELD_LIMITS.maxGroupMembers) throw invalid(f('memberIds'), 'must be an array of user ids');
      const memberIds = v.memberIds.map((m: unknown) => assertId(m, f('memberIds')));
      if (new Set(memberIds).size !== memberIds.length) throw invalid(f('memberIds'), 'names a member twice');
      return {
        type,
        id: assertId(v.id, f('id')),
        name: checkName(v.name, f('name')),
        memberIds: [...memberIds].sort(),
        createdAt: time(v.createdAt, f('createdAt')),
        updatedAt: time(v.updatedAt, f('updatedAt')),
      };
    }
    case 'project':
      keys(v, type, ['id', 'name', 'description', 'createdBy', 'createdAt', 'updatedAt', 'version', 'grants']);
      return {
        type,
        id: assertId(v.id, f('id')),
        name: checkName(v.name, f('name')),
        description: assertString(v.description, f('description'), FIELD_LIMITS.description),
        createdBy: assertId(v.createdBy, f('createdBy')),
        createdAt: time(v.createdAt, f('createdAt')),
        updatedAt: time(v.updatedAt, f('updatedAt')),
        version: version(v.version, f('version')),
        grants: checkGrants(v.grants, f('grants')),
      };
    case 'dashboard':
      keys(v, type, ['id', 'projectId', 'name', 'layout', 'createdAt', 'updatedAt', 'version', 'grants']);
      return {
        type,
        id: assertId(v.id, f('id')),
        projectId: assertId(v.projectId, f('projectId')),
        name: checkName(v.name, f('name')),
        layout: serializeJson(v.layout, f('layout'), FIELD_LIMITS.layoutBytes),
        createdAt: time(v.createdAt, f('createdAt')),
        updatedAt: time(v.updatedAt, f('updatedAt')),
        version: version(v.version, f('version')),
        grants: checkGrants(v.grants, f('grants')),
      };
    case 'dataset':
      keys(v, type, ['id', 'projectId', 'name', 'currentVersionId', 'createdAt', 'updatedAt', 'version']);
      return {
        type,
        id: assertId(v.id, f('id')),
        projectId: assertId(v.projectId, f('projectId')),
        name: checkName(v.name, f('name')),
        currentVersionId: optId(v.currentVersionId, f('currentVersionId')),
        createdAt: time(v.createdAt, f('createdAt')),
        updatedAt: time(v.updatedAt, f('updatedAt')),
        version: version(v.version, f('version')),
      };
    case 'dataset_version': {
      keys(v, type, ['id', 'datasetId', 'sha256', 'blobKey', 'bytes', 'rowCount', 'schema', 'profile', 'createdAt', 'createdBy']);
      const datasetId = assertId(v.datasetId, f('datasetId'));
      const sha256 = assertString(v.sha256, f('sha256'), 64, 64);
      if (!SHA256.test(sha256)) throw invalid(f('sha256'), 'must be 64 lower-case hex digits');
      return {
        type,
        id: assertId(v.id, f('id')),
        datasetId,
        projectId: projectOfDataset(datasetId) ?? '',
        sha256,
        blobKey: assertString(v.blobKey, f('blobKey'), 1024, 1),
        bytes: assertInt(v.bytes, f('bytes'), 0),
        rowCount: assertInt(v.rowCount, f('rowCount'), 0),
        schema: serializeJson(v.schema, f('schema'), FIELD_LIMITS.schemaBytes),
        profile: serializeJson(v.profile, f('profile'), FIELD_LIMITS.profileBytes),
        createdAt: time(v.createdAt, f('createdAt')),
        createdBy: assertId(v.createdBy, f('createdBy')),
      };
    }
    case 'chart':
      keys(v, type, ['id', 'projectId', 'dashboardId', 'title', 'code', 'lang', 'runtime', 'datasetId', 'diagnostics', 'codeHash', 'createdAt', 'updatedAt', 'version']);
      return {
        type,
        id: assertId(v.id, f('id')),
        projectId: assertId(v.projectId, f('projectId')),
        dashboardId: assertId(v.dashboardId, f('dashboardId')),
        title: assertString(v.title, f('title'), FIELD_LIMITS.name),
        code: assertString(v.code, f('code'), FIELD_LIMITS.code),
        lang: assertOneOf<ChartLang>(v.lang, f('lang'), CHART_LANGS),
        // Archives made before charts had a runtime hold arquero charts.
        runtime: v.runtime === undefined ? ('arquero' as const) : assertOneOf<ChartRuntime>(v.runtime, f('runtime'), CHART_RUNTIMES),
        datasetId: optId(v.datasetId, f('datasetId')),
        diagnostics: serializeJson(v.diagnostics, f('diagnostics'), FIELD_LIMITS.diagnosticsBytes),
        codeHash: assertString(v.codeHash, f('codeHash'), FIELD_LIMITS.hash, 1),
        createdAt: time(v.createdAt, f('createdAt')),
        updatedAt: time(v.updatedAt, f('updatedAt')),
        version: version(v.version, f('version')),
      };
    case 'api_key':
      keys(v, type, ['id', 'userId', 'name', 'prefix', 'hash', 'createdAt', 'expiresAt', 'lastUsedAt', 'revokedAt']);
      return {
        type,
        id: assertId(v.id, f('id')),
        userId: assertId(v.userId, f('userId')),
        name: checkName(v.name, f('name')),
        prefix: assertString(v.prefix, f('prefix'), 64, 1),
        hash: checkTokenHash(v.hash, f('hash')),
        createdAt: time(v.createdAt, f('createdAt')),
        expiresAt: optTime(v.expiresAt, f('expiresAt')),
        lastUsedAt: optTime(v.lastUsedAt, f('lastUsedAt')),
        revokedAt: optTime(v.revokedAt, f('revokedAt')),
      };
    case 'session':
      keys(v, type, ['id', 'userId', 'createdAt', 'lastSeenAt', 'absoluteExpiresAt', 'idleExpiresAt', 'revokedAt', 'revokeReason', 'userAgent', 'ip', 'mfaPending', 'passwordChangeRequired']);
      return {
        type,
        id: assertId(v.id, f('id')),
        userId: assertId(v.userId, f('userId')),
        createdAt: time(v.createdAt, f('createdAt')),
        lastSeenAt: time(v.lastSeenAt, f('lastSeenAt')),
        absoluteExpiresAt: time(v.absoluteExpiresAt, f('absoluteExpiresAt')),
        idleExpiresAt: time(v.idleExpiresAt, f('idleExpiresAt')),
        revokedAt: optTime(v.revokedAt, f('revokedAt')),
        revokeReason: assertOptionalString(v.revokeReason, f('revokeReason'), FIELD_LIMITS.reason),
        userAgent: assertOptionalString(v.userAgent, f('userAgent'), FIELD_LIMITS.userAgent),
        ip: assertOptionalString(v.ip, f('ip'), FIELD_LIMITS.ip),
        mfaPending: assertBoolean(v.mfaPending, f('mfaPending')),
        passwordChangeRequired: assertBoolean(v.passwordChangeRequired, f('passwordChangeRequired')),
      };
    case 'refresh_token':
      assertKnownKeys(v, type, ['type', 'tokenHash', 'sessionId', 'familyId', 'createdAt', 'usedAt', 'expiresAt']);
      return {
        type,
        tokenHash: checkTokenHash(v.tokenHash, f('tokenHash')),
        sessionId: assertId(v.sessionId, f('sessionId')),
        familyId: assertId(v.familyId, f('familyId')),
        createdAt: time(v.createdAt, f('createdAt')),
        usedAt: optTime(v.usedAt, f('usedAt')),
        expiresAt: time(v.expiresAt, f('expiresAt')),
      };
    case 'audit_event': {
      keys(v, type, ['id', 'at', 'actor', 'ip', 'action', 'target', 'outcome', 'requestId', 'details']);
      const actor = assertObject(v.actor, f('actor'));
      assertKnownKeys(actor, f('actor'), ['kind', 'userId', 'apiKey']);
      let apiKey: { id: string; name: string } | null = null;
      if (actor.apiKey !== undefined && actor.apiKey !== null) {
        const k = assertObject(actor.apiKey, f('actor.apiKey'));
        assertKnownKeys(k, f('actor.apiKey'), ['id', 'name']);
        apiKey = { id: assertId(k.id, f('actor.apiKey.id')), name: assertString(k.name, f('actor.apiKey.name'), FIELD_LIMITS.name, 1) };
      }
      let target: { type: string; id: string | null } | null = null;
      if (v.target !== null) {
        const t = assertObject(v.target, f('target'));
        assertKnownKeys(t, f('target'), ['type', 'id']);
        target = { type: checkAction(t.type, f('target.type')), id: optId(t.id ?? null, f('target.id')) };
      }
      const details = serializeJsonObject(v.details, f('details'), MAX_AUDIT_DETAILS_BYTES);
      return {
        type,
        id: assertId(v.id, f('id')),
        at: time(v.at, f('at')),
        actorKind: assertOneOf<ActorKind>(actor.kind, f('actor.kind'), ACTOR_KINDS),
        actorUserId: optId(actor.userId ?? null, f('actor.userId')),
        actorApiKey: apiKey,
        ip: assertOptionalString(v.ip, f('ip'), FIELD_LIMITS.ip),
        action: checkAction(v.action, f('action')),
        target,
        outcome: assertOneOf<AuditOutcome>(v.outcome, f('outcome'), AUDIT_OUTCOMES),
        requestId: assertOptionalString(v.requestId, f('requestId'), FIELD_LIMITS.name),
        details,
        cached: (v.details as { readonly cached?: unknown }).cached === true,
      };
    }
    case 'setting':
      keys(v, type, ['key', 'value', 'updatedAt']);
      return { type, key: checkSettingKey(v.key), value: serializeJson(v.value, f('value'), MAX_SETTING_BYTES), updatedAt: time(v.updatedAt, f('updatedAt')) };
  }
}
