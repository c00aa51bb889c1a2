// Content of the builders without a test file of their own: density heatmap/contour, funnel,
// timeline, imshow, scatter matrix, parallel coordinates/categories, polar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { px } from '../px.ts';

type Obj = Record<string, unknown>;
const sub = (fig: { layout: Obj }): string | undefined => ((fig.layout['title'] as Obj | undefined)?.['subtitle'] as Obj | undefined)?.['text'] as string | undefined;

test('density_heatmap: counts per 2-D bin (z[y][x]) from a hand count; every row in exactly one bin', () => {
  const n = 500;
  const x = Array.from({ length: n }, (_, i) => (i * 37) % 100);
  const y = Array.from({ length: n }, (_, i) => (i * 11) % 50);
  const fig = px.density_heatmap({ x, y }, { x: 'x', y: 'y', nbinsx: 4, nbinsy: 5 });
  const tr = fig.data[0] as Obj;
  assert.equal(tr['type'], 'heatmap');
  assert.deepEqual(tr['x'], [12.375, 37.125, 61.875, 86.625]);
  assert.deepEqual(tr['y'], [4.9, 14.7, 24.5, 34.3, 44.1]);
  const z = tr['z'] as number[][];
  const hand = Array.from({ length: 5 }, () => new Array<number>(4).fill(0));
  const xb = (v: number): number => Math.min(3, Math.floor(v / (99 / 4)));
  const yb = (v: number): number => Math.min(4, Math.floor(v / (49 / 5)));
  x.forEach((v, i) => ((hand[yb(y[i] as number)] as number[])[xb(v)] as number)++);
  assert.deepEqual(z, hand);
  assert.equal(
    z.flat().reduce((a, b) => a + b, 0),
    n,
  );
  assert.equal(tr['coloraxis'], 'coloraxis');
  assert.deepEqual((fig.layout['coloraxis'] as Obj)['colorbar'], { title: { text: 'count' } });
  assert.equal(((fig.layout['coloraxis'] as Obj)['colorscale'] as unknown[]).length, 10);
  assert.ok(!('xbins' in tr) && (tr['x'] as number[]).length === 4, 'binned in the sandbox: centres and counts only');
});

test('density_heatmap: histfunc of z per cell, categories as bins, histnorm', () => {
  const t = { a: ['p', 'q', 'p', 'q', 'p'], b: ['u', 'u', 'v', 'v', 'v'], w: [1, 2, 3, 4, 5] };
  const avg = px.density_heatmap(t, { x: 'a', y: 'b', z: 'w', histfunc: 'avg' }).data[0] as Obj;
  assert.deepEqual(
    [avg['x'], avg['y'], avg['z']],
    [
      ['p', 'q'],
      ['u', 'v'],
      [
        [1, 2],
        [4, 4],
      ],
    ],
  );
  const sum = px.density_heatmap(t, { x: 'a', y: 'b', z: 'w' }).data[0] as Obj;
  assert.deepEqual(sum['z'], [
    [1, 2],
    [8, 4],
  ]);
  const pct = px.density_heatmap(t, { x: 'a', y: 'b', histnorm: 'percent' }).data[0] as Obj;
  assert.deepEqual(pct['z'], [
    [20, 20],
    [40, 20],
  ]);
  const max = px.density_heatmap({ a: ['p', 'q'], b: ['u', 'v'], w: [7, 9] }, { x: 'a', y: 'b', z: 'w', histfunc: 'max' }).data[0] as Obj;
  assert.deepEqual(
    max['z'],
    [
      [7, null],
      [null, 9],
    ],
    'empty cells have no max',
  );
  assert.throws(() => px.density_heatmap(t, { x: 'a', y: 'b', histfunc: 'avg' }), /histfunc 'avg' needs z/);
  const ids = Array.from({ length: 1500 }, (_, i) => `id${i}`);
  assert.throws(() => px.density_heatmap({ a: ids, b: ids }, { x: 'a', y: 'b' }), /1500 × 1500 bins are too many \(at most 1,000,000 cells\)/);
});

