import type { RunnerStats } from './runner.ts';

/** Upper bounds (seconds) of the run duration histogram. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly bytes: number;
  readonly entries: number;
}

/** The sandbox's counters, rendered in the Prometheus text format. */
export interface Metrics {
  observeRun(outcome: string, seconds: number): void;
  render(runner: RunnerStats, cache: CacheStats): string;
}

export function createMetrics(): Metrics {
  const runs = new Map<string, number>();
  const buckets = new Array<number>(BUCKETS.length).fill(0);
  let count = 0;
  let sum = 0;
  return {
    observeRun(outcome: string, seconds: number): void {
      runs.set(outcome, (runs.get(outcome) ?? 0) + 1);
      count++;
      sum += seconds;
      for (let i = 0; i < BUCKETS.length; i++) if (seconds <= (BUCKETS[i] ?? 0)) buckets[i] = (buckets[i] ?? 0) + 1;
    },
    render(runner: RunnerStats, cache: CacheStats): string {
      const out: string[] = [];
      const metric = (name: string, type: string, help: string, lines: string[]): void => {
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
      };
      metric(
        'plotbox_sandbox_runs_total',
        'counter',
        'Runs by outcome (ok or error code).',
        [...runs].map(([o, n]) => `plotbox_sandbox_runs_total{outcome="${o}"} ${n}`),
      );
      metric('plotbox_sandbox_run_duration_seconds', 'histogram', 'Run duration as seen by the supervisor.', [
        ...BUCKETS.map((b, i) => `plotbox_sandbox_run_duration_seconds_bucket{le="${b}"} ${buckets[i] ?? 0}`),
        `plotbox_sandbox_run_duration_seconds_bucket{le="+Inf"} ${count}`,
        `plotbox_sandbox_run_duration_seconds_sum ${sum}`,
        `plotbox_sandbox_run_duration_seconds_count ${count}`,
      ]);
      metric('plotbox_sandbox_queue_depth', 'gauge', 'Runs waiting for a worker.', [`plotbox_sandbox_queue_depth ${runner.queued}`]);
      metric('plotbox_sandbox_workers_ready', 'gauge', 'Workers up with a warm pool.', [`plotbox_sandbox_workers_ready ${runner.workers.filter((w) => w.ready).length}`]);
      metric('plotbox_sandbox_workers_busy', 'gauge', 'Workers running a chart.', [`plotbox_sandbox_workers_busy ${runner.workers.filter((w) => w.busy).length}`]);
      metric('plotbox_sandbox_pool_isolates', 'gauge', 'Warm isolates ready, all workers.', [`plotbox_sandbox_pool_isolates ${runner.workers.reduce((n, w) => n + w.pool, 0)}`]);
      metric('plotbox_sandbox_worker_restarts_total', 'counter', 'Workers replaced after dying.', [`plotbox_sandbox_worker_restarts_total ${runner.restarts}`]);
      metric('plotbox_sandbox_worker_watchdog_kills_total', 'counter', "Workers killed for overrunning a deadline (a run's time limit or the preparation budget).", [
        `plotbox_sandbox_worker_watchdog_kills_total ${runner.watchdogKills}`,
      ]);
      metric('plotbox_sandbox_worker_memory_kills_total', 'counter', 'Workers killed for resident memory above their ceiling.', [`plotbox_sandbox_worker_memory_kills_total ${runner.memoryKills}`]);
      metric('plotbox_sandbox_workers_lost_total', 'counter', 'Runs whose worker was lost to something outside the run (SANDBOX_WORKER_LOST).', [
        `plotbox_sandbox_workers_lost_total ${runner.workersLost}`,
      ]);
      metric(
        'plotbox_sandbox_worker_rss_bytes',
        'gauge',
        'Resident memory per worker, last read.',
        runner.workers.map((w, i) => `plotbox_sandbox_worker_rss_bytes{worker="${i}"} ${w.rssBytes}`),
      );
      metric('plotbox_sandbox_worker_max_rss_bytes', 'gauge', 'The resident memory ceiling each worker is held to.', [`plotbox_sandbox_worker_max_rss_bytes ${runner.workerMaxRssBytes}`]);
      metric('plotbox_sandbox_dataset_cache_hits_total', 'counter', 'Runs whose dataset the sandbox held.', [`plotbox_sandbox_dataset_cache_hits_total ${cache.hits}`]);
      metric('plotbox_sandbox_dataset_cache_misses_total', 'counter', 'Runs refused with SANDBOX_DATASET_MISSING.', [`plotbox_sandbox_dataset_cache_misses_total ${cache.misses}`]);
      metric('plotbox_sandbox_dataset_cache_bytes', 'gauge', 'Dataset bytes held by the supervisor.', [`plotbox_sandbox_dataset_cache_bytes ${cache.bytes}`]);
      metric('plotbox_sandbox_dataset_cache_entries', 'gauge', 'Datasets held by the supervisor.', [`plotbox_sandbox_dataset_cache_entries ${cache.entries}`]);
      metric(
        'plotbox_sandbox_worker_datasets',
        'gauge',
        'Datasets held per worker.',
        runner.workers.map((w, i) => `plotbox_sandbox_worker_datasets{worker="${i}"} ${w.datasets}`),
      );
      return `${out.join('\n')}\n`;
    },
  };
}
