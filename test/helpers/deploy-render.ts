/**
 * Rendering and schema validation for the deployment files: `kubectl kustomize`, the Kubernetes
 * API schemas (kubernetes-models' validators, generated from the Kubernetes OpenAPI spec, and its
 * TypeScript types for unknown fields), and the compose specification's JSON schema (the copy
 * dclint ships) with dclint's own rules.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './k8s-objects.ts';

export const REPO = resolve(import.meta.dirname, '../..');

/** kubectl's client version line, or `null` when there is no usable kubectl (tests then skip). */
export function kubectlVersion(): string | null {
  const r = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) return null;
  try {
    const v = JSON.parse(r.stdout) as { clientVersion?: { gitVersion?: string }; kustomizeVersion?: string };
    return `kubectl ${v.clientVersion?.gitVersion ?? '?'}, kustomize ${v.kustomizeVersion ?? '?'}`;
  } catch {
    return null;
  }
}

/** Parses a multi-document YAML stream of Kubernetes objects; YAML errors throw. */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value as K8sObject];
  });
}

/** `kubectl kustomize DIR`, parsed. */
export function kustomize(dir: string): K8sObject[] {
  return parseObjects(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }));
}

/** The package module that models an object of this apiVersion and kind. */
export function modelModule(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
}

interface Model {
  validate(): void;
}

/**
 * Validates each object against the schema of its apiVersion and kind (types, formats such as
 * quantities, required fields, enums). An apiVersion/kind with no schema is itself a problem.
 */
export async function validateAgainstSchemas(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    const id = `${o.apiVersion} ${o.kind}/${o.metadata.name}`;
    let ctor: new (data: unknown) => Model;
    try {
      const mod = (await import(modelModule(o.apiVersion, o.kind))) as Record<string, unknown>;
      ctor = mod[o.kind] as new (data: unknown) => Model;
      if (typeof ctor !== 'function') throw new Error('no model');
    } catch {
      problems.push(`${id}: no schema for this apiVersion and kind`);
      continue;
    }
    try {
      new ctor(o).validate();
    } catch (err) {
      problems.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return problems;
}

/**
 * Finds fields the Kubernetes API does not know (a misspelt `readinesProbe` is silently dropped by
 * a lenient server): each object is type-checked as an object literal of its kubernetes-models
 * interface, whose excess-property check names every unknown field.
 */
export function findUnknownFields(objects: readonly K8sObject[]): string[] {
  const file = join(REPO, 'test', '__rendered-manifests__.ts');
  const lines: string[] = [];
  objects.forEach((o, i) => {
    lines.push(`import type { I${o.kind} as T${i} } from '${modelModule(o.apiVersion, o.kind)}';`);
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
  });
  const source = `${lines.join('\n')}\n`;
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, source, version) : getSourceFile.call(host, name, version, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const index = Math.floor(line / 2);
    const o = objects[index];
    const where = o === undefined ? '(unknown object)' : `${o.kind}/${o.metadata.name}`;
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

const require = createRequire(import.meta.url);

/** The compose specification's JSON schema as dclint ships it (kept current with docker/compose). */
export function composeSchema(): Record<string, unknown> {
  const dir = dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(readFileSync(join(dir, 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

/** Every way a parsed compose document breaks the compose specification's schema (all errors, not the first). */
export function validateComposeSchema(doc: unknown): string[] {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  const validate = ajv.compile(composeSchema());
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}

/** dclint's correctness and security rules on a compose file (its style rules are left out). */
export function lintCompose(path: string): string[] {
  const linter = new DCLinter({
    // A rule left out of this list is on (dclint's default): every rule is named, style ones off.
    rules: {
      'no-build-and-image': 2,
      'no-duplicate-container-names': 2,
      'no-duplicate-exported-ports': 2,
      'no-quotes-in-volumes': 2,
      'no-unbound-port-interfaces': 2,
      'no-version-field': 2,
      'require-project-name-field': 2,
      'require-quotes-in-ports': [2, { quoteType: 'double' }],
      'service-container-name-regex': 2,
      'service-image-require-explicit-tag': 2,
      'service-dependencies-alphabetical-order': 0,
      'service-keys-order': 0,
      'service-ports-alphabetical-order': 0,
      'services-alphabetical-order': 0,
      'top-level-properties-order': 0,
    },
    quiet: true,
    debug: false,
    exclude: [],
  });
  // dclint's declarations import their own types without extensions, which NodeNext cannot follow.
  const results = linter.lintFiles([path], false) as unknown as readonly { readonly messages: readonly { readonly rule: string; readonly line: number; readonly message: string }[] }[];
  return results.flatMap((r) => r.messages.map((m) => `${m.rule} (line ${m.line}): ${m.message}`));
}
