// The real container image, built with podman from deploy/Dockerfile on a base image made here
// (deploy/base-image/make-base.sh: Debian minbase + Node 24), then run the way the manifests run
// it: user 10001, read-only root file system, every capability dropped, no new privileges, /tmp a
// tmpfs, secrets as read-only files, the sandbox on an internal network with no route out and no
// DNS, the API on that network and a normal one with a port published on 127.0.0.1. Then, as a
// user over HTTP: health and ready, the first admin through the image's CLI, sign-in, a CSV
// dataset, the eight example charts rendered, hostile snippets answered with their typed errors;
// the sandbox cannot open a connection out; tini is PID 1 and reaps orphans; a killed worker is
// replaced; SIGTERM stops both containers with exit code 0. The same again with the sandbox under
// gVisor (runsc), and the rendered dev overlay with `podman kube play`.
//
// The build and run commands are docs/operations.md's own ("Containers": the blocks marked
// `<!-- test:deploy-containers NAME -->`), run verbatim with the test's names.
//
// Needs root and Debian (it apt-installs podman, runc, debootstrap and runsc when missing);
// otherwise it skips with the reason. Prints `# deploy-containers:` progress lines and, at the
// end, what it measured (image size, build time, time to ready, memory).
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { columnToArray, generateSales } from '@plotbox/datasets';
import { EXAMPLE_CHARTS } from '@plotbox/sandbox-runtime';
import { Client } from './helpers/api.ts';
import { PS_SCRIPT, cgroupMemory, ensureHostPackages, hasCommand, mb, mustRun, run, tryFetch, waitFor, writeContainersConf, type Proc, type RunOptions, type RunResult } from './helpers/containers.ts';

