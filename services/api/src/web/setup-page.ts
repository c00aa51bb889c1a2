/**
 * The first-admin setup page (served at `/setup`). The one-time token travels in the URL
 * fragment (`/setup#token=...`), which browsers never send to the server, so it cannot end up in
 * access logs; the page's script (external: the CSP allows no inline script) posts it as JSON.
 * Once an administrator exists the page says so and links to sign-in instead of offering a form
 * that can only fail: the one fact it reveals is whether setup is still open.
 */
import { Router } from 'express';
import type { Store } from '@plotbox/store';

const HEAD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plotbox setup</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><link rel="stylesheet" href="/app.css"></head>
<body><main id="main" class="card narrow">`;

/** The form, while no administrator exists. */
export const SETUP_HTML = `${HEAD}<h1 id="setup-title">Create the first Plotbox administrator</h1>
<p class="muted" id="intro">This one-time page creates the account that manages users, groups and every project.</p>
<form id="setup" aria-labelledby="setup-title" novalidate>
<div class="field"><label for="setup-email">Email</label><input id="setup-email" name="email" type="email" required autocomplete="username" maxlength="254"></div>
<div class="field"><label for="setup-name">Name</label><input id="setup-name" name="displayName" required autocomplete="name" maxlength="200"></div>
<div class="field"><label for="setup-password">Password</label><input id="setup-password" name="password" type="password" minlength="8" required autocomplete="new-password" aria-describedby="setup-password-hint">
<p id="setup-password-hint" class="hint">At least 8 characters; a few unrelated words make a good passphrase. Common passwords and ones containing your name or email are refused.</p></div>
<button type="submit">Create administrator</button></form>
<div id="status" aria-live="polite"></div>
<p id="next" hidden><a class="button-link" href="/">Sign in to Plotbox</a></p></main>
<script src="/setup.js"></script></body></html>
`;

/** Once an administrator exists. */
export const SETUP_DONE_HTML = `${HEAD}<h1>Setup is complete</h1>
<p>Plotbox already has an administrator. Sign in with that account; administrators add everyone else under Users.</p>
<p><a class="button-link" href="/">Sign in to Plotbox</a></p></main></body></html>
`;

export const SETUP_JS = `'use strict';
(function () {
  var KEY = 'plotbox.setupToken';
  var token = '';
  var form = document.getElementById('setup');
  var status = document.getElementById('status');
  var button = form.querySelector('button');
  var REASONS = {
    too_short: 'it is too short: use at least 8 characters (a few words make a good passphrase)',
    too_long: 'it is too long',
    invalid: 'it contains characters that cannot be used in a password',
    common: 'it is one of the most common passwords',
    repetitive: 'it repeats a single character',
    contains_email: 'it contains your email address or its name part',
    contains_name: 'it contains your name'
  };
  function show(kind, text) {
    status.replaceChildren();
    var p = document.createElement('p');
    p.className = 'notice notice-' + kind;
    p.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    p.textContent = text;
    status.appendChild(p);
  }
  function explain(code, body) {
    var e = (body && body.error) || {};
    if (e.code === 'AUTH_PASSWORD_POLICY') {
      var why = REASONS[e.reason];
      return 'The password was refused' + (why ? ' because ' + why + '.' : '.') + ' Choose another.';
    }
    if (e.code === 'AUTH_SETUP_INVALID') return 'This setup link is invalid, used or expired, or setup is already complete. Restart Plotbox for a new link, or reload this page to see whether setup is done.';
    if (e.code === 'VALIDATION_FAILED' && Array.isArray(e.issues) && e.issues.length > 0) {
      var names = { email: 'Email', displayName: 'Name', password: 'Password', token: 'Setup link' };
      return 'Check the form: ' + e.issues.map(function (i) { return (names[i.path] || i.path) + ' ' + i.message; }).join('; ') + '.';
    }
    if (e.code === 'API_RATE_LIMITED') return 'Too many attempts. Wait a minute and try again.';
    if (e.code === 'USER_EMAIL_TAKEN') return 'A user with this email already exists.';
    return e.message || ('Setup failed (the server answered ' + code + ').');
  }
  // The token from the link, kept for this tab only so a reload or a refused password does not
  // lose it; the address bar (history, screen shares) no longer shows it. A link pasted into this
  // tab while the page is open arrives as a hash change.
  function adopt() {
    var fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
    try {
      if (fromLink) sessionStorage.setItem(KEY, fromLink);
      else if (!token) token = sessionStorage.getItem(KEY) || '';
    } catch (e) { /* storage disabled: the token lives in this page only */ }
    if (fromLink) token = fromLink;
    if (location.hash) history.replaceState(null, '', location.pathname);
    if (token === '') {
      show('error', 'This page needs the one-time link Plotbox printed when it started (it ends in #token=...). Open that link, or restart Plotbox to print a new one.');
      button.disabled = true;
    } else if (button.disabled) {
      status.replaceChildren();
      button.disabled = false;
    }
  }
  adopt();
  window.addEventListener('hashchange', adopt);
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!form.reportValidity()) return;
    var f = new FormData(form);
    button.disabled = true;
    show('info', 'Creating the administrator...');
    fetch('/api/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'plotbox', accept: 'application/json' },
      body: JSON.stringify({ token: token, email: String(f.get('email')).trim(), displayName: String(f.get('displayName')).trim(), password: f.get('password') })
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (b) { return [r.status, b]; });
    }).then(function (x) {
      button.disabled = false;
      if (x[0] === 201) {
        try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
        form.hidden = true;
        document.getElementById('intro').hidden = true;
        show('ok', 'The administrator was created. Sign in with the email and password you just chose.');
        document.getElementById('next').hidden = false;
        return;
      }
      show('error', explain(x[0], x[1]));
      if (x[1] && x[1].error && x[1].error.code === 'AUTH_PASSWORD_POLICY') document.getElementById('setup-password').select();
    }, function () {
      button.disabled = false;
      show('error', 'Plotbox could not be reached. Check that it is running and try again.');
    });
  });
})();
`;

/** `GET /setup` (the form, or "setup is complete") and `GET /setup.js`. */
export function setupPageRoutes(store: Store): Router {
  const router = Router();
  router.get('/setup', async (_req, res) => {
    const done = (await store.users.count({ systemRole: 'admin' })) > 0;
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(done ? SETUP_DONE_HTML : SETUP_HTML);
  });
  router.get('/setup.js', (_req, res) => {
    res.type('text/javascript').send(SETUP_JS);
  });
  return router;
}
