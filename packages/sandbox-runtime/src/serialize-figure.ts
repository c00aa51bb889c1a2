/**
 * Turns the analyst's `fig` into JSON text inside the isolate, safely.
 *
 * `fig` is hostile until proven otherwise: getters, proxies, `toJSON` hooks, cycles, sparse
 * arrays of length 2^32−1, BigInts, deep nesting and huge strings must all end in a typed result,
 * quickly, and the byte limit must hold whatever the analyst did to the built-ins. So:
 * - every intrinsic used here is captured when this module loads, before analyst code runs;
 * - every property is read exactly once; runs of primitives are copied into clean
 *   null-prototype arrays and handed to the captured native `JSON.stringify` in chunks, and the
 *   containers around them are written here, so no hostile object ever reaches the native
 *   serializer and the output is measured as it grows (aborting as soon as it cannot fit);
 * - runs of short decimals (prices, rates: most numbers in a scatter) are written here instead,
 *   as text identical to the native serializer's but ≈2× faster (see number-text.ts);
 * - arrays are rejected by `length` alone when even `[0,0,…]` could not fit, before iterating;
 * - nesting is capped at {@link MAX_DEPTH}; cycles are detected along the current path.
 *
 * Semantics follow `JSON.stringify` (`toJSON` is honoured, once per position; `undefined`,
 * functions and symbols are dropped from objects and become `null` in arrays; NaN/±Infinity
 * become `null`) with these differences: `Date`s use the intrinsic `toISOString` (null when
 * invalid), typed arrays become arrays, `__proto__` keys are dropped, BigInts and cycles are
 * errors that name the path.
 * Pure ECMAScript; imports only number-text.ts (pure).
 */

import { isShortFraction, shortNumberText } from './number-text.ts';

export type SerializeErrorCode = 'SANDBOX_NO_FIGURE' | 'SANDBOX_OUTPUT_TOO_LARGE' | 'SANDBOX_RUNTIME_ERROR';

export type SerializeResult = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly code: SerializeErrorCode; readonly message: string };

/** Deepest nesting accepted (a Plotly figure needs about 6; a `z` matrix adds 2). */
export const MAX_DEPTH = 64;
/** Primitives are handed to the native serializer in chunks of this many. */
const CHUNK = 4096;
/**
 * An array switches between writing numbers itself and chunking them for the native serializer
 * after this many numbers in a row that the other way serves better (integers, which V8 writes
 * faster natively; short fractions, which are faster here). Each switch costs one native call, so
 * alternating data costs at most one call per SWITCH elements.
 */
const SWITCH = 16;

// ---- intrinsics, captured at load --------------------------------------------------------------
const uncurryThis = Function.prototype.bind.bind(Function.prototype.call) as <A extends unknown[], R>(fn: (...args: A) => R) => (self: unknown, ...args: A) => R;
const stringify = JSON.stringify;
const isArray = Array.isArray;
const objectKeys = Object.keys;
const getPrototypeOf = Object.getPrototypeOf;
const setPrototypeOf = Object.setPrototypeOf;
const ObjectPrototype = Object.prototype;
const numberIsFinite = Number.isFinite;
const numberIsSafeInteger = Number.isSafeInteger;
const mathFloor = Math.floor;
const charCodeAt = uncurryThis(String.prototype.charCodeAt);
const stringSlice = uncurryThis(String.prototype.slice);
const dateGetTime = uncurryThis(Date.prototype.getTime);
const dateToISOString = uncurryThis(Date.prototype.toISOString);
const numberValueOf = uncurryThis(Number.prototype.valueOf);
const stringValueOf = uncurryThis(String.prototype.valueOf);
const booleanValueOf = uncurryThis(Boolean.prototype.valueOf);
const functionApply = uncurryThis(Function.prototype.apply) as (fn: unknown, self: unknown, args: unknown[]) => unknown;
const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayTag = uncurryThis(Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag)?.get as () => string | undefined);
const typedArrayLength = uncurryThis(Object.getOwnPropertyDescriptor(TypedArrayPrototype, 'length')?.get as () => number);
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const regexpTest = uncurryThis(RegExp.prototype.exec);

