/**
 * Template strings (`hovertemplate`, `texttemplate`, their `...fallback`s) are filled by plotly.js
 * in the browser with the trace's own values (`%{text}`, `%{customdata[0]}`, `%{meta}`...), and
 * the result is then rendered as plotly's subset of HTML. Each string alone can be harmless while
 * the filled-in result is markup: `customdata = '<im'` and `text = 'g src=x onerror=...>'` in
 * `'%{customdata}%{text}'`, or `'<a href="%{customdata}">'` with `customdata = 'javascript:...'`.
 * Two rules close that on the host, for every trace (or layout item) that has a template with a
 * placeholder:
 *
 * 1. **No placeholder inside markup**: between a tag's `<` and its `>` the template is literal
 *    (`<b>%{x}</b>` is fine; `<a href="%{customdata}">` is not).
 * 2. **No markup in what fills a template**: no other string of that trace (or item), nor
 *    `layout.meta`, may open a tag (`<` followed by a letter, `/`, `!` or `?`, or ending in `<`),
 *    written plainly or with character references (`&lt;img`). `<5 years` is fine.
 *
 * Pure, linear in the figure's size (which the walker has already bounded).
 */
import { decodeCharacterReferences } from './url-safety.ts';

/** Attributes plotly fills with values: every `*template` string attribute in its schema. */
export const TEMPLATE_KEYS: ReadonlySet<string> = new Set(['hovertemplate', 'texttemplate', 'hovertemplatefallback', 'texttemplatefallback']);

const TAG_OPENER = /<[A-Za-z/!?]|<$/u;

/** A problem: where (a path like `data[0].customdata[3][0]`) and what. */
export interface TemplateProblem {
  readonly path: string;
  readonly message: string;
}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/u.test(key) ? (parent === '' ? key : `${parent}.${key}`) : `${parent}[${JSON.stringify(key)}]`;
}

/**
 * Visit every string under `root` with its path and whether it sits under a template attribute.
 * Iterative (no recursion on deep input); primitives in arrays are looked at in place, so a long
 * numeric array costs a loop, not an allocation per value.
 */
function eachString(root: unknown, rootPath: string, visit: (value: string, path: () => string, template: boolean) => void): void {
  const stack: { value: unknown; path: string; template: boolean }[] = [{ value: root, path: rootPath, template: false }];
  while (stack.length > 0) {
    const { value, path, template } = stack.pop() as { value: unknown; path: string; template: boolean };
    if (typeof value === 'string') visit(value, () => path, template);
    else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === 'string') visit(v, () => pathOf(path, i), template);
        else if (typeof v === 'object' && v !== null) stack.push({ value: v, path: pathOf(path, i), template });
      }
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: pathOf(path, k), template: template || TEMPLATE_KEYS.has(k) });
    }
  }
}

/** Does a template place a `%{...}` between a tag's `<` and its `>`? */
function placeholderInMarkup(t: string): boolean {
  let inTag = false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (!inTag && c === 0x3c /* < */) inTag = i + 1 >= t.length || /[A-Za-z/!?%]/u.test(t.charAt(i + 1));
    else if (inTag && c === 0x3e /* > */) inTag = false;
    else if (inTag && c === 0x25 /* % */ && t.charCodeAt(i + 1) === 0x7b /* { */) return true;
  }
  return false;
}

function opensTag(s: string): boolean {
  return TAG_OPENER.test(s) || (s.includes('&') && TAG_OPENER.test(decodeCharacterReferences(s)));
}

/** The first problem of the figure's templates, or `undefined`. */
export function templateProblem(figure: { readonly data?: unknown; readonly layout?: unknown }): TemplateProblem | undefined {
  const layout = (typeof figure.layout === 'object' && figure.layout !== null ? figure.layout : {}) as Record<string, unknown>;
  // The units a template is filled from: each trace, and each top-level layout item (plus layout.meta).
  const units: { root: unknown; path: string }[] = [];
  if (Array.isArray(figure.data)) figure.data.forEach((trace, i) => units.push({ root: trace, path: `data[${i}]` }));
  for (const [k, v] of Object.entries(layout)) {
    if (k === 'meta') continue;
    if (Array.isArray(v)) v.forEach((item, i) => units.push({ root: item, path: `layout.${k}[${i}]` }));
    else units.push({ root: v, path: `layout.${k}` });
  }
  for (const unit of units) {
    let problem: TemplateProblem | undefined;
    let filled = false;
    eachString(unit.root, unit.path, (value, path, template) => {
      if (!template || !value.includes('%{')) return;
      filled = true;
      if (problem === undefined && placeholderInMarkup(value))
        problem = { path: path(), message: 'a %{…} placeholder inside markup (<…>) is not allowed; put placeholders in the text, e.g. <b>%{x}</b>' };
    });
    if (problem !== undefined) return problem;
    if (!filled) continue;
    const visitText = (value: string, path: () => string, template: boolean): void => {
      if (problem === undefined && !template && opensTag(value)) problem = { path: path(), message: 'text that a hovertemplate or texttemplate fills in must not contain markup (<…>)' };
    };
    eachString(unit.root, unit.path, visitText);
    eachString(layout.meta, 'layout.meta', visitText);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
