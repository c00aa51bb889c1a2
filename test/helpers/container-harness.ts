// The shared state and helpers of the container tests (deploy-containers.test.ts): the image's
// name, podman run with this test's configuration, docs/operations.md's marked blocks, and the
// hooks that build the image first and clean up after.

import { after, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureHostPackages, mb, mustRun, run, writeContainersConf, type RunOptions, type RunResult } from './containers.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** The image name and tag every deploy file and doc uses (never :latest). */
export const IMAGE = `localhost/plotbox:${VERSION}`;
export const ID = `pbxt${process.pid}`;
export const UID = 10001;

export let skipReason: string | null = null;
export let runsc: string | null = null;
export let work = '';
export let podmanEnv: NodeJS.ProcessEnv = process.env;
export const created = { pods: new Set<string>(), containers: new Set<string>(), volumes: new Set<string>(), networks: new Set<string>(), images: new Set<string>(), pauseImage: false };
export const measured: string[] = [];

export function progress(line: string): void {
  console.log(`# deploy-containers: ${line}`);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function podman(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('podman', args, { ...opts, env: podmanEnv, cwd: opts.cwd ?? ROOT });
}

export function mustPodman(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return mustRun('podman', args, { ...opts, env: podmanEnv, cwd: opts.cwd ?? ROOT });
}

export function skipped(t: TestContext): boolean {
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
export async function runDoc(name: string, vars: Record<string, string>, timeoutMs = 10 * 60_000): Promise<RunResult> {
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

/**
 * Registers the file's hooks: before, install what the host lacks, then make the base image and
 * build the image with docs/operations.md's own commands (or record why not: {@link skipped});
 * after, remove every pod, container, volume, network and image the tests created.
 */
export function useBuiltImage(): void {
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
}
