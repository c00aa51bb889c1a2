/**
 * Input checking shared by every adapter: each `check*` takes what a caller passed (typed, but
 * possibly anything at run time) and returns normalized primitives ready to bind into a query —
 * strings, numbers (epoch ms for dates), booleans, `null`, serialized JSON. Adapters build their
 * queries only from these results, so both adapters accept and refuse exactly the same inputs.
 */
import { invalid } from './store-error.ts';
import type { Principal } from './ports.ts';
import { ACTOR_KINDS, AUDIT_OUTCOMES, CHART_LANGS, MAX_AUDIT_DETAILS_BYTES, MAX_SEARCH_LIMIT, PROJECT_ROLES, SYSTEM_ROLES } from './ports.ts';
import type { ActorKind, AuditOutcome, ChartLang, ProjectRole, SystemRole } from './ports.ts';
import {
  assertBoolean,
  assertDate,
  assertEmail,
  assertId,
  assertInt,
  assertKnownKeys,
  assertObject,
  assertOneOf,
  assertOptionalDate,
  assertOptionalString,
  assertString,
  normalizeEmail,
  serializeJson,
  serializeJsonObject,
} from './validate.ts';

/** Field size limits (generous: the API enforces the product limits; these only bound storage). */
export const FIELD_LIMITS = Object.freeze({
  name: 200,
  description: 4000,
  secret: 1024,
  hash: 1024,
  userAgent: 2048,
  ip: 128,
  reason: 200,
  maxRecoveryCodes: 100,
  code: 256 * 1024,
  layoutBytes: 256 * 1024,
  diagnosticsBytes: 256 * 1024,
  schemaBytes: 1024 * 1024,
  profileBytes: 1024 * 1024,
  figureBytes: 8 * 1024 * 1024,
  counterKey: 512,
  maxPrincipals: 1000,
  maxGroupMembers: 10_000,
});

// ---------------------------------------------------------------- users

export interface CheckedTotp {
  readonly secret: string;
  readonly enabled: boolean;
  readonly lastUsedStep: number | null;
}

export function checkTotp(value: unknown): CheckedTotp | null {
  if (value === null) return null;
  const v = assertObject(value, 'totp');
  assertKnownKeys(v, 'totp', ['secret', 'enabled', 'lastUsedStep']);
  return {
    secret: assertString(v.secret, 'totp.secret', FIELD_LIMITS.secret, 1),
    enabled: assertBoolean(v.enabled, 'totp.enabled'),
    lastUsedStep: v.lastUsedStep === null || v.lastUsedStep === undefined ? null : assertInt(v.lastUsedStep, 'totp.lastUsedStep', 0),
  };
}

function checkHashes(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > FIELD_LIMITS.maxRecoveryCodes) throw invalid('recoveryCodeHashes', 'must be an array of hashes');
  return value.map((h: unknown) => assertString(h, 'recoveryCodeHashes', FIELD_LIMITS.hash, 1));
}

/** An external identity (issuer, subject); `key` is one string naming both (for unique indexes). */
export function checkIdentity(value: unknown): { readonly issuer: string; readonly subject: string; readonly key: string } {
  const v = assertObject(value, 'identity');
  assertKnownKeys(v, 'identity', ['issuer', 'subject']);
  const issuer = assertString(v.issuer, 'identity.issuer', 512, 1);
  const subject = assertString(v.subject, 'identity.subject', 255, 1);
  return { issuer, subject, key: JSON.stringify([issuer, subject]) };
}

const DISABLED_REASON = /^[a-z_]{1,32}$/u;

