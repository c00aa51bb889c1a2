// The deployment files, proven rather than hoped: every kustomize overlay rendered by kubectl and
// validated against the Kubernetes API schemas, policy checks on what it renders, the API's and the
// sandbox's own configuration parsers run on exactly what each pod would get, the compose file
// validated against the compose specification, and every command of docs/operations.md's
// Kubernetes and compose sections run as written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadKeySet } from '@plotbox/api';
import { createTokenService } from '@plotbox/auth';
import { parseConfig, type ApiConfig } from '@plotbox/config';
import { parseSandboxConfig } from '../services/sandbox/src/config.ts';
import {
  MANIFEST_CHECKS,
  checkComposeHardening,
  checkComposeIsolated,
  checkDisruptionBudgets,
  checkDispatcherArgs,
  checkEmptyDirsBounded,
  checkIngressMatchesPublicUrl,
  checkNamespaced,
  checkNamespacesRestricted,
  checkNetworkPolicyCoverage,
  checkNoEgress,
  checkNoInlineSecrets,
  checkNoServiceLinks,
  checkPinnedImages,
  checkProbesAndResources,
  checkReadOnlyRootFilesystem,
  checkRecommendedLabels,
  checkReferences,
  checkRestrictedPodSecurity,
  checkServiceAccounts,
  composeEnvironment,
  containerEnvironment,
  egressPorts,
  interpolate,
  parseQuantity,
  selects,
  workloadsOf,
  type ComposeFile,
  type K8sObject,
  type Workload,
} from './helpers/deploy-policy.ts';
import { REPO, findUnknownFields, kubectlVersion, kustomize, lintCompose, parseObjects, validateAgainstSchemas, validateComposeSchema } from './helpers/deploy-render.ts';
import { commandLines, runCommands, sectionBlocks, writeUnreachableKubeconfig, type CommandResult } from './helpers/deploy-docs.ts';

const KUBECTL = kubectlVersion();
const NO_KUBECTL = KUBECTL === null ? 'kubectl (with kustomize) is not installed here' : false;
if (KUBECTL === null) console.log('# deploy-manifests: skipping the kustomize renders and the kubectl commands: kubectl is not installed');
const HAS_OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const HAS_COMPOSE = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const NODE_24 = process.execPath;

/** The secrets the operator creates (docs/operations.md); the manifests may refer to no other. */
const OPERATOR_SECRETS = new Set(['plotbox-sandbox-token', 'plotbox-jwt-keys', 'plotbox-metrics-token', 'plotbox-secrets-key', 'plotbox-mongodb', 'plotbox-s3', 'plotbox-tls']);
const API = { 'app.kubernetes.io/name': 'plotbox-api' } as const;
const SANDBOX = { 'app.kubernetes.io/name': 'plotbox-sandbox' } as const;
/** Where the API may connect: the sandbox, DNS, MongoDB, MinIO and S3 over https. */
const API_EGRESS = new Set(['TCP/8081', 'UDP/53', 'TCP/53', 'TCP/27017', 'TCP/9000', 'TCP/443']);

