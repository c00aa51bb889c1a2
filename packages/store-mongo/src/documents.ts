/**
 * The documents the MongoDB store keeps, one interface per collection (see `indexes.ts` for the
 * collections and their indexes). JSON-valued fields are strings, so keys like `$where` inside them
 * are inert data.
 */
import type { ActorKind, AuditOutcome, ChartLang, ChartRuntime, PrincipalKind, ProjectRole, SystemRole } from '@plotbox/store';

export interface UserDoc {
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
  /** Set by an erasure in progress (the pseudonym it uses), so a repeated call keeps it. */
  erasurePseudonym?: string;
}
export interface SessionDoc {
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
export interface RefreshTokenDoc {
  _id: string;
  sessionId: string;
  familyId: string;
  createdAt: Date;
  usedAt: Date | null;
  expiresAt: Date;
}
export interface ApiKeyDoc {
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
export interface GroupDoc {
  _id: string;
  name: string;
  memberIds: string[];
  createdAt: Date;
  updatedAt: Date;
}
export interface GrantDoc {
  kind: PrincipalKind;
  id: string;
  role: ProjectRole;
  createdAt: Date;
  updatedAt: Date;
}
/**
 * A document that holds grants. They are embedded so that a rule over all of them (the owner
 * invariant) and the change are one single-document compare-and-set.
 */
export interface GrantHolderDoc {
  _id: string;
  grants: GrantDoc[];
  /** `kind:id` of every grant, for indexed "projects of these principals". */
  grantKeys: string[];
  /** Bumped on every grant change: the compare-and-set guard. */
  grantsRev: number;
}
export interface ProjectDoc extends GrantHolderDoc {
  name: string;
  description: string;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}
export interface DashboardDoc extends GrantHolderDoc {
  projectId: string;
  name: string;
  layout: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}
export interface ChartDoc {
  _id: string;
  projectId: string;
  dashboardId: string;
  title: string;
  code: string;
  lang: ChartLang;
  /** Absent on charts stored before charts had a runtime: those run on arquero. */
  runtime?: ChartRuntime;
  datasetId: string | null;
  diagnostics: string;
  codeHash: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}
export interface DatasetDoc {
  _id: string;
  projectId: string;
  name: string;
  currentVersionId: string | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}
export interface DatasetVersionDoc {
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
export interface RenderCacheDoc {
  _id: string;
  codeHash: string;
  datasetVersionId: string;
  runtimeVersion: string;
  figure: string | null;
  blobKey: string | null;
  createdAt: Date;
  expiresAt: Date;
}
export interface AuditDoc {
  _id: string;
  at: Date;
  actor: { kind: ActorKind; userId: string | null; apiKey?: { id: string; name: string } };
  ip: string | null;
  action: string;
  target: { type: string; id: string | null } | null;
  outcome: AuditOutcome;
  requestId: string | null;
  details: string;
  /**
   * Present (`true`) when the details say `cached: true`, so `excludeCached` is an indexable field
   * condition (the details are a string). Events written before it was kept lack it and are never
   * left out.
   */
  cached?: true;
}
export interface SettingDoc {
  _id: string;
  value: string;
  updatedAt: Date;
  expiresAt: Date | null;
}
export interface RateWindowDoc {
  _id: string;
  count: number;
  resetAt: Date;
}
export interface LoginFailureDoc {
  _id: string;
  failures: number;
  lastFailureAt: Date;
  lockedUntil: Date | null;
  expiresAt: Date;
  rev: number;
}
