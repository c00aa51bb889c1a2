/**
 * The signed-in user's account: live sessions, password change, two-factor authentication and
 * API keys. Each section loads and fails on its own, so an admin who must still enrol in 2FA (the
 * API then refuses their keys) sees the rest of the page working. Secrets shown once (recovery
 * codes, a new API key) live only in the DOM of this page and are never stored by the app.
 */
import QRCode from 'qrcode';
import { api, ApiFailure, describeError } from '../api.ts';
import { confirmDialog } from '../dialog.ts';
import { h, mount, notice } from '../dom.ts';
import { roleLabel } from '../format.ts';
import type { PageContext } from '../router.ts';
import type { ApiKeyView, SessionListItem, UserView } from '../../../src/api-types.ts';


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

/** What to do once a required 2FA enrolment is done (leave the account page); `null` otherwise. */
let afterRequiredEnrolment: (() => void) | null = null;

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

/** A short description of a browser's User-Agent string, for the sessions table. */
function browserOf(ua: string | null): string {
  if (ua === null || ua === '') return 'Unknown client';
  const browser = /Edg\//u.test(ua) ? 'Edge' : /Firefox\//u.test(ua) ? 'Firefox' : /Chrom(e|ium)\//u.test(ua) ? 'Chrome' : /Safari\//u.test(ua) ? 'Safari' : null;
  const os = /Windows/u.test(ua) ? 'Windows' : /Mac OS X/u.test(ua) ? 'macOS' : /Android/u.test(ua) ? 'Android' : /iPhone|iPad/u.test(ua) ? 'iOS' : /Linux/u.test(ua) ? 'Linux' : null;
  if (browser === null) return ua.length > 60 ? `${ua.slice(0, 60)}…` : ua;
  return os === null ? browser : `${browser} on ${os}`;
}

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
        h('p', {}, 'Everything Plotbox keeps about you, as one JSON file: your profile, groups, project and dashboard access, API keys (never the keys themselves), sessions, and the audit events about you.'),
        h('p', {}, h('a', { class: 'button-link', id: 'account-export', href: '/api/me/export', download: 'plotbox-personal-data.json' }, 'Download my data')),
      ),
    ),
  );

  afterRequiredEnrolment = ctx.me.mfaEnrolmentRequired === true ? () => ctx.navigate('/') : null;
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

// ---------------------------------------------------------------------------------------------
// Sessions

async function loadSessions(box: HTMLElement, status?: HTMLElement): Promise<void> {
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
          body: [`Every session of your account ends (${items.length === 1 ? 'this one' : `all ${items.length}, this one included`}): each browser must sign in again. API keys keep working; revoke them below if they may have leaked.`],
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
      h('thead', {}, h('tr', {}, ['Client', 'IP address', 'Signed in', 'Last active', 'Ends at the latest', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows),
    ),
    h('p', {}, everywhere),
    live,
  );
}

// ---------------------------------------------------------------------------------------------
// Password

function drawPasswordForm(box: HTMLElement, afterChange: () => Promise<void>): void {
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
      h('p', { id: 'account-new-password-hint', class: 'hint' }, 'At least 8 characters; a few unrelated words work well. Common passwords and ones containing your name or e-mail are refused. Your other sessions are ended.'),
    ),
    submit,
    status,
  );
  mount(box, form);
}

// ---------------------------------------------------------------------------------------------
// Two-factor authentication

async function loadTwoFactor(box: HTMLElement, status?: HTMLElement): Promise<void> {
  let user: UserView;
  try {
    ({ user } = await api<{ user: UserView }>('GET', '/api/me'));
  } catch (err) {
    mount(box, notice('error', describeError(err)));
    return;
  }
  if (user.totpEnabled) drawTwoFactorOn(box, user, status);
  else drawTwoFactorOff(box, status);
}

function drawTwoFactorOff(box: HTMLElement, status?: HTMLElement): void {
  const live = h('div', { 'aria-live': 'polite' });
  if (status !== undefined) live.append(status);
  const start = h(
    'button',
    {
      type: 'button',
      onclick: on(async () => {
        start.disabled = true;
        mount(live);
        try {
          const r = await api<{ secret: string; otpauthUri: string }>('POST', '/api/me/2fa/enrol');
          drawEnrolment(box, r);
        } catch (err) {
          start.disabled = false;
          mount(live, notice('error', describeError(err)));
        }
      }),
    },
    'Set up two-factor authentication',
  );
  mount(
    box,
    h('p', {}, h('strong', {}, 'Off. '), 'With two-factor authentication, signing in also asks for a six-digit code from an authenticator app on your phone.'),
    start,
    live,
  );
}

