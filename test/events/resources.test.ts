import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { api } from '../people/support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/** The feed's resources as the README promises them: rendered as the admin API renders them. */
describe('events: resources rendered as the admin API renders them', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  it('counts a group’s live members in memberCount, not the kept membership of a deleted person', async () => {
    const group = await api(t, acme).post('/groups', { displayName: 'Pharmacy' });
    const invited = await api(t, acme).post('/invitations', { emails: 'stays@acme.test, leaves@acme.test' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const [stays, leaves] = (invited.body.sent as Json[]).map((s) => s.userId as string);
    const added = await api(t, acme).post(`/groups/${group.body.id}/members`, { members: [{ userId: stays }, { userId: leaves }] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal((await api(t, acme).delete(`/users/${leaves}`, { confirmEmail: 'leaves@acme.test' })).status, 200);
    const renamed = await api(t, acme).patch(`/groups/${group.body.id}`, { description: 'meds' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.memberCount, 1, 'the admin API counts live members');
    await t.container.events.publishAll();
    const events = (await api(t, acme).get('/events?limit=1000')).body.events as Json[];
    const updated = events.find((e) => e.type === 'group.updated');
    assert.ok(updated);
    assert.equal(updated.resource.memberCount, 1, 'the feed counts them as the admin API does');
  });
});
