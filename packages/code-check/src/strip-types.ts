/**
 * TypeScript → JavaScript by erasure: every TypeScript-only range of the source is replaced with
 * spaces (line terminators kept), so every line and column of the JavaScript is the analyst's
 * own. Constructs that are not erasable (they would need code generation) are reported as
 * `ts-unsupported` instead. The same approach and ASI fixes as Node's `stripTypeScriptTypes`
 * (swc's "strip-only" mode), implemented over Babel's AST and tokens.
 */
import { child, children, forEachChild, FUNCTION_TYPES, type AstNode } from './ast.ts';
import type { Finding } from './js-rules.ts';

/** A Babel token (or comment: comments carry a string `type`). */
export interface RawToken {
  readonly type: unknown;
  readonly start: number;
  readonly end: number;
}

export interface StripResult {
  readonly js: string;
  readonly unsupported: Finding[];
}

interface Token {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const ERASED_TYPE_NODES: ReadonlySet<string> = new Set(['TSTypeAnnotation', 'TSTypeParameterDeclaration', 'TSTypeParameterInstantiation']);
const ERASED_DECLARATIONS: ReadonlySet<string> = new Set(['TSInterfaceDeclaration', 'TSTypeAliasDeclaration', 'TSDeclareFunction']);
const CLASS_TYPES: ReadonlySet<string> = new Set(['ClassDeclaration', 'ClassExpression']);
const CLASS_FIELD_TYPES: ReadonlySet<string> = new Set(['ClassProperty', 'ClassPrivateProperty', 'ClassAccessorProperty']);
const CLASS_METHOD_TYPES: ReadonlySet<string> = new Set(['ClassMethod', 'ClassPrivateMethod']);
const PATTERN_TYPES: ReadonlySet<string> = new Set(['Identifier', 'ObjectPattern', 'ArrayPattern', 'RestElement']);
const ASI_HAZARDS: ReadonlySet<string> = new Set(['(', '[', '`', '+', '-', '/']);
const ASI_EXPRESSION_HAZARDS: ReadonlySet<string> = new Set(['(', '[', '`']);
const MAX_NAMESPACE_DEPTH = 32;

/**
 * Erases the types of `source`, given Babel's TypeScript AST of it (`program`) and its tokens.
 * Returns the JavaScript (same length, same line/column of every kept character) and the
 * findings for constructs that cannot be erased.
 */
export function stripTypes(source: string, program: AstNode, rawTokens: readonly RawToken[]): StripResult {
  const tokens: Token[] = [];
  for (const t of rawTokens) {
    if (typeof t.type === 'string' || t.end <= t.start) continue; // comments, eof
    tokens.push({ start: t.start, end: t.end, text: source.slice(t.start, t.end) });
  }
  const erase: Array<readonly [number, number]> = [];
  const overwrites = new Map<number, string>();
  const unsupported: Finding[] = [];

  /** Index of the first token starting at or after `pos`. */
  const tokenAt = (pos: number): number => {
    let lo = 0;
    let hi = tokens.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((tokens[mid]?.start ?? 0) < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** The first token in [from, to) whose text is `text`. */
  const findToken = (from: number, to: number, text: string): Token | undefined => {
    for (let k = tokenAt(from); k < tokens.length; k++) {
      const t = tokens[k];
      if (t === undefined || t.start >= to) return undefined;
      if (t.text === text) return t;
    }
    return undefined;
  };
  /** The last token in [from, to) whose text is `text`. */
  const findLastToken = (from: number, to: number, text: string): Token | undefined => {
    let found: Token | undefined;
    for (let k = tokenAt(from); k < tokens.length; k++) {
      const t = tokens[k];
      if (t === undefined || t.start >= to) break;
      if (t.text === text) found = t;
    }
    return found;
  };
  const hasLineBreak = (from: number, to: number): boolean => /[\n\r\u2028\u2029]/.test(source.slice(from, to));
  const eraseToken = (t: Token | undefined): void => {
    if (t !== undefined) erase.push([t.start, t.end]);
  };
  // Unsupported constructs are erased as well (the result is a failure anyway), so that the rest
  // of the code can still be parsed and checked and every finding reported at once.
  const report = (node: AstNode, what: string, hint: string, eraseTo = node.end): void => {
    erase.push([node.start, eraseTo]);
    unsupported.push({
      rule: 'ts-unsupported',
      message: `${what} is not supported in Code Mode (only TypeScript that erases to JavaScript is): ${hint}`,
      index: node.start,
      line: node.loc.start.line,
      column: node.loc.start.column + 1,
    });
  };

  /** Erase a whole statement; like swc, keep a `;` where the next line would otherwise join it. */
  const eraseStatement = (node: AstNode): void => {
    erase.push([node.start, node.end]);
    const before = tokenAt(node.start) - 1;
    const afterIndex = tokenAt(node.end);
    const after = tokens[afterIndex];
    if (before < 0 || after === undefined) return;
    if (!hasLineBreak(node.end, after.start) || !ASI_HAZARDS.has(after.text.charAt(0))) return;
    if (tokens[before]?.text === ';') return;
    overwrites.set(node.start, ';');
  };

  const stripClassModifiers = (member: AstNode): void => {
    const key = child(member, 'key');
    if (key === undefined) return;
    const flagged = new Set<string>();
    if (typeof member.accessibility === 'string') flagged.add(member.accessibility);
    if (member.readonly === true) flagged.add('readonly');
    if (member.override === true) flagged.add('override');
    if (flagged.size === 0) return;
    for (let k = tokenAt(member.start); k < tokens.length; k++) {
      const t = tokens[k];
      if (t === undefined || t.start >= key.start) break;
      if (flagged.has(t.text)) erase.push([t.start, t.end]);
      else if (t.text !== 'static') break;
    }
  };

  const stack: AstNode[] = [program];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) break;
    const type = node.type;

    if (ERASED_TYPE_NODES.has(type)) {
      erase.push([node.start, node.end]);
      continue;
    }
    if (ERASED_DECLARATIONS.has(type)) {
      eraseStatement(node);
      continue;
    }
    if (type === 'Decorator') {
      report(node, 'A decorator', 'call the function on the value instead.');
      continue;
    }

    let only: readonly string[] | undefined; // walk only these child keys
    let skip: string | undefined; // or walk all but this one
    switch (type) {
      case 'TSModuleDeclaration':
        if (node.declare === true || node.kind === 'global' || isTypeOnlyNamespace(node, 0)) eraseStatement(node);
        else report(node, 'A `namespace` with values', 'use a plain object (`const ns = { ... }`).');
        continue;
      case 'TSEnumDeclaration':
        if (node.declare === true) eraseStatement(node);
        else report(node, 'An `enum`', "use an object with `as const` (`const Color = { Red: 'red' } as const`).");
        continue;
      case 'TSParameterProperty':
        report(node, 'A parameter property', 'declare the field in the class body and assign it in the constructor.', child(node, 'parameter')?.start ?? node.end);
        only = ['parameter'];
        break;
      case 'TSImportEqualsDeclaration':
        report(node, '`import ... = require(...)`', 'nothing can be imported; `df`, `aq`, `op`, `data` and `px` are in scope.');
        continue;
      case 'TSExportAssignment':
      case 'TSNamespaceExportDeclaration':
        report(node, '`export =`', 'assign your chart to `fig` instead.');
        continue;
      case 'TSDeclareMethod':
      case 'TSIndexSignature':
        erase.push([node.start, node.end]);
        continue;
      case 'VariableDeclaration':
      case 'ClassDeclaration':
        if (node.declare === true) {
          eraseStatement(node);
          continue;
        }
        break;
      case 'ImportDeclaration':
        if (node.importKind === 'type' || node.importKind === 'typeof') {
          eraseStatement(node);
          continue;
        }
        break;
      case 'ExportNamedDeclaration': {
        const declaration = child(node, 'declaration');
        if (node.exportKind === 'type' || (declaration !== undefined && isErasableDeclaration(declaration))) {
          eraseStatement(node);
          continue;
        }
        break;
      }
      case 'TSAsExpression':
      case 'TSSatisfiesExpression': {
        const expression = child(node, 'expression');
        if (expression === undefined) continue;
        // the keyword is the first token after the expression and any `)` closing it
        let k = tokenAt(expression.end);
        while (tokens[k]?.text === ')') k++;
        const keyword = tokens[k];
        if (keyword !== undefined && keyword.start < node.end) {
          erase.push([keyword.start, node.end]);
          const after = tokens[tokenAt(node.end)];
          if (after !== undefined && hasLineBreak(node.end, after.start) && ASI_EXPRESSION_HAZARDS.has(after.text.charAt(0))) {
            overwrites.set(keyword.start, ';');
          }
        }
        only = ['expression'];
        break;
      }
      case 'TSTypeAssertion': {
        const annotation = child(node, 'typeAnnotation');
        const close = annotation && findToken(annotation.end, node.end, '>');
        if (close !== undefined) erase.push([node.start, close.end]);
        only = ['expression'];
        break;
      }
      case 'TSNonNullExpression':
        if (source.charAt(node.end - 1) === '!') erase.push([node.end - 1, node.end]);
        only = ['expression'];
        break;
      case 'VariableDeclarator': {
        const id = child(node, 'id');
        const annotation = id && child(id, 'typeAnnotation');
        if (node.definite === true && id !== undefined) eraseToken(findLastToken(id.start, annotation?.start ?? node.end, '!'));
        break;
      }
      default:
        break;
    }

    if (CLASS_TYPES.has(type)) {
      if (node.abstract === true) {
        const first = tokens[tokenAt(node.start)];
        if (first?.text === 'abstract') eraseToken(first);
      }
      const implemented = children(node, 'implements');
      const firstImpl = implemented[0];
      const lastImpl = implemented[implemented.length - 1];
      if (firstImpl !== undefined && lastImpl !== undefined) {
        const keyword = findLastToken(node.start, firstImpl.start, 'implements');
        erase.push([keyword?.start ?? firstImpl.start, lastImpl.end]);
      }
      skip = 'implements';
    }
    if (CLASS_FIELD_TYPES.has(type)) {
      if (node.declare === true || node.abstract === true) {
        erase.push([node.start, node.end]);
        continue;
      }
      stripClassModifiers(node);
      const key = child(node, 'key');
      const bound = child(node, 'typeAnnotation')?.start ?? child(node, 'value')?.start ?? node.end;
      if (key !== undefined && node.optional === true) eraseToken(findToken(key.end, bound, '?'));
      if (key !== undefined && node.definite === true) eraseToken(findToken(key.end, bound, '!'));
    }
    if (CLASS_METHOD_TYPES.has(type)) {
      stripClassModifiers(node);
      const key = child(node, 'key');
      if (key !== undefined && node.optional === true) eraseToken(findToken(key.end, node.end, '?'));
    }
    if (FUNCTION_TYPES.has(type)) stripFunction(node);
    if (PATTERN_TYPES.has(type) && node.optional === true) {
      const annotation = child(node, 'typeAnnotation');
      eraseToken(findLastToken(node.start, annotation?.start ?? node.end, '?'));
    }

    const pending: AstNode[] = [];
    if (only !== undefined) {
      for (const key of only) {
        const c = child(node, key);
        if (c !== undefined) pending.push(c);
      }
    } else {
      forEachChild(node, (c, key) => {
        if (key !== skip) pending.push(c);
      });
    }
    for (let k = pending.length - 1; k >= 0; k--) stack.push(pending[k] as AstNode);
  }

  function stripFunction(fn: AstNode): void {
    const params = children(fn, 'params');
    const first = params[0];
    if (first !== undefined && first.type === 'Identifier' && first.name === 'this') {
      // `this` parameter: erase it and its comma
      const second = params[1];
      if (second !== undefined) erase.push([first.start, second.start]);
      else {
        const k = tokenAt(first.end);
        const comma = tokens[k]?.text === ',' ? tokens[k] : undefined;
        erase.push([first.start, comma?.end ?? first.end]);
      }
    }
    if (fn.type !== 'ArrowFunctionExpression') return;
    const typeParameters = child(fn, 'typeParameters');
    if (typeParameters !== undefined) {
      const paren = tokens[tokenAt(typeParameters.end)];
      if (paren?.text === '(' && hasLineBreak(typeParameters.start, paren.start)) {
        // `return <T,\n>(x) => x` would become `return\n(x) => x`: move the `(` up
        overwrites.set(typeParameters.start, '(');
        overwrites.set(paren.start, ' ');
      }
    }
    const returnType = child(fn, 'returnType');
    if (returnType !== undefined) {
      const closeIndex = tokenAt(returnType.start) - 1;
      const close = tokens[closeIndex];
      const arrow = tokens[tokenAt(returnType.end)];
      if (close?.text === ')' && arrow?.text === '=>' && hasLineBreak(close.start, arrow.start)) {
        // no line break may precede `=>`: move the `)` down to the end of the erased type
        erase.push([close.start, close.end]);
        overwrites.set(returnType.end - 1, ')');
      }
    }
  }

  return { js: applyEdits(source, erase, overwrites), unsupported };
}

/** Declarations that `export` may wrap and that erase entirely. */
function isErasableDeclaration(node: AstNode, depth = 0): boolean {
  if (ERASED_DECLARATIONS.has(node.type)) return true;
  if (node.declare === true) return true;
  return node.type === 'TSModuleDeclaration' && isTypeOnlyNamespace(node, depth);
}

/** A namespace that declares only types (erasable, as Node's type stripping allows). */
function isTypeOnlyNamespace(node: AstNode, depth: number): boolean {
  if (depth > MAX_NAMESPACE_DEPTH) return false;
  const body = child(node, 'body');
  if (body === undefined) return true;
  if (body.type === 'TSModuleDeclaration') return isTypeOnlyNamespace(body, depth + 1);
  for (const statement of children(body, 'body')) {
    if (statement.type === 'EmptyStatement') continue;
    if (statement.type === 'ExportNamedDeclaration') {
      const declaration = child(statement, 'declaration');
      if (statement.exportKind === 'type') continue;
      if (declaration !== undefined && isErasableDeclaration(declaration, depth + 1)) continue;
      return false;
    }
    if (!isErasableDeclaration(statement, depth + 1)) return false;
  }
  return true;
}

/** Replace the erased ranges with spaces (keeping line terminators), then apply overwrites. */
function applyEdits(source: string, erase: Array<readonly [number, number]>, overwrites: ReadonlyMap<number, string>): string {
  if (erase.length === 0 && overwrites.size === 0) return source;
  erase.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [start, end] of erase) {
    const from = Math.max(start, pos);
    if (end <= from) continue;
    out += source.slice(pos, from) + source.slice(from, end).replace(/[^\n\r\u2028\u2029]/g, ' ');
    pos = end;
  }
  out += source.slice(pos);
  if (overwrites.size === 0) return out;
  const chars = out.split('');
  for (const [at, ch] of overwrites) chars[at] = ch;
  return chars.join('');
}
