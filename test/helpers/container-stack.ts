// The API and the sandbox run as the manifests run them, driven as a user would, and what the
// container tests check of them: egress, processes, memory, a graceful stop.

import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { columnToArray, generateSales } from '@plotbox/datasets';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import { Client } from './api.ts';
import { PS_SCRIPT, cgroupMemory, mb, tryFetch, waitFor, type Proc } from './containers.ts';
import { IMAGE, ID, UID, work, created, measured, progress, seconds, podman, mustPodman, runDoc } from './container-harness.ts';

export interface Stack {
  readonly label: string;
  /** The variables the documented commands ran with. */
  readonly vars: Record<string, string>;
  readonly sandbox: string;
  readonly api: string;
  readonly url: string;
  readonly adminPassword: string;
  readonly metricsToken: string;
  readonly sandboxReadyMs: number;
  readonly apiHealthMs: number;
  readonly apiReadyMs: number;
}

/** Secret files as a Kubernetes secret volume presents them with fsGroup 10001 and mode 0440. */
export function writeSecret(dir: string, name: string, files: Record<string, string>): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  chownSync(d, 0, UID);
  chmodSync(d, 0o750);
  for (const [file, content] of Object.entries(files)) {
    writeFileSync(join(d, file), content);
    chownSync(join(d, file), 0, UID);
    chmodSync(join(d, file), 0o440);
  }
  return d;
}

/**
 * Waits, from inside the container, until the sandbox's /readyz answers 200: an internal network
 * without DNS has no gateway on the host, so the host cannot reach it (nor can anything else).
 */
async function untilSandboxReady(container: string): Promise<void> {
  const poll = `
const until = Date.now() + 120000;
(async () => {
  for (;;) {
    try { if ((await fetch('http://127.0.0.1:8081/readyz')).status === 200) return; } catch {}
    if (Date.now() > until) { console.error('not ready after 120 s'); process.exit(1); }
    await new Promise((r) => setTimeout(r, 50));
  }
})();
`;
  const r = await podman(['exec', container, 'node', '-e', poll], { timeoutMs: 150_000 });
  if (r.code !== 0) {
    const logs = await podman(['logs', container]);
    throw new Error(`${container} did not become ready (${r.code}: ${r.stderr.trim()}):\n${(logs.stdout + logs.stderr).slice(-3000)}`);
  }
}

/** `promise`, or its error with the end of the container's log (why it is not up, or exited). */
export async function withLogs<T>(container: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    const logs = await podman(['logs', container]);
    const state = await podman(['inspect', '--format', '{{.State.Status}} (exit code {{.State.ExitCode}})', container]);
    throw new Error(`${String(err)}\n${container} is ${state.stdout.trim()}; its log ends:\n${(logs.stdout + logs.stderr).slice(-3000)}`, { cause: err });
  }
}

/**
 * The two containers, started by the commands docs/operations.md gives (its "secrets",
 * "run-sandbox" and "run-api" blocks) with the test's own names; `sandboxPodmanOpts` are podman's
 * global options for the sandbox alone (gVisor). Everything is removed in `after`.
 */
async function startStack(label: string, sandboxPodmanOpts = ''): Promise<Stack> {
  const name = `${ID}-${label}`;
  const secrets = join(work, label, 'secrets');
  const vars = { IMAGE, NAME: name, SECRETS: secrets, PUBLIC_URL: 'https://plotbox.example.test', PUBLISH: '127.0.0.1:', SANDBOX_PODMAN_OPTS: sandboxPodmanOpts };
  await runDoc('secrets', vars);
  const sandbox = `${name}-sandbox`;
  const api = `${name}-api`;
  for (const c of [sandbox, api]) created.containers.add(c);
  for (const n of [`${name}-internal`, `${name}-public`]) created.networks.add(n);
  created.volumes.add(`${name}-data`);

  const sandboxStart = performance.now();
  await runDoc('run-sandbox', vars);
  await untilSandboxReady(sandbox);
  const sandboxReadyMs = performance.now() - sandboxStart;

  const apiStart = performance.now();
  await runDoc('run-api', vars);
  const port = (await mustPodman(['port', api, '8080/tcp'])).stdout.trim().split(':').at(-1);
  const url = `http://127.0.0.1:${port}`;
  const apiHealthMs = await withLogs(
    api,
    waitFor(`${label} API /api/health`, 120_000, async () => ((await tryFetch(`${url}/api/health`))?.status === 200 ? performance.now() - apiStart : undefined)),
  );
  const apiReadyMs = await withLogs(
    api,
    waitFor(`${label} API /api/ready`, 120_000, async () => ((await tryFetch(`${url}/api/ready`))?.status === 200 ? performance.now() - apiStart : undefined)),
  );
  progress(`${label}: sandbox ready in ${seconds(sandboxReadyMs)}; API healthy in ${seconds(apiHealthMs)}, ready in ${seconds(apiReadyMs)}`);
  return {
    label,
    vars,
    sandbox,
    api,
    url,
    adminPassword: readFileSync(join(secrets, 'admin-password'), 'utf8').trim(),
    metricsToken: readFileSync(join(secrets, 'metrics/token'), 'utf8').trim(),
    sandboxReadyMs,
    apiHealthMs,
    apiReadyMs,
  };
}

