/**
 * System administration (admins only; the API decides): users, groups and the audit log. A
 * non-admin who opens these routes sees the API's own 403 message under the page's heading.
 */
import { all, api, ApiFailure, describeError } from '../api.ts';
import { confirmDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { GroupView, UserView } from '../../../src/api-types.ts';
import { on, passwordErrorText, when } from './page-helpers.ts';

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
  // A narrow window scrolls the table, not the page.
  const tableBox = h('div', { class: 'table-scroll' });
  const inactiveBox = h('div', {});
  const live = h('div', { 'aria-live': 'polite' });

  const draw = (): void => {
    const rows = [...users].sort(byEmail).map((u) => userRow(u));
    // Accounts the inactivity sweep disabled, named apart: an admin enables those that should stay.
    const inactive = users.filter((u) => u.disabled && u.disabledReason === 'inactive').sort(byEmail);
    mount(
      inactiveBox,
      inactive.length === 0
        ? null
        : h(
            'section',
            { class: 'notice notice-info', 'aria-labelledby': 'admin-inactive-title', id: 'admin-inactive' },
            h('h2', { id: 'admin-inactive-title' }, `Disabled for inactivity (${inactive.length})`),
            h('p', {}, 'These accounts were not used for too long and were disabled automatically. Enable the ones that should stay; they can sign in at once.'),
            h(
              'ul',
              {},
              inactive.map((u) => h('li', {}, `${u.email} — last active ${u.lastActiveAt === undefined ? 'unknown' : new Date(u.lastActiveAt).toLocaleDateString()}`)),
            ),
          ),
    );
    mount(
      tableBox,
      h(
        'table',
        { class: 'admin-table' },
        h('caption', { class: 'visually-hidden' }, 'All users'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Email', 'Name', 'System role', 'Status', '2FA', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
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
    const exportLink = h(
      'a',
      { class: 'button-link secondary', href: `/api/users/${encodeURIComponent(u.id)}/export`, download: `plotbox-personal-data-${u.id}.json`, 'aria-label': `Export the personal data of ${u.email}` },
      'Export data',
    );
    const erase = self
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'aria-label': `Erase ${u.email}`,
            onclick: on(async (e: Event) => {
              const b = e.currentTarget as HTMLButtonElement;
              b.disabled = true;
              mount(live);
              try {
                const erased = await eraseFlow(u, users);
                if (erased !== null) {
                  users = users.filter((x) => x.id !== u.id);
                  draw();
                  mount(live, notice('ok', `${u.email} was erased. The audit log keeps their events under ${erased}.`));
                }
              } catch (err) {
                mount(live, notice('error', describeError(err)));
              } finally {
                b.disabled = false;
              }
            }),
          },
          'Erase…',
        );
    return h(
      'tr',
      { class: u.disabled ? 'disabled' : null },
      h('td', {}, u.email, u.hasPassword === false ? h('span', { class: 'badge', title: 'Signs in through single sign-on; no Plotbox password' }, 'SSO') : null),
      h('td', {}, u.displayName),
      h('td', {}, role),
      h(
        'td',
        {},
        !u.disabled ? 'Active' : u.disabledReason === 'inactive' ? `Disabled: inactive since ${u.lastActiveAt === undefined ? '?' : new Date(u.lastActiveAt).toLocaleDateString()}` : 'Disabled',
      ),
      h('td', {}, u.totpEnabled ? 'On' : 'Off'),
      h('td', { title: when(u.createdAt) }, new Date(u.createdAt).toLocaleDateString()),
      // A flex box inside the cell, not a flex cell: a table cell must stay a cell to line up with its row.
      h('td', {}, h('div', { class: 'cell-actions' }, toggle, endSessions, exportLink, erase)),
    );
  };

  // Create form.
  const email = h('input', { id: 'admin-user-email', type: 'email', required: true, autocomplete: 'off', maxlength: 254 });
  const name = h('input', { id: 'admin-user-name', required: true, autocomplete: 'off', maxlength: 200 });
  const password = h('input', { id: 'admin-user-password', type: 'password', required: true, autocomplete: 'new-password', 'aria-describedby': 'admin-user-password-hint' });
  const role = h(
    'select',
    { id: 'admin-user-role' },
    ROLES.map(([value, text]) => h('option', { value, selected: value === 'user' }, text)),
  );
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
    inactiveBox,
    tableBox,
    live,
    form,
  );
}

/** What `GET /api/users/:id/erasure-plan` answers (use-cases/personal-data.ts). */
interface ErasurePlanView {
  readonly soleOwnedProjects: readonly { readonly id: string; readonly name: string }[];
  readonly otherGrants: number;
  readonly dashboardGrants: number;
  readonly groups: number;
  readonly apiKeys: number;
  readonly sessions: number;
  readonly lastAdmin: boolean;
}

