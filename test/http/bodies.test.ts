import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import request, { type Response } from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { assertScimError, createScimTestApp, GROUP_SCHEMA, scimRequest } from '../support/scim.ts';
import { addUser, sql } from '../people/support.ts';
import { signIn } from '../admin/support.ts';
import { mapError } from '../../src/http/errors.ts';
import { mapScimError } from '../../src/scim/errors.ts';

/**
 * How each surface reads a request body: a body its Content-Encoding label does not fit is a
 * 400 naming the body and the reason (zlib's error reached the mappers without a `type`, a 500);
 * a body of a media type the route does not read is 415 (it was ignored: a PATCH sent as
 * text/plain answered 200 and changed nothing).
 */
describe('request bodies', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp({ auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } });
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const admin = () => ({ Authorization: `Bearer ${acme.tokens.admin}` });
  const groupCount = async () => (await sql(t, 'select count(*)::int as n from groups'))[0]!.n;
  const body = '{"displayName":"TP"}';
  /** Bytes as they are: superagent would JSON-serialize a Buffer sent with a JSON Content-Type. */
  const postBytes = (path: string, bytes: Buffer, headers: Record<string, string>) =>
    request(t.app).post(path).set(admin()).set(headers).serialize((data: unknown) => data as string).send(bytes);

  function assertUndecodable(res: Response, encoding: string): void {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'invalid_input');
    assert.deepEqual(res.body.error.details.problems.map((p: { field: string }) => p.field), ['body']);
    assert.match(res.body.error.message, new RegExp(`^body: is not valid ${encoding} data \\(Content-Encoding: ${encoding}\\)`));
  }

  describe('Content-Encoding', () => {
    it('refuses an admin API body that is not what its Content-Encoding says with 400 naming the body, and writes nothing', async () => {
      const before = await groupCount();
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await request(t.app).post('/api/orgs/acme/groups').set(admin()).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send(body);
        assertUndecodable(res, encoding);
      }
      const truncated = await postBytes('/api/orgs/acme/groups', gzipSync(body).subarray(0, 12), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      assertUndecodable(truncated, 'gzip');
      assert.equal(await groupCount(), before);
    });

    it('still reads a gzip, deflate or br body that is what it says', async () => {
      for (const [encoding, compressed] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
        const res = await postBytes('/api/orgs/acme/groups', compressed(`{"displayName":"Zipped ${encoding}"}`), { 'Content-Type': 'application/json', 'Content-Encoding': encoding });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    });

    it('refuses such a body on /auth, as JSON and as a form', async () => {
      const json = await request(t.app).post('/auth/password/login').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('{"email":"a@acme.example","password":"x"}');
      assertUndecodable(json, 'gzip');
      const form = await request(t.app).post('/auth/password/reset-request').type('form').set('Content-Encoding', 'deflate').send('email=a%40acme.example');
      assertUndecodable(form, 'deflate');
    });

    it('answers such a form post to the console with a 400 page', async () => {
      const person = await signIn(t, acme, 'olga@acme.example');
      const res = await request(t.app).post('/console/logout').set('Cookie', person.cookie).type('form').set('Content-Encoding', 'gzip').send('x=1');
      assert.equal(res.status, 400, res.text);
      assert.match(res.headers['content-type'] ?? '', /^text\/html/);
      assert.match(res.text, /body: is not valid gzip data/);
    });

    it('answers SCIM with a 400 SCIM error naming the body', async () => {
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Groups', JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: 'SCIM TP' }), { 'Content-Encoding': 'br' });
      assertScimError(res, 400);
      assert.match(res.body.detail, /^body: is not valid br data \(Content-Encoding: br\)/);
    });
  });

  describe('media types', () => {
    let userId: string;
    before(async () => {
      userId = await addUser(t, acme, { userName: 'typed@acme.example', email: 'typed@acme.example' });
    });

    const userRow = async () => (await sql(t, 'select title, state, version from users where id = ?', [userId]))[0];

    function assertUnsupported(res: Response, type: string | null, accepted: RegExp): void {
      assert.equal(res.status, 415, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'unsupported_media_type');
      assert.match(res.body.error.message, type ? new RegExp(`Content-Type "${type.replace(/[/+]/g, '\\$&')}"`) : /needs a Content-Type/);
      assert.match(res.body.error.message, accepted);
    }

    it('refuses an admin API body sent as text/plain, a form or with no Content-Type with 415 naming it and application/json, changing nothing', async () => {
      const before = await userRow();
      const groups = await groupCount();
      const patch = (type: string | null, payload: string) => {
        const req = request(t.app).patch(`/api/orgs/acme/users/${userId}`).set(admin());
        return type ? req.set('Content-Type', type).send(payload) : req.unset('Content-Type').send(Buffer.from(payload));
      };
      const plain = await patch('text/plain', '{"title":"x"}');
      assertUnsupported(plain, 'text/plain', /application\/json/);
      assert.equal(plain.headers.accept, 'application/json');
      assertUnsupported(await patch('application/x-www-form-urlencoded', 'title=x'), 'application/x-www-form-urlencoded', /application\/json/);
      assertUnsupported(await patch(null, '{"title":"x"}'), null, /application\/json/);
      const group = await request(t.app).post('/api/orgs/acme/groups').set(admin()).set('Content-Type', 'text/plain').send('{"displayName":"x"}');
      assertUnsupported(group, 'text/plain', /application\/json/);
      assert.deepEqual(await userRow(), before);
      assert.equal(await groupCount(), groups);
    });

    it('reads JSON with a charset parameter, and body-less actions whatever they are labelled', async () => {
      const patched = await request(t.app).patch(`/api/orgs/acme/users/${userId}`).set(admin()).set('Content-Type', 'application/json; charset=utf-8').send('{"title":"Typed"}');
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.title, 'Typed');
      const disabled = await request(t.app).post(`/api/orgs/acme/users/${userId}/disable`).set(admin());
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
      const reactivated = await request(t.app).post(`/api/orgs/acme/users/${userId}/reactivate`).set(admin()).set('Content-Type', 'text/plain').set('Content-Length', '0');
      assert.equal(reactivated.status, 200, JSON.stringify(reactivated.body));
    });

    it('answers 401, not 415, to a caller without a token', async () => {
      const res = await request(t.app).patch(`/api/orgs/acme/users/${userId}`).set('Content-Type', 'text/plain').send('{"title":"x"}');
      assert.equal(res.status, 401);
    });

    it('refuses a /auth body that is neither JSON nor a form with 415 naming both, and reads both as before', async () => {
      const login = await request(t.app).post('/auth/password/login').set('Content-Type', 'text/plain').send('{"email":"a@acme.example","password":"x"}');
      assertUnsupported(login, 'text/plain', /application\/json or application\/x-www-form-urlencoded/);
      assert.equal(login.headers.accept, 'application/json, application/x-www-form-urlencoded');
      assertUnsupported(await request(t.app).post('/auth/mfa/verify').set('Content-Type', 'application/xml').send('<code/>'), 'application/xml', /application\/json/);
      await request(t.app).post('/auth/password/login').send({ email: 'nobody@acme.example', password: 'x' }).expect(401);
      await request(t.app).post('/auth/password/login').type('form').send('email=nobody%40acme.example&password=x').expect(401);
    });
  });

  describe('forms with too many fields', () => {
    const crowded = Array.from({ length: 40 }, (_, i) => `f${i}=x`).join('&');

    it('answers a form post to /auth with more fields than it reads with 413 naming the limit, not 500', async () => {
      const res = await request(t.app).post('/auth/password/login').type('form').send(crowded);
      assert.equal(res.status, 413, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'too_many_fields');
      assert.match(res.body.error.message, /more than 20 fields/);
    });

    it('maps any other refusal of the body parser to its 4xx, on both surfaces, never 500', () => {
      // What body-parser throws when fewer bytes arrive than Content-Length announced.
      const refused = Object.assign(new Error('request size did not match content length'), { type: 'request.size.invalid', status: 400, expose: true });
      const api = mapError(refused);
      assert.deepEqual([api.status, api.code], [400, 'unreadable_body']);
      assert.match(api.message, /request size did not match content length/);
      const scim = mapScimError(refused);
      assert.equal(scim.status, 400);
      assert.equal(scim.body.status, '400');
      // A server-side stream fault keeps its 500.
      assert.equal(mapError(Object.assign(new Error('stream is not readable'), { type: 'stream.not.readable', status: 500 })).status, 500);
    });

    it('answers one to the invitation form the same way', async () => {
      const res = await request(t.app).post('/invitations/gh_invite_nothing').type('form').send(crowded);
      assert.equal(res.status, 413, res.text);
    });
  });

  describe('keys given twice', () => {
    const send = (method: 'post' | 'patch', path: string, text: string) =>
      request(t.app)[method](`/api/orgs/acme${path}`).set(admin()).set('Content-Type', 'application/json').send(text);

    it('refuses an admin API body naming one field twice with 400 invalid_input naming the field, writing nothing', async () => {
      const groups = await groupCount();
      const res = await send('post', '/groups', '{"displayName":"First","displayName":"Second"}');
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'invalid_input');
      assert.deepEqual(res.body.error.details.problems, [{ field: 'displayName', reason: 'is given twice: send each field once' }]);
      assert.equal(await groupCount(), groups);
    });

    it('answers 401, not 400, to a caller without a token', async () => {
      await request(t.app).post('/api/orgs/acme/groups').set('Content-Type', 'application/json').send('{"displayName":"A","displayName":"B"}').expect(401);
    });

    it('names a field given twice inside a nested object by its path', async () => {
      const res = await send('patch', '/settings', '{"passwordPolicy":{"minLength":12,"minLength":8}}');
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(res.body.error.details.problems.map((p: { field: string }) => p.field), ['passwordPolicy.minLength']);
      assert.notEqual((await request(t.app).get('/api/orgs/acme/settings').set(admin())).body.passwordPolicy.minLength, 8);
    });

    it('reads names that differ only in case as different fields (admin API names are case-sensitive)', async () => {
      const res = await send('patch', '/settings', '{"sessionCap":4,"SessionCap":5}');
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.doesNotMatch(res.body.error.message, /twice/, 'an unknown field, not a repeated one');
    });
  });
});
