/**
 * One run of code on a dataset version in the sandbox, and what its errors mean to the analyst.
 * The sandbox is handed the dataset by content hash; only when it says it lacks it
 * (`SANDBOX_DATASET_MISSING`, e.g. a new pod) are the Arrow bytes read from the blob store and
 * uploaded, and the run asked once more. A second miss is the sandbox's trouble, not the analyst's.
 */
import type { BlobStore } from '@plotbox/blobs';
import type { ApiConfig } from '@plotbox/config';
import type { CodeLang, RunError, RunStats, RuntimeName } from '@plotbox/sandbox-protocol';
import type { Dataset, DatasetVersion, Store } from '@plotbox/store';
import type { Logger } from 'pino';
import { API_HTTP_STATUS, ApiError, isRunErrorCode } from '../errors.ts';
import type { ApiMetrics } from '../metrics.ts';
import type { SandboxInfoSource } from '../sandbox-info.ts';
import type { SandboxPort, SandboxRunResult } from '../sandbox-port.ts';
import { diagnosticViews } from './code-review.ts';

/** What running code needs. */
export interface RunDeps {
  readonly sandbox: SandboxPort;
  readonly sandboxInfo: SandboxInfoSource;
  readonly blobs: BlobStore;
  readonly metrics: ApiMetrics;
  readonly logger: Logger;
  readonly config: Pick<ApiConfig, 'maxUploadBytes'>;
}

/** A run's outcome as the routes answer and audit it (values, not exceptions: every run is audited alike). */
export type RenderResult =
  | { readonly ok: true; readonly figureJson: string; readonly cached: boolean; readonly stats: RunStats | null; readonly datasetVersionId: string; readonly runtimeVersion: string | null }
  | { readonly ok: false; readonly error: ApiError; readonly datasetVersionId: string | null };

/** Sandbox error messages are shown to analysts; keep them bounded. */
const MAX_MESSAGE_CHARS = 1000;

/**
 * The sandbox's error as the analyst sees it: Code Mode codes pass through with their safe fields;
 * the sandbox's transport codes (it refused the API's own request) are logged and become
 * `SANDBOX_UNAVAILABLE`, since nothing the analyst does can fix them. Busy and unavailable answers
 * carry `Retry-After`.
 */
export function runErrorToApiError(logger: Logger, error: RunError, requestId: string): ApiError {
  if (!isRunErrorCode(error.code)) {
    logger.error({ requestId, sandboxCode: error.code }, 'the sandbox refused a run request');
    return new ApiError('SANDBOX_UNAVAILABLE', { retryAfterSec: 1 });
  }
  const details: Record<string, unknown> = {};
  if (typeof error.line === 'number') details.line = error.line;
  if (typeof error.column === 'number') details.column = error.column;
  if (error.limit !== undefined) details.limit = { name: error.limit.name, value: error.limit.value };
  if (error.diagnostics !== undefined) details.diagnostics = diagnosticViews(error.diagnostics);
  if (typeof error.path === 'string') details.path = error.path.slice(0, 500);
  const message = typeof error.message === 'string' && error.message !== '' ? error.message.slice(0, MAX_MESSAGE_CHARS) : undefined;
  return new ApiError(error.code, { ...(message === undefined ? {} : { message }), details, ...(API_HTTP_STATUS[error.code] === 503 ? { retryAfterSec: 1 } : {}) });
}

/** Ask the sandbox; when it lacks the dataset, upload the version's bytes once and ask again. */
async function runWithDataset(deps: RunDeps, input: RunInput): Promise<SandboxRunResult> {
  const { version } = input;
  const request = { code: input.code, lang: input.lang, runtime: input.runtime, sha256: version.sha256, project: input.projectId, requestId: input.requestId };
  const first = await deps.sandbox.run(request);
  if (first.ok || first.error.code !== 'SANDBOX_DATASET_MISSING') return first;
  let bytes: Uint8Array;
  try {
    bytes = await deps.blobs.getBytes(version.blobKey, Math.max(version.bytes, deps.config.maxUploadBytes));
  } catch (err) {
    deps.logger.error(
      { requestId: input.requestId, versionId: version.id, err: { name: (err as Error).name, code: (err as { code?: unknown }).code } },
      'the dataset version could not be read from the blob store',
    );
    return { ok: false, error: { code: 'SANDBOX_UNAVAILABLE', message: 'The dataset version could not be read from storage.' } };
  }
  const put = await deps.sandbox.putDataset(version.sha256, bytes);
  if (!put.ok) return { ok: false, error: put.error };
  const second = await deps.sandbox.run(request);
  // Missing again right after the upload: the sandbox cannot keep it (another pod answered, or it is restarting).
  return !second.ok && second.error.code === 'SANDBOX_DATASET_MISSING' ? { ok: false, error: { code: 'SANDBOX_UNAVAILABLE', message: 'The sandbox lost the dataset again.' } } : second;
}

/** What a run is: code on a runtime and a dataset version, for a project. */
export interface RunInput {
  readonly code: string;
  readonly lang: CodeLang;
  readonly runtime: RuntimeName;
  readonly version: DatasetVersion;
  readonly projectId: string;
  readonly requestId: string;
}

/** Run code on a dataset version: the figure, or the typed error the analyst sees. Counted in the metrics. */
export async function runInSandbox(deps: RunDeps, input: RunInput): Promise<RenderResult> {
  const started = performance.now();
  const result = await runWithDataset(deps, input);
  deps.metrics.sandboxCall(result.ok ? 'ok' : result.error.code, (performance.now() - started) / 1000);
  if (!result.ok) return { ok: false, error: runErrorToApiError(deps.logger, result.error, input.requestId), datasetVersionId: input.version.id };
  if (result.runtimeVersion !== null) await deps.sandboxInfo.observe(result.runtimeVersion, input.runtime);
  return { ok: true, figureJson: result.figureJson, cached: false, stats: result.stats, datasetVersionId: input.version.id, runtimeVersion: result.runtimeVersion };
}

/** The dataset's current version (to run on), or the typed error why there is none. */
export async function currentVersionOf(store: Pick<Store, 'datasets'>, dataset: Dataset): Promise<DatasetVersion | ApiError> {
  if (dataset.currentVersionId === null) return new ApiError('CHART_DATASET_NO_VERSION');
  const version = await store.datasets.findVersion(dataset.currentVersionId);
  if (version === null || version.datasetId !== dataset.id) return new ApiError('CHART_DATASET_NO_VERSION');
  return version;
}
