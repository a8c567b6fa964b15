import assert from 'node:assert/strict';
import { Router, type Express } from 'express';
import request from 'supertest';
import { z } from 'zod';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createApp } from '../../src/app.ts';
import { adminApiRoutes } from '../../src/http/admin/routes.ts';
import { authRouteSpecs } from '../../src/http/auth/specs.ts';
import { errorCodes } from '../../src/http/error-codes.ts';
import { buildOpenApiDocument, type OpenApiDocument } from '../../src/http/openapi.ts';
import { openApiPath } from '../../src/http/openapi-schema.ts';
import { permissions } from '../../src/directory/permissions.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { mountedRoutes } from '../support/routes.ts';

type Operation = {
  operationId: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Array<{ $ref?: string; name?: string; in?: string }>;
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<string, unknown>;
  'x-permission'?: unknown;
};

/** Routes outside the document's scope: SCIM and SAML follow their own standards; probes are for orchestrators. */
// The console is web pages, not an API: it is built on the routes this document describes.
// The site's root is the console's front door for browsers (a redirect there), not an API path.
const OUT_OF_SCOPE = [/^\/scim\/v2(\/|$)/, /^\/saml(\/|$)/, /^\/console(\/|$)/, /^\/(healthz|readyz)$/, /^\/$/];

function operations(doc: OpenApiDocument): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op: op as Operation })));
}

/** `METHOD /path` of every mounted route the document does not describe. */
function undocumented(app: Express, doc: OpenApiDocument): string[] {
  return mountedRoutes(app)
    .filter((r) => !OUT_OF_SCOPE.some((re) => re.test(r.path)))
    .filter((r) => !doc.paths[openApiPath(r.path)]?.[r.method])
    .map((r) => `${r.method.toUpperCase()} ${r.path}`);
}

const shapeKeys = (schema: z.ZodType | undefined) => (schema instanceof z.ZodObject ? Object.keys(schema.shape).sort() : undefined);

