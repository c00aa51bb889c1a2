import { test } from 'node:test';
import assert from 'node:assert/strict';
import { px } from '../px.ts';

type Obj = Record<string, unknown>;
const axis = (layout: Obj, key: string): Obj => layout[key] as Obj;
const texts = (layout: Obj): string[] => (layout['annotations'] as Obj[]).map((a) => a['text'] as string);

test('facet_col: one subplot per value in order of appearance, matched axes, labels above the columns', () => {
  const t = { g: ['a', 'b', 'a', 'c'], x: [1, 2, 3, 4], y: [5, 6, 7, 8] };
  const fig = px.scatter(t, { x: 'x', y: 'y', facet_col: 'g' });
  assert.deepEqual(
    fig.data.map((tr) => [tr['xaxis'], tr['yaxis'], tr['x'], tr['y']]),
    [
      [undefined, undefined, [1, 3], [5, 7]],
      ['x2', 'y2', [2], [6]],
      ['x3', 'y3', [4], [8]],
    ],
  );
  const w = (1 - 0.02 * 2) / 3;
  const d = (k: string): number[] => axis(fig.layout, k)['domain'] as number[];
  assert.deepEqual(d('xaxis'), [0, Math.round(w * 1e6) / 1e6]);
  assert.ok(Math.abs((d('xaxis2')[0] as number) - (w + 0.02)) < 1e-6);
  assert.equal(d('xaxis3')[1], 1);
  assert.deepEqual(d('yaxis'), [0, 1]);
  assert.equal(axis(fig.layout, 'xaxis2')['matches'], 'x');
  assert.equal(axis(fig.layout, 'yaxis3')['matches'], 'y');
  assert.equal(axis(fig.layout, 'yaxis2')['showticklabels'], false, 'inner y ticks hidden');
  assert.equal(axis(fig.layout, 'xaxis2')['showticklabels'], undefined, 'every column is a bottom row');
  assert.equal(axis(fig.layout, 'xaxis2')['anchor'], 'y2');
  assert.deepEqual(axis(fig.layout, 'xaxis3')['title'], { text: 'x' });
  assert.equal(axis(fig.layout, 'yaxis2')['title'], undefined, 'y title on the left column only');
  assert.deepEqual(texts(fig.layout), ['g=a', 'g=b', 'g=c']);
  const labels = fig.layout['annotations'] as Obj[];
  assert.ok(labels.every((a) => a['y'] === 1 && a['yanchor'] === 'bottom' && a['xref'] === 'paper'));
  assert.ok(Math.abs((labels[1]?.['x'] as number) - 0.5) < 1e-6, 'the middle label is centred');
});

test('facet_row: the first value on the top row, numbered from the bottom-left as plotly express does', () => {
  const fig = px.bar({ r: ['top', 'mid', 'low'], v: [1, 2, 3] }, { x: 'r', y: 'v', facet_row: 'r' });
  assert.deepEqual(
    fig.data.map((tr) => [tr['x'], tr['yaxis'] ?? 'y']),
    [
      [['top'], 'y3'],
      [['mid'], 'y2'],
      [['low'], 'y'],
    ],
  );
  const y3 = axis(fig.layout, 'yaxis3')['domain'] as number[];
  assert.equal(y3[1], 1);
  assert.equal(axis(fig.layout, 'xaxis3')['showticklabels'], false, 'x ticks on the bottom row only');
  assert.equal(axis(fig.layout, 'xaxis')['showticklabels'], undefined);
  assert.deepEqual(axis(fig.layout, 'yaxis3')['title'], { text: 'v' });
  const labels = fig.layout['annotations'] as Obj[];
  assert.deepEqual(
    labels.map((a) => a['text']),
    ['r=top', 'r=mid', 'r=low'],
  );
  assert.ok(labels.every((a) => a['textangle'] === 90 && a['xanchor'] === 'left'));
  assert.ok((labels[0]?.['y'] as number) > (labels[2]?.['y'] as number));
  assert.ok(((axis(fig.layout, 'xaxis')['domain'] as number[])[1] as number) <= 0.97, 'room for the row labels before the legend');
});

test('facet_col_wrap: left to right, top to bottom; each column titled at its lowest subplot', () => {
  const t = { g: ['v0', 'v1', 'v2', 'v3', 'v4'], x: [0, 1, 2, 3, 4], y: [0, 1, 2, 3, 4] };
  const fig = px.scatter(t, { x: 'x', y: 'y', facet_col: 'g', facet_col_wrap: 2 });
  // 3 rows × 2 columns: v0 top-left (subplot 5), v4 bottom-left (subplot 1).
  assert.deepEqual(
    fig.data.map((tr) => tr['xaxis'] ?? 'x'),
    ['x5', 'x6', 'x3', 'x4', 'x'],
  );
  assert.equal(fig.layout['xaxis2'], undefined, 'no axes for the empty cell');
  assert.deepEqual(axis(fig.layout, 'xaxis4')['title'], { text: 'x' }, 'v3 is the lowest subplot of column 2');
  assert.equal(axis(fig.layout, 'xaxis4')['showticklabels'], undefined);
  assert.equal(axis(fig.layout, 'xaxis6')['showticklabels'], false);
  assert.deepEqual(texts(fig.layout), ['g=v0', 'g=v1', 'g=v2', 'g=v3', 'g=v4']);
  const d5 = axis(fig.layout, 'yaxis5')['domain'] as number[];
  const d3 = axis(fig.layout, 'yaxis3')['domain'] as number[];
  assert.ok(Math.abs((d5[0] as number) - (d3[1] as number) - 0.07) < 1e-6, 'wrapped rows are 0.07 apart');
});

