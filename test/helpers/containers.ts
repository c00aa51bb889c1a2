// Podman on this machine class, for test/deploy-containers.test.ts: installing what it needs from
// Debian, a test-private containers.conf, running commands with their output and duration, and
// reading what the kernel knows about a container (its processes, its cgroup's memory).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  /** Exit code; `null` when it was killed (timeout or signal). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Killed (SIGKILL) after this long; default 10 minutes. */
  readonly timeoutMs?: number;
}

const KEEP = 256 * 1024;

/** Runs a command to completion; never throws for a failing command (see {@link mustRun}). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => void (stdout = (stdout + d.toString()).slice(-KEEP)));
    child.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-KEEP)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ code: 127, stdout, stderr: stderr + String(err), ms: performance.now() - started });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a command and throws (with the end of its output) unless it exits 0. */
export async function mustRun(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  }
  return r;
}

/** Whether a command is on PATH. */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/** Debian packages the container test needs (podman with runc and netavark, debootstrap for the base). */
export const REQUIRED_PACKAGES = ['podman', 'runc', 'iptables', 'netavark', 'aardvark-dns', 'catatonit', 'debootstrap'] as const;
/** gVisor, when the Debian release has it. */
export const GVISOR_PACKAGE = 'runsc';

async function missingPackages(names: readonly string[]): Promise<string[]> {
  const r = await run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...names]);
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

async function aptInstall(names: readonly string[], log: (line: string) => void): Promise<RunResult> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...names];
  let r = await run('apt-get', args, { env });
  if (r.code !== 0) {
    log(`apt-get install failed (${r.code}); apt-get update, then once more`);
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { env });
    r = await run('apt-get', args, { env });
  }
  return r;
}

/**
 * Installs (idempotently: nothing to do when already installed) the Debian packages the test needs.
 * Resolves with a reason to skip, or `null` when everything is there; `runsc` says whether gVisor is.
 */
export async function ensureHostPackages(log: (line: string) => void): Promise<{ skip: string | null; runsc: string | null }> {
  if (process.platform !== 'linux') return { skip: 'containers need Linux', runsc: null };
  if (process.getuid?.() !== 0) return { skip: 'podman as root is needed (run as root)', runsc: null };
  if (!hasCommand('apt-get') || !hasCommand('dpkg-query')) return { skip: 'not a Debian system (no apt-get to install podman)', runsc: null };
  const missing = await missingPackages(REQUIRED_PACKAGES);
  if (missing.length > 0) {
    log(`apt-get install ${missing.join(' ')}`);
    const r = await aptInstall(missing, log);
    if (r.code !== 0) return { skip: `cannot install ${missing.join(', ')} from Debian: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`, runsc: null };
  }
  if ((await missingPackages([GVISOR_PACKAGE])).length > 0) {
    log(`apt-get install ${GVISOR_PACKAGE}`);
    const r = await aptInstall([GVISOR_PACKAGE], log);
    if (r.code !== 0) log(`${GVISOR_PACKAGE} is not installable here: ${r.stderr.trim().split('\n').slice(-1).join('')}`);
  }
  return { skip: null, runsc: existsSync('/usr/bin/runsc') ? '/usr/bin/runsc' : existsSync('/usr/sbin/runsc') ? '/usr/sbin/runsc' : null };
}

/** One line of /proc/self/limits, e.g. "Max open files": [soft, hard] (Infinity for unlimited). */
function limit(name: string): [number, number] | null {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  if (line === undefined) return null;
  const [soft, hard] = line.slice(name.length).trim().split(/\s+/u);
  const n = (s: string | undefined): number => (s === 'unlimited' ? Infinity : Number(s));
  return [n(soft), n(hard)];
}

/**
 * A containers.conf for the test alone (CONTAINERS_CONF): runc, because Debian 12's crun refuses
 * hosts with hybrid cgroups ("cgroups in hybrid mode not supported"); and rlimits within this
 * process's own hard limits, because rootful podman otherwise asks for nofile/nproc of 1M/4M, which
 * a root without CAP_SYS_RESOURCE (a container or VM sandbox) cannot grant. Returns its path.
 */
export function writeContainersConf(dir: string): string {
  const nofile = Math.min(limit('Max open files')?.[1] ?? 65_536, 65_536);
  let pidMax = 32_768;
  try {
    pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || pidMax;
  } catch {
    // keep the default
  }
  // podman itself runs with nproc capped at pid_max, and children cannot raise it.
  const nproc = Math.min(limit('Max processes')?.[1] ?? 32_768, pidMax, 32_768);
  const file = join(dir, 'containers.conf');
  writeFileSync(
    file,
    [
      '[containers]',
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
      '',
      '[engine]',
      'runtime = "runc"',
      'events_logger = "file"',
      'cgroup_manager = "cgroupfs"',
      '',
    ].join('\n'),
  );
  return file;
}

export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** R, S, D, Z, ... */
  readonly state: string;
  readonly cmdline: string;
}

/** The processes a container's PID namespace holds, as /proc inside it shows them (read by node). */
export const PS_SCRIPT = `
const fs = require('node:fs');
const out = [];
for (const d of fs.readdirSync('/proc')) {
  if (!/^\\d+$/.test(d)) continue;
  try {
    const stat = fs.readFileSync('/proc/' + d + '/stat', 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state, ppid] = stat.slice(close + 2).split(' ');
    let cmdline = '';
    try { cmdline = fs.readFileSync('/proc/' + d + '/cmdline', 'utf8').split('\\0').join(' ').trim(); } catch {}
    out.push({ pid: Number(d), ppid: Number(ppid), comm, state, cmdline });
  } catch {}
}
console.log(JSON.stringify(out));
`;

/**
 * Memory of a container's cgroup (v1 or v2), bytes: anonymous memory (RSS), current usage (RSS plus
 * page cache and tmpfs; under gVisor most of the sandbox's memory shows only here) and the peak usage.
 */
export function cgroupMemory(cgroupPath: string): { rss: number; usage: number; peak: number } | null {
  const v1 = join('/sys/fs/cgroup/memory', cgroupPath);
  const v2 = join('/sys/fs/cgroup', cgroupPath);
  const stat = (dir: string, key: string): number => {
    const line = readFileSync(join(dir, 'memory.stat'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${key} `));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  };
  try {
    if (existsSync(join(v1, 'memory.max_usage_in_bytes'))) {
      const read = (f: string): number => Number(readFileSync(join(v1, f), 'utf8').trim());
      return { rss: stat(v1, 'total_rss'), usage: read('memory.usage_in_bytes'), peak: read('memory.max_usage_in_bytes') };
    }
    if (existsSync(join(v2, 'memory.peak'))) {
      const read = (f: string): number => Number(readFileSync(join(v2, f), 'utf8').trim());
      return { rss: stat(v2, 'anon'), usage: read('memory.current'), peak: read('memory.peak') };
    }
  } catch {
    return null;
  }
  return null;
}

/** Polls `probe` until it returns a value other than `undefined`, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `fetch` that answers `undefined` instead of throwing when nothing listens yet. */
export async function tryFetch(url: string, init: RequestInit = {}): Promise<Response | undefined> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  } catch {
    return undefined;
  }
}

/** Megabytes with one decimal. */
export function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
