/**
 * @plotbox/config — the API's configuration: `parseConfig(env, readFile)` → a frozen, typed
 * {@link ApiConfig}. Pure: only the injected `readFile` touches the outside (for `*_FILE` secrets).
 */
export { ConfigError, KNOWN_PLOTBOX_VARIABLES, PLOTBOX_ENVS, PRODUCTION_BOUNDS, PRODUCTION_FLOORS, PRODUCTION_RATE_CEILINGS, describeConfig, parseConfig, redactConnectionString } from './parse-config.ts';
export type { ApiConfig, JwtKeyConfig, JwtKeysConfig, OidcConfig, PlotboxEnv, RateLimitConfig, SecretsKeyConfig } from './parse-config.ts';
