import assert from 'node:assert/strict';
import { fixedClock } from '../../src/lib/clock.ts';
import { api } from '../people/support.ts';
import { scimRequest } from '../support/scim.ts';
import { createInvitationWorld, invite, type InvitationWorld } from '../invitations/support.ts';
import type { SeededOrg } from '../support/app.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

describe('events: a pending invitee deleted and restored', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let w: InvitationWorld;

  before(async () => {
    w = await createInvitationWorld(clock);
  });
  after(() => w.close());

  async function eventsAfter(org: SeededOrg, cursor: string): Promise<Json[]> {
    await w.t.container.events.publishAll();
    const res = await api(w.t, org).get(`/events?after=${cursor}&limit=1000`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.events as Json[]).filter((e) => e.type.startsWith('user.') || e.type.startsWith('invitation.'));
  }
  const cursorOf = async (org: SeededOrg) => {
    await w.t.container.events.publishAll();
    return (await api(w.t, org).get('/events?limit=1000')).body.cursor as string;
  };
  const summary = (events: Json[]) => events.map((e) => `${e.type} ${e.resource.user?.userName ?? e.resource.userName}`);
  const remove = (org: SeededOrg, userId: string, email: string) => api(w.t, org).delete(`/users/${userId}`, { confirmEmail: email });

  it('emits invitation.revoked (reason user_deleted) right after user.deleted when an admin deletes a pending invitee', async () => {
    const { invitationId, userId } = (await invite(w, w.acme, { emails: 'del-one@acme.test' })).sent[0]!;
    const start = await cursorOf(w.acme);
    const res = await remove(w.acme, userId, 'del-one@acme.test');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(summary(events), ['user.deleted del-one@acme.test', 'invitation.revoked del-one@acme.test']);
    const revoked = events[1]!;
    assert.equal(revoked.resource.id, invitationId);
    assert.equal(revoked.resource.user.status, 'deleted');
    assert.equal(revoked.data.reason, 'user_deleted');
    assert.equal(revoked.source, 'admin');
    assert.equal(revoked.requestId, events[0]!.requestId, 'written by the same request');
    const shown = await api(w.t, w.acme).get(`/invitations/${invitationId}`);
    assert.deepEqual([shown.body.status, shown.body.revokedReason], ['revoked', 'user_deleted']);
  });

  it('emits invitation.revoked (reason user_deleted, source scim) after user.deleted when the IdP deletes a pending invitee', async () => {
    const { invitationId, userId } = (await invite(w, w.acme, { emails: 'scim-del@acme.test' })).sent[0]!;
    const start = await cursorOf(w.acme);
    const res = await scimRequest(w.t, w.acme.tokens.scim, 'delete', `/Users/${userId}`);
    assert.equal(res.status, 204, JSON.stringify(res.body));
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(summary(events), ['user.deleted scim-del@acme.test', 'invitation.revoked scim-del@acme.test']);
    assert.deepEqual([events[1]!.resource.id, events[1]!.data.reason, events[1]!.source], [invitationId, 'user_deleted', 'scim']);
  });

  it('emits no invitation event when deleting a disabled invitee, whose invitation was already revoked by the disable', async () => {
    const { userId } = (await invite(w, w.acme, { emails: 'off-del@acme.test' })).sent[0]!;
    assert.equal((await api(w.t, w.acme).post(`/users/${userId}/disable`)).status, 200);
    const start = await cursorOf(w.acme);
    assert.equal((await remove(w.acme, userId, 'off-del@acme.test')).status, 200);
    assert.deepEqual(summary(await eventsAfter(w.acme, start)), ['user.deleted off-del@acme.test']);
  });

  it('emits invitation.sent (reason user_restored, no mail) after user.restored when a restored invitee is pending again', async () => {
    const { invitationId, userId } = (await invite(w, w.acme, { emails: 'res@acme.test' })).sent[0]!;
    assert.equal((await remove(w.acme, userId, 'res@acme.test')).status, 200);
    const mails = w.smtp.received.length;
    const start = await cursorOf(w.acme);
    const res = await api(w.t, w.acme).post(`/users/${userId}/restore`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'pending');
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(summary(events), ['user.restored res@acme.test', 'invitation.sent res@acme.test']);
    const reopened = events[1]!;
    assert.equal(reopened.resource.id, invitationId);
    assert.equal(reopened.resource.user.status, 'pending');
    assert.deepEqual(reopened.data, { resent: false, reason: 'user_restored' });
    assert.equal((await api(w.t, w.acme).get(`/invitations/${invitationId}`)).body.status, 'pending');
    await w.t.container.outbox.deliverDue();
    assert.equal(w.smtp.received.length, mails, 'no mail is sent again');
  });

  it('emits invitation.expired (reason user_restored) after user.restored when the invitation expired while the invitee was deleted, and the job does not announce it again', async () => {
    const { invitationId, userId } = (await invite(w, w.acme, { emails: 'res-late@acme.test' })).sent[0]!;
    assert.equal((await remove(w.acme, userId, 'res-late@acme.test')).status, 200);
    const db = w.t.container.fork();
    await db.execute(`update invitations set expires_at = now() - interval '1 hour' where id = ?`, [invitationId]);
    await db.execute(`update users set invite_expires_at = now() - interval '1 hour' where id = ?`, [userId]);
    const start = await cursorOf(w.acme);
    assert.equal((await api(w.t, w.acme).post(`/users/${userId}/restore`)).status, 200);
    await w.t.container.events.announceExpired(new Date(Date.now() + 60_000));
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(summary(events), ['user.restored res-late@acme.test', 'invitation.expired res-late@acme.test']);
    assert.equal(events[1]!.resource.id, invitationId);
    assert.deepEqual(events[1]!.data, { resent: false, reason: 'user_restored' });
  });

  it('emits no invitation event when restoring an invitee who was disabled before the delete: their invitation stays void', async () => {
    const { userId } = (await invite(w, w.acme, { emails: 'off-res@acme.test' })).sent[0]!;
    assert.equal((await api(w.t, w.acme).post(`/users/${userId}/disable`)).status, 200);
    assert.equal((await remove(w.acme, userId, 'off-res@acme.test')).status, 200);
    const start = await cursorOf(w.acme);
    const res = await api(w.t, w.acme).post(`/users/${userId}/restore`);
    assert.equal(res.body.status, 'disabled', JSON.stringify(res.body));
    assert.deepEqual(summary(await eventsAfter(w.acme, start)), ['user.restored off-res@acme.test']);
  });
});
