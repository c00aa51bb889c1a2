/**
 * @plotbox/api — the dashboard API. `createApp(deps)` builds the Express app; `src/main.ts` is
 * the composition root that reads the environment and listens; `src/cli.ts` is `plotbox`.
 */
export { createApp } from './app.ts';
export { API_ROUTES } from './routes/index.ts';
export { accessLabel, routeRule } from './route-table.ts';
export type { AnyRoute, RouteAccess, RouteMethod, RouteSpec, ScopeOf } from './route-table.ts';
export { buildOpenApi, HAND_MOUNTED_ROUTES, jsonSchemaOf, openApiPath } from './openapi.ts';
export type { HandMountedAccess, HandMountedRoute, OpenApiOptions } from './openapi.ts';
export { createSandboxClient } from './sandbox-client.ts';
export type { SandboxClientOptions } from './sandbox-client.ts';
export type { SandboxInfo, SandboxPort, SandboxRunInput, SandboxRunResult } from './sandbox-port.ts';
export { openBlobs } from './open-blobs.ts';
export { openIngest } from './ingest/open-ingest.ts';
export type { IngestDeps } from './ingest/open-ingest.ts';
export type { AppDeps, AuthState } from './context.ts';
export type { SetupTokenState } from './setup-token.ts';
export { API_ERROR_CODES, API_HTTP_STATUS, ApiError, isApiError } from './errors.ts';
export { ERROR_TABLE, toApiError } from './error-table.ts';
export type { PackageErrorCode } from './error-table.ts';
export type { ApiErrorCode } from './errors.ts';
export { createCounterRateLimitStore } from './rate-limit.ts';
export { createLogger, REDACT_PATHS } from './logger.ts';
export { loadKeySet } from './keys.ts';
export { openStore } from './open-store.ts';
export { createSetupToken, registerSetupToken } from './setup-token.ts';
export { ensureBootstrapAdmin } from './bootstrap.ts';
export { loadSecretBox, openTotpSecret, resealStoredSecrets, sealTotpSecret } from './secrets.ts';
export { SWEEP_LEASE_KEY, scheduleInactiveSweep, sweepInactiveAccounts } from './inactive-sweep.ts';
export type { SweepDeps, SweepResult } from './inactive-sweep.ts';
export { createAudit } from './audit.ts';
