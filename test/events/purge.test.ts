import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { api } from '../people/support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * A product that rebuilds its tables from the feed (a new consumer, or a replay) reads events
 * written before a person was purged. Their personal data is gone from those events, but the
 * ids that say what each event was about stay, in the event's usual shape: a membership event
 * still names its group and person, an invitation event its invitation and person.
 */
describe('events: what a purge leaves of a person’s earlier events', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  it('keeps the group, invitation and person ids of membership and invitation events, without personal data', async () => {
    const group = await api(t, acme).post('/groups', { displayName: 'Ward 5' });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    const invited = await api(t, acme).post('/invitations', { emails: 'Gone Person <gone@acme.test>' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const { userId, invitationId } = invited.body.sent[0] as Json;
    const added = await api(t, acme).post(`/groups/${group.body.id}/members`, { members: [{ userId, role: 'editor' }] });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.equal((await api(t, acme).delete(`/users/${userId}`, { confirmEmail: 'gone@acme.test' })).status, 200);
    await t.container.events.publishAll();
    const { purged } = await t.container.purge.runOnce(new Date(Date.now() + 31 * 86_400_000));
    assert.equal(purged, 1);
    await t.container.events.publishAll();

    const events = (await api(t, acme).get('/events?limit=1000')).body.events as Json[];
    assert.ok(!JSON.stringify(events).includes('gone@acme.test'), 'no address left in the feed');
    assert.ok(!JSON.stringify(events).includes('Gone Person'), 'no name left in the feed');
    const membership = events.find((e) => e.type === 'membership.added');
    assert.ok(membership);
    assert.equal(membership.resource.group.id, group.body.id, 'the membership still names its group');
    assert.equal(membership.resource.user.id, userId, 'and its person');
    assert.equal(membership.resource.user.purged, true);
    assert.equal(membership.resource.role, 'editor');
    const sent = events.find((e) => e.type === 'invitation.sent');
    assert.ok(sent);
    assert.equal(sent.resource.id, invitationId, 'the invitation event still names its invitation');
    assert.equal(sent.resource.user.id, userId, 'and its person');
    const created = events.find((e) => e.type === 'user.created');
    assert.deepEqual(created!.resource, { id: userId, status: 'deleted', purged: true });
    const purge = events.find((e) => e.type === 'user.purged');
    assert.match(purge!.data.deletedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'deletedAt in the feed’s one timestamp format');
  });
});
