// The render cache around a fake sandbox: hits and misses, the runtime that made a figure, runtime
// changes, a failing cache write, the sandbox down with and without a cached figure, and the
// refusals that need no sandbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, type Store } from '@plotbox/store';
import { createSandboxInfoSource } from '../sandbox-info.ts';
import { createRunHarness, type RunHarness } from '../testing/run-harness.ts';
import { codeHashOf } from './code-review.ts';
import { renderBody, renderChart } from './render-chart.ts';
import type { RenderResult } from './run-in-sandbox.ts';

const CODE = "fig = px.bar(df, { x: 'region', y: 'units', agg: 'sum' });";

function chartOn(projectId: string, datasetId: string | null, code = CODE): Parameters<typeof renderChart>[1] {
  return { projectId, code, lang: 'js', runtime: 'arquero', codeHash: codeHashOf('js', code), datasetId, requestId: 'req-1' };
}

function ok(r: RenderResult): Extract<RenderResult, { ok: true }> {
  if (!r.ok) assert.fail(`expected a figure, got ${r.error.code}: ${r.error.message}`);
  return r;
}

function failed(r: RenderResult): Extract<RenderResult, { ok: false }> {
  if (r.ok) assert.fail('expected an error');
  return r;
}

async function cacheCount(h: RunHarness, result: 'hit' | 'miss'): Promise<number> {
  const metric = await h.metrics.registry.getSingleMetricAsString('plotbox_api_render_cache_total');
  const m = new RegExp(`result="${result}"\\} (\\d+)`, 'u').exec(metric);
  return m === null ? 0 : Number(m[1]);
}

test('a miss runs the stored code and caches the figure; the next render is a hit that asks nothing of the sandbox', async (t) => {
  const h = await createRunHarness(t);
  const { project, dataset, version } = await h.addDataset();
  h.sandbox.enqueue({ figure: { data: [{ type: 'bar', x: ['north'], y: [7] }] } });
  const first = ok(await renderChart(h.deps, chartOn(project.id, dataset.id)));
  assert.equal(first.cached, false);
  assert.equal(first.datasetVersionId, version.id);
  assert.deepEqual(JSON.parse(first.figureJson), { data: [{ type: 'bar', x: ['north'], y: [7] }] });
  const runs = h.sandbox.runs.length;
  const second = ok(await renderChart(h.deps, chartOn(project.id, dataset.id)));
  assert.equal(second.cached, true);
  assert.equal(second.stats, null);
  assert.equal(second.figureJson, first.figureJson);
  assert.equal(h.sandbox.runs.length, runs, 'a hit runs nothing');
  assert.equal(await cacheCount(h, 'miss'), 1);
  assert.equal(await cacheCount(h, 'hit'), 1);
  // The answer is written around the figure's text.
  assert.deepEqual(JSON.parse(renderBody(second)), { figure: JSON.parse(first.figureJson), cached: true, stats: null, datasetVersionId: version.id });
});

test('a figure is cached under the runtime that made it, even when the sandbox rolled since the API last asked', async (t) => {
  const h = await createRunHarness(t, { sandbox: { runtimeVersion: 'rt-1' } });
  const { project, dataset, version } = await h.addDataset();
  const chart = chartOn(project.id, dataset.id);
  assert.equal((await h.deps.sandboxInfo.current())?.runtimeVersion, 'rt-1');
  // The sandbox is replaced by a new runtime; the API's memo still says rt-1 when the run starts.
  h.sandbox.setRuntimeVersion('rt-2');
  ok(await renderChart(h.deps, chart));
  const key = (runtimeVersion: string): { codeHash: string; datasetVersionId: string; runtimeVersion: string } => ({ codeHash: chart.codeHash, datasetVersionId: version.id, runtimeVersion });
  assert.notEqual(await h.store.renderCache.get(key('arquero:rt-2')), null);
  assert.equal(await h.store.renderCache.get(key('arquero:rt-1')), null, 'never under a runtime that did not make it');
  // The figure told the API of the new runtime: the next render finds it.
  assert.equal((await h.deps.sandboxInfo.current())?.runtimeVersion, 'rt-2');
  assert.equal(ok(await renderChart(h.deps, chart)).cached, true);
});

