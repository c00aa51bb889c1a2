/**
 * Running chart code (SPEC §2 and §3.6): a chart's STORED code on its dataset's current version,
 * through the render cache keyed by (code hash, dataset version, runtime version); or code sent
 * with a preview request, never cached. Both check the code here first (pure and fast, so a
 * draft with diagnostics costs no sandbox round trip) and hand the sandbox the dataset by content
 * hash, uploading its Arrow bytes from the blob store only when the sandbox asks.
 *
 * Results are values, not exceptions: every outcome (a figure or a typed error) is returned so
 * the route audits each run the same way before answering.
 */
import { createHash } from 'node:crypto';
import { checkCode, type CheckFailureCode } from '@plotbox/code-check';
import { DEFAULT_LIMITS, type CodeLang, type Diagnostic, type RunError, type RunStats } from '@plotbox/sandbox-protocol';
import type { DatasetVersion, JsonValue, RenderCacheKey } from '@plotbox/store';
import type { AppContext } from './context.ts';
import { ApiError, isRunErrorCode } from './errors.ts';

/** Figures up to this size (JSON bytes) are cached inline in the store; larger ones as a blob. */
export const INLINE_FIGURE_BYTES = 256 * 1024;
/** Refuse to read back a cached figure blob larger than this (the sandbox caps output far below). */
const MAX_CACHED_FIGURE_BYTES = 64 * 1024 * 1024;
/** Sandbox error messages are shown to analysts; keep them bounded. */
const MAX_MESSAGE_CHARS = 1000;

/** The code hash the render cache and the audit log use: sha256 of the language and the code. */
export function codeHashOf(lang: CodeLang, code: string): string {
  return createHash('sha256').update(`${lang}\n`).update(code).digest('hex');
}

/** A diagnostic as stored and returned (a plain JSON object). */
export type DiagnosticView = { readonly rule: string; readonly message: string; readonly line: number; readonly column: number };

export function diagnosticViews(diagnostics: readonly Diagnostic[]): DiagnosticView[] {
  return diagnostics.map((d) => ({ rule: d.rule, message: d.message, line: d.line, column: d.column }));
}

/** What saving code finds: its hash, and either no findings or the check's failure code and findings. */
export interface CodeReview {
  readonly codeHash: string;
  readonly failure: CheckFailureCode | null;
  readonly diagnostics: DiagnosticView[];
}

/**
 * Check code as the sandbox will (same package; the sandbox's own code-size limit when the API
 * knows it, else the default). Never throws on any code.
 */
export function reviewCode(code: string, lang: CodeLang, maxBytes: number = DEFAULT_LIMITS.codeBytes): CodeReview {
  const result = checkCode(code, { lang, maxBytes });
  return { codeHash: codeHashOf(lang, code), failure: result.ok ? null : result.code, diagnostics: result.ok ? [] : diagnosticViews(result.diagnostics) };
}

/** The error a failed check becomes: the first finding's position, and every finding. */
export function checkFailureError(review: CodeReview): ApiError {
  if (review.failure === null) throw new TypeError('the code passed the check');
  const first = review.diagnostics[0];
  return new ApiError(review.failure, {
    ...(first === undefined ? {} : { message: first.message }),
    details: { ...(first === undefined ? {} : { line: first.line, column: first.column }), diagnostics: review.diagnostics },
  });
}

/** A run's outcome as the routes answer and audit it. */
export type RenderResult =
  | { readonly ok: true; readonly figureJson: string; readonly cached: boolean; readonly stats: RunStats | null; readonly datasetVersionId: string; readonly runtimeVersion: string | null }
  | { readonly ok: false; readonly error: ApiError; readonly datasetVersionId: string | null };

/**
 * The sandbox's error as the analyst sees it: Code Mode codes pass through with their safe fields;
 * the sandbox's transport codes (it refused the API's own request) are logged and become
 * `SANDBOX_UNAVAILABLE`, since nothing the analyst does can fix them.
 */
