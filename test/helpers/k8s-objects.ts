// Rendered Kubernetes objects as the deployment checks read them: the object and workload shapes,
// every pod template, label selectors, and what a container's environment would be.

import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IIoK8sApimachineryPkgApisMetaV1LabelSelector as ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';

/** One rendered object: what `kubectl kustomize` prints, parsed. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** A pod template and the object that carries it. */
export interface Workload {
  /** `Kind/name`, for messages. */
  readonly id: string;
  readonly object: K8sObject;
  readonly namespace: string | undefined;
  readonly template: IPodTemplateSpec;
  readonly spec: IPodSpec;
}

export type Check = (objects: readonly K8sObject[]) => string[];

const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController']);

/** Every pod the objects would create, with its template (Pods, workload templates, CronJob templates). */
export function workloadsOf(objects: readonly K8sObject[]): Workload[] {
  const out: Workload[] = [];
  for (const object of objects) {
    let template: IPodTemplateSpec | undefined;
    if (object.kind === 'Pod') template = { metadata: object.metadata, spec: object.spec as IPodSpec };
    else if (TEMPLATE_KINDS.has(object.kind)) template = (object.spec as { template?: IPodTemplateSpec } | undefined)?.template;
    else if (object.kind === 'CronJob') template = (object.spec as { jobTemplate?: { spec?: { template?: IPodTemplateSpec } } } | undefined)?.jobTemplate?.spec?.template;
    else continue;
    const spec = template?.spec ?? { containers: [] };
    out.push({ id: `${object.kind}/${object.metadata.name}`, object, namespace: object.metadata.namespace, template: template ?? {}, spec });
  }
  return out;
}

/** Every container of a pod, init and ephemeral ones included. */
export function allContainers(spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers, ...((spec.ephemeralContainers ?? []) as IContainer[])];
}

export function each(objects: readonly K8sObject[], fn: (w: Workload, c: IContainer, where: string) => string[]): string[] {
  return workloadsOf(objects).flatMap((w) => allContainers(w.spec).flatMap((c) => fn(w, c, `${w.id} container ${c.name}`)));
}

/** Does a label selector (matchLabels and matchExpressions) select these labels? An empty selector selects everything. */
export function selects(selector: ILabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector === undefined) return false;
  const have = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (have[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = have[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && (value === undefined || !values.includes(value))) return false;
    if (e.operator === 'NotIn' && value !== undefined && values.includes(value)) return false;
    if (e.operator === 'Exists' && value === undefined) return false;
    if (e.operator === 'DoesNotExist' && value !== undefined) return false;
  }
  return true;
}

export const sameNamespace = (a: K8sObject, ns: string | undefined): boolean => (a.metadata.namespace ?? undefined) === ns;
export const ofKind = <T>(objects: readonly K8sObject[], kind: string): (K8sObject & T)[] => objects.filter((o) => o.kind === kind) as (K8sObject & T)[];

// ------------------------------------------------------------------------------ a pod's environment

/** What a container would see: its environment, and the files of its secret mounts (path → secret and key). */
export interface ContainerEnvironment {
  readonly env: Record<string, string>;
  readonly secretFiles: ReadonlyMap<string, { readonly secret: string; readonly key: string }>;
  readonly problems: readonly string[];
}

/** The environment a container of a workload gets from its envFrom ConfigMaps and env values, and its secret files. */
export function containerEnvironment(objects: readonly K8sObject[], w: Workload, containerName: string): ContainerEnvironment {
  const c = w.spec.containers.find((x) => x.name === containerName);
  if (c === undefined) return { env: {}, secretFiles: new Map(), problems: [`${w.id}: no container ${containerName}`] };
  const env: Record<string, string> = {};
  const problems: string[] = [];
  for (const ef of c.envFrom ?? []) {
    if (ef.configMapRef === undefined) continue;
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ef.configMapRef?.name && sameNamespace(o, w.namespace));
    if (cm === undefined) problems.push(`ConfigMap ${ef.configMapRef.name ?? '?'} is missing`);
    for (const [k, v] of Object.entries((cm?.data as Record<string, string> | undefined) ?? {})) env[`${ef.prefix ?? ''}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom !== undefined) problems.push(`env ${e.name} comes from a reference this check does not resolve`);
    else env[e.name] = '';
  }
  const secretFiles = new Map<string, { secret: string; key: string }>();
  for (const m of c.volumeMounts ?? []) {
    const secret = (w.spec.volumes ?? []).find((v) => v.name === m.name)?.secret;
    if (secret === undefined) continue;
    if (secret.items === undefined) problems.push(`secret volume ${m.name} mounts every key (list the items it needs)`);
    for (const item of secret.items ?? []) secretFiles.set(`${m.mountPath.replace(/\/$/, '')}/${item.path}`, { secret: secret.secretName ?? '', key: item.key });
  }
  return { env, secretFiles, problems };
}
