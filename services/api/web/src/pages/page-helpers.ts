// Small helpers shared by the account, admin, audit and sign-in pages.

import { ApiFailure, describeError } from '../api.ts';

const POLICY_REASONS: Readonly<Record<string, string>> = {
  too_short: 'it is too short: use at least 8 characters (a few words make a good passphrase)',
  too_long: 'it is too long',
  invalid: 'it contains characters that cannot be used in a password',
  common: 'it is one of the most common passwords',
  repetitive: 'it repeats a single character',
  contains_email: 'it contains your e-mail address or its name part',
  contains_name: 'it contains the display name',
  reused: 'it is your current password',
};

/** The API's error as a sentence, spelling out why a password was refused (`AUTH_PASSWORD_POLICY`). */
export function passwordErrorText(err: unknown): string {
  if (err instanceof ApiFailure && err.error.code === 'AUTH_PASSWORD_POLICY') {
    const reason = typeof err.error.reason === 'string' ? err.error.reason : '';
    const why = POLICY_REASONS[reason];
    return why === undefined ? describeError(err) : `${err.error.message} It was refused because ${why}.`;
  }
  if (err instanceof ApiFailure && err.error.code === 'VALIDATION_FAILED' && Array.isArray(err.error.issues)) {
    const issues = (err.error.issues as { path?: unknown; message?: unknown }[]).map((i) => `${String(i.path ?? '')}: ${String(i.message ?? '')}`).join('; ');
    return `${err.error.message} ${issues}`;
  }
  return describeError(err);
}

/**
 * An event listener running an async handler (its synchronous part, e.g. `preventDefault()`, runs
 * before the first await). Handlers catch their own failures and show them on the page.
 */
export function on(handler: (e: Event) => Promise<void>): EventListener {
  return (e) => void handler(e);
}

/** A date and time in the reader's locale (the API sends ISO strings). */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
