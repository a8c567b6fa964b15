import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { purgeDeletedUsers } from '../../src/directory/people.ts';
import { addGroup, addSession, addUser, api, auditActions, createPeopleTestApp, setSeatLimit, sql } from './support.ts';

const DAY = 86_400_000;

describe('people lifecycle through the admin API', () => {
  const clock = fixedClock(new Date());
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;

  before(async () => {
    t = await createPeopleTestApp(clock);
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
  });
  after(() => t.close());
  afterEach(() => clock.set(new Date()));

  it('ends every session of a disabled user at once and records one audit event', async () => {
    const id = await addUser(t, acme, { userName: 'leaver' });
    const sessions = [await addSession(t, acme, id), await addSession(t, acme, id)];
    const res = await api(t, acme).post(`/users/${id}/disable`).expect(200);
    assert.equal(res.body.status, 'disabled');
    assert.ok(res.body.disabledAt);
    const rows = await sql(t, `select revoked_at from sessions where id in (?, ?)`, sessions);
    assert.equal(rows.length, 2);
    for (const row of rows) assert.ok(row.revoked_at, 'session still live');
    assert.deepEqual(await auditActions(t, id), ['user.created', 'user.disabled']);
  });

  it('reactivates a disabled user and refuses to reactivate an active one with 409', async () => {
    const id = await addUser(t, acme, { userName: 'returner', state: 'disabled' });
    const res = await api(t, acme).post(`/users/${id}/reactivate`).expect(200);
    assert.equal(res.body.status, 'active');
    assert.equal(res.body.disabledAt, null);
    const again = await api(t, acme).post(`/users/${id}/reactivate`).expect(409);
    assert.equal(again.body.error.code, 'invalid_transition');
  });

  it('reactivates a disabled invitee who never registered as pending (or expired), taking no seat, singly and in bulk', async () => {
    const org = await seedOrg(t.container, 'reinvite');
    const later = await addUser(t, org, { userName: 'inv-later', state: 'invited', inviteExpiresAt: new Date(clock.now().getTime() + 5 * DAY) });
    const lapsed = await addUser(t, org, { userName: 'inv-lapsed', state: 'invited', inviteExpiresAt: new Date(clock.now().getTime() - DAY) });
    const member = await addUser(t, org, { userName: 'member' });
    for (const id of [later, lapsed, member]) await api(t, org).post(`/users/${id}/disable`).expect(200);
    await setSeatLimit(t, org, 0);
    const one = await api(t, org).post(`/users/${later}/reactivate`).expect(200);
    assert.equal(one.body.status, 'pending');
    assert.equal(one.body.disabledAt, null);
    assert.equal(one.body.lastActiveAt, null);
    const bulk = await api(t, org).post('/users/reactivate', { ids: [lapsed, member] }).expect(200);
    const byId = Object.fromEntries(bulk.body.results.map((r: { id: string }) => [r.id, r]));
    assert.equal(byId[lapsed].done, true);
    assert.equal(byId[member].done, false, 'an active user needs a seat');
    assert.equal(byId[member].reason, 'limit_exceeded');
    const rows = Object.fromEntries((await sql(t, 'select id, state from users where id in (?, ?, ?)', [later, lapsed, member])).map((r) => [r.id, r.state]));
    assert.deepEqual([rows[later], rows[lapsed], rows[member]], ['invited', 'invited', 'disabled']);
    assert.equal((await api(t, org).get(`/users/${lapsed}`).expect(200)).body.status, 'expired');
    assert.equal((await api(t, org).get('/license').expect(200)).body.active, 0);
    assert.deepEqual(await auditActions(t, later), ['user.created', 'user.disabled', 'user.reactivated']);
  });

  it('bulk-disables the ids it may and reports unknown, foreign and already disabled ids without touching them', async () => {
    const a = await addUser(t, acme, { userName: 'bulk-a' });
    const b = await addUser(t, acme, { userName: 'bulk-b', state: 'invited', inviteExpiresAt: new Date(Date.now() + DAY) });
    const already = await addUser(t, acme, { userName: 'bulk-off', state: 'disabled' });
    const foreign = await addUser(t, globex, { userName: 'bulk-foreign' });
    const unknown = '01890000-0000-7000-8000-000000000000';
    const res = await api(t, acme).post('/users/disable', { ids: [a, b, already, foreign, unknown, 'not-an-id'], force: true }).expect(200);
    const byId = Object.fromEntries(res.body.results.map((r: { id: string }) => [r.id, r]));
    assert.equal(byId[a].done, true);
    assert.equal(byId[b].done, true);
    assert.equal(byId[already].done, false);
    assert.equal(byId[already].reason, 'invalid_transition');
    for (const id of [foreign, unknown, 'not-an-id']) {
      assert.equal(byId[id].done, false);
      assert.equal(byId[id].reason, 'not_found');
    }
    assert.equal(res.body.done, 2);
    assert.equal(res.body.failed, 4);
    const foreignRow = (await sql(t, 'select state, version from users where id = ?', [foreign]))[0]!;
    assert.equal(foreignRow.state, 'active');
    assert.equal(Number(foreignRow.version), 1);
    assert.deepEqual(await auditActions(t, foreign), ['user.created']);
    assert.deepEqual(await auditActions(t, already), ['user.created']);
  });

  it('bulk-reactivates disabled users', async () => {
    const a = await addUser(t, acme, { userName: 'bulk-re-a', state: 'disabled' });
    const b = await addUser(t, acme, { userName: 'bulk-re-b', state: 'disabled' });
    const res = await api(t, acme).post('/users/reactivate', { ids: [a, b] }).expect(200);
    assert.equal(res.body.done, 2);
  });

  it('refuses a bulk request without ids naming the field', async () => {
    const res = await api(t, acme).post('/users/disable', {}).expect(400);
    assert.equal(res.body.error.details.problems[0].field, 'ids');
  });

  it('deletes only when confirmEmail matches the email (any case), keeping memberships', async () => {
    const id = await addUser(t, acme, { userName: 'gone', email: 'Gone@Example.com' });
    const group = await addGroup(t, acme, 'Keepers', [id]);
    const session = await addSession(t, acme, id);
    for (const body of [undefined, {}, { confirmEmail: 'someone@example.com' }]) {
      const res = await api(t, acme).delete(`/users/${id}`, body).expect(400);
      assert.equal(res.body.error.details.problems[0].field, 'confirmEmail');
    }
    assert.equal((await sql(t, 'select state from users where id = ?', [id]))[0]!.state, 'active');
    const res = await api(t, acme).delete(`/users/${id}`, { confirmEmail: 'GONE@example.COM' }).expect(200);
    assert.equal(res.body.status, 'deleted');
    assert.ok(res.body.deletedAt);
    assert.equal((await sql(t, 'select count(*)::int as n from memberships where user_id = ? and group_id = ?', [id, group]))[0]!.n, 1);
    assert.ok((await sql(t, 'select revoked_at from sessions where id = ?', [session]))[0]!.revoked_at);
    assert.deepEqual(await auditActions(t, id), ['user.created', 'user.deleted']);
  });

  it('restores a deleted user within 30 days with their state and groups', async () => {
    const id = await addUser(t, acme, { userName: 'back', state: 'disabled' });
    await addGroup(t, acme, 'Returners', [id], 'admin');
    await api(t, acme).delete(`/users/${id}`, { confirmEmail: 'back@example.com' }).expect(200);
    clock.advance(29 * DAY);
    const res = await api(t, acme).post(`/users/${id}/restore`).expect(200);
    assert.equal(res.body.status, 'disabled');
    assert.equal(res.body.deletedAt, null);
    assert.deepEqual(res.body.groups.map((g: { displayName: string; role: string }) => [g.displayName, g.role]), [['Returners', 'admin']]);
    assert.deepEqual(await auditActions(t, id), ['user.created', 'user.deleted', 'user.restored']);
  });

  it('restores an active user as active and an invitee as invited', async () => {
    const active = await addUser(t, acme, { userName: 'back-active' });
    const invitee = await addUser(t, acme, { userName: 'back-invited', state: 'invited', inviteExpiresAt: new Date(Date.now() + 5 * DAY) });
    for (const [id, email, status] of [[active, 'back-active@example.com', 'active'], [invitee, 'back-invited@example.com', 'pending']] as const) {
      await api(t, acme).delete(`/users/${id}`, { confirmEmail: email }).expect(200);
      const res = await api(t, acme).post(`/users/${id}/restore`).expect(200);
      assert.equal(res.body.status, status);
    }
  });

  it('refuses to restore after 30 days with a clear 409', async () => {
    const id = await addUser(t, acme, { userName: 'too-late' });
    await api(t, acme).delete(`/users/${id}`, { confirmEmail: 'too-late@example.com' }).expect(200);
    clock.advance(31 * DAY);
    const res = await api(t, acme).post(`/users/${id}/restore`).expect(409);
    assert.match(res.body.error.message, /more than 30 days ago/);
    assert.equal((await sql(t, 'select state from users where id = ?', [id]))[0]!.state, 'deleted');
  });

  it('frees a deleted user\'s userName, and refuses to restore them while another user holds it', async () => {
    const id = await addUser(t, acme, { userName: 'rehired' });
    await api(t, acme).delete(`/users/${id}`, { confirmEmail: 'rehired@example.com' }).expect(200);
    const again = await addUser(t, acme, { userName: 'REHIRED' });
    const res = await api(t, acme).post(`/users/${id}/restore`).expect(409);
    assert.equal(res.body.error.code, 'conflict');
    assert.equal(res.body.error.details.field, 'userName');
    assert.match(res.body.error.message, /rehired/);
    assert.equal((await sql(t, 'select state from users where id = ?', [id]))[0]!.state, 'deleted');
    assert.deepEqual(await auditActions(t, id), ['user.created', 'user.deleted']);
    // Once the name is free again, the restore goes through.
    await api(t, acme).delete(`/users/${again}`, { confirmEmail: 'rehired@example.com' }).expect(200);
    assert.equal((await api(t, acme).post(`/users/${id}/restore`).expect(200)).body.status, 'active');
  });

  it('says in its refusals that an invitee has not registered yet, never the stored word "invited" alone', async () => {
    const id = await addUser(t, acme, { userName: 'inv-words', state: 'invited', inviteExpiresAt: new Date(clock.now().getTime() + 5 * DAY) });
    const reactivate = await api(t, acme).post(`/users/${id}/reactivate`).expect(409);
    assert.equal(reactivate.body.error.message, 'Cannot reactivate a user who is invited and has not registered yet');
    const reset = await api(t, acme).post(`/users/${id}/password-reset`).expect(409);
    assert.equal(reset.body.error.message, 'Cannot send a password reset to a user who is invited and has not registered yet');
  });

  it('refuses to restore a user who is not deleted', async () => {
    const id = await addUser(t, acme, { userName: 'not-deleted' });
    await api(t, acme).post(`/users/${id}/restore`).expect(409);
  });

  it('purges users deleted over 30 days ago: anonymised row, no memberships or sessions, anonymised audit rows', async () => {
    const id = await addUser(t, acme, { userName: 'purge-me', email: 'purge.me@example.com', givenName: 'Purgy', familyName: 'McPurge' });
    const recent = await addUser(t, acme, { userName: 'recently-gone' });
    await addGroup(t, acme, 'Purgeable', [id, recent]);
    await addSession(t, acme, id);
    await api(t, acme).patch(`/users/${id}`, { title: 'Secret Agent', phone: '+1 555 0100' }).expect(200);
    await api(t, acme).delete(`/users/${id}`, { confirmEmail: 'purge.me@example.com' }).expect(200);
    await api(t, acme).delete(`/users/${recent}`, { confirmEmail: 'recently-gone@example.com' }).expect(200);
    clock.advance(31 * DAY);
    await sql(t, `update users set deleted_at = ? where id = ?`, [new Date(clock.now().getTime() - 2 * DAY), recent]);
    const eventsBefore = (await sql(t, 'select count(*)::int as n from audit_events where target_id = ?', [id]))[0]!.n;

    const { purged } = await purgeDeletedUsers(t.container.fork(), clock.now());
    assert.ok(purged >= 1);

    const row = (await sql(t, 'select * from users where id = ?', [id]))[0]!;
    assert.equal(row.state, 'deleted');
    assert.ok(row.purged_at);
    for (const column of ['given_name', 'family_name', 'email', 'phone', 'title', 'display_name']) assert.equal(row[column], null, column);
    assert.equal(row.user_name, `purged-${id}`);
    assert.deepEqual(row.emails, []);
    assert.deepEqual(row.scim_attributes, {});
    assert.equal((await sql(t, 'select count(*)::int as n from memberships where user_id = ?', [id]))[0]!.n, 0);
    assert.equal((await sql(t, 'select count(*)::int as n from sessions where user_id = ?', [id]))[0]!.n, 0);

    const events = await sql(t, 'select action, target_label, details from audit_events where target_id = ? order by id', [id]);
    assert.equal(events.length, Number(eventsBefore) + 1);
    assert.equal(events.at(-1)!.action, 'user.purged');
    const text = JSON.stringify(events);
    for (const personal of ['purge-me', 'purge.me', 'Purgy', 'McPurge', 'Secret Agent', '555 0100']) assert.ok(!text.includes(personal), `${personal} left in ${text}`);
    const update = events.find((e) => e.action === 'user.updated')!;
    assert.deepEqual(Object.keys((update.details as { changes: object }).changes).sort(), ['phoneNumbers', 'title']);

    assert.equal((await sql(t, 'select state, purged_at from users where id = ?', [recent]))[0]!.purged_at, null);
    const res = await api(t, acme).post(`/users/${id}/restore`).expect(409);
    assert.match(res.body.error.message, /purged/);
    assert.equal((await purgeDeletedUsers(t.container.fork(), clock.now())).purged, 0);
  });

  describe('profile edits', () => {
    it('edits profile fields with one audit event, and writes nothing for a no-op', async () => {
      const id = await addUser(t, acme, { userName: 'editee' });
      const res = await api(t, acme)
        .patch(`/users/${id}`, { givenName: 'Edie', title: 'CTO', department: 'Eng', officeLocation: 'Lisbon', phone: '+351 21 000 0000' })
        .expect(200);
      assert.equal(res.body.givenName, 'Edie');
      assert.equal(res.body.title, 'CTO');
      assert.equal(res.body.phone, '+351 21 000 0000');
      await api(t, acme).patch(`/users/${id}`, { givenName: 'Edie', title: 'CTO' }).expect(200);
      assert.deepEqual(await auditActions(t, id), ['user.created', 'user.updated']);
    });

    it('refuses SCIM-owned fields of a SCIM-provisioned user as managed by the identity provider', async () => {
      const id = await addUser(t, acme, { userName: 'from-okta', source: 'scim' });
      const res = await api(t, acme).patch(`/users/${id}`, { title: 'Boss', department: 'Sales' }).expect(403);
      assert.match(res.body.error.message, /managed by your identity provider/);
      assert.deepEqual(res.body.error.details.fields, ['title', 'department']);
      assert.deepEqual(await auditActions(t, id), ['user.created']);
    });

    it('names an unknown or too long field', async () => {
      const id = await addUser(t, acme, { userName: 'badedit' });
      const res = await api(t, acme).patch(`/users/${id}`, { shoeSize: 44, title: 'x'.repeat(300) }).expect(400);
      const fields = res.body.error.details.problems.map((p: { field: string }) => p.field).sort();
      assert.deepEqual(fields, ['shoeSize', 'title']);
      const long = await api(t, acme).patch(`/users/${id}`, { title: 'x'.repeat(300) }).expect(400);
      assert.equal(long.body.error.details.problems[0].field, 'title');
      // However long: the reason names the field's limit (a value past 1000 characters said only "is too long").
      for (const length of [201, 5000]) {
        const res = await api(t, acme).patch(`/users/${id}`, { title: 'x'.repeat(length), phone: '1'.repeat(length) }).expect(400);
        assert.deepEqual(res.body.error.details.problems.map((p: { field: string; reason: string }) => `${p.field}: ${p.reason}`).sort(),
          ['phone: must be at most 50 characters', 'title: must be at most 200 characters'], String(length));
      }
    });
  });
});
