/**
 * The OpenAPI 3.1 document of the API, generated from the route table (so it cannot drift from
 * what is mounted) plus a short explicit list of the hand-mounted routes (sign-in, self-service,
 * setup, probes) that are deliberately not table routes. A pure function of its inputs: `app.ts`
 * builds it once at boot and `GET /api/openapi.json` serves it.
 *
 * `GET /api/openapi.json` itself is a table route with access `authenticated`: the document maps
 * every route, including the admin ones, and the access action each needs. That is not secret,
 * but anonymous callers have no use for it (the web UI and scripts are signed in or hold an API
 * key), and keeping the anonymous surface to sign-in, setup and probes gives an unauthenticated
 * scanner nothing to read.
 */
import { z } from 'zod';
import { ACTION_SCOPE } from '@plotbox/access';
import { cookieNames } from './cookies.ts';
import { accessLabel, routeRule, type AnyRoute, type RouteMethod } from './route-table.ts';
import { apiKeyCreateBody, emptyBody, loginBody, passwordChangeBody, revokeAllBody, setupBody, totpConfirmBody, totpDisableBody } from './schemas.ts';

type Json = Record<string, unknown>;

/**
 * Who may call a hand-mounted route: `public` (no credentials), `self` (any signed-in user, about
 * their own account), `refresh` (the refresh cookie only), `setup-token` (the one-time setup token).
 */
export type HandMountedAccess = 'public' | 'self' | 'refresh' | 'setup-token';

/** A route mounted by hand (not through the table), described for the OpenAPI document. */
export interface HandMountedRoute {
  readonly method: RouteMethod;
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: HandMountedAccess;
  /** May an API key call it? Only meaningful for `self`. Default no. */
  readonly apiKeys?: boolean;
  readonly params?: z.ZodType;
  readonly body?: z.ZodType;
  readonly status: number;
  /** Error statuses the route may answer besides 429 and 5xx. */
  readonly errors: readonly number[];
}

const idParams = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/u) });

/**
 * The routes `app.ts`, `auth-routes.ts` and `me-routes.ts` mount by hand, under `/api/` or
 * otherwise public. Every other `/api/` route must be a table route: the authorization matrix test
 * fails on a mounted route that is in neither list, and on an entry here that is not mounted.
 */
