// Sizing from what the cgroup allows: workers from the CPU quota, RSS ceiling and caches from the
// memory limit, explicit settings always winning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planResources, workersForCpu, SUPERVISOR_BASELINE_MB, WORKER_BASELINE_MB, RUN_OVERHEAD_MB } from './resources.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const base = { defaultMemoryMb: 64, ceilingMemoryMb: 512 };
const cpu = (quotaUs: number, periodUs = 100_000) => ({ quotaUs, periodUs, file: '/sys/fs/cgroup/cpu.max' });
const memory = (bytes: number) => ({ bytes, file: '/sys/fs/cgroup/memory.max' });

test('workers: whole CPUs of the quota, at least one, at most the CPUs this process may use', () => {
  assert.equal(workersForCpu(8, undefined).workers, 8);
  assert.equal(workersForCpu(8, cpu(150_000)).workers, 1, '1.5 CPUs: one worker (wall-clock limits must not be throttled)');
  assert.equal(workersForCpu(8, cpu(250_000)).workers, 2);
  assert.equal(workersForCpu(8, cpu(50_000)).workers, 1, 'half a CPU still gets one worker');
  assert.equal(workersForCpu(2, cpu(400_000)).workers, 2, 'a quota above the affinity mask is capped by it');
  assert.equal(workersForCpu(4, cpu(20_000, 10_000)).workers, 2, 'any period');
  assert.match(workersForCpu(8, cpu(150_000)).reason, /150000\/100000.*1\.50 CPU/);
});

test('no memory limit: workers from CPU, 512 MiB caches, a ceiling that fits the largest run', () => {
  const plan = planResources({ ...base, parallelism: 4, cgroup: {} });
  assert.equal(plan.workers, 4);
  assert.equal(plan.workerCacheBytes, 512 * MiB);
  assert.equal(plan.supervisorCacheBytes, 512 * MiB);
  assert.equal(plan.workerMaxRssMb, WORKER_BASELINE_MB + 512 + 512 + 2 * RUN_OVERHEAD_MB);
  assert.deepEqual(plan.warnings, []);
});

test('a 2 GiB, 2-CPU pod: two workers sharing what the supervisor leaves', () => {
  const plan = planResources({ ...base, parallelism: 8, cgroup: { cpu: cpu(200_000), memory: memory(2 * GiB) } });
  assert.equal(plan.workers, 2);
  assert.equal(plan.supervisorCacheBytes, 256 * MiB, 'M/8');
  assert.equal(plan.workerCacheBytes, 128 * MiB, 'M/8 shared by the workers');
  const available = 2048 - SUPERVISOR_BASELINE_MB - 256;
  assert.equal(plan.workerMaxRssMb, Math.floor(available / 2));
  assert.ok(2 * plan.workerMaxRssMb + SUPERVISOR_BASELINE_MB + 256 <= 2048, 'everything fits the limit');
  assert.deepEqual(plan.warnings, []);
  assert.ok(plan.reasons.some((r) => r.includes('memory limit 2048 MiB')));
});

test('memory, not CPU, can be what limits the workers', () => {
  const plan = planResources({ ...base, parallelism: 16, cgroup: { memory: memory(1 * GiB) } });
  assert.equal(plan.workerCacheBytes, 16 * MiB, 'M/8 over 16 CPU workers is under the 16 MiB floor');
  const perWorker = WORKER_BASELINE_MB + 16 + 64 + RUN_OVERHEAD_MB;
  const available = 1024 - SUPERVISOR_BASELINE_MB - 128;
  assert.equal(plan.workers, Math.floor(available / perWorker));
  assert.ok(plan.workers < 16 && plan.workers >= 1);
  assert.ok(plan.workers * plan.workerMaxRssMb <= available);
});

test('a limit too small for one worker still starts one, and says so', () => {
  const plan = planResources({ ...base, parallelism: 2, cgroup: { memory: memory(384 * MiB) } });
  assert.equal(plan.workers, 1);
  assert.ok(plan.workerMaxRssMb >= 256);
  assert.match(plan.warnings.join('\n'), /below what one worker needs/);
});

test('explicit settings win, and a combination that cannot fit is reported', () => {
  const plan = planResources({ ...base, parallelism: 2, cgroup: { memory: memory(2 * GiB) }, workers: 4, workerMaxRssMb: 1024, workerCacheMb: 64, supervisorCacheMb: 32 });
  assert.equal(plan.workers, 4);
  assert.equal(plan.workerMaxRssMb, 1024);
  assert.equal(plan.workerCacheBytes, 64 * MiB);
  assert.equal(plan.supervisorCacheBytes, 32 * MiB);
  assert.match(plan.warnings.join('\n'), /exceed the memory limit/);
  const unlimited = planResources({ ...base, parallelism: 2, cgroup: {}, workerMaxRssMb: 600 });
  assert.equal(unlimited.workerMaxRssMb, 600);
  assert.match(unlimited.warnings.join('\n'), /leaves less than the default run/);
});
