/**
 * System administration (admins only; the API decides): users, groups and the audit log. A
 * non-admin who opens these routes sees the API's own 403 message under the page's heading.
 */
import { all, api, ApiFailure, describeError, type Page } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import { on, passwordErrorText, when } from './account.ts';

interface UserView {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly systemRole: 'admin' | 'user' | 'viewer';
  readonly disabled: boolean;
  readonly totpEnabled: boolean;
  readonly createdAt: string;
}

interface GroupView {
  readonly id: string;
  readonly name: string;
  readonly memberIds: readonly string[];
  readonly memberCount: number;
}

interface AuditView {
  readonly id: string;
  readonly at: string;
  readonly actor: { readonly kind: string; readonly userId: string | null };
  readonly ip: string | null;
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null } | null;
  readonly outcome: string;
  readonly requestId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

const ROLES = [
  ['admin', 'Admin'],
  ['user', 'User'],
  ['viewer', 'Viewer'],
] as const;

/** Show a refusal (403 for non-admins) under the heading instead of the page; rethrow the rest. */
function refusedOr(ctx: PageContext, title: string, err: unknown): void {
  if (err instanceof ApiFailure && (err.status === 403 || err.status === 401)) {
    mount(ctx.main, h('h1', {}, title), notice('error', describeError(err)));
    return;
  }
  throw err;
}

function byEmail(a: UserView, b: UserView): number {
  return a.email.localeCompare(b.email);
}

// =============================================================================================
// Users

