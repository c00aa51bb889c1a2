/**
 * The host-side check of a Plotly figure returned by analyst code (SPEC §2 "Output",
 * DESIGN §3): shape, trace types and attribute names against plotly.js's own schema, plain JSON
 * data only, no script-capable URLs, and size/depth limits. Iterative and linear in the size of
 * the input, so hostile input can neither overflow the stack nor take superlinear time.
 */
import type { SandboxErrorCode } from '@plotbox/sandbox-protocol';
import { childSchema, isArrayContainer, isLeaf, LAYOUT_SCHEMA, traceSchema } from './plotly-schema.ts';
import type { SchemaLeaf, SchemaObject } from './plotly-schema.ts';
import { templateProblem } from './template-safety.ts';
import { unsafeMarkup, unsafeUrlScheme } from './url-safety.ts';

export interface FigureCheckOptions {
  /** Longest array (and most keys in one object) allowed anywhere. Default 1,000,000. */
  maxArrayLength?: number;
  /** Most traces in `data`. Default 1,000. */
  maxTraces?: number;
  /** Deepest nesting of objects and arrays, counted from the figure (`data` is 1, `data[0]` is 2). Default 64. */
  maxDepth?: number;
  /** Longest string (values and keys), in UTF-16 code units. Default 1,000,000. */
  maxStringLength?: number;
  /**
   * Most values in the whole figure: array elements plus object properties plus one per
   * container, counted as JSON.stringify would write them. Default 10,000,000 (a 4 MiB JSON
   * figure holds at most about 2 million). Bounds the work on in-memory objects shared many times.
   */
  maxValues?: number;
}

export const DEFAULT_FIGURE_CHECK_OPTIONS: Readonly<Required<FigureCheckOptions>> = Object.freeze({
  maxArrayLength: 1_000_000,
  maxTraces: 1_000,
  maxDepth: 64,
  maxStringLength: 1_000_000,
  maxValues: 10_000_000,
});

/** One trace; `type` defaults to `scatter`, as in plotly.js. */
export interface PlotlyTrace {
  type?: string;
  [attribute: string]: unknown;
}

export type PlotlyLayout = Record<string, unknown>;

/** A checked figure: JSON data only, every trace type and attribute known to plotly.js. */
export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout?: PlotlyLayout;
}

export interface FigureError {
  readonly code: Extract<SandboxErrorCode, 'FIGURE_INVALID'>;
  /** What is wrong, starting with the path, e.g. `data[0].marker.colour: unknown attribute ...`. */
  readonly message: string;
  /** Where, e.g. `data[2].marker.line.color` or `layout.xaxis2.title.text`; `` for the figure itself. */
  readonly path: string;
}

export type FigureCheckResult = { readonly ok: true; readonly figure: PlotlyFigure } | { readonly ok: false; readonly error: FigureError };

export type FigureChecker = (figure: unknown) => FigureCheckResult;

// ---------------------------------------------------------------------------------------------

/** Keys that are never attributes and never allowed as data keys (prototype pollution). */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** valTypes whose values may be arrays even without `arrayOk`. */
const ARRAY_VALTYPES: ReadonlySet<string> = new Set(['data_array', 'info_array', 'colorscale', 'colorlist', 'any']);

