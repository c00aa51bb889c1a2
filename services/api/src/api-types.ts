/**
 * The API's response bodies as types, shared with the web UI (`services/api/web` imports this file
 * type-only; esbuild drops the import). Plain JSON shapes: instants are ISO strings, ids opaque
 * strings. No imports, so the browser build needs nothing of the server. `views.ts` builds these
 * from store records; the OpenAPI document describes the routes.
 */

export type SystemRoleName = 'admin' | 'user' | 'viewer';
export type ProjectRoleName = 'viewer' | 'editor' | 'owner';
export type PrincipalKindName = 'user' | 'group';
export type CodeLangName = 'js' | 'ts';
/** The Code Mode runtimes (the sandbox protocol's `RUNTIMES`; views.ts checks they agree). */
export type RuntimeNameView = 'arquero' | 'danfo';

/** `{ items, nextCursor }`, the shape of every list. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** The JSON error body's `error`. */
export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly requestId?: string;
  readonly line?: number;
  readonly column?: number;
  readonly limit?: { readonly name: string; readonly value: number };
  readonly diagnostics?: readonly DiagnosticView[];
  readonly path?: string;
  readonly [key: string]: unknown;
}

/** A finding of the code check, at a 1-based line and column. */
export interface DiagnosticView {
  readonly rule: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

// ------------------------------------------------------------------------------ users, sessions

/** A user as anyone entitled to see them sees them: no hash, no TOTP secret, no recovery codes. */
export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly systemRole: SystemRoleName;
  readonly disabled: boolean;
  readonly totpEnabled: boolean;
  readonly recoveryCodesLeft: number;
  readonly createdAt: string;
  /** `false`: the account signs in only through single sign-on. */
  readonly hasPassword: boolean;
  readonly passwordChangedAt: string | null;
  readonly lastActiveAt: string;
  /** `inactive`: disabled by the inactivity sweep; `null`: by an administrator (or enabled). */
  readonly disabledReason: string | null;
}

/** When a session's access token and the session itself expire. */
export interface SessionTimes {
  readonly id: string;
  readonly accessExpiresAt: string;
  /** Seconds from now, since a browser's clock may be off (the web UI schedules its refresh by it). */
  readonly accessExpiresInSec: number;
  readonly absoluteExpiresAt: string;
}

/** `GET /api/me`. */
export interface MeAnswer {
  readonly user: UserView;
  readonly auth: ({ readonly kind: 'session'; readonly sessionId: string } & SessionTimes) | { readonly kind: 'api_key'; readonly apiKeyId: string };
  readonly mfaEnrolmentRequired: boolean;
  /** Signed in with an expired password: only changing it works (`AUTH_PASSWORD_EXPIRED` elsewhere). */
  readonly passwordChangeRequired: boolean;
}

/** `POST /api/auth/login`. */
export interface LoginAnswer {
  readonly user: UserView;
  readonly session: SessionTimes;
  readonly mfaEnrolmentRequired: boolean;
  readonly passwordChangeRequired: boolean;
}

/** `GET /api/auth/options`: what the sign-in page may offer. */
export interface AuthOptions {
  readonly localLogin: boolean;
  readonly sso: { readonly name: string; readonly startUrl: string } | null;
}

