/**
 * A dashboard: its charts in layout order, each rendered by the API (stored code on the current
 * dataset version, from the render cache when possible) and drawn with Plotly. Charts render
 * concurrently, a few at a time, each with its own loading state and error box. Editors and
 * owners get links to edit charts and buttons to reorder them (an optimistic `version` PATCH).
 */
import { ApiFailure, api, describeError } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import type { PageContext } from '../router.ts';
import { canEdit, effectiveRole, mapLimit, projectPath, type ProjectRole } from './project.ts';

/** The part of Plotly's global (loaded by its own deferred script) this page uses. */
declare const Plotly: {
  newPlot(el: HTMLElement, data: unknown, layout?: unknown, config?: Record<string, unknown>): Promise<unknown>;
  purge(el: HTMLElement): void;
};
/** A plot's div after `newPlot`: Plotly adds an event emitter to it. */
type PlotDiv = HTMLElement & { on?: (event: string, handler: () => void) => void };

/** How many charts render at once (each may be a sandbox run). */
const RENDER_CONCURRENCY = 4;

interface ChartSummary {
  readonly id: string;
  readonly title: string;
  readonly diagnostics?: readonly unknown[];
}
interface DashboardView {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly layout: readonly string[];
  readonly charts: readonly ChartSummary[];
  readonly version: number;
}
interface RenderAnswer {
  readonly figure: { readonly data?: unknown; readonly layout?: unknown };
  readonly cached: boolean;
}

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

  let { dashboard, myRole } = await api<{ dashboard: DashboardView; myRole: ProjectRole | null }>('GET', base);
  const editor = canEdit(effectiveRole(ctx.me, myRole));
  ctx.setTitle(dashboard.name);

  const grid = h('div', { class: 'chart-grid' });
  const pageStatus = h('div', { 'aria-live': 'polite' });
  const cards = new Map<string, ChartCard>();

  // Plots hold window listeners (responsive resizing): release them when the page goes away.
  const onLeave = (): void => {
    window.removeEventListener('hashchange', onLeave);
    for (const card of cards.values()) if (card.drawn) purge(card.plot);
  };
  window.addEventListener('hashchange', onLeave);

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
      tools = h('div', { class: 'chart-tools' }, h('a', { href: `#${pagePath}/charts/${encodeURIComponent(chart.id)}`, 'aria-label': `Edit ${title}` }, 'Edit'), up, down);
    }
    const section = h('section', { class: 'chart', 'aria-label': title }, h('div', { class: 'chart-head' }, h('h2', {}, title), tools), status, errorBox, plot);
    return { chart, section, status, errorBox, plot, up, down, drawn: false };
  }

  async function draw(card: ChartCard): Promise<void> {
    if (!card.section.isConnected) return; // navigated away meanwhile
    mount(card.status, 'Rendering…');
    card.status.hidden = false;
    mount(card.errorBox);
    try {
      const answer = await api<RenderAnswer>('POST', `${base}/charts/${encodeURIComponent(card.chart.id)}/render`);
      if (!card.section.isConnected) return;
      if (typeof Plotly === 'undefined') throw new Error('The plotting library did not load; reload the page.');
      if (card.drawn) purge(card.plot);
      await Plotly.newPlot(card.plot, answer.figure.data ?? [], answer.figure.layout ?? {}, { responsive: true, displaylogo: false });
      restoreImageStyles(card.plot);
      (card.plot as PlotDiv).on?.('plotly_afterplot', () => restoreImageStyles(card.plot));
      card.drawn = true;
      mount(card.status);
      card.status.hidden = true;
    } catch (err) {
      if (!card.section.isConnected) return;
      mount(card.status);
      card.status.hidden = true;
      mount(card.errorBox, errorNotice(err, card.chart.title, () => void draw(card)));
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
        if (card?.drawn) purge(card.plot);
        card = makeCard(chart);
        cards.set(chart.id, card);
        fresh.push(card);
      } else card.chart = chart;
      order.push(card);
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        if (card.drawn) purge(card.plot);
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
      const res = await api<{ dashboard: DashboardView }>('PATCH', base, { layout: ids, version: dashboard.version });
      dashboard = res.dashboard;
      void mapLimit(arrange(), RENDER_CONCURRENCY, draw);
      mount(pageStatus, notice('ok', `Moved ${title} ${delta < 0 ? 'up' : 'down'}.`));
    } catch (err) {
      if (err instanceof ApiFailure && err.error.code === 'API_CONFLICT') {
        // Someone else changed the dashboard: show its current state.
        mount(pageStatus, notice('error', 'Someone else changed this dashboard meanwhile. It now shows the latest order: try the move again.'));
        try {
          ({ dashboard, myRole } = await api<{ dashboard: DashboardView; myRole: ProjectRole | null }>('GET', base));
          void mapLimit(arrange(), RENDER_CONCURRENCY, draw);
        } catch (again) {
          mount(pageStatus, notice('error', describeError(again)));
        }
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

  mount(
    ctx.main,
    h('p', { class: 'crumbs' }, h('a', { href: `#${projectPath(projectId)}` }, 'Back to project')),
    h('div', { class: 'page-head' }, h('h1', {}, dashboard.name), editor ? h('a', { class: 'button-link', href: `#${pagePath}/charts/new` }, 'New chart') : null),
    pageStatus,
    grid,
  );
  // Render in the background, a few at a time; the page is usable meanwhile.
  void mapLimit(arrange(), RENDER_CONCURRENCY, draw);
}

/**
 * Plotly asks for `image-rendering: pixelated` on unsmoothed heatmap and image traces with
 * `setAttribute('style', …)`, which the CSP's style-src refuses to apply (and its next CSSOM write
 * overwrites the attribute), so small heatmaps come out blurred. The same declaration set through
 * the CSSOM is allowed: set it that way on the images of traces whose `zsmooth` is off (the trace
 * is the d3 datum Plotly binds to each image).
 */
function restoreImageStyles(root: HTMLElement): void {
  for (const img of root.querySelectorAll<SVGElement>('image')) {
    const trace = (img as SVGElement & { __data__?: { trace?: { type?: unknown; zsmooth?: unknown } } }).__data__?.trace;
    if (trace === undefined || !['heatmap', 'histogram2d', 'image'].includes(String(trace.type)) || Boolean(trace.zsmooth)) continue;
    if (img.style.getPropertyValue('image-rendering') !== 'pixelated') img.style.setProperty('image-rendering', 'pixelated');
  }
}

function purge(el: HTMLElement): void {
  if (typeof Plotly !== 'undefined') Plotly.purge(el);
}

/** The analyst-facing error of a run: the message with line and column, other findings, and a retry when it may pass. */
function errorNotice(err: unknown, title: string, retry: () => void): HTMLElement {
  const findings = err instanceof ApiFailure && Array.isArray(err.error.diagnostics) ? err.error.diagnostics.slice(1) : [];
  // The sandbox busy or away, a rate limit, the network: worth another try. Code errors are not.
  const transient = !(err instanceof ApiFailure) || err.status === 0 || err.status === 429 || err.status >= 500;
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert' },
    h('p', {}, describeError(err)),
    findings.length > 0 ? h('ul', {}, findings.map((d) => h('li', {}, `${d.message} (line ${d.line}, column ${d.column})`))) : null,
    transient ? h('button', { type: 'button', class: 'secondary', onclick: retry }, `Retry ${title}`) : null,
  );
}