/** plotly's typed-array JSON form `{dtype, bdata, shape}`: bytes per element of each dtype. */
const DTYPE_BYTES: ReadonlyMap<string, number> = new Map([
  ['u1c', 1], ['i1', 1], ['u1', 1], ['i2', 2], ['u2', 2], ['i4', 4], ['u4', 4], ['f4', 4], ['f8', 8],
  ['uint8c', 1], ['int8', 1], ['uint8', 1], ['int16', 2], ['uint16', 2], ['int32', 4], ['uint32', 4], ['float32', 4], ['float64', 8],
]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SHAPE = /^[0-9]{1,10}(,[0-9]{1,10}){0,2}$/;

/**
 * What the value at some position must be.
 * leaf: an attribute value; object: a nested attribute object; container: an array of `item`s;
 * any: arbitrary JSON data (data arrays, `meta`, `customdata`, geojson...), `url` if its strings are URLs.
 */
type Slot =
  | { readonly k: 'leaf'; readonly leaf: SchemaLeaf }
  | { readonly k: 'object'; readonly node: SchemaObject; readonly label: string }
  | { readonly k: 'container'; readonly node: SchemaObject; readonly label: string }
  | { readonly k: 'item'; readonly node: SchemaObject; readonly label: string }
  | { readonly k: 'any'; readonly url: boolean }
  | { readonly k: 'traces' }
  | { readonly k: 'trace'; readonly fixedType: string | undefined }
  | { readonly k: 'layout' }
  | { readonly k: 'template' }
  | { readonly k: 'templateData' }
  | { readonly k: 'templateTraces'; readonly type: string };

/** How the children of a container being walked are read. */
type Ctx =
  | { readonly k: 'figure' }
  | { readonly k: 'attrs'; readonly node: SchemaObject; readonly label: string; readonly layoutRoot: boolean; readonly traceType: string | undefined }
  | { readonly k: 'anyObject'; readonly url: boolean }
  | { readonly k: 'anyArray'; readonly url: boolean }
  | { readonly k: 'traces' }
  | { readonly k: 'items'; readonly node: SchemaObject; readonly label: string }
  | { readonly k: 'template' }
  | { readonly k: 'templateData' }
  | { readonly k: 'templateTraces'; readonly type: string };

// Shared instances for the common generic-data cases (customdata rows, geojson): no allocation per value.
const ANY: Slot = { k: 'any', url: false };
const ANY_URL: Slot = { k: 'any', url: true };
const ANY_ARRAY: Ctx = { k: 'anyArray', url: false };
const ANY_ARRAY_URL: Ctx = { k: 'anyArray', url: true };
const ANY_OBJECT: Ctx = { k: 'anyObject', url: false };
const ANY_OBJECT_URL: Ctx = { k: 'anyObject', url: true };

interface Frame {
  readonly value: object;
  /** Own enumerable keys for objects; undefined for arrays. */
  readonly keys: readonly string[] | undefined;
  readonly length: number;
  i: number;
  readonly ctx: Ctx;
  readonly parent: Frame | undefined;
  readonly key: string | number;
  readonly depth: number;
}

class Rejection {
  readonly message: string;
  readonly frame: Frame | undefined;
  readonly key: string | number | undefined;
  constructor(frame: Frame | undefined, key: string | number | undefined, message: string) {
    this.frame = frame;
    this.key = key;
    this.message = message;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const MAX_KEY_IN_PATH = 64;

function formatKey(key: string): string {
  return JSON.stringify(key.length > MAX_KEY_IN_PATH ? `${key.slice(0, MAX_KEY_IN_PATH)}…` : key);
}

function pathOf(frame: Frame | undefined, key: string | number | undefined): string {
  const parts: (string | number)[] = [];
  if (key !== undefined) parts.push(key);
  for (let f = frame; f?.parent !== undefined; f = f.parent) parts.push(f.key);
  let out = '';
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i] as string | number;
    if (typeof p === 'number') out += `[${p}]`;
    else if (p.length <= MAX_KEY_IN_PATH && IDENTIFIER.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${formatKey(p)}]`;
  }
  return out;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}

function leafAcceptsArray(leaf: SchemaLeaf): boolean {
  return leaf.arrayOk === true || ARRAY_VALTYPES.has(leaf.valType);
}

function describeLeaf(leaf: SchemaLeaf): string {
  return `a ${leaf.valType} value${leafAcceptsArray(leaf) ? ' or an array' : ''}`;
}

/** Names the kind of a non-plain object without running user code where avoidable. */
function objectKind(value: object): string {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === 'Object' ? 'a class instance' : `a ${tag}`;
}

function validateOptions(options: FigureCheckOptions | undefined): Required<FigureCheckOptions> {
  const out = { ...DEFAULT_FIGURE_CHECK_OPTIONS };
  if (options === undefined) return out;
  for (const name of Object.keys(DEFAULT_FIGURE_CHECK_OPTIONS) as (keyof FigureCheckOptions)[]) {
    const v = options[name];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`figure check option ${name} must be a positive integer, got ${String(v)}`);
    out[name] = v;
  }
  for (const name of Object.keys(options)) {
    if (!Object.hasOwn(DEFAULT_FIGURE_CHECK_OPTIONS, name)) throw new RangeError(`unknown figure check option ${name}`);
  }
  return out;
}

/**
 * Builds a figure checker with fixed limits; options are validated here, eagerly.
 * @throws RangeError for a limit that is not a positive integer or an unknown option.
 */
export function createFigureChecker(options?: FigureCheckOptions): FigureChecker {
  const limits = validateOptions(options);
  return (figure) => check(figure, limits);
}

/**
 * Checks a figure returned by analyst code — usually the result of `JSON.parse`, but safe on any
 * in-memory value — against plotly.js's schema and Plotbox's data rules. On success the same
 * object is returned, typed. The first problem found (in document order) is reported.
 * @throws RangeError for invalid options (never for an invalid figure).
 */
export function checkFigure(figure: unknown, options?: FigureCheckOptions): FigureCheckResult {
  return check(figure, validateOptions(options));
}

function check(figure: unknown, limits: Required<FigureCheckOptions>): FigureCheckResult {
  const walker = new Walker(limits);
  try {
    walker.run(figure);
    // Only once the walk proved the figure plain, bounded JSON: what plotly will fill templates with.
    const template = templateProblem(figure as PlotlyFigure);
    if (template !== undefined) return { ok: false, error: { code: 'FIGURE_INVALID', message: `${template.path}: ${template.message}`, path: template.path } };
    return { ok: true, figure: figure as PlotlyFigure };
  } catch (e) {
    if (e instanceof Rejection) {
      const path = pathOf(e.frame, e.key);
      return { ok: false, error: { code: 'FIGURE_INVALID', message: `${path === '' ? 'figure' : path}: ${e.message}`, path } };
    }
    // A proxy trap or accessor of an in-memory value threw (JSON input cannot get here).
    const path = pathOf(walker.frame, walker.key);
    return { ok: false, error: { code: 'FIGURE_INVALID', message: `${path === '' ? 'figure' : path}: value could not be read`, path } };
  }
}

class Walker {
  private readonly limits: Required<FigureCheckOptions>;
  private readonly stack: Frame[] = [];
  /** Values counted so far (array elements and object properties), against maxValues. */
  private total = 0;
  /** Where the walk is, for errors thrown by foreign code. */
  frame: Frame | undefined;
  key: string | number | undefined;

  constructor(limits: Required<FigureCheckOptions>) {
    this.limits = limits;
  }

  run(figure: unknown): void {
    if (typeof figure !== 'object' || figure === null || Array.isArray(figure)) {
      throw new Rejection(undefined, undefined, `a figure must be an object { data, layout }, got ${typeName(figure)}`);
    }
    const proto: unknown = Object.getPrototypeOf(figure);
    if (proto !== Object.prototype && proto !== null) throw new Rejection(undefined, undefined, `${objectKind(figure)} is not allowed (only plain objects, arrays and primitives)`);
    this.enterObject(figure, { k: 'figure' }, undefined, '');
    const root = this.stack[0] as Frame;
    if (!(root.keys as readonly string[]).includes('data')) throw new Rejection(root, 'data', 'a figure needs a data array of traces');
    const stack = this.stack;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      if (frame.i >= frame.length) {
        stack.pop();
        continue;
      }
      this.frame = frame;
      if (frame.keys === undefined) this.stepArray(frame);
      else this.stepObject(frame, frame.keys);
    }
  }

  // --- arrays ---------------------------------------------------------------------------------

  private stepArray(frame: Frame): void {
    const arr = frame.value as unknown[];
    const ctx = frame.ctx;
    const n = frame.length;
    if (ctx.k === 'anyArray') {
      // Hot path: data arrays of numbers and strings.
      const url = ctx.url;
      let i = frame.i;
      for (; i < n; i++) {
        const v = arr[i];
        if (typeof v === 'number') {
          if (v - v !== 0) break; // NaN or ±Infinity: reported below
          continue;
        }
        if (typeof v === 'string') {
          if (v.length > this.limits.maxStringLength || v.indexOf('<') !== -1 || url) break;
          continue;
        }
        if (typeof v === 'boolean' || v === null) continue;
        break;
      }
      frame.i = i;
      if (i >= n) return;
    }
    const i = frame.i++;
    this.key = i;
    this.value(arr[i], this.elementSlot(ctx), frame, i, true);
  }

  private elementSlot(ctx: Ctx): Slot {
    switch (ctx.k) {
      case 'anyArray':
        return ctx.url ? ANY_URL : ANY;
      case 'traces':
        return { k: 'trace', fixedType: undefined };
      case 'templateTraces':
        return { k: 'trace', fixedType: ctx.type };
      case 'items':
        return { k: 'item', node: ctx.node, label: ctx.label };
      default:
        throw new Error(`not an array context: ${ctx.k}`);
    }
  }

  // --- objects --------------------------------------------------------------------------------

  private stepObject(frame: Frame, keys: readonly string[]): void {
    const i = frame.i++;
    const key = keys[i] as string;
    this.key = key;
    const ctx = frame.ctx;
    if (ctx.k === 'attrs' && ctx.traceType !== undefined && key === 'type') return; // checked on entry
    if (key.length > this.limits.maxStringLength) throw new Rejection(frame, key, `key longer than ${this.limits.maxStringLength} characters`);
    if (FORBIDDEN_KEYS.has(key)) throw new Rejection(frame, key, `"${key}" is not allowed as a key`);
    const desc = Object.getOwnPropertyDescriptor(frame.value, key);
    if (desc === undefined) return; // vanished (proxy); nothing to check
    if (desc.get !== undefined || desc.set !== undefined) throw new Rejection(frame, key, 'accessor properties (getters/setters) are not allowed');
    const slot = this.keySlot(frame, ctx, key);
    this.value(desc.value, slot, frame, key, false);
  }

  private keySlot(frame: Frame, ctx: Ctx, key: string): Slot {
    switch (ctx.k) {
      case 'figure':
        if (key === 'data') return { k: 'traces' };
        if (key === 'layout') return { k: 'layout' };
        if (key === 'frames') throw new Rejection(frame, key, 'frames (animations) are not supported');
        throw new Rejection(frame, key, `unknown figure key ${formatKey(key)} (allowed: data, layout)`);
      case 'anyObject':
        return ctx.url ? ANY_URL : ANY;
      case 'template':
        if (key === 'data') return { k: 'templateData' };
        if (key === 'layout') return { k: 'layout' };
        throw new Rejection(frame, key, `unknown template key ${formatKey(key)} (allowed: data, layout)`);
      case 'templateData':
        if (traceSchema(key) === undefined) throw new Rejection(frame, key, `unknown trace type ${formatKey(key)}`);
        return { k: 'templateTraces', type: key };
      case 'attrs': {
        if (ctx.layoutRoot && key === 'template') return { k: 'template' };
        const node = childSchema(ctx.node, key);
        if (node === undefined) throw new Rejection(frame, key, `unknown attribute ${formatKey(key)} ${ctx.label}`);
        if (isLeaf(node)) return { k: 'leaf', leaf: node };
        if (isArrayContainer(node)) return { k: 'container', node: node.items, label: ctx.label };
        return { k: 'object', node, label: ctx.label };
      }
      default:
        throw new Error(`not an object context: ${ctx.k}`);
    }
  }

  // --- values ---------------------------------------------------------------------------------

  private value(v: unknown, slot: Slot, frame: Frame, key: string | number, inArray: boolean): void {
    switch (typeof v) {
      case 'undefined':
        // JSON.stringify drops undefined properties but turns array holes/undefined into null.
        if (inArray) throw new Rejection(frame, key, 'undefined (or a hole) in an array is not allowed');
        if (slot.k === 'traces') throw new Rejection(frame, key, 'a figure needs a data array of traces');
        return;
      case 'number':
        if (!Number.isFinite(v)) throw new Rejection(frame, key, `${String(v)} is not allowed (numbers must be finite)`);
        this.primitive(v, slot, frame, key);
        return;
      case 'string':
        this.string(v, slot, frame, key);
        return;
      case 'boolean':
        this.primitive(v, slot, frame, key);
        return;
      case 'object':
        if (v === null) {
          this.primitive(null, slot, frame, key);
          return;
        }
        this.container(v, slot, frame, key);
        return;
      default:
        // function, symbol, bigint
        throw new Rejection(frame, key, `${typeof v} values are not allowed (only JSON data)`);
    }
  }

  private string(s: string, slot: Slot, frame: Frame, key: string | number): void {
    if (s.length > this.limits.maxStringLength) throw new Rejection(frame, key, `string longer than ${this.limits.maxStringLength} characters`);
    const url = (slot.k === 'leaf' && slot.leaf.url === true) || (slot.k === 'any' && slot.url);
    if (url) {
      const scheme = unsafeUrlScheme(s);
      if (scheme !== undefined) throw new Rejection(frame, key, `${scheme}: URLs are not allowed`);
    }
    const markup = unsafeMarkup(s);
    if (markup !== undefined) throw new Rejection(frame, key, `text ${markup}`);
    this.primitive(s, slot, frame, key);
  }

  /** A string, number, boolean or null in `slot`. */
  private primitive(v: string | number | boolean | null, slot: Slot, frame: Frame, key: string | number): void {
    switch (slot.k) {
      case 'leaf':
      case 'any':
        return;
      case 'object':
      case 'container':
      case 'item':
      case 'template':
        if (v === null) return; // plotly treats null as "not set"
        break;
      default:
        break;
    }
    throw new Rejection(frame, key, `expected ${this.expected(slot)}, got ${typeName(v)}`);
  }

  private expected(slot: Slot): string {
    switch (slot.k) {
      case 'leaf':
        return describeLeaf(slot.leaf);
      case 'object':
      case 'item':
      case 'trace':
      case 'layout':
      case 'template':
      case 'templateData':
        return 'an object';
      case 'container':
      case 'traces':
      case 'templateTraces':
        return 'an array';
      case 'any':
        return 'JSON data';
    }
  }

  private container(v: object, slot: Slot, frame: Frame, key: string | number): void {
    const isArray = Array.isArray(v);
    const proto: unknown = Object.getPrototypeOf(v);
    if (isArray ? proto !== Array.prototype : proto !== Object.prototype && proto !== null) {
      throw new Rejection(frame, key, `${objectKind(v)} is not allowed (only plain objects, arrays and primitives)`);
    }
    if (isArray) {
      let ctx: Ctx;
      switch (slot.k) {
        case 'any':
          ctx = slot.url ? ANY_ARRAY_URL : ANY_ARRAY;
          break;
        case 'leaf':
          if (!leafAcceptsArray(slot.leaf)) throw new Rejection(frame, key, `expected ${describeLeaf(slot.leaf)}, got an array`);
          ctx = slot.leaf.url === true ? ANY_ARRAY_URL : ANY_ARRAY;
          break;
        case 'container':
          ctx = { k: 'items', node: slot.node, label: slot.label };
          break;
        case 'traces':
          if ((v as unknown[]).length > this.limits.maxTraces) throw new Rejection(frame, key, `more than ${this.limits.maxTraces} traces`);
          ctx = { k: 'traces' };
          break;
        case 'templateTraces':
          ctx = { k: 'templateTraces', type: slot.type };
          break;
        default:
          throw new Rejection(frame, key, `expected ${this.expected(slot)}, got an array`);
      }
      this.enterArray(v as unknown[], ctx, frame, key);
      return;
    }
    switch (slot.k) {
      case 'any':
        this.enterObject(v, slot.url ? ANY_OBJECT_URL : ANY_OBJECT, frame, key);
        return;
      case 'leaf':
        if (slot.leaf.valType === 'any') {
          this.enterObject(v, slot.leaf.url === true ? ANY_OBJECT_URL : ANY_OBJECT, frame, key);
          return;
        }
        if ((slot.leaf.valType === 'data_array' || slot.leaf.arrayOk === true) && (Object.hasOwn(v, 'bdata') || Object.hasOwn(v, 'dtype'))) {
          this.typedArraySpec(v, frame, key);
          return;
        }
        throw new Rejection(frame, key, `expected ${describeLeaf(slot.leaf)}, got an object`);
      case 'object':
      case 'item':
        this.enterObject(v, { k: 'attrs', node: slot.node, label: slot.label, layoutRoot: false, traceType: undefined }, frame, key);
        return;
      case 'layout':
        this.enterObject(v, { k: 'attrs', node: LAYOUT_SCHEMA, label: 'in layout', layoutRoot: true, traceType: undefined }, frame, key);
        return;
      case 'template':
        this.enterObject(v, { k: 'template' }, frame, key);
        return;
      case 'templateData':
        this.enterObject(v, { k: 'templateData' }, frame, key);
        return;
      case 'trace':
        this.enterTrace(v, slot.fixedType, frame, key);
        return;
      default:
        throw new Rejection(frame, key, `expected ${this.expected(slot)}, got an object`);
    }
  }

  private enterTrace(v: object, fixedType: string | undefined, frame: Frame, key: string | number): void {
    const desc = Object.getOwnPropertyDescriptor(v, 'type');
    let type = fixedType ?? 'scatter';
    if (desc !== undefined) {
      // Errors below are about data[i].type: a temporary frame for the path.
      const here: Frame = { value: v, keys: [], length: 0, i: 0, ctx: { k: 'traces' }, parent: frame, key, depth: frame.depth + 1 };
      if (desc.get !== undefined || desc.set !== undefined) throw new Rejection(here, 'type', 'accessor properties (getters/setters) are not allowed');
      const t: unknown = desc.value;
      if (t !== undefined) {
        if (typeof t !== 'string') throw new Rejection(here, 'type', `trace type must be a string, got ${typeName(t)}`);
        if (traceSchema(t) === undefined) throw new Rejection(here, 'type', `unknown trace type ${formatKey(t)}`);
        if (fixedType !== undefined && t !== fixedType) throw new Rejection(here, 'type', `a template trace under ${formatKey(fixedType)} must have that type`);
        type = t;
      }
    }
    const node = traceSchema(type) as SchemaObject;
    this.enterObject(v, { k: 'attrs', node, label: `for trace type ${formatKey(type)}`, layoutRoot: false, traceType: type }, frame, key);
  }

  private typedArraySpec(v: object, frame: Frame, key: string | number): void {
    const here: Frame = { value: v, keys: [], length: 0, i: 0, ctx: { k: 'anyObject', url: false }, parent: frame, key, depth: frame.depth + 1 };
    let dtype: unknown;
    let bdata: unknown;
    let shape: unknown;
    for (const k of Object.keys(v)) {
      const desc = Object.getOwnPropertyDescriptor(v, k);
      if (desc === undefined) continue;
      if (desc.get !== undefined || desc.set !== undefined) throw new Rejection(here, k, 'accessor properties (getters/setters) are not allowed');
      if (k === 'dtype') dtype = desc.value;
      else if (k === 'bdata') bdata = desc.value;
      else if (k === 'shape') shape = desc.value;
      else throw new Rejection(here, k, `unknown key ${formatKey(k)} in a typed array (allowed: dtype, bdata, shape)`);
    }
    const size = typeof dtype === 'string' ? DTYPE_BYTES.get(dtype) : undefined;
    if (size === undefined) throw new Rejection(here, 'dtype', `unknown typed array dtype (allowed: ${[...DTYPE_BYTES.keys()].join(', ')})`);
    if (typeof bdata !== 'string') throw new Rejection(here, 'bdata', `typed array bdata must be a base64 string, got ${typeName(bdata)}`);
    if (bdata.length > this.limits.maxStringLength) throw new Rejection(here, 'bdata', `string longer than ${this.limits.maxStringLength} characters`);
    if (bdata.length % 4 !== 0 || !BASE64.test(bdata)) throw new Rejection(here, 'bdata', 'typed array bdata is not valid base64');
    const padding = bdata.endsWith('==') ? 2 : bdata.endsWith('=') ? 1 : 0;
    const bytes = (bdata.length / 4) * 3 - padding;
    if (bytes % size !== 0) throw new Rejection(here, 'bdata', `typed array bdata holds ${bytes} bytes, not a whole number of ${dtype as string} elements`);
    const count = bytes / size;
    if (count > this.limits.maxArrayLength) throw new Rejection(here, 'bdata', `array longer than ${this.limits.maxArrayLength} elements`);
    this.count(count, frame, key);
    if (shape !== undefined) {
      const text = typeof shape === 'number' ? String(shape) : shape;
      if (typeof text !== 'string' || !SHAPE.test(text)) throw new Rejection(here, 'shape', 'typed array shape must be up to 3 comma-separated sizes');
      const product = text.split(',').reduce((p, d) => p * Number(d), 1);
      if (product !== count) throw new Rejection(here, 'shape', `typed array shape ${text} does not match its ${count} elements`);
    }
  }

  // --- frames ---------------------------------------------------------------------------------

  /**
   * Counts `n` values against maxValues. The walk visits what JSON.stringify would write, so
   * this also bounds the work (and output) of objects shared many times in an in-memory DAG.
   */
  private count(n: number, frame: Frame | undefined, key: string | number): void {
    this.total += n;
    if (this.total > this.limits.maxValues) throw new Rejection(frame, key, `more than ${this.limits.maxValues} values in the figure`);
  }

  /**
   * The depth of a container entered below `frame`. A cycle always ends up here (it nests
   * forever), so no set of seen objects is needed: over the limit, the ancestor chain (the
   * stack) tells a cycle from honest deep nesting, and the first repeat is reported.
   */
  private depthOf(v: object, frame: Frame | undefined, key: string | number): number {
    const depth = frame === undefined ? 0 : frame.depth + 1;
    if (depth <= this.limits.maxDepth) return depth;
    const firstIndex = new Map<object, number>();
    const chain = [...this.stack.map((f) => ({ value: f.value, parent: f.parent, key: f.key })), { value: v, parent: frame, key }];
    for (const [i, link] of chain.entries()) {
      if (firstIndex.has(link.value)) throw new Rejection(link.parent, link.key, 'cycle: a value contains itself');
      firstIndex.set(link.value, i);
    }
    throw new Rejection(frame, key, `nested deeper than ${this.limits.maxDepth} levels`);
  }

  private enterArray(v: unknown[], ctx: Ctx, parent: Frame, key: string | number): void {
    const depth = this.depthOf(v, parent, key);
    const length = v.length;
    if (length > this.limits.maxArrayLength) throw new Rejection(parent, key, `array longer than ${this.limits.maxArrayLength} elements`);
    this.count(length + 1, parent, key);
    this.stack.push({ value: v, keys: undefined, length, i: 0, ctx, parent, key, depth });
  }

  private enterObject(v: object, ctx: Ctx, parent: Frame | undefined, key: string | number): void {
    const depth = this.depthOf(v, parent, key);
    const keys = Object.keys(v);
    if (keys.length > this.limits.maxArrayLength) throw new Rejection(parent, key, `object with more than ${this.limits.maxArrayLength} keys`);
    this.count(keys.length + 1, parent, key);
    this.stack.push({ value: v, keys, length: keys.length, i: 0, ctx, parent, key, depth });
  }
}
