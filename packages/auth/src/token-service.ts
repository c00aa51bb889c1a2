/**
 * Access tokens: short-lived RS256 JWTs bound to a server-side session (SPEC §4).
 *
 * Verification is deliberately narrow: the header is parsed and checked by hand before the
 * library sees the token (exactly `alg: RS256`, a `kid` that is exactly one of ours, no `crit`),
 * the key comes only from the key set (never from `jwk`/`jku`/`x5u`/`x5c` headers), the library
 * call pins `algorithms: ['RS256']`, issuer and audience, and the time claims are checked against
 * the injected clock. Every failure is an {@link AuthError}; nothing else escapes.
 */
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AuthError } from './auth-error.ts';
import { isKeySet, signingKeyOf } from './key-set.ts';
import type { KeySet } from './key-set.ts';

export interface TokenServiceOptions {
  readonly keySet: KeySet;
  /** `iss` of issued tokens, and the only issuer accepted. */
  readonly issuer: string;
  /** `aud` of issued tokens, and the only audience accepted. */
  readonly audience: string;
  /** Lifetime of an access token, seconds. Default 900 (15 min). */
  readonly accessTtlSec?: number;
  /** Allowed clock skew when checking `exp`, `nbf` and `iat`, seconds. Default 5. */
  readonly clockToleranceSec?: number;
  /** Current time, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** New unique token id (`jti`). Default `crypto.randomUUID`. */
  readonly newId?: () => string;
}

/** The claims of a verified access token. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly aud: string;
  /** The user id. */
  readonly sub: string;
  /** The session id; the caller must still check the session is live. */
  readonly sid: string;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  readonly jti: string;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly jti: string;
  /** Expiry, ms since the epoch (for the cookie's `Expires`/`Max-Age`). */
  readonly expiresAt: number;
}

export interface TokenService {
  /** Sign a new access token for a user's session with the key set's active key. */
  issueAccessToken(subject: { readonly sub: string; readonly sid: string }): IssuedAccessToken;
  /**
   * Verify an access token and return its claims.
   * @throws AuthError `AUTH_EXPIRED` for a genuine token past `exp`; `AUTH_INVALID_TOKEN` for
   *   anything else. Never throws any other type, whatever `token` is.
   */
  verifyAccessToken(token: unknown): AccessTokenClaims;
}

/** Longest token string looked at; ours are about 700 bytes. */
export const MAX_TOKEN_LENGTH = 8192;
const MAX_CLAIM_LENGTH = 256;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function configError(message: string): AuthError {
  return new AuthError('AUTH_CONFIG', message);
}

function invalid(cause?: unknown): AuthError {
  return new AuthError('AUTH_INVALID_TOKEN', 'invalid access token', cause === undefined ? {} : { cause });
}

function isNonEmptyString(value: unknown, max = MAX_CLAIM_LENGTH): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseHeader(segment: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (cause) {
    throw invalid(cause);
  }
  if (!isPlainObject(header)) throw invalid(new Error('header is not a JSON object'));
  return header;
}

