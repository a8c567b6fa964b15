import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, api, createPeopleTestApp, sql } from './support.ts';

/**
 * The bulk disable of the admin API (POST /users/disable) is held by the org's mass-disable threshold,
 * as a CSV sync or disable import is: more than that share of the org's enabled people needs
 * `"force": true`; without it, 409 with the numbers and nothing disabled.
 */
describe('people: the mass-disable guard on bulk disable', () => {
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(() => t.close());

  /** An org of five enabled people (one a pending invitee: enabled, as a CSV import counts them) and one disabled. */
  async function orgOfFive(slug: string): Promise<{ org: SeededOrg; people: string[]; disabled: string }> {
    const org = await seedOrg(t.container, slug);
    const people: string[] = [];
    for (const n of [1, 2, 3, 4]) people.push(await addUser(t, org, { userName: `p${n}@${slug}.test` }));
    people.push(await addUser(t, org, { userName: `inv@${slug}.test`, state: 'invited', inviteExpiresAt: new Date(Date.now() + 86_400_000) }));
    const disabled = await addUser(t, org, { userName: `off@${slug}.test`, state: 'disabled' });
    return { org, people, disabled };
  }
  const states = async (ids: string[]) => (await sql(t, 'select state from users where id = any(?::uuid[]) order by user_name', [`{${ids.join(',')}}`])).map((r) => String(r.state));
  const bulkEvents = (org: SeededOrg) => sql(t, `select details, request_id from audit_events where org_id = ? and action = 'user.bulk_disabled' order by id`, [org.id]);

  it('answers 409 mass_disable_threshold with the numbers, and disables nobody, when the share is over the threshold without force', async () => {
    const { org, people } = await orgOfFive('massbulk-a');
    const res = await api(t, org).post('/users/disable', { ids: [people[0], people[1]] }).expect(409);
    assert.equal(res.body.error.code, 'invalid_transition');
    assert.equal(res.body.error.details.reason, 'mass_disable_threshold');
    assert.equal(res.body.error.details.needsForce, true);
    assert.deepEqual(res.body.error.details.massDisable, { disable: 2, enabled: 5, threshold: 0.2 });
    assert.match(res.body.error.message, /would disable 2 of the organization's 5 enabled users, more than its mass-disable threshold \(20%\); nothing was disabled/);
    assert.match(res.body.error.message, /"force": true/);
    assert.deepEqual(await states([people[0]!, people[1]!]), ['active', 'active']);
    assert.equal((await sql(t, `select count(*)::int as n from audit_events where org_id = ? and action = 'user.disabled'`, [org.id]))[0]!.n, 0);
  });

  it('disables them with "force": true, and records the override with the numbers it held, as a CSV commit does', async () => {
    const { org, people } = await orgOfFive('massbulk-b');
    const res = await api(t, org).post('/users/disable', { ids: [people[0], people[1], people[4]], force: true }).expect(200);
    assert.equal(res.body.done, 3);
    assert.deepEqual(await states([people[0]!, people[1]!, people[4]!]), ['disabled', 'disabled', 'disabled']);
    const [event] = await bulkEvents(org);
    assert.ok(event);
    assert.deepEqual(event.details, { requested: 3, done: 3, failed: 0, forced: true, massDisable: { disable: 3, enabled: 5, threshold: 0.2 } });
    const disables = await sql(t, `select request_id from audit_events where org_id = ? and action = 'user.disabled'`, [org.id]);
    assert.equal(disables.length, 3);
    assert.ok(disables.every((d) => d.request_id === event.request_id), 'one request: the override and the people it disabled');
  });

  it('counts only the enabled people of this org the request names: up to the threshold needs no force', async () => {
    const { org, people, disabled } = await orgOfFive('massbulk-c');
    const other = await seedOrg(t.container, 'massbulk-c-other');
    const foreign = await addUser(t, other, { userName: 'x@massbulk-c-other.test' });
    const unknown = '01890000-0000-7000-8000-000000000000';
    // One of five is 20%: not more than the threshold. The disabled, foreign, unknown and malformed ids count for nothing.
    const res = await api(t, org).post('/users/disable', { ids: [people[2], people[2], disabled, foreign, unknown, 'not-an-id'] }).expect(200);
    assert.equal(res.body.done, 1);
    const [event] = await bulkEvents(org);
    assert.deepEqual(event!.details, { requested: 5, done: 1, failed: 4, forced: false });
  });

  it("follows the org's own threshold", async () => {
    const { org, people } = await orgOfFive('massbulk-d');
    await api(t, org).patch('/settings', { massDisableThreshold: 0.5 }).expect(200);
    await api(t, org).post('/users/disable', { ids: [people[0], people[1]] }).expect(200);
    const res = await api(t, org).post('/users/disable', { ids: [people[2], people[3], people[4]] }).expect(409);
    assert.deepEqual(res.body.error.details.massDisable, { disable: 3, enabled: 3, threshold: 0.5 });
  });

  it('refuses force where it means nothing (bulk reactivate) and force that is not a boolean, naming it', async () => {
    const { org, people } = await orgOfFive('massbulk-e');
    const re = await api(t, org).post('/users/reactivate', { ids: [people[0]], force: true }).expect(400);
    assert.equal(re.body.error.details.problems[0].field, 'force');
    const bad = await api(t, org).post('/users/disable', { ids: [people[0]], force: 'yes' }).expect(400);
    assert.deepEqual(bad.body.error.details.problems, [{ field: 'force', reason: 'must be true or false' }]);
  });
});
