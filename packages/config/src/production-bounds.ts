/** Production floors of the storage settings (security settings: {@link PRODUCTION_BOUNDS}). */
export const PRODUCTION_FLOORS = Object.freeze({
  /** Below this much free disk the API cannot even report it is full in time. */
  minFreeDiskMb: 64,
  /** Another replica's upload may take this long: younger leftovers are not swept. */
  uploadGraceMin: 10,
});

/**
 * Production bounds of every security setting (SPEC §7: with `PLOTBOX_ENV=production` a setting
 * outside its bounds stops the API, naming the variable). Rates are bounded as a limit and a
 * window, and the window's rate once more below (a limit of 100 per 1 s is refused even though
 * 100 alone might pass elsewhere).
 */
export const PRODUCTION_BOUNDS = Object.freeze({
  PLOTBOX_ACCESS_TOKEN_TTL_SEC: { min: 60, max: 3600 },
  PLOTBOX_SESSION_IDLE_MIN: { min: 5, max: 720 },
  PLOTBOX_SESSION_ABSOLUTE_HOURS: { min: 1, max: 2160 },
  PLOTBOX_LOGIN_RATE_LIMIT: { min: 1, max: 30 },
  PLOTBOX_LOGIN_RATE_WINDOW_SEC: { min: 60, max: 3600 },
  PLOTBOX_API_RATE_LIMIT: { min: 10, max: 10_000 },
  PLOTBOX_API_RATE_WINDOW_SEC: { min: 10, max: 3600 },
  PLOTBOX_AUTH_FAILURE_LIMIT: { min: 1, max: 100 },
  PLOTBOX_AUTH_FAILURE_WINDOW_SEC: { min: 60, max: 3600 },
  PLOTBOX_LOCKOUT_MAX_FAILURES: { min: 3, max: 10 },
  PLOTBOX_LOCKOUT_MIN: { min: 5, max: 1440 },
  PLOTBOX_ARGON2_MEMORY_KIB: { min: 19_456, max: 4 * 1024 * 1024 },
  PLOTBOX_ARGON2_TIME_COST: { min: 2, max: 64 },
  PLOTBOX_SETUP_TOKEN_TTL_MIN: { min: 1, max: 1440 },
  PLOTBOX_TRUST_PROXY_HOPS: { min: 0, max: 3 },
  // 0 turns these off and is always allowed (NIST SP 800-63B advises against forced password
  // changes); when on, a password changed more often than monthly invites weaker passwords.
  PLOTBOX_PASSWORD_MAX_AGE_DAYS: { min: 30, max: 3650, off: 0 },
  PLOTBOX_DISABLE_INACTIVE_DAYS: { min: 7, max: 3650, off: 0 },
  // Forensics needs months of history: a shorter retention is refused in production.
  PLOTBOX_AUDIT_RETENTION_DAYS: { min: 90, max: 36500, off: 0 },
} satisfies Record<string, { readonly min: number; readonly max: number; readonly off?: number }>);

/** Production ceilings on rates (per second), whatever the limit and window. */
export const PRODUCTION_RATE_CEILINGS = Object.freeze({ loginPerSec: 0.5, apiPerSec: 50 });