/**
 * Build the access-token service.
 * @throws AuthError `AUTH_CONFIG` at construction for a key set not built by `createKeySet`
 *   (a PEM string, an HMAC secret…), an empty issuer or audience, or an out-of-range TTL/tolerance.
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  if (options === null || typeof options !== 'object') throw configError('token service options are required');
  const { keySet, issuer, audience, accessTtlSec = 900, clockToleranceSec = 5, now = Date.now, newId = randomUUID } = options;
  if (!isKeySet(keySet)) {
    throw new AuthError('AUTH_KEY_CONFIG', 'keySet must be built by createKeySet (RSA keys only; no shared secrets)');
  }
  if (!isNonEmptyString(issuer)) throw configError('issuer must be a non-empty string');
  if (!isNonEmptyString(audience)) throw configError('audience must be a non-empty string');
  if (!Number.isInteger(accessTtlSec) || accessTtlSec < 1 || accessTtlSec > 86_400) {
    throw configError('accessTtlSec must be an integer in [1, 86400]');
  }
  if (!Number.isInteger(clockToleranceSec) || clockToleranceSec < 0 || clockToleranceSec > 300) {
    throw configError('clockToleranceSec must be an integer in [0, 300]');
  }
  if (typeof now !== 'function') throw configError('now must be a function');
  if (typeof newId !== 'function') throw configError('newId must be a function');
  const signing = signingKeyOf(keySet);

  function nowSec(): number {
    const ms = now();
    if (!Number.isFinite(ms)) throw new TypeError('now() must return a finite number of ms');
    return Math.floor(ms / 1000);
  }

  function issueAccessToken(subject: { readonly sub: string; readonly sid: string }): IssuedAccessToken {
    const { sub, sid } = subject;
    if (!isNonEmptyString(sub)) throw new TypeError('sub must be a non-empty string of at most 256 characters');
    if (!isNonEmptyString(sid)) throw new TypeError('sid must be a non-empty string of at most 256 characters');
    const jti = newId();
    if (!isNonEmptyString(jti)) throw new TypeError('newId() must return a non-empty string of at most 256 characters');
    const iat = nowSec();
    const exp = iat + accessTtlSec;
    // jsonwebtoken keeps an explicit non-zero `iat`, so the injected clock decides it.
    const payload = { iss: issuer, aud: audience, sub, sid, iat, exp, jti };
    const token = jwt.sign(payload, signing.key, { algorithm: 'RS256', keyid: signing.kid });
    return { token, jti, expiresAt: exp * 1000 };
  }

  function verify(token: unknown): AccessTokenClaims {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw invalid();
    const header = parseHeader(token.slice(0, token.indexOf('.')));
    // Exact match: 'none', 'None', 'HS256', 'RS512', 'PS256', 'ES256'… are all refused here,
    // and again by the library's `algorithms` pin below.
    if (header['alg'] !== 'RS256') throw invalid(new Error('alg is not RS256'));
    if ('crit' in header) throw invalid(new Error('crit header is not supported'));
    if ('typ' in header && header['typ'] !== 'JWT') throw invalid(new Error('typ is not JWT'));
    const key = keySet.publicKey(header['kid']);
    if (key === undefined) throw invalid(new Error('unknown kid'));

    let payload: unknown;
    try {
      payload = jwt.verify(token, key, {
        algorithms: ['RS256'],
        issuer,
        audience,
        // Time is checked below with the injected clock.
        ignoreExpiration: true,
        ignoreNotBefore: true,
      });
    } catch (cause) {
      throw invalid(cause);
    }
    if (!isPlainObject(payload)) throw invalid(new Error('payload is not a JSON object'));
    const { iss, aud, sub, sid, iat, exp, jti, nbf } = payload;
    if (iss !== issuer || aud !== audience) throw invalid(new Error('issuer or audience mismatch'));
    if (!isNonEmptyString(sub) || !isNonEmptyString(sid) || !isNonEmptyString(jti)) {
      throw invalid(new Error('sub, sid and jti are required strings'));
    }
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid(new Error('exp is required'));
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid(new Error('iat is required'));
    const t = nowSec();
    if (nbf !== undefined && (typeof nbf !== 'number' || !(nbf <= t + clockToleranceSec))) {
      throw invalid(new Error('token not yet valid (nbf)'));
    }
    // We never issue tokens dated in the future; one that is was not minted by this clock.
    if (iat > t + clockToleranceSec) throw invalid(new Error('iat is in the future'));
    if (t >= exp + clockToleranceSec) throw new AuthError('AUTH_EXPIRED', 'access token expired');
    return Object.freeze({ iss, aud, sub, sid, iat, exp, jti });
  }

  return Object.freeze({
    issueAccessToken,
    verifyAccessToken(token: unknown): AccessTokenClaims {
      try {
        return verify(token);
      } catch (error) {
        if (error instanceof AuthError) throw error;
        throw invalid(error);
      }
    },
  });
}
