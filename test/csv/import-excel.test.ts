import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addGroup, addUser, api, createPeopleTestApp, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';

/**
 * What an IT admin's spreadsheet does to a file between the export and the
 * import: Excel in a German (or any Western) locale saves "CSV (Trennzeichen-
 * getrennt)" as Windows-1252 with `;`, and writes `?` for every letter that
 * code page lacks (Ł, ř, ő, ğ…). Those are not the admin's edits.
 * Windows-1252's characters → their bytes: the decoder's table, read backwards.
 */
const cp1252 = new Map([...new TextDecoder('windows-1252').decode(Uint8Array.from({ length: 256 }, (_, i) => i))].map((ch, byte) => [ch, byte]));

/** A users.csv export as Excel saves it: `;`, Windows-1252, `?` for what that code page lacks. */
function asExcelSavesIt(exported: string): Buffer {
  // The test's values hold no comma or quote, so a record is its cells joined.
  const text = exported.replace(/^\uFEFF/, '').replaceAll(',', ';');
  return Buffer.from([...text].map((ch) => cp1252.get(ch) ?? 0x3f));
}

describe('CSV import of files a spreadsheet saved', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('reads a users.csv that Excel saved as Windows-1252 back as unchanged, although letters outside that code page became "?"', async () => {
    const org = await seedOrg(t.container, 'excel-1252');
    const id = await addUser(t, org, { userName: 'lukasz@example.com', givenName: 'Łukasz', familyName: 'Dvořák', source: 'csv' });
    await sql(t, `update users set department = 'Zoë’s team – Süd' where id = ?`, [id]);
    const exported = await api(t, org).get('/exports/users.csv').expect(200);
    const saved = asExcelSavesIt(exported.text);
    assert.match(saved.toString('latin1'), /;\?ukasz;Dvo\?\xe1k;/, 'the file holds what Excel writes');
    const res = await upload(t, org, saved).expect(201);
    assert.equal(res.body.encoding, 'windows-1252');
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual([row!.action, row!.changes], ['unchanged', {}]);
  });

  it('keeps a name whose letters Windows-1252 lacks when the same row changes another field, and writes only what the preview showed', async () => {
    const org = await seedOrg(t.container, 'excel-1252-edit');
    const id = await addUser(t, org, { userName: 'ozge@example.com', givenName: 'Özgür', familyName: 'Çağlar', source: 'csv' });
    const file = Buffer.from(csv('Email;First Name;Last Name;Department', 'ozge@example.com;\xd6zg\xfcr;\xc7a?lar;Vertrieb'), 'latin1');
    const res = await upload(t, org, file).expect(201);
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual([row!.action, row!.changes], ['update', { department: { from: null, to: 'Vertrieb' } }]);
    await commit(t, org, res.body.id).expect(200);
    const [user] = await sql(t, 'select given_name, family_name, department from users where id = ?', [id]);
    assert.deepEqual(user, { given_name: 'Özgür', family_name: 'Çağlar', department: 'Vertrieb' });
  });

  it('still changes a letter Windows-1252 can hold, and a "?" where the stored letter was one it holds', async () => {
    const org = await seedOrg(t.container, 'excel-1252-real');
    await addUser(t, org, { userName: 'jose@example.com', givenName: 'Jose', familyName: 'Par?s', displayName: 'JP', source: 'csv' });
    await addUser(t, org, { userName: 'rene@example.com', givenName: 'René', familyName: 'Łoś', displayName: 'RL', source: 'csv' });
    const file = Buffer.from(csv('Email;First Name;Last Name', 'jose@example.com;Jos\xe9;Par\xeds', 'rene@example.com;Ren?;?o?'), 'latin1');
    const res = await upload(t, org, file).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.label, r.changes]), [
      ['jose@example.com', { givenName: { from: 'Jose', to: 'José' }, familyName: { from: 'Par?s', to: 'París' } }],
      ['rene@example.com', { givenName: { from: 'René', to: 'Ren?' } }],
    ]);
  });

  it('writes only the fields the preview showed as changed: a value stored with spaces around it stays as stored', async () => {
    const org = await seedOrg(t.container, 'excel-trim-commit');
    const id = await addUser(t, org, { userName: 'pad-commit@example.com', source: 'csv' });
    await sql(t, `update users set department = E'\\tOps', title = 'Nurse' where id = ?`, [id]);
    const res = await upload(t, org, csv('Email,Department,Title', 'pad-commit@example.com,Ops,Head nurse')).expect(201);
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual(row!.changes, { title: { from: 'Nurse', to: 'Head nurse' } });
    await commit(t, org, res.body.id).expect(200);
    const [user] = await sql(t, 'select department, title from users where id = ?', [id]);
    assert.deepEqual(user, { department: '\tOps', title: 'Head nurse' });
    const [event] = await sql(t, `select details -> 'changes' as changes from audit_events where target_id = ? and action = 'user.updated'`, [id]);
    assert.deepEqual(Object.keys(event!.changes as object), ['title']);
  });

  it('finds a group whose name has letters Windows-1252 lacks ("Łódź" saved as "?ód?"), and never creates a "?ód?" group', async () => {
    const org = await seedOrg(t.container, 'excel-1252-group');
    await addGroup(t, org, 'Łódź Team', []);
    const file = Buffer.from(csv('Email;Groups', 'lodz@example.com;?\xf3d? Team:editor'), 'latin1');
    const res = await upload(t, org, file, { createGroups: 'true', noInvite: 'true' }).expect(201);
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual(row!.changes.groups, { add: ['Łódź Team'], roles: { 'Łódź Team': 'editor' } });
    assert.equal(row!.changes.createGroups, undefined);
    await commit(t, org, res.body.id).expect(200);
    assert.deepEqual((await sql(t, 'select display_name from groups where org_id = ?', [org.id])).map((g) => g.display_name), ['Łódź Team']);
  });
});
