/**
 * checkCode: the static check of a Code Mode snippet, run before anything executes it.
 * Order: size (UTF-8 bytes) → nesting pre-scan → parse as a script → for TypeScript, erase the types
 * and parse the result again → rules on that AST → parse again as strict code, which is how the
 * sandbox runs it.
 */
import { parse, type ParserOptions } from '@babel/parser';
import type { CodeLang, Diagnostic } from '@plotbox/sandbox-protocol';
import type { AstNode } from './ast.ts';
import { findExcessiveDepth } from './depth-scan.ts';
import { findViolations, type Finding } from './js-rules.ts';
import { ruleMessage } from './rules.ts';
import { stripTypes, type RawToken } from './strip-types.ts';

export interface CheckOptions {
  /** `js` (default) or `ts` (types are erased before the JavaScript rules run). */
  readonly lang?: CodeLang;
  /** Maximum code size in UTF-8 bytes; default 64 KiB (SPEC §2). */
  readonly maxBytes?: number;
  /** Maximum nesting depth (weighted: see depth-scan.ts); default 100. */
  readonly maxDepth?: number;
}

export type CheckFailureCode = 'CODE_SYNTAX' | 'CODE_RULE' | 'CODE_TOO_LARGE' | 'CODE_TOO_DEEP';

export type CheckResult = { readonly ok: true; readonly js: string } | { readonly ok: false; readonly code: CheckFailureCode; readonly diagnostics: Diagnostic[] };

export const DEFAULT_MAX_BYTES = 64 * 1024;
export const DEFAULT_MAX_DEPTH = 100;
/** At most this many diagnostics are reported (the first ones by position). */
export const MAX_DIAGNOSTICS = 50;

const JS_OPTIONS: ParserOptions = {
  sourceType: 'script',
  attachComment: false,
  errorRecovery: false,
  allowReturnOutsideFunction: false,
  allowAwaitOutsideFunction: false,
  allowImportExportEverywhere: false,
  allowNewTargetOutsideFunction: false,
  allowSuperOutsideMethod: false,
  allowUndeclaredExports: false,
};

const STRICT_JS_OPTIONS: ParserOptions = { ...JS_OPTIONS, strictMode: true };

// TypeScript is parsed leniently about import/export (so `import type` and `export type` can be
// erased) and with decorators (so they get a clear `ts-unsupported`); the verdict is the second,
// strict parse of the erased JavaScript.
const TS_OPTIONS: ParserOptions = {
  ...JS_OPTIONS,
  allowImportExportEverywhere: true,
  tokens: true,
  plugins: ['typescript', 'decorators'],
};

/**
 * Checks a Code Mode snippet statically (SPEC §2 "Rejected before running").
 *
 * Returns `{ ok: true, js }` with exactly the JavaScript to execute as a classic script (for
 * `lang: 'ts'`, the source with every type erased to spaces, so lines and columns are unchanged),
 * or `{ ok: false, code, diagnostics }` with every finding positioned in the original source
 * (1-based line and column, sorted, at most {@link MAX_DIAGNOSTICS}). Never throws on any input
 * string; throws TypeError only for invalid options.
 */
