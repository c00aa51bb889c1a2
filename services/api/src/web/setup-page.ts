/**
 * The first-admin setup page (served at `/setup`). The one-time token travels in the URL
 * fragment (`/setup#token=...`), which browsers never send to the server, so it cannot end up in
 * access logs; the page's script (external: the CSP allows no inline script) posts it as JSON.
 */
export const SETUP_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plotbox setup</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><link rel="stylesheet" href="/app.css"></head>
<body><main class="card narrow"><h1>Create the first Plotbox administrator</h1>
<form id="setup"><p><label>Email <input name="email" type="email" required autocomplete="username"></label></p>
<p><label>Name <input name="displayName" required></label></p>
<p><label>Password (at least 8 characters) <input name="password" type="password" minlength="8" required autocomplete="new-password"></label></p>
<p><button type="submit">Create administrator</button></p></form>
<p id="status" role="status"></p><p id="next" hidden><a href="/">Sign in to Plotbox</a></p></main>
<script src="/setup.js"></script></body></html>
`;

export const SETUP_JS = `'use strict';
(function () {
  var token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
  history.replaceState(null, '', location.pathname);
  var form = document.getElementById('setup');
  var status = document.getElementById('status');
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = new FormData(form);
    fetch('/api/setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'plotbox' },
      body: JSON.stringify({ token: token, email: f.get('email'), displayName: f.get('displayName'), password: f.get('password') })
    }).then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); }).then(function (x) {
      status.textContent = x[0] === 201 ? 'Administrator created. You can sign in now.' : (x[1].error && x[1].error.message) || 'Setup failed.';
      if (x[0] === 201) { form.hidden = true; document.getElementById('next').hidden = false; }
    });
  });
})();
`;
