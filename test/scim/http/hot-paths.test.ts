import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { AuditEvent } from '../../../src/db/entities/index.ts';
import { assertScimError, createScimTestApp, patchOps, postUser, scimRequest, sql, userRow } from '../../support/scim.ts';

/**
 * The requests IdPs send most are answered by single statements
 * (directory/user-activation.ts, findUserByUserName, createUser, queryUsers): these prove they answer
 * exactly as the general paths do, and hand every unusual case to them.
 */
describe('SCIM hot paths: userName lookup, create, plain list pages and the active switch', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let n = 0;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
  });
  after(() => t.close());

  const rid = () => `hot-${++n}-${randomUUID().slice(0, 8)}`;
  const eventsOf = (requestId: string) => t.container.fork().find(AuditEvent, { requestId });
  const patchActive = (token: string, id: unknown, value: unknown, requestId = rid(), headers: Record<string, string> = {}) =>
    scimRequest(t, token, 'patch', `/Users/${String(id)}`, patchOps({ op: 'replace', path: 'active', value }), { 'X-Request-Id': requestId, ...headers });
  const byName = (token: string, filter: string, query = '') =>
    scimRequest(t, token, 'get', `/Users?filter=${encodeURIComponent(filter)}${query}`).expect(200);

  describe('userName eq', () => {
    it('finds the user whatever the case of the name and of the attribute', async () => {
      const user = await postUser(t, acme.tokens.scim, 'Mixed.Case@acme.test');
      for (const filter of ['userName eq "mixed.case@acme.test"', 'USERNAME eq "MIXED.CASE@ACME.TEST"', 'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "Mixed.Case@acme.test"']) {
        const res = await byName(acme.tokens.scim, filter);
        assert.equal(res.body.totalResults, 1, filter);
        assert.equal(res.body.itemsPerPage, 1);
        assert.equal(res.body.startIndex, 1);
        assert.equal(res.body.Resources[0].id, user.id);
        assert.equal(res.body.Resources[0].groups.length, 0);
      }
    });

    it('finds a userName sent with spaces around it, as create stores it trimmed (the IdPs look up, then create what they looked up)', async () => {
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: ' padded@acme.test ' }).expect(201);
      assert.equal(created.body.userName, 'padded@acme.test');
      for (const query of ['', '&sortBy=userName']) {
        const res = await byName(acme.tokens.scim, 'userName eq " padded@acme.test "', query);
        assert.equal(res.body.totalResults, 1, `hot path and general path${query}`);
        assert.equal(res.body.Resources[0].id, created.body.id);
      }
      assert.equal((await byName(acme.tokens.scim, 'userName ne " padded@acme.test " and userName sw "padded"')).body.totalResults, 0);
    });

    it('keeps totalResults and pages like a list: count=0 and startIndex=2 return no resource', async () => {
      await postUser(t, acme.tokens.scim, 'paged@acme.test');
      const none = await byName(acme.tokens.scim, 'userName eq "paged@acme.test"', '&count=0');
      assert.deepEqual([none.body.totalResults, none.body.itemsPerPage, none.body.Resources], [1, 0, []]);
      const second = await byName(acme.tokens.scim, 'userName eq "paged@acme.test"', '&startIndex=2');
      assert.deepEqual([second.body.totalResults, second.body.startIndex, second.body.Resources], [1, 2, []]);
    });

    it('applies attributes and excludedAttributes to the user found', async () => {
      await postUser(t, acme.tokens.scim, 'projected@acme.test');
      const res = await byName(acme.tokens.scim, 'userName eq "projected@acme.test"', '&attributes=userName');
      assert.deepEqual(Object.keys(res.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
    });

    it("finds neither deleted users nor another org's users", async () => {
      const gone = await postUser(t, acme.tokens.scim, 'gone@acme.test');
      await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${gone.id}`).expect(204);
      assert.equal((await byName(acme.tokens.scim, 'userName eq "gone@acme.test"')).body.totalResults, 0);
      await postUser(t, globex.tokens.scim, 'theirs@globex.test');
      assert.equal((await byName(acme.tokens.scim, 'userName eq "theirs@globex.test"')).body.totalResults, 0);
    });
  });

  describe('group displayName eq', () => {
    it('finds a group displayName sent with spaces around it, as create stores it trimmed (Okta\'s group push looks up, then creates)', async () => {
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: ' Padded Team ' }).expect(201);
      assert.equal(created.body.displayName, 'Padded Team');
      const lookup = `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq " padded team "')}`;
      const res = await scimRequest(t, acme.tokens.scim, 'get', lookup).expect(200);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, created.body.id);
      await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: ' padded team ' }).expect(409);
    });
  });

  describe('create and plain list pages', () => {
    it('answers a create with the resource a GET then returns, groups included (none yet)', async () => {
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'fresh@acme.test', name: { givenName: 'Fresh' },
        emails: [{ value: 'fresh@acme.test', primary: true }],
      }).expect(201);
      assert.deepEqual(created.body.groups, []);
      const read = await scimRequest(t, acme.tokens.scim, 'get', `/Users/${created.body.id}`).expect(200);
      assert.deepEqual(read.body, created.body);
    });

    it('lists each user, groups included, as GET by id returns it, by startIndex and by cursor', async () => {
      const user = await postUser(t, globex.tokens.scim, 'listed@globex.test');
      await scimRequest(t, globex.tokens.scim, 'post', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Listed', members: [{ value: user.id }] }).expect(201);
      const one = (await scimRequest(t, globex.tokens.scim, 'get', `/Users/${user.id}`).expect(200)).body;
      // Seven times: PostgreSQL may switch a prepared statement to a generic plan after five runs; it must answer the same.
      for (let i = 0; i < 7; i++) {
        const byIndex = (await scimRequest(t, globex.tokens.scim, 'get', '/Users?startIndex=1&count=1000').expect(200)).body;
        assert.deepEqual(byIndex.Resources.find((r: { id: string }) => r.id === user.id), one);
        assert.equal(byIndex.totalResults, byIndex.Resources.length);
        const byCursor = (await scimRequest(t, globex.tokens.scim, 'get', '/Users?cursor&count=1000').expect(200)).body;
        assert.deepEqual(byCursor.Resources, byIndex.Resources);
      }
    });

    it('gives every startIndex page the same users whichever end of the org it is nearer to', async () => {
      const org = await seedOrg(t.container, `pages-${randomUUID().slice(0, 8)}`);
      for (let i = 0; i < 9; i++) await postUser(t, org.tokens.scim, `page-${i}@pages.test`);
      const gone = await postUser(t, org.tokens.scim, 'gone@pages.test');
      await scimRequest(t, org.tokens.scim, 'delete', `/Users/${String(gone.id)}`).expect(204);
      const all = (await scimRequest(t, org.tokens.scim, 'get', '/Users?startIndex=1&count=1000').expect(200)).body.Resources.map((r: { id: string }) => r.id);
      assert.equal(all.length, 9);
      assert.deepEqual(all, [...all].sort());
      for (let count = 0; count <= 4; count++) {
        for (let startIndex = 1; startIndex <= 11; startIndex++) {
          const page = (await scimRequest(t, org.tokens.scim, 'get', `/Users?startIndex=${startIndex}&count=${count}`).expect(200)).body;
          const where = `startIndex=${startIndex} count=${count}`;
          assert.deepEqual(page.Resources.map((r: { id: string }) => r.id), all.slice(startIndex - 1, startIndex - 1 + count), where);
          assert.equal(page.totalResults, 9, where);
          assert.equal(page.startIndex, startIndex, where);
        }
      }
    });
  });

  describe('active switch', () => {
    it('writes nothing when the user already has that state: same version, no audit event', async () => {
      const user = await postUser(t, acme.tokens.scim, 'idle@acme.test');
      await patchActive(acme.tokens.scim, user.id, false).expect(200);
      const before = await userRow(t, String(user.id));
      const requestId = rid();
      const res = await patchActive(acme.tokens.scim, user.id, 'False', requestId).expect(200);
      assert.equal(res.body.active, false);
      assert.equal(res.body.meta.version, 'W/"2"');
      assert.equal(res.headers.etag, 'W/"2"');
      assert.deepEqual(await eventsOf(requestId), []);
      assert.deepEqual(await userRow(t, String(user.id)), before);
    });

    it('honours If-Match: 412 for a stale version (nothing written), 200 for the current one', async () => {
      const user = await postUser(t, acme.tokens.scim, 'tagged@acme.test');
      const stale = rid();
      assertScimError(await patchActive(acme.tokens.scim, user.id, false, stale, { 'If-Match': 'W/"7"' }), 412);
      assert.deepEqual(await eventsOf(stale), []);
      assert.equal((await userRow(t, String(user.id)))?.state, 'active');
      const res = await patchActive(acme.tokens.scim, user.id, false, rid(), { 'If-Match': 'W/"1"' }).expect(200);
      assert.equal(res.body.meta.version, 'W/"2"');
      assertScimError(await patchActive(acme.tokens.scim, user.id, false, rid(), { 'If-Match': 'W/"1"' }), 412);
    });

    it('returns the groups and the projection asked for', async () => {
      const user = await postUser(t, acme.tokens.scim, 'grouped@acme.test');
      await scimRequest(t, acme.tokens.scim, 'post', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Hot', members: [{ value: user.id }] }).expect(201);
      const full = await patchActive(acme.tokens.scim, user.id, false).expect(200);
      assert.deepEqual(full.body.groups.map((g: { display: string }) => g.display), ['Hot']);
      const narrow = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}?attributes=active`, patchOps({ op: 'replace', value: { active: true } })).expect(200);
      assert.deepEqual(Object.keys(narrow.body).sort(), ['active', 'id', 'schemas']);
    });

    it('leaves an org admin to the last-admin guard', async () => {
      const admin = await postUser(t, acme.tokens.scim, 'only-admin@acme.test');
      await sql(t, `update users set org_role = 'member' where org_id = ? and id <> ?`, [acme.id, admin.id]);
      await sql(t, `update users set org_role = 'org_admin' where id = ?`, [admin.id]);
      const res = await patchActive(acme.tokens.scim, admin.id, false);
      assert.equal(res.status, 409);
      assert.equal((await userRow(t, String(admin.id)))?.state, 'active');
      await sql(t, `update users set org_role = 'member' where id = ?`, [admin.id]);
    });

    it('leaves a reactivation in an org with a seat limit to the seat check', async () => {
      const user = await postUser(t, globex.tokens.scim, 'seated@globex.test');
      await patchActive(globex.tokens.scim, user.id, false).expect(200);
      const [{ n: active } = { n: 0 }] = await sql(t, `select count(*)::int as n from users where org_id = ? and state = 'active'`, [globex.id]);
      await sql(t, `update organizations set settings = jsonb_set(coalesce(settings, '{}'::jsonb), '{seatLimit}', to_jsonb(?::int)) where id = ?`, [Number(active), globex.id]);
      try {
        const refused = await patchActive(globex.tokens.scim, user.id, true);
        assert.equal(refused.status, 403);
        assert.equal((await userRow(t, String(user.id)))?.state, 'disabled');
        await sql(t, `update organizations set settings = jsonb_set(settings, '{seatLimit}', to_jsonb(?::int)) where id = ?`, [Number(active) + 1, globex.id]);
        const allowed = await patchActive(globex.tokens.scim, user.id, true).expect(200);
        assert.equal(allowed.body.active, true);
      } finally {
        await sql(t, `update organizations set settings = settings - 'seatLimit' where id = ?`, [globex.id]);
      }
    });

    it("answers 404 for an unknown id, a malformed id and another org's user, and changes nothing", async () => {
      assertScimError(await patchActive(acme.tokens.scim, randomUUID(), false), 404);
      assertScimError(await patchActive(acme.tokens.scim, 'not-a-uuid', false), 404);
      const theirs = await postUser(t, globex.tokens.scim, 'untouched@globex.test');
      assertScimError(await patchActive(acme.tokens.scim, theirs.id, false), 404);
      assert.equal((await userRow(t, String(theirs.id)))?.state, 'active');
    });

    it('takes the general path when active comes with other changes', async () => {
      const user = await postUser(t, acme.tokens.scim, 'mixed@acme.test');
      const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`,
        patchOps({ op: 'replace', value: { active: false, displayName: 'Mixed' } })).expect(200);
      assert.equal(res.body.active, false);
      assert.equal(res.body.displayName, 'Mixed');
      assert.equal(res.body.meta.version, 'W/"2"');
    });
  });
});
