/**
 * Members of a project (owners): the user and group grants, revoking them (the API keeps the last
 * owner and answers 409 otherwise), and granting a role to a user or a group. System admins pick
 * principals from the user and group lists; other owners, who may not list users, type an id.
 */
import { ApiFailure, all, api, describeError } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import { projectPath, type ProjectRole } from './project.ts';

type Kind = 'user' | 'group';

interface GrantView {
  readonly principal: { readonly kind: Kind; readonly id: string };
  readonly role: ProjectRole;
  readonly name: string | null;
  readonly email?: string | null;
  readonly disabled?: boolean | null;
  readonly members?: number;
}
interface UserSummary {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly disabled: boolean;
}
interface GroupSummary {
  readonly id: string;
  readonly name: string;
  readonly memberIds: readonly string[];
}

const ROLES: readonly ProjectRole[] = ['viewer', 'editor', 'owner'];
const RANK: Readonly<Record<ProjectRole, number>> = { viewer: 1, editor: 2, owner: 3 };

/** Who can be picked, when the caller may list users and groups (system admins). */
interface Directory {
  readonly users: UserSummary[];
  readonly groups: GroupSummary[];
}

async function loadDirectory(ctx: PageContext): Promise<Directory | null> {
  // Only system admins may list users and groups; asking as anyone else is a refused (and audited) request.
  if (ctx.me.user.systemRole !== 'admin') return null;
  try {
    const [users, groups] = await Promise.all([all<UserSummary>('/api/users'), all<GroupSummary>('/api/groups')]);
    users.sort((a, b) => a.displayName.localeCompare(b.displayName));
    groups.sort((a, b) => a.name.localeCompare(b.name));
    return { users, groups };
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 403) return null;
    throw err;
  }
}

function labelOf(g: GrantView): string {
  return g.name ?? g.principal.id;
}

export async function renderMembers(ctx: PageContext): Promise<void> {
  const projectId = ctx.params.projectId ?? '';
  const base = `/api/projects/${encodeURIComponent(projectId)}`;
  const [{ project }, directory] = await Promise.all([api<{ project: { name: string } }>('GET', base), loadDirectory(ctx)]);
  ctx.setTitle(`Members — ${project.name}`);

  const status = h('div', { 'aria-live': 'polite' });
  const tableBox = h('div');

  /** A user's effective role from their direct grant and their groups' grants (known to admins). */
  function effectiveOf(userId: string, grants: readonly GrantView[]): { role: ProjectRole | null; via: string[] } {
    let role: ProjectRole | null = null;
    const via: string[] = [];
    for (const g of grants) {
      const applies = g.principal.kind === 'user' ? g.principal.id === userId : (directory?.groups.find((x) => x.id === g.principal.id)?.memberIds.includes(userId) ?? false);
      if (!applies) continue;
      if (g.principal.kind === 'group') via.push(`${labelOf(g)} (${g.role})`);
      if (role === null || RANK[g.role] > RANK[role]) role = g.role;
    }
    return { role, via };
  }

  async function load(): Promise<void> {
    const { items } = await api<{ items: GrantView[] }>('GET', `${base}/members`);
    const grants = [...items].sort((a, b) => (a.principal.kind === b.principal.kind ? labelOf(a).localeCompare(labelOf(b)) : a.principal.kind === 'user' ? -1 : 1));
    if (grants.length === 0) {
      mount(tableBox, h('p', { class: 'muted' }, 'Nobody holds a role on this project.'));
      return;
    }
    mount(
      tableBox,
      h(
        'table',
        { class: 'members-table', 'aria-label': 'Project members' },
        h(
          'thead',
          {},
          h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Details'), h('th', { scope: 'col' }, 'Role'), directory ? h('th', { scope: 'col' }, 'Effective role') : null, h('th', { scope: 'col' }, 'Actions')),
        ),
        h(
          'tbody',
          {},
          grants.map((g) => {
            const name = labelOf(g);
            const details =
              g.principal.kind === 'user'
                ? [g.email ?? '', g.disabled ? ' (disabled)' : '']
                : `${g.members ?? 0} ${(g.members ?? 0) === 1 ? 'member' : 'members'}`;
            let effective: Node | string | null = null;
            if (directory) {
              if (g.principal.kind === 'user') {
                const e = effectiveOf(g.principal.id, grants);
                effective = e.via.length > 0 ? `${e.role ?? 'none'} (direct ${g.role}; groups: ${e.via.join(', ')})` : (e.role ?? 'none');
              } else effective = h('span', { class: 'muted' }, 'applies to its members');
            }
            return h(
              'tr',
              {},
              h('th', { scope: 'row' }, name),
              h('td', {}, g.principal.kind === 'user' ? 'User' : 'Group'),
              h('td', {}, details),
              h('td', {}, g.role),
              directory ? h('td', {}, effective) : null,
              h('td', {}, h('button', { type: 'button', class: 'danger', onclick: (e: Event) => void revoke(g, e.currentTarget as HTMLButtonElement) }, `Revoke ${name}`)),
            );
          }),
        ),
      ),
    );
  }

  async function revoke(g: GrantView, button: HTMLButtonElement): Promise<void> {
    const name = labelOf(g);
    button.disabled = true;
    mount(status);
    try {
      await api('DELETE', `${base}/members/${g.principal.kind}/${encodeURIComponent(g.principal.id)}`);
    } catch (err) {
      button.disabled = false;
      mount(status, notice('error', describeError(err)));
      return;
    }
    try {
      await load();
      mount(status, notice('ok', `Revoked ${name}’s ${g.role} role.`));
      (tableBox.querySelector('button') ?? ctx.main).focus();
    } catch (err) {
      // Revoking my own owner grant can end my access to this page.
      mount(status, notice('ok', `Revoked ${name}’s ${g.role} role.`), notice('error', describeError(err)));
    }
  }

  mount(
    ctx.main,
    h('p', { class: 'crumbs' }, h('a', { href: `#${projectPath(projectId)}` }, `Back to ${project.name}`)),
    h('h1', {}, 'Members'),
    h(
      'p',
      { class: 'muted' },
      'A user’s effective role is the most permissive of their direct grant and the grants of every group they belong to (owner > editor > viewer). Revoking a direct grant leaves any role a group gives. A system admin acts as owner of every project; a system viewer can only view, whatever it is granted.',
    ),
    status,
    tableBox,
    grantForm(directory, base, async (message) => {
      await load();
      mount(status, notice('ok', message));
    }),
  );
  await load();
}

