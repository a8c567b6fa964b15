import assert from 'node:assert/strict';
import request from 'supertest';
import { AuditEvent } from '../../src/db/entities/index.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { signIn } from '../admin/support.ts';

/**
 * Sign-out is a change made with the session cookie: a page on another site
 * must not be able to end someone's session (logout CSRF), on POST /auth/logout
 * nor on the console's own POST /console/logout.
 */
describe('sign-out from another site', () => {
  let t: TestApp;
  let acme: SeededOrg;
  const publicUrl = 'https://gatehouse.test';

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const stillSignedIn = async (cookie: string) => (await request(t.app).get('/api/session').set('Cookie', cookie)).status === 200;
  const ended = async (userId: string) => (await t.container.fork().find(AuditEvent, { action: 'session.ended' })).filter((e) => e.targetId === userId || e.actorId === userId).length;

  for (const path of ['/auth/logout', '/console/logout']) {
    describe(`POST ${path}`, () => {
      it('refuses a cross-site form post with the usual page, leaving the session alone', async () => {
        const person = await signIn(t, acme, `form${path.replace(/\W/g, '-')}@acme.test`);
        const res = await request(t.app).post(path).set('Cookie', person.cookie).set('Origin', 'https://evil.test').set('Sec-Fetch-Site', 'cross-site').type('form').send('x=1');
        assert.equal(res.status, 403);
        assert.match(res.headers['content-type'] ?? '', /text\/html/);
        assert.match(res.text, /This form must be sent from the Gatehouse page itself/);
        assert.equal(res.headers['set-cookie'], undefined);
        assert.ok(await stillSignedIn(person.cookie));
        assert.equal(await ended(person.userId), 0);
      });

      it('refuses a cross-site fetch (Origin only, or Sec-Fetch-Site only) with 403 cross_origin', async () => {
        const person = await signIn(t, acme, `fetch${path.replace(/\W/g, '-')}@acme.test`);
        for (const headers of [{ Origin: 'https://evil.test' }, { 'Sec-Fetch-Site': 'same-site' }, { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' }]) {
          const res = await request(t.app).post(path).set('Cookie', person.cookie).set(headers);
          assert.equal(res.status, 403, JSON.stringify(headers));
          assert.equal(res.body.error.code, 'cross_origin');
          assert.ok(res.body.error.details.requestId);
        }
        assert.ok(await stillSignedIn(person.cookie));
      });
    });
  }

  it('signs out from the product\'s own page (same origin): 204, the cookie cleared and session.ended recorded', async () => {
    const person = await signIn(t, acme, 'page@acme.test');
    const res = await request(t.app).post('/auth/logout').set('Cookie', person.cookie).set('Origin', publicUrl).set('Sec-Fetch-Site', 'same-origin').expect(204);
    assert.match(String(res.headers['set-cookie']), /^__Host-gatehouse_session=; .*Max-Age=0/);
    assert.equal(await stillSignedIn(person.cookie), false);
    assert.equal(await ended(person.userId), 1);
  });

  it('signs out from the console\'s Sign out button (same origin, Origin: null under a strict referrer policy)', async () => {
    const person = await signIn(t, acme, 'console@acme.test');
    const res = await request(t.app).post('/console/logout').set('Cookie', person.cookie).set('Origin', 'null').set('Sec-Fetch-Site', 'same-origin').type('form').send('').expect(303);
    assert.equal(res.headers.location, '/console/login?signedOut=1');
    assert.equal(await stillSignedIn(person.cookie), false);
  });

  it('signs out a script that sends neither Origin nor Sec-Fetch-Site, as the other forms let it', async () => {
    const person = await signIn(t, acme, 'script@acme.test');
    await request(t.app).post('/auth/logout').set('Cookie', person.cookie).expect(204);
    assert.equal(await stillSignedIn(person.cookie), false);
  });
});

describe('GET /auth/logout (a bookmark or a sign-out link)', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const stillSignedIn = async (cookie: string) => (await request(t.app).get('/api/session').set('Cookie', cookie)).status === 200;

  it('shows a page with a Sign out button that posts to /auth/logout, and signs nobody out by itself', async () => {
    const person = await signIn(t, acme, 'bookmark@acme.test');
    const res = await request(t.app).get('/auth/logout').set('Cookie', person.cookie).set('Sec-Fetch-Site', 'cross-site').expect(200);
    assert.match(res.headers['content-type'] ?? '', /text\/html/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.text, /<form method="post" action="\/auth\/logout">/);
    assert.match(res.text, /<button type="submit">Sign out<\/button>/);
    assert.match(res.text, /bookmark@acme\.test/);
    assert.doesNotMatch(res.text, /<script/);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.ok(await stillSignedIn(person.cookie));
  });

  it('tells someone without a session that they are signed out, with a way to sign in', async () => {
    const res = await request(t.app).get('/auth/logout').expect(200);
    assert.match(res.text, /You are not signed in/);
    assert.match(res.text, /href="\/console\/login"/);
    assert.doesNotMatch(res.text, /<form/);
  });

  it('signs out when the page\'s button is pressed (a same-origin form post) and lands on the sign-in page', async () => {
    const person = await signIn(t, acme, 'button@acme.test');
    const res = await request(t.app).post('/auth/logout').set('Cookie', person.cookie).set('Origin', 'null').set('Sec-Fetch-Site', 'same-origin').type('form').send('').expect(303);
    assert.equal(res.headers.location, '/console/login?signedOut=1');
    assert.match(String(res.headers['set-cookie']), /gatehouse_session=; .*Max-Age=0/);
    assert.equal(await stillSignedIn(person.cookie), false);
  });
});