test('the cache key holds the runtime name: the same code on danfo is a miss, run on danfo, then cached apart from arquero', async (t) => {
  const h = await createRunHarness(t, { sandbox: { runtimeVersion: 'rt-1' } });
  const { project, dataset, version } = await h.addDataset();
  const arquero = chartOn(project.id, dataset.id);
  const danfo = { ...arquero, runtime: 'danfo' as const };
  h.sandbox.enqueue({ figure: { data: [{ type: 'bar', x: ['a'], y: [1] }] } }, { figure: { data: [{ type: 'bar', x: ['d'], y: [2] }] } });
  assert.equal(ok(await renderChart(h.deps, arquero)).cached, false);
  const first = ok(await renderChart(h.deps, danfo));
  assert.equal(first.cached, false, 'an arquero figure is never served to a danfo chart');
  // (The first run also met the sandbox without the dataset: asked again after the upload.)
  assert.deepEqual([...new Set(h.sandbox.runs.map((r) => r.runtime))], ['arquero', 'danfo']);
  assert.equal(h.sandbox.runs.at(-1)?.runtime, 'danfo');
  const runs = h.sandbox.runs.length;
  const key = (runtimeVersion: string): { codeHash: string; datasetVersionId: string; runtimeVersion: string } => ({ codeHash: arquero.codeHash, datasetVersionId: version.id, runtimeVersion });
  assert.notEqual(await h.store.renderCache.get(key('arquero:rt-1')), null);
  assert.notEqual(await h.store.renderCache.get(key('danfo:rt-1')), null);
  const again = ok(await renderChart(h.deps, danfo));
  assert.equal(again.cached, true);
  assert.match(again.figureJson, /"d"/);
  assert.match(ok(await renderChart(h.deps, arquero)).figureJson, /"a"/);
  assert.equal(h.sandbox.runs.length, runs, 'both served from the cache');
});

test('a new runtime version is a miss: figures of the old runtime are not served', async (t) => {
  const h = await createRunHarness(t, { sandbox: { runtimeVersion: 'rt-1' } });
  const { project, dataset } = await h.addDataset();
  const chart = chartOn(project.id, dataset.id);
  ok(await renderChart(h.deps, chart));
  assert.equal(ok(await renderChart(h.deps, chart)).cached, true);
  h.sandbox.setRuntimeVersion('rt-2');
  h.advance(31_000); // past the info memo's freshness
  const after = ok(await renderChart(h.deps, chart));
  assert.equal(after.cached, false);
  assert.equal(after.runtimeVersion, 'rt-2');
  assert.equal(ok(await renderChart(h.deps, chart)).cached, true);
});

test('a failed cache write is logged and does not fail the render', async (t) => {
  const failing = (store: Store): Store => ({
    ...store,
    renderCache: { ...store.renderCache, put: () => Promise.reject(new StoreError('STORE_UNAVAILABLE', 'the database disk is full', { reason: 'storage_full' })) },
  });
  const h = await createRunHarness(t, { wrapStore: failing });
  const { project, dataset } = await h.addDataset();
  const first = ok(await renderChart(h.deps, chartOn(project.id, dataset.id)));
  assert.equal(first.cached, false);
  assert.ok(h.logs().some((l) => l.msg === 'render cache write failed'));
  assert.equal(ok(await renderChart(h.deps, chartOn(project.id, dataset.id))).cached, false, 'nothing was cached');
});

test('the sandbox down: a cached figure is still served (also by a replica that never reached the sandbox); anything else is SANDBOX_UNAVAILABLE', async (t) => {
  const h = await createRunHarness(t);
  const { project, dataset } = await h.addDataset();
  const chart = chartOn(project.id, dataset.id);
  ok(await renderChart(h.deps, chart));
  h.sandbox.setDown(true);
  h.advance(60_000);
  assert.equal(ok(await renderChart(h.deps, chart)).cached, true);
  // A replica started while the sandbox is down: nothing in memory, the runtime version from the store.
  const replica = { ...h.deps, sandboxInfo: createSandboxInfoSource({ sandbox: h.sandbox, store: h.store, logger: h.deps.logger, now: () => new Date() }) };
  assert.equal(ok(await renderChart(replica, chart)).cached, true);
  const other = failed(await renderChart(h.deps, chartOn(project.id, dataset.id, "fig = px.line(df, { x: 'date', y: 'units' });")));
  assert.equal(other.error.code, 'SANDBOX_UNAVAILABLE');
  assert.equal(other.error.status, 503);
  assert.equal(other.error.retryAfterSec, 1);
});

test('refusals that need no sandbox: no dataset, a dataset of another project, no version yet, code the check refuses', async (t) => {
  const h = await createRunHarness(t, { sandbox: { limits: { codeBytes: 200 } } });
  const { project, dataset } = await h.addDataset();
  const other = await h.addDataset();
  const empty = await h.store.datasets.create({ projectId: project.id, name: 'empty' });
  assert.equal(failed(await renderChart(h.deps, chartOn(project.id, null))).error.code, 'CHART_NO_DATASET');
  assert.equal(failed(await renderChart(h.deps, chartOn(project.id, other.dataset.id))).error.code, 'CHART_NO_DATASET');
  assert.equal(failed(await renderChart(h.deps, chartOn(project.id, empty.id))).error.code, 'CHART_DATASET_NO_VERSION');
  const rule = failed(await renderChart(h.deps, chartOn(project.id, dataset.id, 'fig = eval("1");')));
  assert.equal(rule.error.code, 'CODE_RULE');
  assert.equal(rule.error.details?.line, 1);
  // The sandbox's own code-size limit (from its info), not the default.
  const long = `// ${'x'.repeat(300)}\n${CODE}`;
  assert.equal(failed(await renderChart(h.deps, chartOn(project.id, dataset.id, long))).error.code, 'CODE_TOO_LARGE');
  assert.equal(h.sandbox.runs.length, 0);
});
