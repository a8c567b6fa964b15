import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import request, { type Response } from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { assertScimError, createScimTestApp, GROUP_SCHEMA, scimRequest } from '../support/scim.ts';
import { sql } from '../people/support.ts';
import { signIn } from '../admin/support.ts';

/**
 * How each surface reads a request body: a body its Content-Encoding label does not fit is a
 * 400 naming the body and the reason (zlib's error reached the mappers without a `type`, a 500).
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
});
