/**
 * The repository ports of the metadata store, one module per repository under `ports/` (records,
 * inputs and the repository interface side by side); this file gathers them. Conventions every
 * adapter follows are stated in `ports/common.ts`.
 */
export * from './ports/common.ts';
export * from './ports/users.ts';
export * from './ports/sessions.ts';
export * from './ports/api-keys.ts';
export * from './ports/groups.ts';
export * from './ports/projects.ts';
export * from './ports/dashboards.ts';
export * from './ports/charts.ts';
export * from './ports/datasets.ts';
export * from './ports/render-cache.ts';
export * from './ports/audit.ts';
export * from './ports/counters.ts';
export * from './ports/settings.ts';
export * from './ports/backup.ts';
export * from './ports/store.ts';
