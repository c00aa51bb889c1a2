/**
 * The chart editor's words: the starter code for a dataset, and what a failed run means in the
 * analyst's terms (messages, the limits they name, the problems marked in the editor).
 */
import { ApiFailure, describeError, type ApiErrorBody } from '../api.ts';
import type { CodeProblem, ColumnInfo } from '../editor/code-editor.ts';
import type { RuntimeName } from '../editor/reference.ts';
import { richText } from '../format.ts';

const HEADS: Record<RuntimeName, string> = {
  arquero: '// df, aq, op, data and px are in scope; assign the figure to fig.\n',
  danfo: '// df (a danfo DataFrame), dfd, data and px are in scope; assign the figure to fig.\n',
};

/** A first chart for a dataset: a sum of the first number column by the first text column (the danfo way on danfo). */
export function starterFor(columns: readonly ColumnInfo[], runtime: RuntimeName): string {
  // A category rather than a date kept as text, when there is one.
  const text = columns.find((c) => c.type === 'string' && !/date|time|day|month|year/iu.test(c.name)) ?? columns.find((c) => c.type === 'string');
  const num = columns.find((c) => c.type === 'number' || c.type === 'int');
  const q = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const head = HEADS[runtime];
  if (text !== undefined && num !== undefined) {
    if (runtime === 'danfo') return `${head}const sums = df.groupby([${q(text.name)}]).col([${q(num.name)}]).sum();\nfig = px.bar(sums, { x: ${q(text.name)}, y: ${q(`${num.name}_sum`)} });\n`;
    return `${head}fig = px.bar(df, { x: ${q(text.name)}, y: ${q(num.name)}, agg: 'sum' });\n`;
  }
  if (num !== undefined) return `${head}fig = px.histogram(df, { x: ${q(num.name)} });\n`;
  if (text !== undefined && runtime === 'arquero') return `${head}fig = px.bar(df, { x: ${q(text.name)} }); // counts rows per value\n`;
  return `${head}fig = px.bar(df, { x: '', y: '', agg: 'sum' });\n`;
}

/** A byte count as people read it (KiB, MiB). */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toLocaleString(undefined, { maximumFractionDigits: 1 })} MiB`;
  if (n >= 1024) return `${(n / 1024).toLocaleString(undefined, { maximumFractionDigits: 1 })} KiB`;
  return `${n.toLocaleString()} bytes`;
}

/** A limit as an analyst reads it: "the time limit of 2 s (timeMs = 2000)". */
export function describeLimit(limit: { name: string; value: number } | undefined): string {
  if (limit === undefined) return 'a limit';
  const raw = `(${limit.name} = ${limit.value})`;
  switch (limit.name) {
    case 'timeMs':
      return `the time limit of ${limit.value >= 1000 ? `${(limit.value / 1000).toLocaleString()} s` : `${limit.value} ms`} ${raw}`;
    case 'memoryMb':
      return `the memory limit of ${limit.value.toLocaleString()} MiB ${raw}`;
    case 'outputBytes':
      return `the figure size limit of ${formatBytes(limit.value)} ${raw}`;
    case 'rows':
      return `the limit of ${limit.value.toLocaleString()} dataset rows per run ${raw}`;
    case 'codeBytes':
      return `the code size limit of ${formatBytes(limit.value)} ${raw}`;
    default:
      return `the limit ${limit.name} = ${limit.value}`;
  }
}

/** What went wrong with a run, in the analyst's terms, with what to do about it. */
export function explainRunError(err: unknown): string {
  if (!(err instanceof ApiFailure)) return describeError(err);
  const e: ApiErrorBody = err.error;
  const at = typeof e.line === 'number' ? ` on line ${e.line}${typeof e.column === 'number' ? `, column ${e.column}` : ''}` : '';
  switch (e.code) {
    case 'CODE_SYNTAX':
      return `The code does not parse${at}: ${e.message} Fix the syntax at the position marked in the editor.`;
    case 'CODE_RULE': {
      const n = e.diagnostics?.length ?? 1;
      return `The code uses ${n === 1 ? 'something' : `${n} things`} Code Mode does not allow (see Problems). ${n === 1 ? e.message : ''}`.trim();
    }
    case 'CODE_TOO_LARGE':
      return `The code is larger than ${describeLimit(e.limit ?? { name: 'codeBytes', value: 65536 })}. Shorten it; put data into a dataset.`;
    case 'CODE_TOO_DEEP':
      return `The code nests too deeply to be checked${at}. Flatten the expression.`;
    case 'SANDBOX_RUNTIME_ERROR':
      return `The code threw an error${at}: ${bare(e.message)}`;
    case 'SANDBOX_NO_FIGURE':
      return `The code finished without assigning a figure to fig. End with fig = px.bar(…) or fig = { data: [...] }.`;
    case 'SANDBOX_TIMEOUT':
      return `The run took longer than ${describeLimit(e.limit)} and was stopped. Look for endless loops, and aggregate before plotting.`;
    case 'SANDBOX_MEMORY':
      return `The run used more memory than ${describeLimit(e.limit)} and was stopped. Aggregate or sample instead of building large arrays or strings.`;
    case 'SANDBOX_OUTPUT_TOO_LARGE':
      return `The figure is larger than ${describeLimit(e.limit)}. Plot aggregates or a sample, not every row.`;
    case 'SANDBOX_DATASET_TOO_LARGE':
      return `The dataset has more rows than ${describeLimit(e.limit)}. Use a smaller dataset version.`;
    case 'SANDBOX_CRASHED':
      return `The process running the chart died, usually from an allocation too large to handle. Use less memory and run again.`;
    case 'FIGURE_INVALID':
      return `The figure is not one Plotly can draw safely: ${e.message.replace(/\.?$/u, '.')}${typeof e.path === 'string' && !e.message.includes(e.path) ? ` Look at ${e.path}.` : ''}`;
    case 'SANDBOX_BUSY':
    case 'SANDBOX_UNAVAILABLE':
      return 'The sandbox is busy or unavailable right now. Try again in a moment.';
    case 'SANDBOX_WORKER_LOST':
      return 'The sandbox lost the process running this chart; this was not caused by your code. Run it again in a moment.';
    case 'CHART_NO_DATASET':
      return 'The chart has no dataset. Choose one and run again.';
    case 'CHART_DATASET_NO_VERSION':
      return 'The dataset has no data yet. Upload a version first.';
    default:
      if (err.status === 403) return 'You can look at this chart but not run or change its code (editors and owners can).';
      return describeError(err);
  }
}

/** A sandbox message without the "(line 2)" it may end with: the position is shown separately. */
function bare(message: string): string {
  return message.replace(/\s*\(line \d+(?:, column \d+)?\)\.?$/u, '');
}

/** The findings of a failed run, at their positions. */
export function problemsOfError(err: unknown): CodeProblem[] {
  if (!(err instanceof ApiFailure)) return [];
  const e = err.error;
  if (Array.isArray(e.diagnostics) && e.diagnostics.length > 0) return e.diagnostics.map((d) => ({ line: d.line, column: d.column, message: d.message, rule: d.rule }));
  if (typeof e.line === 'number') return [{ line: e.line, column: typeof e.column === 'number' ? e.column : undefined, message: bare(e.message), rule: e.code }];
  return [];
}

export function problemText(p: CodeProblem): (Node | string)[] {
  return [`Line ${p.line}${p.column === undefined ? '' : `, column ${p.column}`}: `, ...richText(p.message), ` (${p.rule})`];
}
