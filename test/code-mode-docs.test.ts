// Every ```js example in docs/code-mode.md runs through the real sandbox (worker processes, the
// bundled runtime in isolated-vm isolates, the host figure check) on the sales dataset, and its
// figure has the traces and content the example is about. Every px builder has an example.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkFigure } from '@plotbox/figure';
import { datasetFromColumns } from '@plotbox/datasets';
import { PX_BUILDER_NAMES } from '@plotbox/sandbox-runtime/px-catalog';
import type { ColumnarDataset, RunResult } from '@plotbox/sandbox-protocol';
import type { Runner } from '@plotbox/sandbox';
import { salesDataset, startRunner } from './helpers/sandbox.ts';

type Obj = Record<string, unknown>;
interface Figure {
  data: Obj[];
  layout: Obj;
}

const DOC = resolve(import.meta.dirname, '../docs/code-mode.md');
const blocks = [...readFileSync(DOC, 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] as string);
/** The examples of "The danfo runtime" (fenced ```js danfo), run on the danfo runtime. */
const danfoBlocks = [...readFileSync(DOC, 'utf8').matchAll(/```js danfo\n([\s\S]*?)```/g)].map((m) => m[1] as string);

/** The trace types each builder's figure has (its main traces; marginals and trendlines add others). */
const TRACE_TYPES: Readonly<Record<string, readonly string[]>> = {
  bar: ['bar'],
  line: ['scatter'],
  area: ['scatter'],
  scatter: ['scatter', 'scattergl'],
  histogram: ['bar'],
  box: ['box'],
  violin: ['scatter'],
  strip: ['box'],
  ecdf: ['scatter'],
  pie: ['pie'],
  funnel: ['funnel'],
  heatmap: ['heatmap'],
  density_heatmap: ['heatmap'],
  density_contour: ['contour'],
  imshow: ['heatmap', 'image'],
  sunburst: ['sunburst'],
  treemap: ['treemap'],
  icicle: ['icicle'],
  scatter_matrix: ['splom'],
  parallel_coordinates: ['parcoords'],
  parallel_categories: ['parcats'],
  timeline: ['bar'],
  bar_polar: ['barpolar'],
  line_polar: ['scatterpolar'],
  scatter_polar: ['scatterpolar'],
};

let runner: Runner;
let danfo: Runner;
let dataset: ColumnarDataset;
before(async () => {
  dataset = salesDataset(3000);
  runner = startRunner();
  danfo = startRunner({ workers: 1 }, 'danfo');
  await Promise.all([runner.ready(), danfo.ready()]);
});
after(async () => {
  await Promise.all([runner.close(), danfo.close()]);
});

async function render(code: string, data: ColumnarDataset = dataset, on: Runner = runner): Promise<Figure> {
  // Time enough for a loaded test machine: this suite is about what the figures contain.
  const r: RunResult = await on.run({ code, dataset: data, limits: { timeMs: 15_000 } });
  assert.ok(r.ok, `${code}\n→ ${r.ok ? '' : `${r.error.code}: ${r.error.message}`}`);
  const fig = JSON.parse(r.figureJson) as Figure;
  const checked = checkFigure(fig);
  assert.ok(checked.ok, checked.ok ? '' : checked.error.message);
  return fig;
}

