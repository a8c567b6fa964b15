import type { RequestHandler } from 'express';
import pkg from '../../package.json' with { type: 'json' };
import { permissions } from '../directory/permissions.ts';
import { sessionCookie } from '../lib/cookies.ts';
import type { ApiRoute, RouteSpec } from './admin/route.ts';
import { adminApiRoutes } from './admin/routes.ts';
import { authRouteSpecs, type PublicRouteSpec } from './auth/specs.ts';
import { errorCodes, errorCodesFor } from './error-codes.ts';
import { bodyRequired, jsonSchemaOf, openApiPath, operationIdOf, parametersOf, type JsonSchema } from './openapi-schema.ts';

/**
 * The OpenAPI 3.1 document of the admin API and the sign-in routes, built from
 * the route declarations themselves (apiRoute specs, authRouteSpecs) and their
 * zod schemas: nothing here repeats a field. Served at GET /api/openapi.json;
 * test/http/openapi.test.ts fails when a mounted route is missing from it.
 */

type Operation = Record<string, unknown>;
type Responses = RouteSpec<undefined, undefined, undefined>['responses'];
const ADMIN_PREFIX = '/api/orgs/{org}';
const ERROR_RESPONSE_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Gone',
  412: 'PreconditionFailed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'RateLimited',
  500: 'InternalError',
  503: 'Unavailable',
};

export const openApiRouteSpec: PublicRouteSpec = {
  method: 'get',
  path: '/api/openapi.json',
  tag: 'Meta',
  summary: 'This OpenAPI 3.1 document',
  auth: 'none',
  responses: { 200: { description: 'The document' } },
  errors: [],
};

export function buildOpenApiDocument(options: { publicUrl: string }) {
  const defs: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, Operation>> = {};
  const operationIds = new Set<string>();
  const add = (path: string, method: string, operation: Operation) => {
    paths[path] ??= {};
    if (paths[path][method]) throw new Error(`${method.toUpperCase()} ${path} is declared twice`);
    if (operationIds.has(operation.operationId as string)) throw new Error(`Two operations would share the id ${String(operation.operationId)}`);
    operationIds.add(operation.operationId as string);
    paths[path][method] = operation;
  };
  for (const spec of [...authRouteSpecs, openApiRouteSpec]) add(openApiPath(spec.path), spec.method, publicOperation(spec, defs));
  for (const { spec } of adminApiRoutes) add(ADMIN_PREFIX + (spec.path === '/' ? '' : openApiPath(spec.path)), spec.method, adminOperation(spec, defs));

  const tags = [...new Set(Object.values(paths).flatMap((ops) => Object.values(ops).map((op) => (op.tags as string[])[0]!)))];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse',
      version: pkg.version,
      description: [
        'The admin API (`/api/orgs/{org}/…`) and the sign-in routes of Gatehouse.',
        'Admin API callers send an admin token (`Authorization: Bearer …`) or the session cookie; a change made with the cookie also needs `X-CSRF-Token` (from `GET /api/session`).',
        '`x-permission` on each admin operation names the permission the caller must hold (`org_admin`: org admins only; null: any authenticated caller of the org); without it the answer is 403 `forbidden` with `details.missingPermission`.',
        'Every error is `{error: {code, message, details}}`; the codes are listed in the `Error` schema and do not change meaning.',
      ].join('\n\n'),
    },
    servers: [{ url: options.publicUrl }],
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'An admin-scope API token of the org (`gatehouse token create`, or POST /api/orgs/{org}/tokens)' },
        session: { type: 'apiKey', in: 'cookie', name: sessionCookie(options.publicUrl).name, description: 'The session cookie set by password or SAML sign-in' },
        csrfToken: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: '`csrfToken` of GET /api/session; needed with the session cookie on every change' },
      },
      parameters: {
        org: { name: 'org', in: 'path', required: true, schema: { type: 'string' }, description: 'The organization slug' },
      },
      schemas: { ...defs, Error: errorSchema() },
      responses: Object.fromEntries(Object.entries(ERROR_RESPONSE_NAMES).map(([status, name]) => [name, errorResponse(Number(status))])),
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

/** The standard refusals an admin operation can meet, besides any its spec declares. */
function adminErrorStatuses(route: ApiRoute['spec']): number[] {
  const writes = route.method !== 'get';
  const statuses = [401, 403, 404, 503];
  if (writes || route.params || route.query || route.body || route.rawBody) statuses.push(400);
  // Optimistic locking (src/directory/users.ts, groups.ts) answers a lost race on any write with 412.
  if (writes) statuses.push(409, 412, 413);
  // A body the route does not read (another media type) is 415 (src/http/bodies.ts).
  if (route.rawBody || route.body) statuses.push(415);
  return statuses;
}

