import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { buildOpenApi, HAND_MOUNTED_ROUTES, jsonSchemaOf, openApiPath } from './openapi.ts';
import { accessLabel, defineRoute, type AnyRoute } from './route-table.ts';
import { API_ROUTES } from './routes/index.ts';
import { ID, listQuery } from './routes/resource-schemas.ts';

type Json = Record<string, unknown>;
const noop = async (): Promise<void> => undefined;

const TABLE: readonly AnyRoute[] = [
  defineRoute({ method: 'get', path: '/api/things', tag: 'things', summary: 'List', access: 'authenticated', query: listQuery, status: 200, handler: noop }),
  defineRoute({
    method: 'patch',
    path: '/api/projects/:projectId/things/:thingId',
    tag: 'things',
    summary: 'Edit',
    access: 'dashboard.edit',
    params: z.strictObject({ projectId: ID, thingId: ID }),
    body: z
      .strictObject({ name: z.string().min(1).optional(), layout: z.json().optional(), count: z.string().transform(Number).optional() })
      .refine((b) => b.name !== undefined || b.layout !== undefined, 'nothing to change'),
    status: 200,
    handler: noop,
  }),
  defineRoute({
    method: 'post',
    path: '/api/projects/:projectId/blobs',
    tag: 'things',
    summary: 'Upload',
    access: 'dataset.upload',
    params: z.strictObject({ projectId: ID }),
    bodyKind: 'upload',
    status: 201,
    handler: noop,
  }),
  defineRoute({
    method: 'delete',
    path: '/api/users/:userId/sessions',
    tag: 'users',
    summary: 'End sessions',
    access: 'user.manage',
    apiKeys: false,
    params: z.strictObject({ userId: ID }),
    status: 200,
    handler: noop,
  }),
];

/** Every `$ref` in `value` (recursively). */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

function resolvePointer(doc: Json, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), ref);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Json)[key] : undefined), doc);
}

const op = (doc: Json, path: string, method: string): Json => ((doc.paths as Record<string, Record<string, Json>>)[path]?.[method] ?? assert.fail(`${method} ${path} missing`)) as Json;

test('openApiPath turns Express params into OpenAPI templates', () => {
  assert.equal(openApiPath('/api/projects/:projectId/dashboards/:dashboardId'), '/api/projects/{projectId}/dashboards/{dashboardId}');
  assert.equal(openApiPath('/api/health'), '/api/health');
});

test('operations carry path, method, summary, tag, parameters, body, status, access and errors', () => {
  const doc = buildOpenApi(TABLE, { handMounted: [] });
  assert.equal(doc.openapi, '3.1.0');

  const list = op(doc, '/api/things', 'get');
  assert.equal(list.summary, 'List');
  assert.deepEqual(list.tags, ['things']);
  assert.equal(list['x-plotbox-access'], 'authenticated');
  // listQuery has transforms: described by its input side (strings), not refused.
  assert.deepEqual(
    (list.parameters as Json[]).map((p) => [p.name, p.in, p.required, (p.schema as Json).type]),
    [
      ['limit', 'query', false, 'string'],
      ['cursor', 'query', false, 'string'],
    ],
  );
  assert.deepEqual(Object.keys(list.responses as Json).sort(), ['200', '400', '401', '403', '429']);

  const edit = op(doc, '/api/projects/{projectId}/things/{thingId}', 'patch');
  assert.equal(edit['x-plotbox-access'], 'dashboard.edit');
  assert.deepEqual(
    (edit.parameters as Json[]).map((p) => [p.name, p.in, p.required, (p.schema as Json).pattern]),
    [
      ['projectId', 'path', true, '^[A-Za-z0-9_-]{1,64}$'],
      ['thingId', 'path', true, '^[A-Za-z0-9_-]{1,64}$'],
    ],
  );
  const responses = edit.responses as Record<string, Json>;
  assert.deepEqual(Object.keys(responses).sort(), ['200', '400', '401', '403', '404', '429']);
  assert.match(String(responses['403']?.description), /requires project or dashboard role editor or owner \(dashboard\.edit\)/);
  assert.match(String(responses['404']?.description), /no role on the project/);
  const body = ((edit.requestBody as Json).content as Record<string, Json>)['application/json']?.schema as Json;
  assert.equal(body.type, 'object');
  assert.equal(body.additionalProperties, false);
  assert.deepEqual((body.properties as Record<string, Json>).count, { type: 'string' }, 'a transform is described by what the client sends');
  // z.json() is recursive: its definition is hoisted into components and every reference resolves.
  const layoutRef = ((body.properties as Record<string, Json>).layout as Json).$ref as string;
  assert.match(layoutRef, /^#\/components\/schemas\//);
  for (const r of refs(doc)) assert.ok(resolvePointer(doc, r) !== undefined, `dangling ${r}`);

  const upload = op(doc, '/api/projects/{projectId}/blobs', 'post');
  assert.ok(((upload.requestBody as Json).content as Json)['application/octet-stream']);
  assert.equal(Object.keys(upload.responses as Json)[0], '201');

  const sessions = op(doc, '/api/users/{userId}/sessions', 'delete');
  assert.equal(sessions['x-plotbox-access'], 'user.manage');
  assert.deepEqual(sessions.security, [{ cookieAuth: [] }], 'no API keys');
  assert.match(String((sessions.responses as Record<string, Json>)['403']?.description), /system role admin/);
});

test('a schema zod cannot convert degrades to an unconstrained schema, not a failed document', () => {
  const broken = { _zod: {} } as unknown as z.ZodType;
  assert.deepEqual(jsonSchemaOf(broken), { schema: { description: 'Not representable as JSON Schema.' }, defs: {} });
  const doc = buildOpenApi([defineRoute({ method: 'post', path: '/api/odd', tag: 'x', summary: 'Odd', access: 'authenticated', body: broken, status: 200, handler: noop })], { handMounted: [] });
  const schema = (((op(doc, '/api/odd', 'post').requestBody as Json).content as Record<string, Json>)['application/json']?.schema ?? {}) as Json;
  assert.equal(schema.description, 'Not representable as JSON Schema.');
});

test('the same method and path twice is refused', () => {
  assert.throws(() => buildOpenApi([TABLE[0] as AnyRoute, TABLE[0] as AnyRoute], { handMounted: [] }), /two operations/);
});

test('the API document: every table route and every hand-mounted route, unique operation ids, no dangling refs', () => {
  const doc = buildOpenApi(API_ROUTES);
  const paths = doc.paths as Record<string, Record<string, Json>>;
  for (const r of API_ROUTES) {
    const o = paths[openApiPath(r.path)]?.[r.method];
    assert.ok(o, `${r.method} ${r.path}`);
    assert.equal(o['x-plotbox-access'], accessLabel(r));
    assert.ok(Object.hasOwn(o.responses as Json, String(r.status)));
  }
  for (const r of HAND_MOUNTED_ROUTES) assert.ok(paths[openApiPath(r.path)]?.[r.method], `${r.method} ${r.path}`);
  const ids = Object.values(paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
  assert.equal(ids.length, API_ROUTES.length + HAND_MOUNTED_ROUTES.length);
  assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  for (const r of refs(doc)) assert.ok(resolvePointer(doc, r) !== undefined, `dangling ${r}`);
  assert.doesNotThrow(() => JSON.stringify(doc));
});
