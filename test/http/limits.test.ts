import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { assertScimError, createScimTestApp, GROUP_SCHEMA, patchOps, postGroup, postUser, scimRequest, userBody } from '../support/scim.ts';

/**
 * Issue 9: every size a client controls has a limit, and going over it is a 4xx that names
 * the limit (and its config key), on the surface's own error format. The limits are set low
 * here so that crossing them is cheap; config/default.json holds the real ones.
 */
describe('limits on hostile input', () => {
  let t: TestApp;
  let org: SeededOrg;
  let scim: string;

  before(async () => {
    t = await createScimTestApp({
      bodyLimit: '8kb',
      bodyMaxDepth: 8,
      imports: { maxFileSize: '2kb', maxRowChars: 1024 },
      scim: { maxResults: 2, maxPatchOperations: 3, maxMembersPerRequest: 3, bodyLimit: '16kb' },
    });
    org = await seedOrg(t.container, 'acme');
    scim = org.tokens.scim;
  });
  after(() => t.close());

  /** `levels` objects, one inside the other. */
  const nested = (levels: number): unknown => {
    let value: unknown = 'x';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };

  describe('JSON bodies', () => {
    it('answers a SCIM body over scim.bodyLimit with 413 in the SCIM error format, saying how to split a group write', async () => {
      const res = await scimRequest(t, scim, 'post', '/Users', userBody('big', { title: 'x'.repeat(17_000) }));
      assertScimError(res, 413);
      assert.match(res.body.detail, /larger than the 16384 bytes accepted on \/scim\/v2 \(scim\.bodyLimit, SCIM_BODY_LIMIT\)/);
      assert.match(res.body.detail, /send a group's members in several PATCH requests of at most 3 members each/);
    });

    it('reads no SCIM body before the bearer token is checked: a stranger cannot make the server parse scim.bodyLimit bytes', async () => {
      const members = ['a', 'b', 'c', 'd'].map((value) => ({ value, display: value.repeat(3_000) }));
      const res = await request(t.app).post('/scim/v2/Groups').set('Content-Type', 'application/scim+json')
        .send(`${JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: 'Wide', members })}}`);
      assertScimError(res, 401);
    });

    it('advertises the SCIM body limit in ServiceProviderConfig bulk.maxPayloadSize (RFC 7643 §5), bulk itself unsupported', async () => {
      const config = await scimRequest(t, scim, 'get', '/ServiceProviderConfig');
      assert.deepEqual(config.body.bulk, { supported: false, maxOperations: 0, maxPayloadSize: 16_384 });
    });

    it('reads a SCIM body over bodyLimit but within scim.bodyLimit, so a large group write meets the members limit an admin can act on', async () => {
      // Before, Okta pushing 10,000 members with display names (> 1 MB) got 413 naming bodyLimit, not scim.maxMembersPerRequest.
      const members = ['a', 'b', 'c', 'd'].map((value) => ({ value, display: value.repeat(3_000) }));
      const res = await scimRequest(t, scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Wide', members });
      assertScimError(res, 413);
      assert.match(res.body.detail, /4 group members; at most 3 .*\(scim\.maxMembersPerRequest\)/);
    });

    it('answers an admin API body over the size limit with 413 naming the limit in bytes', async () => {
      const res = await request(t.app).post(`/api/orgs/${org.slug}/invitations`).set('Authorization', `Bearer ${org.tokens.admin}`).send({ emails: ['a'.repeat(9000)] });
      assert.equal(res.status, 413, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'payload_too_large');
      assert.equal(res.body.error.details.limit, 8192);
      assert.equal(res.body.error.details.setting, 'bodyLimit');
      assert.match(res.body.error.message, /8192 bytes \(bodyLimit\)/);
    });

    it('refuses a SCIM body nested deeper than bodyMaxDepth with 400 naming the limit', async () => {
      const res = await scimRequest(t, scim, 'post', '/Users', userBody('deep', { extra: nested(8) }));
      assertScimError(res, 400, 'invalidValue');
      assert.match(res.body.detail, /deeper than 8 levels \(limit bodyMaxDepth\)/);
    });

    it('accepts a SCIM body nested exactly to bodyMaxDepth', async () => {
      // The resource is level 1, so the extra value may nest 7 levels.
      const res = await scimRequest(t, scim, 'post', '/Users', userBody('at-limit', { extra: nested(7) }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
    });

    it('refuses a deeply nested admin API body with 400 invalid_input naming the limit, even 50,000 levels deep', async () => {
      const body = `${'['.repeat(3000)}${']'.repeat(3000)}`;
      const res = await request(t.app).post(`/api/orgs/${org.slug}/invitations`).set('Authorization', `Bearer ${org.tokens.admin}`).set('Content-Type', 'application/json').send(body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'invalid_input');
      assert.match(res.body.error.message, /bodyMaxDepth/);
      const deepest = await request(t.app).post('/scim/v2/Users').set('Authorization', `Bearer ${scim}`).set('Content-Type', 'application/scim+json').send(`{"a":${'['.repeat(4000)}${']'.repeat(4000)}}`);
      assertScimError(deepest, 400, 'invalidValue');
    });
  });

  describe('SCIM list requests', () => {
    before(async () => {
      for (const name of ['l1', 'l2', 'l3']) await postUser(t, scim, `${name}@example.com`);
    });

    it('refuses a filter over maxFilterLength with 400 invalidFilter naming the limit', async () => {
      const res = await scimRequest(t, scim, 'get', '/Users').query({ filter: `userName eq "${'a'.repeat(4100)}"` });
      assertScimError(res, 400, 'invalidFilter');
      assert.match(res.body.detail, /longer than 4096 characters \(maxFilterLength\)/);
    });

    it('refuses a filter nested deeper than maxFilterDepth with 400 invalidFilter naming the limit', async () => {
      const filter = `${'not ('.repeat(17)}userName pr${')'.repeat(17)}`;
      const res = await scimRequest(t, scim, 'get', '/Users').query({ filter });
      assertScimError(res, 400, 'invalidFilter');
      assert.match(res.body.detail, /deeper than 16 levels \(maxFilterDepth\)/);
    });

    it('clamps count to scim.maxResults and says so in itemsPerPage', async () => {
      const res = await scimRequest(t, scim, 'get', '/Users').query({ count: 100000 });
      assert.equal(res.status, 200);
      assert.equal(res.body.itemsPerPage, 2);
      assert.ok(res.body.totalResults >= 3);
      const config = await scimRequest(t, scim, 'get', '/ServiceProviderConfig');
      assert.equal(config.body.filter.maxResults, 2);
    });

    it('answers absurd count and startIndex values without a 5xx', async () => {
      for (const query of [{ count: '-5' }, { count: '1e400' }, { startIndex: '1e20' }, { startIndex: '9007199254740993' }, { count: 'ten' }]) {
        const res = await scimRequest(t, scim, 'get', '/Users').query(query);
        assert.ok(res.status === 200 || res.status === 400, `${JSON.stringify(query)}: ${res.status} ${JSON.stringify(res.body)}`);
        if (res.status === 400) assertScimError(res, 400, 'invalidValue');
      }
    });
  });

  describe('SCIM writes', () => {
    let userId: string;
    const ids: string[] = [];

    before(async () => {
      userId = String((await postUser(t, scim, 'patched@example.com')).id);
      for (const name of ['m1', 'm2', 'm3', 'm4']) ids.push(String((await postUser(t, scim, `${name}@example.com`)).id));
    });

    it('refuses a PATCH with more operations than scim.maxPatchOperations with 413, changing nothing', async () => {
      const op = (title: string) => ({ op: 'replace', path: 'title', value: title });
      const before = await scimRequest(t, scim, 'get', `/Users/${userId}`);
      const res = await scimRequest(t, scim, 'patch', `/Users/${userId}`, patchOps(op('a'), op('b'), op('c'), op('d')));
      assertScimError(res, 413);
      assert.match(res.body.detail, /4 Operations; at most 3 .*\(scim\.maxPatchOperations\)/);
      const after = await scimRequest(t, scim, 'get', `/Users/${userId}`);
      assert.equal(after.headers.etag, before.headers.etag);
      const ok = await scimRequest(t, scim, 'patch', `/Users/${userId}`, patchOps(op('a'), op('b'), op('c')));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
    });

    it('refuses a group POST or PUT naming more members than scim.maxMembersPerRequest with 413', async () => {
      const members = ids.map((value) => ({ value }));
      const created = await scimRequest(t, scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Too big', members });
      assertScimError(created, 413);
      assert.match(created.body.detail, /4 group members; at most 3 .*\(scim\.maxMembersPerRequest\)/);
      const group = await postGroup(t, scim, 'Small', ids.slice(0, 3));
      const replaced = await scimRequest(t, scim, 'put', `/Groups/${group.id}`, { schemas: [GROUP_SCHEMA], displayName: 'Small', members });
      assertScimError(replaced, 413);
    });

    it('counts members across the operations of a group PATCH, path-less values included', async () => {
      const group = await postGroup(t, scim, 'Patched');
      const add = (values: string[]) => ({ op: 'add', path: 'members', value: values.map((value) => ({ value })) });
      const refused = await scimRequest(t, scim, 'patch', `/Groups/${group.id}`, patchOps(add(ids.slice(0, 2)), { op: 'add', value: { members: ids.slice(2).map((value) => ({ value })) } }));
      assertScimError(refused, 413);
      const members = await scimRequest(t, scim, 'get', `/Groups/${group.id}`);
      assert.deepEqual(members.body.members ?? [], [], 'a refused PATCH added members');
      const accepted = await scimRequest(t, scim, 'patch', `/Groups/${group.id}`, patchOps(add(ids.slice(0, 3))));
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    });
  });

  describe('CSV imports', () => {
    const upload = (body: string) =>
      request(t.app).post(`/api/orgs/${org.slug}/imports`).query({ mode: 'upsert' }).set('Authorization', `Bearer ${org.tokens.admin}`).set('Content-Type', 'text/csv').send(body);

    it('refuses a file over imports.maxFileSize with 413 naming the limit', async () => {
      const res = await upload(`Email\n${'someone@example.com\n'.repeat(120)}`);
      assert.equal(res.status, 413, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'payload_too_large');
      assert.match(res.body.error.message, /limit of 2048 bytes/);
    });

    it('refuses a row over imports.maxRowChars with 400 naming the limit', async () => {
      const res = await upload(`Email,Title\na@example.com,"${'x'.repeat(1100)}"\n`);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, /larger than 1024 characters/);
    });
  });
});
