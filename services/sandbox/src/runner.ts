import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DEFAULT_LIMITS, DEFAULT_RUNTIME, RUNTIMES, type Limits, type RunError, type RunResult, type RuntimeName } from '@plotbox/sandbox-protocol';
import { createCheckCache } from './check-cache.ts';
import { DEFAULT_CEILINGS, LimitsError, resolveLimits } from './limits.ts';
import { crashedError, fatalLooksLikeMemory, timeoutError, workerLostError, workerMemoryError } from './isolate-errors.ts';
import { tenantKey, type ParentMessage, type WorkerConfig, type WorkerMessage } from './worker-protocol.ts';
import type { KillReason, Runner, RunnerOptions, RunnerStats, WorkerEvent, RunInput } from './runner-types.ts';
import {
  busy,
  DEFAULT_WORKER_V8_FLAGS,
  defaultDanfoRuntimePath,
  defaultRuntimePath,
  errorResult,
  EXTERNAL_SIGNALS,
  MiB,
  readProcRss,
  rssSlackBytes,
  STDERR_TAIL_CHARS,
  WORKER_PATH,
  type ActiveJob,
  type Job,
  type WorkerSlot,
} from './runner-support.ts';

export type { DatasetRef, KillReason, Runner, RunnerOptions, RunnerStats, WorkerEvent, WorkerInfo, RunInput } from './runner-types.ts';
export { DEFAULT_WORKER_V8_FLAGS, readProcRss } from './runner-support.ts';

