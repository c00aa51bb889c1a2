// Derives the compact figure schema (src/plotly-schema.json) from the installed plotly.js-dist.
// plotly.js is a browser bundle, so it is evaluated in a node:vm context with just enough DOM
// stubs to initialise; then `Plotly.PlotSchema.get()` gives the full schema, which is reduced to
// what the host-side check needs (attribute names, nesting, leaf value types, where arrays and
// URLs may go). Output is deterministic: keys sorted, fixed layout.
//
// Usage: node_modules/.bin/node packages/figure/scripts/generate-schema.ts
// Re-run whenever plotly.js-dist is upgraded; src/plotly-schema.test.ts fails until you do.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import vm from 'node:vm';

/** Format version of the compact schema file; bump when its shape changes. */
export const SCHEMA_FORMAT = 1;

export const SCHEMA_PATH = resolve(import.meta.dirname, '../src/plotly-schema.json');

/** A value leaf of the compact schema. */
export interface CompactLeaf {
  valType: string;
  arrayOk?: true;
  /** Allowed values of an `enumerated` leaf (strings starting with `/` are plotly regexes). */
  values?: unknown[];
  /** Flags and extra values of a `flaglist` leaf. */
  flags?: string[];
  extras?: unknown[];
  /** Strings here (and anywhere below, for `any`) are used as URLs by plotly.js or its map library. */
  url?: true;
}

/** A nested attribute object; `subplot` objects may also appear as `<name>2`, `<name>3`, ... */
export interface CompactObject {
  attributes: Record<string, CompactNode>;
  subplot?: true;
}

/** An array container (`annotations`, `shapes`, ...): an array of objects shaped like `items`. */
export interface CompactArray {
  items: CompactObject;
}

export type CompactNode = CompactLeaf | CompactObject | CompactArray;

export interface CompactSchema {
  format: number;
  plotlyVersion: string;
  /** Keys a plotly.js figure object can have. */
  figureKeys: string[];
  layout: CompactObject;
  traces: Record<string, CompactObject>;
}

/**
 * Places where plotly.js (or MapLibre, for maps) treats a string as a URL to load or follow.
 * Every path must exist in the schema: an upgrade that moves one fails generation loudly.
 * `[]` steps into an array container's items; `*` in the trace position means every trace type
 * that has the attribute.
 */
const URL_PATHS: readonly (readonly string[])[] = [
  ['layout', 'images', '[]', 'source'],
  ['layout', 'map', 'style'],
  ['layout', 'map', 'layers', '[]', 'source'],
  // Buttons and slider steps set arbitrary attributes by path (`relayout`, `restyle`, `update`),
  // so every string in their arguments may end up in a URL attribute.
  ['layout', 'updatemenus', '[]', 'buttons', '[]', 'args'],
  ['layout', 'updatemenus', '[]', 'buttons', '[]', 'args2'],
  ['layout', 'sliders', '[]', 'steps', '[]', 'args'],
  ['trace', 'image', 'source'],
  ['trace', '*', 'geojson'],
];

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys of the live plotly schema whose entries are attribute descriptions rather than metadata. */
function attributeKeys(obj: Plain): string[] {
  // Everything starting with `_` (and role/editType/description/impliedEdits) is schema metadata.
  const meta = new Set(['role', 'editType', 'description', 'impliedEdits']);
  return Object.keys(obj)
    .filter((k) => !k.startsWith('_') && !meta.has(k))
    .sort();
}

function plainValue(v: unknown): unknown {
  // Enumerated values can be RegExp objects in the live schema; plotly's JSON form is the source.
  if (v === null || typeof v !== 'object') return v;
  return String(v);
}

function compactLeaf(v: Plain, where: string): CompactLeaf {
  const leaf: CompactLeaf = { valType: v['valType'] as string };
  if (v['arrayOk'] === true) leaf.arrayOk = true;
  if (leaf.valType === 'enumerated') {
    if (!Array.isArray(v['values'])) throw new Error(`${where}: enumerated without values`);
    leaf.values = (v['values'] as unknown[]).map(plainValue);
  }
  if (leaf.valType === 'flaglist') {
    leaf.flags = [...(v['flags'] as string[])];
    if (Array.isArray(v['extras'])) leaf.extras = (v['extras'] as unknown[]).map(plainValue);
  }
  return leaf;
}

