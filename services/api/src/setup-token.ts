/**
 * The one-time setup link for a first start with an empty store: a random 256-bit token whose
 * SHA-256 is recorded in the store (never the token), valid for `ttlMs`, single use. Kept in the
 * store, not in the process that printed it, so the link works on whichever API replica answers,
 * and every replica that started without an admin can print its own.
 */
import { hashRefreshToken, newRefreshToken } from '@plotbox/auth';
import type { Store } from '@plotbox/store';

/** What is recorded of a setup token. */
export interface SetupTokenState {
  readonly tokenHash: string;
  readonly expiresAt: Date;
}

/** A fresh setup token: `token` goes into the printed link, `state` into the store. */
export function createSetupToken(now: Date, ttlMs: number): { readonly token: string; readonly state: SetupTokenState } {
  const { token } = newRefreshToken();
  return { token, state: { tokenHash: hashRefreshToken(token), expiresAt: new Date(now.getTime() + ttlMs) } };
}

/** The settings key of a setup token (by its hash). */
export function setupTokenKey(tokenHash: string): string {
  return `setup:token:${tokenHash}`;
}

/** Record a setup token so any replica accepts it until it expires or is used. */
export async function registerSetupToken(store: Store, state: SetupTokenState): Promise<void> {
  await store.settings.put(setupTokenKey(state.tokenHash), { expiresAt: state.expiresAt.toISOString() }, { expiresAt: state.expiresAt });
}

/** The link printed to the console. The token is in the fragment, which browsers never send. */
export function setupLink(publicUrl: string, token: string): string {
  return `${publicUrl}/setup#token=${token}`;
}
