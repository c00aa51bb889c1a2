/**
 * Members of a project (owners and admins): the user and group grants, changing a role, revoking
 * (after a confirmation; the API keeps the last owner and answers 409 otherwise), and adding people
 * and groups found by name or email through the project's people finder, which reveals only ids,
 * names and emails, at most ten at a time.
 */
import { ApiFailure, all, api, describeError } from '../api.ts';
import { confirmDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import { roleLabel } from '../format.ts';
import type { PageContext } from '../router.ts';
import type { GroupView, MemberView, PeopleAnswer } from '../../../src/api-types.ts';
import { projectPath, type ProjectRole } from './project.ts';

type Kind = 'user' | 'group';

interface Candidate {
  readonly kind: Kind;
  readonly id: string;
  readonly label: string;
  readonly detail: string;
}

const ROLES: readonly ProjectRole[] = ['viewer', 'editor', 'owner'];
const RANK: Readonly<Record<ProjectRole, number>> = { viewer: 1, editor: 2, owner: 3 };
const ROLE_HINT: Readonly<Record<ProjectRole, string>> = {
  viewer: 'sees dashboards and charts',
  editor: 'also writes charts, makes dashboards, uploads data',
  owner: 'also manages members and deletes',
};

/** Groups with their members, to explain effective roles; only system admins may list them. */
async function loadGroups(ctx: PageContext): Promise<GroupView[] | null> {
  if (ctx.me.user.systemRole !== 'admin') return null;
  try {
    return await all<GroupView>('/api/groups');
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 403) return null;
    throw err;
  }
}

function labelOf(g: MemberView): string {
  return g.name ?? g.principal.id;
}

