import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { ENTERPRISE_SCHEMA as ENT, USER_SCHEMA, patchOps, postUser, scimRequest } from '../support/scim.ts';
import { api, createPeopleTestApp } from './support.ts';

type Json = Record<string, unknown>;

/**
 * The admin API and the change feed show a person's manager as SCIM does — the manager as they
 * are now, `{id, displayName}`, or null when there is none or they are deleted — next to the
 * fields they already had (the feed's `managerId` stays: the id the IdP gave).
 */
describe('people: the manager in the admin API and the change feed', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let boss: Json;
  let report: Json;

  const person = async (id: unknown) => (await api(t, acme).get(`/users/${String(id)}`).expect(200)).body as Json;
  const feed = async () => {
    await t.container.events.publishAll();
    return (await api(t, acme).get('/events?limit=1000').expect(200)).body.events as Json[];
  };

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    boss = await postUser(t, acme.tokens.scim, 'boss@acme.test', { displayName: 'Bea Boss' });
    report = await postUser(t, acme.tokens.scim, 'report@acme.test', { schemas: [USER_SCHEMA, ENT], [ENT]: { manager: { value: boss.id } } });
  });
  after(() => t.close());

  it('GET /users/:id and the list show manager {id, displayName}; null for a person without one', async () => {
    assert.deepEqual((await person(report.id)).manager, { id: boss.id, displayName: 'Bea Boss' });
    assert.equal((await person(boss.id)).manager, null);
    const listed = ((await api(t, acme).get('/users').expect(200)).body.users as Json[]).find((u) => u.id === report.id)!;
    assert.deepEqual(listed.manager, { id: boss.id, displayName: 'Bea Boss' });
  });

  it('shows null while the manager is deleted, and the manager again once restored', async () => {
    assert.equal((await api(t, acme).delete(`/users/${String(boss.id)}`, { confirmEmail: 'boss@acme.test' })).status, 200);
    assert.equal((await person(report.id)).manager, null);
    await api(t, acme).post(`/users/${String(boss.id)}/restore`).expect(200);
    assert.deepEqual((await person(report.id)).manager, { id: boss.id, displayName: 'Bea Boss' });
  });

  it('gives user.* events the manager as {id, displayName}, next to managerId', async () => {
    const created = (await feed()).find((e) => e.type === 'user.created' && (e.resource as Json).id === report.id)!;
    assert.equal((created.resource as Json).managerId, boss.id);
    assert.deepEqual((created.resource as Json).manager, { id: boss.id, displayName: 'Bea Boss' });
    const without = (await feed()).find((e) => e.type === 'user.created' && (e.resource as Json).id === boss.id)!;
    assert.equal((without.resource as Json).manager, null);
  });

  it('gives an event written while the manager is deleted manager null (managerId still names them)', async () => {
    const other = await postUser(t, acme.tokens.scim, 'other-boss@acme.test', { displayName: 'Other Boss' });
    const theirs = await postUser(t, acme.tokens.scim, 'their-report@acme.test', { schemas: [USER_SCHEMA, ENT], [ENT]: { manager: { value: other.id } } });
    await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${String(other.id)}`).expect(204);
    await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${String(theirs.id)}`, patchOps({ op: 'replace', path: 'title', value: 'Alone' })).expect(200);
    const updated = (await feed()).filter((e) => e.type === 'user.updated' && (e.resource as Json).id === theirs.id).at(-1)!;
    assert.equal((updated.resource as Json).managerId, other.id);
    assert.equal((updated.resource as Json).manager, null);
  });
});
