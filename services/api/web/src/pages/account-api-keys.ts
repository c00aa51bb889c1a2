// The account page's "API keys" section: create (the key is shown once), list, revoke.

import { api, describeError } from '../api.ts';
import { confirmDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import type { ApiKeyView } from '../../../src/api-types.ts';
import { on, when } from './page-helpers.ts';

export async function loadKeys(box: HTMLElement, extra?: HTMLElement): Promise<void> {
  let items: ApiKeyView[];
  try {
    ({ items } = await api<{ items: ApiKeyView[] }>('GET', '/api/me/api-keys'));
  } catch (err) {
    mount(box, notice('error', describeError(err)));
    return;
  }
  const live = h('div', { 'aria-live': 'polite' });
  const name = h('input', { id: 'account-key-name', maxlength: 100, required: true, autocomplete: 'off' });
  const days = h('input', { id: 'account-key-days', type: 'number', min: 1, max: 3650, step: 1, inputmode: 'numeric', 'aria-describedby': 'account-key-days-hint' });
  const create = h('button', { type: 'submit' }, 'Create key');
  const form = h(
    'form',
    {
      class: 'row',
      'aria-label': 'Create an API key',
      onsubmit: on(async (e: Event) => {
        e.preventDefault();
        create.disabled = true;
        mount(live);
        try {
          const body: { name: string; expiresInDays?: number } = { name: name.value.trim() };
          if (days.value !== '') body.expiresInDays = Number(days.value);
          const r = await api<{ apiKey: ApiKeyView; key: string }>('POST', '/api/me/api-keys', body);
          await loadKeys(box, shownOnce(r.apiKey.name, r.key));
        } catch (err) {
          create.disabled = false;
          mount(live, notice('error', describeError(err)));
        }
      }),
    },
    h('div', { class: 'field' }, h('label', { for: 'account-key-name' }, 'Key name'), name),
    h('div', { class: 'field' }, h('label', { for: 'account-key-days' }, 'Expires after (days)'), days, h('span', { id: 'account-key-days-hint', class: 'hint' }, 'Empty: never.')),
    h('div', { class: 'field' }, create),
  );
  const now = Date.now();
  const rows = items.map((k) => {
    const expired = k.expiresAt !== null && Date.parse(k.expiresAt) <= now;
    const state = k.revokedAt !== null ? `Revoked ${when(k.revokedAt)}` : expired ? 'Expired' : 'Active';
    return h(
      'tr',
      {},
      h('td', {}, k.name),
      h('td', {}, h('code', {}, `${k.prefix}…`)),
      h('td', {}, when(k.createdAt)),
      h('td', {}, k.expiresAt === null ? 'Never' : when(k.expiresAt)),
      h('td', {}, k.lastUsedAt === null ? 'Never' : when(k.lastUsedAt)),
      h('td', {}, state),
      h(
        'td',
        {},
        k.revokedAt === null
          ? h(
              'button',
              {
                type: 'button',
                class: 'danger',
                'aria-label': `Revoke ${k.name}`,
                onclick: on(async (e: Event) => {
                  const b = e.currentTarget as HTMLButtonElement;
                  const ok = await confirmDialog({
                    title: `Revoke the API key “${k.name}”?`,
                    body: [`Scripts and CI jobs that use it (${k.prefix}…) are refused from their next request. This cannot be undone: to use the API again, create a new key.`],
                    confirm: 'Revoke key',
                    danger: true,
                  });
                  if (!ok) return;
                  b.disabled = true;
                  try {
                    await api('DELETE', `/api/me/api-keys/${encodeURIComponent(k.id)}`);
                    await loadKeys(box, notice('ok', `The key “${k.name}” was revoked; scripts using it are refused from now on.`));
                  } catch (err) {
                    b.disabled = false;
                    mount(live, notice('error', describeError(err)));
                  }
                }),
              },
              'Revoke',
            )
          : null,
      ),
    );
  });
  mount(
    box,
    h(
      'p',
      { class: 'muted' },
      'Keys let scripts and CI use the API as you (send ',
      h('code', {}, 'Authorization: Bearer pbx_…'),
      '). A key has your current permissions but cannot manage keys, passwords, two-factor authentication or sessions.',
    ),
    extra ?? null,
    items.length === 0
      ? h('p', {}, 'You have no API keys.')
      : h(
          'table',
          {},
          h('caption', { class: 'visually-hidden' }, 'Your API keys'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Name', 'Prefix', 'Created', 'Expires', 'Last used', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h('tbody', {}, rows),
        ),
    h('h3', {}, 'New key'),
    form,
    live,
  );
}

function shownOnce(name: string, key: string): HTMLElement {
  return h(
    'div',
    { class: 'once', role: 'region', 'aria-labelledby': 'account-new-key-title' },
    h('h3', { id: 'account-new-key-title' }, `New key “${name}”`),
    h('p', { role: 'alert' }, h('strong', {}, 'Copy this key now: it is shown only once. '), 'Plotbox keeps only a hash of it; if you lose it, revoke it and create another.'),
    h('p', { class: 'secret', 'aria-label': `API key ${name}` }, key),
  );
}
