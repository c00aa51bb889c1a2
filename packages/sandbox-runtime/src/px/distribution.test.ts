import { test } from 'node:test';
import assert from 'node:assert/strict';
import { px } from '../px.ts';
import { boxStats } from '../stats.ts';
import { defaultBandwidth, kde } from './kde.ts';
import { ecdfSteps } from './ecdf.ts';

type Obj = Record<string, unknown>;
const sub = (fig: { layout: Obj }): string | undefined => ((fig.layout['title'] as Obj | undefined)?.['subtitle'] as Obj | undefined)?.['text'] as string | undefined;

function noise(i: number): number {
  const s = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return s - Math.floor(s);
}

test('kde: exact Gaussian KDE below 4,000 values; the binned estimate above it stays within 0.1% of the peak', () => {
  const exactKde = (v: number[], bw: number, t: number): number => v.reduce((a, x) => a + Math.exp(-0.5 * ((t - x) / bw) ** 2), 0) / (v.length * bw * Math.sqrt(2 * Math.PI));
  for (const n of [500, 20_000]) {
    const v = Array.from({ length: n }, (_, i) => (noise(i) + noise(i + n)) * 50).sort((a, b) => a - b);
    const d = kde(Float64Array.from(v));
    assert.ok(d);
    assert.equal(d.bandwidth, defaultBandwidth(Float64Array.from(v)));
    const peak = Math.max(...d.density);
    const worst = Math.max(...d.at.map((t, i) => Math.abs((d.density[i] as number) - exactKde(v, d.bandwidth, t))));
    assert.ok(worst / peak < (n > 4000 ? 1e-3 : 1e-12), `n=${n}: off by ${worst / peak} of the peak`);
  }
  const one = kde(Float64Array.of(5, 5, 5));
  assert.ok(one !== null && Math.max(...one.density) > 0, 'identical values still give a (narrow) density');
  assert.equal(kde(new Float64Array(0)), null);
});

test('violin: one outline per category at 0, 1, 2…, labelled; the box and outliers computed in the sandbox', () => {
  const t = { g: [] as string[], v: [] as number[] };
  for (let i = 0; i < 200; i++) {
    t.g.push(i % 2 === 0 ? 'a' : 'b');
    t.v.push(i % 2 === 0 ? noise(i) * 10 : 50 + noise(i) * 30);
  }
  t.g.push('a');
  t.v.push(100); // an outlier of a
  const fig = px.violin(t, { x: 'g', y: 'v', box: true });
  const [first, second, box, outliers] = fig.data;
  for (const outline of [first, second]) {
    assert.equal(outline?.['type'], 'scatter');
    assert.equal(outline?.['fill'], 'toself');
  }
  const xs0 = first?.['x'] as number[];
  assert.ok(Math.min(...xs0) >= -0.4 - 1e-6 && Math.abs(Math.max(...xs0) - 0.4) < 1e-6, 'category 0 fills ±0.4');
  assert.ok(Math.min(...(second?.['x'] as number[])) >= 0.6 - 1e-6, 'category 1 around 1');
  assert.deepEqual([first?.['showlegend'], first?.['legendgroup']], [false, 'v']);
  const a = boxStats(Float64Array.from(t.v.filter((_, i) => t.g[i] === 'a')));
  assert.equal(box?.['type'], 'box');
  assert.deepEqual(box?.['x'], [0, 1]);
  assert.equal((box?.['median'] as number[])[0], a?.median);
  assert.deepEqual(outliers?.['y'], [100]);
  assert.deepEqual((fig.layout['xaxis'] as Obj)['ticktext'], ['a', 'b']);
  assert.deepEqual((fig.layout['xaxis'] as Obj)['tickvals'], [0, 1]);
  assert.match(first?.['hovertext'] as string, /^a<br>n=101<br>median=/);
});

test('violin: colour groups side by side (group) or on top of each other (overlay); horizontal', () => {
  const t = { g: ['a', 'a', 'a', 'a'], c: ['p', 'q', 'p', 'q'], v: [1, 2, 3, 4] };
  const grouped = px.violin(t, { x: 'g', y: 'v', color: 'c' });
  const centre = (tr: Obj | undefined): number => {
    const xs = tr?.['x'] as number[];
    return (Math.min(...xs) + Math.max(...xs)) / 2;
  };
  assert.ok(Math.abs(centre(grouped.data[0]) + 0.2) < 1e-6 && Math.abs(centre(grouped.data[1]) - 0.2) < 1e-6);
  const overlay = px.violin(t, { x: 'g', y: 'v', color: 'c', violinmode: 'overlay' });
  assert.ok(Math.abs(centre(overlay.data[0])) < 1e-6 && Math.abs(centre(overlay.data[1])) < 1e-6);
  const h = px.violin(t, { y: 'g', x: 'v', orientation: 'h' });
  assert.deepEqual((h.layout['yaxis'] as Obj)['ticktext'], ['a']);
  assert.ok(
    (h.data[0]?.['x'] as number[]).some((x) => x > 3),
    'values on x',
  );
  assert.throws(() => px.violin(t, { x: 'g', y: 'c' }), /px.violin: y: column "c" holds text, not numbers/);
});

