// A run in a fake sandbox: every sandbox error code as the analyst sees it, the missing-dataset
// retry (upload once, ask again; a second miss is the sandbox's trouble), and preview's checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RUN_ERROR_CODES, RUN_ERROR_HTTP_STATUS, SANDBOX_ERROR_CODES, type RunError } from '@plotbox/sandbox-protocol';
import { createRunHarness } from '../testing/run-harness.ts';
import { previewCode } from './preview-code.ts';
import { runErrorToApiError, runInSandbox, type RenderResult } from './run-in-sandbox.ts';

const CODE = "fig = px.bar(df, { x: 'region' });";

function failed(r: RenderResult): Extract<RenderResult, { ok: false }> {
  if (r.ok) assert.fail('expected an error');
  return r;
}

test('Code Mode codes pass through with their safe fields and statuses; the sandbox refusing the API itself is SANDBOX_UNAVAILABLE, logged', async (t) => {
  const h = await createRunHarness(t);
  const { project, version } = await h.addDataset();
  for (const code of SANDBOX_ERROR_CODES) {
    if (code === 'SANDBOX_DATASET_MISSING') continue; // the retry below
    const error: RunError = {
      code,
      message: 'm'.repeat(5000),
      line: 3,
      column: 4,
      limit: { name: 'timeMs', value: 2000 },
      path: 'data[0].x',
      diagnostics: [{ rule: 'no-eval', message: 'eval', line: 3, column: 4 }],
    };
    h.sandbox.forget();
    h.sandbox.enqueue({ error });
    const r = failed(await runInSandbox(h.deps, { code: CODE, lang: 'js', runtime: 'arquero', version, projectId: project.id, requestId: `r-${code}` }));
    assert.equal(r.datasetVersionId, version.id);
    if ((RUN_ERROR_CODES as readonly string[]).includes(code)) {
      assert.equal(r.error.code, code);
      assert.equal(r.error.status, RUN_ERROR_HTTP_STATUS[code as keyof typeof RUN_ERROR_HTTP_STATUS]);
      assert.equal(r.error.message.length, 1000, 'messages are bounded');
      assert.deepEqual(r.error.details, { line: 3, column: 4, limit: { name: 'timeMs', value: 2000 }, diagnostics: [{ rule: 'no-eval', message: 'eval', line: 3, column: 4 }], path: 'data[0].x' });
      assert.equal(r.error.retryAfterSec, r.error.status === 503 ? 1 : undefined, code);
    } else {
      assert.equal(r.error.code, 'SANDBOX_UNAVAILABLE', code);
      assert.equal(r.error.retryAfterSec, 1);
      assert.ok(
        h.logs().some((l) => l.msg === 'the sandbox refused a run request' && l.sandboxCode === code),
        code,
      );
    }
  }
  // The helper on its own: a code the API does not know from the sandbox is never passed on.
  assert.equal(runErrorToApiError(h.deps.logger, { code: 'SANDBOX_UNAUTHORIZED', message: 'token' }, 'r').code, 'SANDBOX_UNAVAILABLE');
});

test('a sandbox without the dataset gets its bytes once and the run is asked again; later runs send no bytes', async (t) => {
  const h = await createRunHarness(t);
  const { project, version } = await h.addDataset(500);
  const input = { code: CODE, lang: 'js' as const, runtime: 'arquero' as const, version, projectId: project.id, requestId: 'r' };
  const first = await runInSandbox(h.deps, input);
  assert.ok(first.ok);
  assert.deepEqual(h.sandbox.uploads, [{ sha256: version.sha256, bytes: version.bytes }]);
  assert.equal(h.sandbox.runs.length, 2);
  assert.deepEqual(
    h.sandbox.runs.map((r) => [r.sha256, r.project, r.requestId]),
    [
      [version.sha256, project.id, 'r'],
      [version.sha256, project.id, 'r'],
    ],
  );
  assert.ok((await runInSandbox(h.deps, input)).ok);
  assert.equal(h.sandbox.uploads.length, 1);
  assert.equal(h.sandbox.runs.length, 3);
  const calls = await h.metrics.registry.getSingleMetricAsString('plotbox_api_sandbox_calls_total');
  assert.match(calls, /outcome="ok"\} 2/u);
});

test('a second miss right after the upload, a refused upload, or unreadable bytes: SANDBOX_UNAVAILABLE, retried once only', async (t) => {
  const h = await createRunHarness(t);
  const { project, version } = await h.addDataset();
  const input = { code: CODE, lang: 'js' as const, runtime: 'arquero' as const, version, projectId: project.id, requestId: 'r' };
  h.sandbox.setUploads('lose');
  const lost = failed(await runInSandbox(h.deps, input));
  assert.equal(lost.error.code, 'SANDBOX_UNAVAILABLE');
  assert.equal(h.sandbox.runs.length, 2);
  assert.equal(h.sandbox.uploads.length, 1);

  h.sandbox.setUploads('refuse');
  assert.equal(failed(await runInSandbox(h.deps, input)).error.code, 'SANDBOX_UNAVAILABLE');
  assert.ok(h.logs().some((l) => l.msg === 'the sandbox refused a run request' && l.sandboxCode === 'SANDBOX_DATASET_INVALID'));

  h.sandbox.setUploads('keep');
  await h.blobs.delete(version.blobKey);
  const unreadable = failed(await runInSandbox(h.deps, input));
  assert.equal(unreadable.error.code, 'SANDBOX_UNAVAILABLE');
  assert.ok(h.logs().some((l) => l.msg === 'the dataset version could not be read from the blob store'));
  assert.equal(h.sandbox.uploads.length, 2, 'nothing to upload when the bytes cannot be read');
});

test('preview: the code is checked first (no sandbox call for a refusal), then run on the dataset the route found usable', async (t) => {
  const h = await createRunHarness(t);
  const { project, dataset, version } = await h.addDataset();
  const refused = failed(await previewCode(h.deps, { projectId: project.id, code: 'fig = eval("1");', lang: 'js', runtime: 'arquero', dataset, requestId: 'r' }));
  assert.equal(refused.error.code, 'CODE_RULE');
  assert.equal(h.sandbox.runs.length, 0);
  const ran = await previewCode(h.deps, { projectId: project.id, code: CODE, lang: 'js', runtime: 'arquero', dataset, requestId: 'r' });
  assert.ok(ran.ok && !ran.cached && ran.datasetVersionId === version.id);
  const empty = await h.store.datasets.create({ projectId: project.id, name: 'empty' });
  assert.equal(failed(await previewCode(h.deps, { projectId: project.id, code: CODE, lang: 'js', runtime: 'arquero', dataset: empty, requestId: 'r' })).error.code, 'CHART_DATASET_NO_VERSION');
});
