/**
 * Typed access to the compact plotly.js schema in plotly-schema.json, which
 * scripts/generate-schema.ts derives from the installed plotly.js-dist.
 */
import raw from './plotly-schema.json' with { type: 'json' };

/** A value (leaf) attribute. */
export interface SchemaLeaf {
  readonly valType: string;
  readonly arrayOk?: boolean;
  readonly values?: readonly unknown[];
  readonly flags?: readonly string[];
  readonly extras?: readonly unknown[];
  /** Strings here, and anywhere below for `any`, are used as URLs. */
  readonly url?: boolean;
}

/** A nested attribute object. `subplot` objects may also appear as `<name>2`, `<name>3`, ... */
export interface SchemaObject {
  readonly attributes: Readonly<Record<string, SchemaNode>>;
  readonly subplot?: boolean;
}

/** An array container such as `layout.annotations`: an array of objects shaped like `items`. */
export interface SchemaArray {
  readonly items: SchemaObject;
}

export type SchemaNode = SchemaLeaf | SchemaObject | SchemaArray;

interface CompactSchemaFile {
  readonly format: number;
  readonly plotlyVersion: string;
  readonly figureKeys: readonly string[];
  readonly layout: SchemaObject;
  readonly traces: Readonly<Record<string, SchemaObject>>;
}

// The JSON's inferred type is structurally this interface; widening through `unknown` keeps the
// compiler from carrying the literal types of half a megabyte of JSON around.
const schema = raw as unknown as CompactSchemaFile;

/** The plotly.js version the schema was generated from (and the web UI must load). */
export const PLOTLY_VERSION: string = schema.plotlyVersion;

/** Every trace type plotly.js knows, sorted. */
export const TRACE_TYPES: readonly string[] = Object.freeze(Object.keys(schema.traces));

/** Keys a plotly.js figure object can have (`data`, `frames`, `layout`). */
export const FIGURE_KEYS: readonly string[] = Object.freeze([...schema.figureKeys]);

const traceSchemas: ReadonlyMap<string, SchemaObject> = new Map(Object.entries(schema.traces));

/** The attribute schema of a trace type, or undefined if plotly.js has no such type. */
export function traceSchema(type: string): SchemaObject | undefined {
  return traceSchemas.get(type);
}

/** The layout attribute schema (including trace-specific layout attributes such as `barmode`). */
export const LAYOUT_SCHEMA: SchemaObject = schema.layout;

export function isLeaf(node: SchemaNode): node is SchemaLeaf {
  return 'valType' in node;
}

export function isArrayContainer(node: SchemaNode): node is SchemaArray {
  return 'items' in node;
}

// plotly's Lib.counterRegex: `xaxis2`, `scene3`, `legend12`; never `xaxis1` or `xaxis02`.
const SUBPLOT_ID = /^([a-z]+)([2-9]|[1-9][0-9]+)$/;

/**
 * The schema of attribute `key` in `object`, recognising numbered subplot ids (`xaxis2`,
 * `geo3`, ...) where plotly does. Own properties only, so `constructor` & co. are never found.
 */
export function childSchema(object: SchemaObject, key: string): SchemaNode | undefined {
  const attributes = object.attributes;
  if (Object.hasOwn(attributes, key)) return attributes[key];
  const m = SUBPLOT_ID.exec(key);
  if (m === null) return undefined;
  const base = m[1] as string;
  if (!Object.hasOwn(attributes, base)) return undefined;
  const node = attributes[base] as SchemaNode;
  return 'attributes' in node && node.subplot === true ? node : undefined;
}
