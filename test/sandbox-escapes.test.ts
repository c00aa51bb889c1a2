// Escape attempts against the isolate. Each runs TWICE: through the normal path (where the code
// check usually refuses it first) and with the check skipped, because the isolate is the boundary
// and must hold against code the check never saw. A snippet reports what it reached in the
// figure title; "safe" (or a typed error) is the only acceptable outcome. The suite runs against
// every runtime (arquero, danfo) and, for arquero, in both isolate modes (helpers/sandbox.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnarDataset, RunResult } from '@plotbox/sandbox-protocol';
import type { Runner } from '@plotbox/sandbox';
import { SUITE_MODES, assertNoHostDetails, healthyChart, salesDataset, startRunner, titleOf, type SuiteMode } from './helpers/sandbox.ts';

/** Wraps a probe: `probe` is an expression; anything host-like it yields is reported. */
function probe(expr: string): string {
  return `
let r = 'safe';
try {
  const v = (() => { ${expr} })();
  if (v !== undefined && v !== null) {
    const t = typeof v;
    if (t === 'object' || t === 'function') {
      const keys = Object.getOwnPropertyNames(v).join(',');
      if (/\\b(pid|env|argv|mainModule|binding|dlopen|readFileSync|spawn|Isolate|ExternalCopy|Reference|Context)\\b/.test(keys)) r = 'ESCAPED:' + keys.slice(0, 200);
    }
    if (t === 'string' && /\\/(work|root|home|usr|etc)\\//.test(v)) r = 'LEAKED:' + v.slice(0, 200);
  }
} catch (e) { r = 'safe'; }
fig = { data: [], layout: { title: { text: r } } };
`;
}

const ATTEMPTS: Record<string, string> = {
  'Function via this.constructor': probe(`return this.constructor.constructor('return process')();`),
  'Function via arrow constructor': probe(`return (() => {}).constructor('return process')();`),
  'Function via array constructor chain': probe(`return [].constructor.constructor('return globalThis')().process;`),
  'GeneratorFunction constructor': probe(`return Object.getPrototypeOf(function* () {}).constructor('yield process')().next().value;`),
  'AsyncFunction constructor': probe(`return Object.getPrototypeOf(async function () {}).constructor('return process');`),
  'eval of process': probe(`return eval('process');`),
  'indirect eval': probe(`return (0, eval)('this.process');`),
  'new Function require': probe(`return new Function('return require')();`),
  'Reflect.construct Function': probe(`return Reflect.construct(Function, ['return process'])();`),
  'require child_process': probe(`return require('child_process');`),
  'module.require': probe(`return module.require('fs');`),
  'process.binding': probe(`return process.binding('fs');`),
  'globalThis.process': probe(`return globalThis.process;`),
  'global / self / window': probe(`return global || self || window;`),
  'dynamic import': probe(`return import('node:fs');`),
  'df.constructor chain': probe(`return df.constructor.constructor('return this')().process;`),
  'px function constructor': probe(`return px.bar.constructor('return this')().require;`),
  'op constructor': probe(`return op.constructor.constructor('return process')();`),
  'data __proto__ walk': probe(`return data.__proto__.constructor.constructor('return process')();`),
  'literal key constructor': probe(`return df['constructor']['constructor']('return process')();`),
  'template literal key': probe('return df[`constructor`][`constructor`](`return process`)();'),
  'concatenated key': probe(`const k = 'constr' + 'uctor'; return df[k][k]('return process')();`),
  'escaped identifier': probe(`return \\u0065val('process');`),
  'fromCharCode key': probe(`const k = String.fromCharCode(99,111,110,115,116,114,117,99,116,111,114); return ({})[k][k]('return process')();`),
  'Error.prepareStackTrace frames': probe(`Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getThis()); return new Error('x').stack;`),
  'Error.captureStackTrace': probe(`const o = {}; Error.captureStackTrace(o); return o.stack;`),
  'stack string paths': probe(`try { null.x; } catch (e) { return String(e.stack); }`),
  'host handles on global': probe(
    `const names = Object.getOwnPropertyNames(globalThis).filter((n) => /^(ivm|_ivm|isolated.*|ExternalCopy|Reference|Isolate|Context|__plotbox.*)$/i.test(n)); return names.length ? names.join(',') + '/work/' : undefined;`,
  ),
  // Symbol.unscopables is ses's own guard on a compartment's global (a frozen accessor that throws when set).
  'symbols on global': probe(`const s = Object.getOwnPropertySymbols(globalThis).filter((x) => x !== Symbol.unscopables); return s.length ? { Isolate: s.map(String) } : undefined;`),
  SharedArrayBuffer: probe(`return typeof SharedArrayBuffer !== 'undefined' ? { Isolate: 1 } : undefined;`),
  Atomics: probe(`return typeof Atomics !== 'undefined' ? { Isolate: 1 } : undefined;`),
  WebAssembly: probe(`return typeof WebAssembly !== 'undefined' ? { Isolate: 1 } : undefined;`),
  timers: probe(`return [typeof setTimeout, typeof setInterval, typeof setImmediate, typeof queueMicrotask].some((t) => t !== 'undefined') ? { Isolate: 1 } : undefined;`),
  'network globals': probe(`return [typeof fetch, typeof XMLHttpRequest, typeof WebSocket].some((t) => t !== 'undefined') ? { Isolate: 1 } : undefined;`),
  'Proxy constructor': probe(`return typeof Proxy !== 'undefined' ? { Isolate: 1 } : undefined;`),
  // Workers run with --expose-gc for the host's memory check; the isolate's `gc` is taken away.
  'V8 gc hook': probe(`return typeof gc !== 'undefined' || typeof globalThis.gc !== 'undefined' ? { Isolate: 1 } : undefined;`),
  'arguments.callee.caller': probe(`function f() { return f.caller; } return [1].map(f)[0];`),
  'Symbol.unscopables with': probe(`with ({}) { return process; }`),
  '__defineGetter__ on Object.prototype': probe(`({}).__defineGetter__('x', () => 1); return globalThis.process;`),
  'Intl leaking host locale paths': probe(`return new Intl.DateTimeFormat().resolvedOptions().timeZone;`),
  'Date and Math host state': probe(`return typeof performance !== 'undefined' ? performance : undefined;`),
  // The danfo runtime's objects (undefined under arquero: the probe is then trivially safe).
  'dfd class constructor chain': probe(`return dfd.DataFrame.constructor('return this')().process;`),
  'danfo frame method constructor': probe(`return df.head.constructor('return process')();`),
  'danfo tensor constructor chain': probe(`return df.tensor.constructor.constructor('return this')().self;`),
  'tfjs engine on the global object': probe(
    `return typeof _tfengine !== 'undefined' || typeof globalThis._tfengine !== 'undefined' || typeof globalThis._tfGlobals !== 'undefined' ? { Isolate: 1 } : undefined;`,
  ),
  'dfd.tensorflow handle': probe(`return dfd.tensorflow !== undefined ? { Isolate: Object.keys(dfd.tensorflow).length } : undefined;`),
  'danfo file readers and plotting': probe(`return [typeof dfd.readCSV, typeof dfd.readExcel, typeof dfd.toCSV].some((t) => t !== 'undefined') ? { Isolate: 1 } : undefined;`),
  'danfo plot into the host': probe(`df.plot('x').bar(); return { Isolate: 1 };`),
};