export function checkNewUser(input: unknown) {
  const v = assertObject(input, 'user');
  assertKnownKeys(v, 'user', ['email', 'displayName', 'passwordHash', 'systemRole', 'disabled', 'identity']);
  const email = assertEmail(v.email);
  return {
    email,
    emailKey: normalizeEmail(email),
    displayName: assertString(v.displayName, 'displayName', FIELD_LIMITS.name),
    passwordHash: assertString(v.passwordHash, 'passwordHash', FIELD_LIMITS.hash, 1),
    systemRole: assertOneOf<SystemRole>(v.systemRole, 'systemRole', SYSTEM_ROLES),
    disabled: v.disabled === undefined ? false : assertBoolean(v.disabled, 'disabled'),
    identity: v.identity === undefined ? null : checkIdentity(v.identity),
  };
}

export interface CheckedUserPatch {
  email?: string;
  emailKey?: string;
  displayName?: string;
  passwordHash?: string;
  /** Epoch ms. */
  passwordChangedAt?: number;
  systemRole?: SystemRole;
  disabled?: boolean;
  /** Set whenever `disabled` is: `null` when enabling or when no reason was given. */
  disabledReason?: string | null;
  totp?: CheckedTotp | null;
  recoveryCodeHashes?: string[];
}

export function checkUserPatch(patch: unknown): CheckedUserPatch {
  const v = assertObject(patch, 'patch');
  assertKnownKeys(v, 'patch', ['email', 'displayName', 'passwordHash', 'passwordChangedAt', 'systemRole', 'disabled', 'disabledReason', 'totp', 'recoveryCodeHashes']);
  const out: CheckedUserPatch = {};
  if (v.email !== undefined) {
    out.email = assertEmail(v.email);
    out.emailKey = normalizeEmail(out.email);
  }
  if (v.displayName !== undefined) out.displayName = assertString(v.displayName, 'displayName', FIELD_LIMITS.name);
  if (v.passwordHash !== undefined) out.passwordHash = assertString(v.passwordHash, 'passwordHash', FIELD_LIMITS.hash, 1);
  if (v.systemRole !== undefined) out.systemRole = assertOneOf<SystemRole>(v.systemRole, 'systemRole', SYSTEM_ROLES);
  if (v.passwordChangedAt !== undefined) out.passwordChangedAt = assertDate(v.passwordChangedAt, 'passwordChangedAt');
  if (v.disabled !== undefined) {
    out.disabled = assertBoolean(v.disabled, 'disabled');
    const reason = v.disabledReason === undefined || v.disabledReason === null ? null : assertString(v.disabledReason, 'disabledReason', 32, 1);
    if (reason !== null && (!DISABLED_REASON.test(reason) || !out.disabled)) throw invalid('disabledReason', 'a reason ([a-z_]) goes only with disabled: true');
    out.disabledReason = out.disabled ? reason : null;
  } else if (v.disabledReason !== undefined) {
    throw invalid('disabledReason', 'goes only with disabled');
  }
  if (v.totp !== undefined) out.totp = checkTotp(v.totp);
  if (v.recoveryCodeHashes !== undefined) out.recoveryCodeHashes = checkHashes(v.recoveryCodeHashes);
  return out;
}

/** The expected version of an optimistic update. */
export function checkVersion(value: unknown): number {
  return assertInt(value, 'expectedVersion', 1);
}

// ---------------------------------------------------------------- sessions

export function checkNewSession(input: unknown) {
  const v = assertObject(input, 'session');
  assertKnownKeys(v, 'session', ['userId', 'absoluteExpiresAt', 'idleExpiresAt', 'userAgent', 'ip', 'mfaPending', 'passwordChangeRequired']);
  const absoluteExpiresAt = assertDate(v.absoluteExpiresAt, 'absoluteExpiresAt');
  return {
    userId: assertId(v.userId, 'userId'),
    absoluteExpiresAt,
    idleExpiresAt: Math.min(assertDate(v.idleExpiresAt, 'idleExpiresAt'), absoluteExpiresAt),
    userAgent: assertOptionalString(v.userAgent, 'userAgent', FIELD_LIMITS.userAgent),
    ip: assertOptionalString(v.ip, 'ip', FIELD_LIMITS.ip),
    mfaPending: v.mfaPending === undefined ? false : assertBoolean(v.mfaPending, 'mfaPending'),
    passwordChangeRequired: v.passwordChangeRequired === undefined ? false : assertBoolean(v.passwordChangeRequired, 'passwordChangeRequired'),
  };
}

