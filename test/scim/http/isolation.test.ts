import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import {
  GROUP_SCHEMA,
  SEARCH_SCHEMA,
  createScimTestApp,
  ids,
  memberIds,
  patchOps,
  postGroup,
  postUser,
  scimRequest,
  sql,
  userBody,
} from '../../support/scim.ts';

type Json = Record<string, unknown>;

/**
 * CONVENTIONS 7: the SCIM token picks the org. With org A's token, nothing of
 * org B can be read, found, counted or changed, on any route.
 */
describe('SCIM org isolation', () => {
  let t: TestApp;
  let a: SeededOrg;
  let b: SeededOrg;
  let aUser: Json;
  let aGroup: Json;
  let bUser: Json;
  let bUser2: Json;
  let bGroup: Json;

  /** Everything stored for org B, to compare before and after each request. */
  async function snapshotB(): Promise<Json> {
    return {
      users: await sql(t, 'select * from users where org_id = ? order by id', [b.id]),
      groups: await sql(t, 'select * from groups where org_id = ? order by id', [b.id]),
      memberships: await sql(t, 'select * from memberships where org_id = ? order by id', [b.id]),
      sessions: await sql(t, 'select * from sessions where org_id = ? order by id', [b.id]),
      audit: await sql(t, 'select id from audit_events where org_id = ? order by id', [b.id]),
    };
  }

  before(async () => {
    t = await createScimTestApp();
    a = await seedOrg(t.container, 'acme');
    b = await seedOrg(t.container, 'globex');
    aUser = await postUser(t, a.tokens.scim, 'ann@acme.test');
    aGroup = await postGroup(t, a.tokens.scim, 'Acme Engineering', [String(aUser.id)]);
    bUser = await postUser(t, b.tokens.scim, 'bob@globex.test', { externalId: 'globex-ext-1' });
    bUser2 = await postUser(t, b.tokens.scim, 'bea@globex.test');
    bGroup = await postGroup(t, b.tokens.scim, 'Globex Secret Project', [String(bUser.id)]);
    await sql(
      t,
      `insert into sessions (id, created_at, updated_at, org_id, user_id, token_hash, method, last_seen_at, expires_at)
       values (?, now(), now(), ?, ?, ?, 'saml', now(), now() + interval '1 day')`,
      [randomUUID(), b.id, bUser.id, 'b'.repeat(64)],
    );
  });
  after(() => t.close());

  /** Strings that must never appear in a response to org A (ids, names, external ids of B). */
  const secretsOfB = () => [String(bUser.id), String(bUser2.id), String(bGroup.id), 'bob@globex.test', 'bea@globex.test', 'Globex Secret Project', 'globex-ext-1'];

  interface Case {
    name: string;
    method: 'get' | 'post' | 'put' | 'patch' | 'delete';
    path: () => string;
    body?: () => unknown;
    status: number;
    /** For single-resource routes: the answer must be the one for an id that does not exist. */
    sameAsMissing?: () => string;
    /** For list routes: the ids that must be returned (exactly). */
    expectIds?: () => string[];
  }

  const cases: Case[] = [
    { name: 'GET /Users/{B user}', method: 'get', path: () => `/Users/${bUser.id}`, status: 404, sameAsMissing: () => `/Users/${randomUUID()}` },
    {
      name: 'PUT /Users/{B user}',
      method: 'put',
      path: () => `/Users/${bUser.id}`,
      body: () => userBody('hijacked@acme.test', { active: false }),
      status: 404,
      sameAsMissing: () => `/Users/${randomUUID()}`,
    },
    {
      name: 'PATCH /Users/{B user}',
      method: 'patch',
      path: () => `/Users/${bUser.id}`,
      body: () => patchOps({ op: 'replace', value: { active: false, userName: 'hijacked2@acme.test' } }),
      status: 404,
      sameAsMissing: () => `/Users/${randomUUID()}`,
    },
    { name: 'DELETE /Users/{B user}', method: 'delete', path: () => `/Users/${bUser.id}`, status: 404, sameAsMissing: () => `/Users/${randomUUID()}` },
    { name: 'GET /Groups/{B group}', method: 'get', path: () => `/Groups/${bGroup.id}`, status: 404, sameAsMissing: () => `/Groups/${randomUUID()}` },
    {
      name: 'PUT /Groups/{B group}',
      method: 'put',
      path: () => `/Groups/${bGroup.id}`,
      body: () => ({ schemas: [GROUP_SCHEMA], displayName: 'Hijacked', members: [{ value: String(aUser.id) }] }),
      status: 404,
      sameAsMissing: () => `/Groups/${randomUUID()}`,
    },
    {
      name: 'PATCH /Groups/{B group}',
      method: 'patch',
      path: () => `/Groups/${bGroup.id}`,
      body: () => patchOps({ op: 'remove', path: 'members' }, { op: 'replace', path: 'displayName', value: 'Hijacked' }),
      status: 404,
      sameAsMissing: () => `/Groups/${randomUUID()}`,
    },
    { name: 'DELETE /Groups/{B group}', method: 'delete', path: () => `/Groups/${bGroup.id}`, status: 404, sameAsMissing: () => `/Groups/${randomUUID()}` },
    { name: 'GET /Users', method: 'get', path: () => '/Users', status: 200, expectIds: () => [String(aUser.id)] },
    { name: 'GET /Users?filter=id eq B user', method: 'get', path: () => `/Users?filter=${encodeURIComponent(`id eq "${bUser.id}"`)}`, status: 200, expectIds: () => [] },
    {
      name: 'GET /Users?filter=userName eq B user',
      method: 'get',
      path: () => `/Users?filter=${encodeURIComponent('userName eq "bob@globex.test"')}`,
      status: 200,
      expectIds: () => [],
    },
    {
      name: 'GET /Users?filter=externalId eq B user',
      method: 'get',
      path: () => `/Users?filter=${encodeURIComponent('externalId eq "globex-ext-1"')}`,
      status: 200,
      expectIds: () => [],
    },
    {
      name: 'GET /Users?filter=groups.value eq B group',
      method: 'get',
      path: () => `/Users?filter=${encodeURIComponent(`groups.value eq "${bGroup.id}"`)}`,
      status: 200,
      expectIds: () => [],
    },
    { name: 'GET /Users?cursor=', method: 'get', path: () => '/Users?cursor=&count=1', status: 200, expectIds: () => [String(aUser.id)] },
    { name: 'GET /Groups', method: 'get', path: () => '/Groups', status: 200, expectIds: () => [String(aGroup.id)] },
    { name: 'GET /Groups?filter=id eq B group', method: 'get', path: () => `/Groups?filter=${encodeURIComponent(`id eq "${bGroup.id}"`)}`, status: 200, expectIds: () => [] },
    {
      name: 'GET /Groups?filter=members eq B user',
      method: 'get',
      path: () => `/Groups?filter=${encodeURIComponent(`members eq "${bUser.id}"`)}`,
      status: 200,
      expectIds: () => [],
    },
    {
      name: 'GET /Groups?filter=displayName eq B group',
      method: 'get',
      path: () => `/Groups?filter=${encodeURIComponent('displayName eq "Globex Secret Project"')}`,
      status: 200,
      expectIds: () => [],
    },
    { name: 'POST /.search (no filter)', method: 'post', path: () => '/.search', body: () => ({ schemas: [SEARCH_SCHEMA] }), status: 200, expectIds: () => [String(aUser.id), String(aGroup.id)] },
    {
      name: 'POST /.search (id eq B user)',
      method: 'post',
      path: () => '/.search',
      body: () => ({ schemas: [SEARCH_SCHEMA], filter: `id eq "${bUser.id}"` }),
      status: 200,
      expectIds: () => [],
    },
    {
      name: 'POST /Users/.search (id eq B user)',
      method: 'post',
      path: () => '/Users/.search',
      body: () => ({ schemas: [SEARCH_SCHEMA], filter: `id eq "${bUser.id}" or userName eq "bea@globex.test"` }),
      status: 200,
      expectIds: () => [],
    },
    {
      name: 'POST /Groups/.search (members eq B user)',
      method: 'post',
      path: () => '/Groups/.search',
      body: () => ({ schemas: [SEARCH_SCHEMA], filter: `members eq "${bUser.id}" or id eq "${bGroup.id}"` }),
      status: 200,
      expectIds: () => [],
    },
  ];

  for (const c of cases) {
    it(`${c.name} with org A's token reveals and changes nothing of org B`, async () => {
      const before = await snapshotB();
      const res = await scimRequest(t, a.tokens.scim, c.method, c.path(), c.body?.());
      assert.equal(res.status, c.status, JSON.stringify(res.body));
      if (c.sameAsMissing) {
        // Indistinguishable from an id that exists nowhere: same status, same scimType.
        const missing = await scimRequest(t, a.tokens.scim, c.method, c.sameAsMissing(), c.body?.());
        assert.equal(missing.status, res.status);
        assert.equal(res.body.scimType, missing.body.scimType);
      }
      if (c.expectIds) {
        assert.deepEqual(ids(res).sort(), c.expectIds().sort());
        assert.equal(res.body.totalResults, c.expectIds().length);
      }
      const text = JSON.stringify(res.body);
      // A 404 may echo the id the client itself sent; nothing else of B may appear.
      const echoed = c.sameAsMissing ? c.path().split('/').pop() : undefined;
      for (const secret of secretsOfB().filter((s) => s !== echoed)) assert.ok(!text.includes(secret), `response leaks ${secret}: ${text}`);
      assert.deepEqual(await snapshotB(), before);
    });
  }

  it("refuses POST /Groups naming a user of org B as member with 400 and creates nothing", async () => {
    const before = await snapshotB();
    const groupsOfA = await sql(t, 'select id from groups where org_id = ?', [a.id]);
    const res = await scimRequest(t, a.tokens.scim, 'post', '/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Poachers', members: [{ value: String(bUser.id) }] });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.deepEqual(await sql(t, 'select id from groups where org_id = ?', [a.id]), groupsOfA);
    assert.deepEqual(await snapshotB(), before);
  });

  it("refuses a PATCH adding a user of org B to a group of org A with 400 and writes nothing", async () => {
    const before = await snapshotB();
    const aGroupBefore = await sql(t, 'select * from groups where id = ?', [aGroup.id]);
    const res = await scimRequest(t, a.tokens.scim, 'patch', `/Groups/${aGroup.id}`, patchOps({ op: 'add', path: 'members', value: [{ value: String(bUser.id) }] }));
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.deepEqual(await memberIds(t, String(aGroup.id)), [String(aUser.id)]);
    assert.deepEqual(await sql(t, 'select * from groups where id = ?', [aGroup.id]), aGroupBefore);
    assert.deepEqual(await snapshotB(), before);
  });

  it("refuses a PUT of a group of org A whose members name a user of org B with 400 and writes nothing", async () => {
    const before = await snapshotB();
    const res = await scimRequest(t, a.tokens.scim, 'put', `/Groups/${aGroup.id}`, {
      schemas: [GROUP_SCHEMA],
      displayName: 'Acme Engineering',
      members: [{ value: String(aUser.id) }, { value: String(bUser2.id) }],
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.deepEqual(await memberIds(t, String(aGroup.id)), [String(aUser.id)]);
    assert.deepEqual(await snapshotB(), before);
  });

  it("lets org A create a user whose userName org B already uses (uniqueness is per org)", async () => {
    const before = await snapshotB();
    const created = await postUser(t, a.tokens.scim, 'bea@globex.test');
    assert.notEqual(created.id, bUser2.id);
    assert.deepEqual(await snapshotB(), before);
    await scimRequest(t, a.tokens.scim, 'delete', `/Users/${created.id}`).expect(204);
  });

  it("still serves org B its own data unchanged after all of the above", async () => {
    const user = await scimRequest(t, b.tokens.scim, 'get', `/Users/${bUser.id}`).expect(200);
    assert.equal(user.body.userName, 'bob@globex.test');
    assert.equal(user.body.active, true);
    const group = await scimRequest(t, b.tokens.scim, 'get', `/Groups/${bGroup.id}`).expect(200);
    assert.equal(group.body.displayName, 'Globex Secret Project');
    assert.deepEqual(group.body.members.map((m: Json) => m.value), [String(bUser.id)]);
    const list = await scimRequest(t, b.tokens.scim, 'get', '/Users').expect(200);
    assert.deepEqual(ids(list).sort(), [String(bUser.id), String(bUser2.id)].sort());
  });
});
