/**
 * Creating an API key (SPEC §4): prefixed, shown once, stored hashed, named, optionally expiring.
 * A prefix that happens to be taken already (the store refuses it) is drawn again, twice at most.
 */
import { newApiKey } from '@plotbox/auth';
import { isStoreError, type ApiKey, type User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import type { Caller } from '../context.ts';

/** The key as stored, and the key itself (the only time it exists outside the caller's hands). */
export async function createApiKey(
  deps: Pick<AppContext, 'store' | 'audit' | 'now'>,
  user: User,
  input: { readonly name: string; readonly expiresInDays?: number | null | undefined },
  caller: Caller,
): Promise<{ readonly apiKey: ApiKey; readonly key: string }> {
  const expiresAt = input.expiresInDays == null ? null : new Date(deps.now().getTime() + input.expiresInDays * 86_400_000);
  for (let attempt = 0; ; attempt++) {
    const k = newApiKey();
    try {
      const apiKey = await deps.store.apiKeys.create({ userId: user.id, name: input.name, prefix: k.prefix, hash: k.hash, expiresAt });
      const { actor, ip, requestId, clientRequestId } = caller;
      await deps.audit({
        action: 'api_key_create',
        outcome: 'success',
        actor,
        target: { type: 'api_key', id: apiKey.id },
        ip,
        requestId,
        clientRequestId,
        details: { name: input.name, prefix: `pbx_${k.prefix}` },
      });
      return { apiKey, key: k.key };
    } catch (err) {
      if (!isStoreError(err, 'STORE_CONFLICT') || err.reason !== 'api_keys.prefix' || attempt >= 2) throw err;
    }
  }
}
