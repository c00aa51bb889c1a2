import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitRunBody } from './sandbox-client.ts';

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
