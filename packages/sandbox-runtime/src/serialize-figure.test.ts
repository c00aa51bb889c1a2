import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeFigure, utf8Length, MAX_DEPTH } from './serialize-figure.ts';

const MiB = 1024 * 1024;
const ok = (fig: unknown, max = MiB): unknown => {
  const r = serializeFigure(fig, max);
  assert.ok(r.ok, r.ok ? '' : `${r.code}: ${r.message}`);
  return JSON.parse(r.json);
};
const fails = (fig: unknown, code: string, pattern: RegExp, max = MiB): void => {
  const r = serializeFigure(fig, max);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.code, code);
    assert.match(r.message, pattern);
  }
};

test('plain figures serialize like JSON.stringify', () => {
  const fig = { data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2.5], marker: { color: '#fff' } }], layout: { title: { text: 'é ✓ 😀' }, showlegend: false } };
  const r = serializeFigure(fig, MiB);
  assert.ok(r.ok);
  assert.equal(r.json, JSON.stringify(fig));
  const big = { data: [{ x: Array.from({ length: 10_000 }, (_, i) => i / 3), y: Array.from({ length: 10_000 }, (_, i) => `s${i}`) }] };
  assert.deepEqual(ok(big), big);
});

test('JSON semantics: undefined/functions/symbols dropped or null, NaN → null, dates → ISO, typed arrays → arrays', () => {
  const fig = {
    a: undefined,
    f() {},
    s: Symbol('x'),
    [Symbol('k')]: 1,
    arr: [undefined, () => 1, NaN, -Infinity, -0],
    d: new Date(Date.UTC(2024, 0, 2)),
    bad: new Date(NaN),
    t: Float32Array.of(1.5, NaN),
    n: Object(3),
    str: Object('s'),
  };
  assert.deepEqual(ok(fig), { arr: [null, null, null, null, 0], d: '2024-01-02T00:00:00.000Z', bad: null, t: [1.5, null], n: 3, str: 's' });
  // eslint-disable-next-line no-sparse-arrays
  assert.deepEqual(ok({ holes: [1, , 3] }), { holes: [1, null, 3] });
});

test('missing or non-object fig is SANDBOX_NO_FIGURE', () => {
  fails(undefined, 'SANDBOX_NO_FIGURE', /assign one to fig/);
  fails(null, 'SANDBOX_NO_FIGURE', /assign one to fig/);
  fails(42, 'SANDBOX_NO_FIGURE', /not a number/);
  fails(() => 1, 'SANDBOX_NO_FIGURE', /not a function/);
});

test('getters and proxy traps run once per property, into a clean copy', () => {
  let reads = 0;
  const fig = {
    get data() {
      reads++;
      return reads === 1 ? [{ type: 'bar' }] : 'changed';
    },
  };
  assert.deepEqual(ok(fig), { data: [{ type: 'bar' }] });
  assert.equal(reads, 1);
  let gets = 0;
  const proxy = new Proxy({ data: [1, 2] }, { get: (t, k, r) => (gets++, Reflect.get(t, k, r)) });
  assert.deepEqual(ok(proxy), { data: [1, 2] });
  assert.equal(gets, 2); // toJSON lookup + data
  const lengthy = new Proxy([1, 2], { get: (t, k, r) => (k === 'length' ? 2 ** 31 : Reflect.get(t, k, r)) });
  fails({ data: lengthy }, 'SANDBOX_OUTPUT_TOO_LARGE', /output limit of 1 MiB/);
});

test('throwing getters, proxies and toJSON give SANDBOX_RUNTIME_ERROR with the path', () => {
  fails(
    {
      layout: {
        get title() {
          throw new Error('boom');
        },
      },
    },
    'SANDBOX_RUNTIME_ERROR',
    /fig\.layout\.title: boom/,
  );
  const hostileError = new Proxy(
    {},
    {
      get() {
        throw new Error('again');
      },
      getPrototypeOf() {
        throw new Error('proto');
      },
    },
  );
  fails(
    {
      data: [
        {
          get x() {
            throw hostileError;
          },
        },
      ],
    },
    'SANDBOX_RUNTIME_ERROR',
    /fig\.data\[0\]\.x: a non-error value was thrown/,
  );
  fails(
    {
      a: {
        toJSON() {
          throw new RangeError('nope');
        },
      },
    },
    'SANDBOX_RUNTIME_ERROR',
    /fig\.a: nope/,
  );
  fails(
    new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('keys');
        },
      },
    ),
    'SANDBOX_RUNTIME_ERROR',
    /keys/,
  );
});

test('toJSON is honoured once per position, like JSON.stringify', () => {
  assert.deepEqual(ok({ a: { toJSON: (k: string) => `key:${k}` }, b: [{ toJSON: (k: string) => k }] }), { a: 'key:a', b: ['0'] });
  assert.deepEqual(ok({ toJSON: () => ({ data: [] }) }), { data: [] });
});