/** A client behind the ingress the production settings expect (TLS ends there; one trusted hop). */
class ProxiedClient extends Client {
  override req(method: string, path: string, body?: unknown, headers: Record<string, string | null> = {}): Promise<Response> {
    return super.req(method, path, body, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7', ...headers });
  }
}

export async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text.slice(0, 500));
  return JSON.parse(text) as T;
}

async function errorOf(res: Response, status: number): Promise<{ code: string; message: string; line?: number }> {
  return (await json<{ error: { code: string; message: string; line?: number } }>(res, status)).error;
}

function salesCsv(rows: number): string {
  const columns = generateSales(rows, 11);
  const values = columns.map((c) => columnToArray(c));
  const lines = [columns.map((c) => c.name).join(',')];
  for (let r = 0; r < rows; r++) lines.push(values.map((v) => String(v[r] ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}

/** A snippet that reaches for the host through a key the code check cannot see; its title says what it got. */
const COMPUTED_ESCAPE = `
let r = 'safe';
try {
  const k = 'constr' + 'uctor';
  const v = df[k][k]('return this')();
  const names = v === undefined || v === null ? '' : Object.getOwnPropertyNames(v).join(',');
  if (/\\b(process|require|module|Buffer|ivm)\\b/.test(names)) r = 'ESCAPED:' + names.slice(0, 100);
} catch (e) { r = 'safe'; }
fig = { data: [], layout: { title: { text: r } } };
`;

/** Everything a user does, over HTTP through the published port. */
async function driveAsUser(stack: Stack): Promise<void> {
  const { url } = stack;
  assert.deepEqual(await json(await fetch(`${url}/api/health`), 200), { status: 'ok' });
  const ready = await json<{ status: string; checks: Record<string, string> }>(await fetch(`${url}/api/ready`), 200);
  assert.equal(ready.status, 'ready');
  for (const part of ['store', 'blobs', 'sandbox']) assert.equal(ready.checks[part], 'ok', `ready: ${part}`);

  // The first admin, through the image's own CLI in the running container (password on stdin).
  const init = await runDoc('init-admin', stack.vars);
  assert.match(init.stdout, /created administrator admin@example\.com/u);

  const admin = new ProxiedClient(url);
  await json(await admin.login('admin@example.com', stack.adminPassword), 200);
  assert.ok(admin.lastSetCookie.length > 0 && admin.lastSetCookie.every((c) => /;\s*Secure/iu.test(c)), 'production cookies are Secure');

  const { project } = await json<{ project: { id: string } }>(await admin.req('POST', '/api/projects', { name: `Sales (${stack.label})` }), 201);
  const p = `/api/projects/${project.id}`;
  const upload = await json<{ dataset: { id: string }; version: { rowCount: number } }>(await admin.req('POST', `${p}/datasets?name=sales`, salesCsv(5000), { 'content-type': 'text/csv' }), 201);
  assert.equal(upload.version.rowCount, 5000);
  const datasetId = upload.dataset.id;
  const { dashboard } = await json<{ dashboard: { id: string } }>(await admin.req('POST', `${p}/dashboards`, { name: 'Overview' }), 201);
  const d = `${p}/dashboards/${dashboard.id}`;
  for (const example of EXAMPLE_CHARTS) {
    const { chart } = await json<{ chart: { id: string; diagnostics: unknown[] } }>(await admin.req('POST', `${d}/charts`, { title: example.title, code: example.code, lang: 'js', datasetId }), 201);
    assert.deepEqual(chart.diagnostics, [], example.name);
    const rendered = await json<{ figure: { data: unknown[] } }>(await admin.req('POST', `${d}/charts/${chart.id}/render`, {}), 200);
    assert.ok(rendered.figure.data.length > 0, `${example.name}: a figure with traces`);
  }

  // Hostile snippets: each gets its typed error, and the sandbox keeps serving.
  const preview = (code: string): Promise<Response> => admin.req('POST', `${d}/preview`, { code, lang: 'js', datasetId });
  const spin = await errorOf(await preview('let n = 0;\nwhile (true) { n++; }\nfig = null;'), 422);
  assert.equal(spin.code, 'SANDBOX_TIMEOUT');
  const refused = await errorOf(await preview("fig = this.constructor.constructor('return process')();"), 422);
  assert.equal(refused.code, 'CODE_RULE');
  assert.equal(refused.line, 1);
  const sneaky = await preview(COMPUTED_ESCAPE);
  const sneakyText = await sneaky.text();
  if (sneaky.status === 200) assert.equal((JSON.parse(sneakyText) as { figure: { layout: { title: { text: string } } } }).figure.layout.title.text, 'safe', sneakyText);
  else assert.equal(sneaky.status, 422, sneakyText);
  const bomb = await errorOf(await preview("const a = [];\nwhile (true) a.push('x'.repeat(1 << 20) + a.length);\nfig = null;"), 422);
  assert.ok(['SANDBOX_MEMORY', 'SANDBOX_CRASHED'].includes(bomb.code), bomb.code);
  const fine = await json<{ figure: { data: unknown[] } }>(await preview("fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum' });"), 200);
  assert.ok(fine.figure.data.length > 0);

  const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${stack.metricsToken}` } });
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /plotbox_api_http_requests_total/u);
  assert.equal((await fetch(`${url}/metrics`)).status, 401);
}

/** Tries each outbound connection (and a DNS lookup) from inside a container; prints JSON. */
function egressScript(targets: readonly (readonly [string, number])[]): string {
  return `
const net = require('node:net');
const dns = require('node:dns');
const tryConnect = (host, port) => new Promise((done) => {
  const s = net.connect({ host, port, timeout: 4000 });
  s.on('connect', () => { s.destroy(); done('connected'); });
  s.on('timeout', () => { s.destroy(); done('timeout'); });
  s.on('error', (e) => done(e.code || 'error'));
});
const tryLookup = (host) => new Promise((done) => {
  const timer = setTimeout(() => done('timeout'), 8000);
  dns.lookup(host, (e, address) => { clearTimeout(timer); done(e ? e.code || 'error' : 'resolved ' + address); });
});
Promise.all([
  ...${JSON.stringify(targets)}.map(([h, p]) => tryConnect(h, p).then((r) => [h + ':' + p, r])),
  tryLookup('registry.npmjs.org').then((r) => ['dns registry.npmjs.org', r]),
]).then((all) => console.log(JSON.stringify(Object.fromEntries(all))));
`;
}

async function checkEgress(stack: Stack): Promise<void> {
  const targets: [string, number][] = [
    ['1.1.1.1', 53],
    ['8.8.8.8', 443],
  ];
  try {
    targets.push([(await lookup('registry.npmjs.org')).address, 443]);
  } catch {
    // the host itself cannot resolve it: the two public addresses remain
  }
  const from = async (container: string): Promise<Record<string, string>> =>
    JSON.parse((await mustPodman(['exec', container, 'node', '-e', egressScript(targets)], { timeoutMs: 60_000 })).stdout) as Record<string, string>;
  const sandbox = await from(stack.sandbox);
  for (const [target, outcome] of Object.entries(sandbox)) {
    if (target.startsWith('dns ')) assert.ok(!outcome.startsWith('resolved'), `${stack.label} sandbox resolved a name: ${outcome}`);
    else assert.notEqual(outcome, 'connected', `${stack.label} sandbox reached ${target}`);
  }
  // The control: the same script from the API (on the outside network too) does get out, so the
  // check above is able to fail.
  const api = await from(stack.api);
  const reg = targets[2];
  if (reg !== undefined) assert.equal(api[`${reg[0]}:${reg[1]}`], 'connected', `control: the API container reaches the npm registry (${JSON.stringify(api)})`);
  progress(`${stack.label}: egress from the sandbox ${JSON.stringify(sandbox)}; from the API ${JSON.stringify(api)}`);
}

async function processes(container: string): Promise<Proc[]> {
  return JSON.parse((await mustPodman(['exec', container, 'node', '-e', PS_SCRIPT])).stdout) as Proc[];
}

/** tini is PID 1 and reaps orphans; a killed worker is replaced and leaves no zombie. */
async function checkProcesses(stack: Stack): Promise<void> {
  const before = await processes(stack.sandbox);
  const init = before.find((p) => p.pid === 1);
  assert.equal(init?.comm, 'tini', JSON.stringify(before));
  const supervisor = before.find((p) => p.ppid === 1 && p.cmdline.includes('services/sandbox/src/main.ts'));
  assert.ok(supervisor, `the sandbox's supervisor is tini's child: ${JSON.stringify(before)}`);
  const workers = (ps: Proc[]): Proc[] => ps.filter((p) => p.ppid === supervisor.pid && p.cmdline.includes('worker'));
  assert.equal(workers(before).length, 2, JSON.stringify(before));

  // An orphan lands on PID 1, and PID 1 reaps it: no zombie is left once it exits.
  await mustPodman(['exec', stack.sandbox, 'sh', '-c', '(sleep 3 &); exit 0']);
  const orphaned = await processes(stack.sandbox);
  assert.ok(
    orphaned.some((p) => p.comm === 'sleep' && p.ppid === 1),
    `the orphan was re-parented to PID 1: ${JSON.stringify(orphaned)}`,
  );
  await waitFor('the orphan to exit and be reaped', 15_000, async () => ((await processes(stack.sandbox)).some((p) => p.comm === 'sleep') ? undefined : true), 250);

  // A worker killed outright (as a memory bomb's abort would): replaced, and nothing is left a zombie.
  const victim = workers(before)[0]!;
  await mustPodman(['exec', stack.sandbox, 'sh', '-c', `kill -KILL ${victim.pid}`]);
  const after = await waitFor(
    'a replacement worker',
    30_000,
    async () => {
      const ps = await processes(stack.sandbox);
      const w = workers(ps);
      return w.length === 2 && !w.some((p) => p.pid === victim.pid) ? ps : undefined;
    },
    250,
  );
  assert.deepEqual(
    after.filter((p) => p.state === 'Z'),
    [],
    'no zombies',
  );
  await untilSandboxReady(stack.sandbox);
}

/** Memory of a running container's cgroup. */
async function memoryOf(container: string): Promise<{ rss: number; usage: number; peak: number } | null> {
  const path = (await mustPodman(['inspect', '--format', '{{.State.CgroupPath}}', container])).stdout.trim();
  return path === '' ? null : cgroupMemory(path);
}

/** After SIGTERM (podman stop): the container exited by itself, with code 0, and said so. */
async function assertStoppedGracefully(container: string, what: string): Promise<void> {
  const code = (await mustPodman(['inspect', '--format', '{{.State.ExitCode}}', container])).stdout.trim();
  const logs = await podman(['logs', container]);
  assert.equal(code, '0', `${what} exit code after SIGTERM (137 would mean it was killed):\n${logs.stdout.slice(-2000)}${logs.stderr.slice(-2000)}`);
  assert.match(logs.stdout + logs.stderr, /shutting down/u, `${what} logged its shutdown`);
}

export async function exerciseStack(label: string, sandboxPodmanOpts = ''): Promise<void> {
  const stack = await startStack(label, sandboxPodmanOpts);
  await new Promise((r) => setTimeout(r, 2_000));
  const idle = { sandbox: await memoryOf(stack.sandbox), api: await memoryOf(stack.api) };
  progress(`${label}: driving it as a user`);
  const driveStart = performance.now();
  await driveAsUser(stack);
  const driveMs = performance.now() - driveStart;
  const busy = { sandbox: await memoryOf(stack.sandbox), api: await memoryOf(stack.api) };
  progress(`${label}: egress, processes, worker kill`);
  await checkEgress(stack);
  await checkProcesses(stack);
  const stop = await runDoc('stop', stack.vars, 120_000);
  await assertStoppedGracefully(stack.sandbox, `${label} sandbox`);
  await assertStoppedGracefully(stack.api, `${label} API`);
  const m = (x: { rss: number; usage: number; peak: number } | null, key: 'rss' | 'usage' | 'peak'): string => (x === null ? 'n/a' : mb(x[key]));
  measured.push(
    `${label}: time to ready: sandbox ${seconds(stack.sandboxReadyMs)} (podman run → /readyz 200, workers with warm pools); API ${seconds(stack.apiHealthMs)} to /api/health, ${seconds(stack.apiReadyMs)} to /api/ready`,
    `${label}: memory (cgroup): sandbox idle ${m(idle.sandbox, 'usage')} (RSS ${m(idle.sandbox, 'rss')}), peak ${m(busy.sandbox, 'peak')}; API idle ${m(idle.api, 'usage')} (RSS ${m(idle.api, 'rss')}), peak ${m(busy.api, 'peak')} (peak over a 5,000-row CSV upload, the 8 example charts rendered, 5 previews incl. a timeout and a memory bomb: ${seconds(driveMs)})`,
    `${label}: podman stop (SIGTERM) of both to exit 0: ${seconds(stop.ms)}`,
  );
}