export async function renderMembers(ctx: PageContext): Promise<void> {
  const projectId = ctx.params.projectId ?? '';
  const base = `/api/projects/${encodeURIComponent(projectId)}`;
  // The member list first: a caller who may not see it gets the router's "Not allowed" page.
  const [{ project }, first, groups] = await Promise.all([api<{ project: { name: string } }>('GET', base), api<{ items: MemberView[] }>('GET', `${base}/members`), loadGroups(ctx)]);
  ctx.setTitle(`Members — ${project.name}`);

  const status = h('div', { 'aria-live': 'polite' });
  const tableBox = h('div', { class: 'table-scroll' });
  let grants: MemberView[] = first.items;

  /** A user's effective role from their direct grant and their groups' grants (known to admins). */
  function effectiveOf(userId: string): { role: ProjectRole | null; via: string[] } {
    let role: ProjectRole | null = null;
    const via: string[] = [];
    for (const g of grants) {
      const applies = g.principal.kind === 'user' ? g.principal.id === userId : (groups?.find((x) => x.id === g.principal.id)?.memberIds.includes(userId) ?? false);
      if (!applies) continue;
      if (g.principal.kind === 'group') via.push(`${labelOf(g)} (${roleLabel(g.role)})`);
      if (role === null || RANK[g.role] > RANK[role]) role = g.role;
    }
    return { role, via };
  }

  function draw(): void {
    const sorted = [...grants].sort((a, b) => (a.principal.kind === b.principal.kind ? labelOf(a).localeCompare(labelOf(b)) : a.principal.kind === 'user' ? -1 : 1));
    if (sorted.length === 0) {
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
          h(
            'tr',
            {},
            ['Name', 'Type', 'Details', 'Role', ...(groups ? ['Effective role'] : []), 'Actions'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          sorted.map((g) => {
            const name = labelOf(g);
            const details = g.principal.kind === 'user' ? [g.email ?? '', g.disabled ? ' (disabled)' : ''] : `${g.members ?? 0} ${(g.members ?? 0) === 1 ? 'member' : 'members'}`;
            let effective: Node | string | null = null;
            if (groups) {
              if (g.principal.kind === 'user') {
                const e = effectiveOf(g.principal.id);
                effective = e.via.length > 0 ? `${roleLabel(e.role)} (direct ${roleLabel(g.role)}; groups: ${e.via.join(', ')})` : roleLabel(e.role);
              } else effective = h('span', { class: 'muted' }, 'applies to its members');
            }
            const roleSelect = h(
              'select',
              { 'aria-label': `Role of ${name}`, onchange: (e: Event) => void changeRole(g, e.currentTarget as HTMLSelectElement) },
              ROLES.map((r) => h('option', { value: r, selected: r === g.role }, roleLabel(r))),
            );
            return h(
              'tr',
              {},
              h('th', { scope: 'row', title: `${g.principal.kind} id ${g.principal.id}` }, name),
              h('td', {}, g.principal.kind === 'user' ? 'User' : 'Group'),
              h('td', {}, details),
              h('td', {}, roleSelect),
              groups ? h('td', {}, effective) : null,
              h('td', {}, h('button', { type: 'button', class: 'danger', onclick: (e: Event) => void revoke(g, e.currentTarget as HTMLButtonElement) }, `Revoke ${name}`)),
            );
          }),
        ),
      ),
    );
  }

  async function load(): Promise<void> {
    grants = (await api<{ items: MemberView[] }>('GET', `${base}/members`)).items;
    draw();
  }

  async function changeRole(g: MemberView, select: HTMLSelectElement): Promise<void> {
    const role = select.value as ProjectRole;
    const name = labelOf(g);
    if (RANK[role] < RANK[g.role] && g.principal.kind === 'user' && g.principal.id === ctx.me.user.id && ctx.me.user.systemRole !== 'admin') {
      const ok = await confirmDialog({
        title: 'Lower your own role?',
        body: [`You will be ${roleLabel(role)} on ${project.name}${role === 'owner' ? '' : ' and can no longer manage its members'}.`],
        confirm: `Become ${roleLabel(role)}`,
        danger: true,
      });
      if (!ok) {
        select.value = g.role;
        return;
      }
    }
    select.disabled = true;
    mount(status);
    try {
      await api('PUT', `${base}/members/${g.principal.kind}/${encodeURIComponent(g.principal.id)}`, { role });
      await load().catch(() => undefined);
      mount(status, notice('ok', `${name} is now ${roleLabel(role)}.`));
    } catch (err) {
      select.value = g.role;
      select.disabled = false;
      mount(status, notice('error', describeError(err)));
    }
  }

  async function revoke(g: MemberView, button: HTMLButtonElement): Promise<void> {
    const name = labelOf(g);
    const self = g.principal.kind === 'user' && g.principal.id === ctx.me.user.id;
    const ok = await confirmDialog({
      title: `Revoke ${name}’s role?`,
      body: [
        g.principal.kind === 'group'
          ? `The ${g.members ?? 0} member${(g.members ?? 0) === 1 ? '' : 's'} of ${name} lose the ${roleLabel(g.role)} role it gave them on ${project.name} (a role granted to them directly stays).`
          : `${name} loses the ${roleLabel(g.role)} role on ${project.name}${self ? ', and you may lose access to this page' : ''}. A role given through a group stays.`,
      ],
      confirm: `Revoke ${name}`,
      danger: true,
    });
    if (!ok) return;
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
      mount(status, notice('ok', `Revoked ${name}’s ${roleLabel(g.role)} role.`));
      (tableBox.querySelector('button') ?? ctx.main).focus();
    } catch (err) {
      // Revoking my own owner grant can end my access to this page.
      mount(status, notice('ok', `Revoked ${name}’s ${roleLabel(g.role)} role.`), notice('error', describeError(err)));
    }
  }

  mount(
    ctx.main,
    h('p', { class: 'crumbs' }, h('a', { href: `#${projectPath(projectId)}` }, `Back to ${project.name}`)),
    h('h1', {}, 'Members'),
    h(
      'p',
      { class: 'muted' },
      'A user’s effective role is the most permissive of their direct role and the roles of every group they belong to (Owner > Editor > Viewer). A system admin acts as Owner of every project; a system viewer can only view, whatever it is given.',
    ),
    status,
    tableBox,
    addForm(
      base,
      project.name,
      () => grants,
      async (message) => {
        await load();
        mount(status, notice('ok', message));
      },
    ),
  );
  draw();
}

