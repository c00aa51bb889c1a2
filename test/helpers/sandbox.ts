// Shared setup for the sandbox suites: a small sales dataset and a runner whose workers are
// child processes (anything that crashes, crashes a worker, never the test process).
import { datasetFromColumns, generateSales } from '@plotbox/datasets';
import type { ColumnarDataset, RunResult } from '@plotbox/sandbox-protocol';
import { createRunner, type Runner, type RunnerOptions } from '@plotbox/sandbox';

export function salesDataset(rows = 1000): ColumnarDataset {
  return datasetFromColumns(generateSales(rows, 7));
}

export function startRunner(options: RunnerOptions = {}): Runner {
  return createRunner({ workers: 2, poolSize: 1, workerStderr: 'ignore', ...options });
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

/** Messages shown to analysts must never carry host paths or service stacks. */
export function assertNoHostDetails(result: RunResult): void {
  const text = JSON.stringify(result);
  for (const needle of ['/work/', 'node_modules', '.ts:', 'services/sandbox', '    at ']) {
    if (text.includes(needle)) throw new Error(`result leaks host detail ${JSON.stringify(needle)}: ${text.slice(0, 500)}`);
  }
}
