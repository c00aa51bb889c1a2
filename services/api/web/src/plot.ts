/**
 * Drawing a figure with plotly.js (loaded by index.html as a classic script: a global), the same
 * way on the dashboard and in the editor, with three adjustments:
 * - a figure title that repeats the chart card's heading is left out (the card already says it);
 * - date axes over whole days (or months) never tick at 00:00/12:00: when plotly.js would put
 *   ticks closer than the data's own step, the step becomes the tick spacing, and zooming out
 *   hands the choice back to plotly.js;
 * - heatmap images keep their crisp pixels under the CSP (see {@link restoreImageStyles});
 * - links an analyst put in chart text open in a new tab without access to this page, and only
 *   to http(s) addresses (see {@link hardenLinks}; the host check refuses other links already).
 */

/** The part of Plotly's global this app uses. */
declare const Plotly: {
  newPlot(el: HTMLElement, data: unknown, layout?: unknown, config?: Record<string, unknown>): Promise<unknown>;
  relayout(el: HTMLElement, update: Record<string, unknown>): Promise<unknown>;
  purge(el: HTMLElement): void;
};

/** A plot's div after `newPlot`: plotly.js adds its state and an event emitter. */
type PlotDiv = HTMLElement & {
  on?: (event: string, handler: (event?: Record<string, unknown>) => void) => void;
  data?: readonly Record<string, unknown>[];
  layout?: Record<string, unknown>;
  _fullLayout?: Record<string, unknown>;
};

export interface Figure {
  readonly data?: unknown;
  readonly layout?: unknown;
}

export interface DrawOptions {
  /** The heading shown above the plot: a figure title saying the same is dropped. */
  readonly cardTitle?: string;
}

const DAY_MS = 86_400_000;

/** Is the plotting library there (it loads as its own deferred script)? */
export function plotlyLoaded(): boolean {
  return typeof Plotly !== 'undefined';
}

export function purgePlot(el: HTMLElement): void {
  if (plotlyLoaded()) Plotly.purge(el);
}

function titleText(title: unknown): string | null {
  if (typeof title === 'string') return title;
  if (title !== null && typeof title === 'object' && typeof (title as { text?: unknown }).text === 'string') return (title as { text: string }).text;
  return null;
}

const norm = (s: string): string =>
  s
    .replace(/<[^>]*>/gu, '')
    .replace(/\s+/gu, ' ')
    .trim()
    .toLowerCase();

/** The layout to draw: the card's title not repeated, and room at the top given back when it goes. */
export function layoutFor(layout: unknown, options: DrawOptions): Record<string, unknown> {
  const base: Record<string, unknown> = layout !== null && typeof layout === 'object' ? { ...(layout as Record<string, unknown>) } : {};
  const text = titleText(base.title);
  if (options.cardTitle !== undefined && text !== null && norm(text) === norm(options.cardTitle)) {
    delete base.title;
    const margin = base.margin !== null && typeof base.margin === 'object' ? (base.margin as Record<string, unknown>) : {};
    base.margin = { ...margin, t: typeof margin.t === 'number' ? Math.min(margin.t, 40) : 40 };
  }
  return { autosize: true, ...base };
}

/** Whole days (`2024-03-01`) or whole months (`2024-03`): the data's own step on a date axis. */
export function dateStep(values: readonly unknown[]): 'day' | 'month' | null {
  let step: 'day' | 'month' | null = null;
  const n = Math.min(values.length, 500);
  for (let i = 0; i < n; i++) {
    const v = values[Math.floor((i * values.length) / n)];
    if (v === null || v === undefined) continue;
    const s = typeof v === 'string' ? v : null;
    const here = s !== null && /^\d{4}-\d{2}-\d{2}$/u.test(s) ? 'day' : s !== null && /^\d{4}-\d{2}$/u.test(s) ? 'month' : null;
    if (here === null) return null;
    if (step === null || (step === 'month' && here === 'day')) step = here;
  }
  return step;
}

/** The axis names (`xaxis`, `yaxis2`) each trace of the figure is drawn on, with its values. */
function axisValues(data: readonly Record<string, unknown>[], axis: string): unknown[] {
  const letter = axis[0] === 'x' ? 'x' : 'y';
  const suffix = axis.slice(5);
  const out: unknown[] = [];
  for (const trace of data) {
    const ref = typeof trace[`${letter}axis`] === 'string' ? (trace[`${letter}axis`] as string) : letter;
    if (ref !== `${letter}${suffix}`) continue;
    const values = trace[letter];
    if (Array.isArray(values)) out.push(...values.slice(0, 2000));
  }
  return out;
}