/** Thrown internally to unwind with a prepared result. */
const ABORT = Object.freeze(Object.create(null) as object);

function describeLimit(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes % MiB === 0) return `${bytes / MiB} MiB (${bytes} bytes)`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB (${bytes} bytes)`;
  return `${bytes} bytes`;
}

/** A thrown value's message, without running more than one read of analyst code, capped in length. */
function messageOf(error: unknown): string {
  try {
    if (typeof error === 'string') return stringSlice(error, 0, 300);
    if (error !== null && typeof error === 'object') {
      const m = (error as { message?: unknown }).message;
      if (typeof m === 'string') return stringSlice(m, 0, 300);
    }
  } catch {
    // A getter on `message` threw: fall through to the generic text.
  }
  return 'a non-error value was thrown';
}

/** UTF-8 length of `s` (lone surrogates count 3 bytes, as their replacement character would). */
export function utf8Length(s: string): number {
  let bytes = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt(s, i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = charCodeAt(s, i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function isOmitted(v: unknown): boolean {
  const t = typeof v;
  return t === 'undefined' || t === 'function' || t === 'symbol';
}

/**
 * Serialize `fig` to JSON of at most `maxBytes` UTF-8 bytes. Never throws for any `fig`;
 * throws a TypeError only when `maxBytes` is not a positive integer (a host bug).
 */
export function serializeFigure(fig: unknown, maxBytes: number): SerializeResult {
  if (!numberIsSafeInteger(maxBytes) || maxBytes <= 0) throw new TypeError('maxBytes must be a positive integer');
  let out = '';
  let result: SerializeResult | undefined;
  // Keys and indices from the root to the value being written, for messages only.
  const path: (string | number)[] = [];
  setPrototypeOf(path, null);
  let pathLength = 0;
  // Containers from the root to the current one, for cycle detection (depth ≤ MAX_DEPTH, so a scan is cheap).
  const ancestors: object[] = [];
  setPrototypeOf(ancestors, null);
  let ancestorCount = 0;

  const where = (): string => {
    let s = 'fig';
    for (let i = 0; i < pathLength; i++) {
      const k = path[i] as string | number;
      s += typeof k === 'number' ? `[${k}]` : regexpTest(IDENTIFIER, k) !== null ? `.${k}` : `[${stringify(k)}]`;
    }
    return s;
  };
  const abort = (code: SerializeErrorCode, message: string): never => {
    result = { ok: false, code, message };
    throw ABORT;
  };
  const tooLarge = (): never =>
    abort('SANDBOX_OUTPUT_TOO_LARGE', `The figure is larger than the output limit of ${describeLimit(maxBytes)} (at ${where()}). Plot aggregates or a sample instead of raw rows.`);
  const reserve = (units: number): void => {
    // UTF-16 units are a lower bound on UTF-8 bytes, so this only refuses output that cannot fit.
    if (out.length + units > maxBytes) tooLarge();
  };

  /** Apply Date / boxed-primitive conversion and `toJSON`, as JSON.stringify would for this position. */
  const resolve = (v: unknown, key: string | number): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const proto = getPrototypeOf(v) as unknown;
    if (proto !== ObjectPrototype && proto !== null && !isArray(v)) {
      // Brand checks through intrinsics: they read internal slots, never analyst code.
      try {
        const t = dateGetTime(v);
        return numberIsFinite(t) ? dateToISOString(v) : null;
      } catch {
        // not a Date
      }
      if (typedArrayTag(v) !== undefined) return v;
      try {
        return numberValueOf(v);
      } catch {
        // not a Number
      }
      try {
        return stringValueOf(v);
      } catch {
        // not a String
      }
      try {
        return booleanValueOf(v);
      } catch {
        // not a Boolean
      }
    }
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return functionApply(toJSON, v, [typeof key === 'number' ? `${key}` : key]);
    return v;
  };

  /** A number's JSON text, after a comma when `comma`. */
  const numberText = (v: number, comma: boolean): string => {
    const text = shortNumberText(v, comma);
    if (text !== '') return text;
    // For a finite number JSON.stringify's text is ToString(v) (SerializeJSONProperty), which a
    // template literal applies to a primitive without consulting any prototype.
    const native = numberIsFinite(v) ? `${v}` : 'null';
    return comma ? `,${native}` : native;
  };

  const writePrimitive = (v: unknown): string => {
    switch (typeof v) {
      case 'number':
        return numberText(v, false);
      case 'string':
        reserve(v.length + 2);
        return stringify(v);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'bigint':
        return abort('SANDBOX_RUNTIME_ERROR', `${where()} is a BigInt, which JSON cannot hold; convert it with Number(…) first.`);
      default:
        return 'null';
    }
  };

  const enter = (v: object, depth: number): void => {
    if (depth >= MAX_DEPTH) abort('SANDBOX_RUNTIME_ERROR', `fig is nested more than ${MAX_DEPTH} levels deep (at ${where()}).`);
    for (let i = 0; i < ancestorCount; i++) {
      if (ancestors[i] === v) abort('SANDBOX_RUNTIME_ERROR', `fig contains a cycle: ${where()} refers back to one of its own parents.`);
    }
    ancestors[ancestorCount++] = v;
  };

  const checkLength = (length: unknown): number => {
    if (typeof length !== 'number' || !numberIsSafeInteger(length) || length < 0) abort('SANDBOX_RUNTIME_ERROR', `${where()} is an array with an invalid length.`);
    const n = length as number;
    // Even "[0,0,…]" needs 2n+1 characters: refuse by length alone, before touching an element.
    reserve(n === 0 ? 2 : 2 * n + 1);
    return n;
  };

  /**
   * Write `length` elements read by `get`: containers recursively; primitives either as text
   * written here (`direct`: numbers, booleans, nulls) or in native-stringified chunks (strings,
   * and numbers while the native serializer is the faster way for them).
   */
  const writeElements = (length: number, get: (i: number) => unknown, depth: number, resolveObjects: boolean): void => {
    out += '[';
    let chunk: unknown[] = [];
    setPrototypeOf(chunk, null);
    let chunkLength = 0;
    let pending = 0;
    let first = true;
    // Invariant: the chunk is empty while `direct`, so the two ways never reorder elements.
    let direct = true;
    // Numbers in a row that the way not in use would serve better.
    let streak = 0;
    const flush = (): void => {
      if (chunkLength === 0) return;
      const text = stringify(chunk);
      const inner = stringSlice(text, 1, text.length - 1);
      reserve(inner.length + 1);
      out += first ? inner : `,${inner}`;
      first = false;
      chunk = [];
      setPrototypeOf(chunk, null);
      chunkLength = 0;
      pending = 0;
    };
    path[pathLength++] = 0;
    for (let i = 0; i < length; i++) {
      path[pathLength - 1] = i;
      let v = get(i);
      if (resolveObjects) v = resolve(v, i);
      if (v !== null && typeof v === 'object') {
        flush();
        if (!first) out += ',';
        first = false;
        writeContainer(v, depth + 1);
        continue;
      }
      if (direct && typeof v !== 'string' && typeof v !== 'bigint') {
        let text: string;
        if (typeof v === 'number') {
          text = numberText(v, !first);
          // Only integers favour the native serializer; other numbers cost the same either way here.
          if (mathFloor(v) !== v) streak = 0;
          else if (++streak === SWITCH) {
            direct = false;
            streak = 0;
          }
        } else {
          const literal = v === true ? 'true' : v === false ? 'false' : 'null';
          text = first ? literal : `,${literal}`;
        }
        // `text` includes its comma.
        if (out.length + text.length > maxBytes) tooLarge();
        out += text;
        first = false;
        continue;
      }
      let clean: unknown;
      switch (typeof v) {
        case 'number':
          clean = numberIsFinite(v) ? v : null;
          pending += 2;
          if (!isShortFraction(v)) streak = 0;
          else if (++streak === SWITCH) {
            // Switch after this element is in the chunk, so the flush below keeps the order.
            direct = true;
            streak = 0;
          }
          break;
        case 'string':
          clean = v;
          pending += v.length + 3;
          direct = false;
          streak = 0;
          break;
        case 'boolean':
          clean = v;
          pending += 5;
          break;
        case 'bigint':
          writePrimitive(v);
          break;
        default:
          clean = null;
          pending += 5;
      }
      // A lower bound of what the chunk will add: refuse early instead of stringifying a huge chunk.
      if (out.length + pending > maxBytes) tooLarge();
      chunk[chunkLength++] = clean;
      if (chunkLength === CHUNK || direct) flush();
    }
    pathLength--;
    flush();
    out += ']';
  };

  const writeObject = (v: object, depth: number): void => {
    const keys = objectKeys(v);
    const n = keys.length;
    reserve(n === 0 ? 2 : 4 * n + 1);
    out += '{';
    let first = true;
    path[pathLength++] = '';
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      // Harmless to JSON, but a trap for any host code that later merges the parsed figure.
      if (key === '__proto__') continue;
      path[pathLength - 1] = key;
      const value = resolve((v as Record<string, unknown>)[key], key);
      if (isOmitted(value)) continue;
      const keyText = stringify(key);
      reserve(keyText.length + 2);
      out += first ? `${keyText}:` : `,${keyText}:`;
      first = false;
      if (value !== null && typeof value === 'object') writeContainer(value, depth + 1);
      else out += writePrimitive(value);
    }
    pathLength--;
    out += '}';
  };

  const writeContainer = (v: object, depth: number): void => {
    enter(v, depth);
    if (isArray(v)) {
      const length = checkLength((v as unknown[]).length);
      writeElements(length, (i) => (v as unknown[])[i], depth, true);
    } else if (typedArrayTag(v) !== undefined) {
      const tag = typedArrayTag(v) as string;
      if (tag === 'BigInt64Array' || tag === 'BigUint64Array') abort('SANDBOX_RUNTIME_ERROR', `${where()} is a ${tag}, which JSON cannot hold; use a Float64Array or an array of numbers.`);
      const length = checkLength(typedArrayLength(v));
      writeElements(length, (i) => (v as Float64Array)[i], depth, false);
    } else {
      writeObject(v, depth);
    }
    ancestorCount--;
  };

  try {
    const root = resolve(fig, '');
    if (root === null || root === undefined) {
      return { ok: false, code: 'SANDBOX_NO_FIGURE', message: 'No figure: assign one to fig, e.g. fig = px.bar(df, { x: "region", y: "units" }).' };
    }
    if (typeof root !== 'object') {
      return { ok: false, code: 'SANDBOX_NO_FIGURE', message: `fig must be an object like { data: [...traces], layout: {...} }, not a ${typeof root}.` };
    }
    writeContainer(root, 0);
  } catch (error) {
    // Only identity tests on `error`: `instanceof` would run a hostile proxy's getPrototypeOf trap.
    if (error === ABORT && result !== undefined) return result;
    return { ok: false, code: 'SANDBOX_RUNTIME_ERROR', message: `Reading fig failed at ${where()}: ${messageOf(error)}` };
  }
  const json = out;
  // UTF-8 needs between 1 and 3 bytes per UTF-16 unit: count exactly only when it matters.
  if (json.length > maxBytes || (json.length * 3 > maxBytes && utf8Length(json) > maxBytes)) {
    return { ok: false, code: 'SANDBOX_OUTPUT_TOO_LARGE', message: `The figure is larger than the output limit of ${describeLimit(maxBytes)}. Plot aggregates or a sample instead of raw rows.` };
  }
  return { ok: true, json };
}
