import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, sql } from '../people/support.ts';
import { asPerson, signIn, type SignedIn } from './support.ts';

/** Issue 7: people reach the admin API with their session; changes made with the cookie need the CSRF header. */
describe('admin API with a session cookie', function () {
  this.timeout(120_000);
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let admin: SignedIn;
  let outsider: SignedIn;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    admin = await signIn(t, acme, 'ada@acme.test', { orgRole: 'org_admin' });
    outsider = await signIn(t, globex, 'gus@globex.test', { orgRole: 'org_admin' });
  });
  after(() => t.close());

  it('authenticates a person of the org by their session cookie', async () => {
    const res = await asPerson(t, acme, admin)('get', '/users').expect(200);
    assert.ok(res.body.users.some((u: { email: string }) => u.email === 'ada@acme.test'));
  });

  it('answers 401 with neither a token nor a session', async () => {
    const res = await request(t.app).get('/api/orgs/acme/users').expect(401);
    assert.equal(res.body.error.code, 'unauthenticated');
  });

  it('answers 401 for a session cookie that is unknown', async () => {
    await request(t.app).get('/api/orgs/acme/users').set('Cookie', `${admin.cookie.split('=')[0]}=gh_session_nope`).expect(401);
  });

  it('answers 403 to a session of another org and shows nothing of it', async () => {
    const res = await asPerson(t, acme, outsider)('get', '/users').expect(403);
    assert.equal(res.body.error.code, 'forbidden');
    assert.doesNotMatch(JSON.stringify(res.body), /ada@acme/);
  });

  it('lets the bearer token win when both a token and a cookie are sent', async () => {
    await request(t.app).get('/api/orgs/acme/users').set('Cookie', admin.cookie).set('Authorization', 'Bearer gh_admin_nope').expect(401);
    await request(t.app).get('/api/orgs/acme/users').set('Cookie', outsider.cookie).set('Authorization', `Bearer ${acme.tokens.admin}`).expect(200);
  });

  it('stops accepting the session of a person who was disabled', async () => {
    const gone = await signIn(t, acme, 'gone@acme.test', { orgRole: 'org_admin' });
    await asPerson(t, acme, admin)('post', `/users/${gone.userId}/disable`).expect(200);
    await asPerson(t, acme, gone)('get', '/users').expect(401);
  });

  describe('CSRF', () => {
    let target: string;
    beforeEach(async () => {
      target = await addUser(t, acme, { userName: `csrf-${Date.now()}@acme.test` });
    });

    it('refuses a cookie-authenticated change without the X-CSRF-Token header with 403 csrf_failed, changing nothing', async () => {
      const res = await asPerson(t, acme, admin, { csrf: null })('post', `/users/${target}/disable`).expect(403);
      assert.equal(res.body.error.code, 'csrf_failed');
      assert.equal((await sql(t, 'select state from users where id = ?', [target]))[0]!.state, 'active');
    });

    it('refuses a wrong token, including the token of another session', async () => {
      for (const csrf of ['nope', outsider.csrf, `${admin.csrf}x`]) {
        const res = await asPerson(t, acme, admin, { csrf })('post', `/users/${target}/disable`).expect(403);
        assert.equal(res.body.error.code, 'csrf_failed');
      }
      await asPerson(t, acme, admin, { csrf: null })('delete', `/users/${target}`, { confirmEmail: 'x' }).expect(403);
      await asPerson(t, acme, admin, { csrf: null })('patch', `/users/${target}`, { title: 'x' }).expect(403);
      await asPerson(t, acme, admin, { csrf: null })('put', `/users/${target}/access`, { orgRole: 'member' }).expect(403);
    });

    it('accepts the token GET /api/session hands out, and records the person as the actor', async () => {
      const session = await request(t.app).get('/api/session').set('Cookie', admin.cookie).expect(200);
      assert.equal(session.body.csrfToken, admin.csrf);
      assert.equal(session.body.user.orgRole, 'org_admin');
      await asPerson(t, acme, admin, { csrf: session.body.csrfToken })('post', `/users/${target}/disable`).expect(200);
      const events = await sql(t, `select actor_type, actor_id, actor_label from audit_events where target_id = ? and action = 'user.disabled'`, [target]);
      assert.deepEqual(events, [{ actor_type: 'user', actor_id: admin.userId, actor_label: 'ada@acme.test' }]);
    });

    it('needs no token for reads, nor for bearer-authenticated changes', async () => {
      await asPerson(t, acme, admin, { csrf: null })('get', `/users/${target}`).expect(200);
      await request(t.app).post(`/api/orgs/acme/users/${target}/disable`).set('Authorization', `Bearer ${acme.tokens.admin}`).expect(200);
    });
  });
});
