/** Input checks of the users repository. */
import { invalid } from '../store-error.ts';
import { MAX_PAGE_LIMIT, PSEUDONYM_PATTERN, SYSTEM_ROLES } from '../ports.ts';
import type { SystemRole, UserRepository } from '../ports.ts';
import type { InputChecks } from '../repository.ts';
import { checkPage } from '../cursor.ts';
import { assertBoolean, assertDate, assertEmail, assertId, assertInt, assertKnownKeys, assertObject, assertOneOf, assertString, normalizeEmail } from '../validate.ts';
import { FIELD_LIMITS, checkId, checkTokenHash, checkUpdate } from './common.ts';
import { checkSearch } from './search.ts';

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

/** `count`'s filter: each part `null` when not asked for. */
function checkUserCountFilter(filter: unknown): { readonly systemRole: SystemRole | null; readonly disabled: boolean | null } {
  const f = filter === undefined ? {} : assertObject(filter, 'filter');
  assertKnownKeys(f, 'filter', ['systemRole', 'disabled']);
  return {
    systemRole: f.systemRole === undefined ? null : assertOneOf<SystemRole>(f.systemRole, 'systemRole', SYSTEM_ROLES),
    disabled: f.disabled === undefined ? null : assertBoolean(f.disabled, 'disabled'),
  };
}

/** The input check of every {@link UserRepository} operation; times as epoch ms. */
export const USER_INPUTS = {
  create: (input: unknown) => checkNewUser(input),
  findById: (id: unknown) => checkId(id),
  /** The normalized email: lookups are case-insensitive. */
  findByEmail: (email: unknown) => normalizeEmail(assertEmail(email)),
  list: (page: unknown) => checkPage(page, 'users'),
  count: (filter?: unknown) => checkUserCountFilter(filter),
  update: (id: unknown, expectedVersion: unknown, patch: unknown) => checkUpdate(id, expectedVersion, patch, checkUserPatch),
  useTotpStep: (id: unknown, step: unknown) => ({ id: checkId(id), step: assertInt(step, 'step', 0) }),
  useRecoveryCode: (id: unknown, codeHash: unknown) => ({ id: checkId(id), codeHash: checkTokenHash(codeHash, 'codeHash') }),
  search: (query: unknown) => checkSearch(query, ['prefix', 'limit', 'enabledOnly']),
  findByIdentity: (identity: unknown) => checkIdentity(identity),
  addIdentity: (userId: unknown, identity: unknown) => ({ userId: assertId(userId, 'userId'), identity: checkIdentity(identity) }),
  listIdentities: (userId: unknown) => assertId(userId, 'userId'),
  markActive: (id: unknown) => checkId(id),
  listInactive: (before: unknown, limit: unknown) => ({ before: assertDate(before, 'before'), limit: assertInt(limit, 'limit', 1, MAX_PAGE_LIMIT) }),
  disableIfInactive: (id: unknown, before: unknown) => ({ id: checkId(id), before: assertDate(before, 'before') }),
  grantsHeld: (userId: unknown) => assertId(userId, 'userId'),
  erase: (userId: unknown, input: unknown) => ({ userId: assertId(userId, 'userId'), pseudonym: checkPseudonym(input) }),
} satisfies InputChecks<UserRepository>;

/** `erase`'s input: the pseudonym, matching {@link PSEUDONYM_PATTERN}. */
function checkPseudonym(input: unknown): string {
  const v = assertObject(input, 'input');
  assertKnownKeys(v, 'input', ['pseudonym']);
  const pseudonym = assertString(v.pseudonym, 'pseudonym', 71, 15);
  if (!PSEUDONYM_PATTERN.test(pseudonym)) throw invalid('pseudonym', 'must be erased- and 8..64 of [A-Za-z0-9_-]');
  return pseudonym;
}