/** One of my live sessions. */
export interface SessionListItem {
  readonly id: string;
  readonly current: boolean;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly idleExpiresAt: string;
  readonly absoluteExpiresAt: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/** An API key as listed (the key itself is shown once, at creation). */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** A group as system admins see it. */
export interface GroupView {
  readonly id: string;
  readonly name: string;
  readonly memberIds: readonly string[];
  readonly memberCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

// ------------------------------------------------------------------------------ projects, members

export interface ProjectView {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** A project grant with the principal's name (owners and admins see the member list, SPEC §3.7). */
export interface MemberView {
  readonly principal: { readonly kind: PrincipalKindName; readonly id: string };
  readonly role: ProjectRoleName;
  readonly name: string | null;
  /** Users only. */
  readonly email?: string | null;
  readonly disabled?: boolean | null;
  /** Groups only: how many members. */
  readonly members?: number;
}

/** `GET /api/projects/:projectId/people`: people and groups to add as members. */
export interface PeopleAnswer {
  readonly users: readonly { readonly id: string; readonly displayName: string; readonly email: string }[];
  readonly groups: readonly { readonly id: string; readonly name: string; readonly members: number }[];
}

/** A dashboard-level grant (a role raised on one dashboard). */
export interface DashboardGrantView {
  readonly principal: { readonly kind: PrincipalKindName; readonly id: string };
  readonly role: ProjectRoleName;
  readonly name: string | null;
  readonly updatedAt: string;
}

// ------------------------------------------------------------------------------ dashboards, charts

export interface DashboardView {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** A chart as listed on its dashboard: everything but the code. */
export interface ChartSummary {
  readonly id: string;
  readonly title: string;
  readonly lang: CodeLangName;
  /** The runtime the chart's code runs on: `arquero` (the default) or `danfo`. */
  readonly runtime: RuntimeNameView;
  readonly datasetId: string | null;
  /** The code check's findings when the code was saved (`[]`: none). */
  readonly diagnostics: readonly DiagnosticView[] | null;
  readonly codeHash: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** A chart with its code. */
export interface ChartView extends ChartSummary {
  readonly projectId: string;
  readonly dashboardId: string;
  readonly code: string;
  readonly createdAt: string;
}

/** A dashboard with its charts in layout order. */
export interface DashboardDetail extends DashboardView {
  readonly layout: readonly string[];
  readonly charts: readonly ChartSummary[];
}

/** `POST .../render` and `.../preview`: the figure (Plotly JSON), whether it came from the cache, the run's stats. */
export interface RenderAnswer {
  readonly figure: { readonly data?: unknown; readonly layout?: unknown };
  readonly cached: boolean;
  readonly stats: { readonly durationMs?: number; readonly rows?: number; readonly outputBytes?: number; readonly [key: string]: unknown } | null;
  readonly datasetVersionId: string;
}

// ------------------------------------------------------------------------------ datasets

/** A column's name and type (`number`, `int`, `string`, `date`, `bool`). */
export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
}

/** A version's schema as recorded at upload. */
export interface DatasetSchemaView {
  readonly columns?: readonly ColumnInfo[];
}

/** One column's profile: counts, nulls, min/max (dates as ISO strings), distinct strings. */
export interface ColumnProfileView {
  readonly name: string;
  readonly type: string;
  readonly count: number;
  readonly nulls: number;
  readonly min: unknown;
  readonly max: unknown;
  readonly distinct?: number;
}

export interface DatasetProfileView {
  readonly rowCount?: number;
  readonly columns?: readonly ColumnProfileView[];
}

/** A dataset's metadata; `currentVersionId` is `null` only for a dataset created without data. */
export interface DatasetView {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly currentVersionId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** What a version is, without its profile. */
export interface VersionSummary {
  readonly id: string;
  readonly datasetId: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly rowCount: number;
  readonly schema: DatasetSchemaView | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** A version in a list, saying whether it is the current one. */
export interface VersionListItem extends VersionSummary {
  readonly current: boolean;
}

/** A version with its profile. */
export interface VersionView extends VersionListItem {
  readonly profile: DatasetProfileView | null;
}

/** `GET /api/projects/:projectId/datasets/:datasetId`. */
export interface DatasetDetail {
  readonly dataset: DatasetView;
  readonly current: VersionSummary | null;
}

/** `GET .../versions/:versionId/preview`: the first rows as objects, long cells cut. */
export interface DatasetPreview {
  readonly versionId: string;
  readonly rowCount: number;
  readonly columns: readonly ColumnInfo[];
  readonly rows: readonly Record<string, unknown>[];
  /** Rows were left out to keep the answer small. */
  readonly truncated: boolean;
}

// ------------------------------------------------------------------------------ audit

export interface AuditEventView {
  readonly id: string;
  readonly at: string;
  readonly actor: { readonly kind: string; readonly userId: string | null; readonly apiKey?: { readonly id: string; readonly name: string } };
  readonly ip: string | null;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null } | null;
  readonly outcome: string;
  readonly requestId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** How an id in an audit event reads to a person: what it is and its name (and a user's email). */
export interface AuditName {
  readonly type: 'user' | 'group' | 'project' | 'dashboard' | 'chart' | 'dataset';
  readonly name: string;
  readonly email?: string;
}

/** `GET /api/audit`: a page of events and the names of the ids it mentions. */
export interface AuditPage extends Page<AuditEventView> {
  readonly names: Readonly<Record<string, AuditName>>;
}
