// The account page's "Sessions" section: the user's live sessions, each can be ended.

import { api, describeError } from '../api.ts';
import { confirmDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import type { SessionListItem } from '../../../src/api-types.ts';
import { on, when } from './page-helpers.ts';

/** A short description of a browser's User-Agent string, for the sessions table. */
function browserOf(ua: string | null): string {
  if (ua === null || ua === '') return 'Unknown client';
  const browser = /Edg\//u.test(ua) ? 'Edge' : /Firefox\//u.test(ua) ? 'Firefox' : /Chrom(e|ium)\//u.test(ua) ? 'Chrome' : /Safari\//u.test(ua) ? 'Safari' : null;
  const os = /Windows/u.test(ua) ? 'Windows' : /Mac OS X/u.test(ua) ? 'macOS' : /Android/u.test(ua) ? 'Android' : /iPhone|iPad/u.test(ua) ? 'iOS' : /Linux/u.test(ua) ? 'Linux' : null;
  if (browser === null) return ua.length > 60 ? `${ua.slice(0, 60)}…` : ua;
  return os === null ? browser : `${browser} on ${os}`;
}

export async function loadSessions(box: HTMLElement, status?: HTMLElement): Promise<void> {
  let items: SessionListItem[];
  try {
    ({ items } = await api<{ items: SessionListItem[] }>('GET', '/api/me/sessions'));
  } catch (err) {
    mount(box, notice('error', describeError(err)));
    return;
  }
  const live = h('div', { 'aria-live': 'polite' });
  if (status !== undefined) live.append(status);
  const sorted = [...items].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
  const rows = sorted.map((s) => {
    const label = `account-session-${s.id}`;
    const action = s.current
      ? h('span', { class: 'badge' }, 'This session')
      : h(
          'button',
          {
            type: 'button',
            class: 'danger',
            'aria-describedby': label,
            onclick: on(async (e: Event) => {
              const b = e.currentTarget as HTMLButtonElement;
              b.disabled = true;
              try {
                await api('DELETE', `/api/me/sessions/${encodeURIComponent(s.id)}`);
                await loadSessions(box, notice('ok', 'The session was ended; that browser must sign in again.'));
              } catch (err) {
                b.disabled = false;
                mount(live, notice('error', describeError(err)));
              }
            }),
          },
          'End session',
        );
    return h(
      'tr',
      { class: s.current ? 'current' : null },
      h('td', { id: label }, browserOf(s.userAgent), s.current ? h('span', { class: 'muted' }, ' (current)') : null),
      h('td', {}, s.ip ?? '—'),
      h('td', {}, when(s.createdAt)),
      h('td', {}, when(s.lastSeenAt)),
      h('td', {}, when(s.absoluteExpiresAt)),
      h('td', {}, action),
    );
  });
  const everywhere = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: on(async () => {
        const ok = await confirmDialog({
          title: 'Sign out everywhere?',
          body: [
            `Every session of your account ends (${items.length === 1 ? 'this one' : `all ${items.length}, this one included`}): each browser must sign in again. API keys keep working; revoke them below if they may have leaked.`,
          ],
          confirm: 'Sign out everywhere',
          danger: true,
        });
        if (!ok) return;
        everywhere.disabled = true;
        try {
          await api('POST', '/api/me/sessions/revoke-all', {});
          // This session ended too: back to the sign-in page.
          location.hash = '#/login';
          location.reload();
        } catch (err) {
          everywhere.disabled = false;
          mount(live, notice('error', describeError(err)));
        }
      }),
    },
    'Sign out everywhere',
  );
  mount(
    box,
    h('p', { class: 'muted' }, 'Browsers signed in to your account. End any you do not recognise, then change your password.'),
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, 'Your sessions'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Client', 'IP address', 'Signed in', 'Last active', 'Ends at the latest', ''].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h('tbody', {}, rows),
    ),
    h('p', {}, everywhere),
    live,
  );
}
