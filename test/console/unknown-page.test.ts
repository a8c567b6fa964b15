import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { signIn } from '../admin/support.ts';

/** The console's own answers without a browser: an unknown page is the console's HTML 404, never the API's JSON. */
describe('console: a page that does not exist', function () {
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

  it('sends a visitor who is not signed in to sign in first', async () => {
    const res = await request(t.app).get('/console/nonexistent').expect(303);
    assert.match(res.headers.location ?? '', /\/console\/login\?next=%2Fconsole%2Fnonexistent/);
  });

  it('leaves a missing asset a plain 404, not a sign-in redirect', async () => {
    const res = await request(t.app).get('/console/assets/missing.js').expect(404);
    assert.doesNotMatch(res.headers['content-type'] ?? '', /text\/html/);
  });
});