export function createRunner(options: RunnerOptions = {}): Runner {
  const workerCount = options.workers ?? availableParallelism();
  const defaults = options.defaultLimits ?? DEFAULT_LIMITS;
  const ceilings = options.ceilings ?? DEFAULT_CEILINGS;
  const maxQueue = options.maxQueue ?? 256;
  const watchdogMs = options.watchdogMs ?? 1500;
  const prepareTimeoutMs = options.prepareTimeoutMs ?? 30_000;
  const workerMaxRssMb = options.workerMaxRssMb ?? 1536;
  const rssPollMs = options.rssPollMs ?? 20;
  const readRss = options.readRss ?? readProcRss;
  const runtimePath = options.runtimePath ?? defaultRuntimePath();
  if (!Number.isInteger(workerCount) || workerCount < 1) throw new Error('workers must be a positive whole number');
  if (!Number.isInteger(prepareTimeoutMs) || prepareTimeoutMs < 1) throw new Error('prepareTimeoutMs must be a positive whole number');
  if (!Number.isInteger(workerMaxRssMb) || workerMaxRssMb < 64) throw new Error('workerMaxRssMb must be a whole number of at least 64');
  if (!Number.isInteger(rssPollMs) || rssPollMs < 1) throw new Error('rssPollMs must be a positive whole number');
  const runtimePaths: Record<RuntimeName, string> = { arquero: runtimePath, danfo: options.danfoRuntimePath ?? defaultDanfoRuntimePath() };
  for (const path of Object.values(runtimePaths)) if (!existsSync(path)) throw new Error(`sandbox runtime bundle missing at ${path}: run npm install (it builds it)`);
  const runtimeVersions = Object.freeze(Object.fromEntries(RUNTIMES.map((name) => [name, createHash('sha256').update(readFileSync(runtimePaths[name])).digest('hex').slice(0, 16)]))) as Readonly<
    Record<RuntimeName, string>
  >;
  const runtimeVersion = runtimeVersions.arquero;
  const maxRssBytes = workerMaxRssMb * MiB;
  const config: WorkerConfig = {
    runtimePath,
    danfoRuntimePath: runtimePaths.danfo,
    poolSize: options.poolSize ?? 2,
    warmMemoryMb: options.warmMemoryMb ?? 384,
    cacheBytes: options.cacheBytes ?? 512 * MiB,
    graceMs: options.graceMs ?? 250,
    prepareMs: prepareTimeoutMs,
    jitWarmUpRows: options.jitWarmUpRows ?? 0,
    reuse: options.isolateReuse ?? true,
    maxRunsPerIsolate: options.maxRunsPerIsolate ?? 200,
    maxKeptHeapBytes: (options.maxKeptHeapMb ?? 192) * MiB,
    keptIsolates: options.keptIsolates ?? 4,
  };
  if (!Number.isInteger(config.maxRunsPerIsolate) || config.maxRunsPerIsolate < 1) throw new Error('maxRunsPerIsolate must be a positive whole number');
  if (!Number.isInteger(config.keptIsolates) || config.keptIsolates < 0) throw new Error('keptIsolates must be a whole number');
  if (!(config.maxKeptHeapBytes >= 8 * MiB)) throw new Error('maxKeptHeapMb must be at least 8');
  const workerV8Flags = options.workerV8Flags ?? DEFAULT_WORKER_V8_FLAGS;
  for (const flag of workerV8Flags) if (!/^--[a-z0-9-]+(=[a-z0-9.]+)?$/.test(flag)) throw new Error(`not a V8 flag: ${flag}`);
  const inherit = (options.workerStderr ?? 'inherit') === 'inherit';

  // A few hundred snippets: a dashboard's charts, re-run as viewers come and go.
  const checks = createCheckCache({ maxEntries: 512, maxChars: 8 * MiB });
  const slots: WorkerSlot[] = [];
  /** Waiting jobs per project, and the round-robin order of projects with waiting jobs. */
  const queues = new Map<string, Job[]>();
  let queued = 0;
  let nextId = 1;
  let closing = false;
  let restarts = 0;
  let crashes = 0;
  let watchdogKills = 0;
  let memoryKills = 0;
  let workersLost = 0;
  const recentExits: number[] = [];

  function spawnWorker(slot?: WorkerSlot): WorkerSlot {
    const child = fork(WORKER_PATH, [JSON.stringify(config)], {
      // The host heap (datasets being decoded, figures being parsed) may not outgrow the ceiling
      // on its own: past it V8 stops the worker with an out-of-memory error rather than thrash.
      // It does not touch isolates, whose limits isolated-vm sets itself.
      // --expose-gc: the pool takes V8's `gc` off each isolate's global for the post-run memory
      // check (isolate-pool.ts); analyst code never sees it.
      execArgv: ['--no-node-snapshot', '--expose-gc', `--max-old-space-size=${workerMaxRssMb}`, ...workerV8Flags],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const s: WorkerSlot = slot ?? {
      child,
      ready: false,
      job: undefined,
      datasets: new Set(),
      pool: 0,
      readyWaiters: [],
      killedFor: undefined,
      lastRss: 0,
      peakRss: 0,
      stderrTail: '',
      retiring: false,
      kept: new Set(),
    };
    s.child = child;
    s.ready = false;
    s.job = undefined;
    s.datasets = new Set();
    s.killedFor = undefined;
    s.lastRss = 0;
    s.peakRss = 0;
    s.stderrTail = '';
    s.retiring = false;
    s.kept = new Set();
    child.stderr?.on('data', (chunk: Buffer) => {
      if (s.child === child) s.stderrTail = (s.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      if (inherit) process.stderr.write(chunk);
    });
    child.on('message', (msg: WorkerMessage) => onMessage(s, child, msg));
    // 'close' (not 'exit'): stderr is fully read by then, so a dying worker's last words are in.
    child.on('close', (code: number | null, signal: NodeJS.Signals | null) => onExit(s, child, code, signal));
    child.on('error', () => undefined);
    return s;
  }

  function emit(event: WorkerEvent): void {
    try {
      options.onWorkerEvent?.(event);
    } catch {
      // A logger failing must not take the supervisor down.
    }
  }

  function kill(slot: WorkerSlot, reason: KillReason): void {
    if (slot.killedFor !== undefined) return;
    slot.killedFor = reason;
    if (reason === 'timeout' || reason === 'prepare-timeout') watchdogKills++;
    if (reason === 'memory') memoryKills++;
    if (reason !== 'shutdown') {
      emit({
        event: 'worker_killed',
        pid: slot.child.pid,
        reason,
        rssMb: Math.round(slot.lastRss / MiB),
        ...(reason === 'memory' ? { ceilingMb: Math.round((slot.job?.phase === 'run' ? slot.job.rssCeiling : maxRssBytes) / MiB) } : {}),
      });
    }
    slot.child.kill('SIGKILL');
  }

  function onMessage(slot: WorkerSlot, child: ChildProcess, msg: WorkerMessage): void {
    if (slot.child !== child) return;
    switch (msg.type) {
      case 'ready':
        slot.ready = true;
        slot.pool = msg.pool;
        for (const w of slot.readyWaiters.splice(0)) w();
        dispatch();
        return;
      case 'pool':
        slot.pool = msg.pool;
        return;
      case 'kept':
        slot.kept = new Set(msg.kept);
        return;
      case 'dataset-ok':
        for (const sha of msg.evicted) slot.datasets.delete(sha);
        return;
      case 'dataset-error':
        slot.datasets.delete(msg.sha256);
        return;
      case 'started': {
        const job = slot.job;
        if (!job || job.id !== msg.id || slot.killedFor !== undefined) return;
        clearTimeout(job.watchdog);
        job.phase = 'run';
        job.budgetBytes = msg.budgetBytes;
        const pid = child.pid;
        const rss = pid === undefined ? undefined : readRss(pid);
        if (rss !== undefined) {
          slot.lastRss = rss;
          slot.peakRss = rss;
          job.rssAtStart = rss;
          job.rssCeiling = Math.min(maxRssBytes, rss + msg.budgetBytes + rssSlackBytes(job.limits));
        }
        job.watchdog = setTimeout(() => {
          if (slot.job?.id === job.id) kill(slot, 'timeout');
        }, job.limits.timeMs + watchdogMs);
        return;
      }
      case 'result': {
        const job = slot.job;
        if (!job || job.id !== msg.id) return;
        clearTimeout(job.watchdog);
        slot.job = undefined;
        slot.pool = msg.pool;
        slot.kept = new Set(msg.kept);
        // A retiring worker exits next; it is replaced on exit and gets no more runs meanwhile.
        if (msg.retiring) {
          slot.ready = false;
          slot.retiring = true;
        }
        for (const sha of msg.evicted) slot.datasets.delete(sha);
        job.resolve(msg.result);
        dispatch();
        return;
      }
    }
  }

  /** Did the run use its whole memory budget, as far as the worker's RSS tells? */
  function memoryEvidence(slot: WorkerSlot, job: ActiveJob): boolean {
    return job.rssAtStart !== undefined && slot.peakRss >= job.rssAtStart + job.budgetBytes;
  }

  /** The result of a run whose worker ended under it, by what ended it and when. */
  function lostRunError(slot: WorkerSlot, job: ActiveJob, code: number | null, signal: NodeJS.Signals | null): RunError {
    switch (slot.killedFor) {
      case 'timeout':
        // Stuck past its deadline having used its whole memory budget: a memory bomb caught in
        // V8's collector (growing Maps do this), not a slow loop.
        return memoryEvidence(slot, job) ? workerMemoryError(job.limits) : timeoutError(job.limits);
      case 'memory':
        if (job.phase === 'run') return workerMemoryError(job.limits);
        return workerLostError(`preparing this chart's dataset took more memory than a sandbox process may use (${workerMaxRssMb} MiB)`);
      case 'prepare-timeout':
        return workerLostError(`preparing this chart's dataset took longer than ${prepareTimeoutMs} ms`);
      case 'shutdown':
        return workerLostError('the sandbox is shutting down');
      case undefined:
        break;
    }
    if (closing) return workerLostError('the sandbox is shutting down');
    if (job.phase === 'prepare') return workerLostError(`it stopped (${signal ?? `exit code ${code ?? '?'}`}) while preparing the dataset`);
    if (signal !== null && EXTERNAL_SIGNALS.has(signal)) {
      // SIGKILL with the run at its budget is most likely the kernel's OOM killer acting on it.
      if (signal === 'SIGKILL' && memoryEvidence(slot, job)) return workerMemoryError(job.limits);
      return workerLostError(`it was stopped from outside by ${signal}`);
    }
    // The worker ended itself during the analyst's code (V8 abort, isolated-vm catastrophic error).
    if (fatalLooksLikeMemory(slot.stderrTail) || memoryEvidence(slot, job)) return workerMemoryError(job.limits);
    return crashedError();
  }

  function onExit(slot: WorkerSlot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (slot.child !== child) return;
    const job = slot.job;
    slot.job = undefined;
    slot.ready = false;
    if (job) {
      clearTimeout(job.watchdog);
      const error = lostRunError(slot, job, code, signal);
      if (error.code === 'SANDBOX_WORKER_LOST') {
        workersLost++;
        if (slot.killedFor !== 'shutdown' && !closing) emit({ event: 'worker_lost', pid: child.pid, reason: `${job.phase}: ${error.message}`, signal, exitCode: code });
      } else if (error.code === 'SANDBOX_CRASHED' || (error.code === 'SANDBOX_MEMORY' && slot.killedFor === undefined)) {
        crashes++;
        emit({ event: 'worker_crashed', pid: child.pid, reason: error.code, signal, exitCode: code, rssMb: Math.round(slot.peakRss / MiB) });
      }
      job.resolve(errorResult(error));
    } else if (slot.killedFor === undefined && !slot.retiring && !closing) {
      emit({ event: 'worker_lost', pid: child.pid, reason: 'idle', signal, exitCode: code });
    }
    if (closing) return;
    restarts++;
    // A worker that keeps dying at start (a broken runtime bundle, no memory) must not spin the CPU.
    const now = Date.now();
    recentExits.push(now);
    while (recentExits.length > 0 && (recentExits[0] ?? now) < now - 10_000) recentExits.shift();
    const delay = recentExits.length > 3 * workerCount + 5 ? 1000 : 0;
    setTimeout(() => {
      if (!closing) spawnWorker(slot);
    }, delay).unref();
  }

  for (let i = 0; i < workerCount; i++) slots.push(spawnWorker());

  // The memory watchdog: every worker's RSS, fast while one runs a chart (a huge allocation grows
  // by gigabytes a second), slowly while all are idle.
  let rssTimer: NodeJS.Timeout | undefined;
  let rssFast = false;
  function scheduleRss(fast: boolean): void {
    if (closing) return;
    if (rssTimer !== undefined && (rssFast || !fast)) return;
    if (rssTimer !== undefined) clearTimeout(rssTimer);
    rssFast = fast;
    rssTimer = setTimeout(pollRss, fast ? rssPollMs : rssPollMs * 10);
    rssTimer.unref();
  }
  function pollRss(): void {
    rssTimer = undefined;
    let anyRunning = false;
    for (const slot of slots) {
      const pid = slot.child.pid;
      if (pid === undefined || slot.killedFor !== undefined || slot.child.exitCode !== null || slot.child.signalCode !== null) continue;
      const rss = readRss(pid);
      if (rss === undefined) continue;
      slot.lastRss = rss;
      const job = slot.job;
      if (job) anyRunning = true;
      if (job?.phase === 'run') slot.peakRss = Math.max(slot.peakRss, rss);
      if (rss > maxRssBytes || (job?.phase === 'run' && rss > job.rssCeiling)) kill(slot, 'memory');
    }
    scheduleRss(anyRunning);
  }
  scheduleRss(false);

  function takeNext(): Job | undefined {
    // Round-robin across projects: take from the first project, then move it to the back.
    for (const [project, jobs] of queues) {
      const job = jobs.shift();
      queues.delete(project);
      if (jobs.length > 0) queues.set(project, jobs);
      if (job) {
        queued--;
        return job;
      }
    }
    return undefined;
  }

  /** An idle worker: one keeping an isolate for the run's tenant, else one holding its dataset, else any. */
  function pickWorker(job: Job): WorkerSlot | undefined {
    let holder: WorkerSlot | undefined;
    let fallback: WorkerSlot | undefined;
    for (const s of slots) {
      if (!s.ready || s.job || s.killedFor !== undefined) continue;
      if (job.tenant !== undefined && s.kept.has(job.tenant)) return s;
      if (s.datasets.has(job.dataset.sha256)) holder ??= s;
      fallback ??= s;
    }
    return holder ?? fallback;
  }

  function dispatch(): void {
    while (queued > 0) {
      const idle = slots.some((s) => s.ready && !s.job && s.killedFor === undefined);
      if (!idle) return;
      const job = takeNext();
      if (!job) return;
      const slot = pickWorker(job);
      if (!slot) return;
      start(slot, job);
    }
  }

  function start(slot: WorkerSlot, job: Job): void {
    const sha = job.dataset.sha256;
    if (!slot.datasets.has(sha)) {
      const id = nextId++;
      let msg: ParentMessage | undefined;
      if ('columns' in job.dataset) {
        msg = { type: 'dataset', id, sha256: sha, rowCount: job.dataset.rowCount, columns: job.dataset.columns };
      } else if ('arrow' in job.dataset) {
        msg = { type: 'dataset-arrow', id, sha256: sha, bytes: job.dataset.arrow };
      }
      if (!msg) {
        job.resolve(errorResult({ code: 'SANDBOX_DATASET_MISSING', message: 'The sandbox does not hold this dataset; upload it first.' }));
        return;
      }
      slot.child.send(msg);
      slot.datasets.add(sha);
    }
    const id = nextId++;
    // Until the worker says the analyst's code starts, only the preparation budget applies (the
    // worker enforces it itself; this is for a worker that cannot).
    const watchdog = setTimeout(() => {
      if (slot.job?.id === id && slot.job.phase === 'prepare') kill(slot, 'prepare-timeout');
    }, prepareTimeoutMs + watchdogMs);
    slot.peakRss = 0;
    slot.job = { ...job, id, phase: 'prepare', watchdog, rssAtStart: undefined, budgetBytes: job.limits.memoryMb * MiB, rssCeiling: maxRssBytes };
    slot.child.send({ type: 'run', id, js: job.js, sha256: sha, limits: job.limits, tenant: job.tenant, runtime: job.runtime } satisfies ParentMessage);
    scheduleRss(true);
  }

  return {
    runtimeVersion,
    runtimeVersions,
    run(input: RunInput): Promise<RunResult> {
      if (closing) return Promise.resolve(errorResult({ code: 'SANDBOX_UNAVAILABLE', message: 'The sandbox is shutting down.' }));
      let limits: Limits;
      try {
        limits = resolveLimits(input.limits, defaults, ceilings);
      } catch (err) {
        if (err instanceof LimitsError) return Promise.resolve(errorResult({ code: 'SANDBOX_BAD_REQUEST', message: err.message }));
        throw err;
      }
      const checked = options.unsafeSkipCodeCheck ? ({ ok: true, js: input.code } as const) : checks.check(input.project ?? '', input.code, input.lang ?? 'js', limits.codeBytes);
      if (!checked.ok) {
        const first = checked.diagnostics[0];
        return Promise.resolve(
          errorResult({
            code: checked.code,
            message: first ? `${first.message} (line ${first.line})` : 'The code was rejected.',
            ...(first ? { line: first.line, column: first.column } : {}),
            ...(checked.code === 'CODE_TOO_LARGE' ? { limit: { name: 'codeBytes' as const, value: limits.codeBytes } } : {}),
            diagnostics: checked.diagnostics,
          }),
        );
      }
      const runtime = input.runtime ?? DEFAULT_RUNTIME;
      if (!RUNTIMES.includes(runtime)) return Promise.resolve(errorResult({ code: 'SANDBOX_BAD_REQUEST', message: `Unknown runtime; one of: ${RUNTIMES.join(', ')}.` }));
      if (queued >= maxQueue) return Promise.resolve(busy(queued));
      return new Promise<RunResult>((resolve) => {
        const project = input.project ?? '';
        // danfo isolates serve one run each (worker.ts): its tfjs engine is module state that a
        // run changes (tensors it made, kernels it ran), so nothing of it may meet another run.
        const tenant = project === '' || runtime === 'danfo' ? undefined : tenantKey(runtime, project, input.dataset.sha256);
        const job: Job = { js: checked.js, dataset: input.dataset, limits, project, runtime, tenant, resolve };
        const q = queues.get(project);
        if (q) q.push(job);
        else queues.set(project, [job]);
        queued++;
        dispatch();
      });
    },
    holds(sha256: string): boolean {
      return slots.some((s) => s.datasets.has(sha256));
    },
    readyWorkers(): number {
      return slots.filter((s) => s.ready).length;
    },
    async ready(): Promise<void> {
      await Promise.all(slots.map((s) => (s.ready ? Promise.resolve() : new Promise<void>((r) => s.readyWaiters.push(r)))));
    },
    stats(): RunnerStats {
      return {
        workers: slots.map((s) => ({
          pid: s.child.pid,
          ready: s.ready,
          busy: !!s.job,
          state: s.job === undefined ? ('idle' as const) : s.job.phase === 'run' ? ('running' as const) : ('preparing' as const),
          datasets: s.datasets.size,
          pool: s.pool,
          rssBytes: s.lastRss,
        })),
        queued,
        restarts,
        crashes,
        watchdogKills,
        memoryKills,
        workersLost,
        workerMaxRssBytes: maxRssBytes,
      };
    },
    async close(timeoutMs = 10_000): Promise<void> {
      closing = true;
      if (rssTimer !== undefined) clearTimeout(rssTimer);
      // Runs still queued will not start.
      for (const jobs of queues.values()) for (const job of jobs) job.resolve(errorResult({ code: 'SANDBOX_UNAVAILABLE', message: 'The sandbox is shutting down.' }));
      queues.clear();
      queued = 0;
      const deadline = Date.now() + timeoutMs;
      while (slots.some((s) => s.job) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
              s.child.once('close', () => resolve());
              if (s.job) kill(s, 'shutdown');
              else s.child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
