/**
 * Sign in: single sign-on when the service has it ("Sign in with <provider>"), the password form
 * unless password sign-in is off, the TOTP (or recovery code) step when the account has 2FA, and
 * a password that has expired changed on the spot. A failed single sign-on comes back here with
 * `sso_error=<code>` and is explained.
 */
import { api, ApiFailure, describeError } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import { currentLocation } from '../router.ts';
import { passwordErrorText } from './page-helpers.ts';
import type { AuthOptions } from '../../../src/api-types.ts';

/** What a failed single sign-on means to the person looking at the sign-in page. */
const SSO_ERRORS: Readonly<Record<string, string>> = {
  AUTH_SSO_FAILED: 'Single sign-on did not complete: it was cancelled, took too long, or was opened in another browser. Start it again.',
  AUTH_SSO_UNAVAILABLE: 'The single sign-on provider cannot be reached right now. Try again in a few minutes.',
  AUTH_SSO_EMAIL_UNVERIFIED: 'Your identity provider has not confirmed your e-mail address, so Plotbox cannot find or create your account. Verify the address there, then try again.',
  AUTH_SSO_EMAIL_TAKEN: 'A Plotbox account with your e-mail address already exists and is not linked to single sign-on. Ask an administrator to link it.',
  AUTH_SSO_NO_ACCOUNT: 'You do not have a Plotbox account yet. Ask an administrator to create one for you.',
  AUTH_ACCOUNT_DISABLED: 'Your Plotbox account is disabled (accounts unused for a long time are disabled automatically). Ask an administrator to enable it.',
  AUTH_SSO_NOT_CONFIGURED: 'Single sign-on is not set up here.',
};

async function authOptions(): Promise<AuthOptions> {
  try {
    return await api<AuthOptions>('GET', '/api/auth/options');
  } catch {
    // An older API, or a hiccup: the password form still works.
    return { localLogin: true, sso: null };
  }
}

export async function renderSignIn(main: HTMLElement, done: () => Promise<void>): Promise<void> {
  const { path, query } = currentLocation();
  const options = await authOptions();
  const ssoError = query.get('sso_error');
  // Where the user was going: `?next=` of the sign-in route, or the page that asked for a sign-in.
  const next = query.get('next') ?? (path === '/login' || path === '/' ? null : path);
  const status = h('div', { 'aria-live': 'polite' });
  if (ssoError !== null) mount(status, notice('error', SSO_ERRORS[ssoError] ?? 'Single sign-on did not complete. Start it again.'));

  const ssoBlock =
    options.sso === null
      ? null
      : h(
          'div',
          { class: 'sso' },
          h('a', { class: 'button-link sso-button', href: `${options.sso.startUrl}${next === null ? '' : `?next=${encodeURIComponent(`/#${next}`)}`}` }, `Sign in with ${options.sso.name}`),
          options.localLogin ? h('p', { class: 'muted sso-or' }, 'or with your Plotbox password:') : null,
        );

  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { id: 'totp', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 64 });
  const codeRow = h('div', { class: 'field', hidden: true }, h('label', { for: 'totp' }, 'Code from your authenticator app (or a recovery code)'), code);
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const fields = options.localLogin
    ? [h('div', { class: 'field' }, h('label', { for: 'email' }, 'Email'), email), h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password), codeRow, submit]
    : [h('p', { class: 'muted' }, 'This Plotbox signs you in through your organisation’s identity provider.')];
  const form = h(
    'form',
    {
      class: 'card narrow',
      'aria-labelledby': 'sign-in-title',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void attempt();
      },
    },
    h('h1', { id: 'sign-in-title' }, 'Sign in to Plotbox'),
    ssoBlock,
    ...fields,
    status,
  );
  async function attempt(): Promise<void> {
    submit.disabled = true;
    mount(status);
    const body: Record<string, string> = { email: email.value, password: password.value };
    const c = code.value.trim();
    if (!codeRow.hidden && c !== '') {
      if (/^\d{6,8}$/u.test(c)) body.totpCode = c;
      else body.recoveryCode = c;
    }
    try {
      const r = await api<{ passwordChangeRequired?: boolean }>('POST', '/api/auth/login', body);
      if (r.passwordChangeRequired === true) {
        // Signed in, but only to choose a new password; the one just typed is the current one.
        renderExpiredPassword(main, done, password.value);
        return;
      }
      await done();
    } catch (err) {
      if (err instanceof ApiFailure && err.error.code === 'AUTH_MFA_REQUIRED') {
        codeRow.hidden = false;
        mount(status, notice('info', err.error.message));
        code.focus();
      } else if (err instanceof ApiFailure && err.error.code === 'AUTH_INVALID_CREDENTIALS') {
        mount(
          status,
          notice('error', describeError(err)),
          h(
            'p',
            { class: 'hint' },
            'If your e-mail and password are right, the account may be locked for a few minutes after several failed attempts, or disabled (accounts unused for a long time are disabled automatically): ask an administrator.',
          ),
        );
      } else {
        mount(status, notice('error', describeError(err)));
      }
    } finally {
      submit.disabled = false;
    }
  }
  mount(main, form);
  if (options.localLogin) email.focus();
}

/**
 * The password has expired: the session may only change it. `current` is the password just used
 * to sign in (asked for again when the page was reloaded).
 */
export function renderExpiredPassword(main: HTMLElement, done: () => Promise<void>, current?: string): void {
  const currentInput = h('input', { id: 'expired-current-password', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { id: 'expired-new-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'aria-describedby': 'expired-new-password-hint' });
  const again = h('input', { id: 'expired-new-password-again', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const submit = h('button', { type: 'submit' }, 'Change password and continue');
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'card narrow',
      'aria-labelledby': 'expired-title',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void change();
      },
    },
    h('h1', { id: 'expired-title' }, 'Your password has expired'),
    h('p', {}, 'Passwords here must be changed regularly. Choose a new one to continue; your other sessions will be ended.'),
    current === undefined ? h('div', { class: 'field' }, h('label', { for: 'expired-current-password' }, 'Current password'), currentInput) : null,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'expired-new-password' }, 'New password'),
      next,
      h('p', { id: 'expired-new-password-hint', class: 'hint' }, 'At least 8 characters and not the same as before; a few unrelated words work well.'),
    ),
    h('div', { class: 'field' }, h('label', { for: 'expired-new-password-again' }, 'New password again'), again),
    submit,
    status,
  );
  async function change(): Promise<void> {
    mount(status);
    if (next.value !== again.value) {
      mount(status, notice('error', 'The two new passwords differ.'));
      again.focus();
      return;
    }
    submit.disabled = true;
    try {
      await api('POST', '/api/me/password', { currentPassword: current ?? currentInput.value, newPassword: next.value });
      await done();
    } catch (err) {
      mount(status, notice('error', passwordErrorText(err)));
      submit.disabled = false;
    }
  }
  mount(main, form);
  (current === undefined ? currentInput : next).focus();
}
