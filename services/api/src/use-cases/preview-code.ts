/**
 * Preview unsaved code (an editor's run, SPEC §3): checked first (a draft with findings costs no
 * sandbox round trip), then run on the current version of a dataset the route has already found
 * usable by the caller; never cached.
 */
import type { CodeLang, RuntimeName } from '@plotbox/sandbox-protocol';
import type { Dataset, Store } from '@plotbox/store';
import { ApiError } from '../errors.ts';
import { checkFailureError, reviewCode } from './code-review.ts';
import { currentVersionOf, runInSandbox, type RenderResult, type RunDeps } from './run-in-sandbox.ts';

export interface PreviewCodeDeps extends RunDeps {
  readonly store: Pick<Store, 'datasets'>;
}

/** Run unsaved code on `dataset`'s current version; every outcome is a value (see {@link RenderResult}). */
export async function previewCode(
  deps: PreviewCodeDeps,
  input: { readonly projectId: string; readonly code: string; readonly lang: CodeLang; readonly runtime: RuntimeName; readonly dataset: Dataset; readonly requestId: string },
): Promise<RenderResult> {
  const review = reviewCode(input.code, input.lang, (await deps.sandboxInfo.current())?.limits.codeBytes);
  if (review.failure !== null) return { ok: false, error: checkFailureError(review), datasetVersionId: null };
  const version = await currentVersionOf(deps.store, input.dataset);
  if (version instanceof ApiError) return { ok: false, error: version, datasetVersionId: null };
  return runInSandbox(deps, { code: input.code, lang: input.lang, runtime: input.runtime, version, projectId: input.projectId, requestId: input.requestId });
}
