/** API keys. */
import type { Page, PageRequest } from './common.ts';

export interface ApiKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** The public part shown in lists (`pbx_xxxxxxxx`), unique. */
  readonly prefix: string;
  readonly hash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

export interface NewApiKey {
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly hash: string;
  readonly expiresAt?: Date | null;
}

export interface ApiKeyRepository {
  /** @throws `STORE_NOT_FOUND` `user`, `STORE_CONFLICT` `api_keys.prefix`. */
  create(input: NewApiKey): Promise<ApiKey>;
  findById(id: string): Promise<ApiKey | null>;
  findByPrefix(prefix: string): Promise<ApiKey | null>;
  listByUser(userId: string, page: PageRequest): Promise<Page<ApiKey>>;
  /** Set `lastUsedAt` to now; `false` if missing. */
  markUsed(id: string): Promise<boolean>;
  /** `false` if missing or already revoked. */
  revoke(id: string): Promise<boolean>;
}
