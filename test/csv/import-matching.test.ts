import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { createPeopleTestApp } from '../people/support.ts';
import { csv, previewRows, upload } from './import-support.ts';

describe('CSV import: rows that match nobody', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('names the User ID or User Name that matches nobody (not_found), rather than asking for an Email the file does not have', async () => {
    const org = await seedOrg(t.container, 'match-nobody');
    const byId = await upload(t, org, csv('User ID,Title', '01a22fd0-e7ab-78d1-ad7f-f083b759d0e6,Boss', 'not-a-uuid,Boss')).expect(201);
    assert.deepEqual((await previewRows(t, org, byId.body.id)).map((r) => [r.action, r.errors]), [
      ['skip', [{ column: 'User ID', reason: 'not_found', message: 'nobody in this organization has this user ID (a new person needs an email address)' }]],
      ['skip', [{ column: 'User ID', reason: 'not_found', message: 'nobody in this organization has this user ID (a new person needs an email address)' }]],
    ]);
    const byName = await upload(t, org, csv('User Name,Title', 'ghost,Boss'), { mode: 'sync', fileName: 'staff.csv' }).expect(201);
    assert.deepEqual((await previewRows(t, org, byName.body.id)).map((r) => r.errors), [
      [{ column: 'User Name', reason: 'not_found', message: 'nobody in this organization has this user name (a new person needs an email address)' }],
    ]);
    const noEmail = await upload(t, org, csv('Email,User ID,Title', ',01a22fd0-e7ab-78d1-ad7f-f083b759d0e6,Boss')).expect(201);
    assert.deepEqual((await previewRows(t, org, noEmail.body.id))[0]!.errors.map((e: { column: string; reason: string }) => [e.column, e.reason]), [['User ID', 'not_found']]);
    const newPerson = await upload(t, org, csv('Email,Title', ',Boss')).expect(201);
    assert.deepEqual((await previewRows(t, org, newPerson.body.id))[0]!.errors.map((e: { column: string; reason: string }) => [e.column, e.reason]), [['Email', 'missing_required']]);
  });
});
