import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addGroup, addUser, api, createPeopleTestApp } from '../people/support.ts';
import { csv, previewRows, upload } from './import-support.ts';

/** The role decides what a person may do in the product: the preview shows it before anyone commits. */
describe('CSV import preview: the groups a row adds, with their roles', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('names the role of every group a new or existing person joins, in the rows and in the report', async () => {
    const org = await seedOrg(t.container, 'preview-roles');
    await addGroup(t, org, 'Sales', []);
    await addGroup(t, org, 'Support', []);
    await addUser(t, org, { userName: 'old@example.com', source: 'csv' });
    const file = csv('Email;Groups', 'new@example.com;"Sales:editor; Support"', 'old@example.com;"Support:admin; Lager"');
    const res = await upload(t, org, file, { createGroups: 'true', fileName: 'staff.csv' }).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => r.changes.groups), [
      { add: ['Sales', 'Support'], roles: { Sales: 'editor', Support: 'viewer' } },
      { add: ['Support', 'Lager'], roles: { Support: 'admin', Lager: 'viewer' } },
    ]);
    const report = await api(t, org).get(`/imports/${res.body.id}/report.csv`).expect(200);
    const changes = (parse(report.text, { bom: true, columns: true }) as Array<Record<string, string>>).map((r) => r.Changes);
    assert.deepEqual(changes, [
      'groups: + Sales (editor), Support (viewer)',
      'groups: + Support (admin), Lager (viewer); new groups: Lager',
    ]);
  });

  it('names an existing group as the organization spells it, whatever the case the file uses', async () => {
    const org = await seedOrg(t.container, 'preview-group-case');
    await addGroup(t, org, 'Sales', []);
    await addGroup(t, org, 'support', []);
    const res = await upload(t, org, csv('Email,Groups', 'n@example.com,"  sales ; SUPPORT:editor"')).expect(201);
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual(row!.changes.groups, { add: ['Sales', 'support'], roles: { Sales: 'viewer', support: 'editor' } });
  });
});
