/**
 * Saving charts (SPEC §2, §3): code is checked on every save with the sandbox's own code-size limit
 * (`/v1/info`, the same limit runs get); its findings are stored with the chart and drafts with
 * findings are allowed, but code over the size limit is refused. The dataset a chart (or a preview)
 * names must be one of the project's and, when the right comes only from a dashboard grant, one the
 * dashboard's charts already use (decision 8). Both refusals read the same, so such a grant reveals
 * nothing of the project's other datasets.
 */
import { datasetReach, mayUseDataset, type AccessContext, type Action } from '@plotbox/access';
import { DEFAULT_RUNTIME, type CodeLang, type RuntimeName } from '@plotbox/sandbox-protocol';
import { isStoreError, type Chart, type Dashboard, type Dataset, type Project, type Store } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import type { SandboxInfoSource } from '../sandbox-info.ts';
import { checkFailureError, reviewCode, type CodeReview } from './code-review.ts';

/** A dashboard holds at most this many charts (also the longest layout). */
export const MAX_CHARTS_PER_DASHBOARD = 500;

export interface SaveChartDeps {
  readonly store: Pick<Store, 'charts' | 'datasets'>;
  readonly sandboxInfo: SandboxInfoSource;
}

const noSuchDataset = (): ApiError =>
  new ApiError('VALIDATION_FAILED', { message: 'No such dataset in this project.', details: { issues: [{ path: 'datasetId', message: 'no such dataset in this project' }] } });

/** The scope a chart is saved or run in. */
export interface ChartScope {
  readonly project: Project;
  readonly dashboard: Dashboard;
  readonly access: AccessContext;
}

/**
 * The dataset `id` names, if the caller may use it for `action` here (else a 400 that says no more
 * than "no such dataset"); `null` for no dataset.
 */
export async function usableDataset(deps: Pick<SaveChartDeps, 'store'>, scope: ChartScope, action: Action, id: string | null | undefined): Promise<Dataset | null> {
  if (id === null || id === undefined) return null;
  const dataset = await deps.store.datasets.findById(id);
  if (dataset === null || dataset.projectId !== scope.project.id) throw noSuchDataset();
  const reach = datasetReach(scope.access, action);
  if (reach === 'project') return dataset;
  const charts = await deps.store.charts.listByDashboard(scope.dashboard.id, { limit: MAX_CHARTS_PER_DASHBOARD });
  const used = new Set(charts.items.flatMap((c) => (c.datasetId === null ? [] : [c.datasetId])));
  if (!mayUseDataset(reach, id, used)) throw noSuchDataset();
  return dataset;
}

/** Check code for saving: findings are kept, code over the sandbox's size limit is refused. */
async function reviewForSave(deps: SaveChartDeps, code: string, lang: CodeLang): Promise<CodeReview> {
  const review = reviewCode(code, lang, (await deps.sandboxInfo.current())?.limits.codeBytes);
  if (review.failure === 'CODE_TOO_LARGE') throw checkFailureError(review);
  return review;
}

/** The store also refuses a dataset of another project (a race with a dataset delete ends here). */
function datasetGone(err: unknown): never {
  if (isStoreError(err, 'STORE_NOT_FOUND') && err.reason === 'dataset') throw noSuchDataset();
  throw err;
}

/** Create a chart on `scope.dashboard`. */
export async function createChart(
  deps: SaveChartDeps,
  scope: ChartScope,
  input: { readonly title: string; readonly code: string; readonly lang: CodeLang; readonly runtime?: RuntimeName | undefined; readonly datasetId: string | null | undefined },
): Promise<{ readonly chart: Chart; readonly review: CodeReview }> {
  await usableDataset(deps, scope, 'chart.create', input.datasetId);
  const review = await reviewForSave(deps, input.code, input.lang);
  const existing = await deps.store.charts.listByDashboard(scope.dashboard.id, { limit: MAX_CHARTS_PER_DASHBOARD });
  if (existing.items.length >= MAX_CHARTS_PER_DASHBOARD) throw new ApiError('API_CONFLICT', { message: `A dashboard holds at most ${MAX_CHARTS_PER_DASHBOARD} charts.` });
  const chart = await deps.store.charts
    .create({
      dashboardId: scope.dashboard.id,
      title: input.title,
      code: input.code,
      lang: input.lang,
      runtime: input.runtime ?? DEFAULT_RUNTIME,
      datasetId: input.datasetId ?? null,
      diagnostics: review.diagnostics,
      codeHash: review.codeHash,
    })
    .catch(datasetGone);
  return { chart, review };
}

/** Change a chart (optimistic: `version`, default the one read); code or language changes are checked again. */
export async function updateChart(
  deps: SaveChartDeps,
  scope: ChartScope & { readonly chart: Chart },
  input: {
    readonly title?: string | undefined;
    readonly code?: string | undefined;
    readonly lang?: CodeLang | undefined;
    readonly runtime?: RuntimeName | undefined;
    readonly datasetId?: string | null | undefined;
    readonly version?: number | undefined;
  },
): Promise<Chart> {
  const { chart } = scope;
  await usableDataset(deps, scope, 'chart.edit', input.datasetId);
  const review = input.code !== undefined || input.lang !== undefined ? await reviewForSave(deps, input.code ?? chart.code, input.lang ?? chart.lang) : null;
  return deps.store.charts
    .update(chart.id, input.version ?? chart.version, {
      ...(input.title === undefined ? {} : { title: input.title }),
      ...(input.code === undefined ? {} : { code: input.code }),
      ...(input.lang === undefined ? {} : { lang: input.lang }),
      ...(input.runtime === undefined ? {} : { runtime: input.runtime }),
      ...(input.datasetId === undefined ? {} : { datasetId: input.datasetId }),
      ...(review === null ? {} : { diagnostics: review.diagnostics, codeHash: review.codeHash }),
    })
    .catch(datasetGone);
}
