/** Users: accounts, TOTP enrolment, external identities, activity. */
import type { Page, PageRequest } from './common.ts';
import type { ProjectRole } from './projects.ts';

export const SYSTEM_ROLES = ['admin', 'user', 'viewer'] as const;
export type SystemRole = (typeof SYSTEM_ROLES)[number];

/** A user's TOTP enrolment. The secret is stored as given (the API layer may encrypt it). */
export interface TotpState {
  readonly secret: string;
  /** `false` while enrolling (secret issued, first code not yet confirmed). */
  readonly enabled: boolean;
  /** The last accepted time step; a code for this step or an earlier one is a replay. */
  readonly lastUsedStep: number | null;
}

export interface User {
  readonly id: string;
  /** As entered; uniqueness is case-insensitive (see {@link normalizeEmail}). */
  readonly email: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly systemRole: SystemRole;
  readonly disabled: boolean;
  readonly totp: TotpState | null;
  readonly recoveryCodeHashes: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Starts at 1, +1 on every {@link UserRepository.update}. */
  readonly version: number;
  /**
   * When the password was last set: at creation, then whenever an update says so (a password
   * change, not a rehash). Records from before it was kept read their last update time.
   */
  readonly passwordChangedAt: Date;
  /**
   * The last sign-in or use of the account ({@link UserRepository.markActive}); the creation time
   * until then. Records from before it was kept read their latest known activity.
   */
  readonly lastActiveAt: Date;
  /** Why a disabled account is disabled: `inactive` (the inactivity sweep), or `null` (an admin, or enabled). */
  readonly disabledReason: string | null;
}

/** An account at an external identity provider (OpenID Connect: the `iss` and `sub` claims). */
export interface ExternalIdentity {
  /** 1..512 characters. */
  readonly issuer: string;
  /** 1..255 characters. */
  readonly subject: string;
}

export interface NewUser {
  readonly email: string;
  readonly displayName: string;
  readonly passwordHash: string;
  readonly systemRole: SystemRole;
  readonly disabled?: boolean;
  /** Linked in the same atomic step (a first single sign-on). @throws `STORE_CONFLICT` `users.identity`. */
  readonly identity?: ExternalIdentity;
}

export interface UserPatch {
  readonly email?: string;
  readonly displayName?: string;
  readonly passwordHash?: string;
  /** Set with a new password (not with a rehash of the same one). */
  readonly passwordChangedAt?: Date;
  readonly systemRole?: SystemRole;
  /** Enabling clears `disabledReason`; disabling sets it to `disabledReason` (default `null`). */
  readonly disabled?: boolean;
  /** Only together with `disabled: true`: `[a-z_]{1,32}`. */
  readonly disabledReason?: string | null;
  readonly totp?: TotpState | null;
  readonly recoveryCodeHashes?: readonly string[];
}

