import assert from 'node:assert/strict';
import { fixedClock } from '../../src/lib/clock.ts';
import { api } from '../people/support.ts';
import { commit, csv, upload } from '../csv/import-support.ts';
import { createInvitationWorld, invite, inviteTokenFor, register, type InvitationWorld } from '../invitations/support.ts';
import type { SeededOrg } from '../support/app.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

describe('events: a pending invitee disabled and reactivated', () => {
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
    return res.body.events;
  }
  const cursorOf = async (org: SeededOrg) => {
    await w.t.container.events.publishAll();
    return (await api(w.t, org).get('/events?limit=1000')).body.cursor as string;
  };
  const summary = (events: Json[]) => events.map((e) => `${e.type} ${e.resource.user?.userName ?? e.resource.userName}`);

  it('emits invitation.revoked (reason user_disabled) right after user.disabled when an admin disables a pending invitee', async () => {
    const { invitationId, userId } = (await invite(w, w.acme, { emails: 'dis-one@acme.test' })).sent[0]!;
    const start = await cursorOf(w.acme);
    assert.equal((await api(w.t, w.acme).post(`/users/${userId}/disable`)).status, 200);
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(summary(events), ['user.disabled dis-one@acme.test', 'invitation.revoked dis-one@acme.test']);
    const revoked = events[1]!;
    assert.equal(revoked.resource.id, invitationId);
    assert.equal(revoked.resource.user.status, 'disabled');
    assert.equal(revoked.data.reason, 'user_disabled');
    assert.equal(revoked.source, 'admin');
    assert.equal(revoked.requestId, events[0]!.requestId, 'written by the same request');
    const shown = await api(w.t, w.acme).get(`/invitations/${invitationId}`);
    assert.deepEqual([shown.body.status, shown.body.revokedReason], ['revoked', 'user_disabled']);
  });

  it('emits each disabled invitee’s invitation.revoked after their user.disabled in a bulk disable, and none for a registered person', async () => {
    const sent = (await invite(w, w.acme, { emails: 'bulk-a@acme.test, bulk-b@acme.test, bulk-c@acme.test' })).sent;
    const registered = sent.find((s) => s.email === 'bulk-c@acme.test')!;
    assert.equal((await register(w, inviteTokenFor(w.smtp, 'bulk-c@acme.test'))).status < 400, true);
    const start = await cursorOf(w.acme);
    const res = await api(w.t, w.acme).post('/users/disable', { ids: sent.map((s) => s.userId), force: true });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const events = (await eventsAfter(w.acme, start)).filter((e) => e.type.startsWith('user.disabled') || e.type.startsWith('invitation.'));
    const order = sent.map((s) => s.email);
    assert.deepEqual(summary(events), order.flatMap((email) => (email === registered.email ? [`user.disabled ${email}`] : [`user.disabled ${email}`, `invitation.revoked ${email}`])));
    assert.ok(events.filter((e) => e.type === 'invitation.revoked').every((e) => e.data.reason === 'user_disabled'));
  });

  it('emits invitation.sent (reason user_reactivated, no mail) after user.reactivated when the invitee is pending again', async () => {
    const { invitationId, userId } = (await invite(w, w.acme, { emails: 'back@acme.test' })).sent[0]!;
    assert.equal((await api(w.t, w.acme).post(`/users/${userId}/disable`)).status, 200);
    const mails = w.smtp.received.length;
    const start = await cursorOf(w.acme);
    const res = await api(w.t, w.acme).post(`/users/${userId}/reactivate`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'pending');
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(summary(events), ['user.reactivated back@acme.test', 'invitation.sent back@acme.test']);
    const reopened = events[1]!;
    assert.equal(reopened.resource.id, invitationId);
    assert.equal(reopened.resource.user.status, 'pending');
    assert.deepEqual(reopened.data, { resent: false, reason: 'user_reactivated' });
    await w.t.container.outbox.deliverDue();
    assert.equal(w.smtp.received.length, mails, 'no mail is sent again');
  });

  it('emits invitation.expired (reason user_reactivated) after user.reactivated when the invitation expired while the invitee was disabled, and the job does not announce it again', async () => {
    const { invitationId, userId } = (await invite(w, w.acme, { emails: 'late@acme.test' })).sent[0]!;
    assert.equal((await api(w.t, w.acme).post(`/users/${userId}/disable`)).status, 200);
    // The invitation's expiry passes while they are disabled (the database's clock is the one the feed renders by).
    const db = w.t.container.fork();
    await db.execute(`update invitations set expires_at = now() - interval '1 hour' where id = ?`, [invitationId]);
    await db.execute(`update users set invite_expires_at = now() - interval '1 hour' where id = ?`, [userId]);
    const start = await cursorOf(w.acme);
    assert.equal((await api(w.t, w.acme).post(`/users/${userId}/reactivate`)).status, 200);
    await w.t.container.events.announceExpired(new Date(Date.now() + 60_000));
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(summary(events), ['user.reactivated late@acme.test', 'invitation.expired late@acme.test']);
    assert.equal(events[1]!.resource.id, invitationId);
    assert.equal(events[1]!.resource.user.status, 'expired');
    assert.deepEqual(events[1]!.data, { resent: false, reason: 'user_reactivated' });
  });

  it('emits invitation.revoked (reason user_disabled, source csv) after user.disabled when a CSV import disables a pending invitee', async () => {
    const { invitationId } = (await invite(w, w.acme, { emails: 'csv-off@acme.test' })).sent[0]!;
    const start = await cursorOf(w.acme);
    const preview = await upload(w.t, w.acme, csv('Email,Status', 'csv-off@acme.test,disabled'), { mode: 'upsert' });
    assert.equal(preview.status, 201, JSON.stringify(preview.body));
    const done = await commit(w.t, w.acme, preview.body.id, { rows: 'all', force: true });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const events = (await eventsAfter(w.acme, start)).filter((e) => e.type.startsWith('user.') || e.type.startsWith('invitation.'));
    assert.deepEqual(summary(events), ['user.disabled csv-off@acme.test', 'invitation.revoked csv-off@acme.test']);
    assert.deepEqual([events[1]!.resource.id, events[1]!.data.reason, events[1]!.source], [invitationId, 'user_disabled', 'csv']);
  });

  it('gives an admin’s revoke data.reason admin', async () => {
    const { invitationId } = (await invite(w, w.acme, { emails: 'adm-rev@acme.test' })).sent[0]!;
    const start = await cursorOf(w.acme);
    assert.equal((await api(w.t, w.acme).post(`/invitations/${invitationId}/revoke`)).status, 200);
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(events.map((e) => [e.type, e.data.reason]), [['invitation.revoked', 'admin']]);
  });
});
