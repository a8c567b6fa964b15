import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addGroup, api, createPeopleTestApp, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';

/**
 * An invitee disabled before registering (the legacy `disable` file, a sync) keeps the plan of
 * their invitation: reactivated, they are invited again with that same invitation and plan.
 */
describe('CSV import: an invitee who was disabled before registering', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('counts their planned groups as held and adds new ones to the plan, never as live memberships; reactivated, their invitation plans them all', async () => {
    const org = await seedOrg(t.container, 'disabled-invitee');
    await addGroup(t, org, 'Crew', []);
    await addGroup(t, org, 'Ops', []);
    const first = await upload(t, org, csv('Email,Groups', 'dora@example.com,Crew:editor')).expect(201);
    await commit(t, org, first.body.id).expect(200);
    const user = String((await sql(t, `select id from users where org_id = ? and email = 'dora@example.com'`, [org.id]))[0]!.id);
    await api(t, org).post(`/users/${user}/disable`).expect(200);

    const again = await upload(t, org, csv('Email,Groups', 'dora@example.com,Crew:editor')).expect(201);
    assert.deepEqual((await previewRows(t, org, again.body.id)).map((r) => [r.action, r.changes]), [['unchanged', {}]]);

    const more = await upload(t, org, csv('Email,Groups', 'dora@example.com,Crew:editor; Ops')).expect(201);
    assert.deepEqual((await previewRows(t, org, more.body.id)).map((r) => [r.action, r.changes]), [['update', { groups: { add: ['Ops'], roles: { Ops: 'viewer' } } }]]);
    await commit(t, org, more.body.id).expect(200);
    const planned = await sql(t, `select g.display_name as g, im.role from invitation_memberships im join invitations i on i.id = im.invitation_id
      join groups g on g.id = im.group_id where i.user_id = ? order by 1`, [user]);
    assert.deepEqual(planned.map((r) => `${r.g}:${r.role}`), ['Crew:editor', 'Ops:viewer']);
    assert.equal((await sql(t, 'select count(*)::int as n from memberships where user_id = ?', [user]))[0]!.n, 0, 'no live membership for someone who never registered');

    const back = await api(t, org).post(`/users/${user}/reactivate`).expect(200);
    assert.equal(back.body.status, 'pending');
    const invitation = (await api(t, org).get(`/invitations?status=pending`).expect(200)).body.invitations.find((i: { userId: string }) => i.userId === user);
    assert.deepEqual(invitation.memberships.map((m: { groupName: string; role: string }) => `${m.groupName}:${m.role}`), ['Crew:editor', 'Ops:viewer']);
  });
});
