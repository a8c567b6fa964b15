import assert from 'node:assert/strict';
import request from 'supertest';
import { AuditEvent, Credential, User } from '../../src/db/entities/index.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { startSmtpCapture, type SmtpCapture } from '../mail/support/smtp.ts';
import { seedPerson, sessionCookieOf, setOrgSettings } from './support/people.ts';
import { signIn } from '../admin/support.ts';

const OLD = 'Blue-Harbor-Lamp-42';
const NEW = 'Green-Meadow-Kite-77';

/** POST /api/session/password: a signed-in person changes their own password. */
describe('password change (signed in)', () => {
  let t: TestApp;
  let smtp: SmtpCapture;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let ssoco: SeededOrg;
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  const login = (email: string, password: string, org?: string) => request(t.app).post('/auth/password/login').send({ email, password, ...(org ? { org } : {}) });
  /** Signs in with the password and returns the cookie and the CSRF token the session's pages carry. */
  const session = async (email: string, password = OLD, org?: string) => {
    const cookie = sessionCookieOf(await login(email, password, org).expect(200));
    const me = await request(t.app).get('/api/session').set('Cookie', cookie).expect(200);
    return { cookie, csrf: String(me.body.csrfToken) };
  };
  const change = (who: { cookie: string; csrf: string }, body: Record<string, unknown>) =>
    request(t.app).post('/api/session/password').set('Cookie', who.cookie).set('X-CSRF-Token', who.csrf).send(body);
  const reasons = (res: request.Response, field: string) =>
    (res.body.error.details.problems as Array<{ field: string; reason: string }>).filter((p) => p.field === field).map((p) => p.reason).join(' | ');
  const userId = async (email: string, org: SeededOrg) => (await t.container.fork().findOneOrFail(User, { email, org: org.id })).id;

  before(async () => {
    smtp = await startSmtpCapture();
    t = await createTestApp({ clock, config: { smtpUrl: smtp.url, auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } } });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    ssoco = await seedOrg(t.container, 'ssoco');
    await setOrgSettings(t.container, ssoco, { ssoEnforced: true });
  });
  beforeEach(() => clock.advance(60_000));
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('sets the new password, keeps this session, ends the others, records one event and mails the person', async () => {
    await seedPerson(t.container, acme, 'ann@acme.test', { password: OLD });
    const other = await session('ann@acme.test');
    const here = await session('ann@acme.test');
    const res = await change(here, { currentPassword: OLD, newPassword: NEW, confirmPassword: NEW }).expect(200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.body, { status: 'password_changed', endedSessions: 1 });

    await request(t.app).get('/api/session').set('Cookie', here.cookie).expect(200);
    await request(t.app).get('/api/session').set('Cookie', other.cookie).expect(401);
    await login('ann@acme.test', OLD).expect(401);
    await login('ann@acme.test', NEW).expect(200);

    const id = await userId('ann@acme.test', acme);
    const events = await t.container.fork().find(AuditEvent, { action: 'auth.password_changed' });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.targetId, id);
    assert.equal(events[0]!.actorId, id);
    assert.equal((events[0]!.details as Record<string, unknown>).endedSessions, 1);
    assert.doesNotMatch(JSON.stringify(events[0]), new RegExp(`${OLD}|${NEW}`));

    await t.container.outbox.deliverDue(clock.now());
    const mail = smtp.textsTo('ann@acme.test').at(-1) ?? '';
    assert.match(mail, /Subject: Your Gatehouse password was changed/);
    assert.match(mail, /password for ann@acme\.test was changed on 2026-12-01 at 09:0\d UTC/);
    assert.match(mail, /If this was not you, reset your password now: https:\/\/gatehouse\.test\/auth\/password\/reset/);
    assert.doesNotMatch(mail, new RegExp(NEW));
  });

  it('refuses a wrong current password naming the field, counts it toward the sign-in lockout, and locks like sign-in', async () => {
    await seedPerson(t.container, acme, 'lou@acme.test', { password: OLD });
    const owner = await session('lou@acme.test');
    const who = await session('lou@acme.test');
    for (let i = 0; i < 4; i++) {
      const res = await change(who, { currentPassword: `Wrong-Password-${i}`, newPassword: NEW }).expect(400);
      assert.equal(res.body.error.code, 'invalid_input');
      assert.equal(reasons(res, 'currentPassword'), 'is incorrect');
      assert.equal(res.body.error.details.sessionEnded, undefined);
    }
    const fifth = await change(who, { currentPassword: 'Wrong-Password-4', newPassword: NEW }).expect(400);
    assert.match(reasons(fifth, 'currentPassword'), /^is incorrect; after too many wrong passwords it is locked for 15 minutes/);
    const locked = await change(owner, { currentPassword: OLD, newPassword: NEW }).expect(429);
    assert.equal(locked.body.error.code, 'rate_limited');
    assert.equal(locked.body.error.details.reason, 'account_locked');
    assert.equal(locked.headers['retry-after'], String(15 * 60));
    await login('lou@acme.test', OLD).expect(401); // the same lock as sign-in
    const id = await userId('lou@acme.test', acme);
    assert.equal(await t.container.fork().count(AuditEvent, { action: 'auth.password_change_failed', targetId: id }), 6);
    assert.equal(await t.container.fork().count(AuditEvent, { action: 'auth.locked', targetId: id }), 1);

    clock.advance(15 * 60_000);
    await change(owner, { currentPassword: OLD, newPassword: NEW }).expect(200);
    const credential = await t.container.fork().findOneOrFail(Credential, { email: 'lou@acme.test' });
    assert.equal(credential.failedAttempts, 0);
  });

  it('signs out the session whose wrong guesses lock the password, says so, and leaves the person’s other sessions signed in', async () => {
    await seedPerson(t.container, acme, 'kim@acme.test', { password: OLD });
    const owner = await session('kim@acme.test');
    const stolen = await session('kim@acme.test');
    const sessionId = (await request(t.app).get('/api/session').set('Cookie', stolen.cookie).expect(200)).body.session.id as string;
    for (let i = 0; i < 4; i++) await change(stolen, { currentPassword: `Wrong-Password-${i}`, newPassword: NEW }).expect(400);
    await request(t.app).get('/api/session').set('Cookie', stolen.cookie).expect(200);

    const fifth = await change(stolen, { currentPassword: 'Wrong-Password-4', newPassword: NEW }).expect(400);
    assert.equal(fifth.body.error.code, 'invalid_input');
    assert.match(reasons(fifth, 'currentPassword'), /locked for 15 minutes, for sign-in too, and this session is signed out$/);
    assert.equal(fifth.body.error.details.sessionEnded, true);
    assert.match(String(fifth.headers['set-cookie']), /Max-Age=0|Expires=Thu, 01 Jan 1970/, 'the cookie is cleared');
    await request(t.app).get('/api/session').set('Cookie', stolen.cookie).expect(401);
    await change(stolen, { currentPassword: OLD, newPassword: NEW }).expect(401);
    await request(t.app).get('/api/session').set('Cookie', owner.cookie).expect(200);

    const id = await userId('kim@acme.test', acme);
    const ended = await t.container.fork().find(AuditEvent, { action: 'session.revoked', targetId: sessionId });
    assert.equal(ended.length, 1);
    assert.equal(ended[0]!.actorId, id);
    assert.deepEqual(ended[0]!.details, { userId: id, method: 'password', reason: 'password_locked' });
  });

  it('holds the new password to the strictest policy of the person’s orgs, as a reset does, and stores nothing when refused', async () => {
    await setOrgSettings(t.container, globex, { passwordPolicy: { minLength: 20 } });
    await seedPerson(t.container, acme, 'pat@both.test', { password: OLD });
    await seedPerson(t.container, globex, 'pat@both.test');
    const who = await session('pat@both.test', OLD, 'acme');
    const weak = await change(who, { currentPassword: OLD, newPassword: 'password1' }).expect(400);
    assert.match(reasons(weak, 'newPassword'), /at least 20 characters/);
    assert.match(reasons(weak, 'newPassword'), /too common/);
    const mismatch = await change(who, { currentPassword: OLD, newPassword: 'Green-Meadow-Kite-77-Long', confirmPassword: 'Green-Meadow-Kite-77-Lung' }).expect(400);
    assert.equal(reasons(mismatch, 'confirmPassword'), 'does not match the new password');
    const same = await change(who, { currentPassword: OLD, newPassword: OLD }).expect(400);
    assert.match(reasons(same, 'newPassword'), /must differ from your current password/);
    const both = await change(who, { currentPassword: 'Wrong-Password-1', newPassword: 'short' }).expect(400);
    assert.equal(reasons(both, 'currentPassword'), 'is incorrect');
    assert.match(reasons(both, 'newPassword'), /at least 20 characters/);
    const missing = await change(who, {}).expect(400);
    assert.deepEqual(missing.body.error.details.problems.map((p: { field: string }) => p.field).sort(), ['currentPassword', 'newPassword']);
    await login('pat@both.test', OLD, 'acme').expect(200);
    await change(who, { currentPassword: OLD, newPassword: 'Green-Meadow-Kite-77-Long' }).expect(200);
  });

  it('tells a person whose every org enforces single sign-on that they have no password to change', async () => {
    const sam = await signIn(t, ssoco, 'sam@ssoco.test', { now: clock.now() });
    const res = await change(sam, { currentPassword: OLD, newPassword: NEW }).expect(403);
    assert.equal(res.body.error.code, 'forbidden');
    assert.equal(res.body.error.details.reason, 'sso_enforced');
    assert.match(res.body.error.message, /single sign-on/);
  });

  it('lets a person signed in through SSO change the password another org of theirs uses', async () => {
    await seedPerson(t.container, globex, 'mia@mixed.test', { password: OLD });
    const mia = await signIn(t, ssoco, 'mia@mixed.test', { now: clock.now() });
    await change(mia, { currentPassword: OLD, newPassword: 'Green-Meadow-Kite-77-Longer' }).expect(200);
    await login('mia@mixed.test', 'Green-Meadow-Kite-77-Longer', 'globex').expect(200);
  });

  it('tells a person who never set a password to set one with a reset link', async () => {
    const ned = await signIn(t, acme, 'ned@acme.test', { now: clock.now() });
    const res = await change(ned, { currentPassword: OLD, newPassword: NEW }).expect(403);
    assert.equal(res.body.error.details.reason, 'not_set');
    assert.match(res.body.error.message, /Forgot your password/);
  });

  it('needs the session cookie, its X-CSRF-Token and a JSON body from this site', async () => {
    await seedPerson(t.container, acme, 'cy@acme.test', { password: OLD });
    const who = await session('cy@acme.test');
    const body = { currentPassword: OLD, newPassword: NEW };
    await request(t.app).post('/api/session/password').send(body).expect(401);
    const noCsrf = await request(t.app).post('/api/session/password').set('Cookie', who.cookie).send(body).expect(403);
    assert.equal(noCsrf.body.error.code, 'csrf_failed');
    await request(t.app).post('/api/session/password').set('Cookie', who.cookie).set('X-CSRF-Token', 'forged').send(body).expect(403);
    const cross = await change(who, body).set('Origin', 'https://evil.test').expect(403);
    assert.equal(cross.body.error.code, 'cross_origin');
    await request(t.app).post('/api/session/password').set('Cookie', who.cookie).set('X-CSRF-Token', who.csrf).type('form').send(body).expect(415);
    await login('cy@acme.test', OLD).expect(200);
  });
});
