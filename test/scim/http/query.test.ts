import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import {
  LIST_SCHEMA,
  USER_SCHEMA,
  ENTERPRISE_SCHEMA,
  SCIM_JSON,
  SEARCH_SCHEMA,
  assertScimError,
  createScimTestApp,
  ids,
  postGroup,
  postUser,
  scimRequest,
  sql,
  userBody,
} from '../../support/scim.ts';

type Json = Record<string, unknown>;

const MAX = 10;

describe('SCIM queries', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let all: Json[];
  let groups: Json[];

  before(async () => {
    t = await createScimTestApp({ scim: { maxResults: MAX, rateLimit: { requestsPerSecond: 100000, burst: 100000 } } });
    acme = await seedOrg(t.container, 'acme');
    all = [];
    // Created out of name order, so id order and userName order differ.
    for (let i = 0; i < 25; i++) {
      const k = (i * 7) % 25;
      all.push(await postUser(t, acme.tokens.scim, `user${String(k).padStart(2, '0')}@acme.test`, { name: { givenName: `G${k}`, familyName: `F${k}` } }));
    }
    groups = [await postGroup(t, acme.tokens.scim, 'Alpha'), await postGroup(t, acme.tokens.scim, 'Beta')];
  });
  after(() => t.close());

  const get = (path: string) => scimRequest(t, acme.tokens.scim, 'get', path);
  const allIds = () => all.map((u) => String(u.id)).sort();

  describe('index pagination', () => {
    it('pages 25 users over 3 pages with startIndex and count: stable, no duplicates, totalResults on every page', async () => {
      const seen: string[] = [];
      const pages: Array<[startIndex: number, size: number]> = [[1, 10], [11, 10], [21, 5]];
      for (const [startIndex, expected] of pages) {
        const res = await get(`/Users?startIndex=${startIndex}&count=10`).expect(200);
        assert.deepEqual(res.body.schemas, [LIST_SCHEMA]);
        assert.equal(res.body.totalResults, 25);
        assert.equal(res.body.startIndex, startIndex);
        assert.equal(res.body.itemsPerPage, expected);
        assert.equal(res.body.Resources.length, expected);
        seen.push(...ids(res));
        // Stable: the same page asked again is the same page.
        const again = await get(`/Users?startIndex=${startIndex}&count=10`).expect(200);
        assert.deepEqual(ids(again), ids(res));
      }
      assert.equal(new Set(seen).size, 25);
      assert.deepEqual([...seen].sort(), allIds());
    });

    it('pages in a stable order when sorted by a non-unique attribute', async () => {
      const seen: string[] = [];
      for (const startIndex of [1, 11, 21]) {
        const res = await get(`/Users?sortBy=active&startIndex=${startIndex}&count=10`).expect(200);
        assert.equal(res.body.totalResults, 25);
        seen.push(...ids(res));
      }
      assert.equal(new Set(seen).size, 25);
    });

    it('answers count=0 with totalResults only and no resources', async () => {
      const res = await get('/Users?count=0').expect(200);
      assert.equal(res.body.totalResults, 25);
      assert.equal(res.body.itemsPerPage, 0);
      assert.equal((res.body.Resources ?? []).length, 0);
    });

    it('clamps count above filter.maxResults to maxResults', async () => {
      const res = await get('/Users?count=500').expect(200);
      assert.equal(res.body.totalResults, 25);
      assert.equal(res.body.itemsPerPage, MAX);
      assert.equal(res.body.Resources.length, MAX);
    });

    it('returns an empty page past the end, still with totalResults', async () => {
      const res = await get('/Users?startIndex=100&count=10').expect(200);
      assert.equal(res.body.totalResults, 25);
      assert.equal(res.body.Resources.length, 0);
    });

    it('refuses count=1e2 and startIndex=10.0 with 400 invalidValue naming the parameter', async () => {
      for (const [query, name] of [['count=1e2', 'count'], ['startIndex=10.0', 'startIndex'], ['count=%205', 'count']]) {
        const res = await get(`/Users?${query}`);
        assertScimError(res, 400, 'invalidValue');
        assert.match(res.body.detail, new RegExp(`^${name} must be an integer`));
      }
    });

    it('reads a startIndex below 1 as 1 (RFC 7644 §3.4.2.4)', async () => {
      const zero = await get('/Users?startIndex=0&count=5').expect(200);
      const one = await get('/Users?startIndex=1&count=5').expect(200);
      assert.deepEqual(ids(zero), ids(one));
      assert.equal(zero.body.startIndex, 1);
    });
  });

  describe('cursor pagination', () => {
    it('walks every user exactly once from cursor= through nextCursor until it is absent', async () => {
      const seen: string[] = [];
      let cursor = '';
      let pages = 0;
      for (;;) {
        const res = await get(`/Users?cursor=${encodeURIComponent(cursor)}&count=10`).expect(200);
        pages++;
        assert.equal(res.body.totalResults, 25);
        seen.push(...ids(res));
        if (!res.body.nextCursor) break;
        cursor = String(res.body.nextCursor);
        assert.ok(pages < 10, 'cursor pagination does not end');
      }
      assert.equal(pages, 3);
      assert.equal(seen.length, 25);
      assert.deepEqual([...seen].sort(), allIds());
    });

    it('returns 400 invalidCursor for a cursor it did not issue', async () => {
      assertScimError(await get('/Users?cursor=not-a-real-cursor&count=10'), 400, 'invalidCursor');
    });

    it('also pages groups with a cursor', async () => {
      const first = await get('/Groups?cursor=&count=1').expect(200);
      assert.equal(first.body.totalResults, 2);
      assert.ok(first.body.nextCursor);
      const second = await get(`/Groups?cursor=${encodeURIComponent(first.body.nextCursor)}&count=1`).expect(200);
      assert.equal(second.body.nextCursor, undefined);
      assert.deepEqual([...ids(first), ...ids(second)].sort(), groups.map((g) => String(g.id)).sort());
    });
  });

  describe('sorting and projection', () => {
    it('sorts by userName descending with sortBy and sortOrder', async () => {
      const res = await get('/Users?sortBy=userName&sortOrder=descending&count=10').expect(200);
      const names = res.body.Resources.map((r: Json) => r.userName);
      const expected = all.map((u) => String(u.userName)).sort().reverse().slice(0, 10);
      assert.deepEqual(names, expected);
    });

    it('sorts by userName ascending by default when only sortBy is given', async () => {
      const res = await get('/Users?sortBy=userName&count=3').expect(200);
      assert.deepEqual(res.body.Resources.map((r: Json) => r.userName), ['user00@acme.test', 'user01@acme.test', 'user02@acme.test']);
    });

    it('refuses a sortBy that is no string (given twice, or a number in a SearchRequest) with 400 invalidValue, as it refuses such a filter, rather than leaving the list unsorted', async () => {
      // Before: 200 in id order, the sort silently dropped.
      const twice = await get('/Users?sortBy=userName&sortBy=name.familyName&count=3');
      assertScimError(twice, 400, 'invalidValue');
      assert.equal(twice.body.detail, 'sortBy must be one attribute name, got ["userName","name.familyName"]');
      const search = await scimRequest(t, acme.tokens.scim, 'post', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], sortBy: 5 });
      assertScimError(search, 400, 'invalidValue');
      assert.equal(search.body.detail, 'sortBy must be one attribute name, got 5');
    });

    it('returns only id and the asked attributes with attributes=userName', async () => {
      const res = await get('/Users?attributes=userName&count=3').expect(200);
      for (const r of res.body.Resources as Json[]) {
        assert.ok(r.id);
        assert.ok(r.userName);
        assert.equal(r.emails, undefined);
        assert.equal(r.name, undefined);
        assert.equal(r.active, undefined);
      }
    });

    it('drops emails and name.givenName with excludedAttributes=emails,name.givenName', async () => {
      const res = await get('/Users?excludedAttributes=emails,name.givenName&count=3').expect(200);
      for (const r of res.body.Resources as Json[]) {
        assert.ok(r.id);
        assert.ok(r.userName);
        assert.equal(r.emails, undefined);
        assert.equal((r.name as Json).givenName, undefined);
        assert.match(String((r.name as Json).familyName), /^F\d+$/);
      }
    });

    it('returns only the value of each email with attributes=emails.value', async () => {
      const res = await get('/Users?attributes=emails.value&count=3').expect(200);
      for (const r of res.body.Resources as Json[]) {
        assert.ok(r.id);
        assert.equal(r.name, undefined);
        const stored = all.find((u) => u.id === r.id)!;
        assert.deepEqual(r.emails, [{ value: stored.userName }]);
      }
    });

    it('applies attributes on GET of a single user too', async () => {
      const res = await get(`/Users/${all[0]!.id}?attributes=userName`).expect(200);
      assert.equal(res.body.id, all[0]!.id);
      assert.equal(res.body.userName, all[0]!.userName);
      assert.equal(res.body.emails, undefined);
    });

    it('reads the dotted URN spelling in attributes and excludedAttributes as filters and sortBy do (…:User.department, …:User.userName)', async () => {
      const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', { schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA], userName: 'dotted@acme.test', [ENTERPRISE_SCHEMA]: { department: 'Eng', employeeNumber: '7' } }).expect(201);
      const only = await get(`/Users/${created.body.id}?attributes=${encodeURIComponent(`${ENTERPRISE_SCHEMA}.department`)}`).expect(200);
      assert.deepEqual(only.body[ENTERPRISE_SCHEMA], { department: 'Eng' });
      assert.equal(only.body.userName, undefined);
      const without = await get(`/Users/${created.body.id}?excludedAttributes=${encodeURIComponent(`${ENTERPRISE_SCHEMA}.department`)}`).expect(200);
      assert.deepEqual(without.body[ENTERPRISE_SCHEMA], { employeeNumber: '7' });
      const core = await get(`/Users/${created.body.id}?attributes=${encodeURIComponent('urn:ietf:params:scim:schemas:core:2.0:User.userName')}`).expect(200);
      assert.equal(core.body.userName, 'dotted@acme.test');
      await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${created.body.id}`).expect(204);
    });

    it('returns groups without members with excludedAttributes=members', async () => {
      const res = await get('/Groups?excludedAttributes=members').expect(200);
      for (const g of res.body.Resources as Json[]) assert.equal(g.members, undefined);
    });
  });

  describe('filters', () => {
    it('finds a user by userName case-insensitively (Okta R9)', async () => {
      const res = await get(`/Users?filter=${encodeURIComponent('userName eq "USER03@ACME.TEST"')}`).expect(200);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].userName, 'user03@acme.test');
    });

    it('answers a filter matching nothing with 200 and totalResults 0', async () => {
      const res = await get(`/Users?filter=${encodeURIComponent('userName eq "nobody@acme.test"')}`).expect(200);
      assert.equal(res.body.totalResults, 0);
      assert.deepEqual(res.body.Resources ?? [], []);
    });

    it('returns 400 invalidFilter with a detail for a filter that does not parse', async () => {
      const res = await get(`/Users?filter=${encodeURIComponent('userName eq')}`);
      assertScimError(res, 400, 'invalidFilter');
    });

    it('returns 400 invalidFilter for a bad operator', async () => {
      assertScimError(await get(`/Users?filter=${encodeURIComponent('userName zz "x"')}`), 400, 'invalidFilter');
    });

    it('returns 400 invalidFilter naming an unknown attribute in a filter', async () => {
      const res = await get(`/Users?filter=${encodeURIComponent('shoeSize eq "42"')}`);
      assertScimError(res, 400, 'invalidFilter');
      assert.match(res.body.detail, /shoeSize/);
    });

    it('returns 400 invalidFilter for an unknown attribute in a .search body too', async () => {
      assertScimError(await scimRequest(t, acme.tokens.scim, 'post', '/Users/.search', { schemas: [SEARCH_SCHEMA], filter: 'shoeSize eq "42"' }), 400, 'invalidFilter');
    });
  });

  describe('filter values are JSON strings (RFC 7644 §3.4.2.2, RFC 8259 §7)', () => {
    let escapes: SeededOrg;
    const find = (path: string, filter: string) => scimRequest(t, escapes.tokens.scim, 'get', path).query({ filter });

    before(async () => {
      escapes = await seedOrg(t.container, 'escapes');
      await postUser(t, escapes.tokens.scim, 'CONTOSO\\jdoe');
      await postGroup(t, escapes.tokens.scim, 'Team "X"');
    });

    for (const filter of ['userName eq "CONTOSO\\\\jdoe"', 'userName eq "CONTOSO\\u005cjdoe"', 'userName sw "contoso\\u005C"']) {
      it(`finds the user named CONTOSO\\jdoe with ${filter}`, async () => {
        const res = await find('/Users', filter).expect(200);
        assert.equal(res.body.totalResults, 1);
        assert.equal(res.body.Resources[0].userName, 'CONTOSO\\jdoe');
      });
    }

    it('finds the group named Team "X" with \\u0022 escapes', async () => {
      const res = await find('/Groups', 'displayName eq "Team \\u0022X\\u0022"').expect(200);
      assert.equal(res.body.totalResults, 1);
      assert.equal(res.body.Resources[0].displayName, 'Team "X"');
    });

    it('returns 400 invalidFilter naming an invalid escape instead of matching it literally', async () => {
      const res = await find('/Users', 'userName eq "CONTOSO\\jdoe"');
      assertScimError(res, 400, 'invalidFilter');
      assert.match(res.body.detail, /Invalid escape '\\j' at position 21/);
    });
  });

  describe("Entra's unquoted numbers on string attributes (IDP-NOTES §1.3)", () => {
    let numbers: SeededOrg;
    const find = (filter: string) => scimRequest(t, numbers.tokens.scim, 'get', '/Users').query({ filter });

    before(async () => {
      numbers = await seedOrg(t.container, 'numbers');
      await postUser(t, numbers.tokens.scim, '12345', { externalId: '12345' });
      await postUser(t, numbers.tokens.scim, '1e3', { externalId: '007' });
    });

    const cases: Array<[filter: string, userNames: string[]]> = [
      ['externalId eq 12345', ['12345']],
      ['userName eq 12345', ['12345']],
      ['userName eq 1e3', ['1e3']],
      ['userName eq 1000', []],
      ['externalId eq 007', ['1e3']],
      ['externalId ne 12345', ['1e3']],
      ['userName sw 1 and externalId gt 1', ['12345']],
    ];
    for (const [filter, userNames] of cases) {
      it(`answers ${filter} with 200, comparing the number as written`, async () => {
        const res = await find(filter);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.Resources.map((r: Json) => r.userName).sort(), userNames);
        assert.equal(res.body.totalResults, userNames.length);
      });
    }
  });

  describe('meta.created and meta.lastModified filters compare with the values responses show', () => {
    let dates: SeededOrg;
    let user: Json;
    const find = (filter: string) => scimRequest(t, dates.tokens.scim, 'get', '/Users').query({ filter });

    before(async () => {
      dates = await seedOrg(t.container, 'dates');
      const created = await postUser(t, dates.tokens.scim, 'delta@dates.test');
      // PostgreSQL keeps microseconds; pinned so that the sub-millisecond part is never zero by chance.
      await sql(t, `update users set created_at = '2026-03-04T05:06:07.123456Z', updated_at = '2026-03-04T05:06:08.654321Z' where id = ?`, [created.id]);
      user = (await scimRequest(t, dates.tokens.scim, 'get', `/Users/${created.id}`).expect(200)).body as Json;
    });

    it('shows milliseconds', () => {
      assert.deepEqual(
        [(user.meta as Json).created, (user.meta as Json).lastModified],
        ['2026-03-04T05:06:07.123Z', '2026-03-04T05:06:08.654Z'],
      );
    });

    it('finds the user with meta.created eq the created value it returned', async () => {
      const res = await find(`meta.created eq "${(user.meta as Json).created}"`).expect(200);
      assert.deepEqual(ids(res), [user.id]);
    });

    it('leaves the user out of meta.lastModified gt its last value seen (a delta sync)', async () => {
      const res = await find(`meta.lastModified gt "${(user.meta as Json).lastModified}"`).expect(200);
      assert.equal(res.body.totalResults, 0);
    });

    it('keeps the user in meta.lastModified ge its last value seen', async () => {
      const res = await find(`meta.lastModified ge "${(user.meta as Json).lastModified}"`).expect(200);
      assert.deepEqual(ids(res), [user.id]);
    });
  });

  describe('routes and media types', () => {
    it('serves /Users/ with a trailing slash like /Users', async () => {
      const res = await get('/Users/?count=2').expect(200);
      assert.deepEqual(res.body.schemas, [LIST_SCHEMA]);
      assert.equal(res.body.totalResults, 25);
    });

    it('accepts an application/json request body', async () => {
      const res = await request(t.app)
        .post('/scim/v2/Users')
        .set('Authorization', `Bearer ${acme.tokens.scim}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(userBody('plainjson@acme.test')))
        .expect(201);
      assert.match(res.headers['content-type'] ?? '', SCIM_JSON);
      assert.equal(res.body.userName, 'plainjson@acme.test');
      await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${res.body.id}`).expect(204);
    });

    it('searches users with POST /Users/.search and a SearchRequest body', async () => {
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users/.search', {
        schemas: [SEARCH_SCHEMA],
        filter: 'userName sw "user1"',
        sortBy: 'userName',
        sortOrder: 'ascending',
        startIndex: 2,
        count: 3,
        attributes: ['userName'],
      }).expect(200);
      assert.match(res.headers['content-type'] ?? '', SCIM_JSON);
      assert.equal(res.body.totalResults, 10);
      assert.equal(res.body.startIndex, 2);
      assert.deepEqual(res.body.Resources.map((r: Json) => r.userName), ['user11@acme.test', 'user12@acme.test', 'user13@acme.test']);
      assert.equal(res.body.Resources[0].emails, undefined);
    });

    it('reads SearchRequest keys in any case (attribute names are case-insensitive), never widening to the whole directory', async () => {
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users/.search', {
        Schemas: [SEARCH_SCHEMA], Filter: 'userName sw "user1"', SortBy: 'userName', StartIndex: 2, COUNT: 3, Attributes: ['userName'],
      }).expect(200);
      assert.equal(res.body.totalResults, 10);
      assert.deepEqual(res.body.Resources.map((r: Json) => r.userName), ['user11@acme.test', 'user12@acme.test', 'user13@acme.test']);
      assert.equal(res.body.Resources[0].emails, undefined);
      const none = await scimRequest(t, acme.tokens.scim, 'post', '/.search', { schemas: [SEARCH_SCHEMA], FILTER: 'userName eq "nobody@acme.test"' }).expect(200);
      assert.equal(none.body.totalResults, 0);
      const twice = await scimRequest(t, acme.tokens.scim, 'post', '/Groups/.search', { schemas: [SEARCH_SCHEMA], filter: 'displayName eq "Beta"', Filter: 'displayName eq "Alpha"' });
      assertScimError(twice, 400, 'invalidSyntax');
      assert.match(twice.body.detail, /"filter" and "Filter"/);
    });

    it('searches every resource type with POST /.search on the root', async () => {
      const everything = await scimRequest(t, acme.tokens.scim, 'post', '/.search', { schemas: [SEARCH_SCHEMA], count: MAX }).expect(200);
      assert.equal(everything.body.totalResults, 27);
      assert.equal(everything.body.Resources.length, MAX);
      const byName = await scimRequest(t, acme.tokens.scim, 'post', '/.search', { schemas: [SEARCH_SCHEMA], filter: 'displayName eq "Beta"' }).expect(200);
      assert.equal(byName.body.totalResults, 1);
      assert.equal(byName.body.Resources[0].id, groups[1]!.id);
      const users = await scimRequest(t, acme.tokens.scim, 'post', '/.search', { schemas: [SEARCH_SCHEMA], filter: 'userName eq "user07@acme.test"' }).expect(200);
      assert.equal(users.body.totalResults, 1);
      assert.equal(users.body.Resources[0].meta.resourceType, 'User');
    });

    it('reads an attribute one type lacks as absent in a root search: the or finds the group, not(…) every group', async () => {
      const either = await scimRequest(t, acme.tokens.scim, 'post', '/.search', { schemas: [SEARCH_SCHEMA], filter: 'displayName eq "Beta" or userName eq "nobody@acme.test"' }).expect(200);
      assert.deepEqual(either.body.Resources.map((r: Json) => r.id), [groups[1]!.id]);
      const notUser = await scimRequest(t, acme.tokens.scim, 'post', '/.search', { schemas: [SEARCH_SCHEMA], filter: 'not (userName pr)', count: MAX }).expect(200);
      assert.ok(notUser.body.Resources.length > 0);
      assert.ok(notUser.body.Resources.every((r: Json) => (r.meta as Json).resourceType === 'Group'));
      // A name no type has is still the client's error.
      assertScimError(await scimRequest(t, acme.tokens.scim, 'post', '/.search', { schemas: [SEARCH_SCHEMA], filter: 'shoeSize eq "42"' }), 400, 'invalidFilter');
    });

    it('pages the root search over users then groups', async () => {
      const tail = await scimRequest(t, acme.tokens.scim, 'post', '/.search', { schemas: [SEARCH_SCHEMA], startIndex: 21, count: 10 }).expect(200);
      assert.equal(tail.body.totalResults, 27);
      assert.equal(tail.body.Resources.length, 7);
      assert.deepEqual(tail.body.Resources.slice(5).map((r: Json) => (r.meta as Json).resourceType), ['Group', 'Group']);
    });
  });
});
