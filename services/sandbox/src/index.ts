export { createRunner } from './runner.ts';
export type { DatasetRef, Runner, RunnerOptions, RunnerStats, RunInput, WorkerInfo } from './runner.ts';
export { resolveLimits, LimitsError, DEFAULT_CEILINGS } from './limits.ts';
export type { LimitCeilings } from './limits.ts';
export { classifyIsolateError } from './isolate-errors.ts';
