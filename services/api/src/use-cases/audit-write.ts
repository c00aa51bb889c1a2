/** Auditing what a caller changed (SPEC §5), the same way from every route and use case. */
import type { AuditTarget } from '@plotbox/store';
import type { Audit } from '../audit.ts';
import type { Caller } from '../context.ts';

/** Details of an audited write: flat, whitelisted by the caller, never secrets or contents. */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>;

/** Audit a successful write by `caller`; admin-only access (SPEC §3.1) is marked so it can be found. */
export async function auditWrite(deps: { readonly audit: Audit }, caller: Caller, action: string, target: AuditTarget, details: AuditDetails = {}): Promise<void> {
  const { actor, ip, requestId, clientRequestId, asSystemAdmin } = caller;
  await deps.audit({ action, outcome: 'success', actor, target, ip, requestId, clientRequestId, details: { ...details, ...(asSystemAdmin ? { asSystemAdmin: true } : {}) } });
}
