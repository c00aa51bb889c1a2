/**
 * A dashboard: its charts in layout order, each rendered by the API (stored code on the current
 * dataset version, from the render cache when possible) and drawn with Plotly. Charts render
 * concurrently, a few at a time, each with its own loading state and error box. Editors and
 * owners get links to edit charts, buttons to reorder (an optimistic `version` PATCH), rename and
 * delete them; owners may delete the dashboard. A chart that fails shows viewers a short, calm
 * sentence; editors get the analyst's detail and a link to the editor.
 */
import { ApiFailure, api, describeError } from '../api.ts';
import { confirmDialog, count, renameDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import { richText, VIEWER_CHART_FAILURE } from '../format.ts';
import { drawFigure, purgePlot } from '../plot.ts';
import type { PageContext } from '../router.ts';
import type { ChartSummary, DashboardDetail, RenderAnswer } from '../../../src/api-types.ts';
import { canEdit, effectiveRole, mapLimit, projectPath, type ProjectRole } from './project.ts';

/** How many charts render at once (each may be a sandbox run). */
const RENDER_CONCURRENCY = 4;

/** One chart on the page: its section and the parts of it that change. */
interface ChartCard {
  chart: ChartSummary;
  readonly section: HTMLElement;
  readonly status: HTMLElement;
  readonly errorBox: HTMLElement;
  readonly plot: HTMLElement;
  readonly up: HTMLButtonElement | null;
  readonly down: HTMLButtonElement | null;
  drawn: boolean;
}

export async function renderDashboard(ctx: PageContext): Promise<void> {
  const projectId = ctx.params.projectId ?? '';
  const dashboardId = ctx.params.dashboardId ?? '';
  const base = `/api/projects/${encodeURIComponent(projectId)}/dashboards/${encodeURIComponent(dashboardId)}`;
  const pagePath = `${projectPath(projectId)}/dashboards/${encodeURIComponent(dashboardId)}`;

  let { dashboard, myRole } = await api<{ dashboard: DashboardDetail; myRole: ProjectRole | null }>('GET', base);
  const role = effectiveRole(ctx.me, myRole);
  const editor = canEdit(role);
  const owner = role === 'owner';
  ctx.setTitle(dashboard.name);

  const grid = h('div', { class: 'chart-grid' });
  const pageStatus = h('div', { 'aria-live': 'polite' });
  const heading = h('h1', {}, dashboard.name);
  const cards = new Map<string, ChartCard>();

  // Plots hold window listeners (responsive resizing): release them when the page goes away.
  ctx.onLeave(() => {
    for (const card of cards.values()) if (card.drawn) purgePlot(card.plot);
  });

  const editHref = (chart: ChartSummary): string => `#${pagePath}/charts/${encodeURIComponent(chart.id)}`;

  function makeCard(chart: ChartSummary): ChartCard {
    const title = chart.title;
    const status = h('p', { class: 'chart-status muted', role: 'status' });
    const errorBox = h('div', { class: 'chart-error' });
    const plot = h('div', { class: 'chart-plot' });
    let up: HTMLButtonElement | null = null;
    let down: HTMLButtonElement | null = null;
    let tools: HTMLElement | null = null;
    if (editor) {
      up = h('button', { type: 'button', class: 'secondary', 'aria-label': `Move ${title} up`, onclick: () => void move(chart.id, -1) }, 'Up');
      down = h('button', { type: 'button', class: 'secondary', 'aria-label': `Move ${title} down`, onclick: () => void move(chart.id, 1) }, 'Down');
      const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${title}`, onclick: () => void deleteChart(chart) }, 'Delete');
      tools = h('div', { class: 'chart-tools' }, h('a', { href: editHref(chart), 'aria-label': `Edit ${title}` }, 'Edit'), up, down, del);
    }
    const section = h('section', { class: 'chart', 'aria-label': title }, h('div', { class: 'chart-head' }, h('h2', {}, title), tools), status, errorBox, plot);
    return { chart, section, status, errorBox, plot, up, down, drawn: false };
  }

  /** A saved draft with problems never renders: say so without a sandbox call. */
  function showDraft(card: ChartCard): void {
    const problems = card.chart.diagnostics ?? [];
    mount(card.status);
    card.status.hidden = true;
    if (!editor) {
      mount(card.errorBox, h('p', { class: 'notice notice-calm' }, VIEWER_CHART_FAILURE));
      return;
    }
    mount(
      card.errorBox,
      h(
        'div',
        { class: 'notice notice-error', role: 'alert' },
        h('p', {}, `This chart is a draft with ${count(problems.length, 'problem')}; viewers see “${VIEWER_CHART_FAILURE}” until it is fixed.`),
        h(
          'ul',
          {},
          problems.slice(0, 3).map((d) => h('li', {}, ...richText(d.message), ` (line ${d.line}, column ${d.column})`)),
        ),
        h('p', {}, h('a', { href: editHref(card.chart) }, `Fix ${card.chart.title} in the editor`)),
      ),
    );
  }

  async function draw(card: ChartCard): Promise<void> {
    if (!card.section.isConnected) return; // navigated away meanwhile
    if ((card.chart.diagnostics ?? []).length > 0) return showDraft(card);
    mount(card.status, 'Rendering…');
    card.status.hidden = false;
    mount(card.errorBox);
    try {
      const answer = await api<RenderAnswer>('POST', `${base}/charts/${encodeURIComponent(card.chart.id)}/render`);
      if (!card.section.isConnected) return;
      if (card.drawn) purgePlot(card.plot);
      await drawFigure(card.plot, answer.figure, { cardTitle: card.chart.title });
      card.drawn = true;
      mount(card.status);
      card.status.hidden = true;
    } catch (err) {
      if (!card.section.isConnected) return;
      mount(card.status);
      card.status.hidden = true;
      mount(card.errorBox, editor ? errorNotice(err, card.chart.title, editHref(card.chart), () => void draw(card)) : calmNotice(err, card.chart.title, () => void draw(card)));
    }
  }

  /** Put the sections in the dashboard's order, adding new charts and dropping removed ones. */
  function arrange(): ChartCard[] {
    const fresh: ChartCard[] = [];
    const order: ChartCard[] = [];
    const seen = new Set<string>();
    for (const chart of dashboard.charts) {
      seen.add(chart.id);
      let card = cards.get(chart.id);
      if (card === undefined || card.chart.title !== chart.title) {
        if (card?.drawn) purgePlot(card.plot);
        card?.section.remove();
        card = makeCard(chart);
        cards.set(chart.id, card);
        fresh.push(card);
      } else card.chart = chart;
      order.push(card);
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        if (card.drawn) purgePlot(card.plot);
        card.section.remove();
        cards.delete(id);
      }
    }
    if (order.length === 0) mount(grid, h('p', { class: 'muted' }, editor ? 'No charts yet. Add one with “New chart”.' : 'This dashboard has no charts yet.'));
    else {
      // appendChild moves an existing node: plots already drawn stay drawn.
      if (grid.firstElementChild !== null && !grid.firstElementChild.classList.contains('chart')) grid.replaceChildren();
      for (const card of order) grid.appendChild(card.section);
    }
    order.forEach((card, i) => {
      if (card.up) card.up.disabled = i === 0;
      if (card.down) card.down.disabled = i === order.length - 1;
    });
    return fresh;
  }

  async function reload(): Promise<void> {
    ({ dashboard, myRole } = await api<{ dashboard: DashboardDetail; myRole: ProjectRole | null }>('GET', base));
    heading.textContent = dashboard.name;
    ctx.setTitle(dashboard.name);
    void mapLimit(arrange(), RENDER_CONCURRENCY, draw);
  }

  let moving = false;
  async function move(chartId: string, delta: -1 | 1): Promise<void> {
    if (moving) return;
    const ids = dashboard.charts.map((c) => c.id);
    const from = ids.indexOf(chartId);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= ids.length) return;
    ids.splice(from, 1);
    ids.splice(to, 0, chartId);
    moving = true;
    mount(pageStatus);
    const card = cards.get(chartId);
    const title = card?.chart.title ?? 'Chart';
    try {
      const res = await api<{ dashboard: DashboardDetail }>('PATCH', base, { layout: ids, version: dashboard.version });
      dashboard = res.dashboard;
      void mapLimit(arrange(), RENDER_CONCURRENCY, draw);
      mount(pageStatus, notice('ok', `Moved ${title} ${delta < 0 ? 'up' : 'down'}.`));
    } catch (err) {
      if (err instanceof ApiFailure && err.error.code === 'API_CONFLICT') {
        // Someone else changed the dashboard: show its current state.
        mount(pageStatus, notice('error', 'Someone else changed this dashboard meanwhile. It now shows the latest order: try the move again.'));
        await reload().catch((again: unknown) => mount(pageStatus, notice('error', describeError(again))));
      } else mount(pageStatus, notice('error', describeError(err)));
    } finally {
      moving = false;
    }
    // Moving a section loses focus in some browsers: keep it on the control just used.
    const now = cards.get(chartId);
    const button = delta < 0 ? now?.up : now?.down;
    const other = delta < 0 ? now?.down : now?.up;
    if (button && !button.disabled) button.focus();
    else if (other && !other.disabled) other.focus();
  }

  async function deleteChart(chart: ChartSummary): Promise<void> {
    const ok = await confirmDialog({
      title: `Delete the chart “${chart.title}”?`,
      body: [`Its code and its cached figures are deleted, and it disappears from “${dashboard.name}” for everyone who can see this dashboard. This cannot be undone.`],
      confirm: 'Delete chart',
      danger: true,
    });
    if (!ok) return;
    mount(pageStatus);
    try {
      await api('DELETE', `${base}/charts/${encodeURIComponent(chart.id)}`);
      await reload();
      mount(pageStatus, notice('ok', `Deleted the chart “${chart.title}”.`));
      heading.focus();
    } catch (err) {
      mount(pageStatus, notice('error', describeError(err)));
    }
  }

  async function rename(): Promise<void> {
    const name = await renameDialog({ title: 'Rename the dashboard', label: 'Dashboard name', value: dashboard.name, confirm: 'Rename' });
    if (name === null) return;
    mount(pageStatus);
    try {
      await api('PATCH', base, { name, version: dashboard.version });
      await reload();
      mount(pageStatus, notice('ok', `Renamed the dashboard to “${name}”.`));
    } catch (err) {
      const conflict = err instanceof ApiFailure && err.status === 409;
      mount(
        pageStatus,
        notice(
          'error',
          conflict && /name/iu.test(err.error.message) ? `${err.error.message} Choose another name.` : conflict ? 'Someone else changed this dashboard meanwhile; try again.' : describeError(err),
        ),
      );
      if (conflict) await reload().catch(() => undefined);
    }
  }

  async function deleteDashboard(): Promise<void> {
    const n = dashboard.charts.length;
    const ok = await confirmDialog({
      title: `Delete the dashboard “${dashboard.name}”?`,
      body: [
        n === 0
          ? 'It has no charts.'
          : `Its ${count(n, 'chart')} (${dashboard.charts
              .slice(0, 5)
              .map((c) => `“${c.title}”`)
              .join(', ')}${n > 5 ? ', …' : ''}) are deleted with it, with their code and cached figures.`,
        'Everyone who can see it loses it, including people who were given access to this dashboard alone. Datasets stay. This cannot be undone.',
      ],
      confirm: n === 0 ? 'Delete dashboard' : `Delete dashboard and ${count(n, 'chart')}`,
      danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', base);
      ctx.navigate(`${projectPath(projectId)}?deleted=${encodeURIComponent(dashboard.name)}`);
    } catch (err) {
      mount(pageStatus, notice('error', describeError(err)));
    }
  }

  const actions = h(
    'div',
    { class: 'page-actions' },
    editor ? h('a', { class: 'button-link', href: `#${pagePath}/charts/new` }, 'New chart') : null,
    editor ? h('button', { type: 'button', class: 'secondary', onclick: () => void rename() }, 'Rename') : null,
    owner ? h('button', { type: 'button', class: 'danger', onclick: () => void deleteDashboard() }, 'Delete dashboard') : null,
  );
  heading.tabIndex = -1;
  mount(ctx.main, h('p', { class: 'crumbs' }, h('a', { href: `#${projectPath(projectId)}` }, 'Back to project')), h('div', { class: 'page-head' }, heading, editor ? actions : null), pageStatus, grid);
  // Render in the background, a few at a time; the page is usable meanwhile.
  void mapLimit(arrange(), RENDER_CONCURRENCY, draw);
}

/** May another try work? The sandbox busy or away, a rate limit, the network. Code errors are not. */
function transient(err: unknown): boolean {
  return !(err instanceof ApiFailure) || err.status === 0 || err.status === 429 || err.status >= 500;
}

/** A viewer's error box: one calm sentence, and a retry when it may pass. */
function calmNotice(err: unknown, title: string, retry: () => void): HTMLElement {
  return h(
    'div',
    { class: 'notice notice-calm', role: 'status' },
    h('p', {}, VIEWER_CHART_FAILURE, transient(err) ? ' Try again in a moment.' : ' The people who edit this dashboard can fix it.'),
    transient(err) ? h('button', { type: 'button', class: 'secondary', onclick: retry }, `Retry ${title}`) : null,
  );
}

/** An editor's error box: the message with line and column, other findings, a link to the editor, and a retry when it may pass. */
function errorNotice(err: unknown, title: string, editHref: string, retry: () => void): HTMLElement {
  const findings = err instanceof ApiFailure && Array.isArray(err.error.diagnostics) ? err.error.diagnostics.slice(1) : [];
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert' },
    h('p', {}, ...richText(describeError(err))),
    findings.length > 0
      ? h(
          'ul',
          {},
          findings.map((d) => h('li', {}, ...richText(d.message), ` (line ${d.line}, column ${d.column})`)),
        )
      : null,
    h(
      'p',
      { class: 'notice-actions' },
      transient(err) ? h('button', { type: 'button', class: 'secondary', onclick: retry }, `Retry ${title}`) : null,
      h('a', { href: editHref }, `Open ${title} in the editor`),
    ),
    h('p', { class: 'muted' }, `Viewers see only “${VIEWER_CHART_FAILURE}”`),
  );
}