export const HAND_MOUNTED_ROUTES: readonly HandMountedRoute[] = Object.freeze([
  { method: 'get', path: '/api/health', tag: 'service', summary: 'Liveness: `{ "status": "ok" }`', access: 'public', status: 200, errors: [] },
  { method: 'get', path: '/api/ready', tag: 'service', summary: 'Readiness of the store, the blob store and the sandbox (503 when one is down)', access: 'public', status: 200, errors: [503] },
  {
    method: 'post',
    path: '/api/csp-report',
    tag: 'service',
    summary: 'Browsers report Content-Security-Policy violations here (application/csp-report or application/reports+json; 16 KiB; rate limited per address)',
    access: 'public',
    status: 204,
    errors: [413, 415, 429],
  },
  { method: 'get', path: '/.well-known/jwks.json', tag: 'service', summary: 'Public keys of the access-token key set (every active kid)', access: 'public', status: 200, errors: [] },
  {
    method: 'post',
    path: '/api/setup',
    tag: 'auth',
    summary: 'Create the first system admin with the one-time setup token',
    access: 'setup-token',
    body: setupBody,
    status: 201,
    errors: [400, 403, 422],
  },
  {
    method: 'post',
    path: '/api/auth/login',
    tag: 'auth',
    summary: 'Sign in (with a TOTP or recovery code when 2FA is on); sets the token cookies',
    access: 'public',
    body: loginBody,
    status: 200,
    errors: [400, 401, 403],
  },
  { method: 'post', path: '/api/auth/refresh', tag: 'auth', summary: 'Rotate the refresh token and issue a new access token', access: 'refresh', status: 200, errors: [401, 403] },
  { method: 'post', path: '/api/auth/logout', tag: 'auth', summary: 'End the session and clear the cookies', access: 'self', status: 204, errors: [401, 403] },
  { method: 'get', path: '/api/auth/options', tag: 'auth', summary: 'How one may sign in here: `{ localLogin, sso: { name, startUrl } | null }`', access: 'public', status: 200, errors: [] },
  {
    method: 'get',
    path: '/api/auth/oidc/start',
    tag: 'auth',
    summary: 'Start single sign-on (query `next`: a path on this site): redirects to the provider',
    access: 'public',
    status: 303,
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/auth/oidc/callback',
    tag: 'auth',
    summary: 'The provider redirects here; signs the browser in (token cookies) and redirects to the UI, or to the sign-in page with `sso_error`',
    access: 'public',
    status: 303,
    errors: [404],
  },
  { method: 'get', path: '/api/me', tag: 'me', summary: 'The signed-in user and how they authenticated', access: 'self', apiKeys: true, status: 200, errors: [401] },
  { method: 'post', path: '/api/me/password', tag: 'me', summary: 'Change my password (ends my other sessions)', access: 'self', body: passwordChangeBody, status: 200, errors: [400, 401, 403, 422] },
  { method: 'get', path: '/api/me/sessions', tag: 'me', summary: 'My live sessions', access: 'self', status: 200, errors: [401, 403] },
  { method: 'delete', path: '/api/me/sessions/:id', tag: 'me', summary: 'End one of my sessions', access: 'self', params: idParams, status: 204, errors: [400, 401, 403, 404] },
  {
    method: 'post',
    path: '/api/me/sessions/revoke-all',
    tag: 'me',
    summary: 'Sign out everywhere: end all my sessions (this one too unless `keepCurrent`)',
    access: 'self',
    body: revokeAllBody,
    status: 200,
    errors: [400, 401, 403],
  },
  {
    method: 'post',
    path: '/api/me/2fa/enrol',
    tag: 'me',
    summary: 'Start TOTP enrolment: a new secret and its otpauth URI',
    access: 'self',
    body: emptyBody,
    status: 200,
    errors: [400, 401, 403, 409],
  },
  {
    method: 'post',
    path: '/api/me/2fa/confirm',
    tag: 'me',
    summary: 'Confirm TOTP enrolment with a code; returns the recovery codes once',
    access: 'self',
    body: totpConfirmBody,
    status: 200,
    errors: [400, 401, 403, 409],
  },
  { method: 'post', path: '/api/me/2fa/disable', tag: 'me', summary: 'Turn TOTP off (with my password or a code)', access: 'self', body: totpDisableBody, status: 204, errors: [400, 401, 403, 409] },
  { method: 'get', path: '/api/me/api-keys', tag: 'me', summary: 'My API keys (prefixes only)', access: 'self', status: 200, errors: [401, 403] },
  { method: 'post', path: '/api/me/api-keys', tag: 'me', summary: 'Create an API key; the key is in this response only', access: 'self', body: apiKeyCreateBody, status: 201, errors: [400, 401, 403] },
  { method: 'delete', path: '/api/me/api-keys/:id', tag: 'me', summary: 'Revoke one of my API keys', access: 'self', params: idParams, status: 204, errors: [400, 401, 403, 404] },
] satisfies HandMountedRoute[]);

/**
 * A zod schema as JSON Schema (2020-12, which OpenAPI 3.1 uses), describing what the client
 * sends (`io: 'input'`: a transform's input side, refinements left out). A schema zod cannot
 * convert becomes an unconstrained schema with a note rather than failing the whole document.
 * `$defs` (recursive types such as `z.json()`) come back separately, to be hoisted.
 */
export function jsonSchemaOf(schema: z.ZodType): { schema: Json; defs: Record<string, Json> } {
  let out: Json;
  try {
    out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  } catch {
    return { schema: { description: 'Not representable as JSON Schema.' }, defs: {} };
  }
  const { $schema: _drop, $defs, ...rest } = out;
  return { schema: rest, defs: ($defs ?? {}) as Record<string, Json> };
}

