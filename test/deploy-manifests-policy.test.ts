// The deployment policy checks (helpers/deploy-policy.ts) catch what they are for: each unit test
// breaks one thing in a small compliant set of objects.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { selects, type K8sObject } from './helpers/k8s-objects.ts';
import {
  MANIFEST_CHECKS,
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
  egressPorts,
  parseQuantity,
} from './helpers/deploy-policy.ts';
import { checkComposeHardening, checkComposeIsolated, interpolate, type ComposeFile } from './helpers/compose-policy.ts';
import { findUnknownFields, validateAgainstSchemas, validateComposeSchema } from './helpers/deploy-render.ts';
import { OPERATOR_SECRETS, ACCEPTED, unknownNames } from './helpers/deploy-configs.ts';

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
    assert.match(
      checkReferences(
        broken('Deployment', (o) => (container(o).envFrom[0].configMapRef.name = 'gone')),
        OPERATOR_SECRETS,
      ).join(),
      /ConfigMap gone is missing/,
    );
    assert.match(
      checkReferences(
        broken('Deployment', (o) => (podSpec(o).volumes[1].secret.secretName = 'mystery')),
        OPERATOR_SECRETS,
      ).join(),
      /Secret mystery/,
    );
    assert.match(
      checkReferences(
        broken('Deployment', (o) => (container(o).readinessProbe.httpGet.port = 'web')),
        OPERATOR_SECRETS,
      ).join(),
      /unknown port web/,
    );
    assert.match(
      checkReferences(
        broken('Service', (o) => (o.spec.selector = { 'app.kubernetes.io/name': 'nobody' })),
        OPERATOR_SECRETS,
      ).join(),
      /selects no pods/,
    );
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
        api: {
          image: 'plotbox:1.0.0',
          user: '10001:10001',
          read_only: true,
          cap_drop: ['ALL'],
          security_opt: ['no-new-privileges:true'],
          healthcheck: { test: ['CMD', 'true'] },
          networks: ['edge', 'inner'],
        },
        sandbox: {
          image: 'plotbox:1.0.0',
          user: '10001:10001',
          read_only: true,
          cap_drop: ['ALL'],
          security_opt: ['no-new-privileges:true'],
          healthcheck: { test: ['CMD', 'true'] },
          networks: ['inner'],
        },
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
    assert.match(
      checkComposeIsolated(
        bad((c) => (c.networks.inner.internal = false)),
        'sandbox',
        ['api'],
      ).join(),
      /not internal/,
    );
    assert.match(
      checkComposeIsolated(
        bad((c) => (c.services.sandbox.ports = ['8081:8081'])),
        'sandbox',
        ['api'],
      ).join(),
      /publishes ports/,
    );
    assert.match(
      checkComposeIsolated(
        bad((c) => (c.services.db = { networks: ['inner'] })),
        'sandbox',
        ['api'],
      ).join(),
      /shares network inner with db/,
    );
    assert.equal(interpolate('${A:-x}/${B-y}/${C}/$$', { A: '', C: 'c' }), 'x/y/c/$');
    assert.throws(() => interpolate('${A:?required}', {}), /unsupported interpolation/);
    assert.match(validateComposeSchema({ services: { a: { image: 'x:1', restart: 42, bogus: true } } }).join('\n'), /bogus|additional/);
  });
});
