import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addUser, api, createPeopleTestApp, sql } from '../people/support.ts';
import { csvRecord } from '../../src/csv/export-cells.ts';
import { previewRows, upload } from './import-support.ts';

/**
 * Excel opens a double-clicked .csv with the locale's list separator: `;` in
 * German, French, Dutch… locales, where a comma file lands in one column. The
 * exports write `;` when asked (`delimiter=semicolon`).
 */
describe('CSV exports with a semicolon (Excel in locales whose decimal separator is a comma)', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('quotes a cell for the delimiter in use: ";" with semicolons, "," with commas', () => {
    assert.equal(csvRecord(['a;b', 'c,d', 'e"f'], ';'), '"a;b";c,d;"e""f"\r\n');
    assert.equal(csvRecord(['a;b', 'c,d', 'e"f']), 'a;b,"c,d","e""f"\r\n');
  });

  it('writes users.csv with ";" (GET and POST), which imports back unchanged', async () => {
    const org = await seedOrg(t.container, 'semicolon-export');
    const id = await addUser(t, org, { userName: 'jo@example.com', givenName: 'Jürgen', familyName: 'Müller, jr.', source: 'csv' });
    await sql(t, `update users set department = 'Vertrieb; Süd', office_location = '=Berlin' where id = ?`, [id]);
    const res = await api(t, org).get('/exports/users.csv?delimiter=semicolon').expect(200);
    const lines = res.text.split('\r\n');
    assert.ok(lines[0]!.startsWith('\uFEFFUser Name;User ID;User Email;First Name;Last Name;'), lines[0]);
    const rows = parse(res.text, { bom: true, delimiter: ';', columns: true }) as Array<Record<string, string>>;
    assert.deepEqual([rows[0]!['Last Name'], rows[0]!.Department, rows[0]!['Office Location']], ['Müller, jr.', 'Vertrieb; Süd', "'=Berlin"]);
    const posted = await api(t, org).post('/exports/users.csv').send({ delimiter: 'semicolon', ids: [id] }).expect(200);
    assert.equal(posted.text, res.text);
    const again = await upload(t, org, res.text).expect(201);
    assert.equal(again.body.delimiter, ';');
    assert.deepEqual((await previewRows(t, org, again.body.id)).map((r) => r.action), ['unchanged']);
  });

  it('takes the delimiter on every export, and refuses another one with 400 naming delimiter', async () => {
    const org = await seedOrg(t.container, 'semicolon-all');
    for (const name of ['users-memberships', 'invitations', 'invitations-memberships', 'audit']) {
      const res = await api(t, org).get(`/exports/${name}.csv?delimiter=semicolon`).expect(200);
      assert.ok(!res.text.split('\r\n')[0]!.includes(','), `${name}: ${res.text.split('\r\n')[0]}`);
    }
    const bad = await api(t, org).get('/exports/users.csv?delimiter=tab').expect(400);
    assert.equal(bad.body.error.details.problems[0].field, 'delimiter');
    const comma = await api(t, org).get('/exports/users.csv?delimiter=comma').expect(200);
    assert.ok(comma.text.startsWith('\uFEFFUser Name,User ID,'));
  });
});