test('density_contour: the same binned z as contour traces; lines per colour group, or filled on a colour axis', () => {
  const t = { x: [1, 2, 3, 1, 2, 3], y: [1, 1, 2, 2, 3, 3], g: ['a', 'a', 'a', 'b', 'b', 'b'] };
  const heat = px.density_heatmap(t, { x: 'x', y: 'y', nbinsx: 3, nbinsy: 3 }).data[0] as Obj;
  const contour = px.density_contour(t, { x: 'x', y: 'y', nbinsx: 3, nbinsy: 3 });
  assert.equal(contour.data[0]?.['type'], 'contour');
  assert.deepEqual(contour.data[0]?.['z'], heat['z']);
  assert.deepEqual(contour.data[0]?.['contours'], { coloring: 'none' });
  const grouped = px.density_contour(t, { x: 'x', y: 'y', color: 'g', nbinsx: 3, nbinsy: 3 });
  assert.deepEqual(
    grouped.data.map((tr) => [tr['name'], (tr['line'] as Obj)['color'], (tr['z'] as number[][]).flat().reduce((a, b) => a + b, 0)]),
    [
      ['a', '#636efa', 3],
      ['b', '#EF553B', 3],
    ],
  );
  const filled = px.density_contour(t, { x: 'x', y: 'y', fill: true, ncontours: 5 });
  assert.deepEqual([filled.data[0]?.['contours'], filled.data[0]?.['ncontours'], filled.data[0]?.['coloraxis']], [{ coloring: 'fill' }, 5, 'coloraxis']);
});

test('funnel: values summed per stage in stage order, one trace per colour', () => {
  const t = { stage: ['visit', 'cart', 'buy', 'visit', 'cart', 'visit'], n: [100, 40, 10, 50, 20, 1], site: ['A', 'A', 'A', 'B', 'B', 'A'] };
  const one = px.funnel(t, { x: 'n', y: 'stage' }).data[0] as Obj;
  assert.deepEqual([one['type'], one['y'], one['x']], ['funnel', ['visit', 'cart', 'buy'], [151, 60, 10]]);
  const by = px.funnel(t, { x: 'n', y: 'stage', color: 'site' });
  assert.deepEqual(
    by.data.map((tr) => [tr['name'], tr['y'], tr['x']]),
    [
      ['A', ['visit', 'cart', 'buy'], [101, 40, 10]],
      ['B', ['visit', 'cart'], [50, 20]],
    ],
  );
  const v = px.funnel(t, { y: 'n', x: 'stage', orientation: 'v' }).data[0] as Obj;
  assert.deepEqual([v['orientation'], v['x'], v['y']], ['v', ['visit', 'cart', 'buy'], [151, 60, 10]]);
});

test('timeline: a bar per row from start (base) for end − start milliseconds on a date axis', () => {
  const t = { task: ['a', 'b', 'c'], start: ['2024-01-01', '2024-01-10T12:00:00', null], end: ['2024-01-03', '2024-01-11T00:00:00Z', '2024-01-02'], who: ['x', 'y', 'x'] };
  const fig = px.timeline(t, { x_start: 'start', x_end: 'end', y: 'task', color: 'who' });
  assert.deepEqual(
    fig.data.map((tr) => [tr['name'], tr['base'], tr['x'], tr['y'], tr['orientation']]),
    [
      ['x', ['2024-01-01'], [2 * 86_400_000], ['a'], 'h'],
      ['y', ['2024-01-10T12:00:00.000Z'], [12 * 3_600_000], ['b'], 'h'],
    ],
  );
  assert.deepEqual(fig.data[0]?.['customdata'], [['2024-01-01', '2024-01-03']]);
  assert.deepEqual(fig.layout['xaxis'], { type: 'date' });
  assert.throws(() => px.timeline({ s: ['soon'], e: ['2024-01-01'] }, { x_start: 's', x_end: 'e' }), /x_start: column "s" must hold dates .* row 0 holds "soon"/);
});