/** Outputs that try to hurt the host after the code has finished. */
const OUTPUT_ATTACKS: Record<string, { code: string; codes: readonly string[] }> = {
  // The serializer drops __proto__ keys; either way nothing reaches the host's prototypes.
  '__proto__ key in figure': { code: `fig = JSON.parse('{"data":[],"__proto__":{"polluted":true}}');`, codes: ['FIGURE_INVALID', 'OK'] },
  'javascript: URL in layout image': {
    code: `fig = { data: [], layout: { images: [{ source: 'javascript:alert(1)', x: 0, y: 0 }] } };`,
    codes: ['FIGURE_INVALID'],
  },
  'event handler attribute': { code: `fig = { data: [{ type: 'bar', x: [1], y: [1], onclick: 'alert(1)' }] };`, codes: ['FIGURE_INVALID'] },
  // Functions are dropped like JSON.stringify drops them, or refused: never sent.
  'function in figure': { code: `fig = { data: [{ type: 'bar', x: [1], y: [1], hovertemplate: function () { return 1; } }] };`, codes: ['SANDBOX_RUNTIME_ERROR', 'FIGURE_INVALID', 'OK'] },
  'getter that spins while serializing': { code: `fig = { get data() { for (;;) {} } };`, codes: ['SANDBOX_TIMEOUT'] },
  'toJSON that spins': { code: `fig = { data: [], toJSON() { for (;;) {} } };`, codes: ['SANDBOX_TIMEOUT', 'SANDBOX_RUNTIME_ERROR'] },
  'global fig getter that spins': { code: `Object.defineProperty(this, 'fig', { get() { for (;;) {} } });`, codes: ['SANDBOX_TIMEOUT'] },
  'thrown object with spinning getter': { code: `throw { get message() { for (;;) {} } };`, codes: ['SANDBOX_TIMEOUT', 'SANDBOX_RUNTIME_ERROR'] },
  'thrown error with spinning stack getter': {
    code: `const e = new Error('x'); Object.defineProperty(e, 'stack', { get() { for (;;) {} } }); throw e;`,
    codes: ['SANDBOX_TIMEOUT', 'SANDBOX_RUNTIME_ERROR'],
  },
  'BigInt in figure': { code: `fig = { data: [{ type: 'bar', x: [1n], y: [1] }] };`, codes: ['SANDBOX_RUNTIME_ERROR'] },
  // JSON is frozen (the realm is locked down): the assignment throws; had it worked, the serializer would not use it.
  'replaced JSON.stringify': { code: `try { JSON.stringify = () => '{"data":[],"evil":1}'; } catch {} fig = { data: [] };`, codes: ['OK'] },
  'replaced JSON.stringify, uncaught': { code: `JSON.stringify = () => '{"data":[],"evil":1}'; fig = { data: [] };`, codes: ['OK', 'SANDBOX_RUNTIME_ERROR'] },
};