const scratch = mkdtempSync(join(tmpdir(), 'plotbox-deploy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// ------------------------------------------------------------------------------ secret material

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
let material: Map<string, string>;
before(() => {
  material = makeSecretMaterial();
});

/** A readFile for the config parsers that serves exactly the container's secret files, and nothing else. */
function secretReader(files: ReadonlyMap<string, { readonly secret: string; readonly key: string }>, secrets: ReadonlyMap<string, string>): (path: string) => string {
  return (path) => {
    const f = files.get(path);
    const text = f === undefined ? undefined : secrets.get(`${f.secret}/${f.key}`);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

/**
 * The variables each service reads, from its own configuration source: every name the API's
 * parseConfig looks up (`secret('X')` also reads X_FILE), every name in the sandbox's KNOWN set.
 * Unknown PLOTBOX_* and SANDBOX_* names are refused by the parsers themselves; this also catches a
 * misspelt MONGODB_*, S3_* or other name, which they would silently ignore.
 */
function acceptedVariables(): { api: Set<string>; sandbox: Set<string> } {
  const apiSource = readFileSync(join(REPO, 'packages/config/src/parse-config.ts'), 'utf8');
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
const ACCEPTED = acceptedVariables();
const unknownNames = (env: Readonly<Record<string, string>>, accepted: ReadonlySet<string>): string[] => Object.keys(env).filter((k) => !accepted.has(k));

function workload(objects: readonly K8sObject[], kind: string, name: string): Workload {
  const w = workloadsOf(objects).find((x) => x.object.kind === kind && x.object.metadata.name === name);
  assert.ok(w, `${kind}/${name} is rendered`);
  return w;
}

/** Runs the API's own configuration parser on what the API container gets; returns the parsed config. */
function apiConfigOf(objects: readonly K8sObject[], secrets: ReadonlyMap<string, string> = material): ApiConfig {
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
function sandboxConfigOf(objects: readonly K8sObject[], secrets: ReadonlyMap<string, string> = material): ReturnType<typeof parseSandboxConfig> {
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

// ------------------------------------------------------------------------------ policy checks, unit

/** A small, fully compliant set of objects; each unit test breaks one thing in a copy. */
function goodObjects(): K8sObject[] {
  const labels = { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'plotbox', 'app.kubernetes.io/component': 'api' };
  const meta = (name: string): { name: string; namespace: string; labels: typeof labels } => ({ name, namespace: 'ns', labels });
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'ns',
        labels: {
          'app.kubernetes.io/part-of': 'plotbox',
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('web'), automountServiceAccountToken: false },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('web-config'), data: { PLOTBOX_PORT: '8080' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web'),
      spec: {
        replicas: 2,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'web',
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'web',
                image: 'plotbox:1.2.3',
                imagePullPolicy: 'IfNotPresent',
                args: ['api'],
                envFrom: [{ configMapRef: { name: 'web-config' } }],
                env: [{ name: 'SANDBOX_TOKEN_FILE', value: '/var/run/secrets/plotbox/sandbox/token' }],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/api/ready', port: 'http' } },
                livenessProbe: { httpGet: { path: '/api/health', port: 'http' } },
                resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'token', mountPath: '/var/run/secrets/plotbox/sandbox', readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
              { name: 'token', secret: { secretName: 'plotbox-sandbox-token', items: [{ key: 'token', path: 'token' }] } },
            ],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec: { selector: { 'app.kubernetes.io/name': 'web' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'ns', labels }, spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web', namespace: 'ns', labels },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{ ports: [{ port: 8080 }] }], egress: [] },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta('web'),
      spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } },
    },
  ];
}

/** Fixture edits reach deep into untyped objects on purpose: each breaks one field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fixture = any;

/** A deep copy of the good objects with one edit applied to the object of that kind. */
function broken(kind: string, edit: (o: Fixture) => void, base: K8sObject[] = goodObjects()): K8sObject[] {
  const copy = structuredClone(base);
  const target = copy.find((o) => o.kind === kind);
  assert.ok(target, `a ${kind} to break`);
  edit(target as Fixture);
  return copy;
}
const container = (o: Fixture): Fixture => o.spec.template.spec.containers[0];
const podSpec = (o: Fixture): Fixture => o.spec.template.spec;

describe('policy checks catch what they are for', () => {
  test('the compliant fixture passes every check', () => {
    for (const [name, check] of Object.entries(MANIFEST_CHECKS)) assert.deepEqual(check(goodObjects()), [], name);
    assert.deepEqual(checkReferences(goodObjects(), OPERATOR_SECRETS), []);
    assert.deepEqual(checkNoEgress(goodObjects(), { 'app.kubernetes.io/name': 'web' }), []);
  });

  test('restricted pod security: root, escalation, capabilities, seccomp, host namespaces, hostPath', () => {
    const cases: [(o: Fixture) => void, RegExp][] = [
      [(o) => (podSpec(o).securityContext.runAsNonRoot = false), /runAsNonRoot is not true/],
      [(o) => (podSpec(o).securityContext.runAsUser = 0), /no numeric non-root runAsUser/],
      [(o) => delete podSpec(o).securityContext.runAsUser, /no numeric non-root runAsUser/],
      [(o) => (container(o).securityContext.allowPrivilegeEscalation = true), /allowPrivilegeEscalation is not false/],
      [(o) => (container(o).securityContext.capabilities = { drop: ['NET_RAW'] }), /does not drop ALL/],
      [(o) => (container(o).securityContext.capabilities.add = ['NET_ADMIN']), /adds capabilities NET_ADMIN/],
      [(o) => (container(o).securityContext.privileged = true), /privileged/],
      [(o) => delete podSpec(o).securityContext.seccompProfile, /seccompProfile is not RuntimeDefault/],
      [(o) => (podSpec(o).securityContext.seccompProfile = { type: 'Unconfined' }), /seccompProfile is not RuntimeDefault/],
      [(o) => (podSpec(o).hostNetwork = true), /host namespace/],
      [(o) => (podSpec(o).hostPID = true), /host namespace/],
      [(o) => podSpec(o).volumes.push({ name: 'h', hostPath: { path: '/' } }), /volume h is of type hostPath/],
      [(o) => (container(o).ports[0].hostPort = 80), /hostPort 80/],
    ];
    for (const [edit, expected] of cases) assert.match(checkRestrictedPodSecurity(broken('Deployment', edit)).join('\n'), expected);
  });

  test('read-only root filesystem and bounded emptyDirs', () => {
    assert.match(checkReadOnlyRootFilesystem(broken('Deployment', (o) => (container(o).securityContext.readOnlyRootFilesystem = false))).join(), /readOnlyRootFilesystem/);
    assert.match(checkEmptyDirsBounded(broken('Deployment', (o) => delete podSpec(o).volumes[0].emptyDir.sizeLimit)).join(), /emptyDir tmp has no sizeLimit/);
  });

  test('probes and resources', () => {
    assert.match(checkProbesAndResources(broken('Deployment', (o) => delete container(o).readinessProbe)).join(), /no readinessProbe/);
    assert.match(checkProbesAndResources(broken('Deployment', (o) => delete container(o).livenessProbe)).join(), /no livenessProbe/);
    assert.match(checkProbesAndResources(broken('Deployment', (o) => delete container(o).resources.limits.memory)).join(), /no memory limit/);
    assert.match(checkProbesAndResources(broken('Deployment', (o) => delete container(o).resources.requests)).join(), /no cpu request/);
    assert.match(checkProbesAndResources(broken('Deployment', (o) => (container(o).resources.requests.cpu = '2'))).join(), /cpu request above its limit/);
    assert.equal(parseQuantity('250m'), 0.25);
    assert.equal(parseQuantity('1Gi'), 2 ** 30);
    assert.equal(parseQuantity('lots'), null);
  });

  test('images pinned, pulled IfNotPresent, services picked by args', () => {
    assert.match(checkPinnedImages(broken('Deployment', (o) => (container(o).image = 'plotbox:latest'))).join(), /uses :latest/);
    assert.match(checkPinnedImages(broken('Deployment', (o) => (container(o).image = 'registry.example.com:5000/plotbox'))).join(), /has no tag/);
    assert.deepEqual(checkPinnedImages(broken('Deployment', (o) => (container(o).image = 'plotbox@sha256:' + 'a'.repeat(64)))), []);
    assert.match(checkPinnedImages(broken('Deployment', (o) => (container(o).imagePullPolicy = 'Always'))).join(), /not IfNotPresent/);
    assert.match(checkDispatcherArgs(broken('Deployment', (o) => (container(o).command = ['node', 'main.ts']))).join(), /overrides the image's command/);
    assert.match(checkDispatcherArgs(broken('Deployment', (o) => (container(o).args = ['web']))).join(), /args\[0\] is web/);
  });

  test('no secret in manifests, ConfigMaps or the environment; *_FILE inside secret mounts', () => {
    const secretWithData = [...goodObjects(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data: { token: 'c2VjcmV0' } }];
    assert.match(checkNoInlineSecrets(secretWithData).join(), /carries data/);
    assert.match(checkNoInlineSecrets(broken('Deployment', (o) => container(o).env.push({ name: 'SANDBOX_TOKEN', value: 'x'.repeat(40) }))).join(), /SANDBOX_TOKEN holds a secret inline/);
    assert.match(checkNoInlineSecrets(broken('Deployment', (o) => container(o).env.push({ name: 'MONGODB_URI', value: 'mongodb://u:p@h/db' }))).join(), /MONGODB_URI holds a secret/);
    assert.match(checkNoInlineSecrets(broken('ConfigMap', (o) => (o.data.S3_SECRET_KEY = 'abc'))).join(), /S3_SECRET_KEY looks like a secret/);
    assert.match(checkNoInlineSecrets(broken('ConfigMap', (o) => (o.data.NOTE = '-----BEGIN PRIVATE KEY-----'))).join(), /NOTE looks like a secret/);
    assert.match(
      checkNoInlineSecrets(broken('Deployment', (o) => container(o).env.push({ name: 'S3_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 's3', key: 'k' } } }))).join(),
      /takes a secret into the environment/,
    );
    assert.match(checkNoInlineSecrets(broken('Deployment', (o) => (container(o).envFrom = [{ secretRef: { name: 'all' } }]))).join(), /envFrom takes Secret all/);
    assert.match(checkNoInlineSecrets(broken('Deployment', (o) => (container(o).env[0].value = '/etc/token'))).join(), /is not inside a secret volume/);
    assert.match(checkNoInlineSecrets(broken('Deployment', (o) => (container(o).volumeMounts[1].readOnly = false))).join(), /not read-only/);
    // A TTL whose name mentions a token is not a secret.
    assert.deepEqual(checkNoInlineSecrets(broken('ConfigMap', (o) => (o.data.PLOTBOX_SETUP_TOKEN_TTL_MIN = '60'))), []);
  });

  test('dedicated ServiceAccounts without tokens; service links off', () => {
    assert.match(checkServiceAccounts(broken('Deployment', (o) => delete podSpec(o).serviceAccountName)).join(), /default ServiceAccount/);
    assert.match(checkServiceAccounts(broken('Deployment', (o) => delete podSpec(o).automountServiceAccountToken)).join(), /automountServiceAccountToken is not false/);
    assert.match(checkServiceAccounts(broken('ServiceAccount', (o) => (o.automountServiceAccountToken = true))).join(), /ServiceAccount\/web: automountServiceAccountToken/);
    const twoUsers = goodObjects();
    const second = structuredClone(twoUsers.find((o) => o.kind === 'Deployment')) as Fixture;
    second.metadata.name = 'other';
    assert.match(checkServiceAccounts([...twoUsers, second as K8sObject]).join(), /is shared by Deployment\/web, Deployment\/other/);
    assert.match(checkNoServiceLinks(broken('Deployment', (o) => delete podSpec(o).enableServiceLinks)).join(), /enableServiceLinks/);
  });

  test('network policies: coverage, default deny, no egress', () => {
    const noDeny = goodObjects().filter((o) => o.metadata.name !== 'deny');
    assert.match(checkNetworkPolicyCoverage(noDeny).join(), /no default-deny/);
    const ingressOnly = goodObjects()
      .filter((o) => o.kind !== 'NetworkPolicy' || o.metadata.name === 'web')
      .map((o) => (o.kind === 'NetworkPolicy' ? { ...o, spec: { ...(o.spec as object), policyTypes: ['Ingress'] } } : o));
    assert.match(checkNetworkPolicyCoverage(ingressOnly).join(), /no NetworkPolicy restricts its egress/);
    const withEgress = broken('NetworkPolicy', () => undefined).map((o) =>
      o.metadata.name === 'web' ? { ...o, spec: { ...(o.spec as object), egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] } } : o,
    );
    assert.match(checkNoEgress(withEgress, { 'app.kubernetes.io/name': 'web' }).join(), /NetworkPolicy\/web allows egress/);
    assert.deepEqual([...egressPorts(withEgress, { 'app.kubernetes.io/name': 'web' })], ['*']);
    assert.equal(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] }, { tier: 'b' }), false);
    assert.equal(selects({}, { any: 'thing' }), true);
  });

  test('disruption budgets never block a drain; HPAs own their replica counts', () => {
    const single = broken('Deployment', (o) => (o.spec.replicas = 1));
    assert.match(checkDisruptionBudgets(broken('PodDisruptionBudget', (o) => (o.spec = { minAvailable: 1, selector: o.spec.selector }), single)).join(), /minAvailable 1 with 1 replica/);
    assert.match(checkDisruptionBudgets(broken('PodDisruptionBudget', (o) => (o.spec = { minAvailable: '100%', selector: o.spec.selector }))).join(), /leaves no pod evictable/);
    assert.match(checkDisruptionBudgets(broken('PodDisruptionBudget', (o) => (o.spec.maxUnavailable = 0))).join(), /allows no eviction/);
    assert.deepEqual(checkDisruptionBudgets(broken('PodDisruptionBudget', (o) => (o.spec.maxUnavailable = '10%'))), []);
    assert.match(checkDisruptionBudgets(broken('PodDisruptionBudget', (o) => (o.spec.selector = { matchLabels: { nothing: 'here' } }))).join(), /selects no pods/);
    // An HPA whose minimum is what the PDB needs blocks drains; one that scales a pinned replica count is refused too.
    const hpa = (min: number): K8sObject => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'ns' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: min, maxReplicas: 4 },
    });
    const unpinned = broken('Deployment', (o) => delete o.spec.replicas);
    const needsTwo = broken('PodDisruptionBudget', (o) => (o.spec = { minAvailable: 2, selector: o.spec.selector }), unpinned);
    assert.match(checkDisruptionBudgets([...needsTwo, hpa(2)]).join(), /minAvailable 2 with 2 replica/);
    assert.deepEqual(checkDisruptionBudgets([...needsTwo, hpa(3)]), []);
    assert.match(checkDisruptionBudgets([...goodObjects(), hpa(2)]).join(), /sets spec.replicas although HorizontalPodAutoscaler\/web scales it/);
  });

  test('references resolve; labels; namespace enforcement; Ingress host', () => {
    assert.match(checkReferences(broken('Deployment', (o) => (container(o).envFrom[0].configMapRef.name = 'gone')), OPERATOR_SECRETS).join(), /ConfigMap gone is missing/);
    assert.match(checkReferences(broken('Deployment', (o) => (podSpec(o).volumes[1].secret.secretName = 'mystery')), OPERATOR_SECRETS).join(), /Secret mystery/);
    assert.match(checkReferences(broken('Deployment', (o) => (container(o).readinessProbe.httpGet.port = 'web')), OPERATOR_SECRETS).join(), /unknown port web/);
    assert.match(checkReferences(broken('Service', (o) => (o.spec.selector = { 'app.kubernetes.io/name': 'nobody' })), OPERATOR_SECRETS).join(), /selects no pods/);
    assert.match(checkRecommendedLabels(broken('Deployment', (o) => delete o.spec.template.metadata.labels['app.kubernetes.io/component'])).join(), /its pods have no app.kubernetes.io\/component/);
    assert.match(checkNamespaced(broken('Service', (o) => delete o.metadata.namespace)).join(), /Service\/web: no namespace/);
    assert.match(checkNamespacesRestricted(broken('Namespace', (o) => (o.metadata.labels['pod-security.kubernetes.io/enforce'] = 'baseline'))).join(), /enforce is not restricted/);
    const ingress: K8sObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'ns' },
      spec: { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com'] }] },
    };
    assert.deepEqual(checkIngressMatchesPublicUrl([ingress], 'https://a.example.com'), []);
    assert.match(checkIngressMatchesPublicUrl([ingress], 'https://b.example.com').join(), /not b.example.com/);
  });

  test('schema validation and the unknown-field check catch malformed objects', async () => {
    const bad = broken('Deployment', (o) => {
      container(o).resources.limits.cpu = 'two';
      container(o).readinesProbe = container(o).readinessProbe;
    });
    assert.match((await validateAgainstSchemas(bad)).join('\n'), /limits\/cpu must match format "quantity"/);
    assert.match(findUnknownFields(bad).join('\n'), /Deployment\/web: .*readinesProbe.* does not exist in type 'IContainer'/);
    assert.match((await validateAgainstSchemas([{ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' } }])).join(), /no schema/);
  });

  test('a variable neither service reads is caught, even without a PLOTBOX_ or SANDBOX_ prefix', () => {
    assert.deepEqual(unknownNames({ MONGODB_DATABASE: 'x', S3_BUCKET: 'b', PLOTBOX_PORT: '1' }, ACCEPTED.api), ['MONGODB_DATABASE']);
    assert.deepEqual(unknownNames({ SANDBOX_WORKER: '2', SANDBOX_WORKERS: '2' }, ACCEPTED.sandbox), ['SANDBOX_WORKER']);
  });

  test('compose checks: hardening, isolation, interpolation', () => {
    const good: ComposeFile = {
      services: {
        api: { image: 'plotbox:1.0.0', user: '10001:10001', read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'], healthcheck: { test: ['CMD', 'true'] }, networks: ['edge', 'inner'] },
        sandbox: { image: 'plotbox:1.0.0', user: '10001:10001', read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'], healthcheck: { test: ['CMD', 'true'] }, networks: ['inner'] },
      },
      networks: { edge: {}, inner: { internal: true } },
      secrets: { token: { file: './secrets/token' } },
    };
    assert.deepEqual(checkComposeHardening(good), []);
    assert.deepEqual(checkComposeIsolated(good, 'sandbox', ['api']), []);
    const bad = (edit: (c: Fixture) => void): ComposeFile => {
      const c = structuredClone(good) as Fixture;
      edit(c);
      return c as ComposeFile;
    };
    assert.match(checkComposeHardening(bad((c) => (c.services.api.image = 'plotbox:latest'))).join(), /not pinned/);
    assert.match(checkComposeHardening(bad((c) => (c.services.api.read_only = false))).join(), /read_only/);
    assert.match(checkComposeHardening(bad((c) => (c.services.api.user = 'root'))).join(), /numeric non-root/);
    assert.match(checkComposeHardening(bad((c) => (c.services.api.cap_add = ['SYS_ADMIN']))).join(), /adds capabilities/);
    assert.match(checkComposeHardening(bad((c) => (c.services.api.security_opt = []))).join(), /no-new-privileges/);
    assert.match(checkComposeHardening(bad((c) => (c.services.api.environment = { S3_SECRET_KEY: 'hunter2' }))).join(), /S3_SECRET_KEY holds a secret/);
    assert.match(checkComposeHardening(bad((c) => (c.secrets.token = { file: '../token' }))).join(), /not a file under .\/secrets/);
    assert.match(checkComposeIsolated(bad((c) => (c.networks.inner.internal = false)), 'sandbox', ['api']).join(), /not internal/);
    assert.match(checkComposeIsolated(bad((c) => (c.services.sandbox.ports = ['8081:8081'])), 'sandbox', ['api']).join(), /publishes ports/);
    assert.match(checkComposeIsolated(bad((c) => (c.services.db = { networks: ['inner'] })), 'sandbox', ['api']).join(), /shares network inner with db/);
    assert.equal(interpolate('${A:-x}/${B-y}/${C}/$$', { A: '', C: 'c' }), 'x/y/c/$');
    assert.throws(() => interpolate('${A:?required}', {}), /unsupported interpolation/);
    assert.match(validateComposeSchema({ services: { a: { image: 'x:1', restart: 42, bogus: true } } }).join('\n'), /bogus|additional/);
  });
});

// ------------------------------------------------------------------------------ the overlays

const OVERLAYS = ['base', 'overlays/dev', 'overlays/prod', 'overlays/gvisor'] as const;
const rendered = new Map<string, K8sObject[]>();
function objectsOf(name: string): K8sObject[] {
  const objects = rendered.get(name);
  assert.ok(objects, `${name} was rendered`);
  return objects;
}

/** Builds a kustomization in the scratch directory next to symlinks of the repository's overlays and components. */
function scratchOverlay(name: string, kustomization: string): string {
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

describe('kustomize overlays', { skip: NO_KUBECTL }, () => {
  before(() => {
    console.log(`# deploy-manifests: rendering with ${KUBECTL ?? ''}`);
    for (const name of OVERLAYS) rendered.set(name, kustomize(join(REPO, 'k8s', name)));
  });

  for (const name of OVERLAYS) {
    describe(name, () => {
      test('every object matches the Kubernetes API schema of its kind', async () => {
        assert.deepEqual(await validateAgainstSchemas(objectsOf(name)), []);
      });

      test('the policy checks hold', () => {
        for (const [check, fn] of Object.entries(MANIFEST_CHECKS)) assert.deepEqual(fn(objectsOf(name)), [], check);
        assert.deepEqual(checkReferences(objectsOf(name), OPERATOR_SECRETS), []);
        assert.deepEqual(checkIngressMatchesPublicUrl(objectsOf(name), apiConfigOf(objectsOf(name)).publicUrl), []);
      });

      test('the sandbox can open no connection; the API only to the sandbox, DNS and its stores', () => {
        assert.deepEqual(checkNoEgress(objectsOf(name), SANDBOX), []);
        const ports = egressPorts(objectsOf(name), API);
        assert.ok(ports.has('TCP/8081') && ports.has('UDP/53'), `the API reaches the sandbox and DNS: ${[...ports].join(', ')}`);
        assert.deepEqual([...ports].filter((p) => !API_EGRESS.has(p)), []);
        // Only the API's pods reach the sandbox.
        const policy = objectsOf(name).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'plotbox-sandbox') as { spec: { ingress: { from: unknown[] }[] } } | undefined;
        assert.deepEqual(policy?.spec.ingress.flatMap((r) => r.from), [{ podSelector: { matchLabels: API } }]);
      });

      test('the API and the sandbox accept exactly the configuration their pods get', () => {
        const api = apiConfigOf(objectsOf(name));
        assert.equal(api.port, 8080);
        assert.equal(api.host, '0.0.0.0');
        assert.equal(api.dataDir, '/var/lib/plotbox');
        assert.equal(api.sandbox.url, 'http://plotbox-sandbox:8081');
        assert.equal(api.sandbox.token, material.get('plotbox-sandbox-token/token')?.trim());
        assert.equal(api.jwt.keys.source, 'configured');
        const sandbox = sandboxConfigOf(objectsOf(name));
        // Its limits fit its plan: one worker per whole CPU of the limit, and no sizing warning.
        const limits = workload(objectsOf(name), 'Deployment', 'plotbox-sandbox').spec.containers[0]?.resources?.limits;
        assert.equal(sandbox.workers, Math.floor(parseQuantity(limits?.cpu) ?? 0));
        assert.deepEqual(sandbox.resources.warnings, []);
        assert.equal(sandbox.port, 8081);
        assert.equal(sandbox.host, '0.0.0.0');
        assert.equal(sandbox.token, api.sandbox.token);
        // The data directory and the upload staging area are writable volumes of the right size.
        const w = workload(objectsOf(name), 'Deployment', 'plotbox-api');
        const mounts = w.spec.containers[0]?.volumeMounts ?? [];
        assert.ok(mounts.some((m) => m.mountPath === api.dataDir && m.readOnly !== true));
        const tmp = (w.spec.volumes ?? []).find((v) => v.name === mounts.find((m) => m.mountPath === '/tmp')?.name);
        assert.ok((parseQuantity(tmp?.emptyDir?.sizeLimit) ?? 0) >= 2 * api.maxUploadBytes, '/tmp holds two uploads');
      });

      test(`images are plotbox:${VERSION}, the root package.json version`, () => {
        for (const w of workloadsOf(objectsOf(name))) for (const c of w.spec.containers) assert.equal(c.image, `plotbox:${VERSION}`, w.id);
      });
    });
  }

  test('no object of any overlay has a field the Kubernetes API does not know', () => {
    const all = OVERLAYS.flatMap((name) => objectsOf(name));
    assert.deepEqual(findUnknownFields(all), []);
  });

  test('dev: one API pod on SQLite and a volume, Recreate, no Ingress, nothing that blocks a drain', () => {
    const objects = objectsOf('overlays/dev');
    const api = workload(objects, 'Deployment', 'plotbox-api');
    const spec = api.object.spec as { replicas?: number; strategy?: { type?: string; rollingUpdate?: unknown } };
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'Recreate' });
    const config = apiConfigOf(objects);
    assert.equal(config.env, 'dev');
    assert.equal(config.mongo, null);
    assert.equal(config.s3, null);
    const data = (api.spec.volumes ?? []).find((v) => v.name === 'data');
    assert.equal(data?.persistentVolumeClaim?.claimName, 'plotbox-data');
    assert.ok(objects.some((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'plotbox-data'));
    assert.equal((workload(objects, 'Deployment', 'plotbox-sandbox').object.spec as { replicas?: number }).replicas, 1);
    assert.equal(objects.filter((o) => o.kind === 'Ingress').length, 0);
    assert.deepEqual(checkDisruptionBudgets(objects), []);
    // One CPU: one worker, and memory for it.
    assert.equal(workload(objects, 'Deployment', 'plotbox-sandbox').spec.containers[0]?.resources?.limits?.cpu, '1');
  });

  test('prod: MongoDB and S3 from secrets, production mode, at least two of each pod, HPAs, PDBs of maxUnavailable 1, spread', () => {
    const objects = objectsOf('overlays/prod');
    const config = apiConfigOf(objects);
    assert.equal(config.env, 'production');
    assert.equal(config.mongo?.uri, material.get('plotbox-mongodb/uri')?.trim());
    assert.equal(config.s3?.accessKey, 'plotbox');
    assert.equal(config.s3?.secretKey, material.get('plotbox-s3/secret-key')?.trim());
    assert.equal(config.trustProxyHops, 1);
    for (const name of ['plotbox-api', 'plotbox-sandbox']) {
      const w = workload(objects, 'Deployment', name);
      const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === name)?.spec as { minReplicas?: number } | undefined;
      assert.ok((hpa?.minReplicas ?? 0) >= 2, `${name}: an HPA keeps at least two`);
      const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === name)?.spec as { maxUnavailable?: number } | undefined;
      assert.equal(pdb?.maxUnavailable, 1, `${name}: PDB`);
      assert.deepEqual(
        (w.spec.topologySpreadConstraints ?? []).map((t) => t.topologyKey),
        ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'],
      );
      assert.equal((w.object.spec as { replicas?: number }).replicas, undefined, `${name}: the HPA owns the replica count`);
    }
    assert.equal(objects.filter((o) => o.kind === 'RuntimeClass').length, 0);
  });

  test('gvisor: prod with the sandbox (only) under the gvisor RuntimeClass', () => {
    const prod = objectsOf('overlays/prod');
    const gvisor = objectsOf('overlays/gvisor');
    const rc = gvisor.find((o) => o.kind === 'RuntimeClass');
    assert.equal(rc?.metadata.name, 'gvisor');
    assert.equal(rc?.handler, 'runsc');
    assert.equal(workload(gvisor, 'Deployment', 'plotbox-sandbox').spec.runtimeClassName, 'gvisor');
    assert.equal(workload(gvisor, 'Deployment', 'plotbox-api').spec.runtimeClassName, undefined);
    const withoutRuntime = gvisor
      .filter((o) => o.kind !== 'RuntimeClass')
      .map((o) => {
        if (o.kind !== 'Deployment' || o.metadata.name !== 'plotbox-sandbox') return o;
        const copy = structuredClone(o) as Fixture;
        delete copy.spec.template.spec.runtimeClassName;
        return copy as K8sObject;
      });
    assert.deepEqual(withoutRuntime, prod);
  });

  test('components/service-monitor: a valid ServiceMonitor for the API with the metrics token', async () => {
    const dir = scratchOverlay('monitoring', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../prod]\ncomponents: [../../components/service-monitor]\n');
    const objects = kustomize(dir);
    assert.deepEqual(await validateAgainstSchemas(objects), []);
    assert.deepEqual(findUnknownFields(objects.filter((o) => o.kind === 'ServiceMonitor')), []);
    const sm = objects.find((o) => o.kind === 'ServiceMonitor') as (K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string; authorization: { credentials: { name: string; key: string } } }[] } }) | undefined;
    assert.ok(sm);
    assert.equal(sm.metadata.namespace, 'plotbox');
    const svc = objects.find((o) => o.kind === 'Service' && selects(sm.spec.selector, o.metadata.labels));
    assert.equal(svc?.metadata.name, 'plotbox-api');
    assert.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path, e.authorization.credentials.name, e.authorization.credentials.key]), [['http', '/metrics', 'plotbox-metrics-token', 'token']]);
    assert.equal(apiConfigOf(objects).env, 'production');
  });
});