test('imshow: a matrix as a heatmap (row 0 on top, square cells); large matrices averaged in blocks; RGB images', () => {
  const fig = px.imshow(
    [
      [1, 2],
      [3, 4],
    ],
    { x: ['a', 'b'], y: ['r1', 'r2'] },
  );
  const tr = fig.data[0] as Obj;
  assert.deepEqual(
    [tr['type'], tr['z'], tr['x'], tr['y']],
    [
      'heatmap',
      [
        [1, 2],
        [3, 4],
      ],
      ['a', 'b'],
      ['r1', 'r2'],
    ],
  );
  assert.equal((fig.layout['yaxis'] as Obj)['autorange'], 'reversed');
  assert.equal((fig.layout['yaxis'] as Obj)['scaleanchor'], 'x');
  assert.equal((px.imshow([[1]], { origin: 'lower', aspect: 'auto' }).layout['yaxis'] as Obj)['autorange'], undefined);
  const big = Array.from({ length: 600 }, (_, r) => Array.from({ length: 500 }, (_, c) => r + c));
  const small = px.imshow(big, { max_cells: 40_000 });
  const z = small.data[0]?.['z'] as number[][];
  assert.equal(z.length, 200);
  assert.equal(z[0]?.length, 167);
  assert.equal(z[0]?.[0], (0 + 1 + 2 + 1 + 2 + 3 + 2 + 3 + 4) / 9, 'a 3×3 block mean');
  assert.match(sub(small) ?? '', /averaged in 3×3 blocks: 500×600 → 167×200 cells \(max_cells\)/);
  const rgb = px.imshow([
    [
      [255, 0, 0],
      [0, 255, 0],
    ],
  ]).data[0] as Obj;
  assert.deepEqual(
    [rgb['type'], rgb['colormodel'], rgb['z']],
    [
      'image',
      'rgb',
      [
        [
          [255, 0, 0],
          [0, 255, 0],
        ],
      ],
    ],
  );
  assert.deepEqual(px.imshow(px.corr({ a: [1, 2, 3], b: [3, 2, 1] })).data[0]?.['z'], [
    [1, -1],
    [-1, 1],
  ]);
  const table = { numRows: () => 1, columnNames: () => [], array: () => [], column: () => [] };
  assert.throws(() => px.imshow(table as never), /takes a matrix/);
});

test('scatter_matrix: a splom trace per colour group with the rows’ values per dimension; sampled past max_points', () => {
  const t = { a: [1, 2, 3, 4], b: [5, 6, 7, 8], g: ['p', 'q', 'p', 'q'], s: ['x', 'y', 'z', 'w'] };
  const fig = px.scatter_matrix(t, { color: 'g' });
  assert.deepEqual(
    fig.data.map((tr) => (tr['dimensions'] as Obj[]).map((d) => [d['label'], d['values']])),
    [
      [
        ['a', [1, 3]],
        ['b', [5, 7]],
      ],
      [
        ['a', [2, 4]],
        ['b', [6, 8]],
      ],
    ],
    'default dimensions: the numeric columns',
  );
  assert.equal(fig.data[0]?.['type'], 'splom');
  const big = { a: Array.from({ length: 3000 }, (_, i) => i), b: Array.from({ length: 3000 }, (_, i) => -i) };
  const sampled = px.scatter_matrix(big, { dimensions: ['a', 'b'], max_points: 1000 });
  const [da, db] = sampled.data[0]?.['dimensions'] as Obj[];
  assert.equal((da?.['values'] as number[]).length, 1000);
  assert.deepEqual(
    db?.['values'] as number[],
    (da?.['values'] as number[]).map((v) => -v),
    'dimensions stay row-aligned',
  );
  assert.match(sub(sampled) ?? '', /sampled 1,000 of 3,000 points/);
});