export function checkReason(value: unknown): string {
  return assertString(value, 'reason', FIELD_LIMITS.reason, 1);
}

export function checkTokenHash(value: unknown, field = 'tokenHash'): string {
  return assertString(value, field, FIELD_LIMITS.hash, 1);
}

export function checkNewRefreshToken(input: unknown) {
  const v = assertObject(input, 'refreshToken');
  assertKnownKeys(v, 'refreshToken', ['tokenHash', 'sessionId', 'familyId', 'expiresAt']);
  const sessionId = assertId(v.sessionId, 'sessionId');
  return {
    tokenHash: checkTokenHash(v.tokenHash),
    sessionId,
    familyId: v.familyId === undefined ? sessionId : assertId(v.familyId, 'familyId'),
    expiresAt: assertDate(v.expiresAt, 'expiresAt'),
  };
}

export function checkRotateInput(input: unknown) {
  const v = assertObject(input, 'next');
  assertKnownKeys(v, 'next', ['tokenHash', 'expiresAt', 'idleExpiresAt']);
  return {
    tokenHash: checkTokenHash(v.tokenHash, 'next.tokenHash'),
    expiresAt: assertDate(v.expiresAt, 'next.expiresAt'),
    idleExpiresAt: v.idleExpiresAt === undefined ? null : assertDate(v.idleExpiresAt, 'next.idleExpiresAt'),
  };
}

export function checkRevokeAllOptions(options: unknown): { exceptSessionId: string | null } {
  if (options === undefined) return { exceptSessionId: null };
  const v = assertObject(options, 'options');
  assertKnownKeys(v, 'options', ['exceptSessionId']);
  return { exceptSessionId: v.exceptSessionId === undefined ? null : assertId(v.exceptSessionId, 'exceptSessionId') };
}

// ---------------------------------------------------------------- API keys

export function checkNewApiKey(input: unknown) {
  const v = assertObject(input, 'apiKey');
  assertKnownKeys(v, 'apiKey', ['userId', 'name', 'prefix', 'hash', 'expiresAt']);
  return {
    userId: assertId(v.userId, 'userId'),
    name: assertString(v.name, 'name', FIELD_LIMITS.name, 1),
    prefix: assertString(v.prefix, 'prefix', FIELD_LIMITS.name, 1),
    hash: assertString(v.hash, 'hash', FIELD_LIMITS.hash, 1),
    expiresAt: assertOptionalDate(v.expiresAt, 'expiresAt'),
  };
}

// ---------------------------------------------------------------- groups, projects, grants

export function checkName(value: unknown, field = 'name'): string {
  return assertString(value, field, FIELD_LIMITS.name, 1);
}

export function checkNewGroup(input: unknown) {
  const v = assertObject(input, 'group');
  assertKnownKeys(v, 'group', ['name', 'memberIds']);
  let memberIds: string[] = [];
  if (v.memberIds !== undefined) {
    if (!Array.isArray(v.memberIds) || v.memberIds.length > FIELD_LIMITS.maxGroupMembers) throw invalid('memberIds', 'must be an array of user ids');
    memberIds = [...new Set(v.memberIds.map((m: unknown) => assertId(m, 'memberIds')))].sort();
  }
  return { name: checkName(v.name), memberIds };
}

export function checkNewProject(input: unknown) {
  const v = assertObject(input, 'project');
  assertKnownKeys(v, 'project', ['name', 'description', 'createdBy']);
  return {
    name: checkName(v.name),
    description: v.description === undefined ? '' : assertString(v.description, 'description', FIELD_LIMITS.description),
    createdBy: assertId(v.createdBy, 'createdBy'),
  };
}

