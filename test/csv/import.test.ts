import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addGroup, addUser, api, auth, auditActions, createPeopleTestApp, scopeOf, setSeatLimit, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';
import { commitImport } from '../../src/directory/import-commit.ts';
import { exportHeaders } from '../../src/csv/columns.ts';
import { executeBound } from '../../src/db/bound-query.ts';
import { randomUUID } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

const count = async (t: TestApp, text: string, params: unknown[] = []) => Number((await sql(t, text, params))[0]!.n);

describe('CSV import', function () {
  this.timeout(60_000);
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme-imp');
    globex = await seedOrg(t.container, 'globex-imp');
  });
  after(async () => t?.close());

  describe('upsert', () => {
    it('previews creates without writing anything, then invites new people on commit', async () => {
      const usersBefore = await count(t, 'select count(*)::int as n from users where org_id = ?', [acme.id]);
      const res = await upload(t, acme, csv('Email,Full Name,Department', 'new.one@example.com,New One,Sales')).expect(201);
      assert.equal(res.body.status, 'previewed');
      assert.equal(res.body.counts.create, 1);
      const [row] = await previewRows(t, acme, res.body.id);
      assert.equal(row!.action, 'create');
      assert.equal(row!.line, 2);
      assert.deepEqual(row!.changes.department, { from: null, to: 'Sales' });
      assert.equal(await count(t, 'select count(*)::int as n from users where org_id = ?', [acme.id]), usersBefore);

      const done = await commit(t, acme, res.body.id).expect(200);
      assert.equal(done.body.status, 'committed');
      assert.equal(done.body.progress.processed, 1);
      const user = (await sql(t, `select id, state, source, department, display_name from users where org_id = ? and email = 'new.one@example.com'`, [acme.id]))[0]!;
      assert.equal(user.state, 'invited');
      assert.equal(user.source, 'invitation');
      assert.equal(user.department, 'Sales');
      assert.equal(await count(t, `select count(*)::int as n from outbox_messages where "to" = 'new.one@example.com'`), 1);
      assert.deepEqual(await auditActions(t, String(user.id)), ['user.created', 'invitation.created', 'user.updated']);
      assert.equal(await count(t, `select count(*)::int as n from audit_events where action = 'import.committed' and target_id = ?`, [res.body.id]), 1);
    });

    it('creates without invitation (noInvite), with groups, Group:role and a Role default, creating unknown groups when asked', async () => {
      await addGroup(t, acme, 'Engineering', []);
      const file = csv('First Name,Last Name,Email,Groups,Role,Title,Mobile,Employee Number,Office Location', 'Ada,Lovelace,ada@example.com,Engineering; Research:admin,editor,CTO,+44 1,E-1,London');
      const res = await upload(t, acme, file, { noInvite: 'true', createGroups: 'true' }).expect(201);
      assert.deepEqual((await previewRows(t, acme, res.body.id))[0]!.changes.createGroups, ['Research']);
      await commit(t, acme, res.body.id).expect(200);
      const user = (await sql(t, `select * from users where org_id = ? and email = 'ada@example.com'`, [acme.id]))[0]!;
      assert.equal(user.state, 'active');
      assert.equal(user.source, 'csv');
      assert.deepEqual([user.given_name, user.family_name, user.title, user.phone, user.employee_number, user.office_location], ['Ada', 'Lovelace', 'CTO', '+44 1', 'E-1', 'London']);
      const groups = await sql(t, 'select g.display_name, m.role from memberships m join groups g on g.id = m.group_id where m.user_id = ? order by 1', [user.id]);
      assert.deepEqual(groups.map((g) => [g.display_name, g.role]), [['Engineering', 'editor'], ['Research', 'admin']]);
      assert.deepEqual(await auditActions(t, String(user.id)), ['user.created', 'membership.added', 'membership.added']);
    });

    it('names a person from First Name and Last Name when the file has no Full Name: display name, invitation name and mail greeting', async () => {
      const org = await seedOrg(t.container, 'names-imp');
      const named = await addUser(t, org, { userName: 'named@example.com', displayName: 'Kept Name' });
      const unnamed = await addUser(t, org, { userName: 'unnamed@example.com' });
      const file = csv('First Name,Last Name,Email', 'Grace,Hopper,grace@example.com', 'Kept,Other,named@example.com', 'Una,Named,unnamed@example.com');
      const res = await upload(t, org, file).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows[0]!.changes.displayName, { from: null, to: 'Grace Hopper' });
      assert.equal(rows[1]!.changes.displayName, undefined, 'an existing display name stays');
      assert.deepEqual(rows[2]!.changes.displayName, { from: null, to: 'Una Named' });
      await commit(t, org, res.body.id).expect(200);
      const grace = (await sql(t, `select display_name, given_name, family_name from users where org_id = ? and email = 'grace@example.com'`, [org.id]))[0]!;
      assert.deepEqual([grace.display_name, grace.given_name, grace.family_name], ['Grace Hopper', 'Grace', 'Hopper']);
      assert.equal((await sql(t, `select name from invitations where org_id = ? and email = 'grace@example.com'`, [org.id]))[0]!.name, 'Grace Hopper');
      assert.match(String((await sql(t, `select text from outbox_messages where "to" = 'grace@example.com'`))[0]!.text), /Hello Grace Hopper,/);
      assert.equal((await sql(t, 'select display_name from users where id = ?', [named]))[0]!.display_name, 'Kept Name');
      assert.equal((await sql(t, 'select display_name from users where id = ?', [unnamed]))[0]!.display_name, 'Una Named');
      const noInvite = await upload(t, org, csv('First Name,Last Name,Email', 'Alan,Turing,alan@example.com'), { noInvite: 'true' }).expect(201);
      await commit(t, org, noInvite.body.id).expect(200);
      assert.equal((await sql(t, `select display_name from users where org_id = ? and email = 'alan@example.com'`, [org.id]))[0]!.display_name, 'Alan Turing');
    });

    it('updates changed fields and reports unchanged rows, accepting Name as Full Name', async () => {
      const id = await addUser(t, acme, { userName: 'upd', email: 'upd@example.com' });
      const res = await upload(t, acme, csv('EMAIL,name,department', 'UPD@example.com,Up Dated,Ops', 'ada@example.com,,')).expect(201);
      const rows = await previewRows(t, acme, res.body.id);
      assert.deepEqual(rows.map((r) => r.action), ['update', 'unchanged']);
      assert.deepEqual(rows[0]!.changes.displayName, { from: null, to: 'Up Dated' });
      await commit(t, acme, res.body.id).expect(200);
      const user = (await sql(t, 'select display_name, department from users where id = ?', [id]))[0]!;
      assert.deepEqual([user.display_name, user.department], ['Up Dated', 'Ops']);
      assert.deepEqual(await auditActions(t, id), ['user.created', 'user.updated']);
    });

    it('counts a pending invitee’s planned groups as present, and adds new ones to the invitation’s plan, never as live memberships', async () => {
      const org = await seedOrg(t.container, 'plan-imp');
      await addGroup(t, org, 'Crew', []);
      await addGroup(t, org, 'Ops', []);
      const first = await upload(t, org, csv('Email,Groups', 'pend@example.com,Crew:editor')).expect(201);
      await commit(t, org, first.body.id).expect(200);
      const user = String((await sql(t, `select id from users where org_id = ? and email = 'pend@example.com'`, [org.id]))[0]!.id);
      const planned = async () => (await sql(t, `select g.display_name as g, im.role from invitation_memberships im join invitations i on i.id = im.invitation_id
        join groups g on g.id = im.group_id where i.user_id = ? order by 1`, [user])).map((r) => `${r.g}:${r.role}`);
      assert.deepEqual(await planned(), ['Crew:editor']);

      const again = await upload(t, org, csv('Email,Groups', 'pend@example.com,Crew:editor')).expect(201);
      assert.deepEqual((await previewRows(t, org, again.body.id)).map((r) => [r.action, r.changes]), [['unchanged', {}]]);

      const more = await upload(t, org, csv('Email,Groups', 'pend@example.com,Crew:editor; Ops')).expect(201);
      assert.deepEqual((await previewRows(t, org, more.body.id)).map((r) => [r.action, r.changes]), [['update', { groups: { add: ['Ops'], roles: { Ops: 'viewer' } } }]]);
      await commit(t, org, more.body.id).expect(200);
      assert.deepEqual(await planned(), ['Crew:editor', 'Ops:viewer']);
      assert.equal(await count(t, 'select count(*)::int as n from memberships where user_id = ?', [user]), 0, 'no live membership before they register');
      assert.deepEqual(await auditActions(t, user), ['user.created', 'invitation.created', 'invitation.updated']);
    });

    it('reports each row error naming the column and the reason', async () => {
      await addUser(t, acme, { userName: 'okta-user', email: 'okta@example.com', source: 'scim' });
      const file = csv(
        'Email,Title,Groups',
        'not-an-email,x,',
        'dup@example.com,x,',
        'dup@example.com,y,',
        'u@example.com,x,Nowhere',
        ',x,',
        'okta@example.com,Boss,',
        'r@example.com,x,Engineering:overlord',
        'w@example.com',
      );
      const res = await upload(t, acme, file).expect(201);
      const rows = await previewRows(t, acme, res.body.id);
      const errors = rows.map((r) => [r.action, r.errors.map((e: { column: string | null; reason: string }) => `${e.column}:${e.reason}`).join(' ')]);
      assert.deepEqual(errors, [
        ['skip', 'Email:invalid_email'],
        ['create', ''],
        ['skip', 'Email:duplicate_in_file'],
        ['skip', 'Groups:unknown_group'],
        ['skip', 'Email:missing_required'],
        ['skip', 'null:scim_managed'],
        ['skip', 'Groups:invalid_role'],
        ['skip', 'null:wrong_field_count'],
      ]);
      assert.equal(res.body.counts.skip, 7);
      assert.equal(res.body.counts.errors, 7);
      const unexplained = rows.flatMap((r) => r.errors).filter((e: { message?: unknown }) => typeof e.message !== 'string' || !e.message);
      assert.deepEqual(unexplained, [], 'every row error carries a human message');
      assert.equal(rows[0]!.errors[0].message, 'is not a valid email address');
    });

    it('flags every over-long field at preview with too_long, naming the column and the limit (the commit’s own field rules)', async () => {
      const org = await seedOrg(t.container, 'long-imp');
      const x = (n: number) => 'x'.repeat(n);
      const longEmail = `${x(64)}@${x(60)}.${x(60)}.${x(60)}.${x(10)}.com`;
      const file = csv(
        'Email,Full Name,First Name,Last Name,Department,Title,Office Location,Mobile,Employee Number',
        `ok@example.com,${x(300)},${x(200)},${x(200)},${x(200)},${x(200)},${x(200)},${x(50)},${x(100)}`,
        `a@example.com,${x(301)},,,,,,,`,
        `b@example.com,,${x(201)},,,,,,`,
        `c@example.com,,,${x(201)},,,,,`,
        `d@example.com,,,,${x(201)},,,,`,
        `e@example.com,,,,,${x(201)},,,`,
        `f@example.com,,,,,,${x(201)},,`,
        `g@example.com,,,,,,,${x(51)},`,
        `h@example.com,,,,,,,,${x(101)}`,
        `${longEmail},,,,,,,,`,
      );
      const res = await upload(t, org, file, { noInvite: 'true' }).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => r.errors.map((e: { column: string; reason: string; message: string }) => `${e.column}:${e.reason}:${e.message}`)), [
        [],
        ['Full Name:too_long:must be at most 300 characters'],
        ['First Name:too_long:must be at most 200 characters'],
        ['Last Name:too_long:must be at most 200 characters'],
        ['Department:too_long:must be at most 200 characters'],
        ['Title:too_long:must be at most 200 characters'],
        ['Office Location:too_long:must be at most 200 characters'],
        ['Mobile:too_long:must be at most 50 characters'],
        ['Employee Number:too_long:must be at most 100 characters'],
        ['Email:too_long:must be at most 254 characters'],
      ]);
      assert.deepEqual([res.body.counts.create, res.body.counts.errors], [1, 9]);
      // A one-word Full Name becomes the first name of a new person: too long for it, on the Full Name column.
      const single = await upload(t, org, csv('Email,Full Name', `i@example.com,${x(250)}`)).expect(201);
      assert.deepEqual((await previewRows(t, org, single.body.id))[0]!.errors, [{ column: 'Full Name', reason: 'too_long', message: 'the first name taken from it must be at most 200 characters' }]);
      // An existing person's update is held to the same limits.
      await addUser(t, org, { userName: 'known@example.com' });
      const update = await upload(t, org, csv('Email,Department', `known@example.com,${x(201)}`)).expect(201);
      assert.deepEqual((await previewRows(t, org, update.body.id))[0]!.errors.map((e: { column: string; reason: string }) => `${e.column}:${e.reason}`), ['Department:too_long']);
    });

    it('refuses two roles for one group in a cell, and reads the same group twice with the same role as one membership', async () => {
      const org = await seedOrg(t.container, 'grouproles-imp');
      await addGroup(t, org, 'Support', []);
      const file = csv('Email,Groups', 'r1@example.com,Support:admin|support:viewer', 'r2@example.com,Support:editor; SUPPORT:Editor', 'r3@example.com,Support|support:viewer');
      const res = await upload(t, org, file, { noInvite: 'true' }).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows[0]!.errors, [{ column: 'Groups', reason: 'conflicting_roles', message: 'names "Support" twice with different roles: admin, viewer' }]);
      assert.deepEqual(rows.slice(1).map((r) => [r.action, r.changes.groups]), [['create', { add: ['Support'], roles: { Support: 'editor' } }], ['create', { add: ['Support'], roles: { Support: 'viewer' } }]]);
      await commit(t, org, res.body.id).expect(200);
      const held = await sql(t, 'select u.email, m.role from memberships m join users u on u.id = m.user_id where m.org_id = ? order by u.email', [org.id]);
      assert.deepEqual(held.map((m) => `${m.email}:${m.role}`), ['r2@example.com:editor', 'r3@example.com:viewer']);
    });

    it('reports no_seats when the licence has no seat left', async () => {
      const org = await seedOrg(t.container, 'seats-imp');
      await addUser(t, org, { userName: 'only' });
      await setSeatLimit(t, org, 1);
      const res = await upload(t, org, csv('Email', 'more@example.com'), { noInvite: 'true' }).expect(201);
      const [problem] = (await previewRows(t, org, res.body.id))[0]!.errors;
      assert.deepEqual([problem.reason, problem.message], ['no_seats', 'no seat left: the licence allows 1 active user']);
    });

    it('imports a users.csv export back as is: matched by User ID, read-only columns ignored, nothing changed', async () => {
      const org = await seedOrg(t.container, 'roundtrip-imp');
      const a = await addUser(t, org, { userName: 'rt-a', email: 'rt-a@example.com', givenName: 'Rita', familyName: 'Trip' });
      await addUser(t, org, { userName: 'rt-b', email: 'rt-b@example.com', givenName: 'Bob', familyName: 'Back' });
      const exported = await request(t.app).get(`/api/orgs/${org.slug}/exports/users.csv`).set(auth(org.tokens.admin));
      const file = exported.status === 200
        ? exported.text
        : csv(exportHeaders.users.join(','), `rt-a,${a},rt-a@example.com,Rita,Trip,member,active,2026-01-01T00:00:00Z,,admin,,`);
      const res = await upload(t, org, file).expect(201);
      assert.deepEqual(res.body.columns.unknown, []);
      assert.ok(res.body.columns.readOnly.includes('Date Created'));
      assert.equal(res.body.counts.skip, 0, JSON.stringify(await previewRows(t, org, res.body.id)));
      assert.equal(res.body.counts.create + res.body.counts.update, 0);
      assert.ok(res.body.counts.unchanged >= 1);
    });

    it('accepts every exported Status: a deleted person’s row of users.csv?status=deleted is user_deleted, not a parse error', async () => {
      const org = await seedOrg(t.container, 'deleted-imp');
      const gone = await addUser(t, org, { userName: 'gone@example.com' });
      await addUser(t, org, { userName: 'stay@example.com' });
      await api(t, org).delete(`/users/${gone}`, { confirmEmail: 'gone@example.com' }).expect(200);
      const exported = await request(t.app).get(`/api/orgs/${org.slug}/exports/users.csv?status=deleted`).set(auth(org.tokens.admin)).expect(200);
      assert.match(exported.text, /,deleted,/);
      const res = await upload(t, org, exported.text).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => [r.userId, r.errors.map((e: { reason: string }) => e.reason)]), [[gone, ['user_deleted']]]);
      const statuses = await upload(t, org, csv('Email,Status', 'stay@example.com,pending', 'stay@example.com,expired', 'stay@example.com,deleted')).expect(201);
      assert.ok((await previewRows(t, org, statuses.body.id)).every((r) => !r.errors.some((e: { reason: string }) => e.reason === 'invalid_status')));
    });
  });

  describe('disable', () => {
    it('reports a deleted person as user_deleted, as upsert does', async () => {
      const org = await seedOrg(t.container, 'disable-deleted-imp');
      const gone = await addUser(t, org, { userName: 'gone@example.com' });
      for (let i = 0; i < 5; i++) await addUser(t, org, { userName: `keep-${i}@example.com` });
      await api(t, org).delete(`/users/${gone}`, { confirmEmail: 'gone@example.com' }).expect(200);
      for (const mode of ['disable', 'upsert']) {
        const res = await upload(t, org, csv('Email', 'gone@example.com'), { mode }).expect(201);
        const [row] = await previewRows(t, org, res.body.id);
        assert.deepEqual([row!.action, row!.errors[0].reason, row!.errors[0].message], ['skip', 'user_deleted', 'this person was deleted; restore them first'], mode);
      }
    });


    it('disables people matched by email, userName or user id, keeping SCIM users with exceptScim', async () => {
      const org = await seedOrg(t.container, 'disable-imp');
      const ids = [];
      for (let i = 0; i < 12; i++) ids.push(await addUser(t, org, { userName: `keep-${i}` }));
      const byEmail = await addUser(t, org, { userName: 'leg-a', email: 'legacy.a@example.com' });
      const byName = await addUser(t, org, { userName: 'leg-b' });
      const byId = await addUser(t, org, { userName: 'leg-c' });
      const scim = await addUser(t, org, { userName: 'leg-scim', source: 'scim' });
      const file = csv('Email,User Name,User ID', 'Legacy.A@example.com,,', ',leg-b,', `,,${byId}`, ',leg-scim,', 'ghost@example.com,,');
      const res = await upload(t, org, file, { mode: 'disable', exceptScim: 'true' }).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => [r.action, r.errors[0]?.reason ?? null]), [['disable', null], ['disable', null], ['disable', null], ['skip', 'scim_managed'], ['skip', 'not_found']]);
      assert.equal(rows[4]!.errors[0].message, 'nobody in this organization has this email address, user name or user ID');
      assert.equal(res.body.massDisable.needsForce, false);
      await commit(t, org, res.body.id).expect(200);
      for (const id of [byEmail, byName, byId]) {
        assert.equal((await sql(t, 'select state from users where id = ?', [id]))[0]!.state, 'disabled');
        assert.deepEqual(await auditActions(t, id), ['user.created', 'user.disabled']);
      }
      assert.equal((await sql(t, 'select state from users where id = ?', [scim]))[0]!.state, 'active');
      const list = await api(t, org).get('/users?status=disabled').expect(200);
      assert.equal(list.body.users.length, 3);
    });

    it('flags at preview the row that would disable the last enabled org admin (last_org_admin), as the commit would refuse it', async () => {
      const org = await seedOrg(t.container, 'last-admin-imp');
      for (let i = 0; i < 12; i++) await addUser(t, org, { userName: `staff-${i}@example.com` });
      const boss = await addUser(t, org, { userName: 'boss@example.com' });
      const deputy = await addUser(t, org, { userName: 'deputy@example.com' });
      await sql(t, `update users set org_role = 'org_admin' where id in (?, ?)`, [boss, deputy]);
      const res = await upload(t, org, csv('Email', 'deputy@example.com', 'staff-0@example.com', 'boss@example.com'), { mode: 'disable' }).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => [r.action, r.errors.map((e: { reason: string }) => e.reason)]), [['disable', []], ['disable', []], ['skip', ['last_org_admin']]]);
      assert.match(rows[2]!.errors[0].message, /last org admin/);
      const done = await commit(t, org, res.body.id).expect(200);
      assert.deepEqual([done.body.progress.applied, done.body.progress.failed], [2, 0]);
      assert.equal((await sql(t, 'select state from users where id = ?', [boss]))[0]!.state, 'active');
      // The same through an upsert's Status column.
      const upsert = await upload(t, org, csv('Email,Status,Title', 'boss@example.com,disabled,Boss')).expect(201);
      assert.deepEqual((await previewRows(t, org, upsert.body.id)).map((r) => [r.action, r.errors.map((e: { column: string; reason: string }) => `${e.column}:${e.reason}`)]), [['skip', ['Status:last_org_admin']]]);
    });

    it('stops at preview when more than the mass-disable threshold would be disabled, until forced', async () => {
      const org = await seedOrg(t.container, 'guard-imp');
      for (let i = 0; i < 4; i++) await addUser(t, org, { userName: `g-${i}` });
      const res = await upload(t, org, csv('User Name', 'g-0', 'g-1'), { mode: 'disable' }).expect(201);
      assert.deepEqual(res.body.massDisable, { disable: 2, enabled: 4, threshold: 0.2, needsForce: true });
      const refused = await commit(t, org, res.body.id).expect(409);
      assert.equal(refused.body.error.details.reason, 'mass_disable_threshold');
      assert.equal(await count(t, `select count(*)::int as n from users where org_id = ? and state = 'disabled'`, [org.id]), 0);
      await commit(t, org, res.body.id, { rows: 'all', force: true }).expect(200);
      assert.equal(await count(t, `select count(*)::int as n from users where org_id = ? and state = 'disabled'`, [org.id]), 2);
    });
  });

  describe('mass-disable guard through a Status column', () => {
    for (const mode of ['sync', 'upsert'] as const) {
      it(`counts the people a Status column disables in a ${mode} (an HR file saying Inactive on every row), and needs force`, async () => {
        const org = await seedOrg(t.container, `status-guard-${mode}`);
        const names = [];
        for (let i = 0; i < 5; i++) {
          await addUser(t, org, { userName: `s-${i}@example.com`, source: 'csv' });
          names.push(`s-${i}@example.com`);
        }
        const res = await upload(t, org, csv('Email,Status', ...names.map((n) => `${n},Inactive`)), { mode }).expect(201);
        assert.deepEqual(res.body.massDisable, { disable: 5, enabled: 5, threshold: 0.2, needsForce: true });
        assert.equal((await commit(t, org, res.body.id).expect(409)).body.error.details.reason, 'mass_disable_threshold');
        assert.equal(await count(t, `select count(*)::int as n from users where org_id = ? and state = 'disabled'`, [org.id]), 0);
        await commit(t, org, res.body.id, { rows: 'all', force: true }).expect(200);
        assert.equal(await count(t, `select count(*)::int as n from users where org_id = ? and state = 'disabled'`, [org.id]), 5);
      });
    }
  });

  describe('group roles and the IdP\'s groups', () => {
    const roles = async (org: SeededOrg, userId: string) =>
      (await sql(t, 'select g.display_name as g, m.role from memberships m join groups g on g.id = m.group_id where m.org_id = ? and m.user_id = ? order by 1', [org.id, userId])).map((r) => `${r.g}:${r.role}`);

    it('changes the role of a group the person is in when the row names one (Group:role or Role), never when it names none', async () => {
      const org = await seedOrg(t.container, 'role-change-imp');
      const user = await addUser(t, org, { userName: 'rita@example.com' });
      await addGroup(t, org, 'Crew', [user], 'viewer');
      await addGroup(t, org, 'Ops', [user], 'editor');
      const res = await upload(t, org, csv('Email,Groups', 'rita@example.com,Crew:editor; Ops')).expect(201);
      const [row] = await previewRows(t, org, res.body.id);
      assert.deepEqual([row!.action, row!.changes], ['update', { groupRoles: { Crew: { from: 'viewer', to: 'editor' } } }]);
      const report = await request(t.app).get(`/api/orgs/${org.slug}/imports/${res.body.id}/report.csv`).set(auth(org.tokens.admin)).expect(200);
      assert.match(report.text, /role in Crew: viewer → editor/);
      await commit(t, org, res.body.id).expect(200);
      assert.deepEqual(await roles(org, user), ['Crew:editor', 'Ops:editor'], 'Ops named no role: kept');
      assert.deepEqual((await auditActions(t, user)).slice(-1), ['membership.role_changed']);

      const byColumn = await upload(t, org, csv('Email,Groups,Role', 'rita@example.com,Ops,viewer')).expect(201);
      assert.deepEqual((await previewRows(t, org, byColumn.body.id)).map((r) => r.changes), [{ groupRoles: { Ops: { from: 'editor', to: 'viewer' } } }]);
      await commit(t, org, byColumn.body.id).expect(200);
      assert.deepEqual(await roles(org, user), ['Crew:editor', 'Ops:viewer']);
      const same = await upload(t, org, csv('Email,Groups', 'rita@example.com,Crew:editor; Ops:viewer')).expect(201);
      assert.deepEqual((await previewRows(t, org, same.body.id)).map((r) => r.action), ['unchanged']);
    });

    it('changes the role a pending invitee will get in a group of their invitation', async () => {
      const org = await seedOrg(t.container, 'roles-plan-imp');
      await addGroup(t, org, 'Crew', []);
      await commit(t, org, (await upload(t, org, csv('Email,Groups', 'penny@example.com,Crew:editor')).expect(201)).body.id).expect(200);
      const res = await upload(t, org, csv('Email,Groups', 'penny@example.com,Crew:viewer')).expect(201);
      assert.deepEqual((await previewRows(t, org, res.body.id)).map((r) => r.changes), [{ groupRoles: { Crew: { from: 'editor', to: 'viewer' } } }]);
      await commit(t, org, res.body.id).expect(200);
      const planned = await sql(t, `select im.role from invitation_memberships im join invitations i on i.id = im.invitation_id where i.org_id = ? and i.email = 'penny@example.com'`, [org.id]);
      assert.deepEqual(planned.map((r) => r.role), ['viewer']);
    });

    it('reads a group whose name holds a colon ("Team: Platform") as that group, with or without a role after it', async () => {
      const org = await seedOrg(t.container, 'colon-group-imp');
      await addGroup(t, org, 'Team: Platform', []);
      const res = await upload(t, org, csv('Email,Groups', 'cora@example.com,Team: Platform', 'cole@example.com,team: platform:editor', 'carl@example.com,Team: Nowhere')).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => [r.action, r.changes.groups, r.errors.map((e: { reason: string }) => e.reason)]), [
        ['create', { add: ['Team: Platform'], roles: { 'Team: Platform': 'viewer' } }, []],
        ['create', { add: ['Team: Platform'], roles: { 'Team: Platform': 'editor' } }, []],
        ['skip', undefined, ['invalid_role']],
      ]);
      await commit(t, org, res.body.id, { rows: [1, 2] }).expect(200);
      const planned = await sql(t, `select i.email, im.role from invitation_memberships im join invitations i on i.id = im.invitation_id where i.org_id = ? order by 1`, [org.id]);
      assert.deepEqual(planned.map((r) => `${r.email}:${r.role}`), ['cole@example.com:editor', 'cora@example.com:viewer']);
    });

    it('refuses to add anyone to a group the IdP pushed over SCIM, or to change a role there, naming scim_managed and the group', async () => {
      const org = await seedOrg(t.container, 'scim-group-imp');
      const user = await addUser(t, org, { userName: 'sam@example.com' });
      const group = await addGroup(t, org, 'Okta Engineering', []);
      await sql(t, `update groups set source = 'scim' where id = ?`, [group]);
      const res = await upload(t, org, csv('Email,Groups', 'sam@example.com,Okta Engineering', 'newbie@example.com,okta engineering')).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      for (const row of rows) {
        assert.equal(row.action, 'skip');
        assert.deepEqual(row.errors.map((e: { column: string; reason: string }) => [e.column, e.reason]), [['Groups', 'scim_managed']]);
        assert.match(row.errors[0].message, /Okta Engineering.*identity provider/);
      }
      await sql(t, `insert into memberships (id, org_id, group_id, user_id, role, source, added_at) values (gen_random_uuid(), ?, ?, ?, 'viewer', 'scim', now())`, [org.id, group, user]);
      const [again] = await previewRows(t, org, (await upload(t, org, csv('Email,Groups', 'sam@example.com,Okta Engineering')).expect(201)).body.id);
      assert.equal(again!.action, 'unchanged', 'naming a group they are already in over SCIM, without a role, changes nothing');
      const [role] = await previewRows(t, org, (await upload(t, org, csv('Email,Groups', 'sam@example.com,Okta Engineering:editor')).expect(201)).body.id);
      assert.deepEqual(role!.errors.map((e: { reason: string }) => e.reason), ['scim_managed']);
    });
  });

  describe('except-scim in upsert and sync', () => {
    it('keeps a SCIM user untouched, groups included, naming scim_managed', async () => {
      const org = await seedOrg(t.container, 'except-scim-upsert');
      await addUser(t, org, { userName: 'okta1@example.com', source: 'scim' });
      await addGroup(t, org, 'Sales', []);
      for (const mode of ['upsert', 'sync']) {
        const res = await upload(t, org, csv('Email,Groups', 'okta1@example.com,Sales'), { mode, exceptScim: 'true' }).expect(201);
        const [row] = await previewRows(t, org, res.body.id);
        assert.deepEqual([row!.action, row!.errors.map((e: { reason: string }) => e.reason), row!.changes], ['skip', ['scim_managed'], {}], mode);
      }
    });
  });

  describe('round trip of values stored with spaces around them', () => {
    it('reads back as unchanged a users.csv whose values an IdP stored with spaces, a tab or a line break around them, SCIM users included', async () => {
      const org = await seedOrg(t.container, 'padded-imp');
      const plain = await addUser(t, org, { userName: 'pad@example.com', email: 'pad@example.com', source: 'csv' });
      const scim = await addUser(t, org, { userName: 'okta@example.com', email: 'okta@example.com', source: 'scim' });
      await sql(t, `update users set given_name = 'Okta ', family_name = '  Two', department = E'\tOps', office_location = E'HQ\n' where id in (?, ?)`, [plain, scim]);
      const exported = await api(t, org).get('/exports/users.csv').expect(200);
      const res = await upload(t, org, exported.text).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => [r.label, r.action, r.errors.map((e: { reason: string }) => e.reason)]).sort(), [
        ['okta@example.com', 'unchanged', []],
        ['pad@example.com', 'unchanged', []],
      ]);
    });
  });

  describe('reactivation', () => {
    it('brings a disabled invitee who never registered back as invited (no seat), and a disabled member back as active', async () => {
      const org = await seedOrg(t.container, 'reactivate-imp');
      const invitee = await addUser(t, org, { userName: 'back-inv', source: 'invitation', state: 'invited', inviteExpiresAt: new Date(Date.now() + 86_400_000) });
      const member = await addUser(t, org, { userName: 'back-mem' });
      for (const id of [invitee, member]) await api(t, org).post(`/users/${id}/disable`).expect(200);
      await setSeatLimit(t, org, 1);
      const res = await upload(t, org, csv('Email,Status', 'back-inv@example.com,active', 'back-mem@example.com,active'), { noInvite: 'true' }).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => [r.action, r.changes.status, r.errors.length]), [
        ['update', { from: 'disabled', to: 'pending' }, 0],
        ['update', { from: 'disabled', to: 'active' }, 0],
      ]);
      await commit(t, org, res.body.id).expect(200);
      const states = Object.fromEntries((await sql(t, 'select id, state from users where org_id = ?', [org.id])).map((r) => [r.id, r.state]));
      assert.equal(states[invitee], 'invited');
      assert.equal(states[member], 'active');
      assert.equal((await api(t, org).get(`/users/${invitee}`).expect(200)).body.status, 'pending');
    });
  });

  describe('sync', () => {
    it('upserts the file and disables only enabled csv/invitation/admin people missing from it', async () => {
      const org = await seedOrg(t.container, 'sync-imp');
      const stays = await addUser(t, org, { userName: 'stays', email: 'stays@example.com' });
      const leaves = await addUser(t, org, { userName: 'leaves', source: 'csv' });
      const invited = await addUser(t, org, { userName: 'invitee', source: 'invitation', state: 'invited', inviteExpiresAt: new Date(Date.now() + 86_400_000) });
      const scim = await addUser(t, org, { userName: 'idp', source: 'scim' });
      const jit = await addUser(t, org, { userName: 'jit', source: 'saml-jit' });
      const already = await addUser(t, org, { userName: 'off', state: 'disabled' });
      for (let i = 0; i < 10; i++) await addUser(t, org, { userName: `staff-${i}`, email: `staff-${i}@example.com` });
      const lines = ['Email,Department', 'stays@example.com,Ops', 'brand.new@example.com,Ops', ...Array.from({ length: 10 }, (_, i) => `staff-${i}@example.com,`)];
      const res = await upload(t, org, csv(...lines), { mode: 'sync', noInvite: 'true' }).expect(201);
      const rows = await previewRows(t, org, res.body.id);
      const disabled = rows.filter((r) => r.action === 'disable');
      assert.deepEqual(disabled.map((r) => r.userId).sort(), [leaves, invited].sort());
      assert.ok(disabled.every((r) => r.line === null));
      // The documented status words, never the stored state (`invited`).
      assert.deepEqual(disabled.find((r) => r.userId === invited)!.changes.status, { from: 'pending', to: 'disabled' });
      const report = await request(t.app).get(`/api/orgs/${org.slug}/imports/${res.body.id}/report.csv`).set(auth(org.tokens.admin)).expect(200);
      assert.match(report.text, /status: pending → disabled/);
      assert.doesNotMatch(report.text, /invited/);
      const lapsed = await addUser(t, org, { userName: 'lapsed', email: 'lapsed@example.com', source: 'invitation', state: 'invited', inviteExpiresAt: new Date(Date.now() - 86_400_000) });
      const off = await upload(t, org, csv('Email,Status', 'lapsed@example.com,disabled')).expect(201);
      const [lapsedRow] = await previewRows(t, org, off.body.id);
      assert.deepEqual([lapsedRow!.userId, lapsedRow!.changes.status], [lapsed, { from: 'expired', to: 'disabled' }]);
      assert.equal(res.body.counts.create, 1);
      assert.equal(res.body.counts.update, 1);
      await commit(t, org, res.body.id).expect(200);
      const states = Object.fromEntries((await sql(t, 'select id, state from users where org_id = ?', [org.id])).map((r) => [r.id, r.state]));
      assert.equal(states[stays], 'active');
      assert.equal(states[leaves], 'disabled');
      assert.equal(states[invited], 'disabled');
      assert.equal(states[scim], 'active');
      assert.equal(states[jit], 'active');
      assert.equal(states[already], 'disabled');
      assert.deepEqual(await auditActions(t, already), ['user.created']);
    });
  });

  describe('commit', () => {
    it('commits only the selected rows', async () => {
      const org = await seedOrg(t.container, 'select-imp');
      const res = await upload(t, org, csv('Email', 'a@example.com', 'b@example.com', 'c@example.com'), { noInvite: 'true' }).expect(201);
      const done = await commit(t, org, res.body.id, { rows: [1, 3] }).expect(200);
      assert.equal(done.body.progress.total, 2);
      const emails = (await sql(t, 'select email from users where org_id = ? order by email', [org.id])).map((r) => r.email);
      assert.deepEqual(emails, ['a@example.com', 'c@example.com']);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => r.outcome), ['applied', null, 'applied']);
      const unknownRow = await upload(t, org, csv('Email', 'd@example.com')).expect(201);
      const bad = await commit(t, org, unknownRow.body.id, { rows: [7] }).expect(400);
      assert.equal(bad.body.error.details.problems[0].field, 'rows');
    });

    it('writes bound bulk statements inside the batch transaction (they roll back with it)', async () => {
      const org = await seedOrg(t.container, 'bound-imp');
      await assert.rejects(
        t.container.fork().transactional(async (tx) => {
          await executeBound(tx, `insert into groups (id, org_id, display_name, source, scim_attributes, version, created_at, updated_at) values (?, ?, 'Ghost', 'csv', '{}', 1, now(), now())`, [randomUUID(), org.id]);
          assert.equal(Number((await tx.execute('select count(*)::int as n from groups where org_id = ?', [org.id]))[0]!.n), 1);
          throw new Error('rollback');
        }),
        /rollback/,
      );
      assert.equal(await count(t, 'select count(*)::int as n from groups where org_id = ?', [org.id]), 0);
    });

    it('fails a row alone when it created a group and then failed: the next rows naming that group still apply', async () => {
      const org = await seedOrg(t.container, 'group-undo-imp');
      const res = await upload(t, org, csv('Email,Groups', 'late@example.com,Newcomers', 'next@example.com,Newcomers'), { createGroups: 'true' }).expect(201);
      await addUser(t, org, { userName: 'late@example.com' }); // since the preview: the invitation is refused at commit
      const done = await commit(t, org, res.body.id).expect(200);
      assert.deepEqual([done.body.status, done.body.progress.applied, done.body.progress.failed], ['committed', 1, 1]);
      assert.deepEqual((await previewRows(t, org, res.body.id)).map((r) => r.outcome), ['failed', 'applied']);
      assert.equal(await count(t, `select count(*)::int as n from groups where org_id = ? and display_name = 'Newcomers'`, [org.id]), 1);
    });

    it('never applies a committed import twice', async () => {
      const org = await seedOrg(t.container, 'twice-imp');
      const res = await upload(t, org, csv('Email', 'once@example.com'), { noInvite: 'true' }).expect(201);
      await commit(t, org, res.body.id).expect(200);
      const again = await commit(t, org, res.body.id).expect(409);
      assert.match(again.body.error.message, /already committed/);
      assert.equal(await count(t, 'select count(*)::int as n from users where org_id = ?', [org.id]), 1);
    });

    it('resumes a commit interrupted between batches with nothing lost or doubled', async () => {
      const org = await seedOrg(t.container, 'crash-imp');
      await addGroup(t, org, 'Crew', []);
      const lines = ['Email,Groups', ...Array.from({ length: 25 }, (_, i) => `p${i}@example.com,Crew`)];
      const res = await upload(t, org, csv(...lines), { noInvite: 'true' }).expect(201);
      const scope = scopeOf(org);
      const deps = { publicUrl: 'https://gatehouse.test', now: () => new Date() };
      const fork = () => t.container.fork();
      await assert.rejects(
        commitImport(fork, scope, deps, res.body.id, { rows: 'all' }, { batchSize: 10, afterBatch: (n) => { if (n === 2) throw new Error('killed'); } }),
        /killed/,
      );
      const mid = await request(t.app).get(`/api/orgs/${org.slug}/imports/${res.body.id}`).set(auth(org.tokens.admin)).expect(200);
      assert.equal(mid.body.status, 'committing');
      assert.equal(mid.body.progress.processed, 20);
      assert.equal(mid.body.progress.total, 25);
      assert.equal(await count(t, 'select count(*)::int as n from users where org_id = ?', [org.id]), 20);
      const done = await commitImport(fork, scope, deps, res.body.id, { rows: 'all' }, { batchSize: 10 });
      assert.equal(done.status, 'committed');
      assert.equal(done.progress.processed, 25);
      assert.equal(done.progress.applied, 25);
      assert.equal(await count(t, 'select count(*)::int as n from users where org_id = ?', [org.id]), 25);
      assert.equal(await count(t, 'select count(*)::int as n from memberships where org_id = ?', [org.id]), 25);
      assert.equal(await count(t, `select count(*)::int as n from audit_events where org_id = ? and action = 'user.created'`, [org.id]), 25);
      assert.equal(await count(t, `select count(*)::int as n from audit_events where org_id = ? and action = 'import.committed'`, [org.id]), 1);
    });
  });

  describe('routes', () => {
    it("keeps imports to their org: another org's import reads as not found", async () => {
      const res = await upload(t, acme, csv('Email', 'iso@example.com')).expect(201);
      const foreign = (path: string) => request(t.app).get(`/api/orgs/${globex.slug}${path}`).set(auth(globex.tokens.admin));
      await foreign(`/imports/${res.body.id}`).expect(404);
      await foreign(`/imports/${res.body.id}/rows`).expect(404);
      await commit(t, globex, res.body.id).expect(404);
      await request(t.app).get(`/api/orgs/${acme.slug}/imports/${res.body.id}`).set(auth(globex.tokens.admin)).expect(403);
      await request(t.app).get(`/api/orgs/${acme.slug}/imports/${res.body.id}`).set(auth(acme.tokens.scim)).expect(401);
    });

    it('lists the org’s imports newest first with a cursor, never another org’s', async () => {
      const older = (await upload(t, acme, csv('Email', 'list-a@example.com'), { fileName: 'a.csv' }).expect(201)).body.id;
      const newer = (await upload(t, acme, csv('Email', 'list-b@example.com'), { fileName: 'b.csv' }).expect(201)).body.id;
      await upload(t, globex, csv('Email', 'list-g@example.com')).expect(201);
      const first = await request(t.app).get(`/api/orgs/${acme.slug}/imports?limit=1`).set(auth(acme.tokens.admin)).expect(200);
      assert.deepEqual(first.body.imports.map((i: { id: string }) => i.id), [newer]);
      assert.equal(first.body.imports[0].fileName, 'b.csv');
      const second = await request(t.app).get(`/api/orgs/${acme.slug}/imports?limit=1&cursor=${first.body.nextCursor}`).set(auth(acme.tokens.admin)).expect(200);
      assert.deepEqual(second.body.imports.map((i: { id: string }) => i.id), [older]);
      const all = await request(t.app).get(`/api/orgs/${acme.slug}/imports?limit=100`).set(auth(acme.tokens.admin)).expect(200);
      assert.ok(all.body.imports.every((i: { id: string }) => i.id !== undefined));
      const globexIds = (await request(t.app).get(`/api/orgs/${globex.slug}/imports`).set(auth(globex.tokens.admin)).expect(200)).body.imports.map((i: { id: string }) => i.id);
      assert.ok(!globexIds.includes(newer) && !globexIds.includes(older));
      await request(t.app).get(`/api/orgs/${acme.slug}/imports?limit=0`).set(auth(acme.tokens.admin)).expect(400);
      for (const cursor of ['zz', '123']) {
        const bad = await request(t.app).get(`/api/orgs/${acme.slug}/imports?cursor=${cursor}`).set(auth(acme.tokens.admin)).expect(400);
        assert.equal(bad.body.error.details.problems[0].field, 'cursor', cursor);
      }
    });

    it('downloads the report as CSV: each row’s line, person, action, outcome, changes and problems', async () => {
      const file = csv('Email,Title', 'rep-ok@example.com,Nurse', 'not-an-email,Nurse');
      const id = (await upload(t, acme, file, { fileName: 'ward.csv', noInvite: 'true' }).expect(201)).body.id;
      await commit(t, acme, id).expect(200);
      const res = await request(t.app).get(`/api/orgs/${acme.slug}/imports/${id}/report.csv`).set(auth(acme.tokens.admin)).expect(200);
      assert.match(res.headers['content-type'] ?? '', /^text\/csv/);
      assert.equal(res.headers['content-disposition'], 'attachment; filename="ward-report.csv"');
      const lines = res.text.replace(/^\uFEFF/, '').trim().split('\r\n');
      assert.equal(lines[0], 'Line,Row,Person,Action,Outcome,Changes,Problems,Notes');
      assert.equal(lines.length, 3);
      assert.match(lines[1]!, /^2,1,rep-ok@example\.com,create,applied,title: Nurse,,$/);
      assert.match(lines[2]!, /^3,2,.*,skip,.*Email: invalid_email/);
      await request(t.app).get(`/api/orgs/${globex.slug}/imports/${id}/report.csv`).set(auth(globex.tokens.admin)).expect(404);
    });

    it('reads a gzip, deflate or br body as the JSON routes do, and refuses an encoding it cannot read with 415 unsupported_encoding', async () => {
      const text = csv('Email,Full Name', 'zip@example.com,José Zip');
      const post = (body: Buffer, headers: Record<string, string>) => {
        let req = request(t.app).post(`/api/orgs/${acme.slug}/imports?mode=upsert`).set(auth(acme.tokens.admin)).set('Content-Type', 'text/csv');
        for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
        return req.send(body);
      };
      for (const [encoding, body] of [['gzip', gzipSync(text)], ['deflate', deflateSync(text)], ['br', brotliCompressSync(text)]] as const) {
        const res = await post(body, { 'Content-Encoding': encoding }).expect(201);
        const [row] = await previewRows(t, acme, res.body.id);
        assert.deepEqual([row!.label, row!.changes.displayName], ['zip@example.com', { from: null, to: 'José Zip' }], encoding);
      }
      const notBrotli = await post(Buffer.from(text), { 'Content-Encoding': 'br' }).expect(400);
      assert.equal(notBrotli.body.error.details.problems[0].field, 'file');
      const unknown = await post(Buffer.from(text), { 'Content-Encoding': 'compress' }).expect(415);
      assert.equal(unknown.body.error.code, 'unsupported_encoding');
      assert.match(unknown.body.error.message, /compress/);
    });

    it('honours a declared charset (UTF-16, Windows-1252, UTF-8) and refuses one it cannot read with 415 unsupported_encoding', async () => {
      const text = csv('Email,Full Name', 'charset@example.com,Zoë Ærø');
      const post = (body: Buffer, type: string) =>
        request(t.app).post(`/api/orgs/${acme.slug}/imports?mode=upsert`).set(auth(acme.tokens.admin)).set('Content-Type', type).send(body);
      const utf16le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      const utf16be = Buffer.from(text, 'utf16le').swap16();
      const cases: Array<[Buffer, string, string]> = [
        [utf16le, 'text/csv; charset=utf-16le', 'utf-16le'],
        [utf16le, 'text/csv; charset=UTF-16', 'utf-16le'],
        [utf16be, 'text/csv; charset=utf-16be', 'utf-16be'],
        [Buffer.from(text, 'latin1'), 'text/csv; charset=windows-1252', 'windows-1252'],
        [Buffer.from(text, 'latin1'), 'text/csv; charset="ISO-8859-1"', 'windows-1252'],
        [Buffer.from(text), 'text/csv; charset=utf-8', 'utf-8'],
      ];
      for (const [body, type, encoding] of cases) {
        const res = await post(body, type);
        assert.equal(res.status, 201, `${type}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.encoding, encoding, type);
        const [row] = await previewRows(t, acme, res.body.id);
        assert.deepEqual(row!.changes.displayName, { from: null, to: 'Zoë Ærø' }, type);
      }
      // UTF-16 with its byte order mark needs no charset: the BOM says which.
      for (const [body, encoding] of [[utf16le, 'utf-16le'], [Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be]), 'utf-16be']] as const) {
        const res = await post(body, 'text/csv');
        assert.equal(res.status, 201, `${encoding} with BOM: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.encoding, encoding);
        assert.deepEqual((await previewRows(t, acme, res.body.id))[0]!.changes.displayName, { from: null, to: 'Zoë Ærø' });
      }
      const mislabelled = await post(Buffer.from(text, 'latin1'), 'text/csv; charset=utf-8').expect(400);
      assert.match(mislabelled.body.error.message, /not valid UTF-8/);
      const refused = await post(Buffer.from(text), 'text/csv; charset=shift_jis').expect(415);
      assert.equal(refused.body.error.code, 'unsupported_encoding');
      assert.match(refused.body.error.message, /shift_jis/);
    });

    it('refuses a file over imports.maxFileSize with 413 naming the setting, also when a small gzip body inflates past it', async () => {
      const small = await createTestApp({ config: { imports: { maxFileSize: '2kb' } } });
      try {
        const org = await seedOrg(small.container, 'small-imp');
        const big = csv('Email', ...Array.from({ length: 200 }, (_, i) => `person-${i}@example.com`));
        for (const [body, encoding] of [[Buffer.from(big), null], [gzipSync(big), 'gzip']] as const) {
          let req = request(small.app).post(`/api/orgs/${org.slug}/imports?mode=upsert`).set(auth(org.tokens.admin)).set('Content-Type', 'text/csv');
          if (encoding) req = req.set('Content-Encoding', encoding);
          const res = await req.send(body).expect(413);
          assert.equal(res.body.error.code, 'payload_too_large');
          assert.match(res.body.error.message, /limit of 2048 bytes \(imports\.maxFileSize\)/);
          assert.deepEqual([res.body.error.details.limit, res.body.error.details.setting], [2048, 'imports.maxFileSize']);
        }
      } finally {
        await small.close();
      }
    });

    it('refuses a file holding a NUL character (U+0000) with 400 naming its line, storing no import (was a 500)', async () => {
      const imports = await count(t, 'select count(*)::int as n from csv_imports where org_id = ?', [acme.id]);
      for (const file of [csv('Email,Title', 'ok@example.com,Nurse', 'nul@example.com,a\u0000b'), csv('Email,Ti\u0000tle', 'ok@example.com,x')]) {
        const res = await upload(t, acme, file).expect(400);
        assert.equal(res.body.error.details.problems[0].field, 'file');
        assert.match(res.body.error.message, /NUL character \(U\+0000\)/);
      }
      const res = await upload(t, acme, csv('Email,Title', 'ok@example.com,Nurse', 'nul@example.com,a\u0000b')).expect(400);
      assert.match(res.body.error.message, /at line 3/);
      assert.equal(await count(t, 'select count(*)::int as n from csv_imports where org_id = ?', [acme.id]), imports);
    });

    it('reads the file part of a multipart/form-data upload (an HTML form, curl -F), named by its filename', async () => {
      const multipart = () => request(t.app).post(`/api/orgs/${acme.slug}/imports?mode=upsert&noInvite=true`).set(auth(acme.tokens.admin));
      const text = csv('Email,First Name,Last Name', 'form1@example.com,Fay,Form', 'form2@example.com,Gus,Form');
      const res = await multipart().field('note', 'ignored').attach('file', Buffer.from(text), { filename: 'staff.csv', contentType: 'text/csv' }).expect(201);
      assert.equal(res.body.counts.create, 2);
      assert.equal(res.body.fileName, 'staff.csv');
      const none = await multipart().field('file', 'not a file').expect(400);
      assert.equal(none.body.error.details.problems[0].field, 'file');
      const two = await multipart().attach('file', Buffer.from(text), 'a.csv').attach('other', Buffer.from(text), 'b.csv').expect(400);
      assert.match(two.body.error.message, /more than one/);
      const imports = await count(t, 'select count(*)::int as n from csv_imports where org_id = ?', [acme.id]);
      const big = await multipart().attach('file', Buffer.alloc(51 * 1024 * 1024, 'a'), 'big.csv').expect(413);
      assert.equal(big.body.error.details.setting, 'imports.maxFileSize');
      assert.equal(await count(t, 'select count(*)::int as n from csv_imports where org_id = ?', [acme.id]), imports);
    });

    it('refuses a JSON body with 415 unsupported_media_type, well-formed or not', async () => {
      for (const body of ['{"a": 1}', 'Email\r\nx@example.com\r\n']) {
        const res = await request(t.app).post(`/api/orgs/${acme.slug}/imports?mode=upsert`).set(auth(acme.tokens.admin)).set('Content-Type', 'application/json').send(body).expect(415);
        assert.equal(res.body.error.code, 'unsupported_media_type');
      }
    });

    it('refuses a file without a matching column, a bad mode, a non-CSV body and a broken file with clear 4xx', async () => {
      const noEmail = await upload(t, acme, csv('Title', 'x')).expect(400);
      assert.equal(noEmail.body.error.details.problems[0].field, 'file');
      await upload(t, acme, csv('Email', 'x@example.com'), { mode: 'merge' }).expect(400);
      await request(t.app).post(`/api/orgs/${acme.slug}/imports?mode=upsert`).set(auth(acme.tokens.admin)).send({ a: 1 }).expect(415);
      const huge = await upload(t, acme, `Email,Title\r\na@example.com,${'x'.repeat(10 * 1024 * 1024)}\r\n`).expect(400);
      assert.match(huge.body.error.message, /field_too_large/);
      assert.match(huge.body.error.message, /imports\.maxRowChars/);
      assert.equal(huge.body.error.details.setting, 'imports.maxRowChars');
    });
  });
});
