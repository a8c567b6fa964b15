import assert from 'node:assert/strict';
import { fixedClock } from '../../src/lib/clock.ts';
import { addUser, api } from '../people/support.ts';
import { createInvitationWorld, invite, type InvitationWorld } from '../invitations/support.ts';

const DAY = 86_400_000;

/** The person view names the invitation to resend or revoke, so a users table can act on a row. */
describe('people: the open invitation of an invited person', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let w: InvitationWorld;

  before(async () => {
    w = await createInvitationWorld(clock);
  });
  after(() => w.close());

  it('shows a pending person’s invitation id in the list and on the person', async () => {
    const body = await invite(w, w.acme, { emails: 'ivy@acme.test' });
    const { userId, invitationId } = body.sent[0]!;
    const one = (await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body;
    assert.equal(one.status, 'pending');
    assert.equal(one.invitationId, invitationId);
    const listed = (await api(w.t, w.acme).get('/users?status=pending&q=ivy').expect(200)).body.users;
    assert.deepEqual(listed.map((u: { invitationId: string }) => u.invitationId), [invitationId]);
  });

  it('keeps the id of an expired or revoked invitation (it can be resent) and resending it makes the person pending again', async () => {
    const body = await invite(w, w.acme, { emails: 'rex@acme.test' });
    const { userId, invitationId } = body.sent[0]!;
    await api(w.t, w.acme).post(`/invitations/${invitationId}/revoke`).expect(200);
    const revoked = (await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body;
    assert.equal(revoked.status, 'expired');
    assert.equal(revoked.invitationId, invitationId);
    await api(w.t, w.acme).post(`/invitations/${invitationId}/resend`).expect(200);
    assert.equal((await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body.status, 'pending');
    clock.advance(8 * DAY);
    const expired = (await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body;
    assert.equal(expired.status, 'expired');
    assert.equal(expired.invitationId, invitationId);
  });

  it('names the newer invitation of a person invited again after their deletion, never the one it replaced', async () => {
    const first = await invite(w, w.acme, { emails: 'redo@acme.test' });
    const { userId, invitationId: older } = first.sent[0]!;
    await api(w.t, w.acme).delete(`/users/${userId}`, { confirmEmail: 'redo@acme.test' }).expect(200);
    const newer = (await invite(w, w.acme, { emails: 'redo@acme.test' })).sent[0]!.invitationId;
    // Ids made in the same millisecond do not sort by creation: make the replaced one sort last.
    await w.t.container.fork().execute(`update invitations set id = 'ffffffff-ffff-7fff-bfff-ffffffffffff' where id = ?`, [older]);
    assert.equal((await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body.invitationId, newer);
  });

  it('answers null for people who were not invited or already accepted', async () => {
    const userId = await addUser(w.t, w.acme, { userName: 'plain@acme.test' });
    assert.equal((await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body.invitationId, null);
  });
});
