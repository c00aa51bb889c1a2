/**
 * The JavaScript rules: one walk over the AST of exactly the script that will run, reporting
 * every blocked name however it is reached (identifier, `x.p`, `x?.p`, `x['p']`, `` x[`p`] ``,
 * `x['con' + 'structor']`, destructuring keys, `__proto__` keys) and every blocked construct
 * (async, `with`, `debugger`, `import()`, top-level `this`, HTML-like comments).
 */
import { child, children, forEachChild, FUNCTION_TYPES, isNode, staticName, type AstNode } from './ast.ts';
import { GLOBAL_NAMES, PROPERTY_NAMES, ruleMessage, type RuleId } from './rules.ts';
import { analyzeScopes, isDeclared, type ScopeChain } from './scope.ts';

/** One rule violation, positioned by source index and by 1-based line/column. */
export interface Finding {
  readonly rule: RuleId;
  readonly message: string;
  readonly index: number;
  readonly line: number;
  readonly column: number;
}

const MAX_FOLD_DEPTH = 24;
const MAX_FOLD_STRINGS = 16;

const CLASS_MEMBER_TYPES: ReadonlySet<string> = new Set(['ClassMethod', 'ClassPrivateMethod', 'ClassProperty', 'ClassPrivateProperty', 'ClassAccessorProperty', 'StaticBlock']);

/** Literal nodes whose text is data: `<!--` inside them is not a comment. */
const LITERAL_TYPES: ReadonlySet<string> = new Set(['StringLiteral', 'TemplateElement', 'RegExpLiteral', 'DirectiveLiteral']);

/** Callees whose string arguments name properties to read or define (`Reflect.get(x, 'constructor')`). */
const REFLECTIVE_OBJECTS: ReadonlySet<string> = new Set(['Reflect', 'Object']);

interface Frame {
  readonly node: AstNode;
  /** Inside a class member's body or initializer, where `this` is never the global object. */
  readonly inClass: boolean;
  /** The names the snippet declares in the scopes around this node (only names the rules block). */
  readonly scope: ScopeChain | undefined;
}

/**
 * Global names that a declaration of the snippet's own can shadow. `await` is not one: it is
 * refused as a word, so code reads the same in scripts and async contexts.
 */
const SHADOWABLE = (name: string): boolean => name !== 'await' && GLOBAL_NAMES.has(name);

/**
 * Every rule violation in `program` (the AST of `source`), unsorted. `comments` are the parser's
 * comments, used to tell HTML-like comments from ordinary ones.
 */
