/**
 * @plotbox/code-check: the static AST check of Code Mode snippets (SPEC §2 "Rejected before
 * running"). Pure: imports only @babel/parser and @plotbox/sandbox-protocol, so it also runs in
 * the browser for live editor diagnostics.
 */
export { checkCode, DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, MAX_DIAGNOSTICS } from './check-code.ts';
export type { CheckFailureCode, CheckOptions, CheckResult } from './check-code.ts';
export { RULES } from './rules.ts';
export type { RuleId } from './rules.ts';