/** Express `/a/:id` → OpenAPI `/a/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/gu, '{$1}');
}

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/gu)].map((m) => m[1] ?? '');
}

function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s !== '' && s !== 'api')
    .map((s) => (s.startsWith(':') ? `By${s.slice(1, 2).toUpperCase()}${s.slice(2)}` : s.replace(/[^A-Za-z0-9]+(.)?/gu, (_m, c: string | undefined) => (c ?? '').toUpperCase())))
    .map((s) => s.slice(0, 1).toUpperCase() + s.slice(1));
  return `${method}${words.join('')}`;
}

/** Replace `#/$defs/X` with a reference to the hoisted component. */
function rewriteRefs(value: unknown, rename: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) out[k] = `#/components/schemas/${rename.get(v.slice('#/$defs/'.length)) ?? 'Unknown'}`;
    else out[k] = rewriteRefs(v, rename);
  }
  return out;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
  400: 'The request is not valid (`VALIDATION_FAILED`, `VALIDATION_MALFORMED_JSON`)',
  401: 'Not signed in, or the credentials are not valid any more (`AUTH_*`)',
  403: 'Not allowed (`ACCESS_FORBIDDEN`, `ACCESS_API_KEY_FORBIDDEN`, `ACCESS_CSRF`, `AUTH_MFA_ENROLMENT_REQUIRED`)',
  404: 'Not found (`API_NOT_FOUND`)',
  409: 'Conflict (`API_CONFLICT`, or a state that does not allow it)',
  413: 'The request body is too large',
  415: 'Not `application/json`',
  422: 'The password does not meet the policy (`AUTH_PASSWORD_POLICY`)',
  429: 'Rate limited; retry after `Retry-After` seconds (`RATE_LIMITED`)',
  503: 'A dependency is unavailable',
};

