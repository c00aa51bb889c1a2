/**
 * The one-time first-admin setup (SPEC §4 bootstrap): a token printed at start, looked up by its
 * hash (the store holds no token, and any replica's link works), used once across replicas and
 * concurrent requests (the one delete that removes the record wins), refused once an admin exists.
 */
import { assertPasswordPolicy, hashRefreshToken } from '@plotbox/auth';
import type { User } from '@plotbox/store';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { setupTokenKey } from '../setup-token.ts';
import type { RequestMeta } from '../context.ts';

export type SetUpAdminDeps = Pick<AppContext, 'store' | 'audit' | 'hasher'>;

/** Create the first admin with the setup token; throws `AUTH_SETUP_INVALID` (audited) when the token cannot be used. */
export async function setUpAdmin(
  deps: SetUpAdminDeps,
  input: { readonly token: string; readonly email: string; readonly displayName?: string | undefined; readonly password: string },
  meta: RequestMeta,
): Promise<User> {
  const key = setupTokenKey(hashRefreshToken(input.token));
  const refuse = async (): Promise<never> => {
    await deps.audit({ action: 'setup_failure', outcome: 'failure', actor: { kind: 'anonymous', userId: null }, ...meta });
    throw new ApiError('AUTH_SETUP_INVALID');
  };
  if ((await deps.store.settings.get(key)) === null || (await deps.store.users.count({ systemRole: 'admin' })) > 0) return refuse();
  const displayName = input.displayName ?? 'Administrator';
  const password = assertPasswordPolicy(input.password, { email: input.email, displayName });
  if (!(await deps.store.settings.delete(key))) return refuse();
  const user = await deps.store.users.create({ email: input.email, displayName, passwordHash: await deps.hasher.hash(password), systemRole: 'admin' });
  await deps.audit({ action: 'admin_bootstrap', outcome: 'success', actor: { kind: 'system', userId: null }, target: { type: 'user', id: user.id }, ...meta, details: { via: 'setup_link' } });
  return user;
}