/** "Add a member": find people or groups by name or email, choose one, give a role. */
function addForm(base: string, projectName: string, current: () => readonly MemberView[], done: (message: string) => Promise<void>): HTMLElement {
  const formStatus = h('div', { 'aria-live': 'polite' });
  const search = h('input', {
    id: 'member-search',
    type: 'search',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: 100,
    'aria-describedby': 'member-search-hint',
    'aria-controls': 'member-results',
  });
  const results = h('ul', { id: 'member-results', class: 'pick-list', 'aria-label': 'People and groups found' });
  const resultsNote = h('p', { class: 'muted', role: 'status' });
  const chosenBox = h('p', { class: 'chosen', hidden: true });
  const role = h(
    'select',
    { id: 'grant-role', name: 'role' },
    ROLES.map((r) => h('option', { value: r, selected: r === 'viewer' }, `${roleLabel(r)} — ${ROLE_HINT[r]}`)),
  );
  const submit = h('button', { type: 'submit', disabled: true }, 'Add member');
  let chosen: Candidate | null = null;
  let ticket = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function choose(c: Candidate | null): void {
    chosen = c;
    submit.disabled = c === null;
    if (c === null) {
      chosenBox.hidden = true;
      submit.textContent = 'Add member';
      return;
    }
    const existing = current().find((g) => g.principal.kind === c.kind && g.principal.id === c.id);
    mount(chosenBox, 'Chosen: ', h('strong', {}, c.label), ` (${c.detail})`, existing === undefined ? '' : ` — already ${roleLabel(existing.role)}; adding changes the role`);
    chosenBox.hidden = false;
    submit.textContent = existing === undefined ? `Add ${c.label}` : `Change ${c.label}’s role`;
    role.focus();
  }

  async function find(): Promise<void> {
    const q = search.value.trim();
    const mine = ++ticket;
    if (q.length < 2) {
      results.replaceChildren();
      resultsNote.textContent = q.length === 0 ? '' : 'Type at least 2 characters.';
      return;
    }
    resultsNote.textContent = 'Searching…';
    try {
      const answer = await api<PeopleAnswer>('GET', `${base}/people?q=${encodeURIComponent(q)}`);
      if (mine !== ticket) return;
      const candidates: Candidate[] = [
        ...answer.users.map((u) => ({ kind: 'user' as const, id: u.id, label: u.displayName, detail: u.email })),
        ...answer.groups.map((g) => ({ kind: 'group' as const, id: g.id, label: g.name, detail: `group of ${g.members} ${g.members === 1 ? 'member' : 'members'}` })),
      ];
      mount(
        results,
        candidates.map((c) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: 'pick', title: `${c.kind} id ${c.id}`, onclick: () => choose(c) },
              h('span', { class: 'pick-name' }, c.label),
              h('span', { class: 'muted' }, ` ${c.detail}`),
            ),
          ),
        ),
      );
      resultsNote.textContent =
        candidates.length === 0
          ? q.includes('@')
            ? 'Nobody with that email. Check the spelling, or ask an administrator to create the account.'
            : 'No match. Try the start of a first or last name, an email, or a group name.'
          : `${candidates.length} found${candidates.length >= 10 ? ' (the first 10 of each kind: type more to narrow)' : ''}. Choose one.`;
    } catch (err) {
      if (mine !== ticket) return;
      results.replaceChildren();
      resultsNote.textContent = describeError(err);
    }
  }

  search.addEventListener('input', () => {
    choose(null);
    if (timer !== undefined) clearTimeout(timer);
    // A short pause before asking: one request per word typed, not per key.
    timer = setTimeout(() => void find(), 250);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (timer !== undefined) clearTimeout(timer);
      void find();
    }
  });

  return h(
    'form',
    {
      class: 'card inline-form',
      'aria-labelledby': 'grant-title',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void (async () => {
          const c = chosen;
          if (c === null) {
            mount(formStatus, notice('error', 'Find and choose a person or group first.'));
            search.focus();
            return;
          }
          const r = role.value as ProjectRole;
          submit.disabled = true;
          mount(formStatus);
          try {
            await api('PUT', `${base}/members/${c.kind}/${encodeURIComponent(c.id)}`, { role: r });
            search.value = '';
            results.replaceChildren();
            resultsNote.textContent = '';
            choose(null);
            await done(`${c.label} is now ${roleLabel(r)} on ${projectName}.`);
          } catch (err) {
            submit.disabled = false;
            mount(formStatus, notice('error', describeError(err)));
          }
        })();
      },
    },
    h('h2', { id: 'grant-title' }, 'Add a member'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'member-search' }, 'Find a person or group'),
      search,
      h('p', { id: 'member-search-hint', class: 'hint' }, 'Type the start of a name, an email or a group name (at least 2 characters), or a full email address.'),
    ),
    resultsNote,
    results,
    chosenBox,
    h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'grant-role' }, 'Role'), role), h('div', { class: 'field' }, submit)),
    formStatus,
  );
}
