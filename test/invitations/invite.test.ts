import assert from 'node:assert/strict';
import request from 'supertest';
import { fixedClock } from '../../src/lib/clock.ts';
import { seedOrg } from '../support/app.ts';
import { addGroup, addUser, api, auditActions, loopAroundDeleted, setSeatLimit, sql } from '../people/support.ts';
import { createInvitationWorld, invite, inviteTokenFor, type InvitationWorld } from './support.ts';
import { asPerson, asToken, signIn, tokenWith } from '../admin/support.ts';

const DAY = 86_400_000;

describe('invitations: the admin API', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let w: InvitationWorld;

  before(async () => {
    w = await createInvitationWorld(clock);
  });
  after(() => w.close());
  beforeEach(() => {
    w.smtp.rcpt = () => undefined;
  });

  it('names the person who sent it by their name and address; never a token or the CLI', async () => {
    const admin = await signIn(w.t, w.acme, 'ida.inviter@acme.test', { orgRole: 'org_admin', now: clock.now() });
    await sql(w.t, `update users set display_name = 'Ida Inviter' where id = ?`, [admin.userId]);
    const res = await asPerson(w.t, w.acme, admin)('post', '/invitations', { emails: 'pat@acme.test' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await w.t.container.outbox.deliverDue();
    const [text] = w.smtp.textsTo('pat@acme.test');
    assert.match(text!, /Ida Inviter \(ida\.inviter@acme\.test\) invited you to join acme inc\./);
    assert.match(text!, /Subject: Ida Inviter \(ida\.inviter@acme\.test\) invited you to acme inc/);
  });

  it('mails an invitation over SMTP with a working link, the inviter, the org and the message', async () => {
    const body = await invite(w, w.acme, { emails: 'Ann Lee <ann@acme.test>', message: 'Welcome aboard!\nSee you Monday.' });
    assert.equal(body.recognised, 1);
    assert.equal(body.sent.length, 1);
    const texts = w.smtp.textsTo('ann@acme.test');
    assert.equal(texts.length, 1);
    // Sent with an admin token: the mail names the org, not the token.
    assert.match(texts[0]!, /You are invited to join acme inc\./);
    assert.match(texts[0]!, /Subject: Your invitation to acme inc/);
    assert.doesNotMatch(texts[0]!, /acme admin/);
    assert.match(texts[0]!, /Welcome aboard!/);
    assert.match(texts[0]!, /Content-Type: text\/html/);
    const token = inviteTokenFor(w.smtp, 'ann@acme.test');
    const page = await request(w.t.app).get(`/invitations/${token}`).expect(200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.text, /<html lang="en">/);
    assert.match(page.text, /value="ann@acme.test" readonly/);
    assert.match(page.text, /<label for="givenName">First name<\/label>/);
    const stored = await sql(w.t, 'select token_hash from invitations where id = ?', [body.sent[0]!.invitationId]);
    assert.equal(String(stored[0]!.token_hash).length, 64);
    assert.ok(!texts[0]!.includes(String(stored[0]!.token_hash)), 'only the hash is stored, and the mail has the token');
  });

  it('creates the profile at once: invited, source invitation, name split, expiry in 7 days, found in /users?status=pending', async () => {
    const body = await invite(w, w.acme, { emails: '"Lee, Bob" <bob@acme.test>' });
    const userId = body.sent[0]!.userId;
    const user = (await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body;
    assert.equal(user.status, 'pending');
    assert.equal(user.source, 'invitation');
    assert.equal(user.givenName, 'Bob');
    assert.equal(user.familyName, 'Lee');
    assert.equal(user.email, 'bob@acme.test');
    const row = (await sql(w.t, 'select state, invite_expires_at from users where id = ?', [userId]))[0]!;
    assert.equal(row.state, 'invited');
    assert.equal(new Date(String(row.invite_expires_at)).getTime(), clock.now().getTime() + 7 * DAY);
    const pending = (await api(w.t, w.acme).get('/users?status=pending').expect(200)).body.users.map((u: { id: string }) => u.id);
    assert.ok(pending.includes(userId));
    assert.deepEqual(await auditActions(w.t, userId), ['user.created', 'invitation.created']);
  });

  it('reports invalid_email, duplicate_in_request, already_member and already_invited, and sends the rest', async () => {
    await addUser(w.t, w.acme, { userName: 'member@acme.test' });
    const disabled = await addUser(w.t, w.acme, { userName: 'gone@acme.test', state: 'disabled' });
    await invite(w, w.acme, { emails: 'pending@acme.test' });
    w.smtp.received.length = 0;
    const body = await invite(w, w.acme, {
      emails: 'new1@acme.test, not-an-address; NEW1@acme.test\nmember@acme.test gone@acme.test pending@acme.test, New Two <new2@acme.test>',
    });
    assert.equal(body.recognised, 7);
    assert.deepEqual(body.sent.map((s) => s.email), ['new1@acme.test', 'new2@acme.test']);
    assert.deepEqual(body.notSent, [
      { email: 'not-an-address', reason: 'invalid_email' },
      { email: 'new1@acme.test', reason: 'duplicate_in_request' },
      { email: 'member@acme.test', reason: 'already_member' },
      { email: 'gone@acme.test', reason: 'already_member' },
      { email: 'pending@acme.test', reason: 'already_invited' },
    ]);
    assert.deepEqual(w.smtp.received.flatMap((m) => m.to).sort(), ['new1@acme.test', 'new2@acme.test']);
    assert.equal((await sql(w.t, 'select count(*)::int as n from invitations where user_id = ?', [disabled]))[0]!.n, 0);
  });

  it('accepts a JSON array of addresses and refuses roles outside the org settings or another org\'s group', async () => {
    const body = await invite(w, w.acme, { emails: ['arr1@acme.test', 'Arr Two <arr2@acme.test>'] });
    assert.equal(body.sent.length, 2);
    const theirs = await addGroup(w.t, w.globex, 'Globex only', []);
    const ours = await addGroup(w.t, w.acme, 'Sales', []);
    const res = await api(w.t, w.acme).post('/invitations', { emails: 'x@acme.test', groups: [{ id: theirs, role: 'viewer' }, { id: ours, role: 'owner' }] }).expect(400);
    assert.deepEqual(res.body.error.details.problems.map((p: { field: string }) => p.field).sort(), ['groups.0.id', 'groups.1.role']);
    assert.equal((await sql(w.t, `select count(*)::int as n from users where email = 'x@acme.test'`))[0]!.n, 0);
  });

  it('lists invitations by status with invitedBy, dates, planned memberships and undeliverable', async () => {
    const group = await addGroup(w.t, w.acme, 'Support', []);
    const body = await invite(w, w.acme, { emails: 'listed@acme.test', groups: [{ id: group, role: 'editor' }] });
    const list = (await api(w.t, w.acme).get('/invitations?status=pending').expect(200)).body;
    const found = list.invitations.find((i: { id: string }) => i.id === body.sent[0]!.invitationId);
    assert.equal(found.status, 'pending');
    assert.equal(found.undeliverable, false);
    assert.equal(found.invitedBy.label, 'acme admin');
    assert.equal(found.expiresAt, new Date(clock.now().getTime() + 7 * DAY).toISOString());
    assert.deepEqual(found.memberships, [{ groupId: group, groupName: 'Support', role: 'editor' }]);
    assert.equal((await api(w.t, w.acme).get('/invitations?status=accepted').expect(200)).body.invitations.length, 0);
    const page = (await api(w.t, w.acme).get('/invitations?limit=2').expect(200)).body;
    assert.equal(page.invitations.length, 2);
    const next = (await api(w.t, w.acme).get(`/invitations?limit=2&cursor=${page.nextCursor}`).expect(200)).body;
    assert.ok(!next.invitations.some((i: { id: string }) => page.invitations.some((p: { id: string }) => p.id === i.id)));
    await api(w.t, w.acme).get('/invitations?status=bogus').expect(400);
  });

  it('resend issues a new link and a new week; the old link stops working', async () => {
    const body = await invite(w, w.acme, { emails: 'resend@acme.test' });
    const oldToken = inviteTokenFor(w.smtp, 'resend@acme.test');
    clock.advance(2 * DAY);
    const res = await api(w.t, w.acme).post(`/invitations/${body.sent[0]!.invitationId}/resend`).expect(200);
    assert.equal(res.body.expiresAt, new Date(clock.now().getTime() + 7 * DAY).toISOString());
    await w.t.container.outbox.deliverDue();
    const newToken = inviteTokenFor(w.smtp, 'resend@acme.test');
    assert.notEqual(newToken, oldToken);
    // README: a link replaced by a resend answers 410 (gone), as an expired one does; an unknown one 404.
    const gone = await request(w.t.app).get(`/invitations/${oldToken}`).expect(410);
    assert.match(gone.text, /Ask your administrator to send you a new invitation/);
    const posted = await request(w.t.app).post(`/invitations/${oldToken}`).type('form').send({ givenName: 'A', familyName: 'B', eula: 'accepted' }).expect(410);
    assert.match(posted.text, /replaced by a newer one/);
    await request(w.t.app).get(`/invitations/${oldToken.slice(0, -2)}xx`).expect(404);
    // Recognised by its hash: the replaced token is not stored in clear anywhere.
    const stored = await sql(w.t, `select count(*)::int as n from invitation_replaced_tokens where token_hash = encode(sha256(convert_to(?, 'UTF8')), 'hex')`, [oldToken]);
    assert.equal(stored[0]!.n, 1);
    const dump = await sql(w.t, `select count(*)::int as n from invitation_replaced_tokens t where t::text like ?`, [`%${oldToken}%`]);
    assert.equal(dump[0]!.n, 0);
    await request(w.t.app).get(`/invitations/${newToken}`).expect(200);
    const user = (await sql(w.t, 'select invite_expires_at from users where id = ?', [body.sent[0]!.userId]))[0]!;
    assert.equal(new Date(String(user.invite_expires_at)).toISOString(), res.body.expiresAt);
    assert.deepEqual(await auditActions(w.t, body.sent[0]!.userId), ['user.created', 'invitation.created', 'invitation.resent']);
  });

  it('refuses to resend an invitation a newer one replaced (409 naming it), so one link at a time is live', async () => {
    const first = await invite(w, w.acme, { emails: 'twice@acme.test' });
    const { userId, invitationId: older } = first.sent[0]!;
    await api(w.t, w.acme).delete(`/users/${userId}`, { confirmEmail: 'twice@acme.test' }).expect(200);
    const second = await invite(w, w.acme, { emails: 'twice@acme.test' });
    const newer = second.sent[0]!.invitationId;
    assert.equal(second.sent[0]!.userId, userId);
    assert.equal((await api(w.t, w.acme).get(`/invitations/${older}`).expect(200)).body.supersededBy, newer);
    const res = await api(w.t, w.acme).post(`/invitations/${older}/resend`).expect(409);
    assert.equal(res.body.error.code, 'invalid_transition');
    assert.equal(res.body.error.details.reason, 'superseded');
    assert.equal(res.body.error.details.supersededBy, newer);
    assert.match(res.body.error.message, /replaced by a newer invitation/);
    const live = await sql(w.t, 'select id from invitations where user_id = ? and accepted_at is null and revoked_at is null', [userId]);
    assert.deepEqual(live.map((r) => r.id), [newer]);
    await api(w.t, w.acme).post(`/invitations/${newer}/resend`).expect(200);
  });

  it('revoke (POST or DELETE) ends the link now and the person shows as expired', async () => {
    const body = await invite(w, w.acme, { emails: 'revoke1@acme.test, revoke2@acme.test' });
    const [one, two] = body.sent;
    const token = inviteTokenFor(w.smtp, 'revoke1@acme.test');
    const res = await api(w.t, w.acme).post(`/invitations/${one!.invitationId}/revoke`).expect(200);
    assert.equal(res.body.status, 'revoked');
    await api(w.t, w.acme).delete(`/invitations/${two!.invitationId}`).expect(200);
    assert.equal((await api(w.t, w.acme).get(`/users/${one!.userId}`).expect(200)).body.status, 'expired');
    const page = await request(w.t.app).get(`/invitations/${token}`).expect(410);
    assert.match(page.text, /Ask your administrator to send you a new invitation/);
    await api(w.t, w.acme).post(`/invitations/${one!.invitationId}/revoke`).expect(200);
    assert.deepEqual(await auditActions(w.t, one!.userId), ['user.created', 'invitation.created', 'invitation.revoked']);
  });

  it('shows the invitation of a disabled or deleted invitee as revoked (with the reason), not pending, in the list and invitations.csv, until they come back', async () => {
    const body = await invite(w, w.acme, { emails: 'off-inv@acme.test, del-inv@acme.test' });
    const [off, del] = body.sent;
    await api(w.t, w.acme).post(`/users/${off!.userId}/disable`).expect(200);
    await api(w.t, w.acme).delete(`/users/${del!.userId}`, { confirmEmail: 'del-inv@acme.test' }).expect(200);
    const ids = (list: Array<{ id: string }>) => list.map((i) => i.id);
    const pending = (await api(w.t, w.acme).get('/invitations?status=pending&limit=200').expect(200)).body.invitations;
    assert.ok(!ids(pending).includes(off!.invitationId) && !ids(pending).includes(del!.invitationId), 'not pending: their links answer 410');
    const revoked = (await api(w.t, w.acme).get('/invitations?status=revoked&limit=200').expect(200)).body.invitations;
    const reasons = Object.fromEntries(revoked.map((i: { id: string; revokedReason: string }) => [i.id, i.revokedReason]));
    assert.equal(reasons[off!.invitationId], 'user_disabled');
    assert.equal(reasons[del!.invitationId], 'user_deleted');
    const one = (await api(w.t, w.acme).get(`/invitations/${off!.invitationId}`).expect(200)).body;
    assert.equal(one.status, 'revoked');
    assert.equal(one.revokedAt, null, 'nobody revoked it: the person cannot use it');
    const csvRows = async (query: string) => {
      const res = await api(w.t, w.acme).get(`/exports/invitations.csv${query}`).buffer(true).parse((r, done) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString('utf8')));
        r.on('end', () => done(null, text));
      }).expect(200);
      return String(res.body).split(/\r?\n/).filter((line) => /off-inv@|del-inv@/.test(line));
    };
    assert.deepEqual(await csvRows('?status=pending'), []);
    const all = await csvRows('');
    assert.equal(all.length, 2);
    assert.ok(all.every((line) => line.includes(',revoked,')), all.join('\n'));
    // Reactivated (they never registered), the invitation is theirs again.
    await api(w.t, w.acme).post(`/users/${off!.userId}/reactivate`).expect(200);
    assert.equal((await api(w.t, w.acme).get(`/invitations/${off!.invitationId}`).expect(200)).body.status, 'pending');
    assert.equal((await api(w.t, w.acme).get(`/invitations/${off!.invitationId}`).expect(200)).body.revokedReason, null);
  });

  it('expires after the org\'s invitation TTL, measured with the injected clock', async () => {
    const body = await invite(w, w.acme, { emails: 'late@acme.test' });
    const token = inviteTokenFor(w.smtp, 'late@acme.test');
    clock.advance(7 * DAY - 1000);
    await request(w.t.app).get(`/invitations/${token}`).expect(200);
    clock.advance(1000);
    await request(w.t.app).get(`/invitations/${token}`).expect(410);
    assert.equal((await api(w.t, w.acme).get(`/users/${body.sent[0]!.userId}`).expect(200)).body.status, 'expired');
    const expired = (await api(w.t, w.acme).get('/invitations?status=expired').expect(200)).body.invitations;
    assert.ok(expired.some((i: { id: string }) => i.id === body.sent[0]!.invitationId));
  });

  it('re-inviting a deleted user restores their profile as pending', async () => {
    const id = await addUser(w.t, w.acme, { userName: 'back@acme.test', givenName: 'Bea' });
    await api(w.t, w.acme).delete(`/users/${id}`, { confirmEmail: 'back@acme.test' }).expect(200);
    const body = await invite(w, w.acme, { emails: 'back@acme.test' });
    assert.equal(body.sent[0]!.userId, id);
    const user = (await api(w.t, w.acme).get(`/users/${id}`).expect(200)).body;
    assert.equal(user.status, 'pending');
    assert.equal(user.givenName, 'Bea');
    // The audit trail (and the feed's user.restored) say where the person went back to in the words of status.
    const [restored] = await sql(w.t, `select details from audit_events where action = 'user.restored' and target_id = ?`, [id]);
    assert.equal((restored!.details as { restoredTo: string }).restoredTo, 'pending');
  });

  it('refuses to re-invite a deleted person whose return would close a loop of managers (manager_cycle), restoring nothing, and invites them once it is broken', async () => {
    const { boss, back } = await loopAroundDeleted(w.t, w.acme, 'ring');

    const refused = await invite(w, w.acme, { emails: 'ring-back@acme.test, fresh-ring@acme.test' });
    assert.deepEqual(refused.notSent, [{ email: 'ring-back@acme.test', reason: 'manager_cycle' }]);
    assert.deepEqual(refused.sent.map((s) => s.email), ['fresh-ring@acme.test'], 'the other address is invited');
    assert.equal((await api(w.t, w.acme).get(`/users/${back}`).expect(200)).body.status, 'deleted');
    assert.deepEqual(await auditActions(w.t, back), ['user.created', 'user.updated', 'user.deleted']);

    await api(w.t, w.acme).patch(`/users/${boss}`, { managerId: null }).expect(200);
    const sent = await invite(w, w.acme, { emails: 'ring-back@acme.test' });
    assert.deepEqual(sent.sent.map((s) => s.userId), [back]);
    assert.equal((await api(w.t, w.acme).get(`/users/${back}`).expect(200)).body.status, 'pending');
  });

  it('re-inviting a deleted person needs what restoring them needs: users.delete, and users.disable if they were disabled', async () => {
    const admin = await addUser(w.t, w.acme, { userName: 'boss@acme.test', givenName: 'Boss' });
    const keeper = await addUser(w.t, w.acme, { userName: 'keeper@acme.test' });
    // Two org admins, so the first may be deleted (the last one may not).
    for (const id of [admin, keeper]) await asToken(w.t, w.acme, w.acme.tokens.admin)('put', `/users/${id}/access`, { orgRole: 'org_admin' }).expect(200);
    await api(w.t, w.acme).delete(`/users/${admin}`, { confirmEmail: 'boss@acme.test' }).expect(200);
    const wasDisabled = await addUser(w.t, w.acme, { userName: 'was-off@acme.test' });
    await api(w.t, w.acme).post(`/users/${wasDisabled}/disable`).expect(200);
    await api(w.t, w.acme).delete(`/users/${wasDisabled}`, { confirmEmail: 'was-off@acme.test' }).expect(200);

    const inviter = asToken(w.t, w.acme, await tokenWith(w.t, w.acme, ['users.invite']));
    const refused = (await inviter('post', '/invitations', { emails: 'boss@acme.test, was-off@acme.test' }).expect(200)).body;
    assert.deepEqual(refused.notSent, [{ email: 'boss@acme.test', reason: 'restore_not_permitted' }, { email: 'was-off@acme.test', reason: 'restore_not_permitted' }]);
    for (const id of [admin, wasDisabled]) assert.equal((await api(w.t, w.acme).get(`/users/${id}`).expect(200)).body.status, 'deleted');

    const restorer = asToken(w.t, w.acme, await tokenWith(w.t, w.acme, ['users.invite', 'users.delete']));
    const partly = (await restorer('post', '/invitations', { emails: 'boss@acme.test, was-off@acme.test' }).expect(201)).body;
    assert.deepEqual(partly.sent.map((s: { userId: string }) => s.userId), [admin]);
    assert.deepEqual(partly.notSent, [{ email: 'was-off@acme.test', reason: 'restore_not_permitted' }], 'bringing a disabled person back as invited needs users.disable too');

    const full = asToken(w.t, w.acme, await tokenWith(w.t, w.acme, ['users.invite', 'users.delete', 'users.disable']));
    assert.deepEqual((await full('post', '/invitations', { emails: 'was-off@acme.test' }).expect(201)).body.sent.map((s: { userId: string }) => s.userId), [wasDisabled]);
  });

  it('answers no_seats when active users already fill the seat limit (pending invitees hold no seat)', async () => {
    const small = await seedOrg(w.t.container, 'smallco');
    await addUser(w.t, small, { userName: 'only@smallco.test' });
    await setSeatLimit(w.t, small, 2);
    const first = await invite(w, small, { emails: 'a@smallco.test, b@smallco.test' });
    assert.equal(first.sent.length, 2, 'pending invitees do not use seats');
    await setSeatLimit(w.t, small, 1);
    const full = await invite(w, small, { emails: 'c@smallco.test' });
    assert.deepEqual(full.notSent, [{ email: 'c@smallco.test', reason: 'no_seats' }]);
  });

  it('marks the invitation undeliverable and audits it for the inviter when the server answers 550', async () => {
    w.smtp.rcpt = (address) => (address === 'bounce@acme.test' ? { code: 550, message: 'No such user here' } : undefined);
    const body = await invite(w, w.acme, { emails: 'bounce@acme.test' });
    const shown = (await api(w.t, w.acme).get(`/invitations/${body.sent[0]!.invitationId}`).expect(200)).body;
    assert.equal(shown.undeliverable, true);
    assert.equal(shown.undeliverableAt, clock.now().toISOString());
    const listed = (await api(w.t, w.acme).get('/invitations?status=undeliverable').expect(200)).body.invitations;
    assert.deepEqual(listed.map((i: { id: string }) => i.id), [body.sent[0]!.invitationId]);
    const events = await sql(w.t, `select actor_type, details from audit_events where action = 'invitation.undeliverable' and target_id = ?`, [body.sent[0]!.userId]);
    assert.equal(events.length, 1);
    const details = (typeof events[0]!.details === 'string' ? JSON.parse(events[0]!.details) : events[0]!.details) as Record<string, unknown>;
    assert.equal((details.invitedBy as { label: string }).label, 'acme admin');
    assert.equal(details.responseCode, 550);
    // Resending clears the flag (the admin fixed the address or the mailbox).
    w.smtp.rcpt = () => undefined;
    const resent = await api(w.t, w.acme).post(`/invitations/${body.sent[0]!.invitationId}/resend`).expect(200);
    assert.equal(resent.body.undeliverable, false);
  });

  it('cancels at send time, never sending, the mail of an invitation revoked or replaced, or whose person was disabled or deleted, before it left', async () => {
    await w.t.container.outbox.deliverDue(); // what earlier tests left queued
    const res = await api(w.t, w.acme).post('/invitations', { emails: 'q-rev@acme.test, q-off@acme.test, q-del@acme.test, q-re@acme.test, q-ok@acme.test' }).expect(201);
    const by = Object.fromEntries(res.body.sent.map((s: { email: string; invitationId: string; userId: string }) => [s.email, s]));
    // The mails wait in the queue (behind a bulk import, say) while admins change their minds.
    await api(w.t, w.acme).post(`/invitations/${by['q-rev@acme.test'].invitationId}/revoke`).expect(200);
    await api(w.t, w.acme).post(`/users/${by['q-off@acme.test'].userId}/disable`).expect(200);
    await api(w.t, w.acme).delete(`/users/${by['q-del@acme.test'].userId}`, { confirmEmail: 'q-del@acme.test' }).expect(200);
    await api(w.t, w.acme).post(`/invitations/${by['q-re@acme.test'].invitationId}/resend`).expect(200);
    w.smtp.received.length = 0;
    const report = await w.t.container.outbox.deliverDue();
    assert.equal(report.sent, 2);
    assert.equal(report.cancelled, 4);
    assert.deepEqual(w.smtp.received.flatMap((m) => m.to).sort(), ['q-ok@acme.test', 'q-re@acme.test']);
    await request(w.t.app).get(`/invitations/${inviteTokenFor(w.smtp, 'q-re@acme.test')}`).expect(200);
    const rows = await sql(w.t, `select "to", sent_at, cancelled_at, cancel_reason from outbox_messages where kind = 'invitation' and "to" like 'q-%' order by "to", created_at, id`);
    const cancelled = rows.filter((r) => r.cancelled_at).map((r) => [r.to, r.cancel_reason]);
    assert.deepEqual(cancelled, [
      ['q-del@acme.test', 'invitation revoked (user_deleted)'],
      ['q-off@acme.test', 'invitation revoked (user_disabled)'],
      ['q-re@acme.test', 'invitation link replaced by a resend'],
      ['q-rev@acme.test', 'invitation revoked (admin)'],
    ]);
    assert.ok(rows.filter((r) => r.cancelled_at).every((r) => r.sent_at === null));
    assert.equal((await w.t.container.outbox.deliverDue()).cancelled, 0, 'a cancelled mail is never claimed again');
  });

  it('keeps every invitation route inside its org: another org\'s token cannot list, read, resend or revoke', async () => {
    const body = await invite(w, w.acme, { emails: 'private@acme.test' });
    const id = body.sent[0]!.invitationId;
    const asGlobex = api(w.t, w.globex);
    assert.ok(!(await asGlobex.get('/invitations').expect(200)).body.invitations.some((i: { id: string }) => i.id === id));
    await asGlobex.get(`/invitations/${id}`).expect(404);
    await asGlobex.post(`/invitations/${id}/resend`).expect(404);
    await asGlobex.post(`/invitations/${id}/revoke`).expect(404);
    await asGlobex.delete(`/invitations/${id}`).expect(404);
    // globex's token on acme's URLs.
    const crossed = api(w.t, w.acme, w.globex.tokens.admin);
    await crossed.get('/invitations').expect(403);
    await crossed.post('/invitations', { emails: 'sneaky@acme.test' }).expect(403);
    await crossed.post(`/invitations/${id}/resend`).expect(403);
    await crossed.post(`/invitations/${id}/revoke`).expect(403);
    await crossed.delete(`/invitations/${id}`).expect(403);
    await request(w.t.app).get(`/api/orgs/acme/invitations`).expect(401);
    assert.equal((await api(w.t, w.acme).get(`/invitations/${id}`).expect(200)).body.status, 'pending');
  });
});
