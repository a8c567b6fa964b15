import assert from 'node:assert/strict';
import { fixedClock } from '../../src/lib/clock.ts';
import { addGroup, api, sql } from '../people/support.ts';
import { createInvitationWorld, invite, inviteTokenFor, register, type InvitationWorld } from './support.ts';

/** An invitee's groups are their invitation's plan: whichever way they come back invited, the plan comes with them. */
describe('invitations: the planned groups of an invitee who comes back', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let w: InvitationWorld;
  let sales: string;
  let support: string;

  before(async () => {
    w = await createInvitationWorld(clock);
    sales = await addGroup(w.t, w.acme, 'Sales', []);
    support = await addGroup(w.t, w.acme, 'Support', []);
  });
  after(() => w.close());

  const plan = async (invitationId: string) => (await api(w.t, w.acme).get(`/invitations/${invitationId}`).expect(200)).body.memberships.map((m: { groupName: string; role: string }) => `${m.groupName}:${m.role}`);

  async function invitedThenDeleted(email: string): Promise<{ userId: string; invitationId: string }> {
    const first = (await invite(w, w.acme, { emails: email, groups: [{ id: sales, role: 'editor' }] })).sent[0]!;
    await api(w.t, w.acme).post(`/users/${first.userId}/disable`).expect(200);
    await api(w.t, w.acme).delete(`/users/${first.userId}`, { confirmEmail: email }).expect(200);
    return first;
  }

  it('re-inviting a deleted invitee with no groups carries their plan to the new invitation, and registering applies it', async () => {
    const first = await invitedThenDeleted('dan@acme.test');
    const again = (await invite(w, w.acme, { emails: 'dan@acme.test' })).sent[0]!;
    assert.equal(again.userId, first.userId);
    assert.deepEqual(await plan(again.invitationId), ['Sales:editor']);
    assert.equal((await api(w.t, w.acme).get(`/invitations/${first.invitationId}`).expect(200)).body.supersededBy, again.invitationId);
    const [created] = await sql(w.t, `select details from audit_events where action = 'invitation.created' and details->>'invitationId' = ?`, [again.invitationId]);
    assert.deepEqual((created!.details as { groups: unknown }).groups, [{ groupId: sales, role: 'editor' }]);
    await register(w, inviteTokenFor(w.smtp, 'dan@acme.test')).expect(303);
    const user = (await api(w.t, w.acme).get(`/users/${again.userId}`).expect(200)).body;
    assert.deepEqual(user.groups.map((g: { id: string; role: string }) => [g.id, g.role]), [[sales, 'editor']]);
  });

  it('groups named when re-inviting add to the plan; a group in both takes the role named now', async () => {
    const first = await invitedThenDeleted('eve@acme.test');
    const again = (await invite(w, w.acme, { emails: 'eve@acme.test', groups: [{ id: support, role: 'viewer' }] })).sent[0]!;
    assert.deepEqual(await plan(again.invitationId), ['Sales:editor', 'Support:viewer']);
    await api(w.t, w.acme).delete(`/users/${first.userId}`, { confirmEmail: 'eve@acme.test' }).expect(200);
    const third = (await invite(w, w.acme, { emails: 'eve@acme.test', groups: [{ id: sales, role: 'viewer' }] })).sent[0]!;
    assert.deepEqual(await plan(third.invitationId), ['Sales:viewer', 'Support:viewer']);
  });

  it('a deleted person who had registered brings no old plan back: their groups are their memberships, kept for the restore', async () => {
    const first = (await invite(w, w.acme, { emails: 'reg@acme.test', groups: [{ id: sales, role: 'editor' }] })).sent[0]!;
    await register(w, inviteTokenFor(w.smtp, 'reg@acme.test')).expect(303);
    await api(w.t, w.acme).delete(`/users/${first.userId}`, { confirmEmail: 'reg@acme.test' }).expect(200);
    const again = (await invite(w, w.acme, { emails: 'reg@acme.test' })).sent[0]!;
    assert.deepEqual(await plan(again.invitationId), []);
    const user = (await api(w.t, w.acme).get(`/users/${again.userId}`).expect(200)).body;
    assert.deepEqual(user.groups.map((g: { id: string; role: string }) => [g.id, g.role]), [[sales, 'editor']]);
  });

  it('resending, and reactivating a disabled invitee, keep the same invitation with its plan', async () => {
    const sent = (await invite(w, w.acme, { emails: 'fay@acme.test', groups: [{ id: support, role: 'editor' }] })).sent[0]!;
    await api(w.t, w.acme).post(`/invitations/${sent.invitationId}/resend`).expect(200);
    assert.deepEqual(await plan(sent.invitationId), ['Support:editor']);
    await api(w.t, w.acme).post(`/users/${sent.userId}/disable`).expect(200);
    await api(w.t, w.acme).post(`/users/${sent.userId}/reactivate`).expect(200);
    const after = (await api(w.t, w.acme).get(`/invitations/${sent.invitationId}`).expect(200)).body;
    assert.equal(after.status, 'pending');
    assert.deepEqual(await plan(sent.invitationId), ['Support:editor']);
    await w.t.container.outbox.deliverDue();
    await register(w, inviteTokenFor(w.smtp, 'fay@acme.test')).expect(303);
    const user = (await api(w.t, w.acme).get(`/users/${sent.userId}`).expect(200)).body;
    assert.deepEqual(user.groups.map((g: { id: string; role: string }) => [g.id, g.role]), [[support, 'editor']]);
  });
});
