// Datasets through HTTP: CSV / JSON / Arrow uploads with inferred types, versions, make-current,
// preview and profile; the upload cap (413, also without Content-Length), media types (415),
// broken uploads (typed 422, nothing stored); viewers see metadata only, strangers get 404, ids
// from another dataset or project are 404, operator objects are 400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { once } from 'node:events';
import { buildDataset, encodeArrowIPC, parseCsv } from '@plotbox/datasets';
import { errorCode, startTestApi, type Client, type TestApi } from './helpers/api.ts';

const CSV = 'region,units,price,ok,day\nNorth,3,1.5,true,2026-01-01\nSouth,,2.25,false,2026-01-02\nEast,7,-4,true,2026-01-03\n';
const ARROW = 'application/vnd.apache.arrow.stream';

async function signedIn(api: TestApi, role: 'admin' | 'user' | 'viewer' = 'user'): Promise<{ client: Client; id: string }> {
  const u = await api.createUser({ role });
  const client = api.client();
  assert.equal((await client.login(u.email, u.password)).status, 200);
  return { client, id: u.user.id };
}

/** POST raw bytes (or a stream) with the client's cookies, as the web UI's upload does. */
async function upload(c: Client, path: string, body: string | Uint8Array | ReadableStream<Uint8Array>, type: string | null, headers: Record<string, string> = {}): Promise<Response> {
  const cookie = [...c.jar.entries()]
    .filter(([, v]) => path.startsWith(v.path))
    .map(([k, v]) => `${k}=${v.value}`)
    .join('; ');
  return fetch(c.url + path, {
    method: 'POST',
    headers: { 'x-requested-with': 'plotbox', cookie, ...(type === null ? {} : { 'content-type': type }), ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

/**
 * Send a chunked CSV upload over a raw socket, writing up to `total` bytes without waiting for the
 * answer (as a careless client would); returns the answer's head and how much could be written
 * before the server closed the connection.
 */
async function rawUpload(c: Client, path: string, total: number): Promise<{ head: string; written: number }> {
  const { hostname, port } = new URL(c.url);
  const cookie = [...c.jar.entries()].map(([k, v]) => `${k}=${v.value}`).join('; ');
  const socket = connect({ host: hostname, port: Number(port) });
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (d: Buffer) => void (answer += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.write(`POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: text/csv\r\nX-Requested-With: plotbox\r\nCookie: ${cookie}\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const payload = Buffer.from('1,2\n'.repeat(16 * 1024));
  const chunk = Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n')]);
  let written = 0;
  let open = true;
  void closed.then(() => void (open = false));
  while (open && written < total) {
    if (!socket.write(chunk)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
    written += chunk.length;
  }
  if (open) socket.end('0\r\n\r\n');
  await Promise.race([closed, new Promise((r) => setTimeout(r, 5000).unref())]);
  socket.destroy();
  return { head: answer.split('\r\n\r\n')[0] ?? '', written };
}

interface DatasetBody {
  dataset: { id: string; name: string; currentVersionId: string | null; version: number };
  version: { id: string; sha256: string; rowCount: number; bytes: number; schema: { columns: { name: string; type: string }[] }; profile: { columns: Record<string, unknown>[] }; current: boolean };
}

async function json<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

async function project(c: Client, name = 'Sales'): Promise<string> {
  return (await json<{ project: { id: string } }>(await c.req('POST', '/api/projects', { name }), 201)).project.id;
}

/** Every file under the blob directory (the default dir store), relative. */
function blobFiles(api: TestApi): string[] {
  const root = join(api.dataDir, 'blobs');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as { isFile(): boolean; name: string; parentPath: string }[])
    .filter((d) => d.isFile() && d.name.endsWith('.arrow'))
    .map((d) => join(d.parentPath, d.name).slice(root.length + 1));
}

test('datasets: CSV, JSON and Arrow uploads with inferred types; versions, make-current, preview, profile; delete', async (t) => {
  const api = await startTestApi(t);
  const owner = await signedIn(api);
  const pid = await project(owner.client);
  const base = `/api/projects/${pid}/datasets`;

  // CSV: types inferred per column; the canonical Arrow bytes are stored as the version's own blob.
  const csv = await json<DatasetBody>(await upload(owner.client, `${base}?name=sales`, CSV, 'text/csv; charset=utf-8'), 201);
  assert.equal(csv.dataset.name, 'sales');
  assert.equal(csv.dataset.currentVersionId, csv.version.id);
  assert.deepEqual(csv.version.schema.columns, [
    { name: 'region', type: 'string' },
    { name: 'units', type: 'int' },
    { name: 'price', type: 'number' },
    { name: 'ok', type: 'bool' },
    { name: 'day', type: 'string' },
  ]);
  assert.equal(csv.version.rowCount, 3);
  assert.match(csv.version.sha256, /^[0-9a-f]{64}$/);
  assert.equal(csv.version.current, true);
  const expected = buildDataset(parseCsv(CSV));
  assert.equal(csv.version.sha256, expected.dataset.sha256, 'the sha256 is that of the canonical Arrow bytes');
  assert.equal(csv.version.bytes, expected.bytes.byteLength);
  const key = (await api.store.datasets.findVersion(csv.version.id))?.blobKey ?? '';
  assert.ok(key.startsWith(`datasets/${pid}/`), key);
  assert.equal((await api.blobs.head(key))?.sha256, csv.version.sha256);
  assert.deepEqual(await api.blobs.getBytes(key, 1 << 20), expected.bytes);

  // JSON rows.
  api.clock.advance(1000);
  const rows = [
    { a: 1, b: 'x', c: true },
    { a: 2.5, b: null, c: false },
  ];
  const js = await json<DatasetBody>(await upload(owner.client, `${base}?name=rows`, JSON.stringify(rows), 'application/json'), 201);
  assert.deepEqual(js.version.schema.columns, [
    { name: 'a', type: 'number' },
    { name: 'b', type: 'string' },
    { name: 'c', type: 'bool' },
  ]);
  assert.equal(js.version.rowCount, 2);

  // Arrow IPC: the same content as the CSV hashes the same (stored bytes depend only on content).
  api.clock.advance(1000);
  const arrowBytes = encodeArrowIPC(parseCsv(CSV));
  const ar = await json<DatasetBody>(await upload(owner.client, `${base}?name=arrow`, arrowBytes, ARROW), 201);
  assert.deepEqual(ar.version.schema.columns, csv.version.schema.columns);
  assert.equal(ar.version.sha256, csv.version.sha256);

  // List and read: the current version's summary.
  const list = await json<{ items: { name: string }[]; nextCursor: string | null }>(await owner.client.req('GET', base), 200);
  assert.deepEqual(
    list.items.map((d) => d.name),
    ['sales', 'rows', 'arrow'],
  );
  const page = await json<{ items: unknown[]; nextCursor: string | null }>(await owner.client.req('GET', `${base}?limit=2`), 200);
  assert.equal(page.items.length, 2);
  assert.equal(typeof page.nextCursor, 'string');
  const one = await json<{ dataset: { id: string }; current: { rowCount: number; bytes: number; sha256: string; schema: unknown } }>(await owner.client.req('GET', `${base}/${csv.dataset.id}`), 200);
  assert.equal(one.current.rowCount, 3);
  assert.equal(one.current.sha256, csv.version.sha256);
  assert.deepEqual(one.current.schema, csv.version.schema);

  // A second version becomes current.
  const ds = `${base}/${csv.dataset.id}`;
  const v2 = await json<DatasetBody>(await upload(owner.client, `${ds}/versions`, 'region,units\nWest,10\nNorth,20\n', 'text/csv'), 201);
  assert.equal(v2.dataset.currentVersionId, v2.version.id);
  assert.equal(v2.version.rowCount, 2);
  const versions = await json<{ items: { id: string; current: boolean }[] }>(await owner.client.req('GET', `${ds}/versions`), 200);
  assert.deepEqual(
    versions.items.map((v) => [v.id, v.current]),
    [
      [csv.version.id, false],
      [v2.version.id, true],
    ],
  );

  // Profile: counts, nulls, min/max per column.
  const meta = await json<{ version: { profile: { rowCount: number; columns: Record<string, unknown>[] }; current: boolean } }>(await owner.client.req('GET', `${ds}/versions/${csv.version.id}`), 200);
  assert.equal(meta.version.current, false);
  assert.equal(meta.version.profile.rowCount, 3);
  const prof = Object.fromEntries(meta.version.profile.columns.map((c) => [c.name, c]));
  assert.deepEqual(prof.units, { name: 'units', type: 'int', count: 2, nulls: 1, min: 3, max: 7 });
  assert.deepEqual(prof.price, { name: 'price', type: 'number', count: 3, nulls: 0, min: -4, max: 2.25 });
  assert.deepEqual(prof.region, { name: 'region', type: 'string', count: 3, nulls: 0, min: 'East', max: 'South', distinct: 3 });
  assert.deepEqual(prof.ok, { name: 'ok', type: 'bool', count: 3, nulls: 0, min: false, max: true });

  // Make the first version current again.
  const cur = await json<{ dataset: { currentVersionId: string; version: number }; current: { id: string } }>(await owner.client.req('POST', `${ds}/current`, { versionId: csv.version.id }), 200);
  assert.equal(cur.dataset.currentVersionId, csv.version.id);
  assert.equal(cur.current.id, csv.version.id);
  assert.equal((await json<{ current: { id: string } }>(await owner.client.req('GET', ds), 200)).current.id, csv.version.id);
  // Optimistic: a stale version is a 409; a version of another dataset is refused.
  assert.equal(await errorCode(await owner.client.req('POST', `${ds}/current`, { versionId: v2.version.id, version: 1 })), 'API_CONFLICT');
  assert.equal(await errorCode(await owner.client.req('POST', `${ds}/current`, { versionId: js.version.id })), 'VALIDATION_FAILED');
  assert.equal((await json<{ current: { id: string } }>(await owner.client.req('GET', ds), 200)).current.id, csv.version.id);

  // Preview: first rows as JSON objects.
  const preview = await json<{ rowCount: number; columns: unknown[]; rows: Record<string, unknown>[] }>(await owner.client.req('GET', `${ds}/versions/${csv.version.id}/preview`), 200);
  assert.equal(preview.rowCount, 3);
  assert.deepEqual(preview.rows, [
    { region: 'North', units: 3, price: 1.5, ok: true, day: '2026-01-01' },
    { region: 'South', units: null, price: 2.25, ok: false, day: '2026-01-02' },
    { region: 'East', units: 7, price: -4, ok: true, day: '2026-01-03' },
  ]);
  assert.equal((await json<{ rows: unknown[] }>(await owner.client.req('GET', `${ds}/versions/${csv.version.id}/preview?limit=1`), 200)).rows.length, 1);
  for (const bad of ['0', '201', '-1', 'x', '1.5']) assert.equal((await owner.client.req('GET', `${ds}/versions/${csv.version.id}/preview?limit=${bad}`)).status, 400, bad);

  // Rename; a taken name is a typed 409, at upload too.
  assert.equal((await json<{ dataset: { name: string } }>(await owner.client.req('PATCH', ds, { name: 'sales-2026' }), 200)).dataset.name, 'sales-2026');
  assert.equal(await errorCode(await owner.client.req('PATCH', ds, { name: 'rows' })), 'DATASET_NAME_TAKEN');
  assert.equal(await errorCode(await upload(owner.client, `${base}?name=rows`, CSV, 'text/csv')), 'DATASET_NAME_TAKEN');

  // Audit: hash, rows and bytes, never contents.
  const audits = (await api.store.audit.query({ action: 'dataset_upload' }, { limit: 50 })).items;
  assert.equal(audits.length, 4);
  const first = audits.find((a) => a.details.versionId === csv.version.id);
  assert.equal(first?.details.sha256, csv.version.sha256);
  assert.equal(first?.details.rows, 3);
  assert.equal(first?.details.bytes, csv.version.bytes);
  assert.doesNotMatch(JSON.stringify(audits), /North|South/);

  // Delete: metadata, then both versions' blobs (the Arrow dataset's identical blob lives under its own key).
  const before = blobFiles(api).length;
  assert.equal((await owner.client.req('DELETE', ds)).status, 204);
  assert.equal((await owner.client.req('GET', ds)).status, 404);
  assert.equal(await api.store.datasets.findVersion(v2.version.id), null);
  assert.equal(await api.blobs.head(key), null);
  assert.equal(blobFiles(api).length, before - 2);
  assert.notEqual(await api.blobs.head((await api.store.datasets.findVersion(ar.version.id))?.blobKey ?? ''), null);
  assert.equal((await api.store.audit.query({ action: 'dataset_delete' }, { limit: 5 })).items.length, 1);
  assert.equal((await owner.client.req('DELETE', ds)).status, 404);
});

test('datasets: the upload cap (413, declared or streamed), media types (415), broken data (422) store nothing', async (t) => {
  const api = await startTestApi(t, { env: { PLOTBOX_MAX_UPLOAD_MB: '1' } });
  const owner = await signedIn(api);
  const pid = await project(owner.client);
  const base = `/api/projects/${pid}/datasets`;
  const cap = 1024 * 1024;
  assert.equal(api.config.maxUploadBytes, cap);

  const nothingStored = async (what: string): Promise<void> => {
    assert.deepEqual(
      (await api.store.datasets.listByProject(pid, { limit: 10 })).items.map((d) => d.name),
      ['keep'],
      what,
    );
    assert.equal(blobFiles(api).length, 1, what);
    assert.equal((await api.store.datasets.listVersions(keep.dataset.id, { limit: 10 })).items.length, 1, what);
  };
  const keep = await json<DatasetBody>(await upload(owner.client, `${base}?name=keep`, CSV, 'text/csv'), 201);

  // Over the cap with a Content-Length: refused before reading.
  const big = `a,b\n${'1,2\n'.repeat(Math.ceil((cap * 1.5) / 4))}`;
  const r413 = await upload(owner.client, `${base}?name=big`, big, 'text/csv');
  assert.equal(r413.status, 413);
  const body413 = (await r413.json()) as { error: { code: string; message: string } };
  assert.equal(body413.error.code, 'VALIDATION_PAYLOAD_TOO_LARGE');
  assert.match(body413.error.message, /1048576 bytes/);
  assert.equal((await upload(owner.client, `${base}/${keep.dataset.id}/versions`, big, 'text/csv')).status, 413);
  await nothingStored('413 with Content-Length');

  // Over the cap without a Content-Length (chunked): reading stops once the cap is passed.
  const endless = (): { body: ReadableStream<Uint8Array>; sent: () => number } => {
    let sent = 0;
    const chunk = new TextEncoder().encode('1,2\n'.repeat(16 * 1024));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('a,b\n'));
      },
      pull(controller) {
        // Far more than the cap, so a server that read it all would be caught by the count.
        if (sent > 64 * cap) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return { body, sent: () => sent };
  };
  const stream = endless();
  const streamed = await upload(owner.client, `${base}?name=streamed`, stream.body, 'text/csv').catch((err: unknown) => err);
  if (streamed instanceof Response) assert.equal(await errorCode(streamed), 'VALIDATION_PAYLOAD_TOO_LARGE');
  else assert.fail(`the 413 should arrive before the client finishes sending: ${String(streamed)}`);
  assert.ok(stream.sent() < 16 * cap, `the server stopped reading early (client produced ${stream.sent()} bytes)`);
  // A client that keeps sending after the answer: the server closes the connection instead of
  // reading the rest, also when the refusal comes before the handler (a stranger's 404).
  const stranger = await signedIn(api);
  for (const [c, path, status] of [
    [owner.client, `${base}?name=raw`, '413'],
    [stranger.client, `${base}/${keep.dataset.id}/versions`, '404'],
  ] as const) {
    const raw = await rawUpload(c, path, 64 * cap);
    assert.match(raw.head, new RegExp(`^HTTP/1\\.1 ${status} `), raw.head);
    assert.match(raw.head, /\r\nconnection: close\r\n/i);
    assert.ok(raw.written < 32 * cap, `the server closed the connection early (${raw.written} bytes written)`);
  }
  await nothingStored('413 streamed');

  // A body just under the cap is fine (strings, whose stored Arrow form is smaller than the text).
  const rowsUnder = Math.floor((cap - 8) / 12);
  const under = `a,b\n${'North,South\n'.repeat(rowsUnder)}`;
  assert.ok(Buffer.byteLength(under) <= cap && Buffer.byteLength(under) > cap - 16);
  const ok = await json<DatasetBody>(await upload(owner.client, `${base}?name=under`, under, 'text/csv'), 201);
  assert.equal(ok.version.rowCount, rowsUnder);
  assert.equal((await owner.client.req('DELETE', `${base}/${ok.dataset.id}`)).status, 204);

  // Media types.
  for (const type of ['constructor', '__proto__', 'text/plain', 'application/xml', 'application/octet-stream', 'text/csv; charset=latin1', 'application/x-www-form-urlencoded']) {
    const r = await upload(owner.client, `${base}?name=typed`, CSV, type);
    assert.equal(r.status, 415, type);
    assert.equal(await errorCode(r), 'VALIDATION_UNSUPPORTED_MEDIA_TYPE');
  }
  assert.equal((await upload(owner.client, `${base}?name=typed`, CSV, null)).status, 415, 'no Content-Type');
  assert.equal((await upload(owner.client, `${base}?name=typed`, CSV, 'text/csv', { 'content-encoding': 'gzip' })).status, 415);
  await nothingStored('415');

  // Broken data: a typed 422 naming the place, nothing stored.
  const broken: [string, string, string, Record<string, unknown>][] = [
    ['text/csv', 'a,b\n1,2\n3,4,5\n', 'parse', { line: 3 }],
    ['text/csv', 'a,b\n"1,2\n', 'parse', {}],
    ['text/csv', '', 'empty', {}],
    ['text/csv', 'a,a\n1,2\n', 'schema', {}],
    ['application/json', '[{"a":1},', 'parse', {}],
    ['application/json', '[{"a":{"x":1}}]', 'schema', { row: 0, column: 'a' }],
    ['application/json', '"rows"', 'schema', {}],
    [ARROW, 'not arrow at all', 'parse', {}],
  ];
  for (const [type, text, reason, where] of broken) {
    for (const path of [`${base}?name=broken`, `${base}/${keep.dataset.id}/versions`]) {
      const r = await upload(owner.client, path, text, type);
      const b = (await r.json()) as { error: Record<string, unknown> & { code: string; message: string } };
      assert.equal(r.status, 422, `${type} ${JSON.stringify(text)}: ${JSON.stringify(b)}`);
      assert.equal(b.error.code, 'DATASET_INVALID');
      assert.equal(b.error.reason, reason, text);
      for (const [k, v] of Object.entries(where)) assert.equal(b.error[k], v, `${k} of ${text}`);
      assert.doesNotMatch(b.error.message, /node_modules|\/work\/|\bat \w+ \(/);
    }
  }
  const line = (await (await upload(owner.client, `${base}?name=broken`, 'a,b\n1,2\n3,4,5\n', 'text/csv')).json()) as { error: { message: string } };
  assert.match(line.error.message, /line 3/);
  await nothingStored('422');

  // CSRF still applies to uploads.
  const csrf = await fetch(`${owner.client.url}${base}?name=x`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', cookie: [...owner.client.jar.entries()].map(([k, v]) => `${k}=${v.value}`).join('; ') },
    body: CSV,
  });
  assert.equal(await errorCode(csrf), 'ACCESS_CSRF');
  // A missing or repeated name is a 400.
  assert.equal((await upload(owner.client, base, CSV, 'text/csv')).status, 400);
  assert.equal((await upload(owner.client, `${base}?name=a&name=b`, CSV, 'text/csv')).status, 400);
  await nothingStored('400');
});

test('datasets: viewers see metadata only, editors upload but not delete, strangers get 404, foreign ids are 404, operators are 400', async (t) => {
  const api = await startTestApi(t);
  const owner = await signedIn(api);
  const editor = await signedIn(api);
  const viewer = await signedIn(api);
  const stranger = await signedIn(api);
  const pid = await project(owner.client);
  const other = await project(owner.client, 'Other');
  for (const [who, role] of [
    [editor, 'editor'],
    [viewer, 'viewer'],
  ] as const) {
    assert.equal((await owner.client.req('PUT', `/api/projects/${pid}/members/user/${who.id}`, { role })).status, 200);
  }
  const base = `/api/projects/${pid}/datasets`;
  const a = await json<DatasetBody>(await upload(owner.client, `${base}?name=a`, CSV, 'text/csv'), 201);
  const b = await json<DatasetBody>(await upload(owner.client, `${base}?name=b`, '[{"x":1}]', 'application/json'), 201);
  const foreign = await json<DatasetBody>(await upload(owner.client, `/api/projects/${other}/datasets?name=f`, CSV, 'text/csv'), 201);
  const ds = `${base}/${a.dataset.id}`;
  const ver = `${ds}/versions/${a.version.id}`;

  // Viewer: metadata yes; rows, uploads and changes no (403, audited).
  assert.equal((await viewer.client.req('GET', base)).status, 200);
  assert.equal((await viewer.client.req('GET', ds)).status, 200);
  assert.equal((await viewer.client.req('GET', `${ds}/versions`)).status, 200);
  assert.equal((await viewer.client.req('GET', ver)).status, 200);
  assert.equal(await errorCode(await viewer.client.req('GET', `${ver}/preview`)), 'ACCESS_FORBIDDEN');
  assert.equal((await upload(viewer.client, `${base}?name=v`, CSV, 'text/csv')).status, 403);
  assert.equal((await upload(viewer.client, `${ds}/versions`, CSV, 'text/csv')).status, 403);
  assert.equal((await viewer.client.req('PATCH', ds, { name: 'v' })).status, 403);
  assert.equal((await viewer.client.req('POST', `${ds}/current`, { versionId: a.version.id })).status, 403);
  assert.equal((await viewer.client.req('DELETE', ds)).status, 403);
  assert.ok((await api.store.audit.query({ action: 'permission_denied', actorUserId: viewer.id }, { limit: 50 })).items.length >= 6);

  // Editor: rows and uploads yes, delete no.
  assert.equal((await editor.client.req('GET', `${ver}/preview`)).status, 200);
  assert.equal((await upload(editor.client, `${ds}/versions`, CSV, 'text/csv')).status, 201);
  assert.equal((await editor.client.req('POST', `${ds}/current`, { versionId: a.version.id })).status, 200);
  assert.equal((await editor.client.req('DELETE', ds)).status, 403);

  // Stranger: 404 for everything inside the project, including uploads (nothing read, nothing stored).
  for (const [m, p] of [
    ['GET', base],
    ['GET', ds],
    ['GET', `${ds}/versions`],
    ['GET', ver],
    ['GET', `${ver}/preview`],
    ['PATCH', ds],
    ['DELETE', ds],
    ['POST', `${ds}/current`],
  ] as const) {
    assert.equal((await stranger.client.req(m, p, m === 'PATCH' ? { name: 'x' } : m === 'POST' ? { versionId: a.version.id } : undefined)).status, 404, `${m} ${p}`);
  }
  assert.equal((await upload(stranger.client, `${base}?name=s`, CSV, 'text/csv')).status, 404);
  assert.equal((await upload(stranger.client, `${ds}/versions`, CSV, 'text/csv')).status, 404);

  // Ids that do not belong together are 404, even for the owner of both projects.
  assert.equal((await owner.client.req('GET', `${base}/${b.dataset.id}/versions/${a.version.id}`)).status, 404, 'a version of another dataset');
  assert.equal((await owner.client.req('GET', `${base}/${b.dataset.id}/versions/${a.version.id}/preview`)).status, 404);
  assert.equal((await owner.client.req('GET', `${base}/${foreign.dataset.id}`)).status, 404, 'a dataset of another project');
  assert.equal((await owner.client.req('GET', `${base}/${foreign.dataset.id}/versions/${foreign.version.id}`)).status, 404);
  assert.equal((await owner.client.req('DELETE', `${base}/${foreign.dataset.id}`)).status, 404);
  assert.equal((await upload(owner.client, `${base}/${foreign.dataset.id}/versions`, CSV, 'text/csv')).status, 404);
  assert.equal((await owner.client.req('GET', `${base}/..%2F..%2Fetc`)).status, 404);
  assert.notEqual(await api.store.datasets.findById(foreign.dataset.id), null);
  assert.equal((await api.store.datasets.listVersions(foreign.dataset.id, { limit: 10 })).items.length, 1);

  // Operator objects and unknown fields in JSON bodies and queries are 400.
  assert.equal(await errorCode(await owner.client.req('PATCH', ds, { name: { $ne: null } })), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await owner.client.req('POST', `${ds}/current`, { versionId: { $ne: null } })), 'VALIDATION_FAILED');
  assert.equal(await errorCode(await owner.client.req('POST', `${ds}/current`, { versionId: a.version.id, extra: 1 })), 'VALIDATION_FAILED');
  assert.equal((await upload(owner.client, `${base}?name[$ne]=x`, CSV, 'text/csv')).status, 400);
  assert.equal((await owner.client.req('GET', `${base}?limit[$gt]=1`)).status, 400);
  assert.equal((await owner.client.req('GET', ds)).status, 200);
});