test('docs/code-mode.md has an example for every px builder', () => {
  const used = new Set(blocks.flatMap((b) => [...b.matchAll(/px\.(\w+)\(/g)].map((m) => m[1] as string)));
  for (const name of PX_BUILDER_NAMES) assert.ok(used.has(name), `no example uses px.${name}`);
  assert.ok(blocks.length >= 40, `${blocks.length} examples`);
});

test('every documented example renders in the sandbox and draws what it is about', async () => {
  for (const code of blocks) {
    const fig = await render(code);
    const types = new Set(fig.data.map((t) => String(t['type'] ?? 'scatter')));
    const last = [...code.matchAll(/fig = px\.(\w+)\(/g)].at(-1)?.[1];
    if (last !== undefined && TRACE_TYPES[last] !== undefined) {
      assert.ok(
        TRACE_TYPES[last].some((t) => types.has(t)),
        `px.${last}: trace types ${[...types].join(', ')}\n${code}`,
      );
      assert.ok(fig.data.length > 0);
    }
    const annotations = (fig.layout['annotations'] as Obj[] | undefined) ?? [];
    if (/facet_(col|row)/.test(code)) {
      assert.ok(
        annotations.some((a) => String(a['text']).includes('=')),
        `facet labels\n${code}`,
      );
      const axes = new Set(fig.data.map((t) => t['xaxis'] ?? (t['domain'] === undefined ? 'x' : JSON.stringify(t['domain']))));
      assert.ok(axes.size >= 2, `several subplots\n${code}`);
    }
    for (const [kind, text] of [
      ['ols', 'OLS trendline'],
      ['lowess', 'LOWESS trendline'],
    ] as const) {
      if (code.includes(`trendline: '${kind}'`))
        assert.ok(
          fig.data.some((t) => String(t['hovertext']).includes(text)),
          `${text}\n${code}`,
        );
    }
    if (/marginal(_x|_y)?:/.test(code)) assert.ok(fig.layout['xaxis2'] !== undefined && fig.data.some((t) => t['xaxis'] === 'x2' || t['xaxis'] === 'x3'), `marginal subplot\n${code}`);
    if (/px\.violin\([^)]*box: true/.test(code)) assert.ok(types.has('box'), `violin box\n${code}`);
    if (/px\.(density_heatmap|density_contour)/.test(code)) {
      const main = fig.data.find((t) => t['type'] === 'heatmap' || t['type'] === 'contour') as Obj;
      const cells = (main['z'] as number[][]).flat();
      assert.ok(cells.length <= 40 * 40 && !('x' in main && (main['x'] as unknown[]).length > 40), 'binned, not raw points');
    }
  }
});

test('category values with markup cannot make a px figure fail the host check (its hover templates step aside)', async () => {
  // Markup plotly may render (<b>, <i>) passes the host's markup rule, but would fill a hover
  // template with a tag (refused by the template rule): px leaves those traces the default hover.
  // (Script-capable markup such as <img> is refused in any figure, px or not.)
  const hostile = datasetFromColumns([
    { name: 'kind', kind: 'string', dictionary: ['<b>North</b>', '&lt;i&gt;South', 'plain'], codes: Int32Array.from({ length: 90 }, (_, i) => i % 3) },
    { name: 'v', kind: 'number', values: Float64Array.from({ length: 90 }, (_, i) => i) },
  ]);
  for (const code of [
    "fig = px.histogram(df, { x: 'v', color: 'kind', marginal: 'box' })",
    "fig = px.density_heatmap(df, { x: 'kind', y: 'v' })",
    "fig = px.box(df, { x: 'kind', y: 'v' })",
    "fig = px.timeline(df, { x_start: d => d.v * 1e8, x_end: d => d.v * 1e8 + 1e9, y: 'kind' })",
    "fig = px.sunburst(df, { path: ['kind'], values: 'v' })",
  ]) {
    const fig = await render(code, hostile);
    assert.ok(fig.data.length > 0, code);
    assert.ok(fig.data.some((t) => t['hovertemplate'] === undefined) || !code.includes('histogram'), code);
  }
});

test('every danfo example renders on the danfo runtime; the group sum is the data’s own', async () => {
  assert.ok(danfoBlocks.length >= 6, `${danfoBlocks.length} danfo examples`);
  for (const code of danfoBlocks) {
    const fig = await render(code, dataset, danfo);
    assert.ok(fig.data.length > 0, code);
    const last = [...code.matchAll(/fig = px\.(\w+)\(/g)].at(-1)?.[1];
    const types = new Set(fig.data.map((t) => String(t['type'] ?? 'scatter')));
    if (last !== undefined && TRACE_TYPES[last] !== undefined)
      assert.ok(
        TRACE_TYPES[last].some((t) => types.has(t)),
        `px.${last}: ${[...types].join(', ')}\n${code}`,
      );
  }
  // The first example: units summed per region, as the dataset has them.
  const region = dataset.columns.find((c) => c.name === 'region');
  const units = dataset.columns.find((c) => c.name === 'units');
  assert.ok(region?.kind === 'string' && units !== undefined && units.kind !== 'string');
  const expected: Record<string, number> = {};
  for (let i = 0; i < dataset.rowCount; i++) {
    const name = region.dictionary[region.codes[i] as number] as string;
    expected[name] = (expected[name] ?? 0) + Number(units.values[i]);
  }
  const bar = (await render(danfoBlocks[0] as string, dataset, danfo)).data[0] as { x: string[]; y: number[] };
  assert.deepEqual(Object.fromEntries(bar.x.map((r, i) => [r, bar.y[i]])), expected);
  // The arquero runtime has no dfd: the same code fails there, typed.
  const onArquero = await runner.run({ code: danfoBlocks[0] as string, dataset });
  assert.ok(!onArquero.ok && onArquero.error.code === 'SANDBOX_RUNTIME_ERROR');
});