// ------------------------------------------------------------------------------ deploy/compose.yaml

const COMPOSE_PATH = join(REPO, 'deploy/compose.yaml');

/** The API's and the sandbox's environment in compose.yaml, interpolated, and a readFile for /run/secrets/<name>. */
function composeRuntime(compose: ComposeFile, service: string, vars: Record<string, string>, secretsDir: string): { env: Record<string, string>; readFile: (path: string) => string } {
  const s = compose.services[service];
  assert.ok(s, `service ${service}`);
  const env = Object.fromEntries(Object.entries(composeEnvironment(s)).map(([k, v]) => [k, interpolate(v, vars)]));
  assert.deepEqual(unknownNames(env, service === 'api' ? ACCEPTED.api : ACCEPTED.sandbox), [], `every variable is one ${service} reads`);
  const granted = new Set((s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source)));
  const readFile = (path: string): string => {
    const name = /^\/run\/secrets\/([^/]+)$/.exec(path)?.[1];
    const file = name !== undefined && granted.has(name) ? compose.secrets?.[name]?.file : undefined;
    if (file === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return readFileSync(join(secretsDir, '..', file), 'utf8');
  };
  return { env, readFile };
}

describe('deploy/compose.yaml', () => {
  const compose = parseYaml(readFileSync(COMPOSE_PATH, 'utf8'), { merge: true }) as ComposeFile;

  test('is valid against the compose specification schema, and dclint finds nothing', () => {
    assert.deepEqual(validateComposeSchema(compose), []);
    assert.deepEqual(lintCompose(COMPOSE_PATH), []);
  });

  test('api, sandbox, mongo and minio, hardened; the sandbox alone with the API on an internal network', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), ['api', 'minio', 'mongo', 'sandbox']);
    assert.deepEqual(checkComposeHardening(compose), []);
    assert.deepEqual(checkComposeIsolated(compose, 'sandbox', ['api']), []);
    assert.deepEqual(checkComposeIsolated(compose, 'mongo', ['api', 'minio']), []);
    assert.deepEqual(checkComposeIsolated(compose, 'minio', ['api', 'mongo']), []);
    assert.equal(compose.services.api?.image, `plotbox:${VERSION}`);
    assert.equal(compose.services.sandbox?.image, `plotbox:${VERSION}`);
    // The one published port is the API's, on loopback.
    assert.deepEqual(compose.services.api?.ports, ['127.0.0.1:8080:8080']);
    assert.equal(spawnSync('git', ['check-ignore', '-q', 'deploy/secrets/sandbox-token'], { cwd: REPO }).status, 0, 'deploy/secrets/ is ignored by git');
  });

  test('the API and the sandbox accept their compose configuration, in production and in the dev try-out', () => {
    const secretsDir = join(scratch, 'compose-unit', 'secrets');
    mkdirSync(secretsDir, { recursive: true });
    const files: Record<string, string> = {
      'sandbox-token': material.get('plotbox-sandbox-token/token') ?? '',
      'metrics-token': material.get('plotbox-metrics-token/token') ?? '',
      'jwt-keys.json': material.get('plotbox-jwt-keys/jwt-keys.json') ?? '',
      'secrets-key.json': material.get('plotbox-secrets-key/secrets-key.json') ?? '',
      // secretlint-disable-next-line -- a made-up connection string: the test checks it is parsed and redacted
      'mongodb-uri': 'mongodb://plotbox:0123456789abcdef@mongo:27017/plotbox?authSource=admin\n',
      'mongo-password': '0123456789abcdef\n',
      's3-access-key': 'plotbox\n',
      's3-secret-key': material.get('plotbox-s3/secret-key') ?? '',
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(secretsDir, name), text);
    for (const vars of [{}, { PLOTBOX_ENV: 'dev', PLOTBOX_PUBLIC_URL: 'http://localhost:8080', PLOTBOX_TRUST_PROXY_HOPS: '0' }]) {
      const api = composeRuntime(compose, 'api', vars, secretsDir);
      const config = parseConfig(api.env, api.readFile);
      loadKeySet(config.jwt.keys);
      assert.equal(config.mongo?.dbName, 'plotbox');
      assert.equal(config.s3?.endpoint, 'http://minio:9000');
      assert.equal(config.sandbox.url, 'http://sandbox:8081');
      const sandbox = composeRuntime(compose, 'sandbox', vars, secretsDir);
      assert.equal(parseSandboxConfig(sandbox.env, sandbox.readFile).token, config.sandbox.token);
    }
  });
});

