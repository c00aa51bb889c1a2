/**
 * @plotbox/config — the API's configuration: `parseConfig(env, readFile)` → a frozen, typed
 * {@link ApiConfig}. Pure: only the injected `readFile` touches the outside (for `*_FILE` secrets).
 */
export { PLOTBOX_ENVS } from './api-config.ts';
export type { ApiConfig, JwtKeyConfig, JwtKeysConfig, OidcConfig, PlotboxEnv, RateLimitConfig, SecretsKeyConfig } from './api-config.ts';
export { ConfigError } from './config-error.ts';
export { describeConfig, redactConnectionString } from './describe-config.ts';
export { KNOWN_PLOTBOX_VARIABLES } from './known-variables.ts';
export { parseConfig } from './parse-config.ts';
export { PRODUCTION_BOUNDS, PRODUCTION_FLOORS, PRODUCTION_RATE_CEILINGS } from './production-bounds.ts';
