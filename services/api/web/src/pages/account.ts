/**
 * The signed-in user's account: live sessions, password change, two-factor authentication and
 * API keys. Each section loads and fails on its own, so an admin who must still enrol in 2FA (the
 * API then refuses their keys) sees the rest of the page working. Secrets shown once (recovery
 * codes, a new API key) live only in the DOM of this page and are never stored by the app.
 */

import { h, mount, notice } from '../dom.ts';
import { roleLabel } from '../format.ts';
import type { PageContext } from '../router.ts';
import { drawPasswordForm } from './account-password.ts';
import { loadTwoFactor, setAfterRequiredEnrolment } from './account-two-factor.ts';
import { loadKeys } from './account-api-keys.ts';
import { loadSessions } from './account-sessions.ts';

function section(id: string, title: string, ...body: HTMLElement[]): HTMLElement {
  return h('section', { class: 'card account-section', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

export async function renderAccount(ctx: PageContext): Promise<void> {
  ctx.setTitle('Account');
  const sessionsBody = h('div', {}, h('p', { class: 'muted' }, 'Loading sessions…'));
  const passwordBody = h('div', {});
  const tfaBody = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const keysBody = h('div', {}, h('p', { class: 'muted' }, 'Loading API keys…'));

  mount(
    ctx.main,
    h('h1', {}, 'Account'),
    h('p', { class: 'muted' }, `Signed in as ${ctx.me.user.displayName} (${ctx.me.user.email}), system role ${roleLabel(ctx.me.user.systemRole)}.`),
    ctx.me.mfaEnrolmentRequired === true ? notice('info', 'Administrators must use two-factor authentication. Set it up below to use the rest of Plotbox.') : null,
    h(
      'div',
      { class: 'account-grid' },
      section('account-sessions', 'Sessions', sessionsBody),
      section('account-password', 'Change password', passwordBody),
      section('account-2fa', 'Two-factor authentication', tfaBody),
      section('account-keys', 'API keys', keysBody),
      section(
        'account-data',
        'Your data',
        h(
          'p',
          {},
          'Everything Plotbox keeps about you, as one JSON file: your profile, groups, project and dashboard access, API keys (never the keys themselves), sessions, and the audit events about you.',
        ),
        h('p', {}, h('a', { class: 'button-link', id: 'account-export', href: '/api/me/export', download: 'plotbox-personal-data.json' }, 'Download my data')),
      ),
    ),
  );

  setAfterRequiredEnrolment(ctx.me.mfaEnrolmentRequired === true ? () => ctx.navigate('/') : null);
  if (ctx.me.user.hasPassword === false) {
    // Single sign-on only: the password and the second factor live at the identity provider.
    const sso = 'You sign in through single sign-on: your password and two-factor authentication are managed by your identity provider.';
    mount(passwordBody, h('p', {}, sso));
    mount(tfaBody, h('p', {}, sso));
    await Promise.all([loadSessions(sessionsBody), loadKeys(keysBody)]);
    return;
  }
  drawPasswordForm(passwordBody, () => loadSessions(sessionsBody));
  await Promise.all([loadSessions(sessionsBody), loadTwoFactor(tfaBody), loadKeys(keysBody)]);
}