export function checkProjectPatch(patch: unknown): { name?: string; description?: string } {
  const v = assertObject(patch, 'patch');
  assertKnownKeys(v, 'patch', ['name', 'description']);
  const out: { name?: string; description?: string } = {};
  if (v.name !== undefined) out.name = checkName(v.name);
  if (v.description !== undefined) out.description = assertString(v.description, 'description', FIELD_LIMITS.description);
  return out;
}

export function checkRole(value: unknown): ProjectRole {
  return assertOneOf<ProjectRole>(value, 'role', PROJECT_ROLES);
}

/** `kind:id`, the one-string form of a principal used in indexes. */
export function principalKey(p: Principal): string {
  return `${p.kind}:${p.id}`;
}

export function checkPrincipals(value: unknown): Principal[] {
  if (!Array.isArray(value) || value.length > FIELD_LIMITS.maxPrincipals) throw invalid('principals', `must be an array of at most ${FIELD_LIMITS.maxPrincipals} principals`);
  return value.map((p: unknown, i) => {
    const o = assertObject(p, `principals[${i}]`);
    return { kind: assertOneOf(o.kind, `principals[${i}].kind`, ['user', 'group'] as const), id: assertId(o.id, `principals[${i}].id`) };
  });
}

// ---------------------------------------------------------------- dashboards and charts

export function checkNewDashboard(input: unknown) {
  const v = assertObject(input, 'dashboard');
  assertKnownKeys(v, 'dashboard', ['projectId', 'name', 'layout']);
  return {
    projectId: assertId(v.projectId, 'projectId'),
    name: checkName(v.name),
    layout: serializeJson(v.layout === undefined ? [] : v.layout, 'layout', FIELD_LIMITS.layoutBytes),
  };
}

export function checkDashboardPatch(patch: unknown): { name?: string; layout?: string } {
  const v = assertObject(patch, 'patch');
  assertKnownKeys(v, 'patch', ['name', 'layout']);
  const out: { name?: string; layout?: string } = {};
  if (v.name !== undefined) out.name = checkName(v.name);
  if (v.layout !== undefined) out.layout = serializeJson(v.layout, 'layout', FIELD_LIMITS.layoutBytes);
  return out;
}

export function checkNewChart(input: unknown) {
  const v = assertObject(input, 'chart');
  assertKnownKeys(v, 'chart', ['dashboardId', 'title', 'code', 'lang', 'datasetId', 'diagnostics', 'codeHash']);
  return {
    dashboardId: assertId(v.dashboardId, 'dashboardId'),
    title: assertString(v.title, 'title', FIELD_LIMITS.name),
    code: assertString(v.code, 'code', FIELD_LIMITS.code),
    lang: assertOneOf<ChartLang>(v.lang, 'lang', CHART_LANGS),
    datasetId: v.datasetId === undefined || v.datasetId === null ? null : assertId(v.datasetId, 'datasetId'),
    diagnostics: serializeJson(v.diagnostics === undefined ? [] : v.diagnostics, 'diagnostics', FIELD_LIMITS.diagnosticsBytes),
    codeHash: assertString(v.codeHash, 'codeHash', FIELD_LIMITS.hash, 1),
  };
}

export interface CheckedChartPatch {
  title?: string;
  code?: string;
  lang?: ChartLang;
  datasetId?: string | null;
  diagnostics?: string;
  codeHash?: string;
}

export function checkChartPatch(patch: unknown): CheckedChartPatch {
  const v = assertObject(patch, 'patch');
  assertKnownKeys(v, 'patch', ['title', 'code', 'lang', 'datasetId', 'diagnostics', 'codeHash']);
  const out: CheckedChartPatch = {};
  if (v.title !== undefined) out.title = assertString(v.title, 'title', FIELD_LIMITS.name);
  if (v.code !== undefined) out.code = assertString(v.code, 'code', FIELD_LIMITS.code);
  if (v.lang !== undefined) out.lang = assertOneOf<ChartLang>(v.lang, 'lang', CHART_LANGS);
  if (v.datasetId !== undefined) out.datasetId = v.datasetId === null ? null : assertId(v.datasetId, 'datasetId');
  if (v.diagnostics !== undefined) out.diagnostics = serializeJson(v.diagnostics, 'diagnostics', FIELD_LIMITS.diagnosticsBytes);
  if (v.codeHash !== undefined) out.codeHash = assertString(v.codeHash, 'codeHash', FIELD_LIMITS.hash, 1);
  return out;
}