test('parallel_coordinates: numeric dimensions and colour per row; text refused', () => {
  const t = { a: [1, 2, null], b: [4, 5, 6], g: ['x', 'y', 'z'] };
  const tr = px.parallel_coordinates(t, { dimensions: ['a', 'b'], color: 'b' }).data[0] as Obj;
  assert.deepEqual(
    (tr['dimensions'] as Obj[]).map((d) => d['values']),
    [
      [1, 2, null],
      [4, 5, 6],
    ],
  );
  assert.deepEqual((tr['line'] as Obj)['color'], [4, 5, 6]);
  assert.throws(() => px.parallel_coordinates(t, { dimensions: ['a', 'g'] }), /dimensions: column "g" holds text, not numbers/);
});

test('parallel_categories: one path per combination with its count (never one per row); colour per category', () => {
  const t = { a: ['x', 'x', 'y', 'x', 'y'], b: ['u', 'u', 'u', 'v', 'u'], n: [1, 2, 3, 4, 5] };
  const tr = px.parallel_categories(t, { dimensions: ['a', 'b'], color: 'n' }).data[0] as Obj;
  const dims = tr['dimensions'] as Obj[];
  assert.deepEqual(
    dims.map((d) => d['values']),
    [
      ['x', 'y', 'x'],
      ['u', 'u', 'v'],
    ],
  );
  assert.deepEqual(tr['counts'], [2, 2, 1]);
  assert.deepEqual((tr['line'] as Obj)['color'], [1.5, 4, 4], 'mean colour per path');
  const byA = px.parallel_categories(t, { dimensions: ['b'], color: 'a' }).data[0] as Obj;
  assert.deepEqual(
    [((byA['dimensions'] as Obj[])[0] as Obj)['values'], byA['counts'], (byA['line'] as Obj)['color']],
    [
      ['u', 'u', 'v'],
      [2, 2, 1],
      [0, 1, 0],
    ],
  );
  const auto = px.parallel_categories(t).data[0] as Obj;
  assert.deepEqual(
    (auto['dimensions'] as Obj[]).map((d) => d['label']),
    ['a', 'b', 'n'],
    'default: columns with at most 50 values',
  );
});

test('polar: bar_polar sums r per angle and colour; line_polar closes; scatter_polar keeps rows', () => {
  const t = { dir: ['N', 'E', 'N', 'S', 'E'], r: [1, 2, 3, 4, 5], g: ['a', 'a', 'b', 'b', 'a'] };
  const bars = px.bar_polar(t, { r: 'r', theta: 'dir', color: 'g' });
  assert.deepEqual(
    bars.data.map((tr) => [tr['type'], tr['theta'], tr['r']]),
    [
      ['barpolar', ['N', 'E'], [1, 7]],
      ['barpolar', ['N', 'S'], [3, 4]],
    ],
  );
  assert.deepEqual(bars.layout['polar'], { angularaxis: { direction: 'clockwise', rotation: 90 }, radialaxis: { title: { text: 'r' } }, barmode: 'stack' });
  const line = px.line_polar(t, { r: 'r', theta: 'dir', agg: 'sum', line_close: true }).data[0] as Obj;
  assert.deepEqual([line['theta'], line['r'], line['mode']], [['N', 'E', 'S', 'N'], [4, 7, 4, 4], 'lines']);
  const pts = px.scatter_polar(t, { r: 'r', theta: 'dir', start_angle: 0, direction: 'counterclockwise', range_r: [0, 10] });
  assert.deepEqual([pts.data[0]?.['r'], pts.data[0]?.['mode']], [[1, 2, 3, 4, 5], 'markers']);
  assert.deepEqual(pts.layout['polar'], { angularaxis: { direction: 'counterclockwise', rotation: 0 }, radialaxis: { title: { text: 'r' }, range: [0, 10] } });
  assert.throws(() => px.bar_polar(t, { r: 'dir', theta: 'dir' }), /r: column "dir" holds text, not numbers/);
});
