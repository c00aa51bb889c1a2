/**
 * The audit log (system admins; the API decides): newest first, people and objects by name with
 * their ids on hover and in each event's details, a type picker, and the routine dashboard views
 * served from the render cache left out unless asked for (they are still recorded: SPEC §5).
 */
import { all, api, ApiFailure, describeError } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { AuditEventView, AuditName, AuditPage, UserView } from '../../../src/api-types.ts';
import { on, when } from './page-helpers.ts';

/**
 * Every action the API records, with what it means (the type picker). `test/api-audit-view.test.ts`
 * checks this list against the actions the API's source writes.
 */
export const AUDIT_ACTIONS: readonly (readonly [string, string])[] = [
  ['login_success', 'Signed in'],
  ['login_failure', 'Sign-in refused'],
  ['lockout', 'Account locked after failed sign-ins'],
  ['auth_failure_throttle', 'Too many failed authentications'],
  ['logout', 'Signed out'],
  ['refresh', 'Session refreshed'],
  ['refresh_reuse', 'Refresh token reused (session ended)'],
  ['password_change', 'Password changed'],
  ['session_revoke', 'Session ended'],
  ['session_revoke_all', 'Other sessions ended'],
  ['totp_enrol_start', 'Two-factor setup started'],
  ['totp_enable', 'Two-factor turned on'],
  ['totp_disable', 'Two-factor turned off'],
  ['recovery_code_used', 'Recovery code used'],
  ['api_key_create', 'API key created'],
  ['api_key_revoke', 'API key revoked'],
  ['permission_denied', 'Permission denied'],
  ['ip_refused', 'Request from a refused address'],
  ['sso_link', 'Single sign-on linked to an account'],
  ['sso_user_create', 'User created by single sign-on'],
  ['sso_role_sync', 'Role set from single sign-on'],
  ['sso_group_sync', 'Groups set from single sign-on'],
  ['user_disabled_inactive', 'User disabled after inactivity'],
  ['setup_failure', 'Setup link refused'],
  ['admin_bootstrap', 'First administrator created'],
  ['admin_user_create', 'User created'],
  ['admin_user_update', 'User changed (role, disabled)'],
  ['admin_sessions_revoke', 'User signed out everywhere'],
  ['group_create', 'Group created'],
  ['group_rename', 'Group renamed'],
  ['group_delete', 'Group deleted'],
  ['group_member_add', 'Added to a group'],
  ['group_member_remove', 'Removed from a group'],
  ['project_create', 'Project created'],
  ['project_update', 'Project renamed or described'],
  ['project_delete', 'Project deleted'],
  ['member_grant', 'Project role given'],
  ['member_revoke', 'Project role revoked'],
  ['people_lookup', 'People looked up to add as members'],
  ['dashboard_create', 'Dashboard created'],
  ['dashboard_update', 'Dashboard renamed or reordered'],
  ['dashboard_delete', 'Dashboard deleted'],
  ['dashboard_grant', 'Dashboard role given'],
  ['dashboard_revoke', 'Dashboard role revoked'],
  ['chart_save', 'Chart code saved'],
  ['chart_delete', 'Chart deleted'],
  ['chart_run', 'Chart rendered'],
  ['chart_preview', 'Unsaved code run (preview)'],
  ['dataset_upload', 'Dataset uploaded'],
  ['dataset_rename', 'Dataset renamed'],
  ['dataset_set_current', 'Dataset version made current'],
  ['dataset_delete', 'Dataset deleted'],
  ['demo_seed', 'Demo project seeded'],
  ['personal_data_export', 'Personal data exported'],
  ['user_erase', 'User erased (pseudonymised)'],
  ['audit_retention', 'Old audit events deleted (retention)'],
  ['backup_create', 'Backup made'],
  ['backup_restore', 'Backup restored'],
];
const ACTION_LABEL = new Map(AUDIT_ACTIONS);

