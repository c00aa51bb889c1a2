import { PlotboxError } from '@plotbox/errors';
import { DEFAULT_LIMITS, type Limits, type LimitName } from '@plotbox/sandbox-protocol';

/** The most a run may ask for, per limit (the service's configuration). */
export type LimitCeilings = Limits;

export const DEFAULT_CEILINGS: LimitCeilings = Object.freeze({
  codeBytes: 256 * 1024,
  timeMs: 30_000,
  memoryMb: 512,
  outputBytes: 32 * 1024 * 1024,
  rows: 10_000_000,
});

const MINIMUMS: Limits = Object.freeze({ codeBytes: 1, timeMs: 10, memoryMb: 8, outputBytes: 1024, rows: 0 });

/** Thrown for a limits object that is not acceptable; mapped to SANDBOX_BAD_REQUEST. */
export class LimitsError extends PlotboxError<'SANDBOX_BAD_REQUEST', never> {
  constructor(message: string) {
    super('SANDBOX_BAD_REQUEST', message);
    this.name = 'LimitsError';
  }
}

/**
 * Merges requested limits over the defaults, refusing anything that is not a whole number within
 * [minimum, ceiling]. Unknown keys are refused too.
 */
export function resolveLimits(requested: unknown, defaults: Limits = DEFAULT_LIMITS, ceilings: LimitCeilings = DEFAULT_CEILINGS): Limits {
  if (requested === undefined || requested === null) return defaults;
  if (typeof requested !== 'object' || Array.isArray(requested)) throw new LimitsError('limits must be an object');
  const out: Record<LimitName, number> = { ...defaults };
  for (const [key, value] of Object.entries(requested)) {
    if (!Object.hasOwn(defaults, key)) throw new LimitsError(`unknown limit "${key.slice(0, 40)}"`);
    const name = key as LimitName;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new LimitsError(`limit ${name} must be a whole number`);
    if (value < MINIMUMS[name] || value > ceilings[name]) {
      throw new LimitsError(`limit ${name} must be between ${MINIMUMS[name]} and ${ceilings[name]}`);
    }
    out[name] = value;
  }
  return Object.freeze(out);
}
