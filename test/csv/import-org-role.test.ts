import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, api, auth, createPeopleTestApp } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';
import { signIn } from '../admin/support.ts';

type Note = { column: string | null; reason: string; message: string };

/**
 * The users.csv export has an `Organization Role` column; an import reads it but never writes it
 * (the org role is an access change only an org admin makes, in the admin API or the CLI, with the
 * last-admin guard). A row whose cell differs from the person's role says so in the preview, so the
 * preview does not show the file as applied when that part of it will not be.
 */
describe('CSV import: the Organization Role column', function () {
  this.timeout(60_000);
  let t: TestApp;
  let org: SeededOrg;
  let member: string;
  let admin: string;

  before(async () => {
    t = await createPeopleTestApp();
    org = await seedOrg(t.container, 'orgrole-imp');
    member = await addUser(t, org, { userName: 'mo@example.com', givenName: 'Mo', familyName: 'Member' });
    admin = await addUser(t, org, { userName: 'ad@example.com', givenName: 'Ad', familyName: 'Admin' });
    await request(t.app).put(`/api/orgs/${org.slug}/users/${admin}/access`).set(auth(org.tokens.admin)).send({ orgRole: 'org_admin' }).expect(200);
  });
  after(async () => t?.close());

  const orgRoleOf = async (id: string) => (await api(t, org).get(`/users/${id}`).expect(200)).body.orgRole as string;
  const notesOf = (row: { notes?: Note[] }) => (row.notes ?? []).map((n) => `${n.column}: ${n.reason}`);

  for (const mode of ['upsert', 'sync'] as const) {
    it(`notes each row of a ${mode} whose Organization Role differs, naming the column and where the role is changed, and changes no role`, async () => {
      const exported = (await request(t.app).get(`/api/orgs/${org.slug}/exports/users.csv`).set(auth(org.tokens.admin)).expect(200)).text;
      // Promote the member and demote the admin in the file, as an admin editing the export would.
      const edited = exported
        .replace(/(mo@example\.com,Mo,Member,)member,/, '$1org_admin,')
        .replace(/(ad@example\.com,Ad,Admin,)org_admin,/, '$1member,');
      assert.notEqual(edited, exported);
      const res = await upload(t, org, edited, { mode }).expect(201);
      assert.ok(res.body.columns.readOnly.includes('Organization Role'));
      assert.equal(res.body.counts.notes, 2);
      const rows = await previewRows(t, org, res.body.id);
      const byUser = new Map(rows.map((r) => [r.userId as string, r]));
      for (const [id, from, to] of [[member, 'member', 'org_admin'], [admin, 'org_admin', 'member']] as const) {
        const row = byUser.get(id)!;
        assert.equal(row.action, 'unchanged', 'the role is no change the commit makes');
        assert.deepEqual(notesOf(row), ['Organization Role: org_role_not_imported']);
        assert.deepEqual(row.errors, []);
        const message = (row.notes as Note[])[0]!.message;
        assert.match(message, new RegExp(`the file says ${to}, the person is ${from}`));
        assert.match(message, /not changed by a CSV import/);
        assert.match(message, /admin API \(PUT \/users\/:id\/access\) or the command line \(gatehouse user access\)/);
      }
      const report = await request(t.app).get(`/api/orgs/${org.slug}/imports/${res.body.id}/report.csv`).set(auth(org.tokens.admin)).expect(200);
      assert.match(report.text.replace(/^\uFEFF/, ''), /^Line,Row,Person,Action,Outcome,Changes,Problems,Notes\r\n/);
      assert.match(report.text, /Organization Role: org_role_not_imported \(the file says org_admin, the person is member/);

      await commit(t, org, res.body.id, { rows: 'all', force: true }).expect(200);
      assert.equal(await orgRoleOf(member), 'member');
      assert.equal(await orgRoleOf(admin), 'org_admin');
    });
  }

  it('says nothing when the cell matches (in any spelling), is empty, or the mode is disable', async () => {
    const res = await upload(t, org, csv('Email,Organization Role,Title', 'mo@example.com,Member,Nurse', 'ad@example.com,Org Admin,', 'new@example.com,,')).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.label, r.action, notesOf(r)]), [
      ['mo@example.com', 'update', []], ['ad@example.com', 'unchanged', []], ['new@example.com', 'create', []],
    ]);
    assert.equal(res.body.counts.notes, 0);
    const disable = await upload(t, org, csv('Email,Organization Role', 'mo@example.com,org_admin'), { mode: 'disable' }).expect(201);
    assert.deepEqual(notesOf((await previewRows(t, org, disable.body.id))[0]!), []);
  });

  it('notes a new person whose row names another role than member, the role every new person gets', async () => {
    const res = await upload(t, org, csv('Email,Full Name,Organization Role', 'boss@example.com,New Boss,org_admin', 'plain@example.com,Plain One,member')).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.label, r.action, notesOf(r)]), [
      ['boss@example.com', 'create', ['Organization Role: org_role_not_imported']], ['plain@example.com', 'create', []],
    ]);
    assert.match((rows[0]!.notes as Note[])[0]!.message, /the file says org_admin, a new person joins as member/);

    // The console's preview shows it with the row's changes, as not applied.
    const viewer = await signIn(t, org, 'viewer-admin@example.com', { orgRole: 'org_admin' });
    const page = await request(t.app).get(`/console/imports/${res.body.id}`).set('Cookie', viewer.cookie).expect(200);
    assert.match(page.text, /<li class="import-note">Not applied: Column “Organization Role”: is not changed by an import \(the file says org_admin, a new person joins as member/);
  });
});
