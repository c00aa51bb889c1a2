/**
 * Policy checks on rendered Kubernetes objects (the compose file's: compose-policy.ts), as small pure functions:
 * each takes parsed objects and returns the violations it finds (empty: none), one readable line
 * each. test/deploy-manifests.test.ts runs them on every kustomize overlay and
 * test/deploy-manifests-policy.test.ts proves each one catches a deliberately bad object.
 */

import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IService } from 'kubernetes-models/v1/Service';
import { type K8sObject, type Workload, type Check, workloadsOf, allContainers, each, selects, sameNamespace, ofKind } from './k8s-objects.ts';

// ------------------------------------------------------------------------------ pod security

/** Volume types the restricted Pod Security Standard allows. */
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/**
 * The restricted Pod Security Standard (latest), plus a numeric non-root user: no host namespaces,
 * ports or paths, no privileged or escalating containers, every capability dropped and none added,
 * seccomp RuntimeDefault/Localhost, runAsNonRoot, a numeric non-zero runAsUser, no sysctls, no
 * custom SELinux user/role, default /proc mount, only the allowed volume types.
 */
export const checkRestrictedPodSecurity: Check = (objects) => {
  const problems: string[] = [];
  for (const w of workloadsOf(objects)) {
    const s = w.spec;
    const pod = s.securityContext ?? {};
    if (s.hostNetwork === true || s.hostPID === true || s.hostIPC === true) problems.push(`${w.id}: uses a host namespace (hostNetwork/hostPID/hostIPC)`);
    if ((pod.sysctls ?? []).length > 0) problems.push(`${w.id}: sets sysctls`);
    if (pod.seLinuxOptions?.user !== undefined || pod.seLinuxOptions?.role !== undefined) problems.push(`${w.id}: sets an SELinux user or role`);
    for (const v of s.volumes ?? []) {
      const type = Object.keys(v).find((k) => k !== 'name');
      if (type === undefined || !RESTRICTED_VOLUME_TYPES.has(type)) problems.push(`${w.id}: volume ${v.name} is of type ${type ?? 'none'}, not allowed under restricted`);
    }
    for (const c of allContainers(s)) {
      const where = `${w.id} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if (sc.privileged === true) problems.push(`${where}: privileged`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: does not drop ALL capabilities`);
      if ((sc.capabilities?.add ?? []).length > 0) problems.push(`${where}: adds capabilities ${(sc.capabilities?.add ?? []).join(', ')}`);
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${where}: runAsNonRoot is not true`);
      const uid = sc.runAsUser ?? pod.runAsUser;
      if (typeof uid !== 'number' || !Number.isInteger(uid) || uid <= 0) problems.push(`${where}: no numeric non-root runAsUser`);
      const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where}: seccompProfile is not RuntimeDefault or Localhost`);
      if (sc.procMount !== undefined && sc.procMount !== 'Default') problems.push(`${where}: procMount ${sc.procMount}`);
      if (sc.seLinuxOptions?.user !== undefined || sc.seLinuxOptions?.role !== undefined) problems.push(`${where}: sets an SELinux user or role`);
      for (const p of c.ports ?? []) if ((p.hostPort ?? 0) !== 0) problems.push(`${where}: hostPort ${p.hostPort}`);
    }
  }
  return problems;
};

/** Every container's root filesystem is read-only (writes go to declared volumes only). */
export const checkReadOnlyRootFilesystem: Check = (objects) =>
  each(objects, (_w, c, where) => (c.securityContext?.readOnlyRootFilesystem === true ? [] : [`${where}: readOnlyRootFilesystem is not true`]));

/** Every pod's emptyDir volumes have a sizeLimit (an unbounded one can fill the node's disk). */
export const checkEmptyDirsBounded: Check = (objects) =>
  workloadsOf(objects).flatMap((w) => (w.spec.volumes ?? []).filter((v) => v.emptyDir !== undefined && v.emptyDir.sizeLimit === undefined).map((v) => `${w.id}: emptyDir ${v.name} has no sizeLimit`));

// ------------------------------------------------------------------------------ probes, resources

const UNITS: Readonly<Record<string, number>> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A Kubernetes quantity ("250m", "2", "384Mi", "1Gi") as a number, or `null` if it is not one. */
export function parseQuantity(q: string | number | undefined): number | null {
  if (typeof q === 'number') return q;
  if (q === undefined) return null;
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (m === null) return null;
  return Number(m[1]) * (UNITS[m[2] ?? ''] ?? Number.NaN);
}

