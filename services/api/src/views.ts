/**
 * Store records as the API shows them: the response types of `api-types.ts` (shared with the web
 * UI) built from the store's records. Never a password hash, TOTP secret, key hash or blob key.
 */
import { hasLocalPassword } from '@plotbox/auth';
import type { ApiKey, AuditEvent, Chart, Dashboard, Dataset, DatasetVersion, Group, Page, Project, User } from '@plotbox/store';
import type {
  ApiKeyView,
  AuditEventView,
  ChartSummary,
  ChartView,
  DashboardDetail,
  DashboardView,
  DatasetProfileView,
  DatasetSchemaView,
  DatasetView,
  DiagnosticView,
  GroupView,
  ProjectView,
  SessionTimes,
  UserView,
  VersionListItem,
  VersionSummary,
  VersionView,
  Page as PageView,
} from './api-types.ts';

/** `{ items, nextCursor }`, the shape of every list. */
export function pageOf<T, V>(page: Page<T>, view: (item: T) => V): PageView<V> {
  return { items: page.items.map(view), nextCursor: page.nextCursor ?? null };
}

/** The public view of a user: no hash, no TOTP secret, no recovery codes. */
export function publicUser(user: User): UserView {
  const local = hasLocalPassword(user.passwordHash);
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    systemRole: user.systemRole,
    disabled: user.disabled,
    totpEnabled: user.totp?.enabled === true,
    recoveryCodesLeft: user.totp?.enabled === true ? user.recoveryCodeHashes.length : 0,
    createdAt: user.createdAt.toISOString(),
    hasPassword: local,
    passwordChangedAt: local ? user.passwordChangedAt.toISOString() : null,
    lastActiveAt: user.lastActiveAt.toISOString(),
    disabledReason: user.disabled ? user.disabledReason : null,
  };
}

/**
 * What a client learns of its session: the access token's expiry as an instant and, because a
 * browser's clock may be off, as seconds from now (what the web UI schedules its refresh by).
 */
export function sessionView(id: string, accessExpiresAt: number, absoluteExpiresAt: Date, now: number): SessionTimes {
  return {
    id,
    accessExpiresAt: new Date(accessExpiresAt).toISOString(),
    accessExpiresInSec: Math.max(0, Math.floor((accessExpiresAt - now) / 1000)),
    absoluteExpiresAt: absoluteExpiresAt.toISOString(),
  };
}

export function apiKeyView(k: ApiKey): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: `pbx_${k.prefix}`,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

export function groupView(g: Group): GroupView {
  return { id: g.id, name: g.name, memberIds: g.memberIds, memberCount: g.memberIds.length, createdAt: g.createdAt.toISOString(), updatedAt: g.updatedAt.toISOString() };
}

export function projectView(p: Project): ProjectView {
  return { id: p.id, name: p.name, description: p.description, createdBy: p.createdBy, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(), version: p.version };
}

export function dashboardView(d: Dashboard): DashboardView {
  return { id: d.id, projectId: d.projectId, name: d.name, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(), version: d.version };
}

/** A chart as listed on its dashboard: everything but the code. */
export function chartSummary(c: Chart): ChartSummary {
  return {
    id: c.id,
    title: c.title,
    lang: c.lang,
    runtime: c.runtime,
    datasetId: c.datasetId,
    // Written by the API as diagnostic views (use-cases/code-review.ts).
    diagnostics: c.diagnostics as readonly DiagnosticView[] | null,
    codeHash: c.codeHash,
    updatedAt: c.updatedAt.toISOString(),
    version: c.version,
  };
}

export function chartView(c: Chart): ChartView {
  return { ...chartSummary(c), projectId: c.projectId, dashboardId: c.dashboardId, code: c.code, createdAt: c.createdAt.toISOString() };
}

/** The chart ids a stored layout names (anything else in it is ignored). */
function layoutIds(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * A dashboard with its charts in the order they are shown: the stored layout's ids that are still
 * charts of the dashboard, then charts it does not name yet (new ones), oldest first. Deleting a
 * chart needs no layout write.
 */
export function dashboardDetail(d: Dashboard, charts: readonly Chart[]): DashboardDetail {
  const ids = new Set(charts.map((c) => c.id));
  const ordered = [...new Set(layoutIds(d.layout))].filter((id) => ids.has(id));
  const named = new Set(ordered);
  const layout = [...ordered, ...charts.filter((c) => !named.has(c.id)).map((c) => c.id)];
  const byId = new Map(charts.map((c) => [c.id, c]));
  return {
    ...dashboardView(d),
    layout,
    charts: layout.flatMap((id) => {
      const chart = byId.get(id);
      return chart === undefined ? [] : [chartSummary(chart)];
    }),
  };
}

/** A dataset's metadata. */
export function datasetView(d: Dataset): DatasetView {
  return { id: d.id, projectId: d.projectId, name: d.name, currentVersionId: d.currentVersionId, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString(), version: d.version };
}

/** What a version is, without its profile (lists and the dataset's `current`). */
export function versionSummary(v: DatasetVersion): VersionSummary {
  // Schema and profile are written by the API at upload (dataset-shape.ts).
  return {
    id: v.id,
    datasetId: v.datasetId,
    sha256: v.sha256,
    bytes: v.bytes,
    rowCount: v.rowCount,
    schema: v.schema as DatasetSchemaView | null,
    createdAt: v.createdAt.toISOString(),
    createdBy: v.createdBy,
  };
}

/** A version in a list: `current` says whether the dataset points at it. */
export function versionListItem(v: DatasetVersion, dataset: Dataset): VersionListItem {
  return { ...versionSummary(v), current: dataset.currentVersionId === v.id };
}

/** A version with its profile. */
export function versionView(v: DatasetVersion, dataset: Dataset): VersionView {
  return { ...versionListItem(v, dataset), profile: v.profile as DatasetProfileView | null };
}

/** The JSON form of an audit event (the same shape `plotbox audit --json` prints). */
export function auditEventView(e: AuditEvent): AuditEventView {
  return { id: e.id, at: e.at.toISOString(), actor: e.actor, ip: e.ip, action: e.action, target: e.target, outcome: e.outcome, requestId: e.requestId, details: e.details };
}
