/**
 * The rule catalogue: every rule id the check can report, the names each rule blocks, and the
 * analyst-facing messages. Kept as data so the README, the tests and the editor can list them.
 */

/** Every rule id, with a one-line description (for docs, tests and editor help). */
export const RULES = [
  { id: 'no-eval', description: '`eval` (evaluating strings as code).' },
  { id: 'no-function-constructor', description: '`Function` and its async/generator variants (building functions from strings).' },
  { id: 'no-import', description: '`import` declarations, `import()` and `import.meta`; and the text `import(` anywhere, even in strings and comments (the sandbox refuses it).' },
  { id: 'no-export', description: '`export` declarations.' },
  { id: 'no-commonjs', description: '`require`, `module`, `exports`.' },
  { id: 'no-process', description: '`process`.' },
  { id: 'no-global-object', description: '`globalThis`, `global`, `self`, `window`.' },
  { id: 'no-this', description: '`this` outside a class body (in a sloppy script it can be the global object).' },
  { id: 'no-constructor', description: 'Reading the `constructor` property (reaches `Function`).' },
  { id: 'no-proto', description: '`__proto__`, in any position (access, key, destructuring).' },
  { id: 'no-prototype', description: 'The `prototype` property, `getPrototypeOf`, `setPrototypeOf`.' },
  { id: 'no-legacy-accessor', description: '`__defineGetter__`, `__defineSetter__`, `__lookupGetter__`, `__lookupSetter__`.' },
  { id: 'no-caller', description: '`arguments.callee`, `.caller`, `.arguments` of functions.' },
  { id: 'no-wasm', description: '`WebAssembly`.' },
  { id: 'no-shared-memory', description: '`SharedArrayBuffer`, `Atomics`.' },
  { id: 'no-timers', description: '`setTimeout`, `setInterval`, `setImmediate`, their `clear*`, `queueMicrotask`, animation-frame and idle callbacks.' },
  { id: 'no-async', description: '`async` functions, arrows and methods, `await`, `for await`.' },
  { id: 'no-promise', description: '`Promise`, `Array.fromAsync` (no work may outlive the run).' },
  { id: 'no-with', description: '`with` statements.' },
  { id: 'no-debugger', description: '`debugger` statements.' },
  { id: 'no-host-api', description: '`fetch`, `XMLHttpRequest`, `WebSocket`, `EventSource`, `importScripts`, `Worker`, `SharedWorker`, `Deno`, `Bun`.' },
  { id: 'no-proxy', description: '`Proxy` (traps can run code while the figure is copied out).' },
  { id: 'no-weak-ref', description: '`WeakRef`, `FinalizationRegistry` (finalizers can run after the deadline).' },
  { id: 'no-stack-hooks', description: '`Error.prepareStackTrace`, `Error.captureStackTrace`.' },
  {
    id: 'no-html-comment',
    description: 'HTML-like comments `<!--` and `-->` (parsed differently by scripts and modules), and the same text anywhere, even in strings and comments (the sandbox refuses it).',
  },
  { id: 'ts-unsupported', description: 'TypeScript that cannot be erased to JavaScript: enum, namespace with values, parameter properties, decorators, `import x = require()`, `export =`.' },
] as const;

export type RuleId = (typeof RULES)[number]['id'];

/**
 * Global names, blocked as identifiers where they would refer to the global: free references, not
 * the snippet's own declarations (`const window = 7`, `function f(self)`) or references to them
 * (scope.ts; a top-level `var` does not count as one, being a property of the global object).
 * `asProperty`: also blocked as a property name (`g.eval`, `g['Function']`). Names that are
 * plausible dataset column names (`d.process`, `row.module`, `data.window`) are not.
 */
export const GLOBAL_NAMES: ReadonlyMap<string, { readonly rule: RuleId; readonly asProperty: boolean }> = new Map(
  (
    [
      ['eval', 'no-eval', true],
      ['Function', 'no-function-constructor', true],
      ['AsyncFunction', 'no-function-constructor', true],
      ['GeneratorFunction', 'no-function-constructor', true],
      ['AsyncGeneratorFunction', 'no-function-constructor', true],
      ['require', 'no-commonjs', false],
      ['module', 'no-commonjs', false],
      ['exports', 'no-commonjs', false],
      ['process', 'no-process', false],
      ['globalThis', 'no-global-object', true],
      ['global', 'no-global-object', false],
      ['self', 'no-global-object', false],
      ['window', 'no-global-object', false],
      ['WebAssembly', 'no-wasm', true],
      ['SharedArrayBuffer', 'no-shared-memory', true],
      ['Atomics', 'no-shared-memory', true],
      ['setTimeout', 'no-timers', true],
      ['setInterval', 'no-timers', true],
      ['setImmediate', 'no-timers', true],
      ['clearTimeout', 'no-timers', true],
      ['clearInterval', 'no-timers', true],
      ['clearImmediate', 'no-timers', true],
      ['queueMicrotask', 'no-timers', true],
      ['requestAnimationFrame', 'no-timers', true],
      ['cancelAnimationFrame', 'no-timers', true],
      ['requestIdleCallback', 'no-timers', true],
      ['cancelIdleCallback', 'no-timers', true],
      ['Promise', 'no-promise', true],
      ['await', 'no-async', false],
      ['fetch', 'no-host-api', true],
      ['XMLHttpRequest', 'no-host-api', true],
      ['WebSocket', 'no-host-api', true],
      ['EventSource', 'no-host-api', true],
      ['importScripts', 'no-host-api', true],
      ['Worker', 'no-host-api', true],
      ['SharedWorker', 'no-host-api', true],
      ['Deno', 'no-host-api', true],
      ['Bun', 'no-host-api', true],
      ['Proxy', 'no-proxy', true],
      ['WeakRef', 'no-weak-ref', true],
      ['FinalizationRegistry', 'no-weak-ref', true],
    ] as const
  ).map(([name, rule, asProperty]) => [name, { rule, asProperty }]),
);