const errorResponse = (status: number, description?: string): Json => ({
  description: description ?? STATUS_TEXT[status] ?? 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

export interface OpenApiOptions {
  /** `info.version`. */
  readonly version?: string;
  /** Hand-mounted routes to describe too; default {@link HAND_MOUNTED_ROUTES}. */
  readonly handMounted?: readonly HandMountedRoute[];
}

/**
 * Build the OpenAPI 3.1 document: one operation per table route (path, method, summary, tag,
 * path/query parameters and JSON body from its zod schemas, success status, `x-plotbox-access`
 * with the action it needs, the error responses its access rule implies) and per hand-mounted
 * route. Throws on two operations for one method and path.
 */
export function buildOpenApi(table: readonly AnyRoute[], options: OpenApiOptions = {}): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const components: Record<string, Json> = {
    Error: {
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message', 'requestId'],
          properties: { code: { type: 'string', description: 'Stable code, listed in docs/errors.md' }, message: { type: 'string' }, requestId: { type: 'string' } },
        },
      },
    },
  };
  const tags = new Set<string>();

  /** Convert a schema, hoisting its `$defs` under names unique to this operation. */
  const convert = (schema: z.ZodType, prefix: string): Json => {
    const { schema: s, defs } = jsonSchemaOf(schema);
    const rename = new Map(Object.keys(defs).map((k) => [k, `${prefix}.${k.replace(/[^A-Za-z0-9._-]/gu, '_')}`]));
    for (const [k, def] of Object.entries(defs)) components[rename.get(k) ?? k] = rewriteRefs(def, rename) as Json;
    return rewriteRefs(s, rename) as Json;
  };

  const parametersOf = (opId: string, path: string, params: z.ZodType | undefined, query: z.ZodType | undefined): Json[] => {
    const out: Json[] = [];
    const pathProps = params === undefined ? {} : ((convert(params, `${opId}.params`).properties ?? {}) as Record<string, Json>);
    for (const name of pathParamNames(path)) out.push({ name, in: 'path', required: true, schema: pathProps[name] ?? { type: 'string' } });
    if (query !== undefined) {
      const q = convert(query, `${opId}.query`);
      const required = new Set(Array.isArray(q.required) ? (q.required as string[]) : []);
      for (const [name, schema] of Object.entries((q.properties ?? {}) as Record<string, Json>)) out.push({ name, in: 'query', required: required.has(name), schema });
    }
    return out;
  };

  const add = (method: RouteMethod, path: string, op: Json): void => {
    const p = openApiPath(path);
    paths[p] ??= {};
    const entry = paths[p];
    if (entry[method] !== undefined) throw new TypeError(`two operations for ${method.toUpperCase()} ${path}`);
    entry[method] = op;
    if (typeof op.tags === 'object' && Array.isArray(op.tags)) for (const t of op.tags as string[]) tags.add(t);
  };

  for (const route of table) {
    const opId = operationId(route.method, route.path);
    const rule = routeRule(route);
    const resource = rule !== null && rule.actions.some((a) => ACTION_SCOPE[a] !== 'system');
    const responses: Record<string, Json> = { [String(route.status)]: { description: STATUS_TEXT[route.status] ?? 'Success' } };
    responses['400'] = errorResponse(400);
    responses['401'] = errorResponse(401);
    responses['403'] = errorResponse(403, rule === null ? undefined : `${STATUS_TEXT[403] ?? ''}; ${rule.describe()}`);
    if (resource || pathParamNames(route.path).length > 0) {
      responses['404'] = errorResponse(404, resource ? `${STATUS_TEXT[404] ?? ''}: also what a caller with no role on the project gets` : undefined);
    }
    responses['429'] = errorResponse(429);
    const op: Json = {
      operationId: opId,
      summary: route.summary,
      tags: [route.tag],
      'x-plotbox-access': accessLabel(route),
      security: route.apiKeys === false ? [{ cookieAuth: [] }] : [{ cookieAuth: [] }, { apiKey: [] }],
      parameters: parametersOf(opId, route.path, route.params, route.query),
      responses,
    };
    if (route.bodyKind === 'upload') {
      op.requestBody = { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } }, description: 'Raw bytes; the route checks the media type itself' };
    } else if (route.body !== undefined) {
      op.requestBody = { required: true, content: { 'application/json': { schema: convert(route.body, `${opId}.body`) } } };
    }
    add(route.method, route.path, op);
  }

  for (const route of options.handMounted ?? HAND_MOUNTED_ROUTES) {
    const opId = operationId(route.method, route.path);
    const responses: Record<string, Json> = { [String(route.status)]: { description: STATUS_TEXT[route.status] ?? 'Success' } };
    for (const s of route.errors) responses[String(s)] = errorResponse(s);
    if (route.path.startsWith('/api/')) responses['429'] = errorResponse(429);
    const security = route.access === 'self' ? (route.apiKeys === true ? [{ cookieAuth: [] }, { apiKey: [] }] : [{ cookieAuth: [] }]) : route.access === 'refresh' ? [{ refreshCookie: [] }] : [];
    const op: Json = {
      operationId: opId,
      summary: route.summary,
      tags: [route.tag],
      'x-plotbox-access': route.access,
      security,
      parameters: parametersOf(opId, route.path, route.params, undefined),
      responses,
    };
    if (route.body !== undefined) op.requestBody = { required: true, content: { 'application/json': { schema: convert(route.body, `${opId}.body`) } } };
    add(route.method, route.path, op);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Plotbox API',
      version: options.version ?? '0.1.0',
      description:
        'JSON only; unknown fields are refused. State-changing requests authenticated by cookie need `X-Requested-With: plotbox`. `x-plotbox-access` names the access action of @plotbox/access each route needs (or describes the composed rule; `authenticated`: any signed-in user). A caller with no role on a project gets 404 for anything inside it; a member lacking the permission gets 403.',
    },
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        cookieAuth: { type: 'apiKey', in: 'cookie', name: cookieNames(false).access, description: 'The access-token cookie set by /api/auth/login (`__Host-plotbox_access` when served over https)' },
        refreshCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: cookieNames(false).refresh,
          description: 'The refresh-token cookie, path /api/auth/refresh (`__Secure-plotbox_refresh` when served over https)',
        },
        apiKey: { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer pbx_...`, an API key acting with its user’s current permissions' },
      },
    },
  };
}
