import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, SCIM_JSON, USER_SCHEMA, assertScimError, createScimTestApp, scimRequest } from '../../support/scim.ts';

type Json = Record<string, unknown>;

/** RFC 7644 §4: what Entra's validator and Okta/Keycloak clients read before provisioning. */
describe('SCIM discovery', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp({ scim: { maxResults: 250 } });
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const get = (path: string) => scimRequest(t, acme.tokens.scim, 'get', path);

  for (const path of ['/ServiceProviderConfig', '/serviceConfiguration']) {
    it(`advertises patch, filter with maxResults, etag, sort and cursor pagination at ${path}`, async () => {
      const res = await get(path).expect(200);
      const spc = res.body as Json & Record<string, Json>;
      assert.deepEqual(spc.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
      assert.equal(spc.patch!.supported, true);
      assert.equal(spc.filter!.supported, true);
      assert.equal(spc.filter!.maxResults, 250);
      assert.equal(spc.etag!.supported, true);
      assert.equal(spc.sort!.supported, true);
      assert.equal(spc.bulk!.supported, false);
      assert.equal(spc.changePassword!.supported, false);
      assert.equal(spc.pagination!.cursor, true);
      assert.equal(spc.pagination!.index, true);
      assert.equal(spc.pagination!.maxPageSize, 250);
      const schemes = spc.authenticationSchemes as unknown as Json[];
      assert.ok(schemes.some((s) => s.type === 'oauthbearertoken'));
      assert.ok(schemes.some((s) => s.type === 'httpbasic' && s.primary === false), 'Basic: the token as the password');
    });
  }

  it('lists the User and Group resource types with their endpoints and schemas', async () => {
    const res = await get('/ResourceTypes').expect(200);
    assert.deepEqual(res.body.schemas, [LIST_SCHEMA]);
    assert.equal(res.body.totalResults, 2);
    const byId = new Map((res.body.Resources as Json[]).map((r) => [r.id, r]));
    assert.equal(byId.get('User')?.endpoint, '/Users');
    assert.equal(byId.get('User')?.schema, USER_SCHEMA);
    assert.deepEqual((byId.get('User')?.schemaExtensions as Json[]).map((e) => e.schema), [ENTERPRISE_SCHEMA]);
    assert.equal(byId.get('Group')?.endpoint, '/Groups');
    assert.equal(byId.get('Group')?.schema, GROUP_SCHEMA);
  });

  it('serves one resource type at /ResourceTypes/User', async () => {
    const res = await get('/ResourceTypes/User').expect(200);
    assert.equal(res.body.id, 'User');
    assert.equal(res.body.name, 'User');
    assert.equal(res.body.endpoint, '/Users');
    assert.equal(res.body.meta.location, 'https://gatehouse.test/scim/v2/ResourceTypes/User');
  });

  it('answers 404 with a SCIM error for an unknown resource type', async () => {
    const res = await get('/ResourceTypes/Printer').expect(404);
    assert.equal(res.body.status, '404');
  });

  it('lists the User, enterprise User and Group schemas', async () => {
    const res = await get('/Schemas').expect(200);
    const schemaIds = (res.body.Resources as Json[]).map((s) => s.id).sort();
    assert.deepEqual(schemaIds, [ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA].sort());
    assert.equal(res.body.totalResults, 3);
  });

  it('describes the User schema with RFC 7643 characteristics (userName unique, not caseExact)', async () => {
    const res = await get(`/Schemas/${USER_SCHEMA}`).expect(200);
    assert.equal(res.body.id, USER_SCHEMA);
    const attributes = res.body.attributes as Json[];
    const userName = attributes.find((a) => a.name === 'userName')!;
    assert.equal(userName.uniqueness, 'server');
    assert.equal(userName.caseExact, false);
    assert.equal(userName.required, true);
    const password = attributes.find((a) => a.name === 'password');
    assert.equal(password?.returned, 'never');
    assert.ok(attributes.some((a) => a.name === 'emails' && a.multiValued === true));
  });

  it('describes the Group schema as the server behaves: displayName unique, members only Users', async () => {
    const res = await get(`/Schemas/${GROUP_SCHEMA}`).expect(200);
    const attributes = res.body.attributes as Json[];
    const displayName = attributes.find((a) => a.name === 'displayName')!;
    assert.deepEqual([displayName.uniqueness, displayName.caseExact, displayName.required], ['server', false, true]);
    const members = (attributes.find((a) => a.name === 'members')!.subAttributes as Json[]);
    assert.deepEqual(members.find((a) => a.name === 'type')?.canonicalValues, ['User']);
    assert.deepEqual(members.find((a) => a.name === '$ref')?.referenceTypes, ['User']);
    // What the schema says, the server does: a second "finance" is 409 uniqueness, a group is no member.
    const finance = await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Finance' }).expect(201);
    assertScimError(await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'finance' }), 409, 'uniqueness');
    const nested = await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Nested', members: [{ value: finance.body.id, type: 'Group' }] });
    assertScimError(nested, 400);
  });

  it('describes the enterprise User extension schema', async () => {
    const res = await get(`/Schemas/${ENTERPRISE_SCHEMA}`).expect(200);
    assert.equal(res.body.id, ENTERPRISE_SCHEMA);
    const names = (res.body.attributes as Json[]).map((a) => a.name);
    for (const name of ['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']) assert.ok(names.includes(name), name);
  });

  // RFC 7644 §4: "If a 'filter' is provided, the service provider SHOULD respond with HTTP status
  // code 403 (Forbidden) to ensure clients cannot incorrectly assume that any matching conditions
  // specified in a filter are true."
  for (const path of ['/ServiceProviderConfig', '/serviceConfiguration', '/ResourceTypes', '/ResourceTypes/User', '/Schemas', `/Schemas/${USER_SCHEMA}`]) {
    it(`answers 403 with a SCIM error body to a filter on ${path.replace(USER_SCHEMA, '{id}')}`, async () => {
      const res = await get(`${path}?filter=${encodeURIComponent('id eq "x"')}`);
      assertScimError(res, 403);
      assert.match(res.body.detail, /filter/);
    });
  }

  it('ignores an empty filter parameter on discovery endpoints', async () => {
    await get('/Schemas?filter=').expect(200);
  });

  it('still needs a token before it looks at a discovery filter', async () => {
    assertScimError(await scimRequest(t, undefined, 'get', '/Schemas?filter=id%20eq%20%22x%22'), 401);
  });

  it('answers every discovery and resource endpoint with application/scim+json', async () => {
    const paths = [
      '/ServiceProviderConfig',
      '/serviceConfiguration',
      '/ResourceTypes',
      '/ResourceTypes/User',
      '/ResourceTypes/Group',
      '/Schemas',
      `/Schemas/${USER_SCHEMA}`,
      `/Schemas/${ENTERPRISE_SCHEMA}`,
      `/Schemas/${GROUP_SCHEMA}`,
      '/Users',
      '/Groups',
    ];
    for (const path of paths) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers['content-type'] ?? '', SCIM_JSON, path);
    }
  });
});