function adminOperation(route: ApiRoute['spec'], defs: Record<string, JsonSchema>): Operation {
  const required = route.permission === null ? 'Any authenticated caller of the organization.' : `Requires \`${route.permission}\`.`;
  const content: Record<string, unknown> = {};
  if (route.body) content['application/json'] = { schema: jsonSchemaOf(route.body, 'input', defs) };
  if (route.rawBody) content[route.rawBody] = { schema: { type: 'string' } };
  return {
    operationId: operationIdOf(route.method, openApiPath(route.path), 'Org'),
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, required].filter(Boolean).join('\n\n'),
    'x-permission': route.permission,
    security: route.method === 'get' ? [{ adminToken: [] }, { session: [] }] : [{ adminToken: [] }, { session: [], csrfToken: [] }],
    parameters: [{ $ref: '#/components/parameters/org' }, ...parametersOf(route.path, route, defs)],
    ...(Object.keys(content).length ? { requestBody: { required: route.rawBody !== undefined || (route.body ? bodyRequired(route.body) : true), content } } : {}),
    responses: responsesOf(route.responses, adminErrorStatuses(route), defs),
  };
}

function publicOperation(route: PublicRouteSpec, defs: Record<string, JsonSchema>): Operation {
  const security = { none: [], session: [{ session: [] }], 'optional-session': [{}, { session: [] }] }[route.auth];
  const parameters = parametersOf(route.path, route, defs);
  const body = route.body;
  return {
    operationId: operationIdOf(route.method, openApiPath(route.path), 'Root'),
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security,
    ...(parameters.length ? { parameters } : {}),
    ...(body
      ? {
          requestBody: {
            required: bodyRequired(body),
            content: Object.fromEntries((route.bodyMediaTypes ?? ['application/json']).map((type) => [type, { schema: jsonSchemaOf(body, 'input', defs) }])),
          },
        }
      : {}),
    responses: responsesOf(route.responses, route.errors, defs),
  };
}

function responsesOf(declared: Responses, errorStatuses: readonly number[], defs: Record<string, JsonSchema>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, answer] of Object.entries(declared)) {
    const status = Number(key);
    const type = answer.contentType ?? 'application/json';
    const noBody = status === 204 || (status >= 300 && status < 400 && !answer.contentType);
    let schema: JsonSchema = type === 'application/json' ? {} : { type: 'string' };
    if (answer.schema) schema = jsonSchemaOf(answer.schema, 'output', defs);
    else if (status >= 400 && type === 'application/json') schema = { $ref: '#/components/schemas/Error' };
    out[key] = noBody ? { description: answer.description } : { description: answer.description, content: { [type]: { schema } } };
  }
  for (const status of [...errorStatuses].sort((a, b) => a - b)) {
    const name = ERROR_RESPONSE_NAMES[status];
    if (!name) throw new Error(`No standard error response for status ${status}`);
    out[String(status)] ??= { $ref: `#/components/responses/${name}` };
  }
  return out;
}

function errorSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: {
            type: 'string',
            enum: errorCodes.map((entry) => entry.code),
            description: 'Stable; branch on it, not on `message`:\n\n' + errorCodes.map((e) => `- \`${e.code}\` (${e.status}): ${e.description}`).join('\n'),
          },
          message: { type: 'string', description: 'For people; may change' },
          details: {
            type: 'object',
            properties: {
              requestId: { type: 'string', description: 'The X-Request-Id of the request, for the logs' },
              problems: {
                type: 'array',
                items: { type: 'object', required: ['field', 'reason'], properties: { field: { type: 'string' }, reason: { type: 'string' } } },
                description: 'invalid_input: each refused field and why',
              },
              missingPermission: { type: 'string', enum: [...permissions, 'org_admin'], description: 'forbidden: what the caller lacks' },
              field: { type: 'string', description: 'conflict: the field whose unique rule holds' },
              reason: { type: 'string', description: 'A machine-readable refinement of the code' },
              retryAfterSeconds: { type: 'integer' },
              limit: { type: 'integer', description: 'payload_too_large: the limit in bytes (a CSV row over imports.maxRowChars: in characters)' },
              setting: { type: 'string', description: 'The config key of the limit that refused the request (e.g. imports.maxFileSize, imports.maxRowChars)' },
            },
            additionalProperties: true,
          },
        },
      },
    },
  };
}

function errorResponse(status: number): JsonSchema {
  const codes = errorCodesFor(status).map((e) => `\`${e.code}\``);
  const retry = status === 429 || status === 503;
  return {
    description: codes.length ? `Error: ${codes.join(', ')}` : `Error (${status})`,
    ...(retry ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } } } : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

/**
 * GET /api/openapi.json. Built on the first request (not at start-up, so
 * createApp stays cheap) and then kept: the routes cannot change while the app runs.
 */
export function openApiHandler(publicUrl: string): RequestHandler {
  let body: string | undefined;
  return (_req, res) => {
    body ??= JSON.stringify(buildOpenApiDocument({ publicUrl }));
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(body);
  };
}
