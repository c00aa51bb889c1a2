/**
 * Deterministic row sampling for builders that draw one mark per row. A figure must stay within
 * the output limit at a million rows, and the analyst must be told when it does not show every
 * row: {@link pointBudget} picks the rows and words the note.
 * Pure ECMAScript; runs inside the isolate.
 */
import { sizeOf, rowAt } from './groups.ts';
import type { RowSet } from './groups.ts';
import { numberOption, thousands } from './options.ts';
import type { Ctx } from './options.ts';

/** Rows drawn by per-row builders unless `max_points` says otherwise: ≈1–2 MB of figure JSON. */
export const DEFAULT_MAX_POINTS = 50_000;

/** The largest `max_points` accepted: past it the 4 MiB output limit is reached anyway. */
const MAX_POINTS_CEILING = 1_000_000;

/**
 * Exactly `k` of the `n` positions 0..n-1, ascending, chosen uniformly by selection sampling
 * (Knuth's Algorithm S) with a fixed-seed xorshift generator: the same input always gives the
 * same sample, and rows keep their order.
 */
export function samplePositions(n: number, k: number, seed = 0x2545f491): Int32Array {
  const out = new Int32Array(Math.min(n, Math.max(0, k)));
  let state = seed >>> 0 || 1;
  let chosen = 0;
  for (let i = 0; i < n && chosen < out.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const u = (state >>> 0) / 4294967296;
    if (u * (n - i) < out.length - chosen) out[chosen++] = i;
  }
  return out;
}

/** A subset of `rows` (all `n` rows when null): `k` of them, in order. */
export function sampleRows(rows: RowSet, n: number, k: number): Int32Array {
  const size = sizeOf(rows, n);
  const positions = samplePositions(size, k);
  if (rows === null) return positions;
  const out = new Int32Array(positions.length);
  for (let i = 0; i < positions.length; i++) out[i] = rowAt(rows, positions[i] as number);
  return out;
}

/** `max_points` of builder `c` (or `fallback`). */
export function maxPoints(c: Ctx, fallback = DEFAULT_MAX_POINTS): number {
  return numberOption(c, 'max_points', { min: 1, max: MAX_POINTS_CEILING, integer: true }) ?? fallback;
}

/** The rows a builder draws, and the note to show when they are a sample. */
export interface Budgeted {
  readonly rows: RowSet;
  readonly note: string | undefined;
}

/**
 * The rows a per-row builder draws: all of them when they fit `max_points`, else a deterministic
 * sample and the note that says so (the builder adds it to the layout with `addNote`).
 * @param what what a row is drawn as, for the note ("points", "bars", "lines").
 */
export function pointBudget(c: Ctx, rows: RowSet, n: number, what = 'points', fallback = DEFAULT_MAX_POINTS): Budgeted {
  const limit = maxPoints(c, fallback);
  const size = sizeOf(rows, n);
  if (size <= limit) return { rows, note: undefined };
  return { rows: sampleRows(rows, n, limit), note: `sampled ${thousands(limit)} of ${thousands(size)} ${what} (max_points)` };
}
