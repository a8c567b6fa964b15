import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { postUser } from '../support/scim.ts';
import { addUser, api, auditActions, createPeopleTestApp, sql } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * An admin of an org without SSO sets a person's manager by hand (PATCH /users/:id managerId),
 * with the rules SCIM's enterprise manager has: a user of the same org, not deleted, not the
 * person. The IdP owns the manager of the people it provisions.
 */
describe('people: an admin sets the manager over the admin API', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let other: SeededOrg;

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    other = await seedOrg(t.container, 'other');
  });
  after(() => t.close());

  const problems = (res: { body: Json }) => res.body.error.details.problems as Array<{ field: string; reason: string }>;

  it('sets the manager by id, shows them in the answer, and records one user.updated with changes.managerId in the audit trail and the feed', async () => {
    const boss = await addUser(t, acme, { userName: 'boss@acme.test', displayName: 'Bea Boss' });
    const id = await addUser(t, acme, { userName: 'report@acme.test' });
    await t.container.events.publishAll();
    const start = String((await api(t, acme).get('/events?limit=1000').expect(200)).body.cursor);
    const res = await api(t, acme).patch(`/users/${id}`, { managerId: boss }).expect(200);
    assert.deepEqual(res.body.manager, { id: boss, displayName: 'Bea Boss' });
    assert.deepEqual((await api(t, acme).get(`/users/${id}`).expect(200)).body.manager, { id: boss, displayName: 'Bea Boss' });
    assert.deepEqual(await auditActions(t, id), ['user.created', 'user.updated']);
    const [audit] = await sql(t, `select details from audit_events where target_id = ? and action = 'user.updated'`, [id]);
    assert.deepEqual((audit!.details as Json).changes, { managerId: { from: null, to: boss } });
    await t.container.events.publishAll();
    const events = (await api(t, acme).get(`/events?after=${start}&limit=1000`).expect(200)).body.events as Json[];
    assert.deepEqual(events.map((e) => e.type), ['user.updated']);
    assert.deepEqual(events[0]!.data.changes, { managerId: { before: null, after: boss } });
    assert.equal(events[0]!.resource.managerId, boss);
    assert.deepEqual(events[0]!.resource.manager, { id: boss, displayName: 'Bea Boss' });
  });

  it('clears the manager with null or an empty string, and writes nothing when the manager is already the one sent', async () => {
    const boss = await addUser(t, acme, { userName: 'boss2@acme.test' });
    const id = await addUser(t, acme, { userName: 'report2@acme.test' });
    await api(t, acme).patch(`/users/${id}`, { managerId: boss }).expect(200);
    await api(t, acme).patch(`/users/${id}`, { managerId: boss }).expect(200);
    assert.deepEqual(await auditActions(t, id), ['user.created', 'user.updated']);
    assert.equal((await api(t, acme).patch(`/users/${id}`, { managerId: null }).expect(200)).body.manager, null);
    await api(t, acme).patch(`/users/${id}`, { managerId: boss }).expect(200);
    assert.equal((await api(t, acme).patch(`/users/${id}`, { managerId: '' }).expect(200)).body.manager, null);
    assert.deepEqual(await auditActions(t, id), ['user.created', 'user.updated', 'user.updated', 'user.updated', 'user.updated']);
  });

  it('refuses the person themself, another org’s user, a deleted user and an unknown id with a 400 naming managerId, writing nothing', async () => {
    const id = await addUser(t, acme, { userName: 'report3@acme.test' });
    const foreign = await addUser(t, other, { userName: 'boss@other.test' });
    const gone = await addUser(t, acme, { userName: 'gone@acme.test' });
    await api(t, acme).delete(`/users/${gone}`, { confirmEmail: 'gone@acme.test' }).expect(200);
    const cases: Array<[string, RegExp]> = [
      [id, /cannot be their own manager/],
      [foreign, /not the id of a user of this organization/],
      [gone, /is a deleted user/],
      ['00000000-0000-4000-8000-000000000000', /not the id of a user of this organization/],
      ['boss@acme.test', /not the id of a user of this organization/],
    ];
    for (const [managerId, reason] of cases) {
      const res = await api(t, acme).patch(`/users/${id}`, { managerId, title: 'Lead' }).expect(400);
      assert.deepEqual(problems(res).map((p) => p.field), ['managerId'], managerId);
      assert.match(problems(res)[0]!.reason, reason);
    }
    const refused = await api(t, acme).patch(`/users/${id}`, { managerId: 42 }).expect(400);
    assert.deepEqual(problems(refused).map((p) => p.field), ['managerId']);
    const person = (await api(t, acme).get(`/users/${id}`).expect(200)).body;
    assert.deepEqual([person.manager, person.title], [null, null]);
    assert.deepEqual(await auditActions(t, id), ['user.created']);
  });

  it('refuses to set the manager of a person the IdP provisions: 403 naming managerId, their manager unchanged', async () => {
    const boss = await addUser(t, acme, { userName: 'boss4@acme.test' });
    const provisioned = await postUser(t, acme.tokens.scim, 'idp@acme.test');
    const res = await api(t, acme).patch(`/users/${String(provisioned.id)}`, { managerId: boss }).expect(403);
    assert.match(res.body.error.message, /managerId is managed by your identity provider/);
    assert.equal((await api(t, acme).get(`/users/${String(provisioned.id)}`).expect(200)).body.manager, null);
  });
});
