import { test } from 'node:test';
import assert from 'node:assert/strict';
import { px } from '../px.ts';
import { createGlobals } from '../create-globals.ts';
import { createSalesPayload } from '../sales-fixture.ts';
import { COMMON_OPTIONS, FACET_OPTIONS, OPTION_DOCS, PX_BUILDER_NAMES, PX_CATALOG, optionsOf, signatureOf } from './catalog.ts';

test('the catalog lists exactly the members of px, builders as functions', () => {
  assert.deepEqual(PX_CATALOG.map((e) => e.name).sort(), Object.keys(px).sort());
  for (const e of PX_CATALOG) {
    const member = (px as unknown as Record<string, unknown>)[e.name];
    assert.equal(typeof member, e.kind === 'value' ? 'object' : 'function', e.name);
  }
  const required = [
    'violin',
    'strip',
    'ecdf',
    'funnel',
    'sunburst',
    'treemap',
    'icicle',
    'scatter_matrix',
    'density_heatmap',
    'density_contour',
    'timeline',
    'imshow',
    'parallel_coordinates',
    'parallel_categories',
    'bar_polar',
    'line_polar',
    'scatter_polar',
  ];
  for (const name of required) assert.ok(PX_BUILDER_NAMES.includes(name), name);
});

test('every option is documented and every builder takes the common options', () => {
  for (const e of PX_CATALOG.filter((x) => x.kind === 'builder')) {
    for (const o of COMMON_OPTIONS) assert.ok(e.options.includes(o), `${e.name} lacks ${o}`);
    for (const o of e.options) assert.equal(typeof OPTION_DOCS[o], 'string', `${e.name}.${o} has no doc`);
    assert.equal(new Set(e.options).size, e.options.length, `${e.name} lists an option twice`);
  }
  for (const name of ['bar', 'line', 'area', 'scatter', 'histogram', 'box', 'violin', 'strip', 'ecdf', 'funnel', 'density_heatmap', 'density_contour', 'timeline']) {
    for (const o of FACET_OPTIONS) assert.ok(optionsOf(name).includes(o), `${name} lacks ${o}`);
  }
  for (const name of ['scatter', 'density_heatmap', 'density_contour']) assert.ok(optionsOf(name).includes('marginal_x') && optionsOf(name).includes('marginal_y'));
  assert.equal(
    signatureOf(PX_CATALOG.find((e) => e.name === 'violin') as (typeof PX_CATALOG)[number]),
    '(table, { x, y, color, orientation, box, points, violinmode, bandwidth, category_orders, max_points, facet_* })',
  );
});

test('the runtime accepts every catalogued option and refuses others, suggesting the near miss', () => {
  for (const name of PX_BUILDER_NAMES) {
    const fn = (px as unknown as Record<string, (t: unknown, o: unknown) => unknown>)[name] as (t: unknown, o: unknown) => unknown;
    for (const option of optionsOf(name)) {
      try {
        fn({ a: [1] }, { [option]: Symbol('probe') });
      } catch (err) {
        assert.doesNotMatch((err as Error).message, /unknown option/, `${name}: ${option}`);
      }
    }
    assert.throws(() => fn({ a: [1] }, { colour: 'a' }), new RegExp(`px.${name}: unknown option "colour"`));
  }
  assert.throws(() => px.scatter({ a: [1] }, { x: 'a', colour: 'a' }), /unknown option "colour" \(did you mean "color"\?\)/);
});

test('every catalogue example runs on the sales data and builds a figure', () => {
  const g = createGlobals(createSalesPayload(1500));
  for (const e of PX_CATALOG) {
    const run = new Function('df', 'aq', 'op', 'data', 'px', `let fig;\n${e.example}\nreturn fig;`) as (...a: unknown[]) => { data: unknown[] };
    const fig = run(g.df, g.aq, g.op, g.data, g.px);
    assert.ok(Array.isArray(fig.data) && fig.data.length > 0, e.name);
  }
});
