/**
 * The one-time setup link for a first start with an empty store: a random 256-bit token, kept
 * only as its SHA-256 (in the process that printed it), valid for `ttlMs`, and single use (the
 * first successful `POST /api/setup` consumes it through a store counter).
 */
import { hashRefreshToken, newRefreshToken } from '@plotbox/auth';
import type { SetupTokenState } from './context.ts';

/** A fresh setup token: `token` goes into the printed link, `state` into `createApp`. */
export function createSetupToken(now: Date, ttlMs: number): { readonly token: string; readonly state: SetupTokenState } {
  const { token } = newRefreshToken();
  return { token, state: { tokenHash: hashRefreshToken(token), expiresAt: new Date(now.getTime() + ttlMs) } };
}

/** The link printed to the console. The token is in the fragment, which browsers never send. */
export function setupLink(publicUrl: string, token: string): string {
  return `${publicUrl}/setup#token=${token}`;
}
