/**
 * Row functions that are plain arithmetic over numeric columns (`d => d.units * d.price`,
 * `(d) => (d.price - d.cost) / d.price * 100`), evaluated a column at a time instead of a row at a
 * time. A run's analyst code is compiled afresh every run (its source is unique, run-realm.ts), so a
 * row function starts cold in V8's interpreter and is called through a call site that has seen
 * every earlier run's functions: 100k calls cost milliseconds. Reading the function's source and
 * running its arithmetic as typed-array loops gives exactly the same numbers (the same IEEE
 * operations on the same operands, in the same order, per row) in a fraction of that.
 *
 * Only a tiny grammar is recognised — one parameter, an expression body (or `{ return …; }`) of
 * `param.column` reads of number/int columns, numeric literals, `+ - * / %`, unary `+`/`-` and
 * parentheses, with at least one operator — so the function has no side effects and never throws,
 * and not calling it is unobservable. Anything else (other names, calls, strings, comments, a
 * column of another kind) returns undefined and the function runs row by row as before.
 * Runs inside the isolate: ECMAScript built-ins only.
 */
import type { Column } from '@plotbox/sandbox-protocol';
import { validToRead, valuesToRead } from './columns.ts';

/** Captured at load: an analyst's function cannot answer with a source text of its own choosing. */
const functionSource = Function.prototype.toString;

type Node =
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'unary'; readonly op: '-' | '+'; readonly arg: Node }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node };
type BinaryOp = '+' | '-' | '*' | '/' | '%';

/**
 * Most operators evaluated a column at a time: every operator holds a temporary array of the
 * dataset's length until its parent is done, so a long expression runs row by row instead.
 */
const MAX_OPERATORS = 16;

function operators(node: Node): number {
  return node.kind === 'unary' ? 1 + operators(node.arg) : node.kind === 'binary' ? 1 + operators(node.left) + operators(node.right) : 0;
}

/** Longest source text worth parsing: the expressions this is for are one line. */
const MAX_SOURCE = 2000;
const TOKEN = /\s*(?:([A-Za-z_$][\w$]*)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?![\w$.])|(=>|[().*/%+\-{};]))/y;

/**
 * The values of `f` for every row of a dataset, if `f` is arithmetic over its numeric columns;
 * otherwise undefined (run it row by row).
 * @param raw the dataset's columns by name
 */
export function arithmeticRows(f: unknown, raw: (name: string) => Column | undefined, rowCount: number): Float64Array | undefined {
  if (typeof f !== 'function') return undefined;
  let source: unknown;
  try {
    source = Reflect.apply(functionSource, f, []);
  } catch {
    return undefined;
  }
  if (typeof source !== 'string' || source.length > MAX_SOURCE) return undefined;
  const tree = parseRowArithmetic(source);
  if (tree === undefined || tree.kind === 'column' || tree.kind === 'number' || operators(tree) > MAX_OPERATORS) return undefined;
  const columns = new Map<string, Float64Array>();
  if (!collectColumns(tree, raw, rowCount, columns)) return undefined;
  const out = evaluate(tree, columns, rowCount);
  if (typeof out === 'number') return new Float64Array(rowCount).fill(out);
  // `+d.price` evaluates to the column's own array: the caller gets an array of its own.
  for (const column of columns.values()) if (out === column) return out.slice();
  return out;
}

