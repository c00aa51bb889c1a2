/**
 * JIT warm-up for a pooled danfo isolate (the danfo runtime's counterpart of warm-up.ts, put in
 * its place by build-danfo.mjs): a frame, a groupby and a few px builders on synthetic rows.
 */
import { createGlobals } from './danfo-globals.ts';
import { serializeFigure } from '../serialize-figure.ts';

/** Exercise the hot paths on `rows` synthetic rows. */
export function warmUp(rows = 2000): void {
  const codes = new Int32Array(rows);
  const floats = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    codes[i] = i % 7;
    floats[i] = ((i * 7919) % 1000) / 10;
  }
  const { df, px } = createGlobals({
    rowCount: rows,
    columns: [
      { name: 'k', kind: 'string', dictionary: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], codes },
      { name: 'f', kind: 'number', values: floats },
    ],
  });
  const frame = df as unknown as { groupby(keys: string[]): { col(c: string[]): { sum(): unknown } } };
  const summed = frame.groupby(['k']).col(['f']).sum();
  for (const fig of [px.bar(summed, { x: 'k', y: 'f_sum' }), px.histogram(df, { x: 'f', nbins: 50 }), px.scatter(df, { x: 'f', y: 'f', color: 'k' })]) serializeFigure(fig, 64 * 1024 * 1024);
}
