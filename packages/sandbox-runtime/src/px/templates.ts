/**
 * Hover templates that always pass the host's template check (packages/figure's
 * template-safety.ts): text px writes into a template (column names, labels) is escaped so it can
 * neither open markup nor start a `%{…}` placeholder, and a trace whose own strings (group names,
 * category values: the analyst's data) could open markup gets Plotly's default hover instead of
 * its template, so a figure is never refused for what the dataset happens to contain.
 * Pure ECMAScript; runs inside the isolate.
 */
import type { Figure, Trace } from './options.ts';

/** Escape literal text for a Plotly template: shown as written, never markup or a placeholder. */
export function templateText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/%\{/g, '%&#123;');
}

const TEMPLATE_KEYS = new Set(['hovertemplate', 'texttemplate', 'hovertemplatefallback', 'texttemplatefallback']);

/**
 * Could `s` open markup once Plotly decodes it? Deliberately broader than the host's rule (any
 * `<`, and any character reference): a false alarm only costs the trace its custom hover.
 */
function mayOpenMarkup(s: string): boolean {
  return s.includes('<') || /&[#A-Za-z]/.test(s);
}

/** Does any string under `value` (outside template attributes) possibly open markup? */
function hasMarkup(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return mayOpenMarkup(value);
  if (depth > 8 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === 'string' ? mayOpenMarkup(v) : typeof v === 'object' && v !== null && hasMarkup(v, depth + 1)) return true;
    return false;
  }
  for (const [k, v] of Object.entries(value)) if (!TEMPLATE_KEYS.has(k) && hasMarkup(v, depth + 1)) return true;
  return false;
}

function dropTemplates(trace: Trace): void {
  if (!Object.keys(trace).some((k) => TEMPLATE_KEYS.has(k))) return;
  if (!hasMarkup(trace)) return;
  for (const k of TEMPLATE_KEYS) delete trace[k];
}

/** Apply the rule to every trace of `fig` (in place) and return it. */
export function safeTemplates(fig: Figure): Figure {
  for (const trace of fig.data) dropTemplates(trace);
  return fig;
}
