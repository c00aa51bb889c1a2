/**
 * xorshift32: a small deterministic generator for tests that build random data, so a failure can
 * be replayed from its seed. Not for anything that needs good randomness.
 * @returns numbers in [0, 1)
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
