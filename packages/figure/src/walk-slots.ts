// What the figure walker (figure-walker.ts) knows about a position: the slot a value must fill,
// how a container's children are read, the walk's stack frames, and how a refusal names its path.

import type { SchemaLeaf, SchemaObject } from './plotly-schema.ts';

/** Keys that are never attributes and never allowed as data keys (prototype pollution). */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** valTypes whose values may be arrays even without `arrayOk`. */
const ARRAY_VALTYPES: ReadonlySet<string> = new Set(['data_array', 'info_array', 'colorscale', 'colorlist', 'any']);

/** plotly's typed-array JSON form `{dtype, bdata, shape}`: bytes per element of each dtype. */
export const DTYPE_BYTES: ReadonlyMap<string, number> = new Map([
  ['u1c', 1],
  ['i1', 1],
  ['u1', 1],
  ['i2', 2],
  ['u2', 2],
  ['i4', 4],
  ['u4', 4],
  ['f4', 4],
  ['f8', 8],
  ['uint8c', 1],
  ['int8', 1],
  ['uint8', 1],
  ['int16', 2],
  ['uint16', 2],
  ['int32', 4],
  ['uint32', 4],
  ['float32', 4],
  ['float64', 8],
]);
export const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
export const SHAPE = /^[0-9]{1,10}(,[0-9]{1,10}){0,2}$/;

/**
 * What the value at some position must be.
 * leaf: an attribute value; object: a nested attribute object; container: an array of `item`s;
 * any: arbitrary JSON data (data arrays, `meta`, `customdata`, geojson...), `url` if its strings are URLs.
 */
export type Slot =
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
export type Ctx =
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
export const ANY: Slot = { k: 'any', url: false };
export const ANY_URL: Slot = { k: 'any', url: true };
export const ANY_ARRAY: Ctx = { k: 'anyArray', url: false };
export const ANY_ARRAY_URL: Ctx = { k: 'anyArray', url: true };
export const ANY_OBJECT: Ctx = { k: 'anyObject', url: false };
export const ANY_OBJECT_URL: Ctx = { k: 'anyObject', url: true };

export interface Frame {
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

export class Rejection {
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

export function formatKey(key: string): string {
  return JSON.stringify(key.length > MAX_KEY_IN_PATH ? `${key.slice(0, MAX_KEY_IN_PATH)}…` : key);
}

export function pathOf(frame: Frame | undefined, key: string | number | undefined): string {
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

export function typeName(value: unknown): string {
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

export function leafAcceptsArray(leaf: SchemaLeaf): boolean {
  return leaf.arrayOk === true || ARRAY_VALTYPES.has(leaf.valType);
}

export function describeLeaf(leaf: SchemaLeaf): string {
  return `a ${leaf.valType} value${leafAcceptsArray(leaf) ? ' or an array' : ''}`;
}

/** Names the kind of a non-plain object without running user code where avoidable. */
export function objectKind(value: object): string {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === 'Object' ? 'a class instance' : `a ${tag}`;
}
