/** The projects I can see (all of them for a system admin), and a form to create one. */
import { all, api, describeError } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { ProjectView } from '../../../src/api-types.ts';

export async function renderProjects(ctx: PageContext): Promise<void> {
  ctx.setTitle('Projects');
  const projects = await all<ProjectView>('/api/projects');
  projects.sort((a, b) => a.name.localeCompare(b.name));

  const list =
    projects.length === 0
      ? h('p', { class: 'muted' }, 'No projects yet. Ask a project owner to add you, or create one.')
      : h(
          'ul',
          { class: 'link-list', 'aria-label': 'Projects' },
          projects.map((p) => h('li', {}, h('a', { href: `#/projects/${encodeURIComponent(p.id)}` }, p.name), p.description ? h('span', { class: 'muted' }, ` — ${p.description}`) : null)),
        );

  // SPEC §3 decision 2: only admins and users may create projects.
  const canCreate = ctx.me.user.systemRole === 'admin' || ctx.me.user.systemRole === 'user';
  mount(ctx.main, h('h1', {}, 'Projects'), list, canCreate ? createForm(ctx) : null);
}

function createForm(ctx: PageContext): HTMLElement {
  const status = h('div', { 'aria-live': 'polite' });
  const name = h('input', { id: 'new-project-name', name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
  const submit = h('button', { type: 'submit' }, 'Create project');
  return h(
    'form',
    {
      class: 'card inline-form',
      'aria-labelledby': 'new-project-title',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void (async () => {
          const value = name.value.trim();
          if (value === '') {
            mount(status, notice('error', 'Give the project a name.'));
            name.focus();
            return;
          }
          submit.disabled = true;
          mount(status);
          try {
            const res = await api<{ project: ProjectView }>('POST', '/api/projects', { name: value });
            ctx.navigate(`/projects/${res.project.id}`);
          } catch (err) {
            mount(status, notice('error', describeError(err)));
          } finally {
            submit.disabled = false;
          }
        })();
      },
    },
    h('h2', { id: 'new-project-title' }, 'New project'),
    h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'new-project-name' }, 'Project name'), name), h('div', { class: 'field' }, submit)),
    status,
  );
}
