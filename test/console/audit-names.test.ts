import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { signIn, type SignedIn } from '../admin/support.ts';
import { api } from '../people/support.ts';
import { patchOps, postGroup, postUser, scimRequest } from '../support/scim.ts';

/** The audit page names the deleted people a SCIM group write still sent, in one admin API call per page. */
describe('console audit page: naming deleted members', function () {
  this.timeout(60_000);
  let t: TestApp;
  let acme: SeededOrg;
  let admin: SignedIn;
  /** Every request the app answered, the console's own loopback API calls included. */
  const seen: string[] = [];
  const counted = (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    t.app(req, res);
  };

  before(async () => {
    t = await createTestApp({ config: { scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } } });
    acme = await seedOrg(t.container, 'acme');
    admin = await signIn(t, acme, 'auditor@acme.test', { orgRole: 'org_admin' });
  });
  after(() => t.close());

  it('names every deleted member of a page with one people lookup, and leaves an id nobody reads as it is', async () => {
    const token = acme.tokens.scim;
    const gone: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const id = String((await postUser(t, token, `gone${n}@acme.test`)).id);
      gone.push(id);
    }
    const group = String((await postGroup(t, token, 'Night Shift')).id);
    for (const [n, id] of gone.entries()) await api(t, acme).delete(`/users/${id}`, { confirmEmail: `gone${n + 1}@acme.test` }).expect(200);
    // Two writes, so the names come from more than one entry of the page.
    for (const part of [gone.slice(0, 3), gone.slice(3)]) {
      const res = await scimRequest(t, token, 'patch', `/Groups/${group}`, patchOps({ op: 'add', path: 'members', value: part.map((value) => ({ value })) }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    // Restored since: no longer a deleted person, named by a second lookup of the ids still unnamed.
    await api(t, acme).post(`/users/${gone[4]}/restore`).expect(200);

    seen.length = 0;
    const page = await request(counted).get('/console/audit?action=group.updated').set('Cookie', admin.cookie).expect(200);
    for (const n of [1, 2, 3, 4]) assert.match(page.text, new RegExp(`<a href="/console/users/${gone[n - 1]}">gone${n}@acme.test</a>`));
    assert.match(page.text, new RegExp(`<a href="/console/users/${gone[4]}">gone5@acme.test</a>`));
    const lookups = seen.filter((line) => /^GET \/api\/orgs\/acme\/users\b/.test(line));
    assert.equal(lookups.length, 2, lookups.join('\n'));
    assert.ok(lookups.every((line) => /^GET \/api\/orgs\/acme\/users\?/.test(line)), lookups.join('\n'));
  });

  it('makes one lookup when every deleted member is still deleted', async () => {
    const token = acme.tokens.scim;
    const id = String((await postUser(t, token, 'solo@acme.test')).id);
    const group = String((await postGroup(t, token, 'Solo Shift')).id);
    await api(t, acme).delete(`/users/${id}`, { confirmEmail: 'solo@acme.test' }).expect(200);
    const res = await scimRequest(t, token, 'patch', `/Groups/${group}`, patchOps({ op: 'add', path: 'members', value: [{ value: id }] }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    seen.length = 0;
    const page = await request(counted).get(`/console/audit?action=group.updated&target=${group}`).set('Cookie', admin.cookie).expect(200);
    assert.match(page.text, new RegExp(`<a href="/console/users/${id}">solo@acme.test</a>`));
    assert.equal(seen.filter((line) => /^GET \/api\/orgs\/acme\/users\b/.test(line)).length, 1);
  });
});
