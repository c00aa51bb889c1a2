// The audit policy, pure: which findings of an `npm audit --json` report (format 2, npm ≥ 7) fail
// the build, given the reviewed allowlist and today's date.

/** The parts of `npm audit --json` the policy reads. */
export interface AuditReport {
  readonly vulnerabilities?: Readonly<
    Record<
      string,
      { readonly name: string; readonly severity: string; readonly via: readonly (string | { readonly source?: number; readonly url?: string; readonly title?: string; readonly severity?: string })[] }
    >
  >;
}

export interface AcceptedFinding {
  readonly advisory: string;
  readonly package: string;
  readonly reason: string;
  readonly reviewedBy: string;
  readonly expires: string;
}

const SEVERE = new Set(['high', 'critical']);
const MAX_ACCEPT_DAYS = 90;

/** Check the allowlist file's shape; throws with a message naming the bad entry. */
export function parseAllowlist(value: unknown): readonly AcceptedFinding[] {
  const accepted = (value as { accepted?: unknown } | null)?.accepted;
  if (!Array.isArray(accepted)) throw new Error('security/audit-allowlist.json: "accepted" must be an array');
  return accepted.map((e: unknown, i: number) => {
    const f = e as Partial<AcceptedFinding> | null;
    for (const k of ['advisory', 'package', 'reason', 'reviewedBy', 'expires'] as const) {
      if (typeof f?.[k] !== 'string' || f[k] === '') throw new Error(`security/audit-allowlist.json: entry ${i} needs a non-empty "${k}"`);
    }
    if (!/^\d{4}-\d{2}-\d{2}$/u.test(f?.expires ?? '')) throw new Error(`security/audit-allowlist.json: entry ${i} "expires" must be YYYY-MM-DD`);
    return f as AcceptedFinding;
  });
}

/** The advisories (ids and URLs) behind one package's finding, severe ones only. */
function advisories(entry: NonNullable<AuditReport['vulnerabilities']>[string]): { id: string; title: string }[] {
  return entry.via.flatMap((v) => (typeof v === 'object' && v.url !== undefined && SEVERE.has(v.severity ?? entry.severity) ? [{ id: v.url, title: v.title ?? '' }] : []));
}

/** The verdict and the lines to print (a table of what failed and why). */
export function evaluateAudit(report: AuditReport, allowlist: readonly AcceptedFinding[], today: Date): { readonly ok: boolean; readonly lines: readonly string[] } {
  const lines: string[] = [];
  let ok = true;
  const day = today.toISOString().slice(0, 10);
  const horizon = new Date(today.getTime() + MAX_ACCEPT_DAYS * 86_400_000).toISOString().slice(0, 10);
  for (const a of allowlist) {
    if (a.expires < day) {
      ok = false;
      lines.push(`expired acceptance: ${a.advisory} (${a.package}) expired ${a.expires}; review it again`);
    } else if (a.expires > horizon) {
      ok = false;
      lines.push(`acceptance too long: ${a.advisory} (${a.package}) expires ${a.expires}, more than ${MAX_ACCEPT_DAYS} days ahead`);
    }
  }
  const findings = Object.values(report.vulnerabilities ?? {}).filter((v) => SEVERE.has(v.severity));
  let accepted = 0;
  for (const v of findings) {
    const ids = advisories(v);
    // A package listed only through a vulnerable dependency carries no advisory of its own: the dependency's entry decides.
    if (ids.length === 0) continue;
    for (const { id, title } of ids) {
      const match = allowlist.find((a) => a.package === v.name && (id === a.advisory || id.endsWith(`/${a.advisory}`)) && a.expires >= day);
      if (match !== undefined) {
        accepted += 1;
        lines.push(`accepted until ${match.expires}: ${v.severity} ${v.name} ${id} (${match.reason})`);
      } else {
        ok = false;
        lines.push(`FAIL ${v.severity} ${v.name}: ${title} ${id}`);
      }
    }
  }
  lines.push(`# dependency audit: ${findings.length} high/critical finding(s) in production dependencies, ${accepted} accepted; ${ok ? 'pass' : 'FAIL'}`);
  return { ok, lines };
}
