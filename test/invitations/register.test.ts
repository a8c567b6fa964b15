import assert from 'node:assert/strict';
import request from 'supertest';
import { fixedClock } from '../../src/lib/clock.ts';
import { hashPassword, storePasswordHash } from '../../src/directory/credentials.ts';
import { PHONE_MAX_LENGTH } from '../../src/directory/users.ts';
import { addGroup, addUser, api, auditActions, setSeatLimit, sql } from '../people/support.ts';
import { seedOrg } from '../support/app.ts';
import { sessionCookieOf, setOrgSettings } from '../auth/support/people.ts';
import { createInvitationWorld, invite, inviteTokenFor, register, STRONG_PASSWORD, type InvitationWorld } from './support.ts';

const DAY = 86_400_000;

describe('invitations: registration from the link', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let w: InvitationWorld;

  before(async () => {
    w = await createInvitationWorld(clock);
  });
  after(() => w.close());

  it('invite → register → signed in: the whole path over HTTP, with planned memberships applied', async () => {
    const sales = await addGroup(w.t, w.acme, 'Sales', []);
    const support = await addGroup(w.t, w.acme, 'Support', []);
    const body = await invite(w, w.acme, { emails: 'ann@acme.test', groups: [{ id: sales, role: 'editor' }, { id: support, role: 'viewer' }] });
    const token = inviteTokenFor(w.smtp, 'ann@acme.test');
    const res = await register(w, token).expect(303);
    assert.equal(res.headers.location, '/console');
    assert.equal(res.headers['cache-control'], 'no-store');
    const me = await request(w.t.app).get('/api/session').set('Cookie', sessionCookieOf(res)).expect(200);
    assert.equal(me.body.user.email, 'ann@acme.test');
    assert.equal(me.body.user.orgSlug, 'acme');
    assert.equal(me.body.session.method, 'invitation');

    const userId = body.sent[0]!.userId;
    const user = (await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body;
    assert.equal(user.status, 'active');
    assert.equal(user.givenName, 'Ann');
    assert.equal(user.familyName, 'Lee');
    assert.equal(user.phone, '+44 7700 900123');
    assert.equal(user.lastActiveAt, clock.now().toISOString());
    assert.deepEqual(user.groups.map((g: { id: string; role: string }) => [g.id, g.role]).sort(), [[sales, 'editor'], [support, 'viewer']].sort());
    const row = (await sql(w.t, 'select eula_version, eula_accepted_at, invite_expires_at from users where id = ?', [userId]))[0]!;
    assert.equal(row.eula_version, '2026-11');
    assert.equal(new Date(String(row.eula_accepted_at)).getTime(), clock.now().getTime());
    assert.equal(row.invite_expires_at, null);
    const sources = await sql(w.t, 'select source from memberships where user_id = ?', [userId]);
    assert.deepEqual(sources.map((s) => s.source), ['invitation', 'invitation']);
    // One event per planned membership (as an admin's change records them), the name and phone the person gave, then the acceptance.
    assert.deepEqual(await auditActions(w.t, userId), ['user.created', 'invitation.created', 'membership.added', 'membership.added', 'user.updated', 'invitation.accepted']);
    assert.equal((await api(w.t, w.acme).get(`/invitations/${body.sent[0]!.invitationId}`).expect(200)).body.status, 'accepted');

    // The link is spent; the password works for sign-in.
    const used = await request(w.t.app).get(`/invitations/${token}`).expect(410);
    assert.match(used.text, /already used/);
    await request(w.t.app).post('/auth/password/login').send({ email: 'ann@acme.test', password: STRONG_PASSWORD }).expect(200);
  });

  it('accepts exactly the invitation whose link was used, with its planned groups, and ends any other open one', async () => {
    const oldGroup = await addGroup(w.t, w.acme, 'Old plan', []);
    const newGroup = await addGroup(w.t, w.acme, 'New plan', []);
    const first = await invite(w, w.acme, { emails: 'both@acme.test', groups: [{ id: oldGroup, role: 'editor' }] });
    const { userId, invitationId: older } = first.sent[0]!;
    const oldToken = inviteTokenFor(w.smtp, 'both@acme.test');
    await api(w.t, w.acme).delete(`/users/${userId}`, { confirmEmail: 'both@acme.test' }).expect(200);
    clock.advance(60_000);
    const second = await invite(w, w.acme, { emails: 'both@acme.test', groups: [{ id: newGroup, role: 'viewer' }] });
    const newer = second.sent[0]!.invitationId;
    // Two live invitations, as an earlier version's resend of the replaced one left them.
    await sql(w.t, 'update invitations set revoked_at = null where id = ?', [older]);
    await register(w, oldToken).expect(303);
    const rows = Object.fromEntries((await sql(w.t, 'select id, accepted_at, revoked_at from invitations where user_id = ?', [userId])).map((r) => [r.id, r]));
    assert.ok(rows[older]!.accepted_at, 'the invitation whose link was used is the accepted one');
    assert.equal(rows[newer]!.accepted_at, null);
    assert.ok(rows[newer]!.revoked_at, 'the other one ends');
    assert.equal((await api(w.t, w.acme).get(`/invitations/${newer}`).expect(200)).body.revokedReason, 'superseded');
    const user = (await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body;
    assert.deepEqual(user.groups.map((g: { id: string; role: string }) => [g.id, g.role]), [[oldGroup, 'editor']]);
  });

  it('refuses a weak password with a message next to the field and writes nothing', async () => {
    const body = await invite(w, w.acme, { emails: 'weak@acme.test' });
    const token = inviteTokenFor(w.smtp, 'weak@acme.test');
    const before = await sql(w.t, 'select (select count(*)::int from audit_events) as events, (select count(*)::int from credentials) as creds, (select count(*)::int from sessions) as sessions');
    const res = await register(w, token, { password: 'password123', confirmPassword: 'password123', givenName: 'W<b>' }).expect(400);
    assert.match(res.text, /<p id="password-error" class="error">[^<]*at least 12 characters/);
    assert.match(res.text, /aria-describedby="password-hint password-error" aria-invalid="true"/);
    assert.match(res.text, /too common/);
    assert.match(res.text, /value="W&lt;b&gt;"/, 'the values come back, escaped');
    assert.equal(res.headers['set-cookie'], undefined);
    const after = await sql(w.t, 'select (select count(*)::int from audit_events) as events, (select count(*)::int from credentials) as creds, (select count(*)::int from sessions) as sessions');
    assert.deepEqual(after, before);
    assert.equal((await sql(w.t, 'select state from users where id = ?', [body.sent[0]!.userId]))[0]!.state, 'invited');
  });

  it('requires the EULA, both names and matching passwords, each with its own message', async () => {
    await invite(w, w.acme, { emails: 'form@acme.test' });
    const token = inviteTokenFor(w.smtp, 'form@acme.test');
    const res = await register(w, token, { eula: '', givenName: ' ', familyName: '', confirmPassword: 'Something-Else-99', phone: 'call me' }).expect(400);
    for (const id of ['givenName', 'familyName', 'phone', 'confirmPassword', 'eula']) assert.match(res.text, new RegExp(`id="${id}-error"`), id);
    assert.match(res.text, /<label for="eula"/);
  });

  it('names the one over-long field and keeps what was typed in the others', async () => {
    await invite(w, w.acme, { emails: 'long@acme.test' });
    const token = inviteTokenFor(w.smtp, 'long@acme.test');
    const res = await register(w, token, { givenName: 'E'.repeat(2000), familyName: 'Kept' }).expect(400);
    assert.match(res.text, /id="givenName-error"/);
    assert.match(res.text, /at most 200 characters/);
    assert.doesNotMatch(res.text, /id="familyName-error"|id="password-error"|id="eula-error"/);
    assert.match(res.text, /value="Kept"/);
  });

  it("takes a mobile number as long as the admin API's (PHONE_MAX_LENGTH), and says so on the form", async () => {
    await invite(w, w.acme, { emails: 'longphone@acme.test' });
    const token = inviteTokenFor(w.smtp, 'longphone@acme.test');
    const form = await request(w.t.app).get(`/invitations/${token}`).expect(200);
    assert.match(form.text, new RegExp(`<input[^>]*id="phone"[^>]*maxlength="${PHONE_MAX_LENGTH}"`));
    const tooLong = `+44 ${'7'.repeat(PHONE_MAX_LENGTH - 3)}`;
    const refused = await register(w, token, { phone: tooLong }).expect(400);
    assert.match(refused.text, /id="phone-error"/);
    assert.match(refused.text, new RegExp(`at most ${PHONE_MAX_LENGTH} characters`));
    const longest = `+44 (0) 20 7946 0958 - ${'1'.repeat(PHONE_MAX_LENGTH - 23)}`;
    assert.equal(longest.length, PHONE_MAX_LENGTH);
    const res = await register(w, token, { phone: longest }).expect(303);
    const me = await request(w.t.app).get('/api/session').set('Cookie', sessionCookieOf(res)).expect(200);
    assert.equal((await api(w.t, w.acme).get(`/users/${me.body.user.id}`).expect(200)).body.phone, longest);
  });

  it('takes a number in the format the admin API takes (slashes, extensions), so one an admin gave comes back through the form', async () => {
    await invite(w, w.acme, { emails: 'slash@acme.test' });
    const token = inviteTokenFor(w.smtp, 'slash@acme.test');
    const refused = await register(w, token, { phone: 'abc' }).expect(400);
    assert.match(refused.text, /id="phone-error"/);
    const res = await register(w, token, { phone: '030/1234567 ext. 12' }).expect(303);
    const me = await request(w.t.app).get('/api/session').set('Cookie', sessionCookieOf(res)).expect(200);
    assert.equal((await api(w.t, w.acme).get(`/users/${me.body.user.id}`).expect(200)).body.phone, '030/1234567 ext. 12');
  });

  it('asks for the existing password when the address already has one from another org, and never overwrites it', async () => {
    const other = await seedOrg(w.t.container, 'otherco');
    await addUser(w.t, other, { userName: 'multi@acme.test' });
    await storePasswordHash(w.t.container.fork(), 'multi@acme.test', await hashPassword('Existing-Secret-77', w.t.container.config.auth.scrypt), clock.now());
    const hashBefore = (await sql(w.t, `select password_hash from credentials where email = 'multi@acme.test'`))[0]!.password_hash;
    await invite(w, w.acme, { emails: 'multi@acme.test' });
    const token = inviteTokenFor(w.smtp, 'multi@acme.test');
    const page = await request(w.t.app).get(`/invitations/${token}`).expect(200);
    assert.match(page.text, /already has a Gatehouse password/);
    assert.doesNotMatch(page.text, /confirmPassword/);
    const wrong = await register(w, token, { password: STRONG_PASSWORD, confirmPassword: '' }).expect(400);
    assert.match(wrong.text, /not the password you already use/);
    await register(w, token, { password: 'Existing-Secret-77', confirmPassword: '' }).expect(303);
    assert.equal((await sql(w.t, `select password_hash from credentials where email = 'multi@acme.test'`))[0]!.password_hash, hashBefore);
  });

  it('holds a new password to the strictest policy of every org the address has a profile in, as changing it does', async () => {
    // The address is already a profile of an org with a stricter policy (a SCIM user there, no password yet): the
    // password set here is the one that org's sign-in will take too.
    const strict = await seedOrg(w.t.container, 'strictco');
    await setOrgSettings(w.t.container, strict, { passwordPolicy: { minLength: 24, requireClasses: 1 } });
    await addUser(w.t, strict, { userName: 'twice@acme.test' });
    await invite(w, w.acme, { emails: 'twice@acme.test' });
    const token = inviteTokenFor(w.smtp, 'twice@acme.test');
    const page = await request(w.t.app).get(`/invitations/${token}`).expect(200);
    assert.match(page.text, /minlength="24"/);
    assert.match(page.text, /At least 24 characters/);
    const short = await register(w, token).expect(400);
    assert.match(short.text, /<p id="password-error" class="error">[^<]*at least 24 characters/);
    assert.equal((await sql(w.t, `select count(*)::int as n from credentials where email = 'twice@acme.test'`))[0]!.n, 0);
    const long = 'Blue-Harbor-Lamp-42-Quiet-River';
    await register(w, token, { password: long, confirmPassword: long }).expect(303);
    await request(w.t.app).post('/auth/password/login').send({ email: 'twice@acme.test', password: long, org: 'strictco' }).expect(200);
  });

  it('refuses acceptance when no seat is left, with a clear page and a license.seat_refused event', async () => {
    const small = await seedOrg(w.t.container, 'seatco');
    const body = await invite(w, small, { emails: 'seat@seatco.test' });
    const token = inviteTokenFor(w.smtp, 'seat@seatco.test');
    await addUser(w.t, small, { userName: 'first@seatco.test' });
    await setSeatLimit(w.t, small, 1);
    const res = await register(w, token).expect(403);
    assert.match(res.text, /No seat available/);
    assert.equal(res.headers['set-cookie'], undefined);
    const userId = body.sent[0]!.userId;
    assert.deepEqual(await auditActions(w.t, userId), ['user.created', 'invitation.created', 'license.seat_refused']);
    assert.equal((await sql(w.t, 'select state from users where id = ?', [userId]))[0]!.state, 'invited');
    assert.equal((await sql(w.t, `select count(*)::int as n from credentials where email = 'seat@seatco.test'`))[0]!.n, 0);
    // A seat freed: the same link works.
    await setSeatLimit(w.t, small, 2);
    await register(w, token).expect(303);
  });

  it('shows a clear page for an expired, a revoked and an unknown link', async () => {
    const body = await invite(w, w.acme, { emails: 'exp@acme.test, rev@acme.test' });
    const expToken = inviteTokenFor(w.smtp, 'exp@acme.test');
    const revToken = inviteTokenFor(w.smtp, 'rev@acme.test');
    await api(w.t, w.acme).post(`/invitations/${body.sent[1]!.invitationId}/revoke`).expect(200);
    await register(w, revToken).expect(410);
    clock.advance(8 * DAY);
    const expired = await register(w, expToken).expect(410);
    assert.match(expired.text, /Ask your administrator to send you a new invitation/);
    assert.match(expired.text, /<html lang="en">/);
    await request(w.t.app).get('/invitations/gh_invite_nope').expect(404);
    assert.equal((await sql(w.t, 'select state from users where id = ?', [body.sent[0]!.userId]))[0]!.state, 'invited');
  });

  it('gives a disabled invitee who never registered their link back when reactivated: pending, no seat, and registration still required', async () => {
    const body = await invite(w, w.acme, { emails: 'paused@acme.test' });
    const { userId, invitationId } = body.sent[0]!;
    const token = inviteTokenFor(w.smtp, 'paused@acme.test');
    await api(w.t, w.acme).post(`/users/${userId}/disable`).expect(200);
    await request(w.t.app).get(`/invitations/${token}`).expect(410);
    const back = await api(w.t, w.acme).post(`/users/${userId}/reactivate`).expect(200);
    assert.equal(back.body.status, 'pending');
    assert.equal(back.body.invitationId, invitationId);
    // Not a password holder yet: a reset mails nothing (links go to active profiles only).
    await request(w.t.app).post('/auth/password/reset-request').send({ email: 'paused@acme.test' }).expect(202);
    assert.equal((await sql(w.t, `select count(*)::int as n from outbox_messages where "to" = 'paused@acme.test' and kind = 'password_reset'`))[0]!.n, 0);
    await request(w.t.app).get(`/invitations/${token}`).expect(200);
    await register(w, token).expect(303);
    assert.equal((await api(w.t, w.acme).get(`/users/${userId}`).expect(200)).body.status, 'active');
  });

  it('points an SSO-enforced org\'s invitee to single sign-on instead of a password form', async () => {
    const sso = await seedOrg(w.t.container, 'ssoco');
    await invite(w, sso, { emails: 'sam@ssoco.test' });
    await setOrgSettings(w.t.container, sso, { ssoEnforced: true });
    const token = inviteTokenFor(w.smtp, 'sam@ssoco.test');
    const page = await request(w.t.app).get(`/invitations/${token}`).expect(200);
    assert.match(page.text, /href="\/saml\/ssoco\/login"/);
    assert.doesNotMatch(page.text, /type="password"/);
    await register(w, token).expect(403);
    assert.equal((await sql(w.t, `select count(*)::int as n from credentials where email = 'sam@ssoco.test'`))[0]!.n, 0);
  });

  it('refuses a registration form posted from another site', async () => {
    await invite(w, w.acme, { emails: 'csrf@acme.test' });
    const token = inviteTokenFor(w.smtp, 'csrf@acme.test');
    await register(w, token).set('Origin', 'https://evil.test').expect(403);
  });
});