for (const mode of SUITE_MODES) describe(mode.label, () => suite(mode));

/** Writes into the runtime's shared objects (its namespace, classes and px) that the next run must not see. */
const STATE_WRITES: Record<SuiteMode['runtime'], { readonly write: string; readonly read: string }> = {
  arquero: {
    write: `aq.addFunction('leaky', () => 1); px.bar = null; fig = { data: [] };`,
    read: `fig = { data: [], layout: { title: { text: typeof op.leaky + ',' + typeof px.bar } } };`,
  },
  danfo: {
    write: `try { dfd.leaky = 1; } catch {} try { dfd.DataFrame.prototype.leaky = () => 1; } catch {} try { dfd.Series.prototype.sum = () => -1; } catch {} px.bar = null; fig = { data: [] };`,
    read: `fig = { data: [], layout: { title: { text: typeof dfd.leaky + typeof dfd.DataFrame.prototype.leaky + ',' + String(new dfd.Series([1, 2]).sum() === 3 ? 'undefined' : 'changed') + ',' + typeof px.bar } } };`,
  },
};

/** Tries to change the dataset through `data` and `df`; the title reports what held. */
const DATA_WRITES: Record<SuiteMode['runtime'], string> = {
  arquero: `
  const before = data.units[0];
  try { data.units[0] = -999; } catch {}
  try { data.units.push(1); } catch {}
  try { data.extra = [1]; } catch {}
  try { delete data.units; } catch {}
  try { df.column('units').data[0] = -999; } catch {}
  try { df.column('units')[0] = -999; } catch {}
  const sum = df.rollup({ s: op.sum('units') }).get('s', 0);
  const sum2 = data.units.reduce((a, b) => a + b, 0);
  fig = { data: [], layout: { title: { text: [data.units[0] === before, typeof data.extra, typeof data.units, sum === sum2, Object.isFrozen(data), Object.isFrozen(data.units)].join(',') } } };
  `,
  // danfo frames are mutable: the run may change its own df (each run gets its own), never data
  // or the next run's df.
  danfo: `
  const before = data.units[0];
  try { data.units[0] = -999; } catch {}
  try { data.units.push(1); } catch {}
  try { data.extra = [1]; } catch {}
  try { delete data.units; } catch {}
  df.addColumn('units', df['units'].mul(0).add(-999), { inplace: true });
  df.drop({ columns: ['price'], inplace: true });
  try { df.getColumnData[0][0] = -999; } catch {}
  const sum2 = data.units.reduce((a, b) => a + b, 0);
  fig = { data: [], layout: { title: { text: [data.units[0] === before, typeof data.extra, typeof data.units, df['units'].sum() !== sum2, Object.isFrozen(data), Object.isFrozen(data.units)].join(',') } } };
  `,
};

/** The sum of the units column as the runtime's `df` reports it (after a run that tried to change it). */
const DF_UNITS_SUM: Record<SuiteMode['runtime'], string> = {
  arquero: `fig = { data: [], layout: { title: { text: String(data.units.reduce((a, b) => a + b, 0)) } } };`,
  danfo: `fig = { data: [], layout: { title: { text: String(data.units.reduce((a, b) => a + b, 0)) + ',' + df['units'].sum() + ',' + df.columns.join('|') } } };`,
};