export function findViolations(program: AstNode, source: string, comments: readonly AstNode[]): Finding[] {
  const findings: Finding[] = [];
  const literalRanges: number[] = [];
  const report = (rule: RuleId, name: string, at: AstNode): void => {
    findings.push({ rule, message: ruleMessage(rule, name), index: at.start, line: at.loc.start.line, column: at.loc.start.column + 1 });
  };
  const checkProperty = (names: readonly string[], at: AstNode): void => {
    for (const name of names) {
      const rule = PROPERTY_NAMES.get(name);
      if (rule !== undefined) {
        report(rule, name, at);
        return;
      }
    }
  };
  const checkProtoKey = (keyNode: AstNode | undefined, computed: boolean): void => {
    if (keyNode === undefined) return;
    const names = computed ? possibleStrings(keyNode, 0) : [staticName(keyNode)];
    if (names.includes('__proto__')) report('no-proto', '__proto__', keyNode);
  };

  // Iterative walk: member chains like `a.b.c.d...` make ASTs far deeper than the parser's own
  // recursion, so recursing here could overflow where Babel did not.
  const scopes = analyzeScopes(program, SHADOWABLE);
  const stack: Frame[] = [{ node: program, inClass: false, scope: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop();
    if (frame === undefined) break;
    const { node, inClass } = frame;
    const declaredHere = scopes.declared.get(node);
    const scope: ScopeChain | undefined = declaredHere === undefined ? frame.scope : { names: declaredHere, parent: frame.scope };
    const type = node.type;
    // `skip`: child keys not to walk as references (non-computed keys, labels, ...).
    let skip: ReadonlySet<string> | undefined;
    let childInClass = inClass;

    switch (type) {
      case 'Identifier': {
        const name = node.name;
        if (typeof name === 'string') {
          const blocked = GLOBAL_NAMES.get(name);
          // Only a name that would reach the global is refused: not a declaration (`const window
          // = 7`, `function f(self)`), nor a reference to one of the snippet's own bindings.
          const own = SHADOWABLE(name) && (scopes.bindings.has(node) || isDeclared(scope, name));
          if (blocked !== undefined && !own) report(blocked.rule, name, node);
        }
        break;
      }
      case 'ThisExpression':
        if (!inClass) report('no-this', 'this', node);
        break;
      case 'MemberExpression':
      case 'OptionalMemberExpression': {
        const property = child(node, 'property');
        if (property !== undefined) {
          if (node.computed === true) checkProperty(possibleStrings(property, 0), property);
          else {
            const name = staticName(property);
            if (name !== undefined) checkProperty([name], property);
            skip = SKIP_PROPERTY;
          }
        }
        break;
      }
      case 'ObjectExpression':
        for (const prop of children(node, 'properties')) {
          if (prop.type === 'ObjectProperty' || prop.type === 'ObjectMethod') {
            checkProtoKey(child(prop, 'key'), prop.computed === true);
          }
        }
        break;
      case 'ObjectPattern':
        for (const prop of children(node, 'properties')) {
          if (prop.type !== 'ObjectProperty') continue;
          const key = child(prop, 'key');
          if (key === undefined) continue;
          checkProperty(prop.computed === true ? possibleStrings(key, 0) : [staticName(key) ?? ''], key);
        }
        break;
      case 'ObjectProperty':
      case 'ObjectMethod':
        if (node.computed !== true) skip = SKIP_KEY;
        break;
      case 'LabeledStatement':
      case 'BreakStatement':
      case 'ContinueStatement':
        skip = SKIP_LABEL;
        break;
      case 'MetaProperty':
        if (staticName(child(node, 'meta')) === 'import') report('no-import', 'import.meta', node);
        skip = SKIP_META;
        break;
      case 'PrivateName':
        skip = SKIP_ID;
        break;
      case 'ImportExpression':
      case 'Import':
      case 'ImportDeclaration':
        report('no-import', 'import', node);
        break;
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
      case 'ExportAllDeclaration':
        report('no-export', 'export', node);
        break;
      case 'AwaitExpression':
        report('no-async', 'await', node);
        break;
      case 'ForOfStatement':
        if (node.await === true) report('no-async', 'for await', node);
        break;
      case 'WithStatement':
        report('no-with', 'with', node);
        break;
      case 'DebuggerStatement':
        report('no-debugger', 'debugger', node);
        break;
      case 'CallExpression':
      case 'OptionalCallExpression':
      case 'NewExpression': {
        const callee = child(node, 'callee');
        if (callee !== undefined && (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') && REFLECTIVE_OBJECTS.has(staticName(child(callee, 'object')) ?? '')) {
          for (const arg of children(node, 'arguments')) checkProperty(possibleStrings(arg, 0), arg);
        }
        break;
      }
      default:
        if (LITERAL_TYPES.has(type)) literalRanges.push(node.start, node.end);
        break;
    }
    if (FUNCTION_TYPES.has(type) && node.async === true) report('no-async', 'async', node);
    if (CLASS_MEMBER_TYPES.has(type)) {
      const key = child(node, 'key');
      const computed = node.computed === true;
      checkProtoKey(key, computed);
      if (!computed) skip = SKIP_KEY;
      childInClass = true;
    }

    const pending: Frame[] = [];
    forEachChild(node, (c, key) => {
      if (skip?.has(key) === true) return;
      // A computed class key is evaluated outside the member, where `this` is the outer `this`.
      const keyOfMember = key === 'key' && CLASS_MEMBER_TYPES.has(type);
      pending.push({ node: c, inClass: keyOfMember ? inClass : childInClass, scope });
    });
    for (let k = pending.length - 1; k >= 0; k--) stack.push(pending[k] as Frame);
  }

  findHtmlComments(source, comments, literalRanges, findings);
  findImportText(source, findings);
  return findings;
}

const SKIP_PROPERTY: ReadonlySet<string> = new Set(['property']);
const SKIP_KEY: ReadonlySet<string> = new Set(['key']);
const SKIP_LABEL: ReadonlySet<string> = new Set(['label']);
const SKIP_META: ReadonlySet<string> = new Set(['meta', 'property']);
const SKIP_ID: ReadonlySet<string> = new Set(['id']);

/**
 * The strings `node` may evaluate to, as far as simple constant folding can tell: string and
 * number literals, expression-less templates, `+` of foldable operands, templates whose
 * substitutions fold, `(a, 'x')`, `c ? 'x' : 'y'`, `a || 'x'`, `k = 'x'`, `['x']` (an array
 * of one element converts to that element's string). Partial: unknown branches add nothing.
 */
export function possibleStrings(node: AstNode, depth: number): string[] {
  if (depth > MAX_FOLD_DEPTH) return [];
  switch (node.type) {
    case 'StringLiteral':
      return typeof node.value === 'string' ? [node.value] : [];
    case 'NumericLiteral':
      return typeof node.value === 'number' ? [String(node.value)] : [];
    case 'TemplateLiteral': {
      const quasis = children(node, 'quasis');
      const expressions = children(node, 'expressions');
      let acc: string[] = [''];
      for (let k = 0; k < quasis.length; k++) {
        const cooked = cookedText(quasis[k]);
        if (cooked === undefined) return [];
        acc = acc.map((s) => s + cooked);
        const expr = expressions[k];
        if (expr !== undefined) {
          acc = concat(acc, possibleStrings(expr, depth + 1));
          if (acc.length === 0) return [];
        }
      }
      return acc;
    }
    case 'BinaryExpression': {
      if (node.operator !== '+') return [];
      const left = child(node, 'left');
      const right = child(node, 'right');
      if (left === undefined || right === undefined) return [];
      return concat(possibleStrings(left, depth + 1), possibleStrings(right, depth + 1));
    }
    case 'SequenceExpression': {
      const items = children(node, 'expressions');
      const last = items[items.length - 1];
      return last === undefined ? [] : possibleStrings(last, depth + 1);
    }
    case 'ConditionalExpression':
    case 'LogicalExpression': {
      const conditional = node.type === 'ConditionalExpression';
      const a = child(node, conditional ? 'consequent' : 'left');
      const b = child(node, conditional ? 'alternate' : 'right');
      const out = [...(a ? possibleStrings(a, depth + 1) : []), ...(b ? possibleStrings(b, depth + 1) : [])];
      return out.slice(0, MAX_FOLD_STRINGS);
    }
    case 'AssignmentExpression': {
      const right = child(node, 'right');
      return node.operator === '=' && right !== undefined ? possibleStrings(right, depth + 1) : [];
    }
    case 'ArrayExpression': {
      const elements = node.elements;
      if (!Array.isArray(elements) || elements.length !== 1 || !isNode(elements[0])) return [];
      return possibleStrings(elements[0], depth + 1);
    }
    default:
      return [];
  }
}

function cookedText(quasi: AstNode | undefined): string | undefined {
  const value = quasi?.value;
  if (typeof value !== 'object' || value === null) return undefined;
  const cooked = (value as { cooked?: unknown }).cooked;
  return typeof cooked === 'string' ? cooked : undefined;
}

function concat(left: readonly string[], right: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of left) {
    for (const b of right) {
      if (out.length >= MAX_FOLD_STRINGS) return out;
      out.push(a + b);
    }
  }
  return out;
}

/**
 * `<!--` and `-->` start single-line comments in a classic script but not in a module, and
 * `-->` only at the start of a line: exactly the kind of text two parsers may read differently.
 * The sandbox's realm (ses compartments) refuses the source outright if either appears anywhere,
 * even inside a string or a comment, because a regular expression cannot tell; so does this
 * check, with the position, so the analyst hears it before a run.
 */
function findHtmlComments(source: string, comments: readonly AstNode[], literalRanges: number[], findings: Finding[]): void {
  if (!source.includes('<!--') && !source.includes('-->')) return;
  const quiet: number[] = [...literalRanges];
  for (const comment of comments) {
    const text = source.slice(comment.start, comment.start + 4);
    if (text.startsWith('<!--') || text.startsWith('-->')) continue;
    quiet.push(comment.start, comment.end);
  }
  const inLiteralOrComment = (index: number): boolean => {
    for (let k = 0; k < quiet.length; k += 2) {
      if (index >= (quiet[k] ?? 0) && index < (quiet[k + 1] ?? 0)) return true;
    }
    return false;
  };
  for (const marker of ['<!--', '-->']) {
    for (let at = source.indexOf(marker); at !== -1; at = source.indexOf(marker, at + marker.length)) {
      const { line, column } = positionOf(source, at);
      const message = inLiteralOrComment(at)
        ? `\`${marker}\` cannot appear anywhere in Code Mode code, not even inside a string or a comment (the sandbox cannot tell it from an HTML-like comment): write it as ${marker === '-->' ? "'--' + '>'" : "'<!-' + '-'"}.`
        : ruleMessage('no-html-comment', marker);
      findings.push({ rule: 'no-html-comment', message, index: at, line, column });
    }
  }
}

/** 1-based line and column of `index`, counting line terminators as the parser does. */
export function positionOf(source: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < index; k++) {
    const c = source.charCodeAt(k);
    if (c === 10 || c === 0x2028 || c === 0x2029 || (c === 13 && source.charCodeAt(k + 1) !== 10)) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

/**
 * The sandbox's realm (ses compartments) refuses any source where `import` is followed by `(` or a
 * comment, even inside a string or a comment (a regular expression cannot tell them apart from
 * `import()`): the same pattern, reported here with its position.
 */
const IMPORT_TEXT = /(^|[^.]|\.\.\.)\bimport(\s*(?:\(|\/[/*]))/g;

function findImportText(source: string, findings: Finding[]): void {
  if (!source.includes('import')) return;
  for (const m of source.matchAll(IMPORT_TEXT)) {
    const at = (m.index ?? 0) + (m[1]?.length ?? 0);
    if (findings.some((f) => f.rule === 'no-import' && f.index === at)) continue;
    const { line, column } = positionOf(source, at);
    findings.push({
      rule: 'no-import',
      message: "`import` followed by `(` cannot appear anywhere in Code Mode code, not even inside a string or a comment (the sandbox cannot tell it from `import()`): write it as 'imp' + 'ort('.",
      index: at,
      line,
      column,
    });
  }
}