test('cycles, BigInt, deep nesting and __proto__ keys', () => {
  const cyclic: Record<string, unknown> = { data: [] };
  (cyclic['data'] as unknown[]).push({ parent: cyclic });
  fails(cyclic, 'SANDBOX_RUNTIME_ERROR', /cycle: fig\.data\[0\]\.parent/);
  const shared = { x: [1] };
  assert.deepEqual(ok({ a: shared, b: shared }), { a: { x: [1] }, b: { x: [1] } });
  fails({ data: [{ x: [1n] }] }, 'SANDBOX_RUNTIME_ERROR', /fig\.data\[0\]\.x\[0\] is a BigInt/);
  fails({ v: 2n }, 'SANDBOX_RUNTIME_ERROR', /fig\.v is a BigInt/);
  fails({ t: BigInt64Array.of(1n) }, 'SANDBOX_RUNTIME_ERROR', /BigInt64Array/);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  fails({ deep }, 'SANDBOX_RUNTIME_ERROR', new RegExp(`more than ${MAX_DEPTH} levels`));
  const withProto = JSON.parse('{"__proto__": {"x": 1}, "data": []}') as unknown;
  assert.equal(serializeFigure(withProto, MiB).ok && (serializeFigure(withProto, MiB) as { json: string }).json, '{"data":[]}');
});

test('sparse arrays of length 2^32-1 and huge strings are refused before any work', () => {
  const sparse: unknown[] = [];
  sparse.length = 2 ** 32 - 1;
  let start = performance.now();
  fails({ data: [{ x: sparse }] }, 'SANDBOX_OUTPUT_TOO_LARGE', /output limit of 4 MiB \(4194304 bytes\)/, 4 * MiB);
  // Not a speed check: walking 2^32 holes would take minutes, so a loose bound proves no walk happened.
  assert.ok(performance.now() - start < 5000);
  const huge = 'x'.repeat(5 * MiB);
  start = performance.now();
  fails({ layout: { title: huge } }, 'SANDBOX_OUTPUT_TOO_LARGE', /fig\.layout\.title/, 4 * MiB);
  fails({ data: [huge] }, 'SANDBOX_OUTPUT_TOO_LARGE', /4 MiB/, 4 * MiB);
  assert.ok(performance.now() - start < 5000);
});

test('the byte limit counts UTF-8 exactly', () => {
  const fig = { t: 'é'.repeat(100) }; // {"t":"…"} = 8 ASCII + 200 bytes
  assert.equal(utf8Length(JSON.stringify(fig)), 208);
  assert.ok(serializeFigure(fig, 208).ok);
  fails(fig, 'SANDBOX_OUTPUT_TOO_LARGE', /208|207 bytes/, 207);
  assert.equal(utf8Length('😀a\ud800'), 4 + 1 + 3);
  const many = { x: Array.from({ length: 300_000 }, () => 123456.789) };
  fails(many, 'SANDBOX_OUTPUT_TOO_LARGE', /1 MiB/);
});

test('analyst code replacing built-ins cannot subvert the serializer', () => {
  const saved = { stringify: JSON.stringify, isArray: Array.isArray, keys: Object.keys };
  try {
    JSON.stringify = () => '"pwned"';
    Array.isArray = ((_: unknown) => false) as unknown as typeof Array.isArray;
    Object.keys = () => [];
    Object.defineProperty(Array.prototype, '0', {
      set() {
        throw new Error('setter ran');
      },
      configurable: true,
    });
    Object.defineProperty(Object.prototype, 'toJSON', { value: undefined, writable: true, configurable: true });
    const r = serializeFigure({ data: [{ x: [1, 2] }] }, MiB);
    assert.deepEqual(r, { ok: true, json: '{"data":[{"x":[1,2]}]}' });
  } finally {
    Object.assign(JSON, { stringify: saved.stringify });
    Array.isArray = saved.isArray;
    Object.keys = saved.keys;
    delete (Array.prototype as unknown as Record<string, unknown>)['0'];
    delete (Object.prototype as Record<string, unknown>)['toJSON'];
  }
});

test('numbers written directly keep the byte limit and survive replaced built-ins', () => {
  const fig = { x: [1.5, 2.25, -0, 3, 44.57, 1 / 3, NaN], y: Float64Array.of(7.45, 19.06) };
  const json = '{"x":[1.5,2.25,0,3,44.57,0.3333333333333333,null],"y":[7.45,19.06]}';
  assert.deepEqual(serializeFigure(fig, json.length), { ok: true, json });
  fails(fig, 'SANDBOX_OUTPUT_TOO_LARGE', new RegExp(`output limit of ${json.length - 1} bytes`), json.length - 1);
  fails(fig, 'SANDBOX_OUTPUT_TOO_LARGE', /fig\.x\[5\]/, 30);
  fails({ x: Array.from({ length: 400_000 }, (_, i) => i / 100) }, 'SANDBOX_OUTPUT_TOO_LARGE', /fig\.x\[\d+\]/);
  const saved = { round: Math.round, floor: Math.floor, toString: Number.prototype.toString };
  try {
    Math.round = () => 0;
    Math.floor = () => 0;
    Number.prototype.toString = () => 'pwned';
    assert.deepEqual(serializeFigure(fig, MiB), { ok: true, json });
  } finally {
    Math.round = saved.round;
    Math.floor = saved.floor;
    Number.prototype.toString = saved.toString;
  }
});
