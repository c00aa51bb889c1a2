/**
 * Just enough scope analysis to tell a free reference to a global (`window.x`, `self`) from a name
 * the snippet declares itself (`const window = 7`, `function f(self) {}`, `catch (global) {}`):
 * which identifiers sit in binding positions, and which names each scope declares.
 *
 * Deliberately conservative where a script's top level is concerned: a top-level `var` or function
 * declaration is a property of the global object, not a binding in front of it (`var globalThis;`
 * leaves `globalThis` the real global object), so it shadows nothing here. Top-level `let`, `const`
 * and `class` live in the global lexical scope, in front of the global object, and do shadow.
 */
import { child, children, forEachChild, FUNCTION_TYPES, type AstNode } from './ast.ts';

export interface ScopeInfo {
  /** Identifier nodes that declare a name (declarations, parameters, catch parameters, function and class names). */
  readonly bindings: ReadonlySet<AstNode>;
  /** For each node that opens a scope, the names of interest it declares. */
  readonly declared: ReadonlyMap<AstNode, ReadonlySet<string>>;
}

/** A chain of scopes, innermost first, as the rule walk descends. */
export interface ScopeChain {
  readonly names: ReadonlySet<string>;
  readonly parent: ScopeChain | undefined;
}

/** Is `name` declared in `chain` or any scope around it? */
export function isDeclared(chain: ScopeChain | undefined, name: string): boolean {
  for (let s = chain; s !== undefined; s = s.parent) if (s.names.has(name)) return true;
  return false;
}

/** Nodes whose children see a block-level scope of their own. */
const BLOCK_SCOPES: ReadonlySet<string> = new Set(['BlockStatement', 'ForStatement', 'ForInStatement', 'ForOfStatement', 'SwitchStatement', 'CatchClause', 'ClassDeclaration', 'ClassExpression']);

interface Frame {
  readonly node: AstNode;
  /** Where `var` and (Annex B) block function declarations land; undefined at the script's top level. */
  readonly varScope: AstNode | undefined;
  /** Where `let`, `const`, `class` and function declarations land. */
  readonly lexicalScope: AstNode;
}

/**
 * Collects bindings and per-scope declarations for names for which `interesting(name)` holds (the
 * only names the rules look up). Iterative, like the rule walk, so deep ASTs cannot overflow it.
 */
export function analyzeScopes(program: AstNode, interesting: (name: string) => boolean): ScopeInfo {
  const bindings = new Set<AstNode>();
  const declared = new Map<AstNode, Set<string>>();
  const declare = (scope: AstNode | undefined, id: AstNode): void => {
    const name = id.name;
    if (typeof name !== 'string' || !interesting(name)) return;
    bindings.add(id);
    if (scope === undefined) return; // a top-level var: a global object property, not a binding
    let names = declared.get(scope);
    if (names === undefined) declared.set(scope, (names = new Set()));
    names.add(name);
  };
  const declarePattern = (scope: AstNode | undefined, pattern: AstNode | undefined): void => {
    for (const id of patternIdentifiers(pattern)) declare(scope, id);
  };

  const stack: Frame[] = [{ node: program, varScope: undefined, lexicalScope: program }];
  while (stack.length > 0) {
    const frame = stack.pop();
    if (frame === undefined) break;
    const { node } = frame;
    let { varScope, lexicalScope } = frame;
    const type = node.type;

    if (FUNCTION_TYPES.has(type)) {
      // Parameters (and a function expression's own name) live in the function's scope; the body's
      // declarations in the body block's, which parameter default values cannot see.
      for (const param of children(node, 'params')) declarePattern(node, param);
      const id = child(node, 'id');
      if (id !== undefined) {
        if (type === 'FunctionExpression') declare(node, id);
        else if (type === 'FunctionDeclaration') {
          declare(frame.lexicalScope === program ? undefined : frame.lexicalScope, id);
          // Annex B: a function declared in a block is also a var of the enclosing function.
          if (frame.varScope !== undefined && frame.varScope !== frame.lexicalScope) declare(frame.varScope, id);
        }
      }
      lexicalScope = node;
      const body = child(node, 'body');
      varScope = body?.type === 'BlockStatement' ? body : node;
    } else if (type === 'StaticBlock') {
      varScope = node;
      lexicalScope = node;
    } else if (type === 'ClassDeclaration' || type === 'ClassExpression') {
      const id = child(node, 'id');
      if (id !== undefined) {
        if (type === 'ClassDeclaration') declare(frame.lexicalScope, id);
        // The class's own name is bound inside it as well.
        declare(node, id);
      }
      lexicalScope = node;
    } else if (BLOCK_SCOPES.has(type)) {
      lexicalScope = node;
      if (type === 'CatchClause') declarePattern(node, child(node, 'param'));
    } else if (type === 'VariableDeclaration') {
      const target = node.kind === 'var' ? frame.varScope : frame.lexicalScope;
      for (const d of children(node, 'declarations')) declarePattern(target, child(d, 'id'));
    }

    forEachChild(node, (c) => {
      stack.push({ node: c, varScope, lexicalScope });
    });
  }
  return { bindings, declared };
}

/** The identifiers a binding pattern declares: `a`, `{ a, b: [c], ...d }`, `[e = 1, ...f]`. */
function patternIdentifiers(pattern: AstNode | undefined): AstNode[] {
  const out: AstNode[] = [];
  const stack: AstNode[] = pattern === undefined ? [] : [pattern];
  while (stack.length > 0) {
    const p = stack.pop();
    if (p === undefined) break;
    switch (p.type) {
      case 'Identifier':
        out.push(p);
        break;
      case 'ObjectPattern':
        for (const prop of children(p, 'properties')) {
          const target = prop.type === 'RestElement' ? child(prop, 'argument') : child(prop, 'value');
          if (target !== undefined) stack.push(target);
        }
        break;
      case 'ArrayPattern':
        for (const el of children(p, 'elements')) stack.push(el);
        break;
      case 'AssignmentPattern': {
        const left = child(p, 'left');
        if (left !== undefined) stack.push(left);
        break;
      }
      case 'RestElement': {
        const arg = child(p, 'argument');
        if (arg !== undefined) stack.push(arg);
        break;
      }
      default:
        break;
    }
  }
  return out;
}
