/**
 * What the kernel allows this process: the CPU quota and memory limit of its cgroup (v2 or v1),
 * read from /proc and /sys/fs/cgroup through an injected reader so every decision here is a pure
 * function of file contents (tests feed samples; main.ts passes a real reader).
 */

/** A CPU quota: `quotaUs` of CPU time per `periodUs` of wall time (1.5 CPUs = 150000/100000). */
export interface CpuQuota {
  readonly quotaUs: number;
  readonly periodUs: number;
  /** The file the quota came from (for the start-up log). */
  readonly file: string;
}

/** A memory limit in bytes, and the file it came from. */
export interface MemoryLimit {
  readonly bytes: number;
  readonly file: string;
}

export interface CgroupLimits {
  /** The most restrictive CPU quota on the way from this process's cgroup to the root, if any. */
  readonly cpu?: CpuQuota;
  /** The most restrictive memory limit on the way to the root, if any. */
  readonly memory?: MemoryLimit;
}

/** Reads a text file, or returns undefined when it does not exist or cannot be read. */
export type ReadText = (path: string) => string | undefined;

/** v1 reports "no limit" as a page-rounded 2^63 − 1; anything this large is not a real limit. */
const UNLIMITED_BYTES = 2 ** 60;

/** cgroup v2 `cpu.max`: `"max 100000"` (no quota) or `"150000 100000"`. */
export function parseCpuMax(text: string): { quotaUs: number; periodUs: number } | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  const quotaUs = Number(quota);
  const periodUs = period === undefined ? 100_000 : Number(period);
  if (!Number.isFinite(quotaUs) || quotaUs <= 0 || !Number.isFinite(periodUs) || periodUs <= 0) return undefined;
  return { quotaUs, periodUs };
}

/** cgroup v1 `cpu.cfs_quota_us` (`-1`: no quota) and `cpu.cfs_period_us`. */
export function parseCfsQuota(quotaText: string, periodText: string): { quotaUs: number; periodUs: number } | undefined {
  const quotaUs = Number(quotaText.trim());
  const periodUs = Number(periodText.trim());
  if (!Number.isFinite(quotaUs) || quotaUs <= 0 || !Number.isFinite(periodUs) || periodUs <= 0) return undefined;
  return { quotaUs, periodUs };
}

/** cgroup v2 `memory.max` (`max`: none) or v1 `memory.limit_in_bytes` (a huge number: none). */
export function parseMemoryLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === 'max' || !/^\d+$/.test(t)) return undefined;
  const bytes = Number(t);
  return bytes > 0 && bytes < UNLIMITED_BYTES ? bytes : undefined;
}

interface Membership {
  /** cgroup v2 path (`0::/path`). */
  readonly unified?: string;
  /** cgroup v1 paths by controller (`4:memory:/path`, `3:cpu,cpuacct:/path`). */
  readonly v1: ReadonlyMap<string, string>;
}

/** `/proc/self/cgroup`: which cgroup this process is in, per hierarchy. */
export function parseProcCgroup(text: string): Membership {
  let unified: string | undefined;
  const v1 = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers = '', path = '/'] = m;
    if (id === '0' && controllers === '') unified = path;
    else for (const c of controllers.split(',')) if (c !== '') v1.set(c, path);
  }
  return unified === undefined ? { v1 } : { unified, v1 };
}

interface Mount {
  /** The cgroup path the mount shows as its root (a container sees its own cgroup as `/`). */
  readonly root: string;
  readonly mountPoint: string;
  readonly version: 1 | 2;
  /** v1: the controllers of this hierarchy. */
  readonly controllers: readonly string[];
}

/** `/proc/self/mountinfo`: the cgroup and cgroup2 mounts. */
export function parseCgroupMounts(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    const [fsType, , superOptions = ''] = right;
    const root = unescapeMountPath(left[3] ?? '/');
    const mountPoint = unescapeMountPath(left[4] ?? '');
    if (fsType === 'cgroup2') mounts.push({ root, mountPoint, version: 2, controllers: [] });
    else if (fsType === 'cgroup') mounts.push({ root, mountPoint, version: 1, controllers: superOptions.split(',') });
  }
  return mounts;
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * The directories to read for a cgroup, innermost first, up to the mount's root: limits are
 * hierarchical, so the effective one is the smallest on the way up.
 */
export function cgroupDirectories(mount: Pick<Mount, 'root' | 'mountPoint'>, cgroupPath: string): string[] {
  let rel = cgroupPath;
  // Outside a cgroup namespace the path is absolute from the hierarchy's root; inside, the mount's
  // root already is our cgroup and the path is `/`.
  if (mount.root !== '/' && (rel === mount.root || rel.startsWith(`${mount.root}/`))) rel = rel.slice(mount.root.length);
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  const dirs: string[] = [];
  for (let n = parts.length; n >= 0; n--) dirs.push([mount.mountPoint, ...parts.slice(0, n)].join('/'));
  return dirs;
}

/**
 * The CPU quota and memory limit that apply to this process, from `/proc/self/cgroup`,
 * `/proc/self/mountinfo` and the cgroup files, v2 first, then v1. Anything unreadable counts as
 * "no limit".
 */
export function detectCgroupLimits(read: ReadText): CgroupLimits {
  const membership = parseProcCgroup(read('/proc/self/cgroup') ?? '');
  const mounts = parseCgroupMounts(read('/proc/self/mountinfo') ?? '');
  let cpu: CpuQuota | undefined;
  let memory: MemoryLimit | undefined;
  const takeCpu = (q: { quotaUs: number; periodUs: number } | undefined, file: string): void => {
    if (q && (!cpu || q.quotaUs / q.periodUs < cpu.quotaUs / cpu.periodUs)) cpu = { ...q, file };
  };
  const takeMemory = (bytes: number | undefined, file: string): void => {
    if (bytes !== undefined && (!memory || bytes < memory.bytes)) memory = { bytes, file };
  };

  const v2 = mounts.find((m) => m.version === 2);
  if (v2 && membership.unified !== undefined) {
    for (const dir of cgroupDirectories(v2, membership.unified)) {
      const cpuMax = read(`${dir}/cpu.max`);
      if (cpuMax !== undefined) takeCpu(parseCpuMax(cpuMax), `${dir}/cpu.max`);
      const memMax = read(`${dir}/memory.max`);
      if (memMax !== undefined) takeMemory(parseMemoryLimit(memMax), `${dir}/memory.max`);
    }
  }
  for (const mount of mounts) {
    if (mount.version !== 1) continue;
    if (mount.controllers.includes('cpu')) {
      const path = membership.v1.get('cpu');
      if (path !== undefined) {
        for (const dir of cgroupDirectories(mount, path)) {
          const quota = read(`${dir}/cpu.cfs_quota_us`);
          const period = read(`${dir}/cpu.cfs_period_us`);
          if (quota !== undefined && period !== undefined) takeCpu(parseCfsQuota(quota, period), `${dir}/cpu.cfs_quota_us`);
        }
      }
    }
    if (mount.controllers.includes('memory')) {
      const path = membership.v1.get('memory');
      if (path !== undefined) {
        for (const dir of cgroupDirectories(mount, path)) {
          const limit = read(`${dir}/memory.limit_in_bytes`);
          if (limit !== undefined) takeMemory(parseMemoryLimit(limit), `${dir}/memory.limit_in_bytes`);
        }
      }
    }
  }
  return { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) };
}
