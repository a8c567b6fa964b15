import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { ENTERPRISE_SCHEMA as ENT, USER_SCHEMA, patchOps, postUser, scimRequest } from '../support/scim.ts';
import { addUser, api, auditActions, createPeopleTestApp, loopAroundDeleted, sql } from './support.ts';

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

  it('refuses a manager who would close a loop (A → B → A, A → B → C → A): 400 naming managerId, reason manager_cycle, the chain by address; nothing written', async () => {
    const a = await addUser(t, acme, { userName: 'loop-a@acme.test' });
    const b = await addUser(t, acme, { userName: 'loop-b@acme.test' });
    const c = await addUser(t, acme, { userName: 'loop-c@acme.test' });
    await api(t, acme).patch(`/users/${b}`, { managerId: a }).expect(200);
    const two = await api(t, acme).patch(`/users/${a}`, { managerId: b, title: 'Lead' }).expect(400);
    assert.equal(two.body.error.code, 'invalid_input');
    assert.deepEqual(problems(two).map((p) => p.field), ['managerId']);
    assert.match(problems(two)[0]!.reason, /manager_cycle/);
    assert.match(two.body.error.message, /loop-a@acme\.test → loop-b@acme\.test → loop-a@acme\.test/);
    assert.equal(two.body.error.details.reason, 'manager_cycle');
    assert.deepEqual(two.body.error.details.chain.map((p: Json) => p.id), [a, b, a]);
    await api(t, acme).patch(`/users/${c}`, { managerId: b }).expect(200);
    const three = await api(t, acme).patch(`/users/${a}`, { managerId: c }).expect(400);
    assert.match(three.body.error.message, /loop-a@acme\.test → loop-c@acme\.test → loop-b@acme\.test → loop-a@acme\.test/);
    const person = (await api(t, acme).get(`/users/${a}`).expect(200)).body;
    assert.deepEqual([person.manager, person.title], [null, null]);
    assert.deepEqual(await auditActions(t, a), ['user.created']);
  });

  it('refuses a loop however long the chain: 150 people up, named shortened in the message and whole in details.chain', async () => {
    const people: string[] = [];
    for (let i = 0; i < 150; i++) people.push(await addUser(t, acme, { userName: `chain-${i}@acme.test` }));
    // chain-0's manager is chain-1, …, chain-148's is chain-149, the top.
    await sql(t, `update users u set manager_id = m.manager from unnest(?::uuid[], ?::text[]) as m(id, manager) where u.id = m.id`, [`{${people.slice(0, -1).join(',')}}`, `{${people.slice(1).join(',')}}`]);
    const res = await api(t, acme).patch(`/users/${people[149]}`, { managerId: people[0] }).expect(400);
    assert.equal(res.body.error.details.reason, 'manager_cycle');
    assert.deepEqual(res.body.error.details.chain.map((p: Json) => p.id), [people[149], ...people]);
    assert.match(res.body.error.message, /chain-149@acme\.test → chain-0@acme\.test → .* → chain-149@acme\.test \(150 people\)/);
    assert.equal((await api(t, acme).get(`/users/${people[149]}`).expect(200)).body.manager, null);
  });

  it('accepts a manager whose own chain runs into a loop the IdP made elsewhere, and one whose chain passes a deleted person', async () => {
    const x = await postUser(t, acme.tokens.scim, 'idp-x@acme.test');
    const y = await postUser(t, acme.tokens.scim, 'idp-y@acme.test', { schemas: [USER_SCHEMA, ENT], [ENT]: { manager: { value: x.id } } });
    await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${String(x.id)}`, patchOps({ op: 'add', path: `${ENT}:manager`, value: { value: y.id } })).expect(200);
    const report = await addUser(t, acme, { userName: 'under-loop@acme.test' });
    await api(t, acme).patch(`/users/${report}`, { managerId: String(x.id) }).expect(200);
    // The deleted one still points at boss; boss naming under, whose manager is the deleted one, closes no loop meanwhile.
    await loopAroundDeleted(t, acme, 'gone');
  });

  it('refuses to restore a person whose return would close a loop of managers (409 naming managerId, the chain by address), and restores them once it is broken', async () => {
    const { boss, back, under } = await loopAroundDeleted(t, acme, 'ring');

    const refused = await api(t, acme).post(`/users/${back}/restore`).expect(409);
    assert.equal(refused.body.error.code, 'conflict');
    assert.equal(refused.body.error.details.field, 'managerId');
    assert.equal(refused.body.error.details.reason, 'manager_cycle');
    assert.match(refused.body.error.message, /ring-back@acme\.test → ring-boss@acme\.test → ring-under@acme\.test → ring-back@acme\.test/);
    assert.match(refused.body.error.message, /change the manager of ring-boss@acme\.test or ring-under@acme\.test first/);
    assert.deepEqual(refused.body.error.details.chain.map((p: Json) => p.id), [back, boss, under, back]);
    assert.equal((await api(t, acme).get(`/users/${back}`).expect(200)).body.status, 'deleted', 'still deleted');
    assert.deepEqual(await auditActions(t, back), ['user.created', 'user.updated', 'user.deleted']);

    await api(t, acme).patch(`/users/${boss}`, { managerId: null }).expect(200);
    const restored = (await api(t, acme).post(`/users/${back}/restore`).expect(200)).body;
    assert.deepEqual(restored.manager, { id: boss, displayName: null });
  });

  it('refuses to set the manager of a person the IdP provisions: 403 naming managerId, their manager unchanged', async () => {
    const boss = await addUser(t, acme, { userName: 'boss4@acme.test' });
    const provisioned = await postUser(t, acme.tokens.scim, 'idp@acme.test');
    const res = await api(t, acme).patch(`/users/${String(provisioned.id)}`, { managerId: boss }).expect(403);
    assert.match(res.body.error.message, /managerId is managed by your identity provider/);
    assert.equal((await api(t, acme).get(`/users/${String(provisioned.id)}`).expect(200)).body.manager, null);
  });
});
