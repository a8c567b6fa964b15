import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { postGroup, postUser } from '../support/scim.ts';
import { addGroup, addUser, createPeopleTestApp, sql } from '../people/support.ts';
import { auditEvents, orgApi, tokenWith } from './groups-support.ts';

describe('groups (entry points) in the admin API', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let ada: string;
  let bob: string;
  let cyd: string;
  const api = (org: SeededOrg = acme, token?: string) => orgApi(t, org, token);

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    ada = await addUser(t, acme, { userName: 'ada', displayName: 'Ada Lovelace' });
    bob = await addUser(t, acme, { userName: 'bob' });
    cyd = await addUser(t, acme, { userName: 'cyd' });
  });
  after(() => t.close());

  describe('create', () => {
    it('creates a group with a description, source admin and no members, and audits it', async () => {
      const res = await api().post('/groups', { displayName: '  Ward 5 ', description: 'Night shift' }).expect(201);
      assert.equal(res.body.displayName, 'Ward 5');
      assert.equal(res.body.description, 'Night shift');
      assert.equal(res.body.source, 'admin');
      assert.equal(res.body.readOnly, false);
      assert.equal(res.body.memberCount, 0);
      assert.equal((await auditEvents(t, 'group.created', res.body.id)).length, 1);
    });

    it('returns 409 conflict naming displayName when the name differs only by case', async () => {
      await api().post('/groups', { displayName: 'Radiology' }).expect(201);
      const res = await api().post('/groups', { displayName: 'RADIOLOGY' }).expect(409);
      assert.equal(res.body.error.code, 'conflict');
      assert.equal(res.body.error.details.field, 'displayName');
      assert.match(res.body.error.message, /RADIOLOGY/);
    });

    it('has the database refuse a second name differing only by case, whatever writes it', async () => {
      await assert.rejects(
        sql(t, `insert into groups (id, org_id, display_name, source, scim_attributes, version, created_at, updated_at) values (?, ?, 'radiology', 'csv', '{}', 1, now(), now())`, [randomUUID(), acme.id]),
        /groups_org_display_name_unique/,
      );
    });

    it('lets only one of two concurrent creates differing by case through (the other: 409 conflict)', async () => {
      const results = await Promise.all([api().post('/groups', { displayName: 'Oncology' }), api().post('/groups', { displayName: 'ONCOLOGY' })]);
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
      assert.equal((await sql(t, `select count(*)::int as n from groups where org_id = ? and lower(display_name) = 'oncology'`, [acme.id]))[0]!.n, 1);
    });

    it('allows the same name in another organization', async () => {
      await api(globex).post('/groups', { displayName: 'Radiology' }).expect(201);
    });

    it('returns 400 naming displayName when it is missing or blank, and refuses unknown fields', async () => {
      const missing = await api().post('/groups', { description: 'x' }).expect(400);
      assert.deepEqual(missing.body.error.details.problems.map((p: { field: string }) => p.field), ['displayName']);
      const blank = await api().post('/groups', { displayName: '   ' }).expect(400);
      assert.equal(blank.body.error.details.problems[0].field, 'displayName');
      const unknown = await api().post('/groups', { displayName: 'X', source: 'scim' }).expect(400);
      assert.equal(unknown.body.error.details.problems[0].field, 'source');
    });
  });

  describe('list and read', () => {
    let cardio: string;

    before(async () => {
      cardio = await addGroup(t, acme, 'Cardiology', [ada, bob, cyd], 'editor');
      await addGroup(t, acme, 'Cardio Lab', [ada]);
      await sql(t, `update users set state = 'deleted', deleted_at = now() where id = ?`, [cyd]);
    });
    after(() => sql(t, `update users set state = 'active', deleted_at = null where id = ?`, [cyd]));

    it('lists groups by name with live member counts', async () => {
      const res = await api().get('/groups?q=cardio').expect(200);
      assert.deepEqual(
        res.body.groups.map((g: { displayName: string; memberCount: number }) => [g.displayName, g.memberCount]),
        [['Cardio Lab', 1], ['Cardiology', 2]],
      );
      assert.equal(res.body.nextCursor, null);
    });

    it('searches the description too, with % and _ taken literally', async () => {
      await api().post('/groups', { displayName: 'Pharmacy', description: '100% on call' }).expect(201);
      assert.deepEqual((await api().get('/groups?q=100%25').expect(200)).body.groups.map((g: { displayName: string }) => g.displayName), ['Pharmacy']);
      assert.deepEqual((await api().get('/groups?q=_').expect(200)).body.groups, []);
    });

    it('pages through every group with the cursor, each once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { groups: Array<{ id: string }>; nextCursor: string | null } } = await api().get(`/groups?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).expect(200);
        assert.ok(res.body.groups.length <= 2);
        seen.push(...res.body.groups.map((g) => g.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      const all = await sql(t, 'select id from groups where org_id = ?', [acme.id]);
      assert.equal(seen.length, all.length);
      assert.equal(new Set(seen).size, all.length);
    });

    it('returns 400 naming cursor and limit when they are not usable', async () => {
      assert.equal((await api().get('/groups?cursor=***').expect(400)).body.error.details.problems[0].field, 'cursor');
      assert.equal((await api().get('/groups?limit=0').expect(400)).body.error.details.problems[0].field, 'limit');
    });

    it('filters by source', async () => {
      const scimUser = await postUser(t, acme.tokens.scim, 'sam@acme.test');
      await postGroup(t, acme.tokens.scim, 'Okta Nurses', [String(scimUser.id)]);
      const res = await api().get('/groups?source=scim').expect(200);
      assert.deepEqual(res.body.groups.map((g: { displayName: string; readOnly: boolean }) => [g.displayName, g.readOnly]), [['Okta Nurses', true]]);
      assert.equal((await api().get('/groups?source=ldap').expect(400)).body.error.details.problems[0].field, 'source');
    });

    it('reads one group with its members (id, names, email, role, source, addedAt), paged', async () => {
      const first = await api().get(`/groups/${cardio}?membersLimit=1`).expect(200);
      assert.equal(first.body.displayName, 'Cardiology');
      assert.equal(first.body.memberCount, 2);
      assert.equal(first.body.members.length, 1);
      const member = first.body.members[0];
      assert.deepEqual(Object.keys(member).sort(), ['addedAt', 'displayName', 'email', 'role', 'source', 'userId', 'userName', 'viaMapping']);
      assert.equal(member.userId, ada);
      assert.equal(member.email, 'ada@example.com');
      assert.equal(member.role, 'editor');
      assert.equal(member.source, 'admin');
      assert.ok(first.body.membersNextCursor);
      const next = await api().get(`/groups/${cardio}/members?limit=5&cursor=${first.body.membersNextCursor}`).expect(200);
      assert.deepEqual(next.body.members.map((m: { userId: string }) => m.userId), [bob]);
      assert.equal(next.body.nextCursor, null);
    });

    it('answers 404 for an unknown or malformed group id', async () => {
      assert.equal((await api().get(`/groups/${randomUUID()}`).expect(404)).body.error.code, 'not_found');
      await api().get('/groups/not-a-uuid').expect(404);
    });
  });

  describe('update', () => {
    it('renames and re-describes a group, auditing the before and after', async () => {
      const created = (await api().post('/groups', { displayName: 'Ward 6', description: 'old' }).expect(201)).body;
      const res = await api().patch(`/groups/${created.id}`, { displayName: 'Ward Six', description: null }).expect(200);
      assert.equal(res.body.displayName, 'Ward Six');
      assert.equal(res.body.description, null);
      const [event] = await auditEvents(t, 'group.updated', created.id);
      assert.deepEqual((event!.details as { changes: unknown }).changes, {
        displayName: { from: 'Ward 6', to: 'Ward Six' },
        description: { from: 'old', to: null },
      });
    });

    it('writes nothing when nothing changes', async () => {
      const created = (await api().post('/groups', { displayName: 'Ward 7' }).expect(201)).body;
      await api().patch(`/groups/${created.id}`, { displayName: 'Ward 7' }).expect(200);
      assert.equal((await auditEvents(t, 'group.updated', created.id)).length, 0);
    });

    it('returns 409 conflict when renamed onto another group’s name in another case', async () => {
      const created = (await api().post('/groups', { displayName: 'Ward 8' }).expect(201)).body;
      const res = await api().patch(`/groups/${created.id}`, { displayName: 'radiology' }).expect(409);
      assert.equal(res.body.error.details.field, 'displayName');
    });
  });

  describe('delete', () => {
    it('deletes an empty group', async () => {
      const created = (await api().post('/groups', { displayName: 'Temp' }).expect(201)).body;
      await api().delete(`/groups/${created.id}`).expect(204);
      await api().get(`/groups/${created.id}`).expect(404);
      assert.equal((await auditEvents(t, 'group.deleted', created.id)).length, 1);
    });

    it('refuses a group with members with 409 group_not_empty naming the count, and deletes it with force=true', async () => {
      const id = await addGroup(t, acme, 'Busy', [ada, bob]);
      const refused = await api().delete(`/groups/${id}`).expect(409);
      assert.equal(refused.body.error.code, 'group_not_empty');
      assert.equal(refused.body.error.details.memberCount, 2);
      assert.match(refused.body.error.message, /2 members.*force=true/);
      assert.equal((await sql(t, 'select count(*)::int as n from memberships where group_id = ?', [id]))[0]!.n, 2);
      await api().delete(`/groups/${id}?force=true`).expect(204);
      assert.equal((await sql(t, 'select count(*)::int as n from memberships where group_id = ?', [id]))[0]!.n, 0);
      const [event] = await auditEvents(t, 'group.deleted', id);
      assert.deepEqual(event!.details, { force: true, membershipsRemoved: 2 });
      // Each person lost a membership: one membership.removed each, in their trail and the change feed, before the group went.
      const removed = await sql(t, `select target_id, details->>'groupId' as group_id, details->>'reason' as reason from audit_events
        where action = 'membership.removed' and details->>'groupId' = ? order by target_id`, [id]);
      assert.deepEqual(removed.map((r) => [r.target_id, r.group_id, r.reason]), [ada, bob].sort().map((u) => [u, id, 'group_deleted']));
      const feed = await sql(t, `select e.subject_id from events e join audit_events a on a.id = e.audit_id
        where e.type = 'membership.removed' and a.details->>'groupId' = ? order by e.subject_id`, [id]);
      assert.deepEqual(feed.map((r) => r.subject_id), [ada, bob].sort());
    });
  });

  describe('SCIM groups', () => {
    let okta: string;

    before(async () => {
      const user = await postUser(t, acme.tokens.scim, 'sue@acme.test');
      okta = String((await postGroup(t, acme.tokens.scim, 'Okta Doctors', [String(user.id)])).id);
    });

    it('are read-only: rename, delete and member changes answer 409 scim_managed', async () => {
      for (const res of [
        await api().patch(`/groups/${okta}`, { description: 'mine' }),
        await api().delete(`/groups/${okta}?force=true`),
        await api().post(`/groups/${okta}/members`, { members: [{ userId: ada }] }),
        await api().delete(`/groups/${okta}/members`, { userIds: [ada] }),
      ]) {
        assert.equal(res.status, 409, JSON.stringify(res.body));
        assert.equal(res.body.error.code, 'scim_managed');
        assert.match(res.body.error.message, /managed by your identity provider/);
      }
      assert.equal((await api().get(`/groups/${okta}`).expect(200)).body.memberCount, 1);
    });
  });

  describe('permissions and isolation', () => {
    it('lets a token without groups.manage read but not write (403 naming the permission)', async () => {
      const reader = await tokenWith(t, acme, []);
      await api(acme, reader).get('/groups').expect(200);
      const res = await api(acme, reader).post('/groups', { displayName: 'Nope' }).expect(403);
      assert.equal(res.body.error.details.missingPermission, 'groups.manage');
      const id = await addGroup(t, acme, 'Guarded', []);
      await api(acme, reader).patch(`/groups/${id}`, { displayName: 'x' }).expect(403);
      await api(acme, reader).delete(`/groups/${id}`).expect(403);
      const manager = await tokenWith(t, acme, ['groups.manage']);
      await api(acme, manager).patch(`/groups/${id}`, { displayName: 'Guarded 2' }).expect(200);
    });

    it('never shows or changes another organization’s groups (404)', async () => {
      const id = await addGroup(t, acme, 'Secret ward', [ada]);
      assert.ok(!(await api(globex).get('/groups?limit=200').expect(200)).body.groups.some((g: { id: string }) => g.id === id));
      await api(globex).get(`/groups/${id}`).expect(404);
      await api(globex).get(`/groups/${id}/members`).expect(404);
      await api(globex).patch(`/groups/${id}`, { displayName: 'Taken' }).expect(404);
      await api(globex).delete(`/groups/${id}?force=true`).expect(404);
      assert.equal((await api().get(`/groups/${id}`).expect(200)).body.displayName, 'Secret ward');
    });

    it('refuses another organization’s token on this organization’s routes', async () => {
      const res = await orgApi(t, acme, globex.tokens.admin).get('/groups');
      assert.equal(res.status, 403);
    });
  });
});
