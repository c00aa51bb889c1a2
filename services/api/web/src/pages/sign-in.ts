/** Sign in, with the TOTP (or recovery code) step when the account has 2FA. */
import { api, ApiFailure, describeError } from '../api.ts';
import { h, mount, notice } from '../dom.ts';

export async function renderSignIn(main: HTMLElement, done: () => Promise<void>): Promise<void> {
  const status = h('div', { 'aria-live': 'polite' });
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { id: 'totp', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 64 });
  const codeRow = h('div', { class: 'field', hidden: true }, h('label', { for: 'totp' }, 'Code from your authenticator app (or a recovery code)'), code);
  const submit = h('button', { type: 'submit' }, 'Sign in');
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
    h('div', { class: 'field' }, h('label', { for: 'email' }, 'Email'), email),
    h('div', { class: 'field' }, h('label', { for: 'password' }, 'Password'), password),
    codeRow,
    submit,
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
      await api('POST', '/api/auth/login', body);
      await done();
    } catch (err) {
      if (err instanceof ApiFailure && err.error.code === 'AUTH_MFA_REQUIRED') {
        codeRow.hidden = false;
        mount(status, notice('info', err.error.message));
        code.focus();
      } else {
        mount(status, notice('error', describeError(err)));
      }
    } finally {
      submit.disabled = false;
    }
  }
  mount(main, form);
  email.focus();
}
