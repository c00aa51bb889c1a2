/**
 * @plotbox/store — the metadata store's ports (repositories and plain records), its error class,
 * and helpers every adapter shares (argument checks, cursors, lockout rules). The conformance
 * suite adapters must pass is exported separately from `@plotbox/store/conformance`.
 */
export * from './store-error.ts';
export * from './ports.ts';
export * from './validate.ts';
export * from './cursor.ts';
export * from './policy.ts';
export * from './inputs.ts';
export * from './repository.ts';
export * from './backup.ts';
export * from './epochs.ts';