// ---------------------------------------------------------------- datasets

export function checkNewDataset(input: unknown) {
  const v = assertObject(input, 'dataset');
  assertKnownKeys(v, 'dataset', ['projectId', 'name']);
  return { projectId: assertId(v.projectId, 'projectId'), name: checkName(v.name) };
}

export function checkNewDatasetWithVersion(input: unknown) {
  const v = assertObject(input, 'dataset');
  assertKnownKeys(v, 'dataset', ['projectId', 'name', 'version']);
  return { projectId: assertId(v.projectId, 'projectId'), name: checkName(v.name), version: checkNewDatasetVersion(v.version) };
}

export function checkNewDatasetVersion(input: unknown) {
  const v = assertObject(input, 'datasetVersion');
  assertKnownKeys(v, 'datasetVersion', ['sha256', 'blobKey', 'bytes', 'rowCount', 'schema', 'profile', 'createdBy']);
  return {
    sha256: assertString(v.sha256, 'sha256', FIELD_LIMITS.hash, 1),
    blobKey: assertString(v.blobKey, 'blobKey', FIELD_LIMITS.hash, 1),
    bytes: assertInt(v.bytes, 'bytes', 0),
    rowCount: assertInt(v.rowCount, 'rowCount', 0),
    schema: serializeJson(v.schema, 'schema', FIELD_LIMITS.schemaBytes),
    profile: serializeJson(v.profile, 'profile', FIELD_LIMITS.profileBytes),
    createdBy: assertId(v.createdBy, 'createdBy'),
  };
}

// ---------------------------------------------------------------- render cache

export function checkRenderCacheKey(key: unknown) {
  const v = assertObject(key, 'key');
  assertKnownKeys(v, 'key', ['codeHash', 'datasetVersionId', 'runtimeVersion']);
  return {
    codeHash: assertString(v.codeHash, 'key.codeHash', FIELD_LIMITS.hash, 1),
    datasetVersionId: assertId(v.datasetVersionId, 'key.datasetVersionId'),
    runtimeVersion: assertString(v.runtimeVersion, 'key.runtimeVersion', FIELD_LIMITS.name, 1),
  };
}

export function checkRenderValue(value: unknown): { figure: string | null; blobKey: string | null } {
  const v = assertObject(value, 'value');
  assertKnownKeys(v, 'value', ['figure', 'blobKey']);
  if (v.figure !== undefined && v.blobKey === undefined) return { figure: serializeJson(v.figure, 'figure', FIELD_LIMITS.figureBytes), blobKey: null };
  if (v.blobKey !== undefined && v.figure === undefined) return { figure: null, blobKey: assertString(v.blobKey, 'blobKey', FIELD_LIMITS.hash, 1) };
  throw invalid('value', 'must be { figure } or { blobKey }');
}

/** Options of the render cache bounds, checked at the adapter factory. */
export function checkRenderCacheOptions(value: unknown): { ttlMs: number; maxEntries: number } {
  const v = value === undefined ? {} : assertObject(value, 'renderCache');
  return {
    ttlMs: v.ttlMs === undefined ? 7 * 24 * 60 * 60 * 1000 : assertInt(v.ttlMs, 'renderCache.ttlMs', 1),
    maxEntries: v.maxEntries === undefined ? 10_000 : assertInt(v.maxEntries, 'renderCache.maxEntries', 1),
  };
}

