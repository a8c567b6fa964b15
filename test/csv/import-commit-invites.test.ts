import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addUser, createPeopleTestApp, scopeOf, setSeatLimit, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';
import { commitImport } from '../../src/directory/import-commit.ts';
import { countingStatements } from '../support/statements.ts';
import { usingPostgres } from '../support/db.ts';

/**
 * The commit's invitation path (new people, invited: the default): row by row
 * through the admin API's invitation writes, with what the org contributes read
 * once per batch, and seats still counted for each row where a limit applies.
 */
describe('CSV import commit (invitations)', function () {
  this.timeout(300_000);
  let t: TestApp;
  const deps = { publicUrl: 'https://gatehouse.test', now: () => new Date() };

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('reads the org (settings, name, seats) and the inviter once per batch, not once per invited row, and queues each mail naming the inviter', async () => {
    const org = await seedOrg(t.container, 'inv-once-imp');
    const adminId = await addUser(t, org, { userName: 'boss@example.com', displayName: 'Bea Boss' });
    const rows = Array.from({ length: 12 }, (_, i) => `p${i}@example.com,P${i},Staff`);
    const res = await upload(t, org, csv('Email,First Name,Groups', ...rows), { createGroups: 'true' }).expect(201);
    const scope = { ...scopeOf(org), actor: { type: 'user' as const, id: adminId, label: 'boss@example.com' } };
    const sent = await countingStatements(() => commitImport(() => t.container.fork(), scope, deps, res.body.id, { rows: 'all' }));
    // The statements are counted as the pg driver sends them: on PGlite there are none to count.
    if (usingPostgres) {
      const count = (pattern: RegExp) => sent.filter((s) => pattern.test(s)).length;
      assert.equal(count(/select name from organizations/), 1);
      assert.equal(count(/select display_name from users where id/), 1);
      assert.ok(count(/select settings from organizations/) < 12, `settings read ${count(/select settings from organizations/)} times for 12 rows`);
      assert.equal(count(/select count\(\*\)::int as n from users where org_id = \S+ and state = 'active'/), 0, 'no seats counted in an org without a seat limit');
      assert.equal(count(/select id, display_name from groups/), 1);
    }
    const mails = await sql(t, `select "to", text from outbox_messages where org_id = ? and kind = 'invitation' order by "to"`, [org.id]);
    assert.equal(mails.length, 12);
    for (const m of mails) assert.match(String(m.text), /Bea Boss \(boss@example\.com\)/);
    const planned = await sql(t, 'select count(*)::int as n from invitation_memberships im join invitations i on i.id = im.invitation_id where i.org_id = ?', [org.id]);
    assert.equal(planned[0]!.n, 12);
    assert.deepEqual((await previewRows(t, org, res.body.id)).map((r) => r.outcome), Array(12).fill('applied'));
  });

  it('in an org with a seat limit counts seats for each invited row: refused no_seats while the seats are full, invited once a row of the same batch freed one', async () => {
    const org = await seedOrg(t.container, 'inv-seats-imp');
    await addUser(t, org, { userName: 'only@example.com' });
    const res = await upload(t, org, csv('Email,Status', 'first@example.com,', 'only@example.com,disabled', 'third@example.com,')).expect(201);
    assert.deepEqual((await previewRows(t, org, res.body.id)).map((r) => r.action), ['create', 'update', 'create']);
    const active = await sql(t, `select count(*)::int as n from users where org_id = ? and state = 'active'`, [org.id]);
    await setSeatLimit(t, org, Number(active[0]!.n));
    // force: disabling one of the few enabled users is over the mass-disable threshold.
    const done = await commit(t, org, res.body.id, { rows: 'all', force: true }).expect(200);
    assert.deepEqual([done.body.progress.applied, done.body.progress.failed], [2, 1]);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => r.outcome), ['failed', 'applied', 'applied']);
    assert.equal(rows[0]!.errors.at(-1).message, 'not invited: no_seats');
    const invited = await sql(t, `select email from users where org_id = ? and state = 'invited'`, [org.id]);
    assert.deepEqual(invited.map((u) => u.email), ['third@example.com']);
  });
});
