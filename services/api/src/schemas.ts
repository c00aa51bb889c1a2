/**
 * Request schemas (zod). Every object is strict (unknown fields refused) and every string field
 * is `z.string()`, so an operator object such as `{"$ne": null}` in any field is a 400 before any
 * use case sees it.
 */
import { z } from 'zod';
import { ApiError } from './errors.ts';

const email = z
  .string()
  .trim()
  .min(3)
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+$/u, 'must be an email address');
/** Long enough for any passphrase the policy accepts (and a 1,000-character attempt), bounded for hashing. */
const password = z.string().min(1).max(4096);
const totpCode = z.string().min(1).max(16);
const systemRole = z.enum(['admin', 'user', 'viewer']);

export const emptyBody = z.strictObject({});
export const loginBody = z.strictObject({
  email: z.string().min(1).max(320),
  password,
  totpCode: totpCode.optional(),
  recoveryCode: z.string().min(1).max(64).optional(),
});
export const passwordChangeBody = z.strictObject({ currentPassword: password, newPassword: password });
export const totpConfirmBody = z.strictObject({ code: totpCode });
export const revokeAllBody = z.strictObject({ keepCurrent: z.boolean().optional() });
/**
 * Turning 2FA off takes both factors: the password and a current code or an unused recovery code
 * (an enrolment never confirmed has no second factor yet: the password alone cancels it).
 */
export const totpDisableBody = z
  .strictObject({ password, code: totpCode.optional(), recoveryCode: z.string().min(1).max(64).optional() })
  .refine((b) => b.code === undefined || b.recoveryCode === undefined, 'give a code or a recovery code, not both');
export const apiKeyCreateBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(3650).nullable().optional(),
});
export const setupBody = z.strictObject({
  token: z.string().min(1).max(256),
  email,
  displayName: z.string().trim().min(1).max(200).optional(),
  password,
});
export const createUserBody = z.strictObject({
  email,
  displayName: z.string().trim().min(1).max(200),
  password,
  systemRole: systemRole.default('user'),
});
export const patchUserBody = z
  .strictObject({ disabled: z.boolean().optional(), systemRole: systemRole.optional() })
  .refine((b) => b.disabled !== undefined || b.systemRole !== undefined, 'nothing to change');

const isoDate = z
  .string()
  .max(40)
  .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/u.test(s) && Number.isFinite(Date.parse(s)), 'must be an ISO date');
export const auditQuery = z.strictObject({
  type: z
    .string()
    .regex(/^[a-z0-9_.:-]{1,64}$/u)
    .optional(),
  actor: z.string().min(1).max(200).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  since: isoDate.optional(),
  until: isoDate.optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/u)
    .optional(),
  cursor: z.string().min(1).max(1024).optional(),
});
export const listQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/u)
    .optional(),
  cursor: z.string().min(1).max(1024).optional(),
});
export const idParam = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/u) });

/**
 * Validate `value` against `schema`, or throw `VALIDATION_FAILED` listing each issue's path and
 * message (never the offending value).
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  throw new ApiError('VALIDATION_FAILED', { details: { issues } });
}
