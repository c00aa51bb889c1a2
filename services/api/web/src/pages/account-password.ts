// The account page's "Change password" section.

import { api } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import { passwordErrorText, on } from './page-helpers.ts';

export function drawPasswordForm(box: HTMLElement, afterChange: () => Promise<void>): void {
  const current = h('input', { id: 'account-current-password', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { id: 'account-new-password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'aria-describedby': 'account-new-password-hint' });
  const submit = h('button', { type: 'submit' }, 'Change password');
  const status = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      'aria-labelledby': 'account-password',
      onsubmit: on(async (e: Event) => {
        e.preventDefault();
        submit.disabled = true;
        mount(status);
        try {
          const r = await api<{ otherSessionsRevoked: number }>('POST', '/api/me/password', { currentPassword: current.value, newPassword: next.value });
          form.reset();
          const others = r.otherSessionsRevoked;
          mount(status, notice('ok', `Your password was changed.${others > 0 ? ` ${others} other session${others === 1 ? ' was' : 's were'} ended.` : ''}`));
          await afterChange();
        } catch (err) {
          mount(status, notice('error', passwordErrorText(err)));
        } finally {
          submit.disabled = false;
        }
      }),
    },
    h('div', { class: 'field' }, h('label', { for: 'account-current-password' }, 'Current password'), current),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'account-new-password' }, 'New password'),
      next,
      h(
        'p',
        { id: 'account-new-password-hint', class: 'hint' },
        'At least 8 characters; a few unrelated words work well. Common passwords and ones containing your name or e-mail are refused. Your other sessions are ended.',
      ),
    ),
    submit,
    status,
  );
  mount(box, form);
}
