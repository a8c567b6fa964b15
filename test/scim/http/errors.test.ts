import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import request from 'supertest';
import { createLogger } from '../../../src/lib/logger.ts';
import { createTestApp, seedOrg, testActor, type SeededOrg, type TestApp } from '../../support/app.ts';
import { createApiToken, revokeApiToken } from '../../../src/directory/tokens.ts';
import { ENTERPRISE_SCHEMA as ENTERPRISE, USER_SCHEMA, assertScimError, createScimTestApp, patchOps, scimRequest, sql, userBody } from '../../support/scim.ts';

describe('SCIM errors', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const userCount = async () => (await sql(t, 'select count(*)::int as n from users'))[0]!.n;

  describe('authentication', () => {
    it('answers 401 with an RFC 7644 error body and WWW-Authenticate when the token is missing', async () => {
      const res = await scimRequest(t, undefined, 'get', '/Users');
      assertScimError(res, 401);
      assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
    });

    it('answers 401 with an RFC 7644 error body for an unknown token', async () => {
      assertScimError(await scimRequest(t, 'gh_scim_not-a-real-token', 'get', '/Users'), 401);
    });

    it('answers 401 for a non-Bearer Authorization header', async () => {
      const res = await request(t.app).get('/scim/v2/Users').set('Authorization', `Basic ${Buffer.from('a:b').toString('base64')}`);
      assertScimError(res, 401);
    });

    it('answers 401 for a token revoked through the admin API', async () => {
      const created = await request(t.app)
        .post('/api/orgs/acme/tokens')
        .set('Authorization', `Bearer ${acme.tokens.admin}`)
        .send({ scope: 'scim', name: 'Entra' })
        .expect(201);
      await scimRequest(t, created.body.token, 'get', '/Users').expect(200);
      await request(t.app).delete(`/api/orgs/acme/tokens/${created.body.id}`).set('Authorization', `Bearer ${acme.tokens.admin}`).expect(200);
      assertScimError(await scimRequest(t, created.body.token, 'get', '/Users'), 401);
    });

    it('answers 401 for a token revoked with revokeApiToken, and writes nothing', async () => {
      const scope = { orgId: acme.id, orgSlug: acme.slug, actor: testActor };
      const { token, record } = await createApiToken(t.container.fork(), scope, { scope: 'scim', name: 'Okta' });
      await scimRequest(t, token, 'get', '/Users').expect(200);
      await revokeApiToken(t.container.fork(), scope, record.id, new Date());
      const before = await userCount();
      assertScimError(await scimRequest(t, token, 'post', '/Users', userBody('revoked@acme.test')), 401);
      assert.equal(await userCount(), before);
    });

    it('answers 401 when an admin-scope token is used on SCIM', async () => {
      assertScimError(await scimRequest(t, acme.tokens.admin, 'get', '/Users'), 401);
      assertScimError(await scimRequest(t, acme.tokens.admin, 'get', '/ServiceProviderConfig'), 401);
    });

    for (const [method, path] of [
      ['get', '/Users'],
      ['post', '/Users'],
      ['get', '/Groups'],
      ['post', '/.search'],
      ['get', '/Schemas'],
      ['delete', '/Users/00000000-0000-7000-8000-000000000000'],
    ] as const) {
      it(`requires a token on ${method.toUpperCase()} ${path}`, async () => {
        assertScimError(await scimRequest(t, undefined, method, path, method === 'post' ? { schemas: [USER_SCHEMA] } : undefined), 401);
      });
    }
  });

  describe('routes and bodies', () => {
    it('answers 404 with a SCIM error body for an unknown SCIM route', async () => {
      assertScimError(await scimRequest(t, acme.tokens.scim, 'get', '/Widgets'), 404);
      assertScimError(await scimRequest(t, acme.tokens.scim, 'post', '/Widgets', { Operations: [] }), 404);
    });

    it('answers 405 with Allow and a SCIM error body for a method an existing endpoint does not take', async () => {
      const cases: Array<[string, string, string]> = [
        ['delete', '/Users', 'GET, HEAD, POST'],
        ['patch', '/Groups/', 'GET, HEAD, POST'],
        ['post', '/Users/00000000-0000-7000-8000-000000000000', 'GET, HEAD, PUT, PATCH, DELETE'],
        ['put', '/ServiceProviderConfig', 'GET, HEAD'],
        ['delete', '/.search', 'POST'],
        ['delete', '/schemas/urn:ietf:params:scim:schemas:core:2.0:User', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        const res = await scimRequest(t, acme.tokens.scim, method as 'get', path, ['post', 'put', 'patch'].includes(method) ? {} : undefined);
        assertScimError(res, 405);
        assert.equal(res.headers.allow, allow, `${method} ${path}`);
        assert.equal(res.headers.etag, undefined);
      }
    });

    it('puts no ETag on an error: a 412 or 404 carries no tag a client could take for the resource version', async () => {
      const user = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('etag-error@acme.test')).expect(201);
      const stale = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'x' }] })
        .set('If-Match', 'W/"999"');
      assertScimError(stale, 412);
      assert.equal(stale.headers.etag, undefined);
      const missing = await scimRequest(t, acme.tokens.scim, 'get', '/Users/00000000-0000-7000-8000-000000000000');
      assertScimError(missing, 404);
      assert.equal(missing.headers.etag, undefined);
      const taken = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('etag-error@acme.test'));
      assertScimError(taken, 409);
      assert.equal(taken.headers.etag, undefined);
    });

    // RFC 7644 §3.11: a provider without /Me SHOULD answer 501; §3.7 and §3.12: so does one without bulk.
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      it(`answers 501 Not Implemented with a SCIM error body to ${method.toUpperCase()} /Me`, async () => {
        const res = await scimRequest(t, acme.tokens.scim, method, '/Me', ['post', 'put', 'patch'].includes(method) ? userBody('me@acme.test') : undefined);
        assertScimError(res, 501);
        assert.match(res.body.detail, /\/Me/);
      });
    }

    it('answers 501 Not Implemented with a SCIM error body to POST /Bulk, and writes nothing', async () => {
      const before = await userCount();
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Bulk', {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: userBody('bulk@acme.test') }],
      });
      assertScimError(res, 501);
      assert.match(res.body.detail, /[Bb]ulk/);
      assert.equal(await userCount(), before);
    });

    it('asks for a token before answering 501 on /Me and /Bulk', async () => {
      assertScimError(await scimRequest(t, undefined, 'get', '/Me'), 401);
      assertScimError(await scimRequest(t, undefined, 'post', '/Bulk', { Operations: [] }), 401);
    });

    it('answers 404 with a SCIM error body for an unknown or malformed id', async () => {
      assertScimError(await scimRequest(t, acme.tokens.scim, 'get', '/Users/00000000-0000-7000-8000-000000000000'), 404);
      assertScimError(await scimRequest(t, acme.tokens.scim, 'get', '/Users/not-a-uuid'), 404);
      assertScimError(await scimRequest(t, acme.tokens.scim, 'get', '/Groups/not-a-uuid'), 404);
    });

    it('answers 400 invalidSyntax with a SCIM body for malformed JSON, and writes nothing', async () => {
      const before = await userCount();
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', '{"userName": "broken@acme.test",');
      assertScimError(res, 400, 'invalidSyntax');
      assert.equal(await userCount(), before);
    });

    it('answers 400 invalidSyntax for a JSON body that is not an object', async () => {
      assertScimError(await scimRequest(t, acme.tokens.scim, 'post', '/Users', '["a"]'), 400, 'invalidSyntax');
    });

    it('answers a JSON scalar body (null, a number, a string, true) as valid JSON that is not an object, not as malformed JSON', async () => {
      // Before: "The request body is not valid JSON: Unexpected token 'n', "null" is not valid JSON".
      for (const [text, kind] of [['null', 'null'], ['42', 'a number'], [' "x" ', 'a string'], ['true', 'a boolean']]) {
        const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', text!);
        assertScimError(res, 400, 'invalidSyntax');
        assert.equal(res.body.detail, `The request body must be a JSON object, got ${kind}`);
      }
    });

    it('answers 415 with a SCIM body naming the charset for a body in a charset other than UTF-8, and writes nothing', async () => {
      const before = await userCount();
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('latin1@acme.test'), { 'Content-Type': 'application/scim+json; charset=iso-8859-1' });
      assertScimError(res, 415);
      assert.match(res.body.detail, /charset/i);
      assert.match(res.body.detail, /ISO-8859-1/i);
      assert.equal(await userCount(), before);
    });

    it('answers 415 with a SCIM body naming the encoding for an unknown Content-Encoding (401 first without a token: no body is read before it)', async () => {
      assertScimError(await scimRequest(t, undefined, 'post', '/Users', userBody('bogus@acme.test'), { 'Content-Encoding': 'bogus' }), 401);
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('bogus@acme.test'), { 'Content-Encoding': 'bogus' });
      assertScimError(res, 415);
      assert.match(res.body.detail, /encoding/i);
      assert.match(res.body.detail, /bogus/);
    });

    it('answers 415 naming the accepted media types for a JSON body sent as text/plain, and writes nothing', async () => {
      const before = await userCount();
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('plain@acme.test'), { 'Content-Type': 'text/plain' });
      assertScimError(res, 415);
      assert.match(res.body.detail, /text\/plain/);
      assert.match(res.body.detail, /application\/scim\+json/);
      assert.match(res.body.detail, /application\/json/);
      assert.equal(res.headers.accept, 'application/scim+json, application/json');
      assert.equal(await userCount(), before);
    });

    it('answers 415 on PUT, PATCH and POST /.search with a body of another media type, or of none', async () => {
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('typed@acme.test')).expect(201);
      const path = `/Users/${created.body.id}`;
      assertScimError(await scimRequest(t, acme.tokens.scim, 'put', path, userBody('typed@acme.test'), { 'Content-Type': 'application/xml' }), 415);
      assertScimError(await scimRequest(t, acme.tokens.scim, 'patch', path, { Operations: [] }, { 'Content-Type': 'application/x-www-form-urlencoded' }), 415);
      assertScimError(await scimRequest(t, acme.tokens.scim, 'post', '/.search', { filter: 'userName eq "x"' }, { 'Content-Type': 'application/merge-patch+json' }), 415);
      const untyped = await request(t.app).post('/scim/v2/Users').set('Authorization', `Bearer ${acme.tokens.scim}`).unset('Content-Type').send(Buffer.from(JSON.stringify(userBody('untyped@acme.test'))));
      assertScimError(untyped, 415);
      const unchanged = await scimRequest(t, acme.tokens.scim, 'get', path).expect(200);
      assert.equal(unchanged.body.meta.version, created.body.meta.version);
    });

    it('accepts application/json and application/scim+json with a charset parameter, and bodiless GET and DELETE of any type', async () => {
      await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('json@acme.test'), { 'Content-Type': 'application/json' }).expect(201);
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('utf8@acme.test'), { 'Content-Type': 'application/scim+json; charset=utf-8' }).expect(201);
      await scimRequest(t, acme.tokens.scim, 'get', '/Users', undefined, { 'Content-Type': 'text/plain' }).expect(200);
      await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${created.body.id}`, undefined, { 'Content-Type': 'text/plain' }).expect(204);
    });

    it('answers 401, not 415, to a request without a token whatever its media type', async () => {
      assertScimError(await scimRequest(t, undefined, 'post', '/Users', userBody('anon@acme.test'), { 'Content-Type': 'text/plain' }), 401);
    });

    it('answers 400 with a SCIM body for a PATCH without Operations', async () => {
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('nops@acme.test')).expect(201);
      const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${created.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] });
      assertScimError(res, 400);
    });

    it('answers 400 invalidValue naming emails, not a 500, for an email address longer than the directory holds, and writes nothing', async () => {
      const before = await userCount();
      const long = `${'a'.repeat(320)}@acme.test`;
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('long-mail@acme.test', { emails: [{ value: long, type: 'work' }] }));
      assertScimError(created, 400, 'invalidValue');
      assert.match(created.body.detail, /emails: must be at most 320 characters/);
      assert.equal(await userCount(), before);
      const user = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('short-mail@acme.test')).expect(201);
      const path = `/Users/${user.body.id}`;
      assertScimError(await scimRequest(t, acme.tokens.scim, 'patch', path, patchOps({ op: 'Add', path: 'emails[type eq "work"].value', value: long })), 400, 'invalidValue');
      assertScimError(await scimRequest(t, acme.tokens.scim, 'put', path, userBody('short-mail@acme.test', { emails: [{ value: long }] })), 400, 'invalidValue');
      assert.equal((await scimRequest(t, acme.tokens.scim, 'get', path).expect(200)).body.meta.version, user.body.meta.version);
    });

    it('names the SCIM attribute, not the directory column, when a mobile number or a manager id is too long', async () => {
      const user = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('long-fields@acme.test')).expect(201);
      const path = `/Users/${user.body.id}`;
      const phone = await scimRequest(t, acme.tokens.scim, 'patch', path, patchOps({ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '1'.repeat(51) }));
      assertScimError(phone, 400, 'invalidValue');
      assert.equal(phone.body.detail, 'phoneNumbers: must be at most 50 characters');
      const manager = await scimRequest(t, acme.tokens.scim, 'patch', path, patchOps({ op: 'Add', path: `${ENTERPRISE}:manager`, value: 'm'.repeat(321) }));
      assertScimError(manager, 400, 'invalidValue');
      assert.equal(manager.body.detail, `${ENTERPRISE}:manager.value: must be at most 320 characters`);
    });
  });

  describe('logging', () => {
    let logged: TestApp;
    const lines: Array<{ level: number; msg: string; status?: number; detail?: string }> = [];

    before(async () => {
      logged = await createTestApp({ logger: createLogger('trace', { write: (line: string) => void lines.push(JSON.parse(line)) }) });
    });
    beforeEach(() => void lines.splice(0));
    after(() => logged.close());

    it('logs 501 on /Me and /Bulk below error level: they are answers, not failures', async () => {
      const org = await seedOrg(logged.container, 'logged');
      assertScimError(await scimRequest(logged, org.tokens.scim, 'get', '/Me'), 501);
      assertScimError(await scimRequest(logged, org.tokens.scim, 'post', '/Bulk', { Operations: [] }), 501);
      assert.equal(lines.filter((l) => l.msg === 'SCIM request refused' && l.status === 501).length, 2, JSON.stringify(lines));
      assert.deepEqual(lines.filter((l) => l.level >= 50 && l.msg !== 'request'), [], 'nothing at error level but the access log');
    });

    it('refuses an upload the client aborts as a 400, logged below error level, not as "SCIM request failed"', async () => {
      const org = await seedOrg(logged.container, 'aborted');
      const server = logged.app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const { port } = server.address() as AddressInfo;
        const headers = { 'Content-Type': 'application/scim+json', 'Content-Length': '1000', Authorization: `Bearer ${org.tokens.scim}` };
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/scim/v2/Users', headers });
        req.on('error', () => {});
        req.write('{"userName":');
        await setTimeout(50);
        req.destroy();
        for (let i = 0; i < 100 && !lines.some((l) => l.msg === 'SCIM request refused' || l.msg === 'SCIM request failed'); i++) await setTimeout(10);
      } finally {
        server.close();
      }
      const refused = lines.find((l) => l.msg === 'SCIM request refused');
      assert.equal(refused?.status, 400, JSON.stringify(lines));
      assert.match(refused?.detail ?? '', /aborted/);
      assert.deepEqual(lines.filter((l) => l.level >= 50), [], 'nothing at error level');
    });
  });

  describe('rate limit', () => {
    let limited: TestApp;
    let a: SeededOrg;
    let b: SeededOrg;

    before(async () => {
      limited = await createTestApp({ config: { scim: { maxResults: 100, rateLimit: { requestsPerSecond: 1, burst: 3 } } } });
      a = await seedOrg(limited.container, 'acme');
      b = await seedOrg(limited.container, 'globex');
    });
    after(() => limited.close());

    it('answers the 4th quick request with 429, Retry-After and a SCIM error body, while another org is not affected', async () => {
      for (let i = 0; i < 3; i++) await scimRequest(limited, a.tokens.scim, 'get', '/Users').expect(200);
      const res = await scimRequest(limited, a.tokens.scim, 'get', '/Users');
      assertScimError(res, 429);
      const retryAfter = Number(res.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After: ${res.headers['retry-after']}`);
      // A refused write writes nothing.
      const before = (await sql(limited, 'select count(*)::int as n from users'))[0]!.n;
      assertScimError(await scimRequest(limited, a.tokens.scim, 'post', '/Users', userBody('limited@acme.test')), 429);
      assert.equal((await sql(limited, 'select count(*)::int as n from users'))[0]!.n, before);
      await scimRequest(limited, b.tokens.scim, 'get', '/Users').expect(200);
    });
  });
});