// ------------------------------------------------------------------------------ docs/operations.md

const DOC = readFileSync(join(REPO, 'docs/operations.md'), 'utf8');

/** A working directory like an operator's checkout: k8s/ from the repository, deploy/ with compose.yaml. */
function operatorCheckout(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'deploy'), { recursive: true });
  symlinkSync(join(REPO, 'k8s'), join(dir, 'k8s'));
  symlinkSync(join(REPO, 'deploy/compose.yaml'), join(dir, 'deploy/compose.yaml'));
  return dir;
}

function report(results: readonly CommandResult[]): void {
  const failed = results.filter((r) => r.outcome === 'failed');
  assert.deepEqual(
    failed.map((r) => `${r.line}\n  exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`),
    [],
    'every documented command runs, or stops only at the missing cluster',
  );
}

/** The Secret a documented `kubectl create secret ... --dry-run=client -o yaml` line makes, run for real. */
function secretsFromDocLines(lines: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let dir = cwd;
  for (const line of lines) {
    // The documented commands move into deploy/secrets/ for the rotations: follow them.
    const cd = /^cd (\S+)$/.exec(line);
    if (cd !== null) dir = join(dir, cd[1] ?? '');
    if (!/kubectl .*create secret /.test(line)) continue;
    const left = line.split(' | ')[0] ?? '';
    assert.match(left, /--dry-run=client -o yaml$/, `the secret is created through a client-side dry run: ${line}`);
    const yaml = execFileSync('bash', ['-c', left], { cwd: dir, env, encoding: 'utf8' });
    const secret = parseYaml(yaml) as { metadata: { name: string; namespace?: string }; data: Record<string, string> };
    assert.equal(secret.metadata.namespace, 'plotbox', line);
    out.set(secret.metadata.name, new Map(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])));
  }
  return out;
}