export function checkCode(source: string, options: CheckOptions = {}): CheckResult {
  const lang = options.lang ?? 'js';
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (typeof source !== 'string') throw new TypeError('checkCode: source must be a string');
  if (lang !== 'js' && lang !== 'ts') throw new TypeError(`checkCode: lang must be 'js' or 'ts', got ${String(lang)}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new TypeError('checkCode: maxBytes must be a positive integer');
  if (!Number.isSafeInteger(maxDepth) || maxDepth <= 0) throw new TypeError('checkCode: maxDepth must be a positive integer');

  const bytes = utf8Length(source, maxBytes);
  if (bytes > maxBytes) {
    return failure('CODE_TOO_LARGE', [
      {
        rule: 'too-large',
        message: `The code is larger than the limit of ${maxBytes} bytes (UTF-8); shorten it.`,
        line: 1,
        column: 1,
      },
    ]);
  }

  const deep = findExcessiveDepth(source, maxDepth, lang === 'ts');
  if (deep !== null) return tooDeep(maxDepth, deep.line, deep.column);

  try {
    return lang === 'ts' ? checkTypeScript(source) : checkJavaScript(source, []);
  } catch (error) {
    // The pre-scan should make this unreachable; a stack overflow anywhere is still a typed result.
    if (error instanceof RangeError) return tooDeep(maxDepth, 1, 1);
    throw error;
  }
}

function checkJavaScript(js: string, earlier: readonly Finding[]): CheckResult {
  let file: ReturnType<typeof parse>;
  try {
    file = parse(js, JS_OPTIONS);
  } catch (error) {
    if (earlier.length > 0 && !(error instanceof RangeError)) return failure('CODE_RULE', toDiagnostics(earlier));
    return fromParseError(error, js);
  }
  const program = file.program as unknown as AstNode;
  const comments = (file.comments ?? []) as unknown as AstNode[];
  const findings = [...earlier, ...findViolations(program, js, comments)];
  if (findings.length > 0) return failure('CODE_RULE', toDiagnostics(findings));
  // The sandbox runs the code as strict code (the body of a generator in a ses compartment:
  // packages/sandbox-runtime/src/run-realm.ts), so what only strict mode refuses (octal literals,
  // `delete x`, duplicate parameters, reserved words as names) is a syntax error here, with its
  // position. The rules above ran on the sloppy parse so that `with` gets its own rule.
  try {
    parse(js, STRICT_JS_OPTIONS);
  } catch (error) {
    return fromParseError(error, js);
  }
  return { ok: true, js };
}

function checkTypeScript(source: string): CheckResult {
  let file: ReturnType<typeof parse>;
  try {
    file = parse(source, TS_OPTIONS);
  } catch (error) {
    return fromParseError(error, source);
  }
  const tokens = (file.tokens ?? []) as unknown as RawToken[];
  const { js, unsupported } = stripTypes(source, file.program as unknown as AstNode, tokens);
  return checkJavaScript(js, unsupported);
}

function failure(code: CheckFailureCode, diagnostics: Diagnostic[]): CheckResult {
  return { ok: false, code, diagnostics };
}

function tooDeep(maxDepth: number, line: number, column: number): CheckResult {
  return failure('CODE_TOO_DEEP', [
    {
      rule: 'too-deep',
      message: `The code is nested more deeply than the limit of ${maxDepth} levels (brackets, or long chains of operators in one expression); simplify it.`,
      line,
      column,
    },
  ]);
}

/** Sorted by position, duplicates (same rule at the same place) removed, capped. */
function toDiagnostics(findings: readonly Finding[]): Diagnostic[] {
  const sorted = [...findings].sort((a, b) => a.index - b.index || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  const out: Diagnostic[] = [];
  let last: Finding | undefined;
  for (const f of sorted) {
    if (last !== undefined && last.index === f.index && last.rule === f.rule) continue;
    last = f;
    out.push({ rule: f.rule, message: f.message, line: f.line, column: f.column });
    if (out.length >= MAX_DIAGNOSTICS) break;
  }
  return out;
}

interface BabelSyntaxError {
  readonly message: string;
  readonly reasonCode?: string;
  readonly loc?: { readonly line: number; readonly column: number; readonly index: number };
}

function isBabelSyntaxError(error: unknown): error is BabelSyntaxError & SyntaxError {
  return error instanceof SyntaxError && typeof (error as { loc?: unknown }).loc === 'object';
}

/** A parser error as an analyst should see it; module syntax and `await` become rule findings. */
function fromParseError(error: unknown, source: string): CheckResult {
  if (error instanceof RangeError) throw error;
  if (!isBabelSyntaxError(error)) throw error;
  const line = error.loc?.line ?? 1;
  const column = (error.loc?.column ?? 0) + 1;
  const index = error.loc?.index ?? 0;
  const at = source.slice(index, index + 6);
  const rule = (rule: Parameters<typeof ruleMessage>[0], name: string): CheckResult => failure('CODE_RULE', [{ rule, message: ruleMessage(rule, name), line, column }]);
  switch (error.reasonCode) {
    case 'ImportOutsideModule':
      return at.startsWith('export') ? rule('no-export', 'export') : rule('no-import', 'import');
    case 'ImportMetaOutsideModule':
      return rule('no-import', 'import.meta');
    case 'AwaitNotInAsyncContext':
    case 'AwaitUsingNotInAsyncContext':
      return rule('no-async', 'await');
    default:
      if (at.startsWith('await') && !/^await[\w$]/.test(source.slice(index, index + 6))) return rule('no-async', 'await');
      return failure('CODE_SYNTAX', [{ rule: 'syntax', message: cleanSyntaxMessage(error), line, column }]);
  }
}

function cleanSyntaxMessage(error: BabelSyntaxError): string {
  if (error.reasonCode === 'MissingPlugin' || error.reasonCode === 'MissingOneOfPlugins') {
    return 'This syntax is not supported in Code Mode (JavaScript as ECMAScript 2023 script, or TypeScript that erases to it).';
  }
  let message = error.message.replace(/\s*\(\d+:\d+\)\s*$/, '');
  message = message.replace(/\s*\(?\s*["']?sourceType[^)]*\)?/g, '');
  if (!/[.!?]$/.test(message)) message += '.';
  return `Syntax error: ${message}`;
}

/** UTF-8 length of `s`, or any value > `limit` as soon as the limit is certainly exceeded. */
export function utf8Length(s: string, limit: number): number {
  if (s.length > limit) return s.length; // every UTF-16 unit is at least one byte
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3; // BMP, or a lone surrogate (encoded as U+FFFD)
  }
  return bytes;
}
