import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { createScimTestApp } from '../support/scim.ts';
import { addGroup, addUser, api, auth, sql } from '../people/support.ts';
import { commit, csv, upload } from '../csv/import-support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * An event's `source` is the door of the change (README "Consuming changes"),
 * not the source of the row it changed: a membership keeps the door that made
 * it (`data.source`), and a later change through another door says so.
 */
describe('events: source is the door of the change, not the row it changed', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  async function cursor(): Promise<string> {
    await t.container.events.publishAll();
    return (await api(t, acme).get('/events?limit=1000')).body.cursor;
  }

  async function eventsAfter(after: string): Promise<Json[]> {
    await t.container.events.publishAll();
    const res = await api(t, acme).get(`/events?after=${after}&limit=1000`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.events;
  }

  async function importCsv(...lines: string[]): Promise<void> {
    const preview = await upload(t, acme, csv(...lines), { mode: 'upsert', noInvite: 'true' });
    assert.equal(preview.status, 201, JSON.stringify(preview.body));
    const done = await commit(t, acme, preview.body.id);
    assert.equal(done.status, 200, JSON.stringify(done.body));
  }

  it('says admin when an admin changes the role of, then removes, a membership a CSV import made', async () => {
    const groupId = await addGroup(t, acme, 'Imported crew', []);
    await importCsv('Email,Full Name,Groups', 'cara@acme.test,Cara Csv,Imported crew');
    const userId = String((await sql(t, `select id from users where user_name = 'cara@acme.test'`))[0]!.id);
    const start = await cursor();
    const changed = await request(t.app).put(`/api/orgs/acme/users/${userId}/memberships`).set(auth(acme.tokens.admin)).send({ memberships: [{ groupId, role: 'editor' }] });
    assert.ok(changed.status < 300, JSON.stringify(changed.body));
    const removed = await api(t, acme).delete(`/groups/${groupId}/members`).send({ userIds: [userId] });
    assert.ok(removed.status < 300, JSON.stringify(removed.body));
    const events = await eventsAfter(start);
    assert.deepEqual(events.map((e) => [e.type, e.source, e.actor.type, e.data.source]), [
      ['membership.role_changed', 'admin', 'admin_token', 'csv'],
      ['membership.removed', 'admin', 'admin_token', 'csv'],
    ]);
  });

  it('says csv when a CSV import changes the role of a membership an admin made', async () => {
    const userId = await addUser(t, acme, { userName: 'adam@acme.test', email: 'adam@acme.test' });
    await addGroup(t, acme, 'Admin crew', [userId]);
    const start = await cursor();
    await importCsv('Email,Full Name,Groups', 'adam@acme.test,Adam Admin,Admin crew:editor');
    const events = (await eventsAfter(start)).filter((e) => e.type.startsWith('membership.'));
    assert.deepEqual(events.map((e) => [e.type, e.source, e.actor.type, e.data.source]), [['membership.role_changed', 'csv', 'admin_token', 'admin']]);
  });

  it('says admin when an admin’s mapping change gives memberships from people’s SAML group claims', async () => {
    const userId = await addUser(t, acme, { userName: 'sam@acme.test', email: 'sam@acme.test' });
    const groupId = await addGroup(t, acme, 'Mapped ward', []);
    await sql(t, `insert into group_claims (user_id, org_id, groups, updated_at) values (?, ?, '["Surgeons"]', now())`, [userId, acme.id]);
    const start = await cursor();
    const put = await request(t.app).put('/api/orgs/acme/group-mappings').set(auth(acme.tokens.admin)).send({ mappings: [{ idpGroup: 'Surgeons', groupId, role: 'editor' }] });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const events = (await eventsAfter(start)).filter((e) => e.type.startsWith('membership.'));
    assert.deepEqual(events.map((e) => [e.type, e.source, e.data.source, e.data.via]), [['membership.added', 'admin', 'saml-jit', 'group_mapping']]);
  });

  it('keeps the door of the creating change for rows that name their own source (a CSV-made person, an admin-made group)', async () => {
    const start = await cursor();
    await importCsv('Email,Full Name', 'nell@acme.test,Nell New');
    const created = await api(t, acme).post('/groups', { displayName: `Fresh ${randomUUID().slice(0, 8)}` });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const events = await eventsAfter(start);
    assert.deepEqual(events.map((e) => [e.type, e.source]), [['user.created', 'csv'], ['group.created', 'admin']]);
  });
});
