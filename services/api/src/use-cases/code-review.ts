/**
 * Checking chart code as the sandbox will (same package, the sandbox's own code-size limit when the
 * API knows it): on save (diagnostics stored with the chart), and before a run (a draft with
 * findings costs no sandbox round trip). Pure apart from hashing.
 */
import { createHash } from 'node:crypto';
import { checkCode, type CheckFailureCode } from '@plotbox/code-check';
import { DEFAULT_LIMITS, type CodeLang, type Diagnostic } from '@plotbox/sandbox-protocol';
import { ApiError } from '../errors.ts';

/** The code hash the render cache and the audit log use: sha256 of the language and the code. */
export function codeHashOf(lang: CodeLang, code: string): string {
  return createHash('sha256').update(`${lang}\n`).update(code).digest('hex');
}

/** A diagnostic as stored and returned (a plain JSON object). */
export type DiagnosticView = { readonly rule: string; readonly message: string; readonly line: number; readonly column: number };

/** Diagnostics as plain JSON objects. */
export function diagnosticViews(diagnostics: readonly Diagnostic[]): DiagnosticView[] {
  return diagnostics.map((d) => ({ rule: d.rule, message: d.message, line: d.line, column: d.column }));
}

/** What checking code finds: its hash, and either no findings or the check's failure code and findings. */
export interface CodeReview {
  readonly codeHash: string;
  readonly failure: CheckFailureCode | null;
  readonly diagnostics: DiagnosticView[];
}

/**
 * Check code against the code-size limit `maxBytes` (the sandbox's, from its `/v1/info`; the
 * default only while the API has never reached a sandbox). Never throws on any code.
 */
export function reviewCode(code: string, lang: CodeLang, maxBytes: number = DEFAULT_LIMITS.codeBytes): CodeReview {
  const result = checkCode(code, { lang, maxBytes });
  return { codeHash: codeHashOf(lang, code), failure: result.ok ? null : result.code, diagnostics: result.ok ? [] : diagnosticViews(result.diagnostics) };
}

/** The error a failed check becomes: the first finding's position, and every finding. */
export function checkFailureError(review: CodeReview): ApiError {
  if (review.failure === null) throw new TypeError('the code passed the check');
  const first = review.diagnostics[0];
  return new ApiError(review.failure, {
    ...(first === undefined ? {} : { message: first.message }),
    details: { ...(first === undefined ? {} : { line: first.line, column: first.column }), diagnostics: review.diagnostics },
  });
}
