/**
 * Accounts without a Plotbox password (created by single sign-on) store this marker in place of a
 * hash. It is not a hash any verifier accepts: `PasswordHasher.verify` refuses it (after the same
 * work as a real check, so timing tells nothing), and no password can ever produce it.
 */
export const NO_PASSWORD_HASH = '!no-local-password';

/** Does the stored hash stand for a password that can be used (not {@link NO_PASSWORD_HASH})? */
export function hasLocalPassword(passwordHash: string): boolean {
  return passwordHash !== NO_PASSWORD_HASH;
}
