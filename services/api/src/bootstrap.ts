/**
 * `PLOTBOX_ADMIN_*` bootstrap: create the first admin from the environment when the store has no
 * admin yet. Shared by main.ts and `plotbox init`.
 */
import { assertPasswordPolicy, type PasswordHasher } from '@plotbox/auth';
import type { Store, User } from '@plotbox/store';

/**
 * Create an admin with this email and password if no admin exists. Returns the user created, or
 * `null` when an admin already exists. Throws `AUTH_PASSWORD_POLICY` for a weak password.
 */
export async function ensureBootstrapAdmin(
  store: Store,
  hasher: PasswordHasher,
  admin: { readonly email: string; readonly password: string; readonly displayName: string },
  via: string,
): Promise<User | null> {
  if ((await store.users.count({ systemRole: 'admin' })) > 0) return null;
  const normalized = assertPasswordPolicy(admin.password, { email: admin.email, displayName: admin.displayName });
  const user = await store.users.create({ email: admin.email, displayName: admin.displayName, passwordHash: await hasher.hash(normalized), systemRole: 'admin' });
  await store.audit.append({ actor: { kind: 'system', userId: null }, action: 'admin_bootstrap', target: { type: 'user', id: user.id }, outcome: 'success', details: { via } });
  return user;
}
