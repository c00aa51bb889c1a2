/**
 * @plotbox/auth — the pure core of authentication (SPEC §4): access tokens and their key set,
 * refresh tokens and session policy, password policy and hashing, TOTP and recovery codes, and
 * the API key format. No HTTP and no store: services/api wires these to Express and the store.
 */
export { AUTH_ERROR_CODES, AuthError, isAuthError, isAuthErrorCode } from './auth-error.ts';
export type { AuthErrorCode, AuthErrorOptions } from './auth-error.ts';
export type { RandomBytes } from './crypto-utils.ts';
export { MIN_RSA_BITS, createKeySet, generateDevKeyPair, isKeySet } from './key-set.ts';
export type { DevKeyPair, Jwks, KeyInput, KeySet, KeySetOptions, PublicJwk } from './key-set.ts';
export { MAX_TOKEN_LENGTH, createTokenService } from './token-service.ts';
export type { AccessTokenClaims, IssuedAccessToken, TokenService, TokenServiceOptions } from './token-service.ts';
export { REFRESH_TOKEN_BYTES, hashRefreshToken, isRefreshTokenFormat, newRefreshToken, refreshTokenMatches } from './refresh-token.ts';
export type { NewRefreshToken } from './refresh-token.ts';
export { DEFAULT_ABSOLUTE_TTL_MS, DEFAULT_IDLE_TTL_MS, createSessionPolicy } from './session-policy.ts';
export type { SessionEndReason, SessionEvaluation, SessionPolicy, SessionPolicyOptions, SessionTimes } from './session-policy.ts';
export { COMMON_PASSWORDS } from './common-passwords.ts';
export { DEFAULT_MAX_CODE_POINTS, DEFAULT_MIN_CODE_POINTS, assertPasswordPolicy, checkPasswordPolicy, normalizePassword } from './password-policy.ts';
export type { PasswordContext, PasswordPolicyOptions, PasswordPolicyReason, PasswordPolicyResult } from './password-policy.ts';
export { DEFAULT_ARGON2_PARAMS, createPasswordHasher } from './password-hasher.ts';
export type { PasswordHasher, PasswordHasherOptions } from './password-hasher.ts';
export { createTotp, totpError } from './totp.ts';
export type { Totp, TotpAlgorithm, TotpOptions, TotpVerifyResult } from './totp.ts';
export { generateRecoveryCodes, hashRecoveryCode, matchRecoveryCode, normalizeRecoveryCode } from './recovery-codes.ts';
export type { RecoveryCodes } from './recovery-codes.ts';
export { API_KEY_LENGTH, API_KEY_PREFIX, hashApiKeySecret, newApiKey, parseApiKey, verifyApiKey } from './api-key.ts';
export type { NewApiKey } from './api-key.ts';
export { createSecretBox, generateSecretKey, secretKeyId } from './secret-box.ts';
export { NO_PASSWORD_HASH, hasLocalPassword } from './no-password.ts';
export type { SecretBox, SecretBoxOptions, SecretKey } from './secret-box.ts';