/**
 * Every long-running container has readiness and liveness probes, and every container (init ones
 * too) requests and limits CPU and memory, with requests no larger than limits.
 */
export const checkProbesAndResources: Check = (objects) => {
  const problems: string[] = [];
  for (const w of workloadsOf(objects)) {
    const runsToCompletion = w.object.kind === 'Job' || w.object.kind === 'CronJob';
    for (const c of allContainers(w.spec)) {
      const where = `${w.id} container ${c.name}`;
      const isInit = (w.spec.initContainers ?? []).includes(c);
      if (!isInit && !runsToCompletion) {
        if (c.readinessProbe === undefined) problems.push(`${where}: no readinessProbe`);
        if (c.livenessProbe === undefined) problems.push(`${where}: no livenessProbe`);
      }
      for (const resource of ['cpu', 'memory'] as const) {
        const request = parseQuantity(c.resources?.requests?.[resource]);
        const limit = parseQuantity(c.resources?.limits?.[resource]);
        if (request === null) problems.push(`${where}: no ${resource} request`);
        if (limit === null) problems.push(`${where}: no ${resource} limit`);
        if (request !== null && limit !== null && request > limit) problems.push(`${where}: ${resource} request above its limit`);
      }
    }
  }
  return problems;
};

// ------------------------------------------------------------------------------ images

/** Images carry a version tag or a digest (never `latest`, never none) and are pulled IfNotPresent. */
export const checkPinnedImages: Check = (objects) =>
  each(objects, (_w, c, where) => {
    const problems: string[] = [];
    const image = c.image ?? '';
    const digest = image.includes('@sha256:');
    const lastSegment = image.split('/').pop() ?? '';
    const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
    if (image === '') problems.push(`${where}: no image`);
    else if (!digest && tag === undefined) problems.push(`${where}: image ${image} has no tag`);
    else if (!digest && tag === 'latest') problems.push(`${where}: image ${image} uses :latest`);
    if (c.imagePullPolicy !== 'IfNotPresent') problems.push(`${where}: imagePullPolicy is ${c.imagePullPolicy ?? 'unset'}, not IfNotPresent`);
    return problems;
  });

/** The image's entrypoint picks the service: containers pass `args` (api, sandbox or cli ...) and never override `command`. */
export const checkDispatcherArgs: Check = (objects) =>
  each(objects, (_w, c, where) => {
    const problems: string[] = [];
    if (c.command !== undefined) problems.push(`${where}: overrides the image's command`);
    const first = c.args?.[0];
    if (first !== 'api' && first !== 'sandbox' && first !== 'cli') problems.push(`${where}: args[0] is ${first ?? 'missing'}, not api, sandbox or cli`);
    return problems;
  });

// ------------------------------------------------------------------------------ secrets

/** Environment or ConfigMap names that hold secrets when given a value (as opposed to `*_FILE` paths). */
const SECRET_NAME = /(PASSWORD|PASSPHRASE|SECRET|TOKEN|PRIVATE_KEY|ACCESS_KEY|SECRET_KEY|JWT_KEYS|CREDENTIALS?|_URI|_DSN)$/;
/** Values that are secrets whatever their name: PEM blocks, URLs with credentials, long opaque tokens. */
const SECRET_VALUE = /-----BEGIN [A-Z ]+-----|[a-z][a-z0-9+.-]*:\/\/[^/@\s:]+:[^/@\s]+@|^(?![/.])(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9+/_=-]{32,}$/;

/** Does a name/value pair look like a secret given inline? */
export function looksLikeInlineSecret(name: string, value: string): boolean {
  return (!name.endsWith('_FILE') && SECRET_NAME.test(name) && value !== '') || SECRET_VALUE.test(value);
}

/**
 * No secret travels in a manifest or in the environment: Secrets with data are refused (the
 * operator creates them), no secret-looking env value or ConfigMap entry, no secretKeyRef or
 * secretRef into the environment (secrets are files, read through `*_FILE`), and every `*_FILE`
 * variable names a file inside a read-only secret mount.
 */