export async function renderAdminUsers(ctx: PageContext): Promise<void> {
  ctx.setTitle('Users');
  let users: UserView[];
  try {
    users = await all<UserView>('/api/users');
  } catch (err) {
    refusedOr(ctx, 'Users', err);
    return;
  }
  const tableBox = h('div', {});
  const live = h('div', { 'aria-live': 'polite' });

  const draw = (): void => {
    const rows = [...users].sort(byEmail).map((u) => userRow(u));
    mount(
      tableBox,
      h(
        'table',
        { class: 'admin-table' },
        h('caption', { class: 'visually-hidden' }, 'All users'),
        h('thead', {}, h('tr', {}, ['Email', 'Name', 'System role', 'Status', '2FA', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows),
      ),
    );
  };

  const replace = (u: UserView): void => {
    users = users.map((x) => (x.id === u.id ? u : x));
    draw();
  };

  const userRow = (u: UserView): HTMLElement => {
    const self = u.id === ctx.me.user.id;
    const role = h(
      'select',
      {
        'aria-label': `Role for ${u.email}`,
        disabled: self,
        title: self ? 'You cannot change your own role.' : null,
        onchange: on(async (e: Event) => {
          const sel = e.currentTarget as HTMLSelectElement;
          sel.disabled = true;
          mount(live);
          try {
            const r = await api<{ user: UserView }>('PATCH', `/api/users/${encodeURIComponent(u.id)}`, { systemRole: sel.value });
            replace(r.user);
            mount(live, notice('ok', `${u.email} is now ${r.user.systemRole === 'admin' ? 'an' : 'a'} ${r.user.systemRole}.`));
          } catch (err) {
            sel.value = u.systemRole;
            sel.disabled = false;
            mount(live, notice('error', describeError(err)));
          }
        }),
      },
      ROLES.map(([value, text]) => h('option', { value, selected: value === u.systemRole }, text)),
    );
    const toggle = self
      ? h('span', { class: 'muted' }, 'You')
      : h(
          'button',
          {
            type: 'button',
            class: u.disabled ? 'secondary' : 'danger',
            'aria-label': `${u.disabled ? 'Enable' : 'Disable'} ${u.email}`,
            onclick: on(async (e: Event) => {
              const b = e.currentTarget as HTMLButtonElement;
              b.disabled = true;
              mount(live);
              try {
                const r = await api<{ user: UserView }>('PATCH', `/api/users/${encodeURIComponent(u.id)}`, { disabled: !u.disabled });
                replace(r.user);
                mount(live, notice('ok', r.user.disabled ? `${u.email} is disabled and signed out everywhere; their API keys stop working.` : `${u.email} can sign in again.`));
              } catch (err) {
                b.disabled = false;
                mount(live, notice('error', describeError(err)));
              }
            }),
          },
          u.disabled ? 'Enable' : 'Disable',
        );
    const endSessions = self
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            'aria-label': `Sign out ${u.email} everywhere`,
            onclick: on(async (e: Event) => {
              const b = e.currentTarget as HTMLButtonElement;
              b.disabled = true;
              mount(live);
              try {
                const r = await api<{ sessionsRevoked: number }>('DELETE', `/api/users/${encodeURIComponent(u.id)}/sessions`);
                mount(live, notice('ok', `${r.sessionsRevoked} session${r.sessionsRevoked === 1 ? '' : 's'} of ${u.email} ended.`));
              } catch (err) {
                mount(live, notice('error', describeError(err)));
              } finally {
                b.disabled = false;
              }
            }),
          },
          'Sign out everywhere',
        );
    return h(
      'tr',
      { class: u.disabled ? 'disabled' : null },
      h('td', {}, u.email),
      h('td', {}, u.displayName),
      h('td', {}, role),
      h('td', {}, u.disabled ? 'Disabled' : 'Active'),
      h('td', {}, u.totpEnabled ? 'On' : 'Off'),
      h('td', {}, when(u.createdAt)),
      h('td', { class: 'actions' }, toggle, endSessions),
    );
  };

  // Create form.
  const email = h('input', { id: 'admin-user-email', type: 'email', required: true, autocomplete: 'off', maxlength: 254 });
  const name = h('input', { id: 'admin-user-name', required: true, autocomplete: 'off', maxlength: 200 });
  const password = h('input', { id: 'admin-user-password', type: 'password', required: true, autocomplete: 'new-password', 'aria-describedby': 'admin-user-password-hint' });
  const role = h('select', { id: 'admin-user-role' }, ROLES.map(([value, text]) => h('option', { value, selected: value === 'user' }, text)));
  const create = h('button', { type: 'submit' }, 'Create user');
  const createStatus = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'card admin-create',
      'aria-labelledby': 'admin-user-create-title',
      onsubmit: on(async (e: Event) => {
        e.preventDefault();
        create.disabled = true;
        mount(createStatus);
        try {
          const r = await api<{ user: UserView }>('POST', '/api/users', { email: email.value.trim(), displayName: name.value.trim(), password: password.value, systemRole: role.value });
          users = [...users, r.user];
          draw();
          form.reset();
          mount(createStatus, notice('ok', `Created ${r.user.email}. Give them their password through a separate channel.`));
        } catch (err) {
          mount(createStatus, notice('error', err instanceof ApiFailure && err.status === 409 ? 'A user with this e-mail already exists.' : passwordErrorText(err)));
        } finally {
          create.disabled = false;
        }
      }),
    },
    h('h2', { id: 'admin-user-create-title' }, 'New user'),
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'admin-user-email' }, 'Email'), email),
      h('div', { class: 'field' }, h('label', { for: 'admin-user-name' }, 'Display name'), name),
      h('div', { class: 'field' }, h('label', { for: 'admin-user-password' }, 'Password'), password),
      h('div', { class: 'field' }, h('label', { for: 'admin-user-role' }, 'System role'), role),
      h('div', { class: 'field' }, create),
    ),
    h('p', { id: 'admin-user-password-hint', class: 'hint' }, 'At least 8 characters, not a common password, not containing their name or e-mail.'),
    createStatus,
  );

  draw();
  mount(
    ctx.main,
    h('h1', {}, 'Users'),
    h('p', { class: 'muted' }, 'Admins manage everything; users can create projects; viewers only see what they are granted. Disabling a user ends their sessions at once.'),
    tableBox,
    live,
    form,
  );
}

// =============================================================================================
// Groups

