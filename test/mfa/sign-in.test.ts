import assert from 'node:assert/strict';
import request from 'supertest';
import { fixedClock } from '../../src/lib/clock.ts';
import { base32Decode, totp } from '../../src/lib/totp.ts';
import { qrSvg } from '../../src/lib/qr.ts';
import { seedPerson, sessionCookieOf, setOrgSettings } from '../auth/support/people.ts';
import { addUser, api, sql } from '../people/support.ts';
import { createInvitationWorld, invite, inviteTokenFor, register, STRONG_PASSWORD as PASSWORD, type InvitationWorld } from '../invitations/support.ts';

const STEP = 30_000;

describe('two-factor sign-in', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let w: InvitationWorld;
  const app = () => w.t.app;
  const login = (email: string) => request(app()).post('/auth/password/login').send({ email, password: PASSWORD });
  const post = (path: string, body: Record<string, unknown>) => request(app()).post(`/auth/mfa${path}`).send(body);
  const codeIn = (email: string) => {
    const text = w.smtp.textsTo(email).at(-1) ?? '';
    const match = /sign-in code is (\d{6})/.exec(text);
    if (!match) throw new Error(`no code in:\n${text}`);
    return match[1]!;
  };
  /** Signs in with the password, enrols TOTP and returns the key and recovery codes. */
  const enrolTotp = async (email: string) => {
    const pending = (await login(email).expect(200)).body;
    assert.equal(pending.purpose, 'enroll');
    const started = (await post('/enroll', { challenge: pending.challenge, method: 'totp' }).expect(200)).body;
    const key = base32Decode(started.secret)!;
    const done = await post('/enroll/confirm', { challenge: pending.challenge, code: totp(key, clock.now()) }).expect(200);
    return { key, recoveryCodes: done.body.recoveryCodes as string[], res: done };
  };

  before(async () => {
    w = await createInvitationWorld(clock);
    await setOrgSettings(w.t.container, w.acme, { requireTwoFactor: true });
  });
  after(() => w.close());

  it('signs in as before in an org without requireTwoFactor', async () => {
    await seedPerson(w.t.container, w.globex, 'gil@globex.test', { password: PASSWORD });
    const res = await login('gil@globex.test').expect(200);
    assert.equal(res.body.mfaRequired, undefined);
    sessionCookieOf(res);
  });

  it('enrols an authenticator at first sign-in, then verifies it at the next', async () => {
    await seedPerson(w.t.container, w.acme, 'ann@acme.test', { password: PASSWORD });
    const first = await login('ann@acme.test').expect(200);
    assert.equal(first.headers['set-cookie'], undefined, 'no session before the second factor');
    assert.equal(first.body.mfaRequired, true);
    assert.match(first.body.challenge, /^gh_mfa_/);
    const started = (await post('/enroll', { challenge: first.body.challenge, method: 'totp' }).expect(200)).body;
    assert.equal(started.otpauthUri, `otpauth://totp/Gatehouse:ann%40acme.test?secret=${started.secret}&issuer=Gatehouse`);
    const key = base32Decode(started.secret)!;
    const done = await post('/enroll/confirm', { challenge: first.body.challenge, code: totp(key, clock.now()) }).expect(200);
    assert.equal(done.body.recoveryCodes.length, 10);
    const me = await request(app()).get('/api/session').set('Cookie', sessionCookieOf(done)).expect(200);
    assert.equal(me.body.session.method, 'password');

    clock.advance(STEP);
    const next = (await login('ann@acme.test').expect(200)).body;
    assert.equal(next.purpose, 'verify');
    assert.deepEqual(next.methods, ['totp', 'recovery']);
    const verified = await post('/verify', { challenge: next.challenge, code: totp(key, clock.now()) }).expect(200);
    sessionCookieOf(verified);
    const actions = (await sql(w.t, `select action from audit_events where target_label = 'ann@acme.test' and action like 'auth.mfa%' order by id`)).map((r) => r.action);
    assert.deepEqual(actions, ['auth.mfa_enrolled', 'auth.mfa_verified']);
  });

  it('accepts a code one step away, refuses two steps away, and refuses a replayed step', async () => {
    await seedPerson(w.t.container, w.acme, 'tim@acme.test', { password: PASSWORD });
    const { key } = await enrolTotp('tim@acme.test');
    clock.advance(5 * STEP);
    let challenge = (await login('tim@acme.test').expect(200)).body.challenge;
    await post('/verify', { challenge, code: totp(key, new Date(clock.now().getTime() - 2 * STEP)) }).expect(400);
    await post('/verify', { challenge, code: totp(key, new Date(clock.now().getTime() + 2 * STEP)) }).expect(400);
    const code = totp(key, new Date(clock.now().getTime() - STEP));
    await post('/verify', { challenge, code }).expect(200);
    challenge = (await login('tim@acme.test').expect(200)).body.challenge;
    const replay = await post('/verify', { challenge, code }).expect(400);
    assert.equal(replay.body.error.code, 'invalid_code');
  });

  it('lets a recovery code sign in once', async () => {
    await seedPerson(w.t.container, w.acme, 'rae@acme.test', { password: PASSWORD });
    const { recoveryCodes } = await enrolTotp('rae@acme.test');
    const code = recoveryCodes[0]!;
    await post('/verify', { challenge: (await login('rae@acme.test')).body.challenge, code: code.toUpperCase() }).expect(200);
    await post('/verify', { challenge: (await login('rae@acme.test')).body.challenge, code }).expect(400);
    const events = await sql(w.t, `select details from audit_events where action = 'auth.mfa_recovery_used' and target_label = 'rae@acme.test'`);
    assert.equal((events[0]!.details as { recoveryCodesLeft: number }).recoveryCodesLeft, 9);
  });

  it('ends the challenge after 5 wrong codes: the person must sign in again', async () => {
    await seedPerson(w.t.container, w.acme, 'wes@acme.test', { password: PASSWORD });
    const { key } = await enrolTotp('wes@acme.test');
    clock.advance(5 * STEP);
    const challenge = (await login('wes@acme.test')).body.challenge;
    for (let i = 0; i < 4; i++) await post('/verify', { challenge, code: '000000' }).expect(400);
    const fifth = await post('/verify', { challenge, code: '000000' }).expect(401);
    assert.equal(fifth.body.error.code, 'mfa_challenge_invalid');
    assert.equal(fifth.body.error.details.requestId, fifth.headers['x-request-id']);
    await post('/verify', { challenge, code: totp(key, clock.now()) }).expect(401);
    assert.equal((await sql(w.t, `select count(*)::int as n from audit_events where action = 'auth.mfa_failed' and target_label = 'wes@acme.test'`))[0]!.n, 5);
    await post('/verify', { challenge: (await login('wes@acme.test')).body.challenge, code: totp(key, clock.now()) }).expect(200);
  });

  it('holds the second step for 15 minutes after 10 wrong codes, however often the password is entered again', async () => {
    await seedPerson(w.t.container, w.acme, 'liv@acme.test', { password: PASSWORD });
    const { key } = await enrolTotp('liv@acme.test');
    clock.advance(5 * STEP);
    for (let round = 0; round < 2; round++) {
      const challenge = (await login('liv@acme.test').expect(200)).body.challenge;
      for (let i = 0; i < 4; i++) await post('/verify', { challenge, code: '000000' }).expect(400);
      await post('/verify', { challenge, code: '000000' }).expect(401);
    }
    const challenge = (await login('liv@acme.test').expect(200)).body.challenge;
    const held = await post('/verify', { challenge, code: totp(key, clock.now()) }).expect(429);
    assert.match(held.body.error.message, /Too many wrong codes for this account/);
    assert.ok(Number(held.headers['retry-after']) > 0 && Number(held.headers['retry-after']) <= 900, held.headers['retry-after']);
    clock.advance(15 * 60_000 + STEP);
    await post('/verify', { challenge: (await login('liv@acme.test').expect(200)).body.challenge, code: totp(key, clock.now()) }).expect(200);
  });

  it('tells a form when to retry a second step held back (429 with Retry-After), as it tells JSON', async () => {
    await seedPerson(w.t.container, w.acme, 'rey@acme.test', { password: PASSWORD });
    const challenge = (await login('rey@acme.test')).body.challenge;
    await post('/enroll', { challenge, method: 'email' }).expect(200);
    const again = await request(app()).post('/auth/mfa/send').type('form').send({ challenge, method: 'email' }).expect(429);
    assert.match(again.text, /role="alert"/);
    assert.ok(Number(again.headers['retry-after']) > 0 && Number(again.headers['retry-after']) <= 30, again.headers['retry-after']);
  });

  it('enrols a code by email, delivered over SMTP, that works once; an expired code is refused', async () => {
    await seedPerson(w.t.container, w.acme, 'eve@acme.test', { password: PASSWORD });
    const challenge = (await login('eve@acme.test')).body.challenge;
    await post('/enroll', { challenge, method: 'email' }).expect(200);
    await w.t.container.outbox.deliverDue(clock.now());
    const stale = codeIn('eve@acme.test');
    // Someone else at this step knows the password: the mail says how to replace it, signed in or not.
    assert.match(w.smtp.textsTo('eve@acme.test').at(-1) ?? '', /If you did not try to sign in, someone knows your password: change it \("Change password" at the top of the console\) or reset it \("Forgot your password\?" on the sign-in page\)\./);
    clock.advance(10 * 60_000 + 1000);
    await post('/enroll/confirm', { challenge, code: stale }).expect(400);
    await post('/send', { challenge, method: 'email' }).expect(202);
    await post('/send', { challenge, method: 'email' }).expect(429);
    await w.t.container.outbox.deliverDue(clock.now());
    const fresh = codeIn('eve@acme.test');
    await post('/enroll/confirm', { challenge, code: fresh }).expect(200);

    clock.advance(60_000);
    const next = (await login('eve@acme.test')).body;
    assert.deepEqual(next.methods, ['email', 'recovery']);
    // Nothing is sent until asked: the page says so before its code field.
    const page = await request(app()).get(`/auth/mfa?challenge=${encodeURIComponent(next.challenge)}`).expect(200);
    assert.match(page.text, /Press “Email me a code”[^<]*, then enter/);
    assert.ok(page.text.indexOf('Press “Email me a code”') < page.text.indexOf('<label for="code">'));
    await post('/send', { challenge: next.challenge, method: 'email' }).expect(202);
    await w.t.container.outbox.deliverDue(clock.now());
    const code = codeIn('eve@acme.test');
    await post('/verify', { challenge: next.challenge, code }).expect(200);
    await post('/verify', { challenge: next.challenge, code }).expect(401);
  });

  it('sends an SMS code through the default sender (kept in the outbox as kind sms)', async () => {
    await seedPerson(w.t.container, w.acme, 'sam@acme.test', { password: PASSWORD });
    const challenge = (await login('sam@acme.test')).body.challenge;
    const started = (await post('/enroll', { challenge, method: 'sms', phone: '+44 7700 900123' }).expect(200)).body;
    assert.equal(started.sentTo, '+447700900123');
    const row = (await sql(w.t, `select text, sent_at from outbox_messages where kind = 'sms' and "to" = '+447700900123'`))[0]!;
    assert.ok(row.sent_at, 'never handed to the mailer');
    const code = /code is (\d{6})/.exec(String(row.text))![1]!;
    await post('/enroll/confirm', { challenge, code }).expect(200);
  });

  it('leads an invitee of a 2FA org from registration to enrolment', async () => {
    await invite(w, w.acme, { emails: 'ivy@acme.test' });
    const res = await register(w, inviteTokenFor(w.smtp, 'ivy@acme.test')).expect(303);
    assert.match(res.headers.location!, /^\/auth\/mfa\/enroll\?challenge=gh_mfa_/);
    assert.equal(res.headers['set-cookie'], undefined);
    const page = await request(app()).get(res.headers.location!).expect(200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.text, /<html lang="en">/);
    assert.match(page.text, /<label for="method-totp"/);
    const challenge = decodeURIComponent(res.headers.location!.split('challenge=')[1]!);
    const form = await request(app()).post('/auth/mfa/enroll').type('form').send({ challenge, method: 'totp' }).expect(200);
    assert.match(form.text, /otpauth:\/\/totp\/Gatehouse:ivy%40acme\.test\?secret=[A-Z2-7]+&amp;issuer=Gatehouse/);
    const secret = /secret=([A-Z2-7]+)/.exec(form.text)![1]!;
    const done = await request(app()).post('/auth/mfa/enroll/confirm').type('form').send({ challenge, code: totp(base32Decode(secret)!, clock.now()) }).expect(200);
    assert.match(done.text, /Save your recovery codes/);
    sessionCookieOf(done);
  });

  it('shows a QR code of the otpauth URI at authenticator enrolment (inline SVG, strict CSP), beside the key to type, and not again after a wrong code', async () => {
    await seedPerson(w.t.container, w.acme, 'quinn@acme.test', { password: PASSWORD });
    const { challenge } = (await login('quinn@acme.test').expect(200)).body;
    const form = await request(app()).post('/auth/mfa/enroll').type('form').send({ challenge, method: 'totp' }).expect(200);
    const uri = /<a href="(otpauth:[^"]+)">/.exec(form.text)![1]!.replace(/&amp;/g, '&');
    assert.match(form.text, /scan this QR code/);
    assert.ok(form.text.includes(qrSvg(uri, 'QR code to add Gatehouse to an authenticator app')), 'the SVG of the page\'s own otpauth URI');
    assert.match(form.text, /Key: <code>[A-Z2-7 ]+<\/code>/);
    assert.doesNotMatch(form.text, /<script|<img/);
    const csp = String(form.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const wrong = await request(app()).post('/auth/mfa/enroll/confirm').type('form').send({ challenge, code: '000000' }).expect(400);
    assert.doesNotMatch(wrong.text, /<svg/);
  });

  it('answers a wrong authenticator code at enrolment with the app step again, not a "we sent a code" page', async () => {
    await seedPerson(w.t.container, w.acme, 'zed@acme.test', { password: PASSWORD });
    const { challenge } = (await login('zed@acme.test').expect(200)).body;
    await request(app()).post('/auth/mfa/enroll').type('form').send({ challenge, method: 'totp' }).expect(200);
    const wrong = await request(app()).post('/auth/mfa/enroll/confirm').type('form').send({ challenge, code: '000000' }).expect(400);
    assert.match(wrong.text, /role="alert"/);
    assert.doesNotMatch(wrong.text, /We sent a code/);
    assert.doesNotMatch(wrong.text, /name="method" value="totp"/, 'no "send a new code" for an authenticator app');
    assert.match(wrong.text, /authenticator app/);
    const restart = /<a href="([^"]*\/auth\/mfa\/enroll\?challenge=[^"]+)">/.exec(wrong.text)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(restart, 'a link to start the set-up over (the key is not shown again)');
    await request(app()).get(restart).expect(200);
  });

  it('sends a form sign-in to the second-step page', async () => {
    const res = await request(app()).post('/auth/password/login').type('form').send({ email: 'ann@acme.test', password: PASSWORD }).expect(303);
    assert.match(res.headers.location!, /^\/auth\/mfa\?challenge=gh_mfa_/);
    const page = await request(app()).get(res.headers.location!).expect(200);
    assert.match(page.text, /<label for="code">Code<\/label>/);
  });

  it('carries the console page asked for (`next`) through the second step, and only a console page', async () => {
    await seedPerson(w.t.container, w.acme, 'nia@acme.test', { password: PASSWORD });
    const { key } = await enrolTotp('nia@acme.test');
    const wanted = '/console/users?status=pending';
    for (const [asked, landing] of [[wanted, wanted], ['https://evil.example/console', '/console']] as const) {
      clock.advance(STEP);
      const res = await request(app()).post('/auth/password/login').type('form').send({ email: 'nia@acme.test', password: PASSWORD, next: asked }).expect(303);
      const page = await request(app()).get(res.headers.location!).expect(200);
      const challenge = decodeURIComponent(/challenge=([^&]+)/.exec(res.headers.location!)![1]!);
      const carried = /name="next" value="([^"]*)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');
      assert.equal(carried, landing, 'the verify form carries the landing page');
      const done = await request(app()).post('/auth/mfa/verify').type('form').send({ challenge, code: totp(key, clock.now()), next: carried }).expect(303);
      assert.equal(done.headers.location, landing);
      sessionCookieOf(done);
    }
  });

  it('lets an admin reset a person\'s factors, only for a user of their own org', async () => {
    await seedPerson(w.t.container, w.acme, 'lou@acme.test', { password: PASSWORD });
    await enrolTotp('lou@acme.test');
    const userId = String((await sql(w.t, `select id from users where email = 'lou@acme.test'`))[0]!.id);
    await api(w.t, w.globex).post(`/users/${userId}/mfa/reset`, {}).expect(404);
    await api(w.t, w.acme).post(`/users/${userId}/mfa/reset`, {}).expect(204);
    assert.equal((await sql(w.t, `select count(*)::int as n from second_factors where email = 'lou@acme.test'`))[0]!.n, 0);
    assert.equal((await login('lou@acme.test').expect(200)).body.purpose, 'enroll');
    assert.equal((await sql(w.t, `select count(*)::int as n from audit_events where action = 'auth.mfa_reset' and target_id = ?`, [userId]))[0]!.n, 1);
  });

  it('refuses one org\'s admin the factors of a person who also signs in to another org (any org can give a profile any address)', async () => {
    await seedPerson(w.t.container, w.acme, 'vic@acme.test', { password: PASSWORD });
    await enrolTotp('vic@acme.test');
    // A hostile tenant makes a profile of its own with the victim's address …
    const userId = await addUser(w.t, w.globex, { userName: 'vic@acme.test' });
    // … and tries to strip their second factor in every org.
    const refused = await api(w.t, w.globex).post(`/users/${userId}/mfa/reset`, {}).expect(409);
    assert.match(refused.body.error.message, /also signs in to 1 other organization/);
    assert.equal((await sql(w.t, `select count(*)::int as n from second_factors where email = 'vic@acme.test'`))[0]!.n, 1);
    assert.equal((await sql(w.t, `select count(*)::int as n from audit_events where action = 'auth.mfa_reset' and target_id = ?`, [userId]))[0]!.n, 0);
  });
});