function suite(mode: SuiteMode): void {
  const { runtime, reuse } = mode;
  let runner: Runner;
  let dataset: ColumnarDataset;
  let unchecked: Runner;

  before(async () => {
    dataset = salesDataset(500);
    runner = startRunner({ isolateReuse: reuse, defaultLimits: { codeBytes: 65536, timeMs: 400, memoryMb: 64, outputBytes: 4 << 20, rows: 1_000_000 } }, runtime);
    unchecked = startRunner({ isolateReuse: reuse, unsafeSkipCodeCheck: true, defaultLimits: { codeBytes: 65536, timeMs: 400, memoryMb: 64, outputBytes: 4 << 20, rows: 1_000_000 } }, runtime);
    await Promise.all([runner.ready(), unchecked.ready()]);
  });
  after(async () => {
    await Promise.all([runner.close(1000), unchecked.close(1000)]);
  });

  function assertContained(name: string, result: RunResult): void {
    assertNoHostDetails(result);
    if (result.ok) {
      assert.equal(titleOf(result), 'safe', `${name}: reached ${titleOf(result)}`);
    } else {
      assert.match(result.error.code, /^(CODE_|SANDBOX_|FIGURE_)/, `${name}: untyped error`);
      assert.notEqual(result.error.code, 'SANDBOX_CRASHED', `${name}: crashed a worker`);
    }
  }

  describe('escape attempts', () => {
    test('at least 40 distinct attempts are exercised', () => {
      assert.ok(Object.keys(ATTEMPTS).length + Object.keys(OUTPUT_ATTACKS).length >= 40);
    });

    for (const [name, code] of Object.entries(ATTEMPTS)) {
      test(`${name}: contained with and without the code check`, async () => {
        const [checked, raw] = await Promise.all([runner.run({ code, dataset }), unchecked.run({ code, dataset })]);
        assertContained(`${name} (checked)`, checked);
        assertContained(`${name} (unchecked)`, raw);
      });
    }

    for (const [name, { code, codes }] of Object.entries(OUTPUT_ATTACKS)) {
      test(`output attack: ${name}`, async () => {
        const result = await unchecked.run({ code, dataset });
        assertNoHostDetails(result);
        const got = result.ok ? 'OK' : result.error.code;
        assert.ok(codes.includes(got), `${name}: got ${got} ${result.ok ? '' : result.error.message}`);
        if (result.ok) {
          const fig = JSON.parse(result.figureJson) as Record<string, unknown>;
          assert.deepEqual(Object.keys(fig).sort(), ['data']);
          assert.ok(!/__proto__|polluted|function|evil/.test(result.figureJson), result.figureJson);
        }
      });
    }

    test('the host prototype is not polluted by a figure with __proto__', () => {
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });

    test('the common escape names are refused by the code check with rule, line and column', async () => {
      const result = await runner.run({ code: `const a = 1;\nconst f = a.constructor.constructor;\nfig = px.bar(df, { x: 'region', y: 'units' });`, dataset });
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.error.code, 'CODE_RULE');
      assert.equal(result.error.line, 2);
      assert.ok((result.error.column ?? 0) > 0);
      assert.ok(result.error.diagnostics?.every((d) => typeof d.rule === 'string' && d.line === 2));
    });
  });

  describe('isolation between runs and data immutability', () => {
    test('globals set by one run are gone in the next', async () => {
      // Each write on its own: writes to the frozen built-ins throw (they are refused, not ignored).
      const first = await unchecked.run({ code: `this.leak = 'secret'; try { Object.prototype.leak2 = 'secret'; } catch {} try { Array.prototype.leak3 = 1; } catch {} fig = { data: [] };`, dataset });
      assert.ok(first.ok, JSON.stringify(first));
      for (let i = 0; i < 4; i++) {
        const next = await unchecked.run({
          code: `fig = { data: [], layout: { title: { text: [typeof this.leak, typeof ({}).leak2, typeof [].leak3].join(',') } } };`,
          dataset,
        });
        assert.equal(titleOf(next), 'undefined,undefined,undefined');
      }
    });

    test(`${runtime} and px state does not survive a run`, async () => {
      const first = await unchecked.run({ code: STATE_WRITES[runtime].write, dataset });
      assert.ok(first.ok || first.error.code === 'SANDBOX_RUNTIME_ERROR');
      const next = await unchecked.run({ code: STATE_WRITES[runtime].read, dataset });
      assert.equal(titleOf(next), runtime === 'danfo' ? 'undefinedundefined,undefined,function' : 'undefined,function', JSON.stringify(next).slice(0, 300));
    });

    test('the dataset cannot be changed through data or df', async () => {
      const result = await runner.run({ code: DATA_WRITES[runtime], dataset });
      assert.equal(titleOf(result), 'true,undefined,object,true,true,true', JSON.stringify(result).slice(0, 300));
      // The next run sees the original values (under danfo, in a df of its own with every column).
      const again = await runner.run({ code: DF_UNITS_SUM[runtime], dataset });
      const expected = dataset.columns.find((c) => c.name === 'units');
      assert.ok(expected && expected.kind === 'int');
      const sum = String(expected.values.reduce((a, b) => a + b, 0));
      assert.equal(titleOf(again), runtime === 'danfo' ? `${sum},${sum},${dataset.columns.map((c) => c.name).join('|')}` : sum);
    });

    test('the runner still renders a healthy chart after every attack', async () => {
      const result = await runner.run({ code: healthyChart(runtime), dataset });
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(titleOf(result), 'healthy');
      assert.equal(runner.stats().crashes, 0);
      assert.equal(unchecked.stats().crashes, 0);
    });
  });
}