export interface UserRepository {
  /** @throws `STORE_CONFLICT` `users.email` when the email is taken (case-insensitively). */
  create(input: NewUser): Promise<User>;
  findById(id: string): Promise<User | null>;
  /** Case-insensitive. */
  findByEmail(email: string): Promise<User | null>;
  list(page: PageRequest): Promise<Page<User>>;
  /**
   * Number of users, optionally of one system role (bootstrap: "is there an admin yet?") and only
   * the enabled or disabled ones (the inactivity sweep keeps the last enabled admin).
   */
  count(filter?: { readonly systemRole?: SystemRole; readonly disabled?: boolean }): Promise<number>;
  /**
   * Change fields if the stored version is still `expectedVersion`.
   * @throws `STORE_NOT_FOUND`, `STORE_VERSION_MISMATCH`, `STORE_CONFLICT` `users.email`.
   */
  update(id: string, expectedVersion: number, patch: UserPatch): Promise<User>;
  /**
   * Atomically record a TOTP time step as used: `true` if the user has TOTP and `step` is later
   * than `lastUsedStep` (which becomes `step`); `false` for a replay (or no TOTP). Race-safe: of
   * two concurrent calls with the same step exactly one gets `true`. Does not change `version`.
   */
  useTotpStep(id: string, step: number): Promise<boolean>;
  /**
   * Atomically remove one recovery code hash: `true` if it was present. Race-safe (a code works
   * once). Does not change `version`.
   */
  useRecoveryCode(id: string, codeHash: string): Promise<boolean>;
  /**
   * People finder: users whose email, or a word of whose display name, starts with `prefix`
   * (case-insensitive for ASCII; `%`, `_` and a backslash match themselves), ordered by display name
   * then id, at most `limit` (1..{@link MAX_SEARCH_LIMIT}); `enabledOnly` leaves out disabled users.
   */
  search(query: UserSearch): Promise<readonly User[]>;
  /** The user linked to an external identity, or `null`. */
  findByIdentity(identity: ExternalIdentity): Promise<User | null>;
  /**
   * Link an external identity to a user (idempotent for the same user).
   * @throws `STORE_NOT_FOUND` `user`, `STORE_CONFLICT` `users.identity` when another user holds it.
   */
  addIdentity(userId: string, identity: ExternalIdentity): Promise<void>;
  /** The identities linked to a user, oldest first. */
  listIdentities(userId: string): Promise<readonly ExternalIdentity[]>;
  /** Set `lastActiveAt` to now; `false` if missing. Does not change `version`. */
  markActive(id: string): Promise<boolean>;
  /**
   * Enabled users whose `lastActiveAt` is before `before`, least recently active first, at most
   * `limit` (1..{@link MAX_PAGE_LIMIT}): candidates for the inactivity sweep.
   */
  listInactive(before: Date, limit: number): Promise<readonly User[]>;
  /**
   * Disable the user with reason `inactive` if it is still enabled and still inactive since
   * `before` (one conditional write, +1 `version`): `true` when this call disabled it, so of
   * several replicas sweeping at once exactly one reports each account.
   */
  disableIfInactive(id: string, before: Date): Promise<boolean>;
  /**
   * The grants the user holds directly (not through groups), on projects and on dashboards: for a
   * personal-data export, and to know which projects an erasure must hand over first.
   */
  grantsHeld(userId: string): Promise<HeldGrants>;
  /**
   * Erase the user (the right to erasure): the account, its external identities, sessions and
   * refresh tokens, API keys, group memberships and direct project and dashboard grants are
   * deleted; wherever the user's id remains (audit events as actor, target or in their details,
   * projects' `createdBy`, dataset versions' `createdBy`) it is replaced by `pseudonym`, and the
   * client addresses of the events the user acted in are cleared. The audit log keeps its events:
   * this is the one change it accepts besides retention ({@link AuditLog.deleteBefore}).
   * SQLite does it in one transaction; MongoDB step by step, each step repeatable: an erasure cut
   * short is finished by calling again, and the pseudonym of the first call is kept.
   * `null` when there is no such user.
   * @throws `STORE_CONFLICT` `last_owner` (nothing changed) when the user is the only direct owner
   *   of a project: hand it to someone else or delete it first.
   */
  erase(userId: string, input: { readonly pseudonym: string }): Promise<ErasureResult | null>;
}

/** A pseudonym an erasure leaves in place of a user id: `erased-` and 8..64 of `[A-Za-z0-9_-]`. */
export const PSEUDONYM_PATTERN = /^erased-[A-Za-z0-9_-]{8,64}$/u;

/** A direct project grant held by a user. */
export interface HeldProjectGrant {
  readonly projectId: string;
  readonly role: ProjectRole;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A direct dashboard grant held by a user. */
export interface HeldDashboardGrant {
  readonly dashboardId: string;
  readonly projectId: string;
  readonly role: ProjectRole;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface HeldGrants {
  /** By project id. */
  readonly projects: readonly HeldProjectGrant[];
  /** By dashboard id. */
  readonly dashboards: readonly HeldDashboardGrant[];
}

/** What {@link UserRepository.erase} did. */
export interface ErasureResult {
  /** The pseudonym now standing for the user (the one given, or the one of an erasure cut short). */
  readonly pseudonym: string;
  readonly sessions: number;
  readonly apiKeys: number;
  readonly groups: number;
  readonly projectGrants: number;
  readonly dashboardGrants: number;
  /** Audit events rewritten (as actor, target or in their details). */
  readonly auditEvents: number;
}

/** The largest result of a prefix search (users, groups): a finder, not a directory. */
export const MAX_SEARCH_LIMIT = 50;

export interface UserSearch {
  /** 1..100 characters. */
  readonly prefix: string;
  readonly limit: number;
  readonly enabledOnly?: boolean;
}