test("violin points: 'all' draws every value (sampled past max_points, and says so)", () => {
  const t = { g: Array.from({ length: 1000 }, () => 'a'), v: Array.from({ length: 1000 }, (_, i) => i) };
  const all = px.violin(t, { x: 'g', y: 'v', points: 'all' });
  assert.deepEqual(
    (all.data[1]?.['y'] as number[]).slice().sort((a, b) => a - b),
    t.v,
  );
  assert.equal(sub(all), undefined);
  const sampled = px.violin(t, { x: 'g', y: 'v', points: 'all', max_points: 200 });
  assert.equal((sampled.data[1]?.['y'] as number[]).length, 200);
  assert.match(sub(sampled) ?? '', /at most 200 sampled values per violin \(max_points\)/);
});

test('strip: the values as points on invisible boxes, per category and colour; sampled past max_points', () => {
  const t = { g: ['a', 'b', 'a', 'b', 'a'], c: ['p', 'p', 'q', 'q', 'p'], v: [1, 2, 3, 4, 5] };
  const fig = px.strip(t, { x: 'g', y: 'v', color: 'c' });
  assert.deepEqual(
    fig.data.map((tr) => [tr['name'], tr['x'], tr['y'], tr['boxpoints']]),
    [
      ['p', ['a', 'b', 'a'], [1, 2, 5], 'all'],
      ['q', ['a', 'b'], [3, 4], 'all'],
    ],
  );
  assert.equal((fig.data[0]?.['line'] as Obj)['color'], 'rgba(255,255,255,0)');
  assert.equal(fig.layout['boxmode'], 'group');
  const big = { v: Array.from({ length: 5000 }, (_, i) => i) };
  const sampled = px.strip(big, { y: 'v', max_points: 300 });
  const ys = sampled.data[0]?.['y'] as number[];
  assert.equal(ys.length, 300);
  assert.deepEqual(
    ys.slice().sort((a, b) => a - b),
    ys,
    'rows keep their order',
  );
  assert.match(sub(sampled) ?? '', /sampled 300 of 5,000 points/);
});

test('ecdf: steps at each distinct value, standard / complementary / reversed, normalised or counted', () => {
  const t = { v: [3, 1, 2, 2, null] };
  const y = (o: Obj): unknown => px.ecdf(t, { x: 'v', ...o }).data[0]?.['y'];
  assert.deepEqual(px.ecdf(t, { x: 'v' }).data[0]?.['x'], [1, 2, 3]);
  assert.deepEqual(y({}), [0.25, 0.75, 1]);
  assert.deepEqual(y({ ecdfmode: 'complementary' }), [0.75, 0.25, 0]);
  assert.deepEqual(y({ ecdfmode: 'reversed' }), [1, 0.75, 0.25]);
  assert.deepEqual(y({ ecdfnorm: 'percent' }), [25, 75, 100]);
  assert.deepEqual(y({ ecdfnorm: null }), [1, 3, 4]);
  const std = px.ecdf(t, { x: 'v' });
  assert.equal((std.data[0]?.['line'] as Obj)['shape'], 'hv');
  assert.equal((px.ecdf(t, { x: 'v', ecdfmode: 'reversed' }).data[0]?.['line'] as Obj)['shape'], 'vh');
  assert.deepEqual((std.layout['yaxis'] as Obj)['title'], { text: 'probability' });
  const h = px.ecdf(t, { y: 'v' });
  assert.deepEqual([h.data[0]?.['y'], h.data[0]?.['x'], (h.data[0]?.['line'] as Obj)['shape']], [[1, 2, 3], [0.25, 0.75, 1], 'vh']);
  assert.deepEqual(ecdfSteps(Float64Array.of(1, 1, 2)), { x: [1, 2], atOrBelow: [2, 3] });
  const grouped = px.ecdf({ v: [1, 2, 3, 4], g: ['a', 'b', 'a', 'a'] }, { x: 'v', color: 'g' });
  assert.deepEqual(
    grouped.data.map((tr) => [tr['name'], tr['x'], tr['y']]),
    [
      ['a', [1, 3, 4], [1 / 3, 2 / 3, 1]],
      ['b', [2], [1]],
    ],
  );
  assert.throws(() => px.ecdf(t, { x: 'v', y: 'v' }), /give x \(vertical steps\) or y \(horizontal\), not both/);
});

test('ecdf past max_points: evenly thinned steps that keep the first and last, shared by the lines, noted', () => {
  const v = Array.from({ length: 10_000 }, (_, i) => i);
  const g = v.map((i) => (i % 4 === 0 ? 'a' : 'b'));
  const fig = px.ecdf({ v, g }, { x: 'v', color: 'g', max_points: 1000 });
  const [a, b] = fig.data;
  assert.equal((a?.['x'] as number[]).length + (b?.['x'] as number[]).length, 1000);
  assert.equal((a?.['x'] as number[]).length, 250);
  assert.equal((b?.['y'] as number[]).at(-1), 1);
  assert.equal((b?.['x'] as number[])[0], 1);
  const xs = b?.['x'] as number[];
  const ys = b?.['y'] as number[];
  xs.forEach((x, i) => assert.ok(Math.abs((ys[i] as number) - (x - Math.floor(x / 4)) / 7500) < 1e-12, 'kept steps keep their exact height'));
  assert.match(sub(fig) ?? '', /ECDF drawn through 1,000 of 10,000 steps \(max_points\)/);
});
