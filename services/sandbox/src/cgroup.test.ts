// The cgroup readers over sample file contents (cgroup v2 in a container and on a host, v1 hybrid
// and in a container), and once over this machine's real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cgroupDirectories, detectCgroupLimits, parseCfsQuota, parseCgroupMounts, parseCpuMax, parseMemoryLimit, parseProcCgroup } from './cgroup.ts';

const fs =
  (files: Record<string, string>) =>
  (path: string): string | undefined =>
    files[path];

test('cpu.max, cfs quota and memory limits parse, and "no limit" reads as undefined', () => {
  assert.deepEqual(parseCpuMax('150000 100000\n'), { quotaUs: 150_000, periodUs: 100_000 });
  assert.deepEqual(parseCpuMax('50000'), { quotaUs: 50_000, periodUs: 100_000 });
  assert.equal(parseCpuMax('max 100000\n'), undefined);
  assert.equal(parseCpuMax('garbage'), undefined);
  assert.equal(parseCpuMax('0 100000'), undefined);
  assert.deepEqual(parseCfsQuota('200000\n', '100000\n'), { quotaUs: 200_000, periodUs: 100_000 });
  assert.equal(parseCfsQuota('-1\n', '100000\n'), undefined);
  assert.equal(parseMemoryLimit('2147483648\n'), 2 * 1024 ** 3);
  assert.equal(parseMemoryLimit('max\n'), undefined);
  assert.equal(parseMemoryLimit('9223372036854771712\n'), undefined, 'v1 "unlimited"');
  assert.equal(parseMemoryLimit('-1'), undefined);
  assert.equal(parseMemoryLimit(''), undefined);
});

test('/proc/self/cgroup and mountinfo', () => {
  const m = parseProcCgroup('12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n0::/docker/abc\n');
  assert.equal(m.unified, '/docker/abc');
  assert.equal(m.v1.get('memory'), '/docker/abc');
  assert.equal(m.v1.get('cpuacct'), '/docker/abc');
  const mounts = parseCgroupMounts(
    [
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '23 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw',
      '50 23 0:40 / /mnt/with\\040space rw - cgroup2 none rw',
    ].join('\n'),
  );
  assert.deepEqual(
    mounts.map((x) => [x.version, x.mountPoint, x.root]),
    [
      [1, '/sys/fs/cgroup/memory', '/'],
      [1, '/sys/fs/cgroup/cpu,cpuacct', '/docker/abc'],
      [2, '/sys/fs/cgroup/unified', '/'],
      [2, '/mnt/with space', '/'],
    ],
  );
  assert.deepEqual(mounts[1]?.controllers, ['rw', 'cpu', 'cpuacct']);
  // Outside a namespace: every ancestor up to the mount; inside (mount root = our cgroup): just the mount.
  assert.deepEqual(cgroupDirectories({ root: '/', mountPoint: '/sys/fs/cgroup' }, '/a/b'), ['/sys/fs/cgroup/a/b', '/sys/fs/cgroup/a', '/sys/fs/cgroup']);
  assert.deepEqual(cgroupDirectories({ root: '/docker/abc', mountPoint: '/sys/fs/cgroup/memory' }, '/docker/abc'), ['/sys/fs/cgroup/memory']);
  assert.deepEqual(cgroupDirectories({ root: '/', mountPoint: '/sys/fs/cgroup' }, '/../etc'), ['/sys/fs/cgroup/etc', '/sys/fs/cgroup']);
});

test('cgroup v2 in a container (its own namespace): the limits at the mount root', () => {
  const limits = detectCgroupLimits(
    fs({
      '/proc/self/cgroup': '0::/\n',
      '/proc/self/mountinfo': '1234 1200 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n',
      '/sys/fs/cgroup/cpu.max': '150000 100000\n',
      '/sys/fs/cgroup/memory.max': '2147483648\n',
    }),
  );
  assert.deepEqual(limits, {
    cpu: { quotaUs: 150_000, periodUs: 100_000, file: '/sys/fs/cgroup/cpu.max' },
    memory: { bytes: 2 * 1024 ** 3, file: '/sys/fs/cgroup/memory.max' },
  });
});

test('cgroup v2 on a host: the most restrictive limit on the way up wins', () => {
  const limits = detectCgroupLimits(
    fs({
      '/proc/self/cgroup': '0::/kubepods.slice/pod1/ctr\n',
      '/proc/self/mountinfo': '29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n',
      '/sys/fs/cgroup/kubepods.slice/pod1/ctr/cpu.max': 'max 100000\n',
      '/sys/fs/cgroup/kubepods.slice/pod1/ctr/memory.max': 'max\n',
      '/sys/fs/cgroup/kubepods.slice/pod1/cpu.max': '250000 100000\n',
      '/sys/fs/cgroup/kubepods.slice/pod1/memory.max': '1073741824\n',
      '/sys/fs/cgroup/kubepods.slice/cpu.max': '800000 100000\n',
      '/sys/fs/cgroup/kubepods.slice/memory.max': '4294967296\n',
    }),
  );
  assert.equal(limits.cpu?.quotaUs, 250_000);
  assert.equal(limits.cpu?.file, '/sys/fs/cgroup/kubepods.slice/pod1/cpu.max');
  assert.equal(limits.memory?.bytes, 1024 ** 3);
});

test('cgroup v1 in a container: cfs quota and memory.limit_in_bytes', () => {
  const limits = detectCgroupLimits(
    fs({
      '/proc/self/cgroup': '11:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n',
      '/proc/self/mountinfo': [
        '40 31 0:35 /docker/abc /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory',
        '41 31 0:36 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,relatime - cgroup cgroup rw,cpu,cpuacct',
      ].join('\n'),
      '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912\n',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '50000\n',
      '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    }),
  );
  assert.deepEqual(limits.cpu, { quotaUs: 50_000, periodUs: 100_000, file: '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us' });
  assert.equal(limits.memory?.bytes, 512 * 1024 ** 2);
});

test('cgroup v1 on a hybrid host with nothing limited, and no cgroup files at all: no limits', () => {
  const hybrid = detectCgroupLimits(
    fs({
      '/proc/self/cgroup': '4:memory:/process_api/7de9\n1:cpu:/\n0::/\n',
      '/proc/self/mountinfo': [
        '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
        '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
        '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      ].join('\n'),
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
      '/sys/fs/cgroup/memory/process_api/7de9/memory.limit_in_bytes': '9223372036854771712\n',
      '/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes': '9223372036854771712\n',
      '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n',
    }),
  );
  assert.deepEqual(hybrid, {});
  assert.deepEqual(
    detectCgroupLimits(() => undefined),
    {},
  );
});

test("this machine's own cgroup files read without error", () => {
  const limits = detectCgroupLimits((path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  });
  if (limits.cpu) assert.ok(limits.cpu.quotaUs > 0 && limits.cpu.periodUs > 0);
  if (limits.memory) assert.ok(limits.memory.bytes > 0);
  console.log(`cgroup limits here: ${JSON.stringify(limits)}`);
});