// ---------------------------------------------------------------- audit

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
  return {
    actorKind: assertOneOf<ActorKind>(actor.kind, 'actor.kind', ACTOR_KINDS),
    actorUserId: actor.userId === null || actor.userId === undefined ? null : assertId(actor.userId, 'actor.userId'),
    actorApiKey: apiKey,
    ip: assertOptionalString(v.ip, 'ip', FIELD_LIMITS.ip),
    action: checkAction(v.action),
    target,
    outcome: assertOneOf<AuditOutcome>(v.outcome, 'outcome', AUDIT_OUTCOMES),
    requestId: assertOptionalString(v.requestId, 'requestId', FIELD_LIMITS.name),
    details: serializeJsonObject(v.details === undefined ? {} : v.details, 'details', MAX_AUDIT_DETAILS_BYTES),
  };
}

export function checkAuditFilter(filter: unknown) {
  const v = assertObject(filter, 'filter');
  assertKnownKeys(v, 'filter', ['action', 'actorUserId', 'targetType', 'outcome', 'since', 'until', 'excludeCached', 'newestFirst']);
  return {
    excludeCached: v.excludeCached === undefined ? false : assertBoolean(v.excludeCached, 'excludeCached'),
    newestFirst: v.newestFirst === undefined ? false : assertBoolean(v.newestFirst, 'newestFirst'),
    action: v.action === undefined ? null : checkAction(v.action),
    actorUserId: v.actorUserId === undefined ? null : assertId(v.actorUserId, 'actorUserId'),
    targetType: v.targetType === undefined ? null : checkAction(v.targetType, 'targetType'),
    outcome: v.outcome === undefined ? null : assertOneOf<AuditOutcome>(v.outcome, 'outcome', AUDIT_OUTCOMES),
    since: v.since === undefined ? null : assertDate(v.since, 'since'),
    until: v.until === undefined ? null : assertDate(v.until, 'until'),
  };
}

/** A prefix search (users, groups): prefix 1..100 characters, limit 1..{@link MAX_SEARCH_LIMIT}. */
export function checkSearch(query: unknown, allowed: readonly string[] = ['prefix', 'limit']) {
  const v = assertObject(query, 'query');
  assertKnownKeys(v, 'query', allowed);
  return {
    prefix: assertString(v.prefix, 'prefix', 100, 1),
    limit: assertInt(v.limit, 'limit', 1, MAX_SEARCH_LIMIT),
    enabledOnly: v.enabledOnly === undefined ? false : assertBoolean(v.enabledOnly, 'enabledOnly'),
  };
}

/** `prefix` as a LIKE pattern's literal part: `%`, `_` and the escape character match themselves (`ESCAPE '\\'`). */
export function likeLiteral(prefix: string): string {
  return prefix.replace(/[\\%_]/gu, (c) => `\\${c}`);
}

// ---------------------------------------------------------------- counters

export function checkCounterKey(value: unknown, field = 'key'): string {
  return assertString(value, field, FIELD_LIMITS.counterKey, 1);
}

export function checkWindowMs(value: unknown): number {
  return assertInt(value, 'windowMs', 1);
}

// ---------------------------------------------------------------- settings

const SETTING_KEY = /^[A-Za-z0-9._:-]{1,200}$/u;
/** The largest setting value, JSON bytes. */
export const MAX_SETTING_BYTES = 64 * 1024;

export function checkSettingKey(value: unknown): string {
  const key = assertString(value, 'key', 200, 1);
  if (!SETTING_KEY.test(key)) throw invalid('key', 'must match [A-Za-z0-9._:-]{1,200}');
  return key;
}

/** A setting's value and expiry: the value serialized, the expiry as epoch ms or `null`. */
export function checkSettingInput(value: unknown, options: unknown): { readonly value: string; readonly expiresAt: number | null } {
  const o = options === undefined ? {} : assertObject(options, 'options');
  assertKnownKeys(o, 'options', ['expiresAt']);
  const expiresAt = o.expiresAt === undefined || o.expiresAt === null ? null : assertDate(o.expiresAt, 'expiresAt');
  return { value: serializeJson(value, 'value', MAX_SETTING_BYTES), expiresAt };
}
