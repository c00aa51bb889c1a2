/**
 * How an adapter turns its code into a repository: every operation's arguments go through the one
 * shared input check of that operation (`inputs/*.ts`), and only what the check returns reaches the
 * adapter's body. Both adapters are assembled from the same checks, so they accept and refuse
 * exactly the same arguments by construction, not by two careful copies.
 */

/**
 * Runs one store operation: the adapter refuses work after `close()` and maps its driver's errors
 * to `StoreError`s here. A synchronous body (SQLite) and an asynchronous one (MongoDB) both work.
 */
export type RunOperation = <T>(fn: () => T | Promise<T>) => Promise<T>;

type AnyFunction = (...args: never[]) => unknown;

/**
 * One input check per operation of repository `R`: it takes the operation's arguments as they
 * arrived (typed, but anything at run time) and returns what the adapter may bind into a query.
 */
export type InputChecks<R> = {
  readonly [K in keyof R]: R[K] extends (...args: infer A) => Promise<unknown> ? (...args: { [I in keyof A]: unknown }) => unknown : never;
};

/** What the check of an operation returns: the body's one parameter. */
export type Checked<F> = F extends (...args: never[]) => infer I ? I : never;

/** Adapter bodies: one per checked operation, given the checked input. */
export type RepositoryBody<C> = { readonly [K in keyof C]: (input: Checked<C[K]>) => unknown };

/** The repository {@link assembleRepository} builds: the operations of `C`, answering what `B` returns. */
export type AssembledRepository<C, B> = {
  readonly [K in keyof C & keyof B]: C[K] extends AnyFunction ? (B[K] extends AnyFunction ? (...args: Parameters<C[K]>) => Promise<Awaited<ReturnType<B[K]>>> : never) : never;
};

/**
 * Build a repository from the shared input checks `checks`, the adapter's operation runner and its
 * bodies: `repo.op(...args)` is `run(() => body.op(checks.op(...args)))`. Assign the result to the
 * port type (`const users: UserRepository = assembleRepository(...)`): the compiler then checks
 * that every operation exists and answers what the port promises.
 */
export function assembleRepository<C extends Record<string, AnyFunction>, B extends RepositoryBody<C>>(checks: C, run: RunOperation, body: B): AssembledRepository<C, B> {
  const repository: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const name of Object.keys(checks)) {
    const check = checks[name] as AnyFunction;
    const operation = (body as Record<string, (input: unknown) => unknown>)[name];
    if (operation === undefined) throw new TypeError(`no body for the store operation ${name}`);
    repository[name] = (...args: never[]) => run(() => operation(check(...args)));
  }
  return repository as unknown as AssembledRepository<C, B>;
}
