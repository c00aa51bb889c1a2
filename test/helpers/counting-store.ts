// Counts the operations an app performs on its store: every method call on a repository
// (`datasets.findById`, `audit.append`, ...) and on the store itself, by name.
import type { Store } from '@plotbox/store';

export interface StoreCounter {
  /** Wrap `store` so that every call through the wrapper is counted. */
  wrap(store: Store): Store;
  /** Calls since the last reset, by `repository.method`. */
  counts(): Record<string, number>;
  /** The number of calls since the last reset. */
  total(): number;
  reset(): void;
}

export function createStoreCounter(): StoreCounter {
  let counts = new Map<string, number>();
  const count = (name: string): void => void counts.set(name, (counts.get(name) ?? 0) + 1);
  const wrapObject = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(obj, key, receiver) {
        const value: unknown = Reflect.get(obj, key, receiver);
        if (typeof key !== 'string') return value;
        if (typeof value === 'function') {
          return (...args: unknown[]) => {
            // `readTogether` only groups the reads made inside it (each counted itself).
            if (key !== 'readTogether') count(`${prefix}${key}`);
            return (value as (...a: unknown[]) => unknown).apply(obj, args);
          };
        }
        if (typeof value === 'object' && value !== null && prefix === '') return wrapObject(value, `${key}.`);
        return value;
      },
    });
  return {
    wrap: (store) => wrapObject(store, ''),
    counts: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => void (counts = new Map()),
  };
}