export async function renderAdminGroups(ctx: PageContext): Promise<void> {
  ctx.setTitle('Groups');
  let groups: GroupView[];
  let users: UserView[];
  try {
    [groups, users] = await Promise.all([all<GroupView>('/api/groups'), all<UserView>('/api/users')]);
  } catch (err) {
    refusedOr(ctx, 'Groups', err);
    return;
  }
  const usersById = new Map(users.map((u) => [u.id, u]));
  const list = h('div', { class: 'group-list' });
  const live = h('div', { 'aria-live': 'polite' });

  const reload = async (message?: HTMLElement): Promise<void> => {
    try {
      groups = await all<GroupView>('/api/groups');
      draw();
      mount(live, message ?? null);
    } catch (err) {
      mount(live, notice('error', describeError(err)));
    }
  };

  /** Run one change; show its error in the page's status area. */
  const change = async (button: HTMLButtonElement, request: () => Promise<unknown>, done: string): Promise<void> => {
    button.disabled = true;
    mount(live);
    try {
      await request();
      await reload(notice('ok', done));
    } catch (err) {
      button.disabled = false;
      mount(live, notice('error', describeError(err)));
    }
  };

  const groupCard = (g: GroupView): HTMLElement => {
    const headingId = `admin-group-${g.id}`;
    const members = g.memberIds.map((id) => ({ id, user: usersById.get(id) }));
    members.sort((a, b) => (a.user?.email ?? a.id).localeCompare(b.user?.email ?? b.id));
    const memberRows = members.map(({ id, user }) => {
      const label = user?.email ?? id;
      return h(
        'tr',
        {},
        h('td', {}, label),
        h('td', {}, user?.displayName ?? '—'),
        h(
          'td',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'aria-label': `Remove ${label}`,
              onclick: on((e: Event) => change(e.currentTarget as HTMLButtonElement, () => api('DELETE', `/api/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(id)}`), `${label} was removed from ${g.name}.`)),
            },
            'Remove',
          ),
        ),
      );
    });
    const candidates = users.filter((u) => !g.memberIds.includes(u.id)).sort(byEmail);
    const selectId = `admin-group-add-${g.id}`;
    const pick = h(
      'select',
      { id: selectId, required: true },
      h('option', { value: '' }, candidates.length === 0 ? 'Everyone is a member' : 'Choose a user…'),
      candidates.map((u) => h('option', { value: u.id }, `${u.email} (${u.displayName})`)),
    );
    const add = h('button', { type: 'submit', disabled: candidates.length === 0 }, `Add to ${g.name}`);
    const addForm = h(
      'form',
      {
        class: 'row',
        'aria-label': `Add member to ${g.name}`,
        onsubmit: on(async (e: Event) => {
          e.preventDefault();
          if (pick.value === '') {
            mount(live, notice('error', 'Choose a user to add first.'));
            pick.focus();
            return;
          }
          const u = usersById.get(pick.value);
          await change(add, () => api('PUT', `/api/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(pick.value)}`), `${u?.email ?? 'The user'} was added to ${g.name}.`);
        }),
      },
      h('div', { class: 'field' }, h('label', { for: selectId }, `User to add to ${g.name}`), pick),
      h('div', { class: 'field' }, add),
    );
    const confirmBox = h('div', { class: 'confirm', hidden: true });
    const del = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'aria-label': `Delete group ${g.name}`,
        'aria-expanded': 'false',
        onclick: () => {
          del.setAttribute('aria-expanded', 'true');
          confirmBox.hidden = false;
          mount(
            confirmBox,
            h('p', { role: 'alert' }, `Delete ${g.name}? Its ${g.memberCount} member${g.memberCount === 1 ? '' : 's'} lose every project and dashboard access the group gave them.`),
            h(
              'button',
              {
                type: 'button',
                class: 'danger',
                onclick: on((e: Event) => change(e.currentTarget as HTMLButtonElement, () => api('DELETE', `/api/groups/${encodeURIComponent(g.id)}`), `The group ${g.name} was deleted.`)),
              },
              `Yes, delete ${g.name}`,
            ),
            ' ',
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () => {
                  confirmBox.hidden = true;
                  confirmBox.replaceChildren();
                  del.setAttribute('aria-expanded', 'false');
                  del.focus();
                },
              },
              'Cancel',
            ),
          );
        },
      },
      'Delete group',
    );
    return h(
      'section',
      { class: 'card group-card', 'aria-labelledby': headingId },
      h('div', { class: 'group-head' }, h('h2', { id: headingId }, g.name), h('span', { class: 'muted' }, `${g.memberCount} member${g.memberCount === 1 ? '' : 's'}`), del),
      confirmBox,
      memberRows.length === 0
        ? h('p', { class: 'muted' }, 'No members yet.')
        : h(
            'table',
            {},
            h('caption', { class: 'visually-hidden' }, `Members of ${g.name}`),
            h('thead', {}, h('tr', {}, ['Email', 'Name', ''].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', {}, memberRows),
          ),
      addForm,
    );
  };

  const draw = (): void => {
    const sorted = [...groups].sort((a, b) => a.name.localeCompare(b.name));
    mount(list, sorted.length === 0 ? h('p', {}, 'There are no groups yet.') : sorted.map(groupCard));
  };

  const groupName = h('input', { id: 'admin-group-name', required: true, maxlength: 200, autocomplete: 'off' });
  const create = h('button', { type: 'submit' }, 'Create group');
  const form = h(
    'form',
    {
      class: 'row',
      'aria-label': 'Create a group',
      onsubmit: on(async (e: Event) => {
        e.preventDefault();
        const name = groupName.value.trim();
        await change(create, () => api('POST', '/api/groups', { name }), `The group ${name} was created.`);
        create.disabled = false;
        if (groups.some((g) => g.name === name)) form.reset();
      }),
    },
    h('div', { class: 'field' }, h('label', { for: 'admin-group-name' }, 'Group name'), groupName),
    h('div', { class: 'field' }, create),
  );

  draw();
  mount(
    ctx.main,
    h('h1', {}, 'Groups'),
    h('p', { class: 'muted' }, 'Grant a project or dashboard role to a group once, then manage who has it here. Changes apply on the member’s next request.'),
    form,
    live,
    list,
  );
}

