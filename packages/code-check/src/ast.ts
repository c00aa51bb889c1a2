/**
 * A structural view of Babel's AST: enough to walk any node generically without depending on
 * @babel/types (which this package may not import). Unknown node types are still walked, so a
 * construct the rules do not know about cannot hide a blocked name from them.
 */

export interface AstNode {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly loc: { readonly start: { readonly line: number; readonly column: number } };
  readonly [key: string]: unknown;
}

/** Keys that never hold child nodes (or hold comments, which are not code). */
const NON_CHILD_KEYS: ReadonlySet<string> = new Set(['type', 'start', 'end', 'loc', 'range', 'extra', 'leadingComments', 'trailingComments', 'innerComments', 'comments', 'tokens', 'errors']);

export function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** The child node at `key`, if any. */
export function child(node: AstNode, key: string): AstNode | undefined {
  const value = node[key];
  return isNode(value) ? value : undefined;
}

/** The child nodes at `key` (an array property), skipping holes. */
export function children(node: AstNode, key: string): AstNode[] {
  const value = node[key];
  return Array.isArray(value) ? value.filter(isNode) : [];
}

/** Calls `visit(childNode, key)` for every child node of `node`, in source-property order. */
export function forEachChild(node: AstNode, visit: (childNode: AstNode, key: string) => void): void {
  for (const key in node) {
    if (NON_CHILD_KEYS.has(key)) continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) visit(item, key);
    } else if (isNode(value)) {
      visit(value, key);
    }
  }
}

/** The name of a non-computed key or identifier-like node (`x`, `'x'`, `1`), else undefined. */
export function staticName(node: AstNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  switch (node.type) {
    case 'Identifier':
      return typeof node.name === 'string' ? node.name : undefined;
    case 'StringLiteral':
      return typeof node.value === 'string' ? node.value : undefined;
    case 'NumericLiteral':
      return typeof node.value === 'number' ? String(node.value) : undefined;
    default:
      return undefined;
  }
}

/** Node types that are functions (own parameters, body and `async`/generator flags). */
export const FUNCTION_TYPES: ReadonlySet<string> = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);