const ROOT = resolve(import.meta.dirname, '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** The image name and tag every deploy file and doc uses (never :latest). */
const IMAGE = `localhost/plotbox:${VERSION}`;
const ID = `pbxt${process.pid}`;
const UID = 10001;

let skipReason: string | null = null;
let runsc: string | null = null;
let work = '';
let podmanEnv: NodeJS.ProcessEnv = process.env;
const created = { pods: new Set<string>(), containers: new Set<string>(), volumes: new Set<string>(), networks: new Set<string>(), images: new Set<string>(), pauseImage: false };
const measured: string[] = [];

function progress(line: string): void {
  console.log(`# deploy-containers: ${line}`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function podman(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('podman', args, { ...opts, env: podmanEnv, cwd: opts.cwd ?? ROOT });
}

function mustPodman(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return mustRun('podman', args, { ...opts, env: podmanEnv, cwd: opts.cwd ?? ROOT });
}

function skipped(t: TestContext): boolean {
  if (skipReason === null) return false;
  t.skip(skipReason);
  return true;
}

const OPERATIONS = join(ROOT, 'docs/operations.md');

/**
 * The shell block docs/operations.md marks `<!-- test:deploy-containers NAME -->`: the test runs the
 * documented commands themselves, with its own values for the variables the docs set up front.
 */
function docBlock(name: string): string {
  const text = readFileSync(OPERATIONS, 'utf8');
  const marker = `<!-- test:deploy-containers ${name} -->`;
  const at = text.indexOf(marker);
  assert.ok(at !== -1, `docs/operations.md has the block ${marker}`);
  const m = /^\s*```sh\n([\s\S]*?)\n```/u.exec(text.slice(at + marker.length));
  assert.ok(m?.[1] !== undefined, `a sh code block follows ${marker}`);
  return m[1];
}

/** Runs a documented block with bash (-euo pipefail) from the repository root; throws unless it exits 0. */
async function runDoc(name: string, vars: Record<string, string>, timeoutMs = 10 * 60_000): Promise<RunResult> {
  const r = await run('bash', ['-euo', 'pipefail', '-c', docBlock(name)], { env: { ...podmanEnv, ...vars }, cwd: ROOT, timeoutMs });
  if (r.code !== 0) throw new Error(`docs/operations.md block "${name}" exited with ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-3000)}`);
  return r;
}

/** Extra CA certificates the host's Node trusts (a TLS-intercepting proxy), for npm ci in the build. */
function caBundle(): string | null {
  for (const f of [process.env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt']) {
    if (f !== undefined && f !== '' && existsSync(f)) return f;
  }
  return null;
}

before(
  async () => {
    const host = await ensureHostPackages(progress);
    if (host.skip !== null) {
      skipReason = host.skip;
      progress(`skipped: ${skipReason}`);
      return;
    }
    runsc = host.runsc;
    work = mkdtempSync('/var/tmp/plotbox-deploy-test-');
    chmodSync(work, 0o755);
    podmanEnv = { ...process.env, CONTAINERS_CONF: writeContainersConf(work) };
    const info = await podman(['info', '--format', '{{.Host.CgroupsVersion}} {{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}} {{.Host.NetworkBackend}}']);
    if (info.code !== 0) {
      skipReason = `podman does not work here: ${info.stderr.trim().split('\n').slice(-1).join('')}`;
      progress(`skipped: ${skipReason}`);
      return;
    }
    const [cgroups, runtime, driver, network] = info.stdout.trim().split(' ');
    progress(`podman: cgroups ${cgroups}, runtime ${runtime}, storage ${driver}, network ${network}`);

    progress('making the base image (deploy/base-image/make-base.sh; reused when it exists)');
    const base = await runDoc('make-base', {}, 15 * 60_000);
    const baseImage = base.stdout.trim().split('\n').at(-1) ?? '';
    assert.match(baseImage, /^localhost\/plotbox-base:/u);
    const baseSize = Number((await mustPodman(['image', 'inspect', '--format', '{{.Size}}', baseImage])).stdout.trim());
    measured.push(`base image ${baseImage}: ${mb(baseSize)} (${base.stdout.includes('exists') ? 'reused' : `made in ${seconds(base.ms)}`})`);
    progress(`base image ${baseImage} (${seconds(base.ms)})`);

    // An image of this version built earlier (by hand, from the docs) is replaced, not deleted.
    const earlier = await podman(['image', 'inspect', '--format', '{{.Id}}', IMAGE]);
    progress(`building ${IMAGE} from deploy/Dockerfile${earlier.code === 0 ? ' (replacing the one built earlier, which is kept under that tag afterwards)' : ''}`);
    // BUILDAH_LAYERS=false: no intermediate images left behind (operators keep the layer cache).
    const build = await runDoc('build-local', { IMAGE, BASE: baseImage, NPM_CA: caBundle() ?? '', BUILDAH_LAYERS: 'false' }, 20 * 60_000);
    if (earlier.code === 0) {
      // The earlier image lost its tag to the new one: remove it unless something else uses it.
      await podman(['rmi', earlier.stdout.trim()]);
    } else {
      created.images.add(IMAGE);
    }
    const size = Number((await mustPodman(['image', 'inspect', '--format', '{{.Size}}', IMAGE])).stdout.trim());
    measured.push(`image ${IMAGE}: ${mb(size)}, built in ${seconds(build.ms)} (${mb(size - baseSize)} above the base)`);
    progress(`built ${IMAGE}: ${mb(size)} in ${seconds(build.ms)}`);
  },
  { timeout: 40 * 60_000 },
);

after(
  async () => {
    if (work === '') return;
    for (const p of created.pods) await podman(['pod', 'rm', '-f', '-t', '0', p]);
    for (const c of created.containers) await podman(['rm', '-f', '-t', '0', c]);
    for (const v of created.volumes) await podman(['volume', 'rm', '-f', v]);
    for (const n of created.networks) await podman(['network', 'rm', '-f', n]);
    for (const i of created.images) await podman(['rmi', '-f', i]);
    if (created.pauseImage) {
      const pause = (await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=localhost/podman-pause'])).stdout.trim().split('\n');
      for (const i of pause.filter((x) => x !== '')) await podman(['rmi', i]);
    }
    rmSync(work, { recursive: true, force: true });
    for (const line of measured) progress(`measured: ${line}`);
  },
  { timeout: 5 * 60_000 },
);

// ---------------------------------------------------------------------------------------------

test('the image: tini as entrypoint, user 10001, root-owned read-only files, production dependencies only, no npm or tests', { timeout: 5 * 60_000 }, async (t) => {
  if (skipped(t)) return;
  const [inspect] = JSON.parse((await mustPodman(['image', 'inspect', IMAGE])).stdout) as { Config: { User: string; Entrypoint: string[]; Cmd: string[]; Env: string[]; ExposedPorts?: Record<string, unknown> } }[];
  assert.ok(inspect);
  assert.equal(inspect.Config.User, `${UID}:${UID}`);
  assert.deepEqual(inspect.Config.Entrypoint, ['/usr/bin/tini', '--', '/usr/local/bin/plotbox']);
  assert.deepEqual(inspect.Config.Cmd, ['api']);
  for (const e of ['NODE_ENV=production', 'PLOTBOX_HOST=0.0.0.0', 'PLOTBOX_PORT=8080', 'PLOTBOX_DATA_DIR=/var/lib/plotbox', 'SANDBOX_HOST=0.0.0.0', 'SANDBOX_PORT=8081']) {
    assert.ok(inspect.Config.Env.includes(e), `image env has ${e}`);
  }
  assert.deepEqual(Object.keys(inspect.Config.ExposedPorts ?? {}).sort(), ['8080/tcp', '8081/tcp']);

  // Inside, as the image's user: what is there, and what that user could write to.
  const probe = `
set -u
for tool in npm npx corepack yarn gcc cc c++ make python3 git curl wget; do command -v "$tool" >/dev/null 2>&1 && echo "tool $tool"; done
find / -xdev \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o \\( -writable -o ! -user 0 \\) -print 2>/dev/null | sed 's/^/writable-or-not-root /'
find /app -name '*.test.ts' | sed 's/^/test-file /'
for p in /app/node_modules/plotly.js-dist /app/node_modules/typescript /app/node_modules/eslint /app/node_modules/node /app/node_modules/playwright-core /app/services/api/web/src /app/test /root/.npm /usr/local/lib/node_modules/npm; do [ -e "$p" ] && echo "present $p"; done
for p in /app/packages/sandbox-runtime/dist/runtime.js /app/services/api/web/dist/index.html /app/services/api/web/dist/app.js /app/packages/figure/src/plotly-schema.json /usr/bin/tini /usr/local/bin/plotbox; do [ -s "$p" ] || echo "missing $p"; done
echo "node $(node -p process.versions.node)"
`;
  const r = await mustPodman(['run', '--rm', '--user', `${UID}:${UID}`, '--entrypoint', 'sh', IMAGE, '-c', probe]);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.filter((l) => l.startsWith('tool ')), [], 'no package managers, compilers or fetchers');
  // The data directory's mount point is the one path the user owns (a fresh volume inherits it).
  assert.deepEqual(lines.filter((l) => l.startsWith('writable-or-not-root ')).map((l) => l.slice(21)).filter((p) => !['/tmp', '/var/tmp', '/run/lock', '/var/lock', '/var/lib/plotbox'].includes(p)), []);
  assert.deepEqual(lines.filter((l) => l.startsWith('test-file ')), [], 'no tests');
  assert.deepEqual(lines.filter((l) => l.startsWith('present ')), [], 'no dev dependencies, UI sources, npm or npm cache');
  assert.deepEqual(lines.filter((l) => l.startsWith('missing ')), [], 'the bundles, the figure schema, tini and the dispatcher');
  assert.match(lines.find((l) => l.startsWith('node ')) ?? '', /^node 24\./u);

  // The dispatcher: unknown commands and stray arguments are refused; the CLI answers.
  const unknown = await podman(['run', '--rm', IMAGE, 'serve']);
  assert.equal(unknown.code, 64, unknown.stderr);
  assert.match(unknown.stderr, /unknown command: serve/u);
  const stray = await podman(['run', '--rm', IMAGE, 'sandbox', '--port', '1']);
  assert.equal(stray.code, 64, stray.stderr);
  const help = await podman(['run', '--rm', IMAGE, 'cli', '--help']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /plotbox init --email/u);
});

test('the build context (.dockerignore at the repository root) leaves out .data, node_modules, build output and test results', { timeout: 5 * 60_000 }, async (t) => {
  if (skipped(t)) return;
  assert.ok(!existsSync(join(ROOT, 'deploy/.dockerignore')), 'no ignore file beside the Dockerfile (no builder reads it there)');
  // A context shaped like a used checkout, with the repository's own ignore file.
  const ctx = join(work, 'context');
  const files = [
    '.data/sandbox-token',
    '.data/keys/jwt-keys.json',
    '.data/plotbox.db',
    'node_modules/left-pad/index.js',
    'packages/p/node_modules/dep/index.js',
    'packages/p/dist/runtime.js',
    'services/api/web/dist/app.js',
    'packages/p/src/a.test.ts',
    'test-results/web-ui.png',
    'bench/results/run.json',
    '.tsbuild/x.tsbuildinfo',
    '.git/HEAD',
    '.env',
    'packages/p/src/a.ts',
    'packages/p/package.json',
    'services/api/src/main.ts',
    'scripts/postinstall.mjs',
    'deploy/entrypoint.sh',
    'deploy/secrets/sandbox-token',
    'deploy/secrets/jwt-keys.json',
    'deploy/compose.yaml',
    'deploy/base-image/make-base.sh',
    'package.json',
    'package-lock.json',
  ];
  for (const f of files) {
    mkdirSync(dirname(join(ctx, f)), { recursive: true });
    writeFileSync(join(ctx, f), 'x\n');
  }
  writeFileSync(join(ctx, '.dockerignore'), readFileSync(join(ROOT, '.dockerignore')));
  writeFileSync(join(work, 'context.Dockerfile'), `FROM ${IMAGE}\nUSER 0\nCOPY . /ctx\nRUN find /ctx -type f | sed 's|^/ctx/|CTX |'\n`);
  const tag = `localhost/${ID}-context-probe`;
  created.images.add(tag);
  const r = await mustPodman(['build', '--layers=false', '-f', join(work, 'context.Dockerfile'), '-t', tag, ctx]);
  await podman(['rmi', '-f', tag]);
  const seen = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('CTX '))
    .map((l) => l.slice(4))
    .sort();
  assert.deepEqual(seen, ['.dockerignore', 'deploy/entrypoint.sh', 'package-lock.json', 'package.json', 'packages/p/package.json', 'packages/p/src/a.ts', 'scripts/postinstall.mjs', 'services/api/src/main.ts'].sort());
});

// ---------------------------------------------------------------------------------------------

interface Stack {
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
function writeSecret(dir: string, name: string, files: Record<string, string>): string {
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
async function withLogs<T>(container: string, promise: Promise<T>): Promise<T> {
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
  const apiHealthMs = await withLogs(api, waitFor(`${label} API /api/health`, 120_000, async () => ((await tryFetch(`${url}/api/health`))?.status === 200 ? performance.now() - apiStart : undefined)));
  const apiReadyMs = await withLogs(api, waitFor(`${label} API /api/ready`, 120_000, async () => ((await tryFetch(`${url}/api/ready`))?.status === 200 ? performance.now() - apiStart : undefined)));
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

async function json<T>(res: Response, status: number): Promise<T> {
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
  const targets: [string, number][] = [['1.1.1.1', 53], ['8.8.8.8', 443]];
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
  const after = await waitFor('a replacement worker', 30_000, async () => {
    const ps = await processes(stack.sandbox);
    const w = workers(ps);
    return w.length === 2 && !w.some((p) => p.pid === victim.pid) ? ps : undefined;
  }, 250);
  assert.deepEqual(after.filter((p) => p.state === 'Z'), [], 'no zombies');
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

async function exerciseStack(label: string, sandboxPodmanOpts = ''): Promise<void> {
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

test('API and sandbox as the manifests run them (runc): ready, admin, sign-in, CSV, eight charts, hostile snippets, no egress, tini reaps, SIGTERM', { timeout: 10 * 60_000 }, async (t) => {
  if (skipped(t)) return;
  await exerciseStack('runc');
});

test('the same with the sandbox under gVisor (runsc)', { timeout: 10 * 60_000 }, async (t) => {
  if (skipped(t)) return;
  if (runsc === null) {
    const reason = 'runsc (gVisor) is not installable from this Debian release';
    progress(`gVisor skipped: ${reason}`);
    t.skip(reason);
    return;
  }
  // runsc's own network stack cannot be set up inside the network namespace podman 4.3 hands it
  // ("cannot run with network enabled in root network namespace"); network=host makes gVisor use
  // that namespace's interfaces (the internal network, as the egress check shows) instead.
  const attempts = [`--runtime ${runsc}`, `--runtime ${runsc} --runtime-flag network=host`];
  let last = '';
  for (const opts of attempts) {
    const probe = `${ID}-runsc-probe`;
    created.containers.add(probe);
    const r = await podman([...opts.split(' '), 'run', '--rm', '--name', probe, '--network', 'none', '--read-only', '--user', `${UID}:${UID}`, '--cap-drop=ALL', '--entrypoint', 'node', IMAGE, '-e', "console.log(require('node:fs').readFileSync('/proc/version','utf8'))"], { timeoutMs: 120_000 });
    if (r.code === 0) {
      progress(`gVisor: podman ${opts}: ${r.stdout.trim()}`);
      await exerciseStack('gvisor', opts);
      return;
    }
    last = `${opts}: ${r.stderr.trim().split('\n').slice(-1).join('')}`;
    progress(`gVisor: runsc with ${last}`);
  }
  const reason = `runsc cannot run containers here (${last})`;
  progress(`gVisor skipped: ${reason}`);
  t.skip(reason);
});

// ---------------------------------------------------------------------------------------------

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface PodSpec {
  containers: { name: string; image: string; envFrom?: { configMapRef?: { name: string } }[]; env?: { name: string; valueFrom?: { configMapKeyRef?: { name: string } } }[] }[];
  volumes?: Record<string, unknown>[];
}

/** The kinds `podman kube play` (4.3) creates; the rest are cluster objects it has no use for. */
const PLAYED = new Set(['Deployment', 'ConfigMap', 'PersistentVolumeClaim']);

test('podman kube play of the rendered dev overlay: both pods come up, are ready, and render a chart', { timeout: 10 * 60_000 }, async (t) => {
  if (skipped(t)) return;
  if (!hasCommand('kubectl')) {
    t.skip('kubectl (for kustomize) is not installed');
    return;
  }
  const rendered = await mustRun('kubectl', ['kustomize', join(ROOT, 'k8s/overlays/dev')]);
  const objects = parseAllDocuments(rendered.stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  assert.deepEqual(deployments.map((o) => o.metadata.name).sort(), ['plotbox-api', 'plotbox-sandbox']);
  const dropped = [...new Set(objects.filter((o) => !PLAYED.has(o.kind) && o.kind !== 'Secret').map((o) => o.kind))].sort();
  progress(`kube play: playing ${[...PLAYED].join(', ')}; not played (cluster objects): ${dropped.join(', ')}; Services become network aliases, NetworkPolicies an internal network, Secrets files`);

  // Secrets as the operator would create them; podman 4.3's secret volumes cannot hold them (it
  // writes `data` undecoded and panics without `optional`), so they become hostPath directories.
  // The secret files the docs make for podman: `<SECRETS>/<part>/<key>`, e.g. sandbox/token for the
  // secret plotbox-sandbox-token's key `token` (the secret's name contains the part's name).
  const made = join(work, 'kube-made');
  await runDoc('secrets', { SECRETS: made });
  const file = (f: string): string => readFileSync(join(made, f), 'utf8');
  const parts = readdirSync(made, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => b.length - a.length);
  const secretFile = (secretName: string, key: string): string | undefined => {
    const part = parts.find((p) => secretName.includes(p) && existsSync(join(made, p, key)));
    return part === undefined ? undefined : file(join(part, key));
  };
  const secretFiles: Record<string, Record<string, string>> = {};
  // Secrets the overlay renders itself (a generator) win over the ones made here.
  for (const o of objects.filter((x) => x.kind === 'Secret')) {
    const sec = o as K8sObject & { stringData?: Record<string, string> };
    secretFiles[o.metadata.name] = {
      ...Object.fromEntries(Object.entries(sec.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
      ...sec.stringData,
    };
  }
  const secretsDir = join(work, 'kube-secrets');
  // What podman makes for pods on first use (its default kube network, the pause image) goes too,
  // unless it was there before.
  if ((await podman(['network', 'exists', 'podman-default-kube-network'])).code !== 0) created.networks.add('podman-default-kube-network');
  const pause = (await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=localhost/podman-pause'])).stdout.trim();
  if (pause === '') created.pauseImage = true;
  const net = `${ID}-kube`;
  await mustPodman(['network', 'create', '--internal', net]);
  created.networks.add(net);
  const services = objects.filter((o) => o.kind === 'Service');
  const byName = new Map(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  const pods: Record<string, { ip: string; container: string }> = {};

  // The sandbox first (the API's readiness needs it), each Deployment played on its own so that
  // its Service's name can be its network alias.
  for (const name of ['plotbox-sandbox', 'plotbox-api']) {
    const found = byName.get(`Deployment/${name}`);
    assert.ok(found);
    const deployment = structuredClone(found);
    const spec = (deployment.spec as { replicas?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } });
    const pod = spec.template.spec;
    for (const c of pod.containers) assert.equal(c.image, `plotbox:${VERSION}`, `${name}/${c.name} uses the image the test built (kustomize images:)`);
    spec.replicas = 1;
    deployment.metadata.name = `${ID}-${name}`;
    delete deployment.metadata.namespace;
    const extra: K8sObject[] = [];
    for (const v of pod.volumes ?? []) {
      const secret = v.secret as { secretName: string; items?: { key: string; path: string }[] } | undefined;
      if (secret !== undefined) {
        const rendered = secretFiles[secret.secretName];
        const content: Record<string, string> = {};
        const items = secret.items ?? (rendered === undefined ? [] : Object.keys(rendered).map((key) => ({ key, path: key })));
        assert.ok(items.length > 0, `the secret volume ${secret.secretName} lists its keys`);
        for (const item of items) {
          content[item.path] = rendered?.[item.key] ?? secretFile(secret.secretName, item.key) ?? assert.fail(`docs/operations.md's "secrets" block makes no file for ${secret.secretName}/${item.key}`);
        }
        const dir = writeSecret(secretsDir, `${name}-${String(v.name)}`, content);
        delete v.secret;
        v.hostPath = { path: dir, type: 'Directory' };
      }
      const claim = v.persistentVolumeClaim as { claimName: string } | undefined;
      if (claim !== undefined) {
        const found = byName.get(`PersistentVolumeClaim/${claim.claimName}`);
        assert.ok(found, `the overlay has the PersistentVolumeClaim ${claim.claimName}`);
        const pvc = structuredClone(found);
        claim.claimName = `${ID}-${claim.claimName}`;
        pvc.metadata.name = claim.claimName;
        delete pvc.metadata.namespace;
        created.volumes.add(claim.claimName);
        extra.push(pvc);
      }
    }
    for (const c of pod.containers) {
      const refs = [...(c.envFrom ?? []).map((e) => e.configMapRef?.name), ...(c.env ?? []).map((e) => e.valueFrom?.configMapKeyRef?.name)].filter((n): n is string => n !== undefined);
      for (const ref of new Set(refs)) {
        const found = byName.get(`ConfigMap/${ref}`);
        assert.ok(found, `the overlay has the ConfigMap ${ref}`);
        const cm = structuredClone(found);
        delete cm.metadata.namespace;
        extra.push(cm);
      }
    }
    const labels = spec.template.metadata.labels;
    const aliases = services
      .filter((svc) => Object.entries((svc.spec as { selector?: Record<string, string> }).selector ?? {}).every(([k, v]) => labels[k] === v))
      .map((svc) => svc.metadata.name);
    assert.ok(aliases.length > 0, `a Service selects ${name}`);
    const file = join(work, `kube-${name}.yaml`);
    writeFileSync(file, [...extra, deployment].map((o) => stringify(o)).join('---\n'));
    const podName = `${ID}-${name}-pod-0`;
    created.pods.add(podName);
    const started = performance.now();
    await mustPodman(['kube', 'play', '--network', `${net}:${aliases.map((a) => `alias=${a}`).join(',')}`, file], { timeoutMs: 120_000 });
    const container = `${podName}-${pod.containers[0]!.name}`;
    const ip = (await mustPodman(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, container])).stdout.trim();
    const probePath = name === 'plotbox-sandbox' ? ':8081/readyz' : ':8080/api/ready';
    const readyMs = await withLogs(container, waitFor(`${name} ready (kube play)`, 120_000, async () => ((await tryFetch(`http://${ip}${probePath}`))?.status === 200 ? performance.now() - started : undefined)));
    const [user, readOnly] = (await mustPodman(['inspect', '--format', '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}', container])).stdout.trim().split(' ');
    assert.equal(readOnly, 'true', `${name}: read-only root file system`);
    assert.match(user ?? '', /^10001(:10001)?$/u, `${name}: runs as 10001`);
    progress(`kube play: ${name} ready in ${seconds(readyMs)} (pod ${podName}, ${ip}, aliases ${aliases.join(',')})`);
    measured.push(`kube play (dev overlay): ${name} ready ${seconds(readyMs)} after podman kube play`);
    pods[name] = { ip, container };
  }

  // The dev overlay seeds the demo project; the admin comes from the CLI; one of its charts renders.
  const api = pods['plotbox-api']!;
  const url = `http://${api.ip}:8080`;
  const password = file('admin-password').trim();
  const init = await podman(['exec', '-i', api.container, 'plotbox', 'cli', 'init', '--email', 'admin@example.com', '--password-stdin'], { input: `${password}\n` });
  assert.equal(init.code, 0, init.stderr);
  const admin = new Client(url);
  await json(await admin.login('admin@example.com', password), 200);
  const projects = await json<{ items: { id: string; name: string }[] }>(await admin.req('GET', '/api/projects'), 200);
  const demo = projects.items.find((p) => p.name === 'Demo: sales');
  assert.ok(demo, `the dev overlay seeds the demo project: ${JSON.stringify(projects.items)}`);
  const dashboards = await json<{ items: { id: string }[] }>(await admin.req('GET', `/api/projects/${demo.id}/dashboards`), 200);
  const dash = dashboards.items[0];
  assert.ok(dash);
  const charts = await json<{ items: { id: string }[] }>(await admin.req('GET', `/api/projects/${demo.id}/dashboards/${dash.id}/charts`), 200);
  assert.ok(charts.items.length > 0);
  const figure = await json<{ figure: { data: unknown[] } }>(await admin.req('POST', `/api/projects/${demo.id}/dashboards/${dash.id}/charts/${charts.items[0]!.id}/render`, {}), 200);
  assert.ok(figure.figure.data.length > 0);

  for (const name of ['plotbox-api', 'plotbox-sandbox']) {
    const r = await mustPodman(['kube', 'down', join(work, `kube-${name}.yaml`)], { timeoutMs: 120_000 });
    progress(`kube play: ${name} down in ${seconds(r.ms)}`);
  }
});
