import assert from 'node:assert/strict';
import request from 'supertest';
import { AuditEvent, OutboxMessage, PasswordReset, User } from '../../src/db/entities/index.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { resetLinkIn, startSmtpCapture, type SmtpCapture } from '../mail/support/smtp.ts';
import { seedPerson, sessionCookieOf, setOrgSettings } from './support/people.ts';

const OLD = 'Blue-Harbor-Lamp-42';
const NEW = 'Green-Meadow-Kite-77';

describe('password reset', () => {
  let t: TestApp;
  let smtp: SmtpCapture;
  let acme: SeededOrg;
  let globex: SeededOrg;
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  const deliver = () => t.container.outbox.deliverDue(clock.now());
  const requestReset = (email: string) => request(t.app).post('/auth/password/reset-request').send({ email });
  const login = (email: string, password: string) => request(t.app).post('/auth/password/login').send({ email, password });
  /** Asks for a link for `email` and returns the token from the mail the SMTP server received. */
  const mailedToken = async (email: string): Promise<string> => {
    await requestReset(email).expect(202);
    await deliver();
    const texts = smtp.textsTo(email);
    assert.ok(texts.length, `a mail reached ${email}`);
    return resetLinkIn(texts.at(-1)!);
  };

  before(async () => {
    smtp = await startSmtpCapture();
    t = await createTestApp({ clock, config: { smtpUrl: smtp.url, auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } } });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    await seedPerson(t.container, acme, 'ann@acme.test', { password: OLD });
    await seedPerson(t.container, acme, 'bob@acme.test');
    await seedPerson(t.container, globex, 'gil@globex.test', { password: OLD });
  });
  beforeEach(() => clock.advance(5 * 60_000)); // past the one-mail-a-minute guard
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('mails a link over SMTP, shows an accessible form, sets the password and ends other sessions', async () => {
    const cookie = sessionCookieOf(await login('ann@acme.test', OLD).expect(200));
    const token = await mailedToken('ann@acme.test');
    const mail = smtp.textsTo('ann@acme.test').at(-1)!;
    assert.match(mail, new RegExp(`https://gatehouse\\.test/auth/password/reset/${token}`));
    assert.match(mail, /Subject: Reset your password/);

    const page = await request(t.app).get(`/auth/password/reset/${token}`).expect(200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.text, /<html lang="en">/);
    assert.match(page.text, /<label for="password">New password<\/label>/);
    assert.match(page.text, new RegExp(`<form method="post" action="/auth/password/reset/${token}">`));

    const done = await request(t.app).post(`/auth/password/reset/${token}`).send({ password: NEW }).expect(200);
    assert.equal(done.body.endedSessions, 1);
    await request(t.app).get('/api/session').set('Cookie', cookie).expect(401);
    await login('ann@acme.test', OLD).expect(401);
    await login('ann@acme.test', NEW).expect(200);
    const user = await t.container.fork().findOneOrFail(User, { email: 'ann@acme.test' });
    assert.equal(await t.container.fork().count(AuditEvent, { action: 'auth.password_reset', targetId: user.id }), 1);
  });

  it('lets a person without a password (admin- or SCIM-made) set a first one', async () => {
    const token = await mailedToken('bob@acme.test');
    await request(t.app).post(`/auth/password/reset/${token}`).type('form').send({ password: NEW, confirmPassword: NEW }).expect(200);
    await login('bob@acme.test', NEW).expect(200);
  });

  it('answers 202 with the same body for an unknown address and queues nothing', async () => {
    const known = await requestReset('gil@globex.test').expect(202);
    const before = await t.container.fork().count(OutboxMessage, {});
    const unknown = await requestReset('stranger@nowhere.test').expect(202);
    assert.deepEqual(unknown.body, known.body);
    assert.equal(await t.container.fork().count(OutboxMessage, {}), before);
  });

  it('accepts a link once only', async () => {
    const token = await mailedToken('gil@globex.test');
    await request(t.app).post(`/auth/password/reset/${token}`).send({ password: NEW }).expect(200);
    const again = await request(t.app).post(`/auth/password/reset/${token}`).send({ password: 'Another-Fine-Pass-9' }).expect(410);
    assert.equal(again.body.error.code, 'invalid_reset_link');
    assert.equal(again.body.error.details.requestId, again.headers['x-request-id']);
    await request(t.app).get(`/auth/password/reset/${token}`).expect(410);
  });

  it('refuses a link after one hour', async () => {
    const token = await mailedToken('gil@globex.test');
    clock.advance(60 * 60_000);
    const page = await request(t.app).get(`/auth/password/reset/${token}`).expect(410);
    assert.match(page.text, /expired or was already used/);
    await request(t.app).post(`/auth/password/reset/${token}`).send({ password: NEW }).expect(410);
  });

  it('makes the previous link stop working when a new one is sent', async () => {
    const first = await mailedToken('gil@globex.test');
    clock.advance(2 * 60_000);
    const second = await mailedToken('gil@globex.test');
    await request(t.app).get(`/auth/password/reset/${first}`).expect(410);
    await request(t.app).get(`/auth/password/reset/${second}`).expect(200);
  });

  it('sends at most one mail a minute to the same address', async () => {
    const before = await t.container.fork().count(PasswordReset, { email: 'gil@globex.test' });
    await requestReset('gil@globex.test').expect(202);
    await requestReset('gil@globex.test').expect(202);
    assert.equal(await t.container.fork().count(PasswordReset, { email: 'gil@globex.test' }), before + 1);
  });

  it('enforces the password policy on the new password, naming the reasons', async () => {
    const token = await mailedToken('gil@globex.test');
    const res = await request(t.app).post(`/auth/password/reset/${token}`).send({ password: 'password1' }).expect(400);
    const reasons = res.body.error.details.problems.map((p: { reason: string }) => p.reason).join(' | ');
    assert.match(reasons, /at least 12 characters/);
    assert.match(reasons, /too common/);
    const form = await request(t.app).post(`/auth/password/reset/${token}`).type('form').send({ password: NEW, confirmPassword: 'different' }).expect(400);
    assert.match(form.text, /role="alert"/);
    assert.match(form.text, /does not match/);
    await request(t.app).get(`/auth/password/reset/${token}`).expect(200); // still usable
  });

  it('lists every broken rule at once, a mismatched confirmation among them, each under its label', async () => {
    const token = await mailedToken('gil@globex.test');
    const res = await request(t.app).post(`/auth/password/reset/${token}`).send({ password: 'short', confirmPassword: 'shorter' }).expect(400);
    const problems = res.body.error.details.problems.map((p: { field: string; reason: string }) => `${p.field}: ${p.reason}`);
    assert.ok(problems.some((p: string) => /^password: .*at least 12 characters/.test(p)), problems.join(' | '));
    assert.ok(problems.includes('confirmPassword: does not match the new password'), problems.join(' | '));

    const form = await request(t.app).post(`/auth/password/reset/${token}`).type('form').send({ password: 'short', confirmPassword: 'shorter' }).expect(400);
    assert.match(form.text, /<li>New password: must be at least 12 characters long<\/li>/);
    assert.match(form.text, /<li>New password again: does not match the new password<\/li>/);
    assert.doesNotMatch(form.text, /confirmPassword:/);
    await request(t.app).get(`/auth/password/reset/${token}`).expect(200); // still usable
  });

  it('sends no link to a person whose only org enforces SSO', async () => {
    const ssoco = await seedOrg(t.container, 'ssoco');
    await setOrgSettings(t.container, ssoco, { ssoEnforced: true });
    await seedPerson(t.container, ssoco, 'sam@ssoco.test');
    await requestReset('sam@ssoco.test').expect(202);
    assert.equal(await t.container.fork().count(PasswordReset, { email: 'sam@ssoco.test' }), 0);
  });

  describe('admin-sent reset', () => {
    const adminReset = (org: SeededOrg, userId: string, token = org.tokens.admin) =>
      request(t.app).post(`/api/orgs/${org.slug}/users/${userId}/password-reset`).set('Authorization', `Bearer ${token}`);

    it('queues a link for a user of the org (202) and records who sent it', async () => {
      const bob = await t.container.fork().findOneOrFail(User, { email: 'bob@acme.test' });
      await adminReset(acme, bob.id).expect(202);
      await deliver();
      const mail = smtp.textsTo('bob@acme.test').at(-1)!;
      assert.match(mail, /An administrator of acme inc sent you a link/);
      resetLinkIn(mail);
      const event = await t.container.fork().findOneOrFail(AuditEvent, { action: 'auth.password_reset_requested', targetId: bob.id, actorType: 'admin_token' });
      assert.equal(event.org.id, acme.id);
    });

    it('cannot reach a user of another org', async () => {
      const gil = await t.container.fork().findOneOrFail(User, { email: 'gil@globex.test' });
      const before = await t.container.fork().count(PasswordReset, { email: 'gil@globex.test' });
      await adminReset(acme, gil.id).expect(404);
      await adminReset(globex, gil.id, acme.tokens.admin).expect(403);
      await request(t.app).post(`/api/orgs/globex/users/${gil.id}/password-reset`).expect(401);
      await adminReset(acme, 'not-a-uuid').expect(404);
      assert.equal(await t.container.fork().count(PasswordReset, { email: 'gil@globex.test' }), before);
    });

    it('sends at most one mail per address per minute, as the self-service form: a second answers 429 with Retry-After', async () => {
      const cy = await seedPerson(t.container, acme, 'cy@acme.test');
      await adminReset(acme, cy.id).expect(202);
      const again = await adminReset(acme, cy.id).expect(429);
      assert.equal(again.body.error.code, 'rate_limited');
      assert.ok(Number(again.headers['retry-after']) > 0 && Number(again.headers['retry-after']) <= 60);
      assert.equal(await t.container.fork().count(PasswordReset, { email: 'cy@acme.test' }), 1);
    });

    it('refuses a disabled user with 409', async () => {
      const dis = await seedPerson(t.container, acme, 'dis@acme.test', { state: 'disabled' });
      await adminReset(acme, dis.id).expect(409);
    });

    it('refuses a deleted user with 409 naming the state, as it lists them (restore first), not 404', async () => {
      const gone = await seedPerson(t.container, acme, 'gone@acme.test', { state: 'deleted' });
      const res = await adminReset(acme, gone.id).expect(409);
      assert.match(res.body.error.message, /deleted/);
      assert.equal(await t.container.fork().count(PasswordReset, { email: 'gone@acme.test' }), 0);
    });
  });
});