// =============================================================================================
// Audit log

/** The actions the API records (README: Audit), offered as suggestions for the Type filter. */
const AUDIT_ACTIONS = [
  'admin_bootstrap',
  'admin_sessions_revoke',
  'admin_user_create',
  'admin_user_update',
  'api_key_create',
  'api_key_revoke',
  'chart_delete',
  'chart_preview',
  'chart_run',
  'chart_save',
  'dashboard_create',
  'dashboard_delete',
  'dashboard_grant',
  'dashboard_revoke',
  'dashboard_update',
  'dataset_delete',
  'dataset_rename',
  'dataset_set_current',
  'dataset_upload',
  'dataset_version',
  'demo_seed',
  'group_create',
  'group_delete',
  'group_member_add',
  'group_member_remove',
  'group_rename',
  'lockout',
  'login_failure',
  'login_success',
  'logout',
  'member_grant',
  'member_revoke',
  'password_change',
  'permission_denied',
  'project_create',
  'project_delete',
  'project_update',
  'recovery_code_used',
  'refresh',
  'refresh_reuse',
  'session_revoke',
  'setup_failure',
  'totp_disable',
  'totp_enable',
  'totp_enrol_start',
];

/** `datetime-local` value (the reader's time zone) as an ISO instant the API accepts. */
function isoFromLocal(value: string): string | null {
  if (value === '') return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function detailsText(d: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(d);
  if (keys.length === 0) return '';
  const text = keys.map((k) => `${k}: ${typeof d[k] === 'string' ? d[k] : JSON.stringify(d[k])}`).join(', ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export async function renderAdminAudit(ctx: PageContext): Promise<void> {
  ctx.setTitle('Audit log');
  let users: UserView[];
  let first: Page<AuditView>;
  const initial = new URLSearchParams({ limit: '50' });
  try {
    [users, first] = await Promise.all([all<UserView>('/api/users'), api<Page<AuditView>>('GET', `/api/audit?${initial.toString()}`)]);
  } catch (err) {
    refusedOr(ctx, 'Audit log', err);
    return;
  }
  const emailOf = new Map(users.map((u) => [u.id, u.email]));

  const type = h('input', { id: 'audit-type', list: 'audit-types', autocomplete: 'off', maxlength: 64, 'aria-describedby': 'audit-type-hint' });
  const types = h('datalist', { id: 'audit-types' }, AUDIT_ACTIONS.map((a) => h('option', { value: a })));
  const actor = h('select', { id: 'audit-actor' }, h('option', { value: '' }, 'Anyone'), [...users].sort(byEmail).map((u) => h('option', { value: u.id }, u.email)));
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
  const filter = h('button', { type: 'submit' }, 'Filter');
  const status = h('div', { 'aria-live': 'polite' });
  const tbody = h('tbody', {});
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  let query = initial;
  let cursor: string | null = null;
  let shown = 0;

  const actorText = (a: AuditView['actor']): string => {
    if (a.userId === null) return a.kind;
    const who = emailOf.get(a.userId) ?? a.userId;
    return a.kind === 'user' ? who : `${who} (${a.kind.replace('_', ' ')})`;
  };

  const append = (page: Page<AuditView>): void => {
    for (const e of page.items) {
      tbody.append(
        h(
          'tr',
          { class: `outcome-${e.outcome}` },
          h('td', {}, h('time', { datetime: e.at }, when(e.at))),
          h('td', {}, actorText(e.actor)),
          h('td', {}, e.ip ?? '—'),
          h('td', {}, h('code', {}, e.action)),
          h('td', {}, e.target === null ? '—' : `${e.target.type}${e.target.id === null ? '' : ` ${e.target.type === 'user' ? (emailOf.get(e.target.id) ?? e.target.id) : e.target.id}`}`),
          h('td', {}, e.outcome),
          h('td', { class: 'details' }, detailsText(e.details), e.requestId === null ? null : h('span', { class: 'muted' }, ` request ${e.requestId}`)),
        ),
      );
    }
    shown += page.items.length;
    cursor = page.nextCursor;
    more.hidden = cursor === null;
    count.textContent = shown === 0 ? 'No events match.' : `${shown} event${shown === 1 ? '' : 's'} shown, oldest first${cursor === null ? '' : '; more are available'}.`;
  };

  const load = async (fresh: boolean): Promise<void> => {
    const q = new URLSearchParams(query);
    if (!fresh && cursor !== null) q.set('cursor', cursor);
    const button = fresh ? filter : more;
    button.disabled = true;
    mount(status);
    try {
      const page = await api<Page<AuditView>>('GET', `/api/audit?${q.toString()}`);
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
      class: 'card row audit-filters',
      'aria-label': 'Filter the audit log',
      onsubmit: on(async (e: Event) => {
        e.preventDefault();
        const q = new URLSearchParams({ limit: '50' });
        const t = type.value.trim();
        if (t !== '') q.set('type', t);
        if (actor.value !== '') q.set('actor', actor.value);
        if (outcome.value !== '') q.set('outcome', outcome.value);
        const s = isoFromLocal(since.value);
        const u = isoFromLocal(until.value);
        if (s !== null) q.set('since', s);
        if (u !== null) q.set('until', u);
        query = q;
        await load(true);
      }),
    },
    h('div', { class: 'field' }, h('label', { for: 'audit-type' }, 'Type'), type, types, h('span', { id: 'audit-type-hint', class: 'hint' }, 'e.g. login_failure')),
    h('div', { class: 'field' }, h('label', { for: 'audit-actor' }, 'Actor'), actor),
    h('div', { class: 'field' }, h('label', { for: 'audit-outcome' }, 'Outcome'), outcome),
    h('div', { class: 'field' }, h('label', { for: 'audit-since' }, 'Since'), since),
    h('div', { class: 'field' }, h('label', { for: 'audit-until' }, 'Until'), until),
    h('div', { class: 'field' }, filter),
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
        h('thead', {}, h('tr', {}, ['Time', 'Actor', 'IP address', 'Action', 'Target', 'Outcome', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody,
      ),
    ),
    more,
  );
}
