// What the deploy-manifests suites share: the tools found here, a scratch directory, real secret
// material, the rendered overlays, and each service's own configuration parser run on what its
// container gets.

import { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeySet } from '@plotbox/api';
import { parseConfig, type ApiConfig } from '@plotbox/config';
import { parseSandboxConfig } from '../../services/sandbox/src/config.ts';
import { containerEnvironment, workloadsOf, type K8sObject, type Workload } from './k8s-objects.ts';
import { parseQuantity } from './deploy-policy.ts';
import { REPO, kubectlVersion, kustomize } from './deploy-render.ts';

export const KUBECTL = kubectlVersion();
export const NO_KUBECTL = KUBECTL === null ? 'kubectl (with kustomize) is not installed here' : false;
if (KUBECTL === null) console.log('# deploy-manifests: skipping the kustomize renders and the kubectl commands: kubectl is not installed');
export const HAS_OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
export const HAS_COMPOSE = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
export const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
export const NODE_24 = process.execPath;

/** The secrets the operator creates (docs/operations.md); the manifests may refer to no other. */
export const OPERATOR_SECRETS = new Set(['plotbox-sandbox-token', 'plotbox-jwt-keys', 'plotbox-metrics-token', 'plotbox-secrets-key', 'plotbox-mongodb', 'plotbox-s3', 'plotbox-tls']);
export const API = { 'app.kubernetes.io/name': 'plotbox-api' } as const;
export const SANDBOX = { 'app.kubernetes.io/name': 'plotbox-sandbox' } as const;
/** Where the API may connect: the sandbox, DNS, MongoDB, MinIO and S3 over https. */
export const API_EGRESS = new Set(['TCP/8081', 'UDP/53', 'TCP/53', 'TCP/27017', 'TCP/9000', 'TCP/443']);

