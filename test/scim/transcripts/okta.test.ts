import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { AuditEvent } from '../../../src/db/entities/index.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import {
  assertErrorBody,
  assertListResponse,
  assertScimJson,
  assertSingleResource,
  filterQuery,
  GROUP_SCHEMA,
  memberIds,
  okta,
  USER_SCHEMA,
  VendorClient,
} from './vendor-client.ts';

/**
 * Okta, as its SCIM 2.0 docs and the OIN "SCIM 2.0 SPEC test" (R1–R12) describe it
 * (IDP-NOTES §1.2). The `it`s run in order and share the users they create, like a
 * provisioning session does.
 */

/** The body of Okta's SPEC test R6 and of a Profile Master push. */
function oktaUser(userName: string, givenName: string, familyName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName, familyName },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${givenName} ${familyName}`,
    active: true,
    ...extra,
  };
}

describe('Okta transcript', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let client: VendorClient;
  /** Users imported by Okta's "Import" (created before Okta connects). */
  const imported: string[] = [];

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    client = new VendorClient(t.app, acme.tokens.scim, okta);
    for (const [given, family] of [['Ada', 'Lovelace'], ['Grace', 'Hopper'], ['Alan', 'Turing'], ['Edsger', 'Dijkstra'], ['Barbara', 'Liskov']] as const) {
      const res = await client.post('/Users', oktaUser(`${given.toLowerCase()}@acme.example`, given, family)).expect(201);
      imported.push(res.body.id);
    }
  });
  after(() => t.close());

  describe('test connection', () => {
    it('answers Okta\'s test connection GET /Users?startIndex=1&count=2 with a two-user page', async () => {
      const res = await client.get('/Users?startIndex=1&count=2');
      assertListResponse(res);
      assert.equal(res.body.totalResults, 5);
      assert.equal(res.body.itemsPerPage, 2);
      assert.equal(res.body.startIndex, 1);
      assert.equal(res.body.Resources.length, 2);
    });

    it('says the base URL ends with a slash, naming Okta\'s field, when the test connection asks for //Users', async () => {
      const res = await client.get('//Users?startIndex=1&count=2');
      assertErrorBody(res, 404);
      assert.match(res.body.detail, /ends with a slash/);
      assert.match(res.body.detail, /Okta's SCIM connector base URL/);
    });

    it('says the base URL ends with /Users when the test connection asks for /Users/Users', async () => {
      for (const path of ['/Users/Users?startIndex=1&count=2', '/Groups/Groups?startIndex=1&count=100', '/users/Users']) {
        const res = await client.get(path);
        assertErrorBody(res, 404);
        assert.match(res.body.detail, /ends with \/(Users|Groups); remove it/i, path);
      }
    });

    it('answers a base URL without /v2 (or without /scim/v2) with a SCIM 404 naming the right one', async () => {
      for (const path of ['/scim/Users?startIndex=1&count=2', '/Users?startIndex=1&count=2', '/scim/v1/Users', '/v2/Groups?startIndex=1&count=100', '/scim/ServiceProviderConfig']) {
        const res = await request(t.app).get(path).set('Authorization', `Bearer ${acme.tokens.scim}`).set('User-Agent', okta.userAgent!);
        assertErrorBody(res, 404);
        assert.match(res.body.detail, /the SCIM base URL is https:\/\/gatehouse\.test\/scim\/v2/, path);
      }
      // Other surfaces keep their own 404.
      const api = await request(t.app).get('/api/nothing-here').expect(404);
      assert.equal(api.body.error.code, 'route_not_found');
    });

    it('answers Okta\'s historical GET /Groups?startIndex=1&count=100 with an empty ListResponse', async () => {
      const res = await client.get('/Groups?startIndex=1&count=100');
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
      assert.deepEqual(res.body.Resources ?? [], []);
    });
  });

  describe('SCIM 2.0 SPEC test', () => {
    const randomUserName = `${randomUUID()}@example.com`;
    let createdId: string;

    it('lists users as a ListResponse with numeric paging fields and a complete user (SPEC R1)', async () => {
      const res = await client.get('/Users?count=1&startIndex=1');
      assertListResponse(res);
      assert.equal(res.body.itemsPerPage, 1);
      const user = res.body.Resources[0];
      assert.equal(typeof user.id, 'string');
      assert.equal(typeof user.name.givenName, 'string');
      assert.equal(typeof user.name.familyName, 'string');
      assert.equal(typeof user.userName, 'string');
      assert.equal(user.active, true);
      assert.equal(typeof user.emails[0].value, 'string');
    });

    it('returns a listed user by id (SPEC R2)', async () => {
      const list = await client.get('/Users?count=1&startIndex=1').expect(200);
      const first = list.body.Resources[0];
      const res = await client.get(`/Users/${first.id}`);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.id, first.id);
      assert.equal(res.body.userName, first.userName);
      assert.deepEqual(res.body.name, first.name);
    });

    it('answers a filter on an unknown userName with 200 and zero results (SPEC R3, R5)', async () => {
      const res = await client.get(`/Users?${filterQuery(`userName eq "${randomUserName}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
      assert.deepEqual(res.body.Resources ?? [], []);
    });

    it('answers an unknown non-UUID id with 404 and an error body whose status is the string "404" (SPEC R4, R12)', async () => {
      const res = await client.get('/Users/010101001010101');
      assertErrorBody(res, 404);
    });

    it('answers an unknown UUID id with 404 and an error body (SPEC R4)', async () => {
      assertErrorBody(await client.get(`/Users/${randomUUID()}`), 404);
    });

    it('creates a user with 201, a Location header and every sent field echoed (SPEC R6)', async () => {
      const body = oktaUser(randomUserName, 'Random', 'Person');
      const res = await client.post('/Users', body);
      assertSingleResource(res, 201, 'User');
      assert.equal(res.body.userName, randomUserName);
      assert.deepEqual(res.body.name, { givenName: 'Random', familyName: 'Person' });
      assert.equal(res.body.displayName, 'Random Person');
      assert.equal(res.body.active, true);
      assert.equal(res.body.emails[0].value, randomUserName);
      assert.equal(res.body.emails[0].type, 'work');
      assert.equal(res.body.emails[0].primary, true);
      createdId = res.body.id;
    });

    it('records the create in the audit trail under Okta\'s User-Agent', async () => {
      const events = await t.container.fork().find(AuditEvent, { targetId: createdId });
      assert.ok(events.length > 0, 'an audit event for the created user');
      assert.ok(events.every((e) => e.userAgent === okta.userAgent && e.actorType === 'scim_token'));
    });

    it('reads the created user back by id (SPEC R7)', async () => {
      const res = await client.get(`/Users/${createdId}`);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.userName, randomUserName);
      assert.equal(res.body.active, true);
    });

    it('answers a duplicate create with 409 uniqueness (SPEC R8)', async () => {
      const res = await client.post('/Users', oktaUser(randomUserName, 'Random', 'Person'));
      assertErrorBody(res, 409);
      assert.equal(res.body.scimType, 'uniqueness');
    });

    it('answers a duplicate create whose userName differs only by case with 409 uniqueness', async () => {
      const res = await client.post('/Users', oktaUser(randomUserName.toUpperCase(), 'Random', 'Person'));
      assertErrorBody(res, 409);
      assert.equal(res.body.scimType, 'uniqueness');
    });

    it('answers Okta\'s upper-cased userName filter with the user (SPEC R9)', async () => {
      const res = await client.get(`/Users?${filterQuery(`userName eq "${randomUserName.toUpperCase()}"`)}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, createdId);
    });

    it('lists groups as a ListResponse (SPEC R10)', async () => {
      assertListResponse(await client.get('/Groups'));
    });

    it('answers a bad token with 401 and an error body (SPEC R11)', async () => {
      const res = await client.get('/Users?count=1&startIndex=1', 'not-a-real-token');
      assertErrorBody(res, 401);
    });

    it('answers a missing Authorization header with 401 and an error body', async () => {
      const res = await request(t.app).get('/scim/v2/Users').set('User-Agent', okta.userAgent!);
      assertErrorBody(res, 401);
    });

    it('says "Bearer" came twice when the admin pasted "Bearer <token>" into HTTP Header mode, which adds its own', async () => {
      const res = await client.get('/Users?startIndex=1&count=2', `Bearer ${acme.tokens.scim}`);
      assertErrorBody(res, 401);
      assert.match(res.body.detail, /"Bearer" twice/);
      assert.match(res.body.detail, /token alone/);
      assert.equal(res.body.detail.includes(acme.tokens.scim), false, 'the token is never echoed');
    });

    it('takes Okta\'s Basic Auth mode: any user name, the SCIM token as the password', async () => {
      for (const user of ['acme', 'okta', '']) {
        const basic = Buffer.from(`${user}:${acme.tokens.scim}`).toString('base64');
        const res = await request(t.app).get('/scim/v2/Users?startIndex=1&count=2').set('User-Agent', okta.userAgent!).set('Authorization', `Basic ${basic}`);
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:ListResponse');
      }
    });

    it('says what Basic Auth needs when its password is not a SCIM token, never echoing it', async () => {
      for (const credentials of ['acme:not-a-token', `${acme.tokens.scim}:`, 'acme', `acme:${acme.tokens.admin}`]) {
        const res = await request(t.app).get('/scim/v2/Users').set('User-Agent', okta.userAgent!).set('Authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
        assertErrorBody(res, 401);
        assert.equal(res.body.detail.includes(acme.tokens.scim) || res.body.detail.includes(acme.tokens.admin), false, 'the token is never echoed');
      }
      const empty = await request(t.app).get('/scim/v2/Users').set('User-Agent', okta.userAgent!).set('Authorization', `Basic ${Buffer.from('acme:').toString('base64')}`);
      assert.match(empty.body.detail, /SCIM token as the password/);
    });

    it('keeps Basic authentication off the admin API: its tokens go in a Bearer header', async () => {
      const basic = Buffer.from(`acme:${acme.tokens.admin}`).toString('base64');
      const res = await request(t.app).get('/api/orgs/acme/users').set('Authorization', `Basic ${basic}`);
      assert.equal(res.status, 401);
      assert.match(res.body.error.message, /Basic authentication is not taken by the admin API/);
    });

    it('says the Bearer scheme is missing when the header holds the token alone', async () => {
      const res = await request(t.app).get('/scim/v2/Users').set('User-Agent', okta.userAgent!).set('Authorization', acme.tokens.scim);
      assertErrorBody(res, 401);
      assert.match(res.body.detail, /without the "Bearer " scheme/);
      assert.equal(res.body.detail.includes(acme.tokens.scim), false, 'the token is never echoed');
    });
  });

  describe('import', () => {
    it('pages through every user with startIndex/count, in a stable order, without gaps or repeats', async () => {
      const first = await client.get('/Users?startIndex=1&count=2').expect(200);
      const total = first.body.totalResults as number;
      const seen: string[] = [];
      for (let start = 1; start <= total; start += 2) {
        const page = await client.get(`/Users?startIndex=${start}&count=2`);
        assertListResponse(page);
        assert.equal(page.body.totalResults, total);
        assert.equal(page.body.startIndex, start);
        seen.push(...page.body.Resources.map((u: { id: string }) => u.id));
      }
      assert.equal(seen.length, total);
      assert.equal(new Set(seen).size, total);
      for (const id of imported) assert.ok(seen.includes(id), `imported user ${id} was listed`);
      const again = await client.get(`/Users?startIndex=1&count=${total}`).expect(200);
      assert.deepEqual(again.body.Resources.map((u: { id: string }) => u.id), seen);
    });

    it('answers a startIndex past the end with an empty page', async () => {
      const res = await client.get('/Users?startIndex=1000&count=2');
      assertListResponse(res);
      assert.equal(res.body.itemsPerPage, 0);
      assert.equal(res.body.startIndex, 1000);
      assert.deepEqual(res.body.Resources ?? [], []);
    });
  });

  describe('provisioning lifecycle', () => {
    const userName = 'isaac.newton@acme.example';
    const oktaId = '00u1ab2cd3EF4gh5I6j7';
    let id: string;

    it('filters by userName first, finds nobody, then creates with a password that is accepted and never returned', async () => {
      const probe = await client.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`);
      assertListResponse(probe);
      assert.equal(probe.body.totalResults, 0);

      const res = await client.post('/Users', oktaUser(userName, 'Isaac', 'Newton', { externalId: oktaId, password: 'Tr0ub4dor&3-gravity', locale: 'en-US' }));
      assertSingleResource(res, 201, 'User');
      assert.equal(res.body.externalId, oktaId);
      assert.equal(res.body.locale, 'en-US');
      assert.equal('password' in res.body, false);
      assert.doesNotMatch(JSON.stringify(res.body), /Tr0ub4dor/);
      id = res.body.id;

      const read = await client.get(`/Users/${id}`).expect(200);
      assert.equal('password' in read.body, false);
      const listed = await client.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`).expect(200);
      assert.equal(listed.body.totalResults, 1);
      assert.doesNotMatch(JSON.stringify(listed.body), /Tr0ub4dor/);
    });

    it('links instead of creating when the filter finds the user: the same id comes back', async () => {
      const res = await client.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`).expect(200);
      assert.equal(res.body.Resources[0].id, id);
      assert.equal(res.body.Resources[0].externalId, oktaId);
    });

    it('applies an App Integration Wizard PUT with a changed givenName and no active, and leaves the user active', async () => {
      const current = await client.get(`/Users/${id}`).expect(200);
      const { active: _active, meta: _meta, ...body } = current.body;
      const res = await client.put(`/Users/${id}`, { ...body, name: { givenName: 'Isaak', familyName: 'Newton' } });
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.name.givenName, 'Isaak');
      assert.equal(res.body.active, true);
      assert.notEqual(res.body.meta.version, current.body.meta.version);
      const read = await client.get(`/Users/${id}`).expect(200);
      assert.equal(read.body.name.givenName, 'Isaak');
      assert.equal(read.body.active, true);
      assert.equal(read.body.externalId, oktaId);
    });

    it('deactivates with a path-less replace {"active": false} and still returns the user', async () => {
      const res = await client.patch(`/Users/${id}`, [{ op: 'replace', value: { active: false } }]);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.active, false);
      assert.equal(res.body.name.givenName, 'Isaak');
      const read = await client.get(`/Users/${id}`);
      assertSingleResource(read, 200, 'User');
      assert.equal(read.body.active, false);
      const listed = await client.get(`/Users?${filterQuery(`userName eq "${userName}"`)}`).expect(200);
      assert.equal(listed.body.totalResults, 1);
      assert.equal(listed.body.Resources[0].active, false);
    });

    it('reactivates with a path-less replace {"active": true}', async () => {
      const res = await client.patch(`/Users/${id}`, [{ op: 'replace', value: { active: true } }]);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.active, true);
      assert.equal((await client.get(`/Users/${id}`).expect(200)).body.active, true);
    });

    it('applies an OIN template PATCH that replaces name and email', async () => {
      const res = await client.patch(`/Users/${id}`, [
        { op: 'replace', value: { name: { givenName: 'Isaac', familyName: 'Newton' }, emails: [{ value: 'sir.isaac@acme.example', type: 'work', primary: true }] } },
      ]);
      assertSingleResource(res, 200, 'User');
      assert.equal(res.body.name.givenName, 'Isaac');
      assert.equal(res.body.emails.length, 1);
      assert.equal(res.body.emails[0].value, 'sir.isaac@acme.example');
      assert.equal(res.body.userName, userName);
    });
  });

  describe('Group Push', () => {
    let groupId: string;
    let newton: string;
    const [ada, grace, alan] = [0, 1, 2];

    before(async () => {
      const res = await client.get(`/Users?${filterQuery('userName eq "isaac.newton@acme.example"')}`).expect(200);
      newton = res.body.Resources[0].id;
    });

    it('finds no group by displayName before the first push', async () => {
      const res = await client.get(`/Groups?${filterQuery('displayName eq "Engineering"')}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 0);
    });

    it('creates a pushed group with its members (201, members echoed)', async () => {
      const res = await client.post('/Groups', {
        schemas: [GROUP_SCHEMA],
        displayName: 'Engineering',
        members: [
          { value: imported[ada], display: 'ada@acme.example' },
          { value: imported[grace], display: 'grace@acme.example' },
        ],
      });
      assertSingleResource(res, 201, 'Group');
      assert.equal(res.body.displayName, 'Engineering');
      assert.deepEqual(memberIds(res.body), [imported[ada]!, imported[grace]!].sort());
      groupId = res.body.id;
    });

    it('finds the pushed group by displayName', async () => {
      const res = await client.get(`/Groups?${filterQuery('displayName eq "Engineering"')}`);
      assertListResponse(res);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].id, groupId);
    });

    it('returns the group with its members on GET /Groups/{id}', async () => {
      const res = await client.get(`/Groups/${groupId}`);
      assertSingleResource(res, 200, 'Group');
      assert.deepEqual(memberIds(res.body), [imported[ada]!, imported[grace]!].sort());
      for (const member of res.body.members) assert.equal(typeof member.display, 'string');
    });

    it('renames the group with a path-less replace that repeats the group\'s own id', async () => {
      const res = await client.patch(`/Groups/${groupId}`, [{ op: 'replace', value: { id: groupId, displayName: 'Engineering Team' } }]);
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}: ${JSON.stringify(res.body)}`);
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.equal(read.body.id, groupId);
      assert.equal(read.body.displayName, 'Engineering Team');
      assert.deepEqual(memberIds(read.body), [imported[ada]!, imported[grace]!].sort());
    });

    it('refuses a path-less replace that tries to change the group\'s id', async () => {
      const res = await client.patch(`/Groups/${groupId}`, [{ op: 'replace', value: { id: randomUUID(), displayName: 'Hijacked' } }]);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assertErrorBody(res, 400);
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.equal(read.body.displayName, 'Engineering Team');
    });

    it('adds members with op add, path members and a value array', async () => {
      const res = await client.patch(`/Groups/${groupId}`, [
        { op: 'add', path: 'members', value: [{ value: imported[alan], display: 'alan@acme.example' }, { value: newton, display: 'isaac.newton@acme.example' }] },
      ]);
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}: ${JSON.stringify(res.body)}`);
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.deepEqual(memberIds(read.body), [imported[ada]!, imported[grace]!, imported[alan]!, newton].sort());
    });

    it('removes one member with path members[value eq "<id>"] and no value', async () => {
      const res = await client.patch(`/Groups/${groupId}`, [{ op: 'remove', path: `members[value eq "${imported[grace]}"]` }]);
      assert.ok(res.status === 200 || res.status === 204, `status ${res.status}: ${JSON.stringify(res.body)}`);
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.deepEqual(memberIds(read.body), [imported[ada]!, imported[alan]!, newton].sort());
    });

    it('shows the membership on the user as groups', async () => {
      const res = await client.get(`/Users/${newton}`).expect(200);
      assert.deepEqual(res.body.groups?.map((g: { value: string }) => g.value), [groupId]);
    });

    it('replaces the whole membership with a full PUT of the group', async () => {
      const res = await client.put(`/Groups/${groupId}`, {
        schemas: [GROUP_SCHEMA],
        id: groupId,
        displayName: 'Engineering Team',
        members: [
          { value: imported[grace], display: 'grace@acme.example' },
          { value: newton, display: 'isaac.newton@acme.example' },
        ],
      });
      assertSingleResource(res, 200, 'Group');
      assert.deepEqual(memberIds(res.body), [imported[grace]!, newton].sort());
      const read = await client.get(`/Groups/${groupId}`).expect(200);
      assert.deepEqual(memberIds(read.body), [imported[grace]!, newton].sort());
    });

    it('empties the group with a full PUT whose members list is empty', async () => {
      const res = await client.put(`/Groups/${groupId}`, { schemas: [GROUP_SCHEMA], id: groupId, displayName: 'Engineering Team', members: [] });
      assertSingleResource(res, 200, 'Group');
      assert.deepEqual(memberIds(res.body), []);
    });

    it('deletes the group when the push is unlinked with delete: 204, then 404', async () => {
      const res = await client.delete(`/Groups/${groupId}`);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      const gone = await client.get(`/Groups/${groupId}`);
      assertErrorBody(gone, 404);
      const listed = await client.get(`/Groups?${filterQuery('displayName eq "Engineering Team"')}`).expect(200);
      assert.equal(listed.body.totalResults, 0);
      const user = await client.get(`/Users/${newton}`).expect(200);
      assertScimJson(user);
      assert.deepEqual(user.body.groups ?? [], []);
    });
  });
});