describe('docs/operations.md: every command of "Kubernetes" runs', { skip: NO_KUBECTL || (HAS_OPENSSL ? false : 'openssl is not installed here') }, () => {
  let results: CommandResult[] = [];
  let cwd = '';
  let env: NodeJS.ProcessEnv = {};
  const lines = sectionBlocks(DOC, 'Kubernetes', 'sh').flatMap(commandLines);

  before(() => {
    cwd = operatorCheckout('k8s-operator');
    env = { PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, HOME: cwd, KUBECONFIG: writeUnreachableKubeconfig(cwd) };
    // What the operator brings (the docs say so): the store's connection string, S3 keys, a certificate.
    const own = join(cwd, 'deploy/secrets');
    mkdirSync(own, { recursive: true });
    writeFileSync(join(own, 'mongodb-uri'), material.get('plotbox-mongodb/uri') ?? '');
    writeFileSync(join(own, 's3-access-key'), material.get('plotbox-s3/access-key') ?? '');
    writeFileSync(join(own, 's3-secret-key'), material.get('plotbox-s3/secret-key') ?? '');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.crt', '-days', '2', '-subj', '/CN=plotbox.example.com'], { cwd: own, stdio: 'ignore' });
    results = runCommands(lines, { cwd, env });
    const counts = { ran: 0, 'needs-cluster': 0, failed: 0 };
    for (const r of results) counts[r.outcome]++;
    console.log(`# deploy-manifests: ${lines.length} documented Kubernetes commands: ${counts.ran} ran, ${counts['needs-cluster']} reached the (absent) cluster, ${counts.failed} failed`);
  });

  test('each runs, or stops only where the cluster would answer', () => {
    assert.ok(lines.length >= 30, `found ${lines.length} commands`);
    report(results);
    // The cluster-side commands are the ones that need one; everything else ran here.
    for (const r of results) {
      const clusterSide = /^kubectl (-n plotbox )?(apply|exec|rollout|get|patch|scale|diff|logs|port-forward)\b/.test(r.line) || /\| kubectl apply/.test(r.line) || /^kubectl -n plotbox get secret/.test(r.line);
      assert.equal(r.outcome, clusterSide ? 'needs-cluster' : 'ran', r.line);
    }
  });

  test('the secrets it creates are the ones the manifests mount, and the pods accept them', () => {
    const secrets = secretsFromDocLines(lines, cwd, env);
    for (const name of OVERLAYS) {
      for (const w of workloadsOf(objectsOfOrRender(name))) {
        for (const v of w.spec.volumes ?? []) {
          if (v.secret === undefined) continue;
          const made = secrets.get(v.secret.secretName ?? '');
          assert.ok(made, `${name} ${w.id}: the docs create ${v.secret.secretName ?? '?'}`);
          for (const item of v.secret.items ?? []) assert.ok(made.has(item.key), `${v.secret.secretName ?? '?'} has key ${item.key}`);
        }
      }
    }
    assert.ok(secrets.has('plotbox-tls'));
    const flat = new Map([...secrets].flatMap(([name, keys]) => [...keys].map(([k, v]) => [`${name}/${k}`, v] as const)));
    for (const name of ['overlays/dev', 'overlays/prod', 'overlays/gvisor']) {
      apiConfigOf(objectsOfOrRender(name), flat);
      sandboxConfigOf(objectsOfOrRender(name), flat);
    }
  });

  test('the JWT key rotation keeps every token valid until its key is retired and removed', () => {
    const read = (file: string): string => readFileSync(join(cwd, 'deploy/secrets', file), 'utf8');
    const service = (file: string): ReturnType<typeof createTokenService> => {
      const config = parseConfig({ PLOTBOX_JWT_KEYS: read(file) }, () => '');
      return createTokenService({ keySet: loadKeySet(config.jwt.keys).keySet, issuer: 'https://plotbox.example.com', audience: 'plotbox-api' });
    };
    const [original, next, active, retired] = ['jwt-keys.json', 'jwt-keys.next.json', 'jwt-keys.active.json', 'jwt-keys.retired.json'].map(service);
    assert.ok(original && next && active && retired);
    const oldToken = original.issueAccessToken({ sub: 'u1', sid: 's1' }).token;
    const kid = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid;
    // Step 1: the new set still signs with the old key and verifies both.
    assert.equal(kid(next.issueAccessToken({ sub: 'u1', sid: 's1' }).token), kid(oldToken));
    // Step 2: the new key signs; old tokens still verify everywhere.
    const newToken = active.issueAccessToken({ sub: 'u1', sid: 's1' }).token;
    assert.notEqual(kid(newToken), kid(oldToken));
    for (const s of [next, active, retired]) assert.equal(s.verifyAccessToken(oldToken).sub, 'u1');
    // Pods still on step 1 verify the new key's tokens: that is why step 1 rolls first.
    assert.equal(next.verifyAccessToken(newToken).sub, 'u1');
    // Step 3: the old key can no longer sign, but its last tokens verify.
    assert.ok(!(JSON.parse(read('jwt-keys.retired.json')) as { keys: { kid: string; privateKeyPem?: string }[] }).keys.some((k) => k.kid === kid(oldToken) && k.privateKeyPem !== undefined));
  });

  test('the example site overlay renders, validates and passes the checks', async () => {
    const blocks = sectionBlocks(DOC, 'Kubernetes', 'yaml').filter((b) => b.startsWith('# k8s/overlays/site/kustomization.yaml'));
    assert.equal(blocks.length, 1);
    const objects = kustomize(scratchOverlay('site', blocks[0] ?? ''));
    assert.deepEqual(await validateAgainstSchemas(objects), []);
    for (const [check, fn] of Object.entries(MANIFEST_CHECKS)) {
      if (check === 'checkPinnedImages') continue; // checked below: a registry image
      assert.deepEqual(fn(objects), [], check);
    }
    for (const w of workloadsOf(objects)) for (const c of w.spec.containers) assert.equal(c.image, `registry.example.org/plotbox:${VERSION}`);
    assert.deepEqual(checkPinnedImages(objects), []);
    const config = apiConfigOf(objects);
    assert.equal(config.publicUrl, 'https://plotbox.example.org');
    assert.deepEqual(checkIngressMatchesPublicUrl(objects, config.publicUrl), []);
  });
});

