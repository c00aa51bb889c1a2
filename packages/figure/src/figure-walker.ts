import { childSchema, isArrayContainer, isLeaf, LAYOUT_SCHEMA, traceSchema, type SchemaObject } from './plotly-schema.ts';
import { unsafeMarkup, unsafeUrlScheme } from './url-safety.ts';
import type { FigureCheckOptions } from './figure-types.ts';
import {
  FORBIDDEN_KEYS,
  DTYPE_BYTES,
  BASE64,
  SHAPE,
  ANY,
  ANY_URL,
  ANY_ARRAY,
  ANY_ARRAY_URL,
  ANY_OBJECT,
  ANY_OBJECT_URL,
  Rejection,
  formatKey,
  typeName,
  leafAcceptsArray,
  describeLeaf,
  objectKind,
  type Slot,
  type Ctx,
  type Frame,
} from './walk-slots.ts';

/** Walks a figure iteratively (no recursion on analyst data), refusing at the first problem. */
export class Walker {
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
