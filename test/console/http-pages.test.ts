import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { signIn } from '../admin/support.ts';

/** Console answers that need no browser: an unknown page, a filter the page cannot read. */
describe('console pages over plain HTTP', function () {
  this.timeout(60_000);
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  it('shows a signed-in person the console 404 page, with the navigation', async () => {
    const admin = await signIn(t, acme, 'ada@acme.test', { orgRole: 'org_admin' });
    const res = await request(t.app).get('/console/nonexistent/deeper').set('Cookie', admin.cookie).expect(404);
    assert.match(res.headers['content-type'] ?? '', /^text\/html/);
    assert.match(res.text, /There is no such page/);
    assert.match(res.text, /href="\/console\/users"/);
  });

  it('sends a visitor of the site\'s root (the address npm start prints) to the console', async () => {
    const res = await request(t.app).get('/').expect(303);
    assert.equal(res.headers.location, '/console');
  });

  it('shows a visitor who is not signed in a plain 404 page with the way in', async () => {
    const res = await request(t.app).get('/console/nonexistent').expect(404);
    assert.match(res.headers['content-type'] ?? '', /^text\/html/);
    assert.match(res.text, /There is no such page/);
    assert.match(res.text, /href="\/console"/);
  });

  it('says which audit day filter it cannot read instead of showing the whole trail as if filtered', async () => {
    const admin = await signIn(t, acme, 'audrey@acme.test', { orgRole: 'org_admin' });
    for (const [since, until] of [['yesterday', ''], ['2026-02-30', '2026-13-01']]) {
      const res = await request(t.app).get(`/console/audit?since=${since}&until=${until}`).set('Cookie', admin.cookie).expect(200);
      assert.match(res.text, /since: must be a day \(YYYY-MM-DD\)/);
      assert.equal(/until: must be a day/.test(res.text), until !== '');
      assert.doesNotMatch(res.text, /<td><code>/, 'no events listed');
    }
    const fine = await request(t.app).get('/console/audit?since=2026-01-01').set('Cookie', admin.cookie).expect(200);
    assert.doesNotMatch(fine.text, /must be a day/);
  });

  it('lists the Sign on URL and Entra\'s Tenant URL among the values for the identity provider', async () => {
    // README "SAML with Microsoft Entra ID" asks for the Sign on URL (My Apps then starts SP-initiated,
    // which the browser binding needs) and "Connect Microsoft Entra ID" for the Tenant URL with its flag.
    const admin = await signIn(t, acme, 'ida@acme.test', { orgRole: 'org_admin' });
    const res = await request(t.app).get('/console/sso').set('Cookie', admin.cookie).expect(200);
    assert.match(res.text, /<code id="sign-on-url">https:\/\/gatehouse\.test\/saml\/acme\/login<\/code>/);
    assert.match(res.text, /<code id="entra-tenant-url">https:\/\/gatehouse\.test\/scim\/v2\?aadOptscim062020<\/code>/);
  });

  it('leaves a missing asset a plain 404, not a sign-in redirect', async () => {
    const res = await request(t.app).get('/console/assets/missing.js').expect(404);
    assert.doesNotMatch(res.headers['content-type'] ?? '', /text\/html/);
  });
});