export function runErrorToApiError(ctx: AppContext, error: RunError, requestId: string): ApiError {
  if (!isRunErrorCode(error.code)) {
    ctx.logger.error({ requestId, sandboxCode: error.code }, 'the sandbox refused a run request');
    return new ApiError('SANDBOX_UNAVAILABLE');
  }
  const details: Record<string, unknown> = {};
  if (typeof error.line === 'number') details.line = error.line;
  if (typeof error.column === 'number') details.column = error.column;
  if (error.limit !== undefined) details.limit = { name: error.limit.name, value: error.limit.value };
  if (error.diagnostics !== undefined) details.diagnostics = diagnosticViews(error.diagnostics);
  if (typeof error.path === 'string') details.path = error.path.slice(0, 500);
  const message = typeof error.message === 'string' && error.message !== '' ? error.message.slice(0, MAX_MESSAGE_CHARS) : undefined;
  return new ApiError(error.code, { ...(message === undefined ? {} : { message }), details });
}

/** The current version of a project's dataset, or the typed error why there is none. */
async function currentVersion(ctx: AppContext, projectId: string, datasetId: string | null): Promise<DatasetVersion | ApiError> {
  if (datasetId === null) return new ApiError('CHART_NO_DATASET');
  const dataset = await ctx.store.datasets.findById(datasetId);
  if (dataset === null || dataset.projectId !== projectId) return new ApiError('CHART_NO_DATASET');
  if (dataset.currentVersionId === null) return new ApiError('CHART_DATASET_NO_VERSION');
  const version = await ctx.store.datasets.findVersion(dataset.currentVersionId);
  if (version === null || version.datasetId !== dataset.id) return new ApiError('CHART_DATASET_NO_VERSION');
  return version;
}

/** Run code on a dataset version in the sandbox; the Arrow bytes are read only if the sandbox lacks them. */
async function runInSandbox(ctx: AppContext, input: { code: string; lang: CodeLang; version: DatasetVersion; projectId: string; requestId: string }): Promise<RenderResult> {
  const { version } = input;
  const started = performance.now();
  const result = await ctx.sandbox.run({
    code: input.code,
    lang: input.lang,
    sha256: version.sha256,
    loadArrow: () => ctx.blobs.getBytes(version.blobKey, Math.max(version.bytes, ctx.config.maxUploadBytes)),
    project: input.projectId,
    requestId: input.requestId,
  });
  ctx.metrics.sandboxCall(result.ok ? 'ok' : result.error.code, (performance.now() - started) / 1000);
  if (!result.ok) return { ok: false, error: runErrorToApiError(ctx, result.error, input.requestId), datasetVersionId: version.id };
  if (result.runtimeVersion !== null) await ctx.sandboxInfo.observe(result.runtimeVersion);
  return { ok: true, figureJson: result.figureJson, cached: false, stats: result.stats, datasetVersionId: version.id, runtimeVersion: result.runtimeVersion };
}

/** Where a large cached figure lives: one blob per cache key, so replacing an entry overwrites it. */
function figureBlobKey(key: RenderCacheKey): string {
  const id = createHash('sha256').update(`${key.codeHash}\n${key.datasetVersionId}\n${key.runtimeVersion}`).digest('hex');
  return `renders/${id}.json`;
}

/** The cached figure's JSON text, or `null` (no entry, expired, or its blob is gone). */
async function cachedFigure(ctx: AppContext, key: RenderCacheKey): Promise<string | null> {
  const entry = await ctx.store.renderCache.get(key);
  if (entry === null) return null;
  if (entry.figure !== null) return JSON.stringify(entry.figure);
  if (entry.blobKey === null) return null;
  try {
    return Buffer.from(await ctx.blobs.getBytes(entry.blobKey, MAX_CACHED_FIGURE_BYTES)).toString('utf8');
  } catch {
    return null; // pruned or unreadable: render again
  }
}