function drawEnrolment(box: HTMLElement, enrol: { secret: string; otpauthUri: string }): void {
  const code = h('input', { id: 'account-totp-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 16, required: true, 'aria-describedby': 'account-totp-code-hint' });
  const confirm = h('button', { type: 'submit' }, 'Confirm');
  const live = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      'aria-label': 'Confirm two-factor authentication',
      onsubmit: on(async (e: Event) => {
        e.preventDefault();
        confirm.disabled = true;
        mount(live);
        try {
          const r = await api<{ recoveryCodes: string[] }>('POST', '/api/me/2fa/confirm', { code: code.value.replace(/\s+/gu, '') });
          drawRecoveryCodes(box, r.recoveryCodes);
        } catch (err) {
          confirm.disabled = false;
          mount(live, notice('error', describeError(err)));
          code.select();
        }
      }),
    },
    h('div', { class: 'field' }, h('label', { for: 'account-totp-code' }, 'Code'), code, h('p', { id: 'account-totp-code-hint', class: 'hint' }, 'The six-digit code your app shows now.')),
    confirm,
    live,
  );
  // The QR code is drawn here, in the browser, from the setup link: the secret goes to no other service.
  const qr = h('img', { class: 'qr', alt: 'QR code of the setup link: scan it with your authenticator app', width: 200, height: 200, hidden: true });
  QRCode.toString(enrol.otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } }).then(
    (svg) => {
      qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
      qr.hidden = false;
    },
    () => undefined, // the link and the key below still work
  );
  mount(
    box,
    h('p', {}, 'Scan this code with your authenticator app (Google Authenticator, Microsoft Authenticator, 1Password, Aegis, …):'),
    qr,
    h('details', { class: 'enrol-manual' }, h('summary', {}, 'Cannot scan? Use the setup link or the key'), h('p', {}, 'Most apps accept this setup link (copy it, or open it on the phone that has the app):'), h('p', { class: 'secret', id: 'account-otpauth-uri', 'aria-label': 'Setup link' }, enrol.otpauthUri), h('p', {}, 'Or type this key into the app by hand (time-based, 6 digits, 30 seconds):'), h('p', { class: 'secret', 'aria-label': 'Setup key' }, enrol.secret.replace(/(.{4})/gu, '$1 ').trim())),
    form,
  );
  code.focus();
}

function drawRecoveryCodes(box: HTMLElement, codes: readonly string[]): void {
  const then = afterRequiredEnrolment;
  const done = h('button', { type: 'button', onclick: () => (then === null ? void loadTwoFactor(box) : then()) }, then === null ? 'I have saved my recovery codes' : 'I have saved my recovery codes: continue to Plotbox');
  mount(
    box,
    notice('ok', 'Two-factor authentication is on.'),
    h(
      'div',
      { class: 'once', role: 'region', 'aria-labelledby': 'account-recovery-title' },
      h('h3', { id: 'account-recovery-title' }, 'Your recovery codes'),
      h('p', {}, h('strong', {}, 'Save these now: they are shown only this once. '), 'Each code signs you in once if you lose your phone; keep them somewhere safe, apart from your password.'),
      h('ol', { class: 'recovery-codes' }, codes.map((c) => h('li', {}, h('code', {}, c)))),
    ),
    done,
  );
  done.focus();
}

function drawTwoFactorOn(box: HTMLElement, user: UserView, status?: HTMLElement): void {
  const live = h('div', { 'aria-live': 'polite' });
  if (status !== undefined) live.append(status);
  const password = h('input', { id: 'account-2fa-off-password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { id: 'account-2fa-off-code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 64, required: true, 'aria-describedby': 'account-2fa-off-code-hint' });
  const off = h('button', { type: 'submit', class: 'danger' }, 'Turn off two-factor authentication');
  const left = user.recoveryCodesLeft ?? 0;
  const form = h(
    'form',
    {
      'aria-labelledby': 'account-2fa-off-title',
      onsubmit: on(async (e: Event) => {
        e.preventDefault();
        off.disabled = true;
        mount(live);
        try {
          // Both factors: the password and a current code (or an unused recovery code).
          const c = code.value.replace(/\s+/gu, '');
          await api('POST', '/api/me/2fa/disable', /^\d{6,8}$/u.test(c) ? { password: password.value, code: c } : { password: password.value, recoveryCode: code.value.trim() });
          await loadTwoFactor(box, notice('ok', 'Two-factor authentication is off.'));
        } catch (err) {
          off.disabled = false;
          mount(live, notice('error', describeError(err)));
        }
      }),
    },
    h('h3', { id: 'account-2fa-off-title' }, 'Turn off two-factor authentication'),
    h('div', { class: 'field' }, h('label', { for: 'account-2fa-off-password' }, 'Your password'), password),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'account-2fa-off-code' }, 'Code from your authenticator app'),
      code,
      h('p', { id: 'account-2fa-off-code-hint', class: 'hint' }, 'The six-digit code your app shows now, or one of your recovery codes.'),
    ),
    off,
  );
  mount(
    box,
    h('p', {}, h('strong', {}, 'On. '), `Signing in asks for a code from your authenticator app. ${left} recovery code${left === 1 ? '' : 's'} left.`),
    left <= 3 ? notice('info', 'You are running out of recovery codes: turn two-factor authentication off and on again to get a new set.') : null,
    form,
    live,
  );
}

// ---------------------------------------------------------------------------------------------
// API keys

async function loadKeys(box: HTMLElement, extra?: HTMLElement): Promise<void> {
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
    h('p', { class: 'muted' }, 'Keys let scripts and CI use the API as you (send ', h('code', {}, 'Authorization: Bearer pbx_…'), '). A key has your current permissions but cannot manage keys, passwords, two-factor authentication or sessions.'),
    extra ?? null,
    items.length === 0
      ? h('p', {}, 'You have no API keys.')
      : h(
          'table',
          {},
          h('caption', { class: 'visually-hidden' }, 'Your API keys'),
          h('thead', {}, h('tr', {}, ['Name', 'Prefix', 'Created', 'Expires', 'Last used', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)))),
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