test('category_orders orders facets; shared_xaxes/shared_yaxes false make the axes independent', () => {
  const t = { g: ['a', 'b', 'c'], x: [1, 2, 3], y: [1, 20, 300] };
  const fig = px.line(t, { x: 'x', y: 'y', facet_col: 'g', category_orders: { g: ['c', 'a'] }, shared_yaxes: false, shared_xaxes: false });
  assert.deepEqual(texts(fig.layout), ['g=c', 'g=a', 'g=b']);
  assert.deepEqual(
    fig.data.map((tr) => tr['y']),
    [[300], [1], [20]],
  );
  for (const k of ['xaxis2', 'yaxis2', 'xaxis3', 'yaxis3']) {
    assert.equal(axis(fig.layout, k)['matches'], undefined, k);
    assert.equal(axis(fig.layout, k)['showticklabels'], undefined, k);
  }
});

test('facet grid: every row lands in exactly one cell, counts per cell add up', () => {
  const n = 400;
  const t = { v: Array.from({ length: n }, (_, i) => (i * 37) % 100), a: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'p' : 'q')), b: Array.from({ length: n }, (_, i) => `b${i % 4}`) };
  const fig = px.histogram(t, { x: 'v', nbins: 10, facet_row: 'a', facet_col: 'b' });
  assert.equal(fig.data.length, 8);
  const total = fig.data.reduce((s, tr) => s + (tr['y'] as number[]).reduce((x, y) => x + y, 0), 0);
  assert.equal(total, n);
  // Cell (a = 'p', b = 'b0'): rows i with i % 3 == 0 and i % 4 == 0.
  const expected = Array.from({ length: n }, (_, i) => i).filter((i) => i % 12 === 0).length;
  assert.equal(
    (fig.data[0]?.['y'] as number[]).reduce((x, y) => x + y, 0),
    expected,
  );
  assert.deepEqual(fig.data[0]?.['x'], fig.data[7]?.['x'], 'one set of bins for every cell');
});

test('colour groups keep their colour across facets and show in the legend once', () => {
  const t = { x: [1, 2, 3, 4], y: [1, 2, 3, 4], c: ['u', 'v', 'v', 'u'], f: ['L', 'L', 'R', 'R'] };
  const fig = px.scatter(t, { x: 'x', y: 'y', color: 'c', facet_col: 'f' });
  const seen = fig.data.map((tr) => [tr['name'], (tr['marker'] as Obj)['color'], tr['showlegend']]);
  assert.deepEqual(seen, [
    ['u', '#636efa', true],
    ['v', '#EF553B', true],
    ['u', '#636efa', false],
    ['v', '#EF553B', false],
  ]);
});

test('pie facets: one pie per value in its own domain, names coloured alike', () => {
  const t = { n: ['a', 'b', 'a', 'b', 'c'], v: [1, 2, 3, 4, 5], f: ['x', 'x', 'y', 'y', 'y'] };
  const fig = px.pie(t, { names: 'n', values: 'v', facet_col: 'f' });
  assert.equal(fig.data.length, 2);
  assert.deepEqual(
    fig.data.map((tr) => [tr['labels'], tr['values']]),
    [
      [
        ['a', 'b'],
        [1, 2],
      ],
      [
        ['a', 'b', 'c'],
        [3, 4, 5],
      ],
    ],
  );
  assert.deepEqual((fig.data[1]?.['marker'] as Obj)['colors'], ['#636efa', '#EF553B', '#00cc96']);
  const d0 = fig.data[0]?.['domain'] as { x: number[] };
  const d1 = fig.data[1]?.['domain'] as { x: number[] };
  assert.ok((d0.x[1] as number) < (d1.x[0] as number));
  assert.deepEqual(texts(fig.layout), ['f=x', 'f=y']);
});

test('facet options are checked', () => {
  const t = { g: ['a', 'b'], x: [1, 2] };
  assert.throws(() => px.histogram(t, { x: 'x', facet_col_wrap: 2 }), /facet_col_wrap needs facet_row or facet_col/);
  assert.throws(() => px.histogram(t, { x: 'x', facet_row: 'g', facet_col_wrap: 2 }), /facet_col_wrap needs facet_col and no facet_row/);
  assert.throws(() => px.histogram(t, { x: 'x', facet_col: 'nope' }), /px.histogram: facet_col: no column named "nope"/);
  assert.throws(() => px.histogram({ g: ['a', 'b', 'c', 'd'], x: [1, 2, 3, 4] }, { x: 'x', facet_col: 'g', facet_col_spacing: 0.4 }), /facet_col_spacing must be below/);
  assert.throws(() => px.histogram(t, { x: 'x', facet_col: 'g', shared_xaxes: 'no' }), /shared_xaxes must be true or false/);
  assert.throws(() => px.heatmap(t, { x: 'g', y: 'g', facet_col: 'g' } as never), /unknown option "facet_col"/);
});
