// The account page's "Two-factor authentication" section: enrol (QR code, confirm, recovery
// codes shown once), regenerate recovery codes, turn off.

import { api, describeError } from '../api.ts';
import { h, mount, notice } from '../dom.ts';
import type { UserView } from '../../../src/api-types.ts';
import QRCode from 'qrcode';
import { on } from './page-helpers.ts';

/** What to do once a required 2FA enrolment is done (leave the account page); `null` otherwise. */
let afterRequiredEnrolment: (() => void) | null = null;

/** Called by the account page on each render: where to go once a required enrolment is done. */
export function setAfterRequiredEnrolment(then: (() => void) | null): void {
  afterRequiredEnrolment = then;
}

export async function loadTwoFactor(box: HTMLElement, status?: HTMLElement): Promise<void> {
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
  mount(box, h('p', {}, h('strong', {}, 'Off. '), 'With two-factor authentication, signing in also asks for a six-digit code from an authenticator app on your phone.'), start, live);
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
    h(
      'details',
      { class: 'enrol-manual' },
      h('summary', {}, 'Cannot scan? Use the setup link or the key'),
      h('p', {}, 'Most apps accept this setup link (copy it, or open it on the phone that has the app):'),
      h('p', { class: 'secret', id: 'account-otpauth-uri', 'aria-label': 'Setup link' }, enrol.otpauthUri),
      h('p', {}, 'Or type this key into the app by hand (time-based, 6 digits, 30 seconds):'),
      h('p', { class: 'secret', 'aria-label': 'Setup key' }, enrol.secret.replace(/(.{4})/gu, '$1 ').trim()),
    ),
    form,
  );
  code.focus();
}

function drawRecoveryCodes(box: HTMLElement, codes: readonly string[]): void {
  const then = afterRequiredEnrolment;
  const done = h(
    'button',
    { type: 'button', onclick: () => (then === null ? void loadTwoFactor(box) : then()) },
    then === null ? 'I have saved my recovery codes' : 'I have saved my recovery codes: continue to Plotbox',
  );
  mount(
    box,
    notice('ok', 'Two-factor authentication is on.'),
    h(
      'div',
      { class: 'once', role: 'region', 'aria-labelledby': 'account-recovery-title' },
      h('h3', { id: 'account-recovery-title' }, 'Your recovery codes'),
      h('p', {}, h('strong', {}, 'Save these now: they are shown only this once. '), 'Each code signs you in once if you lose your phone; keep them somewhere safe, apart from your password.'),
      h(
        'ol',
        { class: 'recovery-codes' },
        codes.map((c) => h('li', {}, h('code', {}, c))),
      ),
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
