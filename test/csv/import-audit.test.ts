import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addUser, api, createPeopleTestApp, sql } from '../people/support.ts';
import { commit, csv, upload } from './import-support.ts';

/** What the audit trail says about a committed import: enough to answer "who disabled 1,200 people, and did they override the guard?". */
describe('CSV import: the audit trail of a commit', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  const committed = async (importId: string) => {
    const [event] = await sql(t, `select details from audit_events where action = 'import.committed' and target_id = ?`, [importId]);
    return event!.details as Record<string, unknown>;
  };

  it('names in import.committed that the mass-disable guard was overridden with force, with the numbers it guarded', async () => {
    const org = await seedOrg(t.container, 'audit-forced');
    for (let i = 0; i < 4; i++) await addUser(t, org, { userName: `f-${i}` });
    const res = await upload(t, org, csv('User Name', 'f-0', 'f-1'), { mode: 'disable', exceptScim: 'true', fileName: 'legacy.csv' }).expect(201);
    const refused = await commit(t, org, res.body.id).expect(409);
    assert.match(refused.body.error.message, /2 of the organization's 4 enabled users, more than its mass-disable threshold \(20%\)/);
    assert.match(refused.body.error.message, /"force": true/);
    await commit(t, org, res.body.id, { rows: 'all', force: true }).expect(200);
    const details = await committed(res.body.id);
    assert.deepEqual(
      { forced: details.forced, massDisable: details.massDisable, selection: details.selection, options: details.options },
      { forced: true, massDisable: { disable: 2, enabled: 4, threshold: 0.2 }, selection: 'all', options: { noInvite: false, createGroups: false, exceptScim: true } },
    );
  });

  it('says whether all rows or chosen ones were committed, and records no force where the guard did not hold', async () => {
    const org = await seedOrg(t.container, 'audit-chosen');
    const res = await upload(t, org, csv('Email', 'a@example.com', 'b@example.com', 'c@example.com'), { noInvite: 'true' }).expect(201);
    await commit(t, org, res.body.id, { rows: [1, 3], force: true }).expect(200);
    const details = await committed(res.body.id);
    assert.equal(details.selection, 'chosen');
    assert.equal(details.total, 2);
    assert.equal(details.forced, false);
    assert.equal(details.massDisable, undefined);
  });

  it('names who uploaded each import (createdBy) in the import and the list of imports', async () => {
    const org = await seedOrg(t.container, 'audit-uploader');
    const res = await upload(t, org, csv('Email', 'up@example.com'), { noInvite: 'true' }).expect(201);
    assert.equal(res.body.createdBy, 'audit-uploader admin');
    const list = await api(t, org).get('/imports').expect(200);
    assert.deepEqual(list.body.imports.map((i: { createdBy: string }) => i.createdBy), ['audit-uploader admin']);
  });
});