export const checkNoInlineSecrets: Check = (objects) => {
  const problems: string[] = [];
  for (const s of objects.filter((o) => o.kind === 'Secret')) {
    const data = { ...(s.data as object | undefined), ...(s.stringData as object | undefined) };
    if (Object.keys(data).length > 0) problems.push(`Secret/${s.metadata.name}: carries data in the manifests (the operator creates secrets)`);
  }
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    for (const [k, v] of Object.entries((cm.data as Record<string, string> | undefined) ?? {})) {
      if (looksLikeInlineSecret(k, v)) problems.push(`ConfigMap/${cm.metadata.name}: ${k} looks like a secret`);
    }
  }
  problems.push(
    ...each(objects, (w, c, where) => {
      const out: string[] = [];
      for (const e of c.env ?? []) {
        if (e.value !== undefined && looksLikeInlineSecret(e.name, e.value)) out.push(`${where}: env ${e.name} holds a secret inline`);
        if (e.valueFrom?.secretKeyRef !== undefined) out.push(`${where}: env ${e.name} takes a secret into the environment (mount it and use ${e.name}_FILE)`);
        if (e.name.endsWith('_FILE')) {
          const path = e.value ?? '';
          const mount = (c.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
          const volume = (w.spec.volumes ?? []).find((v) => v.name === mount?.name);
          if (mount === undefined || volume?.secret === undefined) out.push(`${where}: ${e.name} (${path}) is not inside a secret volume`);
          else if (mount.readOnly !== true) out.push(`${where}: the secret mount for ${e.name} is not read-only`);
        }
      }
      for (const ef of c.envFrom ?? []) if (ef.secretRef !== undefined) out.push(`${where}: envFrom takes Secret ${ef.secretRef.name ?? '?'} into the environment`);
      return out;
    }),
  );
  return problems;
};

// ------------------------------------------------------------------------------ service accounts

/**
 * Each workload runs under its own ServiceAccount (not `default`, not shared), which exists in the
 * objects and mounts no token; the pod mounts none either.
 */
export const checkServiceAccounts: Check = (objects) => {
  const problems: string[] = [];
  const accounts = objects.filter((o) => o.kind === 'ServiceAccount');
  const users = new Map<string, string[]>();
  for (const w of workloadsOf(objects)) {
    const name = w.spec.serviceAccountName;
    if (name === undefined || name === 'default') {
      problems.push(`${w.id}: runs under the default ServiceAccount`);
      continue;
    }
    const key = `${w.namespace ?? ''}/${name}`;
    users.set(key, [...(users.get(key) ?? []), w.id]);
    const sa = accounts.find((a) => a.metadata.name === name && sameNamespace(a, w.namespace));
    if (sa === undefined) problems.push(`${w.id}: ServiceAccount ${name} is not among the objects`);
    else if (sa.automountServiceAccountToken !== false) problems.push(`ServiceAccount/${name}: automountServiceAccountToken is not false`);
    if (w.spec.automountServiceAccountToken !== false) problems.push(`${w.id}: automountServiceAccountToken is not false`);
  }
  for (const [key, ids] of users) if (ids.length > 1) problems.push(`ServiceAccount ${key} is shared by ${ids.join(', ')}`);
  return problems;
};

/**
 * Service links are off: Kubernetes would otherwise inject `<SERVICE>_PORT`-style variables, and a
 * Service named plotbox-api yields PLOTBOX_API_PORT, an unknown PLOTBOX_* setting the API refuses.
 */
export const checkNoServiceLinks: Check = (objects) =>
  workloadsOf(objects)
    .filter((w) => w.spec.enableServiceLinks !== false)
    .map((w) => `${w.id}: enableServiceLinks is not false`);

// ------------------------------------------------------------------------------ network policies

const policiesFor = (objects: readonly K8sObject[], w: Workload): (K8sObject & INetworkPolicy)[] =>
  ofKind<INetworkPolicy>(objects, 'NetworkPolicy').filter((p) => sameNamespace(p, w.namespace) && selects(p.spec?.podSelector, w.template.metadata?.labels));

/**
 * Every pod is selected by NetworkPolicies that restrict both directions (Ingress and Egress), and
 * each namespace with pods has a default deny: an empty podSelector, both types, no rules.
 */