/** The rendered overlay, rendering it if the overlay suite has not (each suite may run alone). */
function objectsOfOrRender(name: string): K8sObject[] {
  if (!rendered.has(name)) rendered.set(name, kustomize(join(REPO, 'k8s', name)));
  return objectsOf(name);
}

describe('docs/operations.md: every command of "Compose (one host)" runs', { skip: HAS_OPENSSL ? false : 'openssl is not installed here' }, () => {
  const lines = sectionBlocks(DOC, 'Compose (one host)', 'sh').flatMap(commandLines);
  const composeLines = lines.filter((l) => /\bdocker compose\b/.test(l));
  if (!HAS_COMPOSE) console.log(`# deploy-manifests: ${composeLines.length} documented "docker compose" commands not run: Docker Compose is not installed here`);

  test('the secret files are made as documented, and the API and the sandbox accept them', () => {
    const cwd = operatorCheckout('compose-operator');
    const env = { PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH ?? ''}`, HOME: cwd };
    const results = runCommands(HAS_COMPOSE ? lines : lines.filter((l) => !composeLines.includes(l)), { cwd, env });
    report(results);
    assert.ok(results.every((r) => r.outcome === 'ran'));
    const compose = parseYaml(readFileSync(COMPOSE_PATH, 'utf8'), { merge: true }) as ComposeFile;
    for (const [name, secret] of Object.entries(compose.secrets ?? {})) assert.ok(readFileSync(join(cwd, 'deploy', secret.file ?? ''), 'utf8').length > 0, `secret ${name} was made`);
    const secretsDir = join(cwd, 'deploy', 'secrets');
    const api = composeRuntime(compose, 'api', {}, secretsDir);
    const config = parseConfig(api.env, api.readFile);
    loadKeySet(config.jwt.keys);
    assert.equal(config.mongo?.uri, `mongodb://plotbox:${readFileSync(join(secretsDir, 'mongo-password'), 'utf8').trim()}@mongo:27017/plotbox?authSource=admin`);
    const sandbox = composeRuntime(compose, 'sandbox', {}, secretsDir);
    assert.equal(parseSandboxConfig(sandbox.env, sandbox.readFile).token, config.sandbox.token);
  });
});

test('parseObjects refuses broken YAML rather than reading half of it', () => {
  assert.throws(() => parseObjects('kind: A\n  bad: [\n'), /YAML/);
});
