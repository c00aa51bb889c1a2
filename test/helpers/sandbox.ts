// Shared setup for the sandbox suites: a small sales dataset and a runner whose workers are
// child processes (anything that crashes, crashes a worker, never the test process).
import { datasetFromColumns, generateSales } from '@plotbox/datasets';
import { RUNTIMES, type ColumnarDataset, type RunResult, type RuntimeName } from '@plotbox/sandbox-protocol';
import { createRunner, type Runner, type RunnerOptions } from '@plotbox/sandbox';

export function salesDataset(rows = 1000): ColumnarDataset {
  return datasetFromColumns(generateSales(rows, 7));
}

/**
 * Which isolate mode the sandbox suites run in: `SANDBOX_TEST_ISOLATE_REUSE=off` runs them with a
 * fresh isolate per run, anything else with isolate reuse (the default). `npm test` runs the suites
 * once per mode (scripts/run-tests.ts).
 */
export const ISOLATE_REUSE = process.env.SANDBOX_TEST_ISOLATE_REUSE !== 'off';

/**
 * The modes the escape, abuse and integrity suites run in: both (reuse on, then off), unless
 * `SANDBOX_TEST_ISOLATE_REUSE` names one.
 */
export const ISOLATE_MODES: readonly boolean[] = process.env.SANDBOX_TEST_ISOLATE_REUSE === 'on' ? [true] : process.env.SANDBOX_TEST_ISOLATE_REUSE === 'off' ? [false] : [true, false];

/**
 * The runtimes the escape, abuse and integrity suites run against: every runtime, unless
 * `SANDBOX_TEST_RUNTIME` names one.
 */
export const RUNTIMES_UNDER_TEST: readonly RuntimeName[] = RUNTIMES.filter((r) => (process.env.SANDBOX_TEST_RUNTIME ?? '') === '' || process.env.SANDBOX_TEST_RUNTIME === r);

/** One configuration a sandbox suite runs in. */
export interface SuiteMode {
  readonly runtime: RuntimeName;
  readonly reuse: boolean;
  readonly label: string;
}

/**
 * The configurations the sandbox suites run in: arquero in every isolate mode of
 * {@link ISOLATE_MODES}, danfo once (its isolates serve one run each whatever the reuse setting,
 * so a second mode would run the same thing again).
 */
export const SUITE_MODES: readonly SuiteMode[] = RUNTIMES_UNDER_TEST.flatMap((runtime) =>
  (runtime === 'danfo' ? ISOLATE_MODES.slice(0, 1) : ISOLATE_MODES).map((reuse) => ({ runtime, reuse, label: `${runtime}, isolate reuse ${reuse ? 'on' : 'off'}` })),
);

/** The project test runs belong to unless they name one: with isolate reuse, one tenant. */
export const TEST_PROJECT = 'test-project';

/**
 * A runner in the mode under test. Runs that name no project are given {@link TEST_PROJECT}, so
 * that in reuse mode consecutive runs on a dataset share an isolate, as a project's runs do.
 */
export function startRunner(options: RunnerOptions = {}, runtime: RuntimeName = 'arquero'): Runner {
  const runner = createRunner({ workers: 2, poolSize: 1, workerStderr: 'ignore', isolateReuse: ISOLATE_REUSE, ...options });
  return {
    ...runner,
    run: (input) => runner.run({ project: TEST_PROJECT, runtime, ...input }),
    stats: () => runner.stats(),
    holds: (sha) => runner.holds(sha),
    readyWorkers: () => runner.readyWorkers(),
    ready: () => runner.ready(),
    close: (ms) => runner.close(ms),
  };
}

/** A snippet whose figure title is `expr` evaluated as a string. */
export function titleOf(result: RunResult): string | undefined {
  if (!result.ok) return undefined;
  const fig = JSON.parse(result.figureJson) as { layout?: { title?: { text?: string } | string } };
  const t = fig.layout?.title;
  return typeof t === 'string' ? t : t?.text;
}

/** A chart that must work: proves the runner recovered after whatever ran before it. */
export const HEALTHY_CHART = `
const agg = df.groupby('region').rollup({ units: op.sum('units') }).orderby('region');
fig = px.bar(agg, { x: 'region', y: 'units', title: 'healthy' });
`;

/** The same healthy chart written the danfo way (a groupby sum in danfo, the figure from px). */
export const HEALTHY_DANFO_CHART = `
const agg = df.groupby(['region']).col(['units']).sum().sortValues('region');
fig = px.bar(agg, { x: 'region', y: 'units_sum', title: 'healthy' });
`;

/** {@link HEALTHY_CHART} for a runtime. */
export function healthyChart(runtime: RuntimeName): string {
  return runtime === 'danfo' ? HEALTHY_DANFO_CHART : HEALTHY_CHART;
}

/** Messages shown to analysts must never carry host paths or service stacks. */
export function assertNoHostDetails(result: RunResult): void {
  const text = JSON.stringify(result);
  for (const needle of ['/work/', 'node_modules', '.ts:', 'services/sandbox', '    at ']) {
    if (text.includes(needle)) throw new Error(`result leaks host detail ${JSON.stringify(needle)}: ${text.slice(0, 500)}`);
  }
}