export const checkNetworkPolicyCoverage: Check = (objects) => {
  const problems: string[] = [];
  const namespaces = new Set<string | undefined>();
  for (const w of workloadsOf(objects)) {
    namespaces.add(w.namespace);
    const types = new Set(policiesFor(objects, w).flatMap((p) => p.spec?.policyTypes ?? []));
    if (!types.has('Ingress')) problems.push(`${w.id}: no NetworkPolicy restricts its ingress`);
    if (!types.has('Egress')) problems.push(`${w.id}: no NetworkPolicy restricts its egress`);
  }
  for (const ns of namespaces) {
    const deny = ofKind<INetworkPolicy>(objects, 'NetworkPolicy').some(
      (p) =>
        sameNamespace(p, ns) &&
        Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length === 0 &&
        (p.spec?.podSelector?.matchExpressions ?? []).length === 0 &&
        (p.spec?.policyTypes ?? []).includes('Ingress') &&
        (p.spec?.policyTypes ?? []).includes('Egress') &&
        (p.spec?.ingress ?? []).length === 0 &&
        (p.spec?.egress ?? []).length === 0,
    );
    if (!deny) problems.push(`namespace ${ns ?? '(none)'}: no default-deny NetworkPolicy`);
  }
  return problems;
};

/** The pods with these labels may open no connection at all: restricted for Egress, no egress rule anywhere. */
export function checkNoEgress(objects: readonly K8sObject[], labels: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const targets = workloadsOf(objects).filter((w) => Object.entries(labels).every(([k, v]) => w.template.metadata?.labels?.[k] === v));
  if (targets.length === 0) problems.push(`no pods labelled ${JSON.stringify(labels)}`);
  for (const w of targets) {
    const policies = policiesFor(objects, w);
    if (!policies.some((p) => (p.spec?.policyTypes ?? []).includes('Egress'))) problems.push(`${w.id}: egress is not restricted`);
    for (const p of policies) if ((p.spec?.egress ?? []).length > 0) problems.push(`${w.id}: NetworkPolicy/${p.metadata.name} allows egress`);
  }
  return problems;
}

/** The TCP/UDP ports the pods with these labels may connect to (`*` for a rule without ports). */
export function egressPorts(objects: readonly K8sObject[], labels: Readonly<Record<string, string>>): Set<string> {
  const ports = new Set<string>();
  for (const w of workloadsOf(objects).filter((x) => Object.entries(labels).every(([k, v]) => x.template.metadata?.labels?.[k] === v))) {
    for (const p of policiesFor(objects, w)) {
      for (const rule of p.spec?.egress ?? []) {
        if ((rule.ports ?? []).length === 0) ports.add('*');
        for (const port of rule.ports ?? []) ports.add(`${port.protocol ?? 'TCP'}/${String(port.port ?? '*')}`);
      }
    }
  }
  return ports;
}

// ------------------------------------------------------------------------------ disruption budgets

/** The replica count a workload keeps at least: its HPA's minReplicas if one targets it, else spec.replicas (default 1). */
export function minimumReplicas(objects: readonly K8sObject[], w: Workload): number {
  const hpa = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
    (h) => sameNamespace(h, w.namespace) && h.spec?.scaleTargetRef.kind === w.object.kind && h.spec.scaleTargetRef.name === w.object.metadata.name,
  );
  if (hpa !== undefined) return hpa.spec?.minReplicas ?? 1;
  const replicas = (w.object.spec as { replicas?: number } | undefined)?.replicas;
  return replicas ?? 1;
}

/** Pods a budget value stands for at this many replicas; percentages round up, as the disruption controller does. */
function scaled(value: number | string, replicas: number): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  return m === null ? Number.NaN : Math.ceil((Number(m[1]) * replicas) / 100);
}

/**
 * PodDisruptionBudgets never make a drain impossible: each selects pods of some workload, and at
 * that workload's minimum replicas (its HPA's minReplicas, or spec.replicas) minAvailable stays
 * below the count / maxUnavailable allows at least one. HPAs target existing workloads with
 * min <= max, and a workload an HPA scales does not pin spec.replicas (a re-apply would reset it).
 */
