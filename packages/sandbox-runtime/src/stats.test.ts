import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correlationMatrix, pearson } from './stats.ts';
import { seededRandom } from './seeded-random.ts';

/** The matrix the pairwise definition gives: pearson per pair, 1 on the diagonal. */
function pairwise(columns: readonly ArrayLike<unknown>[]): (number | null)[][] {
  return columns.map((a, i) => columns.map((b, j) => (i === j ? 1 : pearson(a, b))));
}

function column(random: () => number, n: number, round: number, c: number): ArrayLike<unknown> {
  const kind = (round + c) % 7;
  const base = random() * 1e6;
  switch (kind) {
    case 0:
      return Float64Array.from({ length: n }, () => base + random() * 10);
    case 1:
      return Int32Array.from({ length: n }, () => Math.floor(random() * 1000) - 500);
    case 2: {
      // Nulls as NaN, as the dataset's numeric() gives them, and an infinity.
      const v = Float64Array.from({ length: n }, () => (random() < 0.1 ? NaN : random() * 3));
      if (n > 3) v[3] = Infinity;
      return v;
    }
    case 3:
      // Constant: no variance, so every pair with it is null.
      return new Float64Array(n).fill(2.5);
    case 4:
      // Finite values whose sum overflows.
      return Float64Array.from({ length: n }, () => 1.7e308 * (0.5 + random() / 2));
    case 5:
      // A plain array with nulls and a string: the generic path.
      return Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : i % 13 === 0 ? 'x' : random()));
    default:
      return Float64Array.from({ length: n }, (_, i) => i * 0.25 + random());
  }
}

test('correlationMatrix gives pearson for every pair, to the last bit, on columns of every kind', () => {
  const random = seededRandom(16);
  for (let round = 0; round < 60; round++) {
    const k = 1 + (round % 8);
    const n = [0, 1, 2, 3, 50, 1001][round % 6] as number;
    const columns = Array.from({ length: k }, (_, c) => column(random, n, round, c));
    const ours = correlationMatrix(columns);
    const expected = pairwise(columns);
    assert.equal(ours.length, k);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        assert.ok(Object.is(ours[i]?.[j], expected[i]?.[j]), `round ${round}, cell (${i}, ${j}): ${ours[i]?.[j]} vs ${expected[i]?.[j]}`);
      }
    }
  }
});

test('correlationMatrix: columns of different lengths and no columns', () => {
  const a = new Float64Array([1, 2, 3, 4]);
  const b = new Float64Array([2, 4, 7]);
  const c = new Int32Array([4, 3, 2, 1]);
  assert.deepEqual(correlationMatrix([a, b, c]), pairwise([a, b, c]));
  assert.deepEqual(correlationMatrix([]), []);
  assert.equal(correlationMatrix([a, c])[0]?.[1], -1);
});
