import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { postGroup, postUser } from '../support/scim.ts';
import { addGroup, addUser, createPeopleTestApp, sql } from '../people/support.ts';
import { auditEvents, membershipsOf, orgApi, tokenWith } from './groups-support.ts';

type Membership = { groupId: string; groupDisplayName: string; role: string; source: string; readOnly: boolean; addedAt: string };

describe('memberships in the admin API', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let wardA: string;
  let wardB: string;
  let wardC: string;
  const api = (org: SeededOrg = acme, token?: string) => orgApi(t, org, token);

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    wardA = await addGroup(t, acme, 'Ward A', []);
    wardB = await addGroup(t, acme, 'Ward B', []);
    wardC = await addGroup(t, acme, 'Ward C', []);
  });
  after(() => t.close());

  describe('PUT /users/:id/memberships', () => {
    it('sets a person’s groups and roles in one call: adds, role changes and removals, one audit event each', async () => {
      const ada = await addUser(t, acme, { userName: 'ada' });
      await api().put(`/users/${ada}/memberships`, { memberships: [{ groupId: wardA, role: 'viewer' }, { groupId: wardB, role: 'viewer' }] }).expect(200);
      const addedAt = (await sql(t, 'select added_at from memberships where user_id = ? and group_id = ?', [ada, wardA]))[0]!.added_at;
      const res = await api().put(`/users/${ada}/memberships`, { memberships: [{ groupId: wardA, role: 'editor' }, { groupId: wardC, role: 'admin' }] }).expect(200);
      assert.deepEqual(
        res.body.memberships.map((m: Membership) => [m.groupDisplayName, m.role, m.source, m.readOnly]),
        [['Ward A', 'editor', 'admin', false], ['Ward C', 'admin', 'admin', false]],
      );
      assert.deepEqual((await sql(t, 'select added_at from memberships where user_id = ? and group_id = ?', [ada, wardA]))[0]!.added_at, addedAt, 'a role change keeps addedAt');
      assert.equal((await auditEvents(t, 'membership.added', ada)).length, 3);
      const [changed] = await auditEvents(t, 'membership.role_changed', ada);
      assert.deepEqual(changed!.details, { groupId: wardA, groupName: 'Ward A', role: 'editor', source: 'admin', changes: { role: { from: 'viewer', to: 'editor' } } });
      const [removed] = await auditEvents(t, 'membership.removed', ada);
      assert.deepEqual(removed!.details, { groupId: wardB, groupName: 'Ward B', role: 'viewer', source: 'admin' });
      const list = await api().get(`/users/${ada}/memberships`).expect(200);
      assert.deepEqual(list.body.memberships, res.body.memberships);
    });

    it('writes nothing when the set is unchanged', async () => {
      const bea = await addUser(t, acme, { userName: 'bea' });
      await api().put(`/users/${bea}/memberships`, { memberships: [{ groupId: wardA, role: 'viewer' }] }).expect(200);
      await api().put(`/users/${bea}/memberships`, { memberships: [{ groupId: wardA, role: 'viewer' }] }).expect(200);
      assert.equal((await sql(t, `select count(*)::int as n from audit_events where target_id = ? and action like 'membership.%'`, [bea]))[0]!.n, 1);
    });

    it('returns 400 naming the role and listing the organization’s roles when the role is unknown', async () => {
      const cat = await addUser(t, acme, { userName: 'cat' });
      const res = await api().put(`/users/${cat}/memberships`, { memberships: [{ groupId: wardA, role: 'viewer' }, { groupId: wardB, role: 'owner' }] }).expect(400);
      assert.equal(res.body.error.details.problems[0].field, 'memberships.1.role');
      assert.match(res.body.error.details.problems[0].reason, /viewer, editor, admin/);
      assert.deepEqual(await membershipsOf(t, cat), {}, 'nothing half-written');
    });

    it('accepts the roles the organization defined in its settings', async () => {
      await api(globex).patch('/settings', { roles: ['reader', 'nurse'] }).expect(200);
      const gus = await addUser(t, globex, { userName: 'gus' });
      const ward = await addGroup(t, globex, 'Ward G', []);
      await api(globex).put(`/users/${gus}/memberships`, { memberships: [{ groupId: ward, role: 'nurse' }] }).expect(200);
      const res = await api(globex).put(`/users/${gus}/memberships`, { memberships: [{ groupId: ward, role: 'editor' }] }).expect(400);
      assert.match(res.body.error.details.problems[0].reason, /reader, nurse/);
    });

    it('returns 400 when a group is listed twice', async () => {
      const dan = await addUser(t, acme, { userName: 'dan' });
      const res = await api().put(`/users/${dan}/memberships`, { memberships: [{ groupId: wardA, role: 'viewer' }, { groupId: wardA, role: 'editor' }] }).expect(400);
      assert.equal(res.body.error.details.problems[0].field, 'memberships.1.groupId');
    });

    it('returns 404 naming an unknown group or user, and 409 for a deleted user', async () => {
      const eve = await addUser(t, acme, { userName: 'eve' });
      const ghost = randomUUID();
      const group = await api().put(`/users/${eve}/memberships`, { memberships: [{ groupId: ghost, role: 'viewer' }] }).expect(404);
      assert.equal(group.body.error.details.id, ghost);
      const user = await api().put(`/users/${ghost}/memberships`, { memberships: [] }).expect(404);
      assert.equal(user.body.error.details.id, ghost);
      await sql(t, `update users set state = 'deleted', deleted_at = now() where id = ?`, [eve]);
      const deleted = await api().put(`/users/${eve}/memberships`, { memberships: [{ groupId: wardA, role: 'viewer' }] }).expect(409);
      assert.equal(deleted.body.error.details.reason, 'user_deleted');
    });

    describe('with memberships SCIM made', () => {
      let sam: string;
      let okta: string;

      before(async () => {
        sam = String((await postUser(t, acme.tokens.scim, 'sam@acme.test')).id);
        okta = String((await postGroup(t, acme.tokens.scim, 'Okta Nurses', [sam])).id);
        // As an IdP group mapping leaves it: a SCIM-made membership in a group the org manages.
        await sql(t, `insert into memberships (id, org_id, group_id, user_id, role, source, via_mapping, added_at) values (?, ?, ?, ?, 'editor', 'scim', true, now())`, [randomUUID(), acme.id, wardC, sam]);
      });

      it('keeps them when the set leaves them out, and says they are read-only', async () => {
        const res = await api().put(`/users/${sam}/memberships`, { memberships: [{ groupId: wardA, role: 'viewer' }] }).expect(200);
        assert.deepEqual(
          res.body.memberships.map((m: Membership) => [m.groupDisplayName, m.source, m.readOnly]),
          [['Okta Nurses', 'scim', true], ['Ward A', 'admin', false], ['Ward C', 'scim', true]],
        );
      });

      it('refuses to change their role or add the person to a SCIM group (409 scim_managed naming them), writing nothing', async () => {
        const before = await membershipsOf(t, sam);
        const changed = await api().put(`/users/${sam}/memberships`, { memberships: [{ groupId: wardB, role: 'viewer' }, { groupId: wardC, role: 'admin' }] }).expect(409);
        assert.equal(changed.body.error.code, 'scim_managed');
        assert.match(changed.body.error.message, /managed by your identity provider.*"Ward C"/);
        assert.deepEqual(changed.body.error.details.memberships, [{ groupId: wardC, displayName: 'Ward C', userId: sam }]);
        const cyd = await addUser(t, acme, { userName: 'cyd' });
        const joined = await api().put(`/users/${cyd}/memberships`, { memberships: [{ groupId: okta, role: 'viewer' }] }).expect(409);
        assert.match(joined.body.error.message, /"Okta Nurses"/);
        assert.deepEqual(await membershipsOf(t, sam), before);
        assert.deepEqual(await membershipsOf(t, cyd), {});
      });

      it('refuses to remove them from a group (409 scim_managed)', async () => {
        const res = await api().delete(`/groups/${wardC}/members`, { userIds: [sam] }).expect(409);
        assert.equal(res.body.error.code, 'scim_managed');
        assert.equal((await membershipsOf(t, sam))['Ward C']!.role, 'editor');
      });
    });
  });

  describe('POST and DELETE /groups/:id/members', () => {
    let ward: string;
    let people: string[];

    before(async () => {
      ward = await addGroup(t, acme, 'Bulk ward', []);
      people = [];
      for (const name of ['p1', 'p2', 'p3', 'p4']) people.push(await addUser(t, acme, { userName: name }));
    });

    it('adds many people at once, with the first role of the list unless one is given', async () => {
      const res = await api().post(`/groups/${ward}/members`, { members: [{ userId: people[0] }, { userId: people[1], role: 'editor' }, { userId: people[2] }] }).expect(200);
      assert.deepEqual(res.body, { added: people.slice(0, 3), roleChanged: [], unchanged: [] });
      const members = (await api().get(`/groups/${ward}`).expect(200)).body.members;
      // One request's rows share a millisecond: compare them as a set.
      assert.deepEqual(members.map((m: { userId: string; role: string; source: string }) => [m.userId, m.role, m.source]).sort(), [
        [people[0], 'viewer', 'admin'], [people[1], 'editor', 'admin'], [people[2], 'viewer', 'admin'],
      ].sort());
      assert.equal((await auditEvents(t, 'membership.added')).filter((e) => (e.details as { groupId: string }).groupId === ward).length, 3);
    });

    it('changes an existing member’s role only when a role is given', async () => {
      const res = await api().post(`/groups/${ward}/members`, { members: [{ userId: people[0], role: 'admin' }, { userId: people[1] }, { userId: people[3] }] }).expect(200);
      assert.deepEqual(res.body, { added: [people[3]], roleChanged: [people[0]], unchanged: [people[1]] });
    });

    it('removes many people at once and lists those who were not members', async () => {
      const outsider = await addUser(t, acme, { userName: 'outsider' });
      const res = await api().delete(`/groups/${ward}/members`, { userIds: [people[2], people[3], outsider] }).expect(200);
      assert.deepEqual(res.body, { removed: [people[2], people[3]], notMembers: [outsider] });
      assert.equal((await auditEvents(t, 'membership.removed', people[2])).length, 1);
    });

    it('returns 400 naming the limit of 1000 per request', async () => {
      const members = Array.from({ length: 1001 }, () => ({ userId: randomUUID() }));
      const res = await api().post(`/groups/${ward}/members`, { members }).expect(400);
      assert.equal(res.body.error.details.problems[0].field, 'members');
      assert.match(res.body.error.details.problems[0].reason, /at most 1000/);
      const removal = await api().delete(`/groups/${ward}/members`, { userIds: members.map((m) => m.userId) }).expect(400);
      assert.match(removal.body.error.details.problems[0].reason, /at most 1000/);
    });

    it('returns 404 naming a user not in this organization and adds nobody', async () => {
      const stranger = await addUser(t, globex, { userName: 'stranger' });
      const fresh = await addUser(t, acme, { userName: 'fresh' });
      const res = await api().post(`/groups/${ward}/members`, { members: [{ userId: fresh }, { userId: stranger }] }).expect(404);
      assert.equal(res.body.error.details.id, stranger);
      assert.deepEqual(await membershipsOf(t, fresh), {});
    });

    it('returns 400 naming an unknown role', async () => {
      const res = await api().post(`/groups/${ward}/members`, { members: [{ userId: people[0], role: 'root' }] }).expect(400);
      assert.equal(res.body.error.details.problems[0].field, 'members.0.role');
    });
  });

  describe('permissions and isolation', () => {
    it('needs groups.manage to change memberships (403 naming it) but not to read them', async () => {
      const reader = await tokenWith(t, acme, ['users.edit']);
      const ivy = await addUser(t, acme, { userName: 'ivy' });
      await api(acme, reader).get(`/users/${ivy}/memberships`).expect(200);
      const res = await api(acme, reader).put(`/users/${ivy}/memberships`, { memberships: [] }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'groups.manage');
      await api(acme, reader).post(`/groups/${wardA}/members`, { members: [{ userId: ivy }] }).expect(403);
      await api(acme, reader).delete(`/groups/${wardA}/members`, { userIds: [ivy] }).expect(403);
    });

    it('never shows or changes another organization’s memberships (404)', async () => {
      const jo = await addUser(t, acme, { userName: 'jo' });
      await api().put(`/users/${jo}/memberships`, { memberships: [{ groupId: wardA, role: 'viewer' }] }).expect(200);
      await api(globex).get(`/users/${jo}/memberships`).expect(404);
      await api(globex).put(`/users/${jo}/memberships`, { memberships: [] }).expect(404);
      await api(globex).post(`/groups/${wardA}/members`, { members: [{ userId: jo }] }).expect(404);
      await api(globex).delete(`/groups/${wardA}/members`, { userIds: [jo] }).expect(404);
      const kim = await addUser(t, globex, { userName: 'kim' });
      await api(globex).put(`/users/${kim}/memberships`, { memberships: [{ groupId: wardA, role: 'nurse' }] }).expect(404);
      assert.deepEqual(await membershipsOf(t, jo), { 'Ward A': { role: 'viewer', source: 'admin', viaMapping: false } });
      assert.deepEqual(await membershipsOf(t, kim), {});
    });
  });
});