function compactNode(v: unknown, where: string): CompactNode | undefined {
  if (!isPlain(v)) return undefined; // e.g. a trace's `type: "bar"` marker
  if (typeof v['valType'] === 'string') return compactLeaf(v, where);
  if (isPlain(v['items'])) {
    const names = Object.keys(v['items']);
    const item = (v['items'] as Plain)[names[0] ?? ''];
    if (names.length !== 1 || !isPlain(item)) throw new Error(`${where}: array container with ${names.length} item kinds`);
    return { items: compactObject(item, `${where}[]`) };
  }
  if (v['role'] === 'object') return compactObject(v, where);
  throw new Error(`${where}: neither a value, an object nor an array container`);
}

function compactObject(obj: Plain, where: string): CompactObject {
  const attributes: Record<string, CompactNode> = {};
  const add = (source: Plain): void => {
    for (const key of attributeKeys(source)) {
      const node = compactNode(source[key], `${where}.${key}`);
      if (node !== undefined) attributes[key] = node;
    }
  };
  add(obj);
  // Deprecated attributes are still accepted (and cleaned up) by plotly.js.
  if (isPlain(obj['_deprecated'])) add(obj['_deprecated']);
  const out: CompactObject = { attributes: sortKeys(attributes) };
  if (obj['_isSubplotObj'] === true) out.subplot = true;
  return out;
}

function sortKeys<T>(rec: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(rec).sort()) out[k] = rec[k] as T;
  return out;
}

function isLeaf(n: CompactNode): n is CompactLeaf {
  return 'valType' in n;
}

/** Adds trace-module layout attributes (barmode, boxgap, ...) into `target`, as plotly's own validate does. */
function mergeInto(target: CompactObject, extra: CompactObject, where: string): void {
  for (const [key, node] of Object.entries(extra.attributes)) {
    const existing = target.attributes[key];
    if (existing === undefined) {
      target.attributes[key] = node;
    } else if (isLeaf(existing) && isLeaf(node) && existing.valType === node.valType) {
      if (existing.values !== undefined && node.values !== undefined) {
        for (const v of node.values) if (!existing.values.includes(v)) existing.values.push(v);
      }
    } else if (JSON.stringify(existing) !== JSON.stringify(node)) {
      throw new Error(`${where}.${key}: trace layout attributes disagree`);
    }
  }
  target.attributes = sortKeys(target.attributes);
}

function descend(node: CompactNode | undefined, step: string): CompactNode | undefined {
  if (node === undefined) return undefined;
  if (step === '[]') return 'items' in node ? node.items : undefined;
  return 'attributes' in node ? node.attributes[step] : undefined;
}

function markUrls(schema: CompactSchema): void {
  for (const path of URL_PATHS) {
    const [root, ...rest] = path;
    let starts: CompactNode[];
    if (root === 'layout') {
      starts = [schema.layout];
    } else {
      const [type, ...tail] = rest;
      rest.splice(0, rest.length, ...tail);
      starts = type === '*' ? Object.values(schema.traces) : [schema.traces[type ?? '']].filter((t) => t !== undefined);
    }
    let found = 0;
    for (const start of starts) {
      let node: CompactNode | undefined = start;
      for (const step of rest) node = descend(node, step);
      if (node !== undefined && isLeaf(node)) {
        node.url = true;
        found++;
      }
    }
    if (found === 0) throw new Error(`URL attribute ${path.join('.')} is not in the plotly.js schema any more`);
  }
}

