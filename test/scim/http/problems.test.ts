import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { api, sql } from '../../people/support.ts';
import request from 'supertest';
import { signIn, tokenWith } from '../../admin/support.ts';
import { createScimTestApp, scimRequest, userBody, assertScimError } from '../../support/scim.ts';

const DAY = 86_400_000;

interface Problem {
  id: string;
  at: string;
  method: string;
  path: string;
  tokenName: string;
  status: number;
  scimType: string | null;
  detail: string;
  requestId: string;
}

interface ProblemPage {
  problems: Problem[];
  counts: Array<{ status: number; scimType: string | null; count: number }>;
  nextCursor: string | null;
}

/**
 * An IdP's SCIM write that Gatehouse refuses leaves a trace the org's admin
 * can read (GET /api/orgs/:org/scim/problems), not only a line in the IdP's
 * provisioning logs: when, what, which token, the status and the detail sent.
 */
describe('SCIM problems: refused IdP requests the org admin can read', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;

  const problems = async (org: SeededOrg, query = ''): Promise<ProblemPage> => {
    const res = await api(t, org).get(`/scim/problems${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as ProblemPage;
  };
  const stored = async (org: SeededOrg) => Number((await sql(t, 'select count(*)::int as n from scim_problems where org_id = ?', [org.id]))[0]!.n);

  beforeEach(async () => {
    t = await createScimTestApp({ scim: { problemsPerOrg: 3 } });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
  });
  afterEach(() => t.close());

  it('records a refused write once, with its detail, status, scimType, token name and request id, and nothing of its body', async () => {
    await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('ann@acme.test')).expect(201);
    const refused = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('ann@acme.test', { password: 'Secret-Pa55word!' }));
    assertScimError(refused, 409, 'uniqueness');

    const page = await problems(acme);
    assert.equal(page.problems.length, 1);
    const [problem] = page.problems;
    assert.deepEqual(
      { method: problem!.method, path: problem!.path, tokenName: problem!.tokenName, status: problem!.status, scimType: problem!.scimType, detail: problem!.detail, requestId: problem!.requestId },
      { method: 'POST', path: '/scim/v2/Users', tokenName: 'acme idp', status: 409, scimType: 'uniqueness', detail: refused.body.detail, requestId: refused.headers['x-request-id'] },
    );
    assert.ok(!JSON.stringify(page).includes('Secret-Pa55word!'));
    assert.deepEqual(page.counts, [{ status: 409, scimType: 'uniqueness', count: 1 }]);
  });

  it('records nothing for a successful write, a bad token, a lookup or deletion of a missing id or a stale If-Match', async () => {
    const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('bob@acme.test')).expect(201);
    await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${created.body.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Boss' }],
    }).expect(200);
    await scimRequest(t, 'not-a-token', 'post', '/Users', userBody('eve@acme.test')).expect(401);
    await scimRequest(t, acme.tokens.scim, 'get', '/Users/00000000-0000-4000-8000-000000000000').expect(404);
    // Entra deletes people it soft-deleted about 30 days later, often gone on this side already: routine, not a problem.
    await scimRequest(t, acme.tokens.scim, 'delete', '/Users/00000000-0000-4000-8000-000000000000').expect(404);
    await scimRequest(t, acme.tokens.scim, 'put', `/Users/${created.body.id}`, userBody('bob@acme.test'), { 'If-Match': 'W/"99"' }).expect(412);
    assert.equal(await stored(acme), 0);
    assert.deepEqual((await problems(acme)).problems, []);
  });

  it('records a body refused while it was read (malformed JSON, an attribute named twice) under the token it came with', async () => {
    const malformed = await scimRequest(t, acme.tokens.scim, 'post', '/Users', '{"schemas": [');
    assertScimError(malformed, 400, 'invalidSyntax');
    const twice = await scimRequest(t, acme.tokens.scim, 'post', '/Users', '{"userName": "a@acme.test", "USERNAME": "b@acme.test"}');
    assertScimError(twice, 400, 'invalidSyntax');
    // No body is read before the token is accepted.
    await scimRequest(t, 'not-a-token', 'post', '/Users', '{"schemas": [').expect(401);
    const page = await problems(acme);
    assert.deepEqual(page.problems.map((p) => [p.requestId, p.detail, p.tokenName]), [
      [twice.headers['x-request-id'], twice.body.detail, 'acme idp'],
      [malformed.headers['x-request-id'], malformed.body.detail, 'acme idp'],
    ]);
    assert.equal(await stored(globex), 0);
  });

  it('shows an org its own problems only', async () => {
    await scimRequest(t, globex.tokens.scim, 'post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }).expect(400);
    assert.equal((await problems(globex)).problems.length, 1);
    assert.deepEqual(await problems(acme), { problems: [], counts: [], nextCursor: null });
  });

  it('pages newest first with a cursor and refuses a cursor it did not give', async () => {
    for (const name of ['a', 'b']) {
      await scimRequest(t, acme.tokens.scim, 'patch', `/Users/00000000-0000-4000-8000-00000000000${name === 'a' ? 1 : 2}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'x' }],
      }).expect(404);
    }
    const first = await problems(acme, '?limit=1');
    assert.match(first.problems[0]!.path, /0002$/);
    assert.ok(first.nextCursor);
    const second = await problems(acme, `?limit=1&cursor=${first.nextCursor}`);
    assert.match(second.problems[0]!.path, /0001$/);
    assert.equal(second.nextCursor, null);
    assert.deepEqual(first.counts, [{ status: 404, scimType: null, count: 2 }]);
    const bad = await api(t, acme).get('/scim/problems?cursor=nonsense').expect(400);
    assert.match(JSON.stringify(bad.body), /cursor/);
  });

  it('shows ids and cursors opaque to each org: no count of other orgs\' refusals can be read from them, and another org\'s cursor is refused', async () => {
    for (const org of [acme, globex, acme]) {
      await scimRequest(t, org.tokens.scim, 'post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }).expect(400);
    }
    const page = await problems(acme, '?limit=1');
    const stored = (await sql(t, 'select id::text as id from scim_problems where org_id = ? order by id', [acme.id])).map((r) => String(r.id));
    for (const id of [page.problems[0]!.id, page.nextCursor!]) {
      assert.ok(!stored.includes(id), `the stored sequence number ${id} is not shown`);
      assert.doesNotMatch(id, /^\d+$/);
    }
    assert.equal((await problems(acme, `?cursor=${page.nextCursor}`)).problems.length, 1);
    const foreign = await api(t, globex).get(`/scim/problems?cursor=${page.nextCursor}`).expect(400);
    assert.match(JSON.stringify(foreign.body), /cursor/);
  });

  it('keeps at most the configured number per org, the newest', async () => {
    const requestIds: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], title: `try ${i}` }).expect(400);
      requestIds.push(String(res.headers['x-request-id']));
    }
    await scimRequest(t, globex.tokens.scim, 'post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }).expect(400);
    assert.equal(await stored(acme), 3);
    assert.equal(await stored(globex), 1);
    assert.deepEqual((await problems(acme)).problems.map((p) => p.requestId), requestIds.slice(2).reverse());
  });

  it('are pruned by the daily housekeeping after keepSpentDays', async () => {
    await scimRequest(t, acme.tokens.scim, 'post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }).expect(400);
    const keepDays = t.container.config.purge.keepSpentDays;
    const pruned = await t.container.purge.pruneOnce(new Date(Date.now() + (keepDays - 1) * DAY));
    assert.equal(pruned.scimProblems, 0);
    assert.equal(await stored(acme), 1);
    const later = await t.container.purge.pruneOnce(new Date(Date.now() + (keepDays + 1) * DAY));
    assert.equal(later.scimProblems, 1);
    assert.equal(await stored(acme), 0);
  });

  it('needs the permission the SCIM token pages need', async () => {
    const narrow = await tokenWith(t, acme, ['users.edit']);
    const res = await api(t, acme, narrow).get('/scim/problems').expect(403);
    assert.match(JSON.stringify(res.body), /settings\.manage/);
  });

  it('are listed on the console\'s SSO page in plain words, with counts by reason', async () => {
    const admin = await signIn(t, acme, 'ida@acme.test', { orgRole: 'org_admin' });
    const empty = await request(t.app).get('/console/sso').set('Cookie', admin.cookie).expect(200);
    assert.match(empty.text, /No SCIM request of your identity provider has been refused/);
    await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('cy@acme.test')).expect(201);
    for (let i = 0; i < 2; i += 1) await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('cy@acme.test')).expect(409);
    const res = await request(t.app).get('/console/sso').set('Cookie', admin.cookie).expect(200);
    assert.match(res.text, /<li>2 × Clashes with an existing user or group \(same userName or group name\) \(409 uniqueness\)<\/li>/);
    assert.match(res.text, /<code>POST \/scim\/v2\/Users<\/code>/);
    assert.match(res.text, /acme idp/);
  });
});
