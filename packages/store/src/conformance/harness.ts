/**
 * What every part of the conformance suite shares: the harness an adapter provides, a fake clock,
 * assertions on store errors and pages, and the context each repository's tests are registered with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isStoreError } from '../store-error.ts';
import type { StoreErrorCode } from '../store-error.ts';
import type { NewUser, Page, PageRequest, Store, StoreDeps, User } from '../ports.ts';

/** What the harness's `create` receives: the deps plus the bounds the suite tests against. */
export interface ConformanceStoreOptions extends StoreDeps {
  readonly renderCache: { readonly ttlMs: number; readonly maxEntries: number };
}

/** How the suite gets stores of the adapter under test. */
export interface ConformanceHarness {
  /** Build a fresh, empty store (its own file, database or namespace). */
  readonly create: (options: ConformanceStoreOptions) => Promise<Store>;
  /** Dispose of what `create` made, after the store was closed (delete the file, drop the db). */
  readonly cleanup?: (store: Store) => Promise<void>;
  /**
   * A reason to skip the whole suite (e.g. no database server configured): every test is reported
   * skipped with it by node:test, and a `# … SKIPPED` line is printed so the run's output shows it.
   */
  readonly skip?: string | false;
}

/** A settable fake clock. */
export interface TestClock {
  readonly now: () => Date;
  advance(ms: number): void;
}

/**
 * A fake clock starting at `start` that moves only when told. The default start lies in the
 * future (2100-01-01) so that a server-side TTL monitor (MongoDB's runs on real time) never
 * removes a record the test still uses.
 */
export function createTestClock(start = Date.UTC(2100, 0, 1)): TestClock {
  let t = start;
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** Assert that `promise` rejects with a StoreError of `code` (and `reason`, if given). */
export async function assertStoreError(promise: Promise<unknown>, code: StoreErrorCode, reason?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStoreError(error), `expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code, `code (message: ${error.message})`);
    if (reason !== undefined) assert.equal(error.reason, reason);
    // Driver messages never leak into ours.
    assert.doesNotMatch(error.message, /E11000|SQLITE|UNIQUE constraint|constraint failed:/i);
    return true;
  });
}

/** Every item of a paginated list, checking that cursors are strings and pages bounded. */
export async function collectPages<T>(list: (page: PageRequest) => Promise<Page<T>>, limit: number): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 10_000; i += 1) {
    const page = await list(cursor === undefined ? { limit } : { limit, cursor });
    assert.ok(page.items.length <= limit);
    out.push(...page.items);
    if (page.nextCursor === undefined) return out;
    assert.equal(typeof page.nextCursor, 'string');
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

export const MIN = 60_000;
/** The render cache TTL every suite store gets. */
export const TTL = 60 * MIN;
export const NEVER = new Date(Date.UTC(2200, 0, 1));

/** A test body: a fresh, empty store, its fake clock, and a way to get more fresh stores. */
export type StoreTest = (store: Store, clock: TestClock, more: MoreStores) => Promise<void>;

/** Another fresh, empty store of the same adapter (restore targets), closed and cleaned up with the test's. */
export type MoreStores = (clock?: TestClock) => Promise<Store>;

/** What each repository's part of the suite registers its tests with. */
export interface ConformanceContext {
  /** Register a test that runs against a fresh store (or is reported skipped with the suite). */
  readonly it: (title: string, fn: StoreTest) => void;
  /** A new user with a unique email (`over` replaces any field). */
  readonly newUser: (store: Store, over?: Partial<NewUser>) => Promise<User>;
}

/** The context for `harness`: each test gets its own store, closed and cleaned up after it. */
export function createConformanceContext(harness: ConformanceHarness): ConformanceContext {
  const skip = typeof harness.skip === 'string' ? harness.skip : undefined;
  const withStore = async (fn: StoreTest): Promise<void> => {
    const clock = createTestClock();
    const create = (c: TestClock): Promise<Store> => harness.create({ now: c.now, newId: () => randomUUID(), renderCache: { ttlMs: TTL, maxEntries: 3 } });
    const store = await create(clock);
    const extra: Store[] = [];
    try {
      await fn(store, clock, async (c = clock) => {
        const s = await create(c);
        extra.push(s);
        return s;
      });
    } finally {
      for (const s of [store, ...extra]) {
        await s.close();
        await harness.cleanup?.(s);
      }
    }
  };
  let n = 0;
  return {
    // test() inside describe() returns a promise node:test itself tracks.
    it: (title, fn) => void (skip === undefined ? test(title, () => withStore(fn)) : test(title, { skip }, () => {})),
    newUser: (store, over = {}) => {
      n += 1;
      return store.users.create({ email: `user${n}@example.com`, displayName: `User ${n}`, passwordHash: `hash${n}`, systemRole: 'user', ...over });
    },
  };
}
