import assert from 'node:assert/strict';
import { fixedClock } from '../../src/lib/clock.ts';
import { addUser, api } from '../people/support.ts';
import { commit, csv, upload } from '../csv/import-support.ts';
import request from 'supertest';
import { createInvitationWorld, invite, inviteTokenFor, register, STRONG_PASSWORD, type InvitationWorld } from '../invitations/support.ts';
import type { SeededOrg } from '../support/app.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;
const DAY = 86_400_000;

describe('events: invitations and sessions', () => {
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

  it('emits user.created for the pending profile, then invitation.sent with the invitation and the person, then invitation.revoked', async () => {
    const start = await cursorOf(w.acme);
    const sent = await invite(w, w.acme, { emails: 'ann@acme.test' });
    const { invitationId, userId } = sent.sent[0]!;
    assert.equal((await api(w.t, w.acme).post(`/invitations/${invitationId}/revoke`)).status, 200);
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.created', 'invitation.sent', 'invitation.revoked']);
    const [created, invited, revoked] = events;
    assert.equal(created!.resource.id, userId);
    assert.equal(created!.resource.status, 'pending');
    assert.equal(created!.resource.source, 'invitation');
    assert.equal(created!.source, 'admin');
    assert.equal(created!.actor.type, 'admin_token');
    assert.deepEqual(created!.data, {});
    assert.equal(invited!.resource.id, invitationId);
    assert.equal(invited!.resource.email, 'ann@acme.test');
    assert.equal(invited!.resource.user.status, 'pending');
    assert.equal(invited!.source, 'admin');
    assert.ok(revoked!.resource.revokedAt);
  });

  it('renders the revoked invitation\'s person as expired, as GET /users/:id shows them right after', async () => {
    const start = await cursorOf(w.acme);
    const sent = await invite(w, w.acme, { emails: 'rev-status@acme.test' });
    const { invitationId, userId } = sent.sent[0]!;
    assert.equal((await api(w.t, w.acme).post(`/invitations/${invitationId}/revoke`)).status, 200);
    assert.equal((await api(w.t, w.acme).get(`/users/${userId}`)).body.status, 'expired');
    const revoked = (await eventsAfter(w.acme, start)).find((e) => e.type === 'invitation.revoked');
    assert.equal(revoked!.resource.user.status, 'expired');
  });

  it('emits user.created (source csv) before invitation.sent for each person a CSV import invites, once each', async () => {
    const start = await cursorOf(w.acme);
    const preview = await upload(w.t, w.acme, csv('Email,Full Name', 'csv-inv1@acme.test,Ina One', 'csv-inv2@acme.test,Ina Two'), { mode: 'upsert' });
    assert.equal(preview.status, 201, JSON.stringify(preview.body));
    assert.equal((await commit(w.t, w.acme, preview.body.id)).status, 200);
    const events = (await eventsAfter(w.acme, start)).filter((e) => e.type.startsWith('user.') || e.type.startsWith('invitation.'));
    // The batch's invitations are written set-based (import-invite-bulk.ts): its people's profiles, then
    // their invitations: each person's user.created before their invitation.sent, people in file order.
    assert.deepEqual(events.map((e) => `${e.type} ${e.resource.userName ?? e.resource.email}`), [
      'user.created csv-inv1@acme.test', 'user.created csv-inv2@acme.test',
      'invitation.sent csv-inv1@acme.test', 'invitation.sent csv-inv2@acme.test',
    ]);
    assert.ok(events.every((e) => e.source === 'csv' && e.actor.type === 'admin_token'), JSON.stringify(events.map((e) => e.source)));
    assert.equal(events[0]!.resource.status, 'pending');
  });

  it('emits user.restored, not user.created, when inviting the address of a deleted person brings their profile back', async () => {
    const userId = await addUser(w.t, w.acme, { userName: 'again@acme.test' });
    assert.equal((await api(w.t, w.acme).delete(`/users/${userId}`, { confirmEmail: 'again@acme.test' })).status, 200);
    const start = await cursorOf(w.acme);
    const sent = await invite(w, w.acme, { emails: 'again@acme.test' });
    assert.equal(sent.sent[0]!.userId, userId);
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.restored', 'invitation.sent']);
    assert.equal(events[0]!.resource.status, 'pending');
  });

  it('emits user.updated with the name and phone the person gave (the phone as the phoneNumbers entry), then invitation.accepted and session.started, when they register', async () => {
    await invite(w, w.acme, { emails: 'Bea Stone <bea@acme.test>' });
    const start = await cursorOf(w.acme);
    const res = await register(w, inviteTokenFor(w.smtp, 'bea@acme.test'), { givenName: 'Beatrice' });
    assert.ok(res.status < 400, `${res.status} ${res.text.slice(0, 200)}`);
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.updated', 'invitation.accepted', 'session.started']);
    assert.deepEqual(events[0]!.data.changes.givenName, { before: 'Bea', after: 'Beatrice' });
    assert.deepEqual(events[0]!.data.changes.displayName, { before: 'Bea Stone', after: 'Beatrice Lee' });
    // The phone is the mobile of phoneNumbers: recorded as that list's change, as an admin's edit of phone is.
    assert.equal(events[0]!.data.changes.phone, undefined);
    assert.deepEqual(events[0]!.data.changes.phoneNumbers, { before: [], after: [{ value: '+44 7700 900123', type: 'mobile', primary: true }] });
    assert.equal(events[0]!.resource.phone, '+44 7700 900123');
    assert.equal(events[0]!.data.changes.familyName.after, 'Lee');
    assert.equal(events[0]!.resource.givenName, 'Beatrice');
    assert.equal(events[1]!.resource.user.status, 'active');
    assert.equal(events[2]!.resource.method, 'invitation');
    assert.deepEqual(events[2]!.data, { endedSessions: [] });
    assert.equal(events[2]!.resource.user.email, 'bea@acme.test');
  });

  it('records no phoneNumbers change when the person registers with the mobile number the inviter gave', async () => {
    const preview = await upload(w.t, w.acme, csv('Email,First Name,Last Name,Mobile', 'mo@acme.test,Mo,Lee,+44 7700 900123'), { mode: 'upsert' });
    assert.equal((await commit(w.t, w.acme, preview.body.id)).status, 200);
    await w.t.container.outbox.deliverDue();
    const start = await cursorOf(w.acme);
    const res = await register(w, inviteTokenFor(w.smtp, 'mo@acme.test'), { givenName: 'Moritz' });
    assert.ok(res.status < 400, `${res.status} ${res.text.slice(0, 200)}`);
    const updated = (await eventsAfter(w.acme, start)).find((e) => e.type === 'user.updated')!;
    assert.deepEqual(Object.keys(updated.data.changes).sort(), ['displayName', 'givenName']);
    assert.equal(updated.resource.phone, '+44 7700 900123');
  });

  it('emits one membership.added per planned group, with its role, when the person registers (as an admin adding them would)', async () => {
    const sales = (await api(w.t, w.acme).post('/groups', { displayName: 'Planned sales' })).body.id as string;
    const support = (await api(w.t, w.acme).post('/groups', { displayName: 'Planned support' })).body.id as string;
    const sent = await invite(w, w.acme, { emails: 'gus@acme.test', groups: [{ id: sales, role: 'editor' }, { id: support, role: 'viewer' }] });
    const userId = sent.sent[0]!.userId;
    const start = await cursorOf(w.acme);
    const res = await register(w, inviteTokenFor(w.smtp, 'gus@acme.test'));
    assert.ok(res.status < 400, `${res.status} ${res.text.slice(0, 200)}`);
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(events.map((e) => e.type), ['membership.added', 'membership.added', 'user.updated', 'invitation.accepted', 'session.started']);
    const added = events.filter((e) => e.type === 'membership.added');
    assert.deepEqual(added.map((e) => [e.resource.group.id, e.resource.role]).sort(), [[sales, 'editor'], [support, 'viewer']].sort());
    for (const e of added) {
      assert.equal(e.resource.user.id, userId);
      assert.equal(e.resource.user.status, 'active');
      assert.deepEqual(e.data, { source: 'invitation' });
      assert.equal(e.source, 'admin');
    }
    // The person's history names each membership, as the admin API's own changes do.
    const audit = await w.t.container.fork().execute(`select details from audit_events where action = 'membership.added' and target_id = ? order by id`, [userId]);
    assert.deepEqual(audit.map((r) => [r.details.groupName, r.details.role, r.details.source]), [['Planned sales', 'editor', 'invitation'], ['Planned support', 'viewer', 'invitation']]);
  });

  it('emits invitation.expired once when the invitation expires, from the job, and again after a resend expires', async () => {
    const sent = await invite(w, w.globex, { emails: 'cy@globex.test' });
    const invitationId = sent.sent[0]!.invitationId;
    const start = await cursorOf(w.globex);
    assert.equal((await w.t.container.events.announceExpired(new Date(clock.now().getTime() + 6 * DAY))).expired, 0, 'not yet');
    const later = new Date(clock.now().getTime() + 7 * DAY + 1000);
    const first = await w.t.container.events.announceExpired(later);
    assert.ok(first.expired >= 1);
    assert.equal((await w.t.container.events.announceExpired(later)).expired, 0, 'announced once');
    let events = await eventsAfter(w.globex, start);
    assert.deepEqual(events.map((e) => e.type), ['invitation.expired']);
    assert.equal(events[0]!.resource.id, invitationId);
    assert.equal(events[0]!.source, 'system');
    assert.equal(events[0]!.actor.type, 'system');

    clock.set(later);
    assert.equal((await api(w.t, w.globex).post(`/invitations/${invitationId}/resend`)).status, 200);
    const resent = await cursorOf(w.globex);
    assert.equal((await w.t.container.events.announceExpired(new Date(later.getTime() + 8 * DAY))).expired, 1);
    events = await eventsAfter(w.globex, resent);
    assert.deepEqual(events.map((e) => e.type), ['invitation.expired']);
  });

  it('lets only one instance run the expiry job at a time (advisory lock)', async function () {
    // PGlite has one connection: a second transaction cannot run beside the first.
    if (!process.env.DATABASE_URL) this.skip();
    await invite(w, w.acme, { emails: 'dee@acme.test' });
    const when = new Date(clock.now().getTime() + 30 * DAY);
    const results = await Promise.all([w.t.container.events.announceExpired(when), w.t.container.events.announceExpired(when)]);
    const total = results.reduce((n, r) => n + r.expired, 0);
    assert.ok(total >= 1);
    const rows = await w.t.container.fork().execute(`select count(*)::int as n from audit_events where action = 'invitation.expired' and target_label = 'dee@acme.test'`);
    assert.equal(rows[0]!.n, 1, 'announced exactly once');
  });
  it('carries the person’s new lastActiveAt in session.started’s resource.user when they sign in, as GET /users/:id shows it', async () => {
    const sent = await invite(w, w.acme, { emails: 'sig@acme.test' });
    const res = await register(w, inviteTokenFor(w.smtp, 'sig@acme.test'));
    assert.ok(res.status < 400, `${res.status} ${res.text.slice(0, 200)}`);
    clock.advance(60_000);
    const start = await cursorOf(w.acme);
    const signIn = await request(w.t.app).post('/auth/password/login').send({ email: 'sig@acme.test', password: STRONG_PASSWORD, org: w.acme.slug });
    assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
    const events = await eventsAfter(w.acme, start);
    assert.deepEqual(events.map((e) => e.type), ['session.started']);
    const live = (await api(w.t, w.acme).get(`/users/${sent.sent[0]!.userId}`)).body;
    assert.equal(live.lastActiveAt, clock.now().toISOString());
    assert.equal(events[0]!.resource.user.lastActiveAt, live.lastActiveAt);
  });
});