/** Property names blocked wherever a property is read: `x.p`, `x?.p`, `x['p']`, `{ p: v } = x`. */
export const PROPERTY_NAMES: ReadonlyMap<string, RuleId> = new Map<string, RuleId>([
  ['constructor', 'no-constructor'],
  ['__proto__', 'no-proto'],
  ['prototype', 'no-prototype'],
  ['getPrototypeOf', 'no-prototype'],
  ['setPrototypeOf', 'no-prototype'],
  ['__defineGetter__', 'no-legacy-accessor'],
  ['__defineSetter__', 'no-legacy-accessor'],
  ['__lookupGetter__', 'no-legacy-accessor'],
  ['__lookupSetter__', 'no-legacy-accessor'],
  ['callee', 'no-caller'],
  ['caller', 'no-caller'],
  ['arguments', 'no-caller'],
  ['fromAsync', 'no-promise'],
  ['prepareStackTrace', 'no-stack-hooks'],
  ['captureStackTrace', 'no-stack-hooks'],
  ...[...GLOBAL_NAMES].filter(([, v]) => v.asProperty).map(([name, v]): [string, RuleId] => [name, v.rule]),
]);

const SCOPE = '`df`, `aq`, `op`, `data` and `px` are already in scope';

/** The analyst-facing message for `rule` triggered by `name` (as written, without escapes). */
export function ruleMessage(rule: RuleId, name: string): string {
  const n = `\`${name}\``;
  switch (rule) {
    case 'no-eval':
      return `${n} is not allowed in Code Mode: compute values directly instead of evaluating strings as code.`;
    case 'no-function-constructor':
      return `${n} is not allowed in Code Mode: write an arrow function (\`x => ...\`) or a function declaration instead.`;
    case 'no-import':
      return `${n} is not allowed in Code Mode: ${SCOPE}; nothing else can be loaded.`;
    case 'no-export':
      return `\`export\` is not allowed in Code Mode: assign your chart to \`fig\` instead.`;
    case 'no-commonjs':
      return name === 'require'
        ? `${n} is not available in Code Mode: ${SCOPE}; nothing else can be loaded.`
        : `${n} is not available in Code Mode: assign your chart to \`fig\`; if this is your own variable, declare it with \`const\` or \`let\`.`;
    case 'no-process':
      return `${n} is not available in Code Mode (no environment or host access); if this is your own variable, declare it with \`const\` or \`let\` (or rename it, e.g. \`processed\`).`;
    case 'no-global-object':
      return `${n} is not available in Code Mode: use globals such as \`Math\` or \`df\` directly; if this is your own variable, declare it with \`const\` or \`let\` (a top-level \`var\` is a property of the global object).`;
    case 'no-this':
      return '`this` is only allowed inside class methods and field initializers in Code Mode (elsewhere it can be the global object): use a variable instead.';
    case 'no-constructor':
      return `${n} is not allowed in Code Mode: create values with literals, or with \`new\` on a class you name directly.`;
    case 'no-proto':
      return `${n} is not allowed in Code Mode: use plain objects, \`Map\` or a class instead.`;
    case 'no-prototype':
      return `${n} is not allowed in Code Mode: use classes and their methods instead of working with prototypes.`;
    case 'no-legacy-accessor':
      return `${n} is not allowed in Code Mode: use \`get\`/\`set\` accessors in a class or object literal.`;
    case 'no-caller':
      return `${n} is not allowed in Code Mode: give the function a name, or use rest parameters (\`...args\`).`;
    case 'no-wasm':
      return `${n} is not available in Code Mode.`;
    case 'no-shared-memory':
      return `${n} is not available in Code Mode: use ordinary arrays or typed arrays.`;
    case 'no-timers':
      return `${n} is not available in Code Mode: code runs once, synchronously; compute the figure directly.`;
    case 'no-async':
      return `${n} is not allowed in Code Mode: code runs synchronously; remove \`async\`/\`await\`.`;
    case 'no-promise':
      return `${n} is not allowed in Code Mode: code runs synchronously, so nothing may be left to run later; compute values directly.`;
    case 'no-with':
      return '`with` is not allowed in Code Mode: refer to properties explicitly (`obj.x`).';
    case 'no-debugger':
      return '`debugger` is not allowed in Code Mode: remove it.';
    case 'no-host-api':
      return `${n} is not available in Code Mode (no network, workers or host runtime): use the chart's dataset (\`df\`, \`data\`).`;
    case 'no-proxy':
      return `${n} is not allowed in Code Mode: use plain objects, \`Map\` or a class instead.`;
    case 'no-weak-ref':
      return `${n} is not allowed in Code Mode: nothing may run after your code has finished; use \`Map\`/\`Set\`.`;
    case 'no-stack-hooks':
      return `${n} is not allowed in Code Mode: read \`error.message\` instead.`;
    case 'no-html-comment':
      return `HTML-like comments (${n}) are not allowed in Code Mode: use \`//\` or \`/* */\`; for a decrement followed by \`>\`, write \`a-- > b\`.`;
    case 'ts-unsupported':
      return `${name} is not supported in Code Mode: only TypeScript that can be erased to JavaScript is allowed.`;
  }
}