export const checkDisruptionBudgets: Check = (objects) => {
  const problems: string[] = [];
  const workloads = workloadsOf(objects);
  for (const pdb of ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget')) {
    const id = `PodDisruptionBudget/${pdb.metadata.name}`;
    const targets = workloads.filter((w) => sameNamespace(w.object, pdb.metadata.namespace) && selects(pdb.spec?.selector, w.template.metadata?.labels));
    if (targets.length === 0) problems.push(`${id}: selects no pods`);
    const replicas = targets.reduce((sum, w) => sum + minimumReplicas(objects, w), 0);
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};
    if (minAvailable !== undefined && !(scaled(minAvailable, replicas) < replicas)) {
      problems.push(`${id}: minAvailable ${minAvailable} with ${replicas} replica(s) leaves no pod evictable (drains block)`);
    }
    if (maxUnavailable !== undefined && !(scaled(maxUnavailable, replicas) >= 1)) {
      problems.push(`${id}: maxUnavailable ${maxUnavailable} with ${replicas} replica(s) allows no eviction (drains block)`);
    }
    if (minAvailable === undefined && maxUnavailable === undefined) problems.push(`${id}: neither minAvailable nor maxUnavailable`);
  }
  for (const hpa of ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler')) {
    const id = `HorizontalPodAutoscaler/${hpa.metadata.name}`;
    const ref = hpa.spec?.scaleTargetRef;
    const target = workloads.find((w) => sameNamespace(w.object, hpa.metadata.namespace) && w.object.kind === ref?.kind && w.object.metadata.name === ref.name);
    if (target === undefined) problems.push(`${id}: targets ${ref?.kind ?? '?'}/${ref?.name ?? '?'}, which is not among the objects`);
    else if ((target.object.spec as { replicas?: number } | undefined)?.replicas !== undefined) problems.push(`${target.id}: sets spec.replicas although ${id} scales it`);
    if ((hpa.spec?.minReplicas ?? 1) > (hpa.spec?.maxReplicas ?? 0)) problems.push(`${id}: minReplicas above maxReplicas`);
  }
  return problems;
};

// ------------------------------------------------------------------------------ references, labels

/**
 * Everything a pod or a route refers to exists: ConfigMaps (names as kustomize rewrote them),
 * PersistentVolumeClaims, Secrets (among the ones the operator creates), named probe and Service
 * ports, Services behind Ingresses, Services that select pods.
 */
export function checkReferences(objects: readonly K8sObject[], operatorSecrets: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const exists = (kind: string, name: string | undefined, ns: string | undefined): boolean => objects.some((o) => o.kind === kind && o.metadata.name === name && sameNamespace(o, ns));
  const workloads = workloadsOf(objects);
  for (const w of workloads) {
    const volumes: IVolume[] = w.spec.volumes ?? [];
    for (const v of volumes) {
      if (v.configMap !== undefined && !exists('ConfigMap', v.configMap.name, w.namespace)) problems.push(`${w.id}: ConfigMap ${v.configMap.name ?? '?'} is missing`);
      if (v.persistentVolumeClaim !== undefined && !exists('PersistentVolumeClaim', v.persistentVolumeClaim.claimName, w.namespace)) {
        problems.push(`${w.id}: PersistentVolumeClaim ${v.persistentVolumeClaim.claimName} is missing`);
      }
      if (v.secret !== undefined && !operatorSecrets.has(v.secret.secretName ?? '') && !exists('Secret', v.secret.secretName, w.namespace)) {
        problems.push(`${w.id}: Secret ${v.secret.secretName ?? '?'} is neither among the objects nor one the operator creates`);
      }
    }
    for (const c of allContainers(w.spec)) {
      for (const ef of c.envFrom ?? []) {
        if (ef.configMapRef !== undefined && ef.configMapRef.optional !== true && !exists('ConfigMap', ef.configMapRef.name, w.namespace)) {
          problems.push(`${w.id} container ${c.name}: ConfigMap ${ef.configMapRef.name ?? '?'} is missing`);
        }
      }
      for (const m of c.volumeMounts ?? []) if (!volumes.some((v) => v.name === m.name)) problems.push(`${w.id} container ${c.name}: mounts undeclared volume ${m.name}`);
      const portNames = new Set((c.ports ?? []).flatMap((p) => (p.name === undefined ? [] : [p.name])));
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
        if (typeof port === 'string' && !portNames.has(port)) problems.push(`${w.id} container ${c.name}: a probe uses unknown port ${port}`);
      }
    }
  }
  for (const svc of ofKind<IService>(objects, 'Service')) {
    const pods = workloads.filter((w) => sameNamespace(w.object, svc.metadata.namespace) && selects({ matchLabels: svc.spec?.selector ?? {} }, w.template.metadata?.labels));
    if (pods.length === 0) problems.push(`Service/${svc.metadata.name}: selects no pods`);
    for (const p of svc.spec?.ports ?? []) {
      if (typeof p.targetPort === 'string' && !pods.every((w) => w.spec.containers.some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort)))) {
        problems.push(`Service/${svc.metadata.name}: targetPort ${p.targetPort} is not a port of its pods`);
      }
    }
  }
  for (const ing of ofKind<IIngress>(objects, 'Ingress')) {
    for (const rule of ing.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const ref = path.backend.service;
        const svc = ofKind<IService>(objects, 'Service').find((s) => s.metadata.name === ref?.name && sameNamespace(s, ing.metadata.namespace));
        if (svc === undefined) problems.push(`Ingress/${ing.metadata.name}: Service ${ref?.name ?? '?'} is missing`);
        else if (ref?.port?.name !== undefined && !(svc.spec?.ports ?? []).some((p) => p.name === ref.port?.name))
          problems.push(`Ingress/${ing.metadata.name}: Service ${svc.metadata.name} has no port ${ref.port.name}`);
      }
    }
  }
  return problems;
}

