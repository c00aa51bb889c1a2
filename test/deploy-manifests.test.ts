// The kustomize overlays, proven rather than hoped: each rendered by kubectl and validated against
// the Kubernetes API schemas, the policy checks run on what it renders, and the API's and the
// sandbox's own configuration parsers run on exactly what each pod would get. The policy checks'
// own unit tests: deploy-manifests-policy.test.ts; compose and the documented commands:
// deploy-manifests-docs.test.ts.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { selects, workloadsOf, type K8sObject } from './helpers/k8s-objects.ts';
import { MANIFEST_CHECKS, checkDisruptionBudgets, checkIngressMatchesPublicUrl, checkNoEgress, checkReferences, egressPorts, parseQuantity } from './helpers/deploy-policy.ts';
import { REPO, findUnknownFields, kustomize, parseObjects, validateAgainstSchemas } from './helpers/deploy-render.ts';
import {
  KUBECTL,
  NO_KUBECTL,
  VERSION,
  OPERATOR_SECRETS,
  API,
  SANDBOX,
  API_EGRESS,
  secretMaterial,
  workload,
  apiConfigOf,
  sandboxConfigOf,
  OVERLAYS,
  rendered,
  objectsOf,
  scratchOverlay,
} from './helpers/deploy-configs.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fixture = any;

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
        assert.deepEqual(
          [...ports].filter((p) => !API_EGRESS.has(p)),
          [],
        );
        // Only the API's pods reach the sandbox.
        const policy = objectsOf(name).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'plotbox-sandbox') as { spec: { ingress: { from: unknown[] }[] } } | undefined;
        assert.deepEqual(
          policy?.spec.ingress.flatMap((r) => r.from),
          [{ podSelector: { matchLabels: API } }],
        );
      });

      test('the API and the sandbox accept exactly the configuration their pods get', () => {
        const api = apiConfigOf(objectsOf(name));
        assert.equal(api.port, 8080);
        assert.equal(api.host, '0.0.0.0');
        assert.equal(api.dataDir, '/var/lib/plotbox');
        assert.equal(api.sandbox.url, 'http://plotbox-sandbox:8081');
        assert.equal(api.sandbox.token, secretMaterial().get('plotbox-sandbox-token/token')?.trim());
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
    assert.equal(config.mongo?.uri, secretMaterial().get('plotbox-mongodb/uri')?.trim());
    assert.equal(config.s3?.accessKey, 'plotbox');
    assert.equal(config.s3?.secretKey, secretMaterial().get('plotbox-s3/secret-key')?.trim());
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
    const sm = objects.find((o) => o.kind === 'ServiceMonitor') as
      | (K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string; authorization: { credentials: { name: string; key: string } } }[] } })
      | undefined;
    assert.ok(sm);
    assert.equal(sm.metadata.namespace, 'plotbox');
    const svc = objects.find((o) => o.kind === 'Service' && selects(sm.spec.selector, o.metadata.labels));
    assert.equal(svc?.metadata.name, 'plotbox-api');
    assert.deepEqual(
      sm.spec.endpoints.map((e) => [e.port, e.path, e.authorization.credentials.name, e.authorization.credentials.key]),
      [['http', '/metrics', 'plotbox-metrics-token', 'token']],
    );
    assert.equal(apiConfigOf(objects).env, 'production');
  });
});

test('parseObjects refuses broken YAML rather than reading half of it', () => {
  assert.throws(() => parseObjects('kind: A\n  bad: [\n'), /YAML/);
});
