import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startupFacts, startupLines } from './startup-summary.ts';

const config = { host: '127.0.0.1', port: 0, publicUrl: 'http://127.0.0.1:0', dataDir: '/srv/plotbox', mongo: null, s3: null, setupTokenTtlMs: 3_600_000 };

test('startup facts: the UI, setup and demo links on the bound port; where data lives without credentials', () => {
  const f = startupFacts({ config, port: 8123, setupToken: 'tok', demo: { projectId: 'p1', dashboardId: 'd1', charts: 8 }, hasLocalCli: true });
  assert.equal(f.uiUrl, 'http://127.0.0.1:8123/');
  assert.equal(f.setupUrl, 'http://127.0.0.1:8123/setup#token=tok');
  assert.equal(f.demoUrl, 'http://127.0.0.1:8123/#/projects/p1/dashboards/d1');
  assert.deepEqual(f.storage, { store: 'SQLite /srv/plotbox/plotbox.db', blobs: 'directory /srv/plotbox/blobs' });
  const lines = startupLines(f).join('\n');
  assert.match(lines, /A demo dashboard of 8 example charts is ready: http:\/\/127\.0\.0\.1:8123\/#\/projects\/p1\/dashboards\/d1/u);
  assert.match(lines, /one-time setup link \(valid 60 min\):\n\n {2}http:\/\/127\.0\.0\.1:8123\/setup#token=tok\n\nor run: npx plotbox init --email you@example\.com --password-stdin/u);
  assert.doesNotMatch(lines, /GET \/api\//u, 'a link to open, not an API path');

  const remote = startupFacts({
    config: {
      ...config,
      publicUrl: 'https://plotbox.example.org/',
      // secretlint-disable-next-line -- made-up credentials in URLs: the test checks they are never printed
      mongo: { uri: 'mongodb://user:secret@db.internal:27017/plotbox', dbName: 'plotbox' },
      // secretlint-disable-next-line -- made-up credentials in URLs: the test checks they are never printed
      s3: { endpoint: 'https://key:secret@s3.example.org', bucket: 'pb', region: 'x', accessKey: 'a', secretKey: 's' },
    },
    port: 8080,
    setupToken: null,
    demo: null,
    hasLocalCli: false,
  });
  assert.equal(remote.uiUrl, 'https://plotbox.example.org/');
  assert.deepEqual(remote.storage, { store: 'MongoDB at db.internal:27017 (database plotbox)', blobs: 'S3 bucket pb at s3.example.org' });
  assert.doesNotMatch(JSON.stringify(remote), /secret|user:/u, 'no credentials');
  assert.deepEqual(startupLines(remote), [], 'nothing to print once an admin exists and no demo was seeded');
  assert.match(startupLines({ ...remote, setupUrl: 'https://x/setup#token=t' }).join('\n'), /operator CLI's init command/u);
});