function grantForm(directory: Directory | null, base: string, done: (message: string) => Promise<void>): HTMLElement {
  const formStatus = h('div', { 'aria-live': 'polite' });
  const kind = h('select', { id: 'grant-kind', name: 'kind' }, h('option', { value: 'user' }, 'User'), h('option', { value: 'group' }, 'Group'));
  const role = h('select', { id: 'grant-role', name: 'role' }, ROLES.map((r) => h('option', { value: r }, r)));
  const submit = h('button', { type: 'submit' }, 'Grant');

  let who: HTMLInputElement | HTMLSelectElement;
  let whoField: HTMLElement;
  if (directory) {
    const select = h('select', { id: 'grant-principal', name: 'principal', required: true });
    const fill = (): void => {
      const options =
        kind.value === 'user'
          ? directory.users.map((u) => h('option', { value: u.id }, `${u.displayName} <${u.email}>${u.disabled ? ' (disabled)' : ''}`))
          : directory.groups.map((g) => h('option', { value: g.id }, `${g.name} (${g.memberIds.length} ${g.memberIds.length === 1 ? 'member' : 'members'})`));
      mount(select, options.length === 0 ? h('option', { value: '' }, kind.value === 'user' ? 'No users' : 'No groups') : options);
    };
    fill();
    kind.addEventListener('change', fill);
    who = select;
    whoField = h('div', { class: 'field' }, h('label', { for: 'grant-principal' }, 'User or group'), select);
  } else {
    who = h('input', { id: 'grant-principal', name: 'principal', required: true, maxlength: 64, pattern: '[A-Za-z0-9_\\-]{1,64}', autocomplete: 'off', spellcheck: 'false' });
    whoField = h('div', { class: 'field' }, h('label', { for: 'grant-principal' }, 'User or group id'), who, h('span', { class: 'muted field-hint' }, 'The id of the user or group (an administrator can tell you).'));
  }

  return h(
    'form',
    {
      class: 'card inline-form',
      'aria-labelledby': 'grant-title',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void (async () => {
          const id = who.value.trim();
          if (id === '') {
            mount(formStatus, notice('error', 'Choose a user or group.'));
            who.focus();
            return;
          }
          const k = kind.value as Kind;
          const r = role.value as ProjectRole;
          submit.disabled = true;
          mount(formStatus);
          try {
            await api('PUT', `${base}/members/${k}/${encodeURIComponent(id)}`, { role: r });
            const label = who instanceof HTMLSelectElement ? (who.selectedOptions[0]?.textContent ?? id) : id;
            if (who instanceof HTMLInputElement) who.value = '';
            await done(`Granted ${r} to ${k} ${label}.`);
          } catch (err) {
            mount(formStatus, notice('error', describeError(err)));
          } finally {
            submit.disabled = false;
          }
        })();
      },
    },
    h('h2', { id: 'grant-title' }, 'Add or change a member'),
    h(
      'div',
      { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: 'grant-kind' }, 'Principal type'), kind),
      whoField,
      h('div', { class: 'field' }, h('label', { for: 'grant-role' }, 'Role'), role),
      h('div', { class: 'field' }, submit),
    ),
    formStatus,
  );
}