const RECOMMENDED = ['app.kubernetes.io/name', 'app.kubernetes.io/part-of'] as const;

/** Namespaced objects carry app.kubernetes.io/name and part-of; workloads and their pods also component. */
export const checkRecommendedLabels: Check = (objects) => {
  const problems: string[] = [];
  for (const o of objects) {
    const required = o.kind === 'Namespace' || o.kind === 'NetworkPolicy' || o.kind === 'RuntimeClass' ? ['app.kubernetes.io/part-of'] : RECOMMENDED;
    for (const label of required) if (o.metadata.labels?.[label] === undefined) problems.push(`${o.kind}/${o.metadata.name}: no ${label} label`);
  }
  for (const w of workloadsOf(objects)) {
    for (const label of [...RECOMMENDED, 'app.kubernetes.io/component']) if (w.template.metadata?.labels?.[label] === undefined) problems.push(`${w.id}: its pods have no ${label} label`);
  }
  return problems;
};

/** Namespaces enforce (and audit and warn about) the restricted Pod Security Standard. */
export const checkNamespacesRestricted: Check = (objects) =>
  objects
    .filter((o) => o.kind === 'Namespace')
    .flatMap((ns) =>
      (['enforce', 'audit', 'warn'] as const)
        .filter((mode) => ns.metadata.labels?.[`pod-security.kubernetes.io/${mode}`] !== 'restricted')
        .map((mode) => `Namespace/${ns.metadata.name}: pod-security.kubernetes.io/${mode} is not restricted`),
    );

/**
 * Each Ingress serves the host of the API's PLOTBOX_PUBLIC_URL (from the ConfigMap the API's pods
 * load) and, for an https URL, has TLS for that host.
 */
export function checkIngressMatchesPublicUrl(objects: readonly K8sObject[], publicUrl: string | undefined): string[] {
  const ingresses = ofKind<IIngress>(objects, 'Ingress');
  if (ingresses.length === 0) return [];
  if (publicUrl === undefined) return ['PLOTBOX_PUBLIC_URL is not set although an Ingress serves the API'];
  const url = new URL(publicUrl);
  const problems: string[] = [];
  for (const ing of ingresses) {
    const hosts = (ing.spec?.rules ?? []).map((r) => r.host);
    if (!hosts.includes(url.hostname)) problems.push(`Ingress/${ing.metadata.name}: serves ${hosts.join(', ')}, not ${url.hostname} (PLOTBOX_PUBLIC_URL)`);
    if (url.protocol === 'https:' && !(ing.spec?.tls ?? []).some((t) => (t.hosts ?? []).includes(url.hostname))) problems.push(`Ingress/${ing.metadata.name}: no TLS for ${url.hostname}`);
  }
  return problems;
}

/** Kinds that live outside namespaces. */
const CLUSTER_SCOPED = new Set(['Namespace', 'RuntimeClass', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'IngressClass', 'PriorityClass', 'CustomResourceDefinition']);

/** Every namespaced object names its namespace, so `kubectl apply` never drops one into the current context's. */
export const checkNamespaced: Check = (objects) => objects.filter((o) => !CLUSTER_SCOPED.has(o.kind) && (o.metadata.namespace ?? '') === '').map((o) => `${o.kind}/${o.metadata.name}: no namespace`);

/** Every policy check that holds for any overlay, by name. */
export const MANIFEST_CHECKS: Readonly<Record<string, Check>> = {
  checkRestrictedPodSecurity,
  checkReadOnlyRootFilesystem,
  checkEmptyDirsBounded,
  checkProbesAndResources,
  checkPinnedImages,
  checkDispatcherArgs,
  checkNoInlineSecrets,
  checkServiceAccounts,
  checkNoServiceLinks,
  checkNetworkPolicyCoverage,
  checkDisruptionBudgets,
  checkRecommendedLabels,
  checkNamespacesRestricted,
  checkNamespaced,
};
