import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { seedPerson } from '../auth/support/people.ts';
import { configureSaml, postAcs, responseFor, seedUser } from '../saml/support/sp.ts';

/**
 * Issue 9: security headers and session cookies. helmet's defaults on every surface, HSTS
 * only when PUBLIC_URL is https (on plain http it would send browsers to an https nobody
 * serves), session cookies HttpOnly + SameSite (+ Secure and the `__Host-` prefix on https),
 * and a new session secret at every sign-in, so a planted cookie is never adopted.
 */
const PASSWORD = 'Blue-Harbor-Lamp-42';
const login = (t: TestApp, cookie?: string) => {
  const req = request(t.app).post('/auth/password/login');
  return (cookie ? req.set('Cookie', cookie) : req).send({ email: 'ann@acme.test', password: PASSWORD });
};
const setCookie = (res: { headers: Record<string, unknown> }): string => {
  const header = ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
  assert.equal(header.length, 1, `one Set-Cookie expected: ${JSON.stringify(header)}`);
  return header[0]!;
};
const attributes = (cookie: string) => cookie.split(';').slice(1).map((a) => a.trim().split('=')[0]!.toLowerCase());

describe('security headers and session cookies', () => {
  describe('with an https PUBLIC_URL', () => {
    let t: TestApp;
    let org: SeededOrg;

    before(async () => {
      t = await createTestApp({ config: { publicUrl: 'https://gatehouse.test', auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } } });
      org = await seedOrg(t.container, 'acme');
      await seedPerson(t.container, org, 'ann@acme.test', { password: PASSWORD });
    });
    after(() => t.close());

    it('sends helmet defaults and HSTS on pages, SCIM, the admin API and errors; no page may be framed, and both framing headers say so', async () => {
      const responses = {
        page: await request(t.app).get('/auth/password/login'),
        scim: await request(t.app).get('/scim/v2/Users').set('Authorization', `Bearer ${org.tokens.scim}`),
        api: await request(t.app).get(`/api/orgs/${org.slug}/people`).set('Authorization', `Bearer ${org.tokens.admin}`),
        notFound: await request(t.app).get('/no/such/route'),
      };
      for (const [name, res] of Object.entries(responses)) {
        const where = `${name}: ${res.status}`;
        assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', where);
        assert.equal(res.headers['x-content-type-options'], 'nosniff', where);
        assert.equal(res.headers['x-frame-options'], 'DENY', where);
        assert.equal(res.headers['referrer-policy'], 'same-origin', where);
        assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', where);
        assert.match(res.headers['content-security-policy'] ?? '', /default-src 'self'/, where);
        assert.match(res.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, where);
        assert.match(res.headers['content-security-policy'] ?? '', /style-src 'self'(;|$)/, `${where}: styles from this origin only, none inline`);
        assert.match(res.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/, where);
        assert.equal(res.headers['x-powered-by'], undefined, where);
      }
      // The console sets a policy of its own: it may not be framed either.
      const consolePage = await request(t.app).get('/console/login');
      assert.equal(consolePage.headers['x-frame-options'], 'DENY');
      assert.match(consolePage.headers['content-security-policy'] ?? '', /frame-ancestors 'none'/);
      assert.match(consolePage.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/, 'the console too, on https');
    });

    it('keeps every admin API answer out of caches (a new token is in one), errors included', async () => {
      const created = await request(t.app).post(`/api/orgs/${org.slug}/tokens`).set('Authorization', `Bearer ${org.tokens.admin}`).send({ scope: 'scim', name: 'cache check' }).expect(201);
      const listed = await request(t.app).get(`/api/orgs/${org.slug}/users`).set('Authorization', `Bearer ${org.tokens.admin}`).expect(200);
      const refused = await request(t.app).get(`/api/orgs/${org.slug}/users`).expect(401);
      for (const [name, res] of Object.entries({ created, listed, refused })) assert.equal(res.headers['cache-control'], 'no-store', name);
    });

    it('sets the password session cookie as __Host-, HttpOnly, SameSite=Lax and Secure, never cached', async () => {
      const res = await login(t).expect(200);
      const cookie = setCookie(res);
      assert.match(cookie, /^__Host-gatehouse_session=gh_session_/);
      assert.deepEqual(attributes(cookie).sort(), ['httponly', 'max-age', 'path', 'samesite', 'secure']);
      assert.match(cookie, /; Path=\/;/);
      assert.match(cookie, /SameSite=Lax/);
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    it('sets the SAML session cookie with the same attributes', async () => {
      await configureSaml(t.app, org, { allowIdpInitiated: true });
      await seedUser(t.container, org, 'sam@acme.test');
      const res = await postAcs(t.app, org.slug, responseFor(org.slug, { nameId: 'sam@acme.test' })).expect(303);
      const cookie = setCookie(res);
      assert.match(cookie, /^__Host-gatehouse_session=gh_session_/);
      assert.deepEqual(attributes(cookie).sort(), ['httponly', 'max-age', 'path', 'samesite', 'secure']);
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    it('never adopts a planted session cookie: sign-in issues a new secret and the planted one stays useless', async () => {
      const planted = '__Host-gatehouse_session=gh_session_planted0000000000000000000000000000000000';
      const res = await login(t, planted).expect(200);
      const issued = setCookie(res).split(';')[0]!;
      assert.notEqual(issued, planted);
      await request(t.app).get('/api/session').set('Cookie', planted).expect(401);
      await request(t.app).get('/api/session').set('Cookie', issued).expect(200);
    });

    it('rotates the session at every sign-in, even when the browser already holds a valid one', async () => {
      const first = setCookie(await login(t).expect(200)).split(';')[0]!;
      const before = await request(t.app).get('/api/session').set('Cookie', first).expect(200);
      const second = setCookie(await login(t, first).expect(200)).split(';')[0]!;
      assert.notEqual(second, first);
      // Each sign-in is its own session row: the new cookie never continues the old one.
      const after = await request(t.app).get('/api/session').set('Cookie', second).expect(200);
      assert.notEqual(after.body.session.id, before.body.session.id);
    });
  });

  describe('with a plain-http PUBLIC_URL (local use)', () => {
    let t: TestApp;

    before(async () => {
      t = await createTestApp({ config: { publicUrl: 'http://localhost:3000', auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } } });
      await seedPerson(t.container, await seedOrg(t.container, 'acme'), 'ann@acme.test', { password: PASSWORD });
    });
    after(() => t.close());

    it('sends no HSTS and no upgrade-insecure-requests, but keeps the other helmet defaults', async () => {
      const res = await request(t.app).get('/auth/password/login').expect(200);
      assert.equal(res.headers['strict-transport-security'], undefined);
      assert.doesNotMatch(res.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
      const consolePage = await request(t.app).get('/console/login');
      assert.doesNotMatch(consolePage.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/, 'nor the console');
      assert.match(res.headers['content-security-policy'] ?? '', /default-src 'self'/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    });

    it('sets an HttpOnly, SameSite=Lax cookie without Secure or the __Host- prefix, which need https', async () => {
      const cookie = setCookie(await login(t).expect(200));
      assert.match(cookie, /^gatehouse_session=gh_session_/);
      assert.deepEqual(attributes(cookie).sort(), ['httponly', 'max-age', 'path', 'samesite']);
    });
  });
});
