import { test } from 'node:test';
import assert from 'node:assert/strict';
import { thresholdOf, viewLogLine } from './log-view.ts';

const line = (o: Record<string, unknown>): string => JSON.stringify({ time: Date.UTC(2026, 0, 1, 12, 30, 5), pid: 1, hostname: 'h', name: 'plotbox-api', ...o });

test('log view: warnings and errors as one human line; info and routine requests hidden unless asked', () => {
  const quiet = { threshold: thresholdOf(undefined), source: 'api' };
  assert.equal(viewLogLine(line({ level: 30, msg: 'api starting', config: { a: 1 } }), quiet), null, 'info is hidden by default');
  const warn = viewLogLine(line({ level: 40, msg: 'the demo project could not be seeded', reason: 'STORE_BUSY' }), quiet);
  assert.match(warn ?? '', /^\d\d:\d\d:\d\d WARN {2}api: the demo project could not be seeded \(reason=STORE_BUSY\)$/u);
  // Requests: a 401 or 404 is routine even at warn; a server failure shows.
  const request = (level: number, status: number) => line({ level, req: { id: 'r', method: 'GET', path: '/api/me' }, res: { statusCode: status }, responseTime: 3.2, msg: 'request completed' });
  assert.equal(viewLogLine(request(40, 401), quiet), null);
  assert.equal(viewLogLine(request(30, 200), quiet), null);
  assert.match(viewLogLine(request(50, 500), quiet) ?? '', /ERROR api: GET \/api\/me → 500 3 ms$/u);
  // PLOTBOX_LOG_LEVEL=debug asks for every request.
  const debug = { threshold: thresholdOf('debug'), source: 'api' };
  assert.match(viewLogLine(request(30, 200), debug) ?? '', /INFO {2}api: GET \/api\/me → 200 3 ms$/u);
  assert.match(viewLogLine(line({ level: 30, msg: 'api listening', port: 8080 }), { threshold: thresholdOf('info'), source: 'api' }) ?? '', /api listening \(port=8080\)$/u);
  assert.equal(viewLogLine(line({ level: 60, msg: 'x' }), { threshold: thresholdOf('silent'), source: 'api' }), null);
  // Long lines are cut; plain text and broken JSON are the caller's business.
  assert.ok((viewLogLine(line({ level: 50, msg: 'x'.repeat(1000) }), quiet) ?? '').length <= 240);
  assert.equal(viewLogLine('Plotbox has no administrator yet.', quiet), undefined);
  assert.equal(viewLogLine('{"level":', quiet), undefined);
  assert.equal(viewLogLine('[1,2]', quiet), undefined);
  assert.equal(thresholdOf('nonsense'), 40);
});
