import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateAudit, parseAllowlist, type AuditReport } from './audit-policy.ts';

/** The shape `npm audit --json` prints (format 2), cut to what matters. */
const report: AuditReport = {
  vulnerabilities: {
    'left-pad': { name: 'left-pad', severity: 'critical', via: [{ source: 1, url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc', title: 'Prototype pollution', severity: 'critical' }] },
    'uses-left-pad': { name: 'uses-left-pad', severity: 'critical', via: ['left-pad'] },
    chalk: { name: 'chalk', severity: 'moderate', via: [{ source: 2, url: 'https://github.com/advisories/GHSA-mmmm-nnnn-oooo', title: 'ReDoS', severity: 'moderate' }] },
  },
};
const today = new Date('2026-12-06T12:00:00Z');
const accept = (expires: string): ReturnType<typeof parseAllowlist> =>
  parseAllowlist({ accepted: [{ advisory: 'GHSA-aaaa-bbbb-cccc', package: 'left-pad', reason: 'not reachable from our code', reviewedBy: 'ops', expires }] });

test('audit policy: a high or critical finding fails unless accepted; moderate ones and dependents do not count twice', () => {
  const plain = evaluateAudit(report, [], today);
  assert.equal(plain.ok, false);
  assert.ok(plain.lines.some((l) => l.startsWith('FAIL critical left-pad')));
  assert.ok(!plain.lines.some((l) => l.includes('chalk')), 'moderate findings do not fail');
  assert.equal(evaluateAudit({ vulnerabilities: {} }, [], today).ok, true);
  const ok = evaluateAudit(report, accept('2027-01-31'), today);
  assert.equal(ok.ok, true, ok.lines.join('\n'));
  assert.ok(ok.lines.some((l) => l.startsWith('accepted until 2027-01-31')));
});

test('audit policy: acceptances expire, may not run more than 90 days, and must be complete', () => {
  assert.equal(evaluateAudit(report, accept('2026-12-05'), today).ok, false, 'expired');
  assert.equal(evaluateAudit({ vulnerabilities: {} }, accept('2026-12-05'), today).ok, false, 'an expired entry fails even without its finding');
  assert.equal(evaluateAudit(report, accept('2027-06-01'), today).ok, false, 'too far ahead');
  assert.throws(() => parseAllowlist({ accepted: [{ advisory: 'x', package: 'y', reason: '', reviewedBy: 'z', expires: '2027-01-01' }] }), /reason/);
  assert.throws(() => parseAllowlist({ accepted: [{ advisory: 'x', package: 'y', reason: 'r', reviewedBy: 'z', expires: 'soon' }] }), /YYYY-MM-DD/);
  assert.throws(() => parseAllowlist({}), /array/);
});
