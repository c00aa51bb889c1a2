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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { Client } from './helpers/api.ts';
import { hasCommand, mustRun, tryFetch, waitFor } from './helpers/containers.ts';
import { ROOT, VERSION, IMAGE, ID, UID, runsc, work, created, measured, progress, seconds, podman, mustPodman, skipped, runDoc, useBuiltImage } from './helpers/container-harness.ts';
import { writeSecret, withLogs, json, exerciseStack } from './helpers/container-stack.ts';

useBuiltImage();

test('the image: tini as entrypoint, user 10001, root-owned read-only files, production dependencies only, no npm or tests', { timeout: 5 * 60_000 }, async (t) => {
  if (skipped(t)) return;
  const [inspect] = JSON.parse((await mustPodman(['image', 'inspect', IMAGE])).stdout) as {
    Config: { User: string; Entrypoint: string[]; Cmd: string[]; Env: string[]; ExposedPorts?: Record<string, unknown> };
  }[];
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
  assert.deepEqual(
    lines.filter((l) => l.startsWith('tool ')),
    [],
    'no package managers, compilers or fetchers',
  );
  // The data directory's mount point is the one path the user owns (a fresh volume inherits it).
  assert.deepEqual(
    lines
      .filter((l) => l.startsWith('writable-or-not-root '))
      .map((l) => l.slice(21))
      .filter((p) => !['/tmp', '/var/tmp', '/run/lock', '/var/lock', '/var/lib/plotbox'].includes(p)),
    [],
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith('test-file ')),
    [],
    'no tests',
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith('present ')),
    [],
    'no dev dependencies, UI sources, npm or npm cache',
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith('missing ')),
    [],
    'the bundles, the figure schema, tini and the dispatcher',
  );
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
  assert.deepEqual(
    seen,
    ['.dockerignore', 'deploy/entrypoint.sh', 'package-lock.json', 'package.json', 'packages/p/package.json', 'packages/p/src/a.ts', 'scripts/postinstall.mjs', 'services/api/src/main.ts'].sort(),
  );
});

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
    const r = await podman(
      [
        ...opts.split(' '),
        'run',
        '--rm',
        '--name',
        probe,
        '--network',
        'none',
        '--read-only',
        '--user',
        `${UID}:${UID}`,
        '--cap-drop=ALL',
        '--entrypoint',
        'node',
        IMAGE,
        '-e',
        "console.log(require('node:fs').readFileSync('/proc/version','utf8'))",
      ],
      { timeoutMs: 120_000 },
    );
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
    const spec = deployment.spec as { replicas?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
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
          content[item.path] =
            rendered?.[item.key] ?? secretFile(secret.secretName, item.key) ?? assert.fail(`docs/operations.md's "secrets" block makes no file for ${secret.secretName}/${item.key}`);
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
    const aliases = services.filter((svc) => Object.entries((svc.spec as { selector?: Record<string, string> }).selector ?? {}).every(([k, v]) => labels[k] === v)).map((svc) => svc.metadata.name);
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
    const readyMs = await withLogs(
      container,
      waitFor(`${name} ready (kube play)`, 120_000, async () => ((await tryFetch(`http://${ip}${probePath}`))?.status === 200 ? performance.now() - started : undefined)),
    );
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
