/**
 * Hardening the prototypes of a library's objects (arquero's and flechette's in the arquero
 * runtime, danfo's and tfjs's in the danfo one) after ses's lockdown: find every prototype a graph
 * reaches, make its data properties overridable on instances, then freeze it. No imports, so
 * both runtime bundles can take it without pulling in the other's libraries.
 */

/**
 * Adds every unfrozen prototype reachable from `root` to `protos`: objects' `[[Prototype]]`s and
 * classes' `prototype`s. A class's `[[Prototype]]` is its parent class (a function): it is frozen
 * as reached, not collected.
 */
export function collectPrototypes(root: unknown, protos: Set<object>): void {
  const seen = new Set<unknown>();
  const queue: unknown[] = [root];
  while (queue.length > 0 && seen.size < 100_000) {
    const o = queue.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    const proto = Object.getPrototypeOf(o) as object | null;
    if (proto !== null && typeof proto === 'object' && !Object.isFrozen(proto)) protos.add(proto);
    queue.push(proto);
    for (const key of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d === undefined) continue;
      if ('value' in d) {
        queue.push(d.value);
        if (key === 'prototype' && typeof o === 'function' && d.value !== null && typeof d.value === 'object' && !Object.isFrozen(d.value)) protos.add(d.value as object);
      } else queue.push(d.get, d.set);
    }
  }
}

/**
 * The data properties of `proto` (all, or those of `keys`; never `constructor`) become accessors whose setter defines the
 * property on the instance, so libraries that assign own properties shadowing prototype ones
 * (flechette's columns assign their own `at`) keep working once the prototype is frozen (the
 * "override mistake"). Assigning through the prototype itself still throws.
 */
export function enableOverrides(proto: object, keys: readonly PropertyKey[] = Reflect.ownKeys(proto)): void {
  for (const key of keys) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (d === undefined || !('value' in d) || d.configurable !== true) continue;
    const value: unknown = d.value;
    Object.defineProperty(proto, key, {
      get(): unknown {
        return value;
      },
      set(this: object, next: unknown): void {
        if (this === proto) throw new TypeError(`Cannot assign to read only property '${String(key)}'`);
        Object.defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
      },
      enumerable: d.enumerable ?? false,
      configurable: false,
    });
  }
}

/**
 * Makes every prototype in `protos` overridable, then hardens them all. All are made overridable
 * before any is frozen: freezing one freezes what it reaches (static `ArrayType` classes, …),
 * which must be overridable already.
 */
export function hardenCollected(protos: ReadonlySet<object>, harden: (value: unknown) => unknown): void {
  for (const proto of protos) enableOverrides(proto);
  for (const proto of protos) harden(proto);
}