/** Parses `source` (a function's text) into an arithmetic tree over `param.column`, or undefined. */
export function parseRowArithmetic(source: string): Node | undefined {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(source);
    if (m === null) {
      // Only trailing white space may be left.
      if (/^\s*$/.test(source.slice(start))) break;
      return undefined;
    }
    const token = m[1] ?? m[2] ?? m[3];
    if (token === undefined) break;
    tokens.push(token);
  }
  let at = 0;
  const peek = (): string | undefined => tokens[at];
  const take = (expected?: string): string | undefined => {
    const t = tokens[at];
    if (t === undefined || (expected !== undefined && t !== expected)) return undefined;
    at++;
    return t;
  };
  const isName = (t: string | undefined): t is string => t !== undefined && /^[A-Za-z_$]/.test(t);
  // `d =>` or `(d) =>`.
  let param: string | undefined;
  if (take('(') !== undefined) {
    param = take();
    if (take(')') === undefined) return undefined;
  } else param = take();
  if (!isName(param) || RESERVED.has(param) || take('=>') === undefined) return undefined;
  const block = take('{') !== undefined;
  if (block && take('return') === undefined) return undefined;

  const primary = (): Node | undefined => {
    const t = take();
    if (t === undefined) return undefined;
    if (t === '(') {
      const inner = additive();
      return take(')') === undefined ? undefined : inner;
    }
    if (t === '-' || t === '+') {
      const arg = primary();
      return arg === undefined ? undefined : { kind: 'unary', op: t, arg };
    }
    if (t === param) {
      if (take('.') === undefined) return undefined;
      const name = take();
      return isName(name) ? { kind: 'column', name } : undefined;
    }
    if (/^[\d.]/.test(t)) {
      // `010` is octal in sloppy code and an error in strict code: not a number this reads.
      if (/^0\d/.test(t)) return undefined;
      const value = Number(t);
      return Number.isNaN(value) ? undefined : { kind: 'number', value };
    }
    return undefined;
  };
  const multiplicative = (): Node | undefined => {
    let left = primary();
    while (left !== undefined && (peek() === '*' || peek() === '/' || peek() === '%')) {
      const op = take() as BinaryOp;
      // `**` is two tokens here: refuse it rather than misread it.
      if (peek() === '*') return undefined;
      const right = primary();
      left = right === undefined ? undefined : { kind: 'binary', op, left, right };
    }
    return left;
  };
  const additive = (): Node | undefined => {
    let left = multiplicative();
    while (left !== undefined && (peek() === '+' || peek() === '-')) {
      const op = take() as BinaryOp;
      const right = multiplicative();
      left = right === undefined ? undefined : { kind: 'binary', op, left, right };
    }
    return left;
  };
  const tree = additive();
  if (tree === undefined) return undefined;
  if (block) {
    take(';');
    if (take('}') === undefined) return undefined;
  }
  return at === tokens.length ? tree : undefined;
}

/** Words that cannot be a parameter (`async d => …` and the like fail on them). */
const RESERVED = new Set(['async', 'function', 'return', 'this', 'new', 'typeof', 'void', 'delete', 'in', 'of', 'await', 'yield', 'class', 'super', 'arguments', 'eval']);

/**
 * Each column the tree reads, as numbers with nulls as 0 (what arithmetic makes of a null); false
 * when one is not a number/int column.
 */
function collectColumns(node: Node, raw: (name: string) => Column | undefined, rowCount: number, out: Map<string, Float64Array>): boolean {
  switch (node.kind) {
    case 'number':
      return true;
    case 'unary':
      return collectColumns(node.arg, raw, rowCount, out);
    case 'binary':
      return collectColumns(node.left, raw, rowCount, out) && collectColumns(node.right, raw, rowCount, out);
    case 'column': {
      if (out.has(node.name)) return true;
      const column = raw(node.name);
      if (column === undefined || (column.kind !== 'number' && column.kind !== 'int')) return false;
      // Read only: the result is a new array (and `+d.x`, which would be this one, is copied).
      const values = valuesToRead(column);
      const valid = validToRead(column);
      if (values.length !== rowCount) return false;
      let numbers: Float64Array;
      if (values instanceof Float64Array && valid === undefined) numbers = values;
      else {
        numbers = new Float64Array(values);
        if (valid !== undefined) for (let i = 0; i < rowCount; i++) if (valid[i] === 0) numbers[i] = 0;
      }
      out.set(node.name, numbers);
      return true;
    }
  }
}

/** The tree's value per row (a number when it reads no column). The input arrays are never written. */
function evaluate(node: Node, columns: ReadonlyMap<string, Float64Array>, n: number): Float64Array | number {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'column':
      return columns.get(node.name) as Float64Array;
    case 'unary': {
      const arg = evaluate(node.arg, columns, n);
      if (typeof arg === 'number') return node.op === '-' ? -arg : +arg;
      if (node.op === '+') return arg;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = -(arg[i] as number);
      return out;
    }
    case 'binary': {
      const left = evaluate(node.left, columns, n);
      const right = evaluate(node.right, columns, n);
      if (typeof left === 'number' && typeof right === 'number') return apply(node.op, left, right);
      // A constant side as an array: one loop shape per operator, which V8 keeps monomorphic.
      const a = typeof left === 'number' ? new Float64Array(n).fill(left) : left;
      const b = typeof right === 'number' ? new Float64Array(n).fill(right) : right;
      const out = new Float64Array(n);
      switch (node.op) {
        case '+':
          for (let i = 0; i < n; i++) out[i] = (a[i] as number) + (b[i] as number);
          break;
        case '-':
          for (let i = 0; i < n; i++) out[i] = (a[i] as number) - (b[i] as number);
          break;
        case '*':
          for (let i = 0; i < n; i++) out[i] = (a[i] as number) * (b[i] as number);
          break;
        case '/':
          for (let i = 0; i < n; i++) out[i] = (a[i] as number) / (b[i] as number);
          break;
        case '%':
          for (let i = 0; i < n; i++) out[i] = (a[i] as number) % (b[i] as number);
          break;
      }
      return out;
    }
  }
}

function apply(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
  }
}