/** A scratch directory for this test file, removed when it ends. */
export const scratch = mkdtempSync(join(tmpdir(), 'plotbox-deploy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Real secret material of the right shapes: random tokens, a key set made by k8s/jwt-keys.mjs. */
function makeSecretMaterial(): Map<string, string> {
  const jwt = execFileSync(NODE_24, [join(REPO, 'k8s/jwt-keys.mjs'), 'new'], { encoding: 'utf8' });
  return new Map([
    ['plotbox-sandbox-token/token', `${randomBytes(32).toString('hex')}\n`],
    ['plotbox-metrics-token/token', `${randomBytes(32).toString('hex')}\n`],
    ['plotbox-jwt-keys/jwt-keys.json', jwt],
    ['plotbox-secrets-key/secrets-key.json', execFileSync(NODE_24, [join(REPO, 'k8s/secrets-key.mjs'), 'new'], { encoding: 'utf8' })],
    // secretlint-disable-next-line -- a made-up connection string: the test checks it is parsed and redacted
    ['plotbox-mongodb/uri', 'mongodb://plotbox:not-a-real-password@mongo.example.net:27017/plotbox?authSource=admin\n'],
    ['plotbox-s3/access-key', 'plotbox\n'],
    ['plotbox-s3/secret-key', `${randomBytes(24).toString('hex')}\n`],
  ]);
}
let material: Map<string, string> | undefined;
/** The secret material, made once per test file (on first use). */
export function secretMaterial(): Map<string, string> {
  material ??= makeSecretMaterial();
  return material;
}

/** A readFile for the config parsers that serves exactly the container's secret files, and nothing else. */
export function secretReader(files: ReadonlyMap<string, { readonly secret: string; readonly key: string }>, secrets: ReadonlyMap<string, string>): (path: string) => string {
  return (path) => {
    const f = files.get(path);
    const text = f === undefined ? undefined : secrets.get(`${f.secret}/${f.key}`);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

/**
 * The variables each service reads, from its own configuration source: every name the API's
 * parseConfig and its helpers look up (`secret('X')` also reads X_FILE), every name in the sandbox's KNOWN set.
 * Unknown PLOTBOX_* and SANDBOX_* names are refused by the parsers themselves; this also catches a
 * misspelt MONGODB_*, S3_* or other name, which they would silently ignore.
 */
function acceptedVariables(): { api: Set<string>; sandbox: Set<string> } {
  const configDir = join(REPO, 'packages/config/src');
  const apiSource = readdirSync(configDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(configDir, f), 'utf8'))
    .join('\n');
  const api = new Set<string>();
  for (const m of apiSource.matchAll(/\b(str|secret|int|bool)\('([A-Z0-9_]+)'/g)) {
    api.add(m[2] ?? '');
    if (m[1] === 'secret') api.add(`${m[2] ?? ''}_FILE`);
  }
  const sandboxSource = readFileSync(join(REPO, 'services/sandbox/src/config.ts'), 'utf8');
  const sandbox = new Set([...sandboxSource.matchAll(/'(SANDBOX_[A-Z0-9_]+)'/g)].map((m) => m[1] ?? ''));
  assert.ok(api.has('PLOTBOX_PUBLIC_URL') && api.has('MONGODB_URI_FILE') && sandbox.has('SANDBOX_TOKEN_FILE'), 'the variable lists were found');
  return { api, sandbox };
}
export const ACCEPTED = acceptedVariables();
export const unknownNames = (env: Readonly<Record<string, string>>, accepted: ReadonlySet<string>): string[] => Object.keys(env).filter((k) => !accepted.has(k));

export function workload(objects: readonly K8sObject[], kind: string, name: string): Workload {
  const w = workloadsOf(objects).find((x) => x.object.kind === kind && x.object.metadata.name === name);
  assert.ok(w, `${kind}/${name} is rendered`);
  return w;
}

/** Runs the API's own configuration parser on what the API container gets; returns the parsed config. */
export function apiConfigOf(objects: readonly K8sObject[], secrets: ReadonlyMap<string, string> = secretMaterial()): ApiConfig {
  const e = containerEnvironment(objects, workload(objects, 'Deployment', 'plotbox-api'), 'api');
  assert.deepEqual(e.problems, []);
  assert.deepEqual(unknownNames(e.env, ACCEPTED.api), [], 'every variable is one the API reads');
  const config = parseConfig(e.env, secretReader(e.secretFiles, secrets));
  // The key set must load as the API loads it at start (RSA keys, a signing key).
  loadKeySet(config.jwt.keys);
  return config;
}

/**
 * Runs the sandbox's own configuration parser on what the sandbox container gets, on a large node
 * (64 CPUs) whose cgroup grants exactly the container's CPU and memory limits, as the kubelet sets
 * them: the sandbox sizes its workers and caches from those.
 */
export function sandboxConfigOf(objects: readonly K8sObject[], secrets: ReadonlyMap<string, string> = secretMaterial()): ReturnType<typeof parseSandboxConfig> {
  const w = workload(objects, 'Deployment', 'plotbox-sandbox');
  const e = containerEnvironment(objects, w, 'sandbox');
  assert.deepEqual(e.problems, []);
  assert.deepEqual(unknownNames(e.env, ACCEPTED.sandbox), [], 'every variable is one the sandbox reads');
  const limits = w.spec.containers.find((c) => c.name === 'sandbox')?.resources?.limits;
  const cpu = parseQuantity(limits?.cpu) ?? 0;
  const memory = parseQuantity(limits?.memory) ?? 0;
  return parseSandboxConfig(e.env, secretReader(e.secretFiles, secrets), {
    parallelism: 64,
    cgroup: { cpu: { quotaUs: Math.round(cpu * 100_000), periodUs: 100_000, file: 'cpu.max' }, memory: { bytes: memory, file: 'memory.max' } },
  });
}

export const OVERLAYS = ['base', 'overlays/dev', 'overlays/prod', 'overlays/gvisor'] as const;
export const rendered = new Map<string, K8sObject[]>();
export function objectsOf(name: string): K8sObject[] {
  const objects = rendered.get(name);
  assert.ok(objects, `${name} was rendered`);
  return objects;
}

/** Builds a kustomization in the scratch directory next to symlinks of the repository's overlays and components. */
export function scratchOverlay(name: string, kustomization: string): string {
  const root = join(scratch, 'k8s');
  mkdirSync(join(root, 'overlays'), { recursive: true });
  for (const [link, target] of [
    ['overlays/prod', 'k8s/overlays/prod'],
    ['overlays/gvisor', 'k8s/overlays/gvisor'],
    ['overlays/dev', 'k8s/overlays/dev'],
    ['components', 'k8s/components'],
    ['base', 'k8s/base'],
  ] as const) {
    try {
      symlinkSync(join(REPO, target), join(root, link));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const dir = join(root, 'overlays', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'kustomization.yaml'), kustomization);
  return dir;
}

/** The rendered overlay, rendering it if the overlay suite has not (each suite may run alone). */
export function objectsOfOrRender(name: string): K8sObject[] {
  if (!rendered.has(name)) rendered.set(name, kustomize(join(REPO, 'k8s', name)));
  return objectsOf(name);
}
