// deploy/compose.yaml validated against the compose specification and run through the services'
// own configuration parsers, and every command of docs/operations.md's Kubernetes and compose
// sections run as written.

import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadKeySet } from '@plotbox/api';
import { createTokenService } from '@plotbox/auth';
import { parseConfig } from '@plotbox/config';
import { parseSandboxConfig } from '../services/sandbox/src/config.ts';
import { workloadsOf } from './helpers/k8s-objects.ts';
import { MANIFEST_CHECKS, checkIngressMatchesPublicUrl, checkPinnedImages } from './helpers/deploy-policy.ts';
import { checkComposeHardening, checkComposeIsolated, composeEnvironment, interpolate, type ComposeFile } from './helpers/compose-policy.ts';
import { REPO, kustomize, lintCompose, validateAgainstSchemas, validateComposeSchema } from './helpers/deploy-render.ts';
import { commandLines, runCommands, sectionBlocks, writeUnreachableKubeconfig, type CommandResult } from './helpers/deploy-docs.ts';
import {
  NO_KUBECTL,
  HAS_OPENSSL,
  HAS_COMPOSE,
  VERSION,
  scratch,
  secretMaterial,
  ACCEPTED,
  unknownNames,
  apiConfigOf,
  sandboxConfigOf,
  OVERLAYS,
  scratchOverlay,
  objectsOfOrRender,
} from './helpers/deploy-configs.ts';

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
      'sandbox-token': secretMaterial().get('plotbox-sandbox-token/token') ?? '',
      'metrics-token': secretMaterial().get('plotbox-metrics-token/token') ?? '',
      'jwt-keys.json': secretMaterial().get('plotbox-jwt-keys/jwt-keys.json') ?? '',
      'secrets-key.json': secretMaterial().get('plotbox-secrets-key/secrets-key.json') ?? '',
      // secretlint-disable-next-line -- a made-up connection string: the test checks it is parsed and redacted
      'mongodb-uri': 'mongodb://plotbox:0123456789abcdef@mongo:27017/plotbox?authSource=admin\n',
      'mongo-password': '0123456789abcdef\n',
      's3-access-key': 'plotbox\n',
      's3-secret-key': secretMaterial().get('plotbox-s3/secret-key') ?? '',
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
    writeFileSync(join(own, 'mongodb-uri'), secretMaterial().get('plotbox-mongodb/uri') ?? '');
    writeFileSync(join(own, 's3-access-key'), secretMaterial().get('plotbox-s3/access-key') ?? '');
    writeFileSync(join(own, 's3-secret-key'), secretMaterial().get('plotbox-s3/secret-key') ?? '');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.crt', '-days', '2', '-subj', '/CN=plotbox.example.com'], {
      cwd: own,
      stdio: 'ignore',
    });
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
      const clusterSide =
        /^kubectl (-n plotbox )?(apply|exec|rollout|get|patch|scale|diff|logs|port-forward)\b/.test(r.line) || /\| kubectl apply/.test(r.line) || /^kubectl -n plotbox get secret/.test(r.line);
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
