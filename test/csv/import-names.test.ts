import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addUser, api, createPeopleTestApp, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';

describe('CSV import: names', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('renames the display name made of the first and last name when the weekly file changes them (Eva Schmidt marries: Eva Weber)', async () => {
    const org = await seedOrg(t.container, 'names-renamed');
    const eva = await addUser(t, org, { userName: 'eva@example.com', givenName: 'Eva', familyName: 'Schmidt', displayName: 'Eva Schmidt', source: 'csv' });
    // As an Outlook list pasted into an invitation names a person.
    const hans = await addUser(t, org, { userName: 'hans@example.com', givenName: 'Hans', familyName: 'Müller', displayName: 'Müller, Hans', source: 'invitation' });
    const res = await upload(t, org, csv('Email,First Name,Last Name', 'eva@example.com,Eva,Weber', 'hans@example.com,Hans,Meier')).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => r.changes), [
      { familyName: { from: 'Schmidt', to: 'Weber' }, displayName: { from: 'Eva Schmidt', to: 'Eva Weber' } },
      { familyName: { from: 'Müller', to: 'Meier' }, displayName: { from: 'Müller, Hans', to: 'Meier, Hans' } },
    ]);
    await commit(t, org, res.body.id).expect(200);
    const names = await sql(t, 'select id, display_name from users where id in (?, ?) order by user_name', [eva, hans]);
    assert.deepEqual(names.map((n) => n.display_name), ['Eva Weber', 'Meier, Hans']);
  });

  it('keeps a display name of its own (a nickname) when the first or last name changes, and an exported users.csv still imports unchanged', async () => {
    const org = await seedOrg(t.container, 'names-own');
    await addUser(t, org, { userName: 'evi@example.com', givenName: 'Eva', familyName: 'Schmidt', displayName: 'Evi', source: 'csv' });
    await addUser(t, org, { userName: 'ann@example.com', givenName: 'Ann', familyName: 'Lee', displayName: 'Ann Lee', source: 'csv' });
    const renamed = await upload(t, org, csv('Email,Last Name', 'evi@example.com,Weber')).expect(201);
    assert.deepEqual((await previewRows(t, org, renamed.body.id))[0]!.changes, { familyName: { from: 'Schmidt', to: 'Weber' } });
    const exported = await api(t, org).get('/exports/users.csv').expect(200);
    const again = await upload(t, org, exported.text).expect(201);
    assert.deepEqual((await previewRows(t, org, again.body.id)).map((r) => r.action), ['unchanged', 'unchanged']);
  });
});
