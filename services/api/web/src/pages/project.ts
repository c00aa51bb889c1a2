/**
 * One project: its dashboards and datasets, with create/upload forms for editors and owners and a
 * link to the members page for owners.
 */
import { ApiFailure, all, api, describeError, type Me } from '../api.ts';
import { confirmDialog, count, renameDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import type { DashboardDetail, DashboardView, DatasetDetail, DatasetView, ProjectRoleName, ProjectView } from '../../../src/api-types.ts';
import { datasetUploadForm } from './dataset.ts';

export type ProjectRole = ProjectRoleName;

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

interface DashboardCharts {
  readonly dashboard: DashboardDetail;
}

/** Every chart of the project with its dashboard's name (for "what will be lost"), a few dashboards at a time. */
export async function projectCharts(projectId: string): Promise<{ dashboard: string; title: string; datasetId: string | null }[]> {
  const base = `/api/projects/${encodeURIComponent(projectId)}`;
  const dashboards = await all<DashboardView>(`${base}/dashboards`);
  const views = await mapLimit(dashboards, 4, (d) => api<DashboardCharts>('GET', `${base}/dashboards/${encodeURIComponent(d.id)}`));
  return views.flatMap((v) => v.dashboard.charts.map((c) => ({ dashboard: v.dashboard.name, title: c.title, datasetId: c.datasetId ?? null })));
}

/** Ask, then delete a dataset; resolves `true` when it was deleted. Names the charts that use it. */
export async function deleteDatasetFlow(projectId: string, dataset: { readonly id: string; readonly name: string }, versions: number | null): Promise<boolean> {
  const using = (await projectCharts(projectId).catch(() => null))?.filter((c) => c.datasetId === dataset.id) ?? null;
  const uses =
    using === null
      ? 'Charts that use it stop rendering until they get another dataset.'
      : using.length === 0
        ? 'No chart uses it.'
        : `${count(using.length, 'chart')} use${using.length === 1 ? 's' : ''} it and will stop rendering until given another dataset: ${using
            .slice(0, 5)
            .map((c) => `“${c.title}” on ${c.dashboard}`)
            .join(', ')}${using.length > 5 ? ', …' : ''}.`;
  const ok = await confirmDialog({
    title: `Delete the dataset “${dataset.name}”?`,
    body: [`Its data${versions === null ? '' : ` (${count(versions, 'version')})`} is deleted for good. ${uses}`, 'This cannot be undone.'],
    confirm: 'Delete dataset',
    danger: true,
  });
  if (!ok) return false;
  await api('DELETE', `/api/projects/${encodeURIComponent(projectId)}/datasets/${encodeURIComponent(dataset.id)}`);
  return true;
}

export async function renderProject(ctx: PageContext): Promise<void> {
  const projectId = ctx.params.projectId ?? '';
  const base = `/api/projects/${encodeURIComponent(projectId)}`;
  const first = await api<{ project: ProjectView; myRole: ProjectRole | null }>('GET', base);
  let project = first.project;
  const myRole = first.myRole;
  const role = effectiveRole(ctx.me, myRole);
  const editor = canEdit(role);
  const owner = role === 'owner';
  ctx.setTitle(project.name);

  const dashboardsBox = h('div', { 'aria-live': 'polite' });
  const datasetsBox = h('div', { 'aria-live': 'polite' });
  const pageStatus = h('div', { 'aria-live': 'polite' });
  const heading = h('h1', { tabindex: -1 }, project.name);
  const deleted = ctx.query.get('deleted');
  if (deleted !== null) mount(pageStatus, notice('ok', `Deleted the dashboard “${deleted}”.`));

  async function loadDashboards(): Promise<void> {
    try {
      const items = await all<DashboardView>(`${base}/dashboards`);
      items.sort((a, b) => a.name.localeCompare(b.name));
      mount(
        dashboardsBox,
        items.length === 0
          ? h('p', { class: 'muted' }, 'No dashboards yet.')
          : h(
              'ul',
              { class: 'link-list', 'aria-label': 'Dashboards' },
              items.map((d) =>
                h(
                  'li',
                  {},
                  h('a', { href: `#${projectPath(projectId)}/dashboards/${encodeURIComponent(d.id)}` }, d.name),
                  owner ? h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete dashboard ${d.name}`, onclick: () => void deleteDashboard(d) }, 'Delete') : null,
                ),
              ),
            ),
      );
    } catch (err) {
      mount(dashboardsBox, notice('error', describeError(err)));
    }
  }

  async function loadDatasets(): Promise<void> {
    try {
      const items = await all<DatasetView>(`${base}/datasets`);
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
              items.map((d, i) =>
                h(
                  'li',
                  {},
                  h('a', { href: `#${projectPath(projectId)}/datasets/${encodeURIComponent(d.id)}` }, d.name),
                  h('span', { class: 'muted' }, ` — ${rows[i] ?? ''}`),
                  owner ? h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete dataset ${d.name}`, onclick: () => void deleteDataset(d) }, 'Delete') : null,
                ),
              ),
            ),
      );
    } catch (err) {
      mount(datasetsBox, notice('error', describeError(err)));
    }
  }

  async function deleteDashboard(d: DashboardView): Promise<void> {
    let charts: readonly { title: string }[] | null = null;
    try {
      charts = (await api<DashboardCharts>('GET', `${base}/dashboards/${encodeURIComponent(d.id)}`)).dashboard.charts;
    } catch {
      // the count is a courtesy: ask without it
    }
    const n = charts?.length ?? null;
    const ok = await confirmDialog({
      title: `Delete the dashboard “${d.name}”?`,
      body: [
        n === null ? 'Its charts are deleted with it.' : n === 0 ? 'It has no charts.' : `Its ${count(n, 'chart')} are deleted with it, with their code and cached figures.`,
        'Everyone who can see it loses it. Datasets stay. This cannot be undone.',
      ],
      confirm: n === null || n === 0 ? 'Delete dashboard' : `Delete dashboard and ${count(n, 'chart')}`,
      danger: true,
    });
    if (!ok) return;
    mount(pageStatus);
    try {
      await api('DELETE', `${base}/dashboards/${encodeURIComponent(d.id)}`);
      mount(pageStatus, notice('ok', `Deleted the dashboard “${d.name}”.`));
      await loadDashboards();
      heading.focus();
    } catch (err) {
      mount(pageStatus, notice('error', describeError(err)));
    }
  }

  async function deleteDataset(d: DatasetView): Promise<void> {
    mount(pageStatus);
    try {
      if (!(await deleteDatasetFlow(projectId, d, null))) return;
      mount(pageStatus, notice('ok', `Deleted the dataset “${d.name}”.`));
      await loadDatasets();
      heading.focus();
    } catch (err) {
      mount(pageStatus, notice('error', describeError(err)));
    }
  }

  async function renameProject(): Promise<void> {
    const name = await renameDialog({ title: 'Rename the project', label: 'Project name', value: project.name, confirm: 'Rename' });
    if (name === null) return;
    mount(pageStatus);
    try {
      project = (await api<{ project: ProjectView }>('PATCH', base, { name, version: project.version })).project;
      heading.textContent = project.name;
      ctx.setTitle(project.name);
      mount(pageStatus, notice('ok', `Renamed the project to “${project.name}”.`));
    } catch (err) {
      mount(pageStatus, notice('error', err instanceof ApiFailure && err.status === 409 ? 'Someone else changed this project meanwhile. Reload the page and try again.' : describeError(err)));
    }
  }

  async function deleteProject(): Promise<void> {
    let what = 'all its dashboards, charts and datasets';
    try {
      const [charts, datasets, dashboards] = await Promise.all([projectCharts(projectId), all<DatasetView>(`${base}/datasets`), all<DashboardView>(`${base}/dashboards`)]);
      what = `its ${count(dashboards.length, 'dashboard')}, ${count(charts.length, 'chart')} and ${count(datasets.length, 'dataset')}`;
    } catch {
      // the counts are a courtesy: ask without them
    }
    const ok = await confirmDialog({
      title: `Delete the project “${project.name}”?`,
      body: [`This deletes ${what}, with every member’s access to them.`, 'This cannot be undone.'],
      confirm: 'Delete project',
      danger: true,
    });
    if (!ok) return;
    mount(pageStatus);
    try {
      await api('DELETE', base);
      ctx.navigate('/');
    } catch (err) {
      mount(pageStatus, notice('error', describeError(err)));
    }
  }

  mount(dashboardsBox, h('p', { class: 'muted', role: 'status' }, 'Loading dashboards…'));
  mount(datasetsBox, h('p', { class: 'muted', role: 'status' }, 'Loading datasets…'));

  mount(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      heading,
      owner
        ? h(
            'div',
            { class: 'page-actions' },
            h('a', { class: 'button-link secondary', href: `#${projectPath(projectId)}/members` }, 'Members'),
            h('button', { type: 'button', class: 'secondary', onclick: () => void renameProject() }, 'Rename'),
            h('button', { type: 'button', class: 'danger', onclick: () => void deleteProject() }, 'Delete project'),
          )
        : null,
    ),
    project.description ? h('p', { class: 'muted' }, project.description) : null,
    pageStatus,
    h('section', { 'aria-labelledby': 'dashboards-title' }, h('h2', { id: 'dashboards-title' }, 'Dashboards'), dashboardsBox, editor ? createDashboardForm(ctx, base, projectId) : null),
    h('section', { 'aria-labelledby': 'datasets-title' }, h('h2', { id: 'datasets-title' }, 'Datasets'), datasetsBox, editor ? datasetUploadForm(projectId, () => void loadDatasets()) : null),
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
            const res = await api<{ dashboard: DashboardView }>('POST', `${base}/dashboards`, { name: value });
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
