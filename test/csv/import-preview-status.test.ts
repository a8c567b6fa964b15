import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { createPeopleTestApp, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';

describe('CSV import preview: a new person the row creates disabled', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  for (const noInvite of [true, false]) {
    it(`shows status → disabled on a create row whose Status says so (${noInvite ? 'created directly' : 'invited'}), as the commit makes them`, async () => {
      const org = await seedOrg(t.container, `create-disabled-${noInvite ? 'direct' : 'invite'}`);
      const res = await upload(t, org, csv('Email,Status', 'off@example.com,disabled', 'on@example.com,active'), { noInvite: String(noInvite) }).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => [r.action, r.changes.status]), [['create', { from: null, to: 'disabled' }], ['create', undefined]]);
      await commit(t, org, res.body.id).expect(200);
      const states = await sql(t, 'select user_name, state from users where org_id = ? order by user_name', [org.id]);
      assert.deepEqual(states.map((s) => [s.user_name, s.state]), [['off@example.com', 'disabled'], ['on@example.com', noInvite ? 'active' : 'invited']]);
    });
  }
});