/**
 * Erase a user after a confirmation that names what will be lost and, when they alone own
 * projects, asks whether those go to someone else or are deleted. Resolves the pseudonym the audit
 * log now uses, or `null` when cancelled.
 */
async function eraseFlow(u: UserView, users: readonly UserView[]): Promise<string | null> {
  const { plan } = await api<{ plan: ErasurePlanView }>('GET', `/api/users/${encodeURIComponent(u.id)}/erasure-plan`);
  if (plan.lastAdmin) throw new Error(`${u.email} is the last enabled administrator and cannot be erased: make someone else an administrator first.`);
  // Enabled admins and users: a system viewer could not run the projects it received.
  const heirs = users.filter((x) => x.id !== u.id && !x.disabled && x.systemRole !== 'viewer').sort(byEmail);
  const sole = plan.soleOwnedProjects;
  const transfer = h('input', { type: 'radio', name: 'erase-projects', id: 'erase-transfer', value: 'transfer', checked: heirs.length > 0, disabled: heirs.length === 0 });
  const remove = h('input', { type: 'radio', name: 'erase-projects', id: 'erase-delete', value: 'delete', checked: heirs.length === 0 });
  const heir = h(
    'select',
    { id: 'erase-heir', 'aria-label': 'New owner' },
    heirs.map((x) => h('option', { value: x.id }, `${x.displayName} <${x.email}>`)),
  );
  const n = (k: number, one: string): string => `${k} ${one}${k === 1 ? '' : 's'}`;
  const body: (string | Node)[] = [
    `This deletes ${u.displayName} <${u.email}> for good: the account, its password, sign-in identities and two-factor settings; ${n(plan.sessions, 'live session')} (signed out at once); ${n(plan.apiKeys, 'API key')}; membership of ${n(plan.groups, 'group')}; ${n(plan.otherGrants, 'grant')} on projects others own and ${n(plan.dashboardGrants, 'dashboard grant')}.`,
    'The audit log keeps every event, with this person replaced by an anonymous pseudonym. Download their data first if they asked for it.',
  ];
  if (sole.length > 0) {
    body.push(
      `They alone own ${n(sole.length, 'project')}: ${sole.map((p) => `“${p.name}”`).join(', ')}.`,
      h('span', { class: 'choice' }, transfer, h('label', { for: 'erase-transfer' }, ' Hand them to '), heir),
      h('span', { class: 'choice' }, remove, h('label', { for: 'erase-delete' }, ' Delete them, with their dashboards, charts and datasets')),
    );
  }
  const ok = await confirmDialog({ title: `Erase ${u.email}?`, body, confirm: 'Erase user', danger: true });
  if (!ok) return null;
  const mode = sole.length === 0 || remove.checked ? 'delete' : 'transfer';
  const r = await api<{ erased: { pseudonym: string } }>(
    'POST',
    `/api/users/${encodeURIComponent(u.id)}/erase`,
    mode === 'transfer' ? { projects: 'transfer', transferTo: heir.value } : { projects: 'delete' },
  );
  return r.erased.pseudonym;
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
              onclick: on((e: Event) =>
                change(e.currentTarget as HTMLButtonElement, () => api('DELETE', `/api/groups/${encodeURIComponent(g.id)}/members/${encodeURIComponent(id)}`), `${label} was removed from ${g.name}.`),
              ),
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
    const del = h(
      'button',
      {
        type: 'button',
        class: 'danger',
        'aria-label': `Delete group ${g.name}`,
        onclick: on(async (e: Event) => {
          const button = e.currentTarget as HTMLButtonElement;
          const ok = await confirmDialog({
            title: `Delete the group “${g.name}”?`,
            body: [
              `Its ${g.memberCount} member${g.memberCount === 1 ? '' : 's'} lose every project and dashboard role the group gave them (roles given to them directly stay). This cannot be undone.`,
            ],
            confirm: 'Delete group',
            danger: true,
          });
          if (ok) await change(button, () => api('DELETE', `/api/groups/${encodeURIComponent(g.id)}`), `The group ${g.name} was deleted.`);
        }),
      },
      'Delete group',
    );
    return h(
      'section',
      { class: 'card group-card', 'aria-labelledby': headingId },
      h('div', { class: 'group-head' }, h('h2', { id: headingId }, g.name), h('span', { class: 'muted' }, `${g.memberCount} member${g.memberCount === 1 ? '' : 's'}`), del),
      memberRows.length === 0
        ? h('p', { class: 'muted' }, 'No members yet.')
        : h(
            'table',
            {},
            h('caption', { class: 'visually-hidden' }, `Members of ${g.name}`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Email', 'Name', ''].map((t) => h('th', { scope: 'col' }, t)),
              ),
            ),
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
