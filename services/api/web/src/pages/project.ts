/**
 * One project: its dashboards and datasets, with create/upload forms for editors and owners and a
 * link to the members page for owners.
 */
import { all, api, describeError, type Me } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import { datasetUploadForm } from './dataset.ts';

export type ProjectRole = 'viewer' | 'editor' | 'owner';

/**
 * What the UI lets me do, from the API's `myRole` (SPEC §3): a system admin acts as owner of every
 * project; a system viewer is read-only whatever it was granted. The API enforces all of this
 * again on every request; the UI only hides controls that would be refused.
 */
export function effectiveRole(me: Me, myRole: ProjectRole | null | undefined): ProjectRole | null {
  if (me.user.systemRole === 'admin') return 'owner';
  const role = myRole ?? null;
  if (me.user.systemRole === 'viewer') return role === null ? null : 'viewer';
  return role;
}

export function canEdit(role: ProjectRole | null): boolean {
  return role === 'editor' || role === 'owner';
}

/** `f` over `items`, at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i] as T, i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return out;
}

export function projectPath(projectId: string): string {
  return `/projects/${encodeURIComponent(projectId)}`;
}

interface ProjectView {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
}
interface DashboardSummary {
  readonly id: string;
  readonly name: string;
}
interface DatasetSummary {
  readonly id: string;
  readonly name: string;
  readonly currentVersionId: string | null;
}
interface DatasetDetail {
  readonly current: { readonly rowCount: number } | null;
}

export async function renderProject(ctx: PageContext): Promise<void> {
  const projectId = ctx.params.projectId ?? '';
  const base = `/api/projects/${encodeURIComponent(projectId)}`;
  const { project, myRole } = await api<{ project: ProjectView; myRole: ProjectRole | null }>('GET', base);
  const role = effectiveRole(ctx.me, myRole);
  const editor = canEdit(role);
  ctx.setTitle(project.name);

  const dashboardsBox = h('div', { 'aria-live': 'polite' });
  const datasetsBox = h('div', { 'aria-live': 'polite' });

  async function loadDashboards(): Promise<void> {
    try {
      const items = await all<DashboardSummary>(`${base}/dashboards`);
      items.sort((a, b) => a.name.localeCompare(b.name));
      mount(
        dashboardsBox,
        items.length === 0
          ? h('p', { class: 'muted' }, 'No dashboards yet.')
          : h('ul', { class: 'link-list', 'aria-label': 'Dashboards' }, items.map((d) => h('li', {}, h('a', { href: `#${projectPath(projectId)}/dashboards/${encodeURIComponent(d.id)}` }, d.name)))),
      );
    } catch (err) {
      mount(dashboardsBox, notice('error', describeError(err)));
    }
  }

  async function loadDatasets(): Promise<void> {
    try {
      const items = await all<DatasetSummary>(`${base}/datasets`);
      items.sort((a, b) => a.name.localeCompare(b.name));
      // The list is metadata only; each dataset's current version carries its row count.
      const rows = await mapLimit(items, 4, async (d) => {
        if (d.currentVersionId === null) return 'upload in progress';
        try {
          const detail = await api<DatasetDetail>('GET', `${base}/datasets/${encodeURIComponent(d.id)}`);
          return detail.current === null ? 'no version yet' : `${detail.current.rowCount.toLocaleString()} ${detail.current.rowCount === 1 ? 'row' : 'rows'}`;
        } catch {
          return 'row count unavailable';
        }
      });
      mount(
        datasetsBox,
        items.length === 0
          ? h('p', { class: 'muted' }, 'No datasets yet.')
          : h(
              'ul',
              { class: 'link-list', 'aria-label': 'Datasets' },
              items.map((d, i) => h('li', {}, h('a', { href: `#${projectPath(projectId)}/datasets/${encodeURIComponent(d.id)}` }, d.name), h('span', { class: 'muted' }, ` — ${rows[i] ?? ''}`))),
            ),
      );
    } catch (err) {
      mount(datasetsBox, notice('error', describeError(err)));
    }
  }

  mount(dashboardsBox, h('p', { class: 'muted', role: 'status' }, 'Loading dashboards…'));
  mount(datasetsBox, h('p', { class: 'muted', role: 'status' }, 'Loading datasets…'));

  mount(
    ctx.main,
    h('h1', {}, project.name),
    project.description ? h('p', { class: 'muted' }, project.description) : null,
    role === 'owner' ? h('p', {}, h('a', { href: `#${projectPath(projectId)}/members` }, 'Members')) : null,
    h(
      'section',
      { 'aria-labelledby': 'dashboards-title' },
      h('h2', { id: 'dashboards-title' }, 'Dashboards'),
      dashboardsBox,
      editor ? createDashboardForm(ctx, base, projectId) : null,
    ),
    h(
      'section',
      { 'aria-labelledby': 'datasets-title' },
      h('h2', { id: 'datasets-title' }, 'Datasets'),
      datasetsBox,
      editor ? datasetUploadForm(projectId, () => void loadDatasets()) : null,
    ),
  );
  await Promise.all([loadDashboards(), loadDatasets()]);
}

function createDashboardForm(ctx: PageContext, base: string, projectId: string): HTMLElement {
  const status = h('div', { 'aria-live': 'polite' });
  const name = h('input', { id: 'new-dashboard-name', name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
  const submit = h('button', { type: 'submit' }, 'Create dashboard');
  return h(
    'form',
    {
      class: 'card inline-form',
      'aria-label': 'New dashboard',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void (async () => {
          const value = name.value.trim();
          if (value === '') {
            mount(status, notice('error', 'Give the dashboard a name.'));
            name.focus();
            return;
          }
          submit.disabled = true;
          mount(status);
          try {
            const res = await api<{ dashboard: DashboardSummary }>('POST', `${base}/dashboards`, { name: value });
            ctx.navigate(`${projectPath(projectId)}/dashboards/${encodeURIComponent(res.dashboard.id)}`);
          } catch (err) {
            mount(status, notice('error', describeError(err)));
          } finally {
            submit.disabled = false;
          }
        })();
      },
    },
    h('div', { class: 'row' }, h('div', { class: 'field' }, h('label', { for: 'new-dashboard-name' }, 'Dashboard name'), name), h('div', { class: 'field' }, submit)),
    status,
  );
}
