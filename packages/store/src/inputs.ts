/**
 * Input checking shared by every adapter, one module per repository under `inputs/`: each
 * repository has one check per operation (`USER_INPUTS.update`, …) that takes what a caller passed
 * (typed, but possibly anything at run time) and returns normalized primitives ready to bind into a
 * query: strings, numbers (epoch ms for dates), booleans, `null`, serialized JSON, decoded cursors.
 * Adapters are assembled from these checks (`assembleRepository`) and build their queries only from
 * what they return, so both adapters accept and refuse exactly the same inputs.
 */
export * from './inputs/common.ts';
export * from './inputs/search.ts';
export * from './inputs/users.ts';
export * from './inputs/sessions.ts';
export * from './inputs/api-keys.ts';
export * from './inputs/groups.ts';
export * from './inputs/projects.ts';
export * from './inputs/dashboards.ts';
export * from './inputs/charts.ts';
export * from './inputs/datasets.ts';
export * from './inputs/render-cache.ts';
export * from './inputs/audit.ts';
export * from './inputs/counters.ts';
export * from './inputs/settings.ts';
export * from './inputs/backup.ts';
