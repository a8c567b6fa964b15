import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { createScimTestApp, postUser, scimRequest, sql } from '../support/scim.ts';
import { scopeOf } from '../people/support.ts';
import { restoreUser } from '../../src/directory/people.ts';
import { compactUserCounts } from '../../src/directory/user-counts.ts';

/**
 * An org's live-user count is kept as deltas by triggers on `users`
 * (migrations/…_user_count_deltas.ts) and read by the unfiltered SCIM list for
 * its totalResults. Every way a row enters, leaves or changes state must keep
 * the sum equal to a count of the table.
 */
describe('the maintained live-user count of an org', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
  });
  after(() => t.close());

  const counted = async (org: SeededOrg) => Number((await sql(t, `select count(*)::int as n from users where org_id = ? and state <> 'deleted'`, [org.id]))[0]!.n);
  const kept = async (org: SeededOrg) => Number((await sql(t, `select coalesce(sum(delta), 0)::int as n from user_count_deltas where org_id = ?`, [org.id]))[0]!.n);
  const listed = async (org: SeededOrg) => (await scimRequest(t, org.tokens.scim, 'get', '/Users?count=1').expect(200)).body.totalResults as number;
  const cursorListed = async (org: SeededOrg) => (await scimRequest(t, org.tokens.scim, 'get', '/Users?cursor&count=1').expect(200)).body.totalResults as number;

  async function assertInStep(org: SeededOrg, expected: number): Promise<void> {
    assert.equal(await counted(org), expected, 'users in the table');
    assert.equal(await kept(org), expected, 'the maintained count');
    assert.equal(await listed(org), expected, 'totalResults by startIndex');
    assert.equal(await cursorListed(org), expected, 'totalResults by cursor');
  }

  it('follows creates, deletes and restores, and not disables, per org', async () => {
    const base = await counted(acme);
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push(String((await postUser(t, acme.tokens.scim, `count-${i}@acme.test`)).id));
    await postUser(t, globex.tokens.scim, 'count@globex.test');
    await assertInStep(acme, base + 3);
    await assertInStep(globex, 1);

    await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${created[0]!}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] }).expect(200);
    await assertInStep(acme, base + 3);

    await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${created[1]!}`).expect(204);
    await assertInStep(acme, base + 2);
    await restoreUser(t.container.fork(), scopeOf(acme), created[1]!, new Date());
    await assertInStep(acme, base + 3);
    await assertInStep(globex, 1);
  });

  it('counts a multi-row insert once per org and ignores rows inserted as deleted', async () => {
    const before = { acme: await counted(acme), globex: await counted(globex) };
    await sql(t, `insert into users (id, org_id, user_name, emails, phone_numbers, scim_attributes, state, source, org_role, version, created_at, updated_at)
      select gen_random_uuid(), o.id, 'bulk-' || o.slug || '-' || i || '@test', '[]', '[]', '{}', case when i = 1 then 'deleted' else 'active' end, 'csv', 'member', 1, now(), now()
      from organizations o cross join generate_series(1, 5) i where o.id in (?, ?)`, [acme.id, globex.id]);
    await assertInStep(acme, before.acme + 4);
    await assertInStep(globex, before.globex + 4);
  });

  it('follows rows removed outright, and leaves nothing behind for an org that is deleted', async () => {
    const before = await counted(acme);
    await sql(t, `delete from users where org_id = ? and user_name like 'bulk-acme-%'`, [acme.id]);
    await assertInStep(acme, before - 4);

    const gone = await seedOrg(t.container, 'gone');
    await postUser(t, gone.tokens.scim, 'one@gone.test');
    await sql(t, 'delete from organizations where id = ?', [gone.id]);
    assert.equal(Number((await sql(t, 'select count(*)::int as n from user_count_deltas where org_id = ?', [gone.id]))[0]!.n), 0);
  });

  it('folds each org into one row without changing any total, while others write', async () => {
    const writes = Array.from({ length: 20 }, (_, i) => postUser(t, acme.tokens.scim, `fold-${i}@acme.test`));
    const folds = Array.from({ length: 4 }, () => compactUserCounts(t.container.fork()));
    await Promise.all([...writes, ...folds]);
    await compactUserCounts(t.container.fork());
    const rows = await sql(t, 'select org_id, count(*)::int as n from user_count_deltas where org_id in (?, ?) group by org_id', [acme.id, globex.id]);
    assert.deepEqual(rows.map((r) => r.n), [1, 1]);
    await assertInStep(acme, await counted(acme));
    await assertInStep(globex, await counted(globex));
    assert.deepEqual(await compactUserCounts(t.container.fork()), { orgs: 0, folded: 0 });
  });

  it('keeps a filtered list counting its matches', async () => {
    const res = await scimRequest(t, acme.tokens.scim, 'get', `/Users?filter=${encodeURIComponent('userName sw "fold-1"')}&count=1`).expect(200);
    assert.equal(res.body.totalResults, 11);
  });

  it('starts again from nothing when the users table is truncated', async () => {
    await sql(t, 'truncate users cascade');
    await assertInStep(acme, 0);
    await assertInStep(globex, 0);
  });
});
