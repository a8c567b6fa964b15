import assert from 'node:assert/strict';
import request, { type Response } from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { assertScimError, createScimTestApp, GROUP_SCHEMA, patchOps, postUser, scimRequest, userBody } from '../support/scim.ts';
import { addUser, sql } from '../people/support.ts';
import { signIn } from '../admin/support.ts';

/**
 * PostgreSQL stores no U+0000 in text or jsonb, and a lone UTF-16 surrogate (JSON's "\ud800")
 * is not Unicode text at all: jsonb refuses it, text columns silently got U+FFFD. Such a string
 * anywhere in a request (body value or key, query string, path) is refused with a 400 naming
 * where it is, on every surface, before any handler runs — never a 500 from the driver, never
 * half a change, never a different value stored.
 */
describe('text the database cannot store', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let userId: string;

  before(async () => {
    t = await createScimTestApp({ auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } });
    acme = await seedOrg(t.container, 'acme');
    userId = await addUser(t, acme, { userName: 'pat@acme.example', email: 'pat@acme.example' });
  });
  after(() => t.close());

  const NUL = 'a\u0000b';
  const admin = () => ({ Authorization: `Bearer ${acme.tokens.admin}` });
  /** A JSON body as a client writes it: the NUL as the escape `\u0000`. */
  const json = (method: 'post' | 'patch', path: string, body: unknown) =>
    request(t.app)[method](path).set(admin()).set('Content-Type', 'application/json').send(JSON.stringify(body));
  const count = async (table: string) => (await sql(t, `select count(*)::int as n from ${table}`))[0]!.n;

  function assertRefused(res: Response, field: string, reason: RegExp): void {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'invalid_input');
    assert.equal(res.body.error.details.problems.length, 1, JSON.stringify(res.body));
    assert.equal(res.body.error.details.problems[0].field, field);
    assert.match(res.body.error.details.problems[0].reason, reason);
    assert.match(res.body.error.message, new RegExp(`^${field.replace(/[\\.]/g, '\\$&')}: `));
  }

  describe('NUL (U+0000)', () => {
    const nulReason = /must not contain the NUL character/;

    it('refuses it in an admin API JSON body value with 400 invalid_input naming the field, and changes nothing', async () => {
      const [before] = await sql(t, 'select title, version from users where id = ?', [userId]);
      assertRefused(await json('patch', `/api/orgs/acme/users/${userId}`, { title: NUL }), 'title', nulReason);
      assert.deepEqual((await sql(t, 'select title, version from users where id = ?', [userId]))[0], before);
      const groups = await count('groups');
      assertRefused(await json('post', '/api/orgs/acme/groups', { displayName: NUL }), 'displayName', nulReason);
      assert.equal(await count('groups'), groups);
      const invitations = await count('invitations');
      assertRefused(await json('post', '/api/orgs/acme/invitations', { emails: 'z@acme.example', name: NUL }), 'name', nulReason);
      assert.equal(await count('invitations'), invitations);
    });

    it('names a nested field by its path, and a key holding it', async () => {
      assertRefused(await json('post', '/api/orgs/acme/invitations', { emails: ['z@acme.example', NUL] }), 'emails.1', nulReason);
      assertRefused(await json('patch', `/api/orgs/acme/users/${userId}`, { [NUL]: 'x' }), 'a\\u0000b', /^its name must not contain the NUL character \(U\+0000\)$/);
    });

    it('refuses it in an admin API query parameter, naming the parameter', async () => {
      for (const [path, field] of [['/users?q=a%00b', 'q'], ['/groups?q=%00', 'q'], ['/audit?actor=a%00b', 'actor'], ['/audit?target=%00', 'target']] as const) {
        assertRefused(await request(t.app).get(`/api/orgs/acme${path}`).set(admin()), field, nulReason);
      }
    });

    it('refuses it in the path (a decoded path parameter)', async () => {
      assertRefused(await request(t.app).get('/api/orgs/ac%00me/users').set(admin()), 'path', /NUL character \(%00\)/);
    });

    it('refuses it in /auth sign-in and reset requests, as JSON and as a form', async () => {
      const login = await request(t.app).post('/auth/password/login').set('Content-Type', 'application/json').send(JSON.stringify({ email: 'a\u0000@acme.example', password: 'x' }));
      assertRefused(login, 'email', nulReason);
      const reset = await request(t.app).post('/auth/password/reset-request').set('Content-Type', 'application/json').send(JSON.stringify({ email: 'a\u0000@acme.example' }));
      assertRefused(reset, 'email', nulReason);
      assertRefused(await request(t.app).post('/auth/password/login').type('form').send('email=a%00%40acme.example&password=x'), 'email', nulReason);
      assertRefused(await request(t.app).post('/invitations/gh_invite_unknown').type('form').send('givenName=a%00b'), 'givenName', nulReason);
    });

    it('answers a console page whose query string holds it with a 400 page naming the parameter', async () => {
      const person = await signIn(t, acme, 'olga@acme.example', { orgRole: 'org_admin' });
      const res = await request(t.app).get('/console/users?q=a%00b').set('Cookie', person.cookie);
      assert.equal(res.status, 400, res.text);
      assert.match(res.headers['content-type'] ?? '', /^text\/html/);
      assert.match(res.text, /q: must not contain the NUL character/);
    });

    it('answers SCIM with 400 invalidValue naming the attribute, and writes nothing', async () => {
      const users = await count('users');
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('nul@acme.example', { title: NUL }));
      assertScimError(created, 400, 'invalidValue');
      assert.match(created.body.detail, /^title: must not contain the NUL character/);
      const named = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('nul@acme.example', { name: { givenName: NUL } }));
      assert.match(named.body.detail, /^name\.givenName: /);
      assert.equal(await count('users'), users);
      const group = await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: NUL });
      assertScimError(group, 400, 'invalidValue');
      const user = await postUser(t, acme.tokens.scim, 'scim-nul@acme.example');
      const patched = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: NUL }));
      assertScimError(patched, 400, 'invalidValue');
      assert.match(patched.body.detail, /^Operations\.0\.value: /);
      assertScimError(await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('key@acme.example', { [NUL]: 'x' })), 400, 'invalidValue');
    });

    it('answers a SCIM filter holding it, raw or as the escape \\u0000, with 400 invalidFilter', async () => {
      for (const filter of ['userName eq "a\u0000"', 'userName eq "a\\u0000"', 'displayName co "\\u0000"']) {
        const res = await scimRequest(t, acme.tokens.scim, 'get', '/Users').query({ filter });
        assertScimError(res, 400, 'invalidFilter');
        assert.match(res.body.detail, /NUL character/);
      }
      const search = await scimRequest(t, acme.tokens.scim, 'post', '/Groups/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'displayName eq "\\u0000"' });
      assertScimError(search, 400, 'invalidFilter');
      const user = await postUser(t, acme.tokens.scim, 'path-nul@acme.example');
      const patched = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps({ op: 'add', path: 'emails[type eq "\\u0000"].value', value: 'x@acme.example' }));
      assertScimError(patched, 400, 'invalidFilter');
      assert.match(patched.body.detail, /NUL character/);
    });
  });

  describe('lone UTF-16 surrogates', () => {
    const notUnicode = /must be valid Unicode text/;

    it('refuses one in an admin API JSON body with 400 invalid_input naming the field, storing nothing (was 500, or U+FFFD stored)', async () => {
      const [before] = await sql(t, 'select given_name, version from users where id = ?', [userId]);
      assertRefused(await json('patch', `/api/orgs/acme/users/${userId}`, { givenName: '\ud800' }), 'givenName', notUnicode);
      assert.deepEqual((await sql(t, 'select given_name, version from users where id = ?', [userId]))[0], before);
      const groups = await count('groups');
      assertRefused(await json('post', '/api/orgs/acme/groups', { displayName: '\ud83d' }), 'displayName', notUnicode);
      assertRefused(await json('post', '/api/orgs/acme/groups', { displayName: 'x\udc00y' }), 'displayName', notUnicode);
      assert.equal(await count('groups'), groups);
      assertRefused(await json('patch', `/api/orgs/acme/users/${userId}`, { ['\udfff']: 'x' }), '\\udfff', /^its name must be valid Unicode text/);
      const login = await request(t.app).post('/auth/password/login').set('Content-Type', 'application/json').send(JSON.stringify({ email: '\ud800@acme.example', password: 'x' }));
      assertRefused(login, 'email', notUnicode);
    });

    it('accepts a surrogate pair (an astral character such as an emoji) as it is', async () => {
      const res = await json('post', '/api/orgs/acme/groups', { displayName: 'Team \u{1F600}' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.displayName, 'Team \u{1F600}');
    });

    it('answers SCIM with 400 invalidValue naming the attribute, or invalidFilter in a filter', async () => {
      const users = await count('users');
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('sur@acme.example', { title: 'a\ud800b' }));
      assertScimError(created, 400, 'invalidValue');
      assert.match(created.body.detail, /^title: must be valid Unicode text/);
      assert.equal(await count('users'), users);
      assertScimError(await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: '\ud83d' }), 400, 'invalidValue');
      const filtered = await scimRequest(t, acme.tokens.scim, 'get', '/Users').query({ filter: 'userName eq "\\ud800"' });
      assertScimError(filtered, 400, 'invalidFilter');
      assert.match(filtered.body.detail, /valid Unicode text/);
    });
  });
});