/** Reduces `Plotly.PlotSchema.get()` to the compact schema. */
export function compactSchema(full: Plain, plotlyVersion: string): CompactSchema {
  const fullTraces = full['traces'] as Record<string, Plain>;
  const fullLayout = full['layout'] as Plain;
  const layout = compactObject(fullLayout['layoutAttributes'] as Plain, 'layout');
  const traces: Record<string, CompactObject> = {};
  for (const type of Object.keys(fullTraces).sort()) {
    const t = fullTraces[type] as Plain;
    traces[type] = compactObject(t['attributes'] as Plain, type);
    if (isPlain(t['layoutAttributes'])) {
      const extra = compactObject(t['layoutAttributes'], `${type}.layoutAttributes`);
      // Traces drawn on a subplot (barpolar on polar) put their layout attributes in that subplot.
      const subplot = (t['attributes'] as Plain)['subplot'];
      const subplotName = isPlain(subplot) && typeof subplot['dflt'] === 'string' ? subplot['dflt'] : undefined;
      const target = subplotName === undefined ? layout : layout.attributes[subplotName];
      if (target === undefined || !('attributes' in target)) throw new Error(`${type}: no layout object ${subplotName}`);
      mergeInto(target, extra, subplotName === undefined ? 'layout' : `layout.${subplotName}`);
    }
  }
  const schema: CompactSchema = {
    format: SCHEMA_FORMAT,
    plotlyVersion,
    figureKeys: ['data', 'frames', 'layout'],
    layout,
    traces,
  };
  markUrls(schema);
  return schema;
}

/**
 * Serialises the compact schema: the top levels pretty-printed (so a plotly upgrade gives a
 * readable diff per trace type), each trace and the layout on one line (so the file stays small).
 */
export function formatSchema(schema: CompactSchema): string {
  const { traces, ...head } = schema;
  const lines = ['{'];
  for (const [k, v] of Object.entries(head)) lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  lines.push('  "traces": {');
  const entries = Object.entries(traces);
  entries.forEach(([k, v], i) => lines.push(`    ${JSON.stringify(k)}: ${JSON.stringify(v)}${i < entries.length - 1 ? ',' : ''}`));
  lines.push('  }', '}', '');
  return lines.join('\n');
}

/** Where plotly.js-dist is installed, and its version. */
export function locatePlotly(): { bundlePath: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('plotly.js-dist/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string; main?: string };
  return { bundlePath: join(dirname(pkgPath), pkg.main ?? 'plotly.js'), version: pkg.version };
}

/** Evaluates the plotly.js browser bundle in a fresh vm context and returns its full schema. */
export function loadPlotlySchema(bundlePath: string): { version: string; schema: Plain } {
  const noop = (): void => {};
  const element = (): Plain => ({
    style: { setProperty: noop },
    setAttribute: noop,
    appendChild: (c: unknown) => c,
    removeChild: (c: unknown) => c,
    getContext: () => null,
    classList: { add: noop, remove: noop },
    childNodes: [],
    sheet: { insertRule: noop, cssRules: [] },
  });
  const document = {
    createElement: element,
    createElementNS: element,
    createTextNode: () => ({}),
    getElementById: () => null,
    querySelector: () => null,
    querySelectorAll: () => [],
    getElementsByTagName: () => [],
    addEventListener: noop,
    head: element(),
    body: element(),
    documentElement: element(),
  };
  const context: Plain = {
    console: { log: noop, info: noop, warn: noop, error: noop, debug: noop },
    navigator: { userAgent: 'node' },
    location: { href: '' },
    document,
    DOMParser: class {
      parseFromString(): unknown {
        return document;
      }
    },
    getComputedStyle: () => ({}),
    setTimeout: noop,
    clearTimeout: noop,
    requestAnimationFrame: noop,
    cancelAnimationFrame: noop,
    TextDecoder,
    TextEncoder,
  };
  context['window'] = context;
  context['self'] = context;
  vm.createContext(context);
  vm.runInContext(readFileSync(bundlePath, 'utf8'), context, { filename: 'plotly.js' });
  const Plotly = context['Plotly'] as { version: string; PlotSchema: { get(): Plain } };
  return { version: Plotly.version, schema: Plotly.PlotSchema.get() };
}

/** The exact text src/plotly-schema.json should have for the installed plotly.js-dist. */
export function generateSchemaText(): string {
  const { bundlePath, version } = locatePlotly();
  const loaded = loadPlotlySchema(bundlePath);
  if (loaded.version !== version) throw new Error(`bundle says ${loaded.version}, package.json says ${version}`);
  return formatSchema(compactSchema(loaded.schema, version));
}

if (import.meta.main) {
  const text = generateSchemaText();
  writeFileSync(SCHEMA_PATH, text);
  console.log(`wrote ${SCHEMA_PATH} (${text.length} bytes)`);
}