/** Remember a figure; a failure to cache is logged and never fails the render. */
async function cacheFigure(ctx: AppContext, key: RenderCacheKey, figureJson: string, requestId: string): Promise<void> {
  try {
    const bytes = Buffer.from(figureJson, 'utf8');
    if (bytes.byteLength <= INLINE_FIGURE_BYTES) {
      // The store's port takes JSON values; small figures are cheap to parse once.
      await ctx.store.renderCache.put(key, { figure: JSON.parse(figureJson) as JsonValue });
    } else {
      const blobKey = figureBlobKey(key);
      await ctx.blobs.put(blobKey, bytes, { contentType: 'application/json' });
      await ctx.store.renderCache.put(key, { blobKey });
    }
  } catch (err) {
    ctx.logger.warn({ requestId, err: { name: (err as Error).name, code: (err as { code?: unknown }).code } }, 'render cache write failed');
  }
}

/**
 * Render a saved chart: its stored code on the current version of its dataset, from the cache
 * when (code hash, dataset version, runtime version) was rendered before (SPEC §3.6). Only
 * successful figures are cached.
 */
export async function renderChart(
  ctx: AppContext,
  input: { readonly projectId: string; readonly code: string; readonly lang: CodeLang; readonly codeHash: string; readonly datasetId: string | null; readonly requestId: string },
): Promise<RenderResult> {
  const version = await currentVersion(ctx, input.projectId, input.datasetId);
  if (version instanceof ApiError) return { ok: false, error: version, datasetVersionId: null };
  // The runtime version the cache is keyed by: known without the sandbox (remembered, or from the
  // store), so a cached figure is served while the sandbox is down or restarting.
  const info = await ctx.sandboxInfo.current();
  // Only figures of code that passed the check are cached, so a hit needs no parse of the code.
  if (info !== null) {
    const hit = await cachedFigure(ctx, { codeHash: input.codeHash, datasetVersionId: version.id, runtimeVersion: info.runtimeVersion });
    if (hit !== null) {
      ctx.metrics.renderCache('hit');
      return { ok: true, figureJson: hit, cached: true, stats: null, datasetVersionId: version.id, runtimeVersion: info.runtimeVersion };
    }
  }
  ctx.metrics.renderCache('miss');
  const review = reviewCode(input.code, input.lang, info?.limits.codeBytes);
  if (review.failure !== null) return { ok: false, error: checkFailureError(review), datasetVersionId: null };
  const result = await runInSandbox(ctx, { code: input.code, lang: input.lang, version, projectId: input.projectId, requestId: input.requestId });
  // Cached under the runtime that made the figure (a sandbox rolled meanwhile has a new one).
  const madeBy = result.ok ? (result.runtimeVersion ?? info?.runtimeVersion ?? null) : null;
  if (result.ok && madeBy !== null) await cacheFigure(ctx, { codeHash: input.codeHash, datasetVersionId: version.id, runtimeVersion: madeBy }, result.figureJson, input.requestId);
  return result;
}

/** Run unsaved code (an editor's preview) on the current version of a project's dataset; never cached. */
export async function previewCode(
  ctx: AppContext,
  input: { readonly projectId: string; readonly code: string; readonly lang: CodeLang; readonly datasetId: string; readonly requestId: string },
): Promise<RenderResult> {
  const review = reviewCode(input.code, input.lang, (await ctx.sandboxInfo.current())?.limits.codeBytes);
  if (review.failure !== null) return { ok: false, error: checkFailureError(review), datasetVersionId: null };
  const version = await currentVersion(ctx, input.projectId, input.datasetId);
  if (version instanceof ApiError) return { ok: false, error: version, datasetVersionId: null };
  return runInSandbox(ctx, { code: input.code, lang: input.lang, version, projectId: input.projectId, requestId: input.requestId });
}

/** The success body, written around the figure's JSON text so it is never parsed again here. */
export function renderBody(result: Extract<RenderResult, { ok: true }>): string {
  return `{"figure":${result.figureJson},"cached":${result.cached},"stats":${JSON.stringify(result.stats)},"datasetVersionId":${JSON.stringify(result.datasetVersionId)}}`;
}
