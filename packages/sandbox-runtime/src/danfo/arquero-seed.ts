/**
 * Stands in for `arquero` in the danfo runtime bundle (build-danfo.mjs aliases it here): the
 * shared isolate-entry.ts seeds arquero's random source per run, and the danfo runtime has no
 * arquero. danfo's own randomness is `Math.random`, which each run's compartment seeds itself.
 */
export function seed(value: number | null): void {
  void value;
}
