import { checkCode, type CheckOptions } from '@plotbox/code-check';
import type { CodeLang } from '@plotbox/sandbox-protocol';

type CheckOutcome = ReturnType<typeof checkCode>;

export interface CheckCacheOptions {
  /** Most accepted snippets remembered. */
  readonly maxEntries: number;
  /** Most characters (code plus its checked JavaScript) remembered over all entries. */
  readonly maxChars: number;
}

/** Checks a run's code the way `checkCode` does, remembering the snippets it accepted. */
export interface CheckCache {
  check(project: string, code: string, lang: CodeLang, maxBytes: number): CheckOutcome;
  /** Snippets remembered now. */
  readonly size: number;
}

/**
 * `checkCode` parses the snippet with Babel on every run (≈0.3 ms of the supervisor's CPU on the
 * run's path for a typical chart, measured), although a dashboard re-runs the same few snippets.
 * The check is a pure function of (code, lang, size limit), so an accepted result is remembered by
 * exactly those. Keyed by project too: a hit is faster than a miss, and one project must not learn
 * by timing which code another ran. Rejections are not remembered (they are rare, and their
 * diagnostics are handed out as mutable arrays). Least recently used go first.
 */
export function createCheckCache(options: CheckCacheOptions): CheckCache {
  const { maxEntries, maxChars } = options;
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new Error('maxEntries must be a whole number');
  if (!Number.isInteger(maxChars) || maxChars < 0) throw new Error('maxChars must be a whole number');
  const entries = new Map<string, { readonly js: string; readonly chars: number }>();
  let chars = 0;
  return {
    check(project, code, lang, maxBytes) {
      const key = `${project}\u0000${lang}\u0000${maxBytes}\u0000${code}`;
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key);
        entries.set(key, hit);
        return { ok: true, js: hit.js };
      }
      const checkOptions: CheckOptions = { lang, maxBytes };
      const checked = checkCode(code, checkOptions);
      const size = key.length + (checked.ok ? checked.js.length : 0);
      if (!checked.ok || size > maxChars || maxEntries === 0) return checked;
      entries.set(key, { js: checked.js, chars: size });
      chars += size;
      for (const [k, v] of entries) {
        if (entries.size <= maxEntries && chars <= maxChars) break;
        entries.delete(k);
        chars -= v.chars;
      }
      return checked;
    },
    get size() {
      return entries.size;
    },
  };
}
