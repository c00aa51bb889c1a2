// The API's Prometheus endpoint over HTTP against createApp in-process: off without a token,
// refused without the right one, and counting requests by route pattern (never raw ids) and
// failed sign-ins by reason. Render cache and sandbox outcomes are checked in api-charts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { errorCode, startTestApi } from './helpers/api.ts';
import { sample } from './helpers/metrics.ts';

const TOKEN = 'metrics-token-'.padEnd(48, 'x');

test('metrics: off (404) without a token configured', async (t) => {
  const api = await startTestApi(t);
  assert.equal(await errorCode(await api.client().req('GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` })), 'API_NOT_FOUND');
});

test('metrics: bearer token required; requests by route pattern and status; login failures by reason', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_METRICS_TOKEN: TOKEN } });
  const c = api.client();
  const noAuth = await c.req('GET', '/metrics');
  assert.equal(noAuth.status, 401);
  assert.equal(noAuth.headers.get('www-authenticate'), 'Bearer');
  assert.equal(await errorCode(await c.req('GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN.slice(0, -1)}y` })), 'AUTH_REQUIRED');
  // A session cookie is not the metrics token.
  const u = await api.createUser();
  assert.equal((await c.login(u.email, u.password)).status, 200);
  assert.equal((await c.req('GET', '/metrics')).status, 401);

  await c.req('GET', '/api/me');
  await c.req('GET', `/api/projects/${randomUUID()}`);
  await api.client().req('GET', '/api/me');
  await api.client().login('nobody@example.com', 'wrong password here');
  await api.client().login(u.email, 'wrong password here');
  const res = await c.req('GET', '/metrics', undefined, { authorization: `Bearer ${TOKEN}` });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/u);
  const text = await res.text();
  assert.equal(sample(text, 'plotbox_api_http_requests_total', { method: 'GET', route: '/api/me', status: '200' }), 1);
  assert.equal(sample(text, 'plotbox_api_http_requests_total', { method: 'GET', route: '/api/me', status: '401' }), 1);
  assert.equal(sample(text, 'plotbox_api_http_requests_total', { method: 'GET', route: '/api/projects/:projectId', status: '404' }), 1, 'the pattern, not the id');
  assert.ok(!text.includes('/api/projects/') || !/\/api\/projects\/[0-9a-f]{8}-/u.test(text), 'no raw ids in labels');
  assert.equal(sample(text, 'plotbox_api_http_requests_total', { method: 'POST', route: '/api/auth/login', status: '401' }), 2);
  assert.equal(sample(text, 'plotbox_api_login_failures_total', { reason: 'unknown_user' }), 1);
  assert.equal(sample(text, 'plotbox_api_login_failures_total', { reason: 'wrong_password' }), 1);
  assert.ok((sample(text, 'plotbox_api_http_request_duration_seconds_count', { method: 'GET', route: '/api/me' }) ?? 0) >= 2);
  assert.ok(!text.includes(TOKEN) && !text.includes(u.email), 'no secrets or people in metrics');
});
