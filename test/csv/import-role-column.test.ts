import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addGroup, addUser, api, auth, createPeopleTestApp } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';
import { signIn } from '../admin/support.ts';

type Problem = { column: string | null; reason: string; message: string };

/**
 * The `Role` column is the role for the row's groups that name none (README, import columns). A row
 * that names no group has nothing for it to apply to: the preview says so (a note, the rest of the
 * row applies), rather than let the admin believe a role was set. A Role that is not one of the org's
 * roles is refused, naming the column, whether or not the row names groups.
 */
describe('CSV import: the Role column', function () {
  this.timeout(60_000);
  let t: TestApp;
  let org: SeededOrg;
  let eva: string;

  before(async () => {
    t = await createPeopleTestApp();
    org = await seedOrg(t.container, 'role-col-imp');
    eva = await addUser(t, org, { userName: 'eva@example.com', givenName: 'Eva', familyName: 'Schmidt' });
    await addGroup(t, org, 'Sales', []);
    await addGroup(t, org, 'Support', []);
  });
  after(async () => t?.close());

  const said = (problems: Problem[] | undefined) => (problems ?? []).map((p) => `${p.column}: ${p.reason}`);

  for (const mode of ['upsert', 'sync'] as const) {
    it(`notes a ${mode} row whose Role names no group (empty Groups cell), naming the Role column and the reason, and applies the rest of the row`, async () => {
      const res = await upload(t, org, csv('Email,Title,Groups,Role', `eva@example.com,Nurse (${mode}),,editor`, `${mode}-neo@example.com,Intern,,editor`), { mode }).expect(201);
      assert.equal(res.body.counts.notes, 2);
      if (mode === 'upsert') assert.equal(res.body.counts.errors, 0);
      const rows = (await previewRows(t, org, res.body.id)).filter((r) => r.line !== null);
      assert.deepEqual(rows.map((r) => [r.label, r.action, said(r.notes), r.errors]), [
        ['eva@example.com', 'update', ['Role: role_without_groups'], []],
        [`${mode}-neo@example.com`, 'create', ['Role: role_without_groups'], []],
      ]);
      const message = (rows[0]!.notes as Problem[])[0]!.message;
      assert.match(message, /"editor"/);
      assert.match(message, /the row names no group/);
      assert.match(message, /Groups/);

      const report = await request(t.app).get(`/api/orgs/${org.slug}/imports/${res.body.id}/report.csv`).set(auth(org.tokens.admin)).expect(200);
      assert.match(report.text, /Role: role_without_groups \(""editor"" is the role in the row's groups/);
      // Only an upsert is committed: a sync would disable the org's other people.
      if (mode === 'upsert') {
        await commit(t, org, res.body.id).expect(200);
        assert.equal((await api(t, org).get(`/users/${eva}`).expect(200)).body.title, 'Nurse (upsert)');
      }
    });
  }

  it('notes a Role in a file without a Groups column, and says it in the console', async () => {
    const res = await upload(t, org, csv('Email,Role', 'eva@example.com,admin')).expect(201);
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual([row!.action, said(row!.notes), row!.errors], ['unchanged', ['Role: role_without_groups'], []]);
    const viewer = await signIn(t, org, 'role-viewer@example.com', { orgRole: 'org_admin' });
    const page = await request(t.app).get(`/console/imports/${res.body.id}`).set('Cookie', viewer.cookie).expect(200);
    assert.match(page.text, /<li class="import-note">Not applied: Column “Role”: applies to no group on this row \(.{1,6}admin/);
  });

  it('notes a Role on a row whose every group names its own role, naming the Role column, and applies the groups\' roles', async () => {
    const res = await upload(t, org, csv('Email,Groups,Role', 'eva@example.com,Sales:admin;Support:viewer,editor')).expect(201);
    assert.equal(res.body.counts.notes, 1);
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual([row!.action, said(row!.notes), row!.errors], ['update', ['Role: role_named_in_groups'], []]);
    const message = (row!.notes as Problem[])[0]!.message;
    assert.match(message, /"editor"/);
    assert.match(message, /every group in Groups names its own role \(Sales:admin, Support:viewer\)/);
    const viewer = await signIn(t, org, 'role-named-viewer@example.com', { orgRole: 'org_admin' });
    const page = await request(t.app).get(`/console/imports/${res.body.id}`).set('Cookie', viewer.cookie).expect(200);
    assert.match(page.text, /<li class="import-note">Not applied: Column “Role”: is overridden by the role each group on this row names/);
    await commit(t, org, res.body.id).expect(200);
    const { memberships } = (await api(t, org).get(`/users/${eva}/memberships`).expect(200)).body as { memberships: Array<{ groupDisplayName: string; role: string }> };
    const roles = Object.fromEntries(memberships.map((m) => [m.groupDisplayName, m.role]));
    assert.deepEqual(roles, { Sales: 'admin', Support: 'viewer' });
  });

  it('says nothing when one group takes the Role, or every group names the Role itself', async () => {
    const res = await upload(t, org, csv('Email,Groups,Role', 'eva@example.com,Sales:admin;Support,editor', 'quiet2@example.com,Sales:editor;Support:editor,editor')).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => said(r.notes)), [[], []]);
  });

  it('says nothing when the row names groups for the Role, the cell is empty, or the mode is disable', async () => {
    const res = await upload(t, org, csv('Email,Groups,Role', 'eva@example.com,Sales,editor', 'quiet@example.com,,')).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.action, said(r.notes), said(r.errors)]), [['update', [], []], ['create', [], []]]);
    assert.equal(res.body.counts.notes, 0);
    const disable = await upload(t, org, csv('Email,Role', 'eva@example.com,editor'), { mode: 'disable' }).expect(201);
    assert.deepEqual(said((await previewRows(t, org, disable.body.id))[0]!.notes), []);
  });

  it('refuses a Role that is not one of the org\'s roles, naming the column, with groups or without', async () => {
    const res = await upload(t, org, csv('Email,Groups,Role', 'a@example.com,Sales,overlord', 'b@example.com,,overlord', 'c@example.com,Sales; Support,overlord', 'eva@example.com,,overlord')).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.action, said(r.errors), said(r.notes)]), [
      ['skip', ['Role: invalid_role'], []],
      ['skip', ['Role: invalid_role'], []],
      ['skip', ['Role: invalid_role'], []],
      ['skip', ['Role: invalid_role'], []],
    ]);
    assert.match((rows[1]!.errors as Problem[])[0]!.message, /"overlord" is not one of the organization's roles: viewer, editor, admin/);
  });
});
