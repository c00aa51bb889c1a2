import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSandboxInfo, splitRunBody } from './sandbox-client.ts';
import { runtimeVersionOf } from './sandbox-port.ts';

test('the figure is cut out of the sandbox answer as text, even when it has a stats key', () => {
  const figure = '{"data":[{"type":"bar","x":["a"],"y":[1]}],"layout":{"meta":{"stats":{"n":1}},"title":{"text":",\\"stats\\":"}}}';
  const stats = { durationMs: 1.5, cpuMs: 1, outputBytes: figure.length, rows: 10, dataMs: 0.1, codeMs: 1, outputMs: 0.2, warm: true };
  const r = splitRunBody(`{"figure":${figure},"stats":${JSON.stringify(stats)}}`);
  assert.ok(r.ok);
  assert.equal(r.ok && r.figureJson, figure);
  assert.deepEqual(r.ok && r.stats, stats);
  assert.deepEqual(JSON.parse(r.ok ? r.figureJson : 'null'), JSON.parse(figure));
});

test('an answer in another shape is parsed in full', () => {
  const r = splitRunBody('{"stats":{"durationMs":1},"figure":{"data":[]}}');
  assert.ok(r.ok);
  assert.equal(r.ok && r.figureJson, '{"data":[]}');
});

test('sandbox info: a version per runtime when the sandbox reports them; an older sandbox knows arquero only', () => {
  const limits = { timeMs: 2000, memoryMb: 64, outputBytes: 4194304, codeBytes: 65536, rows: 1000000 };
  const info = parseSandboxInfo({ runtimeVersion: 'aaaa', runtimeVersions: { arquero: 'aaaa', danfo: 'dddd', future: 'ffff' }, limits });
  assert.ok(info);
  assert.deepEqual(info.runtimeVersions, { arquero: 'aaaa', danfo: 'dddd' }, 'runtimes this API does not know are left out');
  assert.equal(runtimeVersionOf(info, 'danfo'), 'dddd');
  assert.equal(runtimeVersionOf(info, 'arquero'), 'aaaa');
  const old = parseSandboxInfo({ runtimeVersion: 'aaaa', limits });
  assert.ok(old && old.runtimeVersions === undefined);
  assert.equal(runtimeVersionOf(old, 'arquero'), 'aaaa');
  assert.equal(runtimeVersionOf(old, 'danfo'), null, 'no danfo version known: nothing is served from the cache for danfo');
  for (const runtimeVersions of [null, 'dddd', { danfo: 5 }, { danfo: 'bad version!' }])
    assert.equal(parseSandboxInfo({ runtimeVersion: 'aaaa', runtimeVersions, limits }), null, JSON.stringify(runtimeVersions));
});