describe('OpenAPI document', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let doc: OpenApiDocument;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    doc = buildOpenApiDocument({ publicUrl: t.container.config.publicUrl });
  });
  after(() => t.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(doc.openapi, '3.1.0');
  });

  it('is served at /api/openapi.json without credentials, cacheable, for the configured public URL', async () => {
    const res = await request(t.app).get('/api/openapi.json').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    assert.match(res.headers['cache-control'] ?? '', /max-age=\d+/);
    assert.deepEqual(res.body, JSON.parse(JSON.stringify(doc)));
    assert.deepEqual(res.body.servers, [{ url: 'https://gatehouse.test' }]);
    assert.equal(res.body.info.title, 'Gatehouse');
  });

  it('describes every route mounted outside SCIM and SAML, with its method', () => {
    assert.deepEqual(undocumented(t.app, doc), []);
  });

  it('describes only routes that are mounted', () => {
    // Out of scope surfaces (the console's catch-all page among them) are not OpenAPI paths at all.
    const mounted = new Set(mountedRoutes(t.app).filter((r) => !OUT_OF_SCOPE.some((re) => re.test(r.path))).map((r) => `${r.method} ${openApiPath(r.path)}`));
    const phantom = operations(doc).filter(({ method, path }) => !mounted.has(`${method} ${path}`));
    assert.deepEqual(phantom.map(({ method, path }) => `${method} ${path}`), []);
  });

  it('finds a route mounted with a plain router.get inside the admin router', () => {
    // Another app over the same container, so the shared one stays as built.
    const app = createApp(t.container);
    const admin = (app as unknown as { router: { stack: Array<{ rawPath?: unknown; handle: Router }> } }).router.stack.find((l) => l.rawPath === '/api/orgs/:org');
    assert.ok(admin, 'the admin router is mounted at /api/orgs/:org');
    const rogue = Router({ mergeParams: true });
    rogue.get('/rogue/:id', (_req, res) => void res.end());
    admin.handle.use('/nested', rogue);
    admin.handle.post('/direct', (_req, res) => void res.end());
    assert.deepEqual(undocumented(app, doc).sort(), ['GET /api/orgs/:org/nested/rogue/:id', 'POST /api/orgs/:org/direct']);
  });

  it('mounts no method and path twice (a hand-written route would shadow a declared one)', () => {
    const seen = mountedRoutes(t.app).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(seen.filter((key, i) => seen.indexOf(key) !== i), []);
  });

  it('gives every admin operation a summary, a tag, its permission, credentials and a 2xx answer', () => {
    for (const { spec } of adminApiRoutes) {
      const path = '/api/orgs/{org}' + (spec.path === '/' ? '' : openApiPath(spec.path));
      const op = doc.paths[path]?.[spec.method] as Operation | undefined;
      const name = `${spec.method.toUpperCase()} ${path}`;
      assert.ok(op, `${name} is in the document`);
      assert.ok(op.summary, `${name} has a summary`);
      assert.deepEqual(op.tags, [spec.tag], name);
      assert.ok('x-permission' in op, `${name} states its permission`);
      assert.equal(op['x-permission'], spec.permission, name);
      assert.ok(op['x-permission'] === null || [...permissions, 'org_admin'].includes(op['x-permission'] as string), name);
      assert.ok(op.security?.length, `${name} names its credentials`);
      assert.ok(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${name} has a 2xx response`);
      assert.equal(op.parameters?.[0]?.$ref, '#/components/parameters/org', name);
    }
  });

  it('shows each declared body, query and path parameter from the zod schemas that validate them', () => {
    const specs = [
      ...adminApiRoutes.map(({ spec }) => ({ ...spec, docPath: '/api/orgs/{org}' + (spec.path === '/' ? '' : openApiPath(spec.path)) })),
      ...authRouteSpecs.map((spec) => ({ ...spec, docPath: openApiPath(spec.path) })),
    ];
    for (const spec of specs) {
      const op = doc.paths[spec.docPath]![spec.method] as Operation;
      const name = `${spec.method.toUpperCase()} ${spec.docPath}`;
      if (spec.body) {
        assert.ok(op.requestBody, `${name} has a request body`);
        const keys = shapeKeys(spec.body);
        for (const [type, media] of Object.entries(op.requestBody.content)) {
          if (keys) assert.deepEqual(Object.keys(media.schema.properties ?? {}).sort(), keys, `${name} ${type}`);
        }
      }
      const queryKeys = shapeKeys(spec.query);
      if (queryKeys) {
        const documented = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name!);
        assert.deepEqual(documented.sort(), queryKeys, `${name} query parameters`);
      }
      for (const [, param] of spec.docPath.matchAll(/\{(\w+)\}/g)) {
        const described = (op.parameters ?? []).some((p) => (param === 'org' ? p.$ref === '#/components/parameters/org' : p.in === 'path' && p.name === param));
        assert.ok(described, `${name} describes the path parameter ${param}`);
      }
    }
  });

  it('gives operations unique ids', () => {
    const ids = operations(doc).map(({ op }) => op.operationId);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('documents every error code of the catalogue in the Error schema', () => {
    const code = (doc.components.schemas.Error as { properties: { error: { properties: { code: { enum: string[]; description: string } } } } }).properties.error.properties.code;
    assert.deepEqual(code.enum, errorCodes.map((e) => e.code));
    for (const entry of errorCodes) assert.ok(code.description.includes(`\`${entry.code}\``), entry.code);
  });

  it('answers errors under /api and /auth as {error: {code, message, details}} with a catalogued code', async () => {
    const codes = new Set<string>(errorCodes.map((e) => e.code));
    const admin = `Bearer ${acme.tokens.admin}`;
    const refusals: Array<[string, PromiseLike<request.Response>]> = [
      ['no credentials', request(t.app).get('/api/orgs/acme/users')],
      ['unknown token', request(t.app).get('/api/orgs/acme/users').set('Authorization', 'Bearer nope')],
      ['unknown org', request(t.app).get('/api/orgs/nope').set('Authorization', admin)],
      ['unknown route', request(t.app).get('/api/nothing-here')],
      ['malformed JSON', request(t.app).post('/api/orgs/acme/tokens').set('Authorization', admin).set('Content-Type', 'application/json').send('{')],
      ['no session', request(t.app).get('/api/session')],
      ['wrong password', request(t.app).post('/auth/password/login').send({ email: 'nobody@acme.test', password: 'wrong-password' })],
      ['empty sign-in', request(t.app).post('/auth/password/login').send({})],
      ['cross-site sign-in', request(t.app).post('/auth/password/login').set('Origin', 'https://evil.test').send({ email: 'a@b.c', password: 'x' })],
      ['unknown reset link', request(t.app).post('/auth/password/reset/unknown-token').send({ password: 'a-new-password-1' })],
      ['unknown challenge', request(t.app).post('/auth/mfa/verify').send({ challenge: 'unknown', code: '123456' })],
    ];
    for (const [label, pending] of refusals) {
      const res = await pending;
      const where = `${label} → ${res.status}`;
      assert.ok(res.status >= 400, where);
      assert.deepEqual(Object.keys(res.body), ['error'], where);
      assert.deepEqual(Object.keys(res.body.error).sort(), ['code', 'details', 'message'], where);
      assert.ok(codes.has(res.body.error.code), `${where}: ${res.body.error.code} is catalogued`);
      assert.equal(typeof res.body.error.message, 'string', where);
      assert.equal(typeof res.body.error.details, 'object', where);
    }
  });
});