/** `datetime-local` value (the reader's time zone) as an ISO instant the API accepts. */
function isoFromLocal(value: string): string | null {
  if (value === '') return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function byName(a: UserView, b: UserView): number {
  return a.displayName.localeCompare(b.displayName) || a.email.localeCompare(b.email);
}

export async function renderAdminAudit(ctx: PageContext): Promise<void> {
  ctx.setTitle('Audit log');
  let users: UserView[];
  let first: AuditPage;
  const initial = new URLSearchParams({ limit: '50' });
  try {
    [users, first] = await Promise.all([all<UserView>('/api/users'), api<AuditPage>('GET', `/api/audit?${initial.toString()}`)]);
  } catch (err) {
    if (err instanceof ApiFailure && (err.status === 403 || err.status === 401)) {
      mount(ctx.main, h('h1', {}, 'Audit log'), notice('error', 'Only system administrators can read the audit log.'));
      return;
    }
    throw err;
  }
  const names = new Map<string, AuditName>(users.map((u) => [u.id, { type: 'user', name: u.displayName, email: u.email }]));

  const type = h(
    'select',
    { id: 'audit-type' },
    h('option', { value: '' }, 'Any type'),
    [...AUDIT_ACTIONS].sort((a, b) => a[1].localeCompare(b[1])).map(([value, label]) => h('option', { value }, `${label} (${value})`)),
  );
  const actor = h(
    'select',
    { id: 'audit-actor' },
    h('option', { value: '' }, 'Anyone'),
    [...users].sort(byName).map((u) => h('option', { value: u.id }, `${u.displayName} <${u.email}>`)),
  );
  const outcome = h(
    'select',
    { id: 'audit-outcome' },
    [
      ['', 'Any'],
      ['success', 'Success'],
      ['failure', 'Failure'],
      ['denied', 'Denied'],
    ].map(([value, text]) => h('option', { value }, text)),
  );
  const since = h('input', { id: 'audit-since', type: 'datetime-local', step: 1 });
  const until = h('input', { id: 'audit-until', type: 'datetime-local', step: 1 });
  const routine = h('input', { id: 'audit-routine', type: 'checkbox' });
  const filter = h('button', { type: 'submit' }, 'Filter');
  const status = h('div', { 'aria-live': 'polite' });
  const tbody = h('tbody', {});
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let query = initial;
  let cursor: string | null = null;
  let shown = 0;

  /** A person or object by name, its id on hover; the bare id when it no longer exists. */
  const named = (id: string, fallback: string): HTMLElement => {
    const n = names.get(id);
    if (n === undefined) return h('span', { class: 'audit-id', title: `${fallback} id ${id} (no longer exists, or has no name)` }, `${id.slice(0, 8)}…`);
    return h('span', { title: `${n.type} id ${id}${n.email === undefined ? '' : ` · ${n.email}`}` }, n.name);
  };

  const actorCell = (e: AuditEventView): (Node | string)[] => {
    if (e.actor.userId === null) return [h('span', { class: 'muted' }, e.actor.kind === 'anonymous' ? 'Anonymous' : 'Plotbox')];
    return [named(e.actor.userId, 'user'), e.actor.kind === 'api_key' ? h('span', { class: 'muted' }, ` via API key${e.actor.apiKey === undefined ? '' : ` “${e.actor.apiKey.name}”`}`) : ''];
  };

  const targetCell = (e: AuditEventView): (Node | string)[] => {
    if (e.target === null) return ['—'];
    if (e.target.id === null) return [e.target.type];
    return [h('span', { class: 'muted' }, `${e.target.type} `), named(e.target.id, e.target.type)];
  };

  /** A detail's value: ids of people and groups by name, the rest as text. */
  const detailValue = (key: string, value: unknown): Node | string => {
    if (typeof value === 'string') {
      if ((key === 'userId' || key === 'principalId') && names.has(value)) return named(value, 'user');
      return value;
    }
    return JSON.stringify(value);
  };

  const detailsCell = (e: AuditEventView): HTMLElement => {
    const entries = Object.entries(e.details);
    const brief = entries
      .filter(([k]) => !['codeHash', 'datasetVersionId', 'versionId', 'sha256', 'projectId'].includes(k))
      .slice(0, 3)
      .map(([k, v]) => {
        const value = typeof v === 'string' && names.has(v) ? (names.get(v)?.name ?? v) : typeof v === 'string' ? v : JSON.stringify(v);
        return `${k}: ${value.length > 40 ? `${value.slice(0, 40)}…` : value}`;
      })
      .join(', ');
    return h(
      'details',
      { class: 'audit-details' },
      h('summary', {}, brief === '' ? 'More' : brief),
      h(
        'dl',
        {},
        entries.map(([k, v]) => [h('dt', {}, k), h('dd', {}, detailValue(k, v))]),
        h('dt', {}, 'IP address'),
        h('dd', {}, e.ip ?? '—'),
        e.requestId === null ? null : [h('dt', {}, 'Request id'), h('dd', {}, h('code', {}, e.requestId))],
        e.actor.userId === null ? null : [h('dt', {}, 'Actor id'), h('dd', {}, h('code', {}, e.actor.userId))],
        e.target?.id == null ? null : [h('dt', {}, 'Target id'), h('dd', {}, h('code', {}, e.target.id))],
        h('dt', {}, 'Event id'),
        h('dd', {}, h('code', {}, e.id)),
      ),
    );
  };

  const describeCount = (): string => {
    if (shown === 0) return routine.checked ? 'No events match.' : 'No events match. Routine dashboard views from the cache are hidden: tick “Show routine views” to include them.';
    return `${shown} event${shown === 1 ? '' : 's'} shown, newest first${cursor === null ? '' : '; more are available'}.${routine.checked ? '' : ' Routine dashboard views from the cache are hidden.'}`;
  };

  const append = (page: AuditPage): void => {
    for (const [id, n] of Object.entries(page.names ?? {})) names.set(id, n);
    for (const e of page.items) {
      const label = ACTION_LABEL.get(e.action);
      tbody.append(
        h(
          'tr',
          { class: `outcome-${e.outcome}` },
          h('td', { class: 'audit-time' }, h('time', { datetime: e.at }, when(e.at))),
          h('td', {}, ...actorCell(e)),
          h('td', {}, label === undefined ? h('code', {}, e.action) : h('span', { title: e.action }, label)),
          h('td', {}, ...targetCell(e)),
          h('td', {}, e.outcome === 'success' ? 'Success' : e.outcome === 'failure' ? 'Failure' : e.outcome === 'denied' ? 'Denied' : e.outcome),
          h('td', { class: 'details' }, detailsCell(e)),
        ),
      );
    }
    shown += page.items.length;
    cursor = page.nextCursor;
    more.hidden = cursor === null;
    count.textContent = describeCount();
  };

  const load = async (fresh: boolean): Promise<void> => {
    const q = new URLSearchParams(query);
    if (!fresh && cursor !== null) q.set('cursor', cursor);
    const button = fresh ? filter : more;
    button.disabled = true;
    mount(status);
    try {
      const page = await api<AuditPage>('GET', `/api/audit?${q.toString()}`);
      if (fresh) {
        tbody.replaceChildren();
        shown = 0;
      }
      append(page);
    } catch (err) {
      mount(status, notice('error', describeError(err)));
    } finally {
      button.disabled = false;
    }
  };

  more.addEventListener('click', () => void load(false));

  const form = h(
    'form',
    {
      class: 'card audit-filters',
      'aria-label': 'Filter the audit log',
      onsubmit: on(async (e: Event) => {
        e.preventDefault();
        const q = new URLSearchParams({ limit: '50' });
        if (type.value !== '') q.set('type', type.value);
        if (actor.value !== '') q.set('actor', actor.value);
        if (outcome.value !== '') q.set('outcome', outcome.value);
        const s = isoFromLocal(since.value);
        const u = isoFromLocal(until.value);
        if (s !== null) q.set('since', s);
        if (u !== null) q.set('until', u);
        if (routine.checked) q.set('routine', 'show');
        query = q;
        await load(true);
      }),
    },
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'audit-type' }, 'Type'), type),
      h('div', { class: 'field' }, h('label', { for: 'audit-actor' }, 'Actor'), actor),
      h('div', { class: 'field' }, h('label', { for: 'audit-outcome' }, 'Outcome'), outcome),
      h('div', { class: 'field' }, h('label', { for: 'audit-since' }, 'Since'), since),
      h('div', { class: 'field' }, h('label', { for: 'audit-until' }, 'Until'), until),
    ),
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'check' }, routine, h('label', { for: 'audit-routine' }, 'Show routine views'), h('span', { class: 'hint' }, ' (dashboard charts served from the cache)')),
      filter,
    ),
  );

  append(first);
  mount(
    ctx.main,
    h('h1', {}, 'Audit log'),
    form,
    status,
    count,
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'audit-table' },
        h('caption', { class: 'visually-hidden' }, 'Audit events'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Time', 'Actor', 'Action', 'Target', 'Outcome', 'Details'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        tbody,
      ),
    ),
    more,
  );
}
