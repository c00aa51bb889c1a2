/**
 * JIT warm-up for a pooled isolate. Every run gets a fresh isolate, so without this the decode
 * loops, px builders and the serializer would run in V8's interpreter for the first thousands of
 * iterations of each run. Running them once on a small synthetic dataset when the bundle is
 * evaluated (in the pool, off the request path) lets V8 tier them up first. Touches no global and
 * no shared arquero state (no seed, no added functions).
 */
import { createGlobals } from './create-globals.ts';
import { serializeFigure } from './serialize-figure.ts';

/** Exercise the hot paths on `rows` synthetic rows. */
export function warmUp(rows = 20_000): void {
  const codes = new Int32Array(rows);
  const ints = new Int32Array(rows);
  const floats = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    codes[i] = i % 7;
    ints[i] = i % 13;
    floats[i] = ((i * 7919) % 1000) / 10;
  }
  const { df, op, px } = createGlobals({
    rowCount: rows,
    columns: [
      { name: 'k', kind: 'string', dictionary: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], codes },
      { name: 'i', kind: 'int', values: ints },
      { name: 'f', kind: 'number', values: floats },
      { name: 'v', kind: 'number', values: floats.slice(), valid: new Uint8Array(rows).fill(1) },
    ],
  });
  const rolled = df.groupby('k').rollup({ s: op.sum('i'), m: op.mean('f') });
  const figures = [
    px.bar(df, { x: 'k', y: 'i', agg: 'sum' }),
    px.line(rolled, { x: 'k', y: 's' }),
    px.scatter(df, { x: 'f', y: 'v', color: 'k' }),
    px.histogram(df, { x: 'f', nbins: 50 }),
    px.box(df, { x: 'k', y: 'f' }),
    px.heatmap(df, { x: 'k', y: 'i', z: 'f' }),
    px.heatmap(px.corr(df, ['i', 'f', 'v'])),
  ];
  for (const fig of figures) serializeFigure(fig, 64 * 1024 * 1024);
}
