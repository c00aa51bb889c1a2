/**
 * Render a saved chart (SPEC §2, §3.6): its STORED code on its dataset's current version, from the
 * render cache when (code hash, dataset version, runtime name and version) was rendered before. Viewers may:
 * they never run code they supply. A cache hit reads the dataset and the cache entry only: no code
 * check, no version record, no sandbox (the runtime version is remembered, so cached figures are
 * served while the sandbox is down). Only successful figures are cached, under the runtime that
 * made them.
 */
import type { CodeLang, RuntimeName } from '@plotbox/sandbox-protocol';
import { runtimeVersionOf } from '../sandbox-port.ts';
import type { Store } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { checkFailureError, reviewCode } from './code-review.ts';
import { cacheFigure, cachedFigure, type RenderCacheDeps } from './render-cache.ts';
import { currentVersionOf, runInSandbox, type RenderResult, type RunDeps } from './run-in-sandbox.ts';

export interface RenderChartDeps extends RunDeps, RenderCacheDeps {
  readonly store: Pick<Store, 'datasets' | 'renderCache'>;
}

/** A saved chart as rendering needs it. */
export interface RenderChartInput {
  readonly projectId: string;
  readonly code: string;
  readonly lang: CodeLang;
  /** The runtime the chart runs on. */
  readonly runtime: RuntimeName;
  /** The stored hash of (lang, code): the cache key's first part. */
  readonly codeHash: string;
  readonly datasetId: string | null;
  readonly requestId: string;
}

const failed = (error: ApiError, datasetVersionId: string | null = null): RenderResult => ({ ok: false, error, datasetVersionId });

/**
 * The cache key's runtime part: the runtime's name and its bundle's version, so a chart switched
 * to another runtime never gets the figure the other one made (even were the two versions equal).
 */
export function renderCacheRuntime(runtime: RuntimeName, version: string): string {
  return `${runtime}:${version}`;
}

/** Render a saved chart; every outcome is a value (see {@link RenderResult}). */
export async function renderChart(deps: RenderChartDeps, input: RenderChartInput): Promise<RenderResult> {
  if (input.datasetId === null) return failed(new ApiError('CHART_NO_DATASET'));
  const dataset = await deps.store.datasets.findById(input.datasetId);
  if (dataset === null || dataset.projectId !== input.projectId) return failed(new ApiError('CHART_NO_DATASET'));
  if (dataset.currentVersionId === null) return failed(new ApiError('CHART_DATASET_NO_VERSION'));
  // Known without the sandbox (remembered, or from the store), so a cached figure is served while
  // the sandbox is down or restarting.
  const info = await deps.sandboxInfo.current();
  const known = info === null ? null : runtimeVersionOf(info, input.runtime);
  if (known !== null) {
    const datasetVersionId = dataset.currentVersionId;
    const hit = await cachedFigure(deps, { codeHash: input.codeHash, datasetVersionId, runtimeVersion: renderCacheRuntime(input.runtime, known) });
    if (hit !== null) {
      deps.metrics.renderCache('hit');
      return { ok: true, figureJson: hit, cached: true, stats: null, datasetVersionId, runtimeVersion: known };
    }
  }
  deps.metrics.renderCache('miss');
  const review = reviewCode(input.code, input.lang, info?.limits.codeBytes);
  if (review.failure !== null) return failed(checkFailureError(review));
  const version = await currentVersionOf(deps.store, dataset);
  if (version instanceof ApiError) return failed(version);
  const result = await runInSandbox(deps, { code: input.code, lang: input.lang, runtime: input.runtime, version, projectId: input.projectId, requestId: input.requestId });
  // Cached under the runtime that made the figure (a sandbox rolled meanwhile has a new one).
  const madeBy = result.ok ? (result.runtimeVersion ?? known) : null;
  if (result.ok && madeBy !== null)
    await cacheFigure(deps, { codeHash: input.codeHash, datasetVersionId: version.id, runtimeVersion: renderCacheRuntime(input.runtime, madeBy) }, result.figureJson, input.requestId);
  return result;
}

/** The success body, written around the figure's JSON text so it is never parsed again here. */
export function renderBody(result: Extract<RenderResult, { ok: true }>): string {
  return `{"figure":${result.figureJson},"cached":${result.cached},"stats":${JSON.stringify(result.stats)},"datasetVersionId":${JSON.stringify(result.datasetVersionId)}}`;
}