/**
 * Keep ticks of day (month) data at least a day (month) apart. Returns the relayout to apply, or
 * `null` when plotly.js's own choice is fine. `owned` holds the axes whose spacing this set.
 */
export function dateTickFix(el: PlotDiv, owned: Set<string>): Record<string, unknown> | null {
  const full = el._fullLayout;
  const data = el.data;
  if (full === undefined || data === undefined) return null;
  const update: Record<string, unknown> = {};
  for (const key of Object.keys(full)) {
    if (!/^[xy]axis\d*$/u.test(key) || owned.has(key)) continue;
    const ax = full[key] as { type?: unknown; dtick?: unknown } | undefined;
    if (ax?.type !== 'date') continue;
    const own = el.layout?.[key] as { dtick?: unknown; tickmode?: unknown } | undefined;
    if ((own?.dtick ?? null) !== null || (own?.tickmode ?? null) !== null) continue; // the analyst chose the ticks
    const step = dateStep(axisValues(data, key));
    if (step === null) continue;
    const tooClose = typeof ax.dtick === 'number' && ax.dtick < (step === 'day' ? DAY_MS : 28 * DAY_MS);
    if (!tooClose) continue;
    update[`${key}.tickmode`] = 'linear';
    update[`${key}.dtick`] = step === 'day' ? DAY_MS : 'M1';
    update[`${key}.tick0`] = '2000-01-01';
    owned.add(key);
  }
  return Object.keys(update).length === 0 ? null : update;
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

const XLINK = 'http://www.w3.org/1999/xlink';

/**
 * Links in chart text (`<a href=...>` in titles, annotations, tick labels) are written by analysts
 * and followed by viewers: open them in a new tab with `noopener noreferrer` (the chart's author
 * gets no handle on the viewer's page), and drop any that is not http(s).
 */
function hardenLinks(root: HTMLElement): void {
  for (const a of root.querySelectorAll('a')) {
    const href = a.getAttribute('href') ?? a.getAttributeNS(XLINK, 'href') ?? '';
    if (!/^https?:\/\//iu.test(href.trim())) {
      a.removeAttribute('href');
      a.removeAttributeNS(XLINK, 'href');
      continue;
    }
    if (a.getAttribute('target') !== '_blank') a.setAttribute('target', '_blank');
    if (a.getAttribute('rel') !== 'noopener noreferrer') a.setAttribute('rel', 'noopener noreferrer');
  }
}

/** Draw `figure` into `el` (responsive, no logo). Throws when plotly.js is missing. */
export async function drawFigure(el: HTMLElement, figure: Figure, options: DrawOptions = {}): Promise<void> {
  if (!plotlyLoaded()) throw new Error('The plotting library did not load; reload the page.');
  const div = el as PlotDiv;
  const owned = new Set<string>();
  await Plotly.newPlot(div, figure.data ?? [], layoutFor(figure.layout, options), { responsive: true, displaylogo: false });
  restoreImageStyles(div);
  hardenLinks(div);
  const fix = dateTickFix(div, owned);
  if (fix !== null) await Plotly.relayout(div, fix);
  div.on?.('plotly_afterplot', () => {
    restoreImageStyles(div);
    hardenLinks(div);
  });
  div.on?.('plotly_relayout', (event) => {
    const keys = Object.keys(event ?? {});
    // A zoom or pan: give the spacing back to plotly.js, then look again at what it chose.
    if (owned.size === 0 || !keys.some((k) => /range|autorange/u.test(k))) {
      const again = keys.some((k) => /range|autorange/u.test(k)) ? dateTickFix(div, owned) : null;
      if (again !== null) void Plotly.relayout(div, again);
      return;
    }
    const reset: Record<string, unknown> = {};
    // null removes the attribute: plotly.js chooses again (tickmode auto).
    for (const key of owned) {
      reset[`${key}.tickmode`] = null;
      reset[`${key}.dtick`] = null;
      reset[`${key}.tick0`] = null;
    }
    owned.clear();
    void Plotly.relayout(div, reset).then(() => {
      const next = dateTickFix(div, owned);
      if (next !== null) return Plotly.relayout(div, next);
      return undefined;
    });
  });
}
