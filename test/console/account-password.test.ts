import assert from 'node:assert/strict';
import request from 'supertest';
import { AuditEvent } from '../../src/db/entities/index.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { signIn } from '../admin/support.ts';
import { seedPerson, sessionCookieOf, setOrgSettings } from '../auth/support/people.ts';
import type { Browser } from 'playwright-core';
import { checkPage, openPage } from './support/browser.ts';
import type { ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';

const OLD = 'Blue-Harbor-Lamp-42';
const NEW = 'Green-Meadow-Kite-77';
const PAGE = '/console/account/password';

/** The console's change-password page, over plain HTTP: a form that works without JavaScript. */
describe('console: change your password', function () {
  this.timeout(60_000);
  let t: TestApp;
  let acme: SeededOrg;
  let ssoco: SeededOrg;
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  const login = (email: string, password: string) => request(t.app).post('/auth/password/login').send({ email, password });
  const csrfOf = (page: string) => /name="csrfToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
  /** Signs in, opens the page and returns the cookie and the page's CSRF field. */
  const open = async (email: string) => {
    const cookie = sessionCookieOf(await login(email, OLD).expect(200));
    const page = await request(t.app).get(PAGE).set('Cookie', cookie).expect(200);
    return { cookie, page: page.text, csrf: csrfOf(page.text) };
  };
  const post = (cookie: string, body: Record<string, string>) => request(t.app).post(PAGE).set('Cookie', cookie).type('form').send(body);

  before(async () => {
    t = await createTestApp({ clock, config: { auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } } });
    acme = await seedOrg(t.container, 'acme');
    ssoco = await seedOrg(t.container, 'ssoco');
    await setOrgSettings(t.container, ssoco, { ssoEnforced: true });
  });
  beforeEach(() => clock.advance(60_000));
  after(() => t.close());

  it('is linked from the console header and from the person’s own page', async () => {
    const ada = await signIn(t, acme, 'ada@acme.test', { now: clock.now() });
    const users = await request(t.app).get('/console/users').set('Cookie', ada.cookie).expect(200);
    assert.match(users.text, /<a href="\/console\/account\/password">Change password<\/a>/);
    const own = await request(t.app).get(`/console/users/${ada.userId}`).set('Cookie', ada.cookie).expect(200);
    assert.match(own.text, /<a href="\/console\/account\/password">Change your password<\/a>/);
    const bea = await signIn(t, acme, 'bea@acme.test', { now: clock.now() });
    const other = await request(t.app).get(`/console/users/${bea.userId}`).set('Cookie', ada.cookie).expect(200);
    assert.doesNotMatch(other.text, /Change your password/);
  });

  it('sends someone who is not signed in to sign in and back to the page', async () => {
    const res = await request(t.app).get(PAGE).expect(303);
    assert.equal(res.headers.location, `/console/login?next=${encodeURIComponent(PAGE)}`);
  });

  it('shows a labelled form with the policy, changes the password and says so', async () => {
    await seedPerson(t.container, acme, 'ann@acme.test', { password: OLD });
    const other = sessionCookieOf(await login('ann@acme.test', OLD).expect(200));
    const { cookie, page, csrf } = await open('ann@acme.test');
    assert.match(page, /<h1>Change your password<\/h1>/);
    assert.match(page, /<form method="post" action="\/console\/account\/password"/);
    assert.match(page, /<input id="username" name="username" type="email" autocomplete="username" value="ann@acme.test" readonly/);
    assert.match(page, /<label for="currentPassword">Current password<\/label>[\s\S]*<input id="currentPassword" name="currentPassword" type="password" autocomplete="current-password" required/);
    assert.match(page, /<label for="newPassword">New password<\/label>[\s\S]*<input id="newPassword" name="newPassword" type="password" autocomplete="new-password" required minlength="12"/);
    assert.match(page, /At least 12 characters/);
    assert.match(page, /<label for="confirmPassword">New password again<\/label>/);
    assert.match(page, /<a href="\/console\/account\/password" aria-current="page">Change password<\/a>/);
    assert.ok(csrf);

    const done = await post(cookie, { csrfToken: csrf, username: 'ann@acme.test', currentPassword: OLD, newPassword: NEW, confirmPassword: NEW }).expect(303);
    assert.equal(done.headers.location, `${PAGE}?changed=1`);
    const after = await request(t.app).get(`${PAGE}?changed=1`).set('Cookie', cookie).expect(200);
    assert.match(after.text, /role="status">Your password is changed\./);
    await request(t.app).get('/api/session').set('Cookie', other).expect(401);
    await login('ann@acme.test', NEW).expect(200);
    assert.equal(await t.container.fork().count(AuditEvent, { action: 'auth.password_changed' }), 1);
  });

  it('shows each refusal next to its field, keeps the email and never sends a password back', async () => {
    await seedPerson(t.container, acme, 'bob@acme.test', { password: OLD });
    const { cookie, csrf } = await open('bob@acme.test');
    const res = await post(cookie, { csrfToken: csrf, currentPassword: 'Wrong-Password-1', newPassword: 'password1', confirmPassword: 'password2' }).expect(400);
    assert.match(res.text, /role="alert"/);
    assert.match(res.text, /Current password: is incorrect/);
    assert.match(res.text, /New password: must be at least 12 characters long/);
    assert.match(res.text, /New password again: does not match the new password/);
    assert.match(res.text, /<input id="currentPassword"[^>]* aria-invalid="true" aria-describedby="currentPassword-error"/);
    assert.match(res.text, /<p id="currentPassword-error" class="error">is incorrect<\/p>/);
    assert.match(res.text, /value="bob@acme.test" readonly/);
    assert.doesNotMatch(res.text, /Wrong-Password-1|password1|password2/);
    assert.match(res.text, new RegExp(`name="csrfToken" value="${csrf}"`));
    await login('bob@acme.test', OLD).expect(200);
  });

  it('says when the password is locked after too many wrong ones, and signs out the session that made them', async () => {
    await seedPerson(t.container, acme, 'lou@acme.test', { password: OLD });
    const owner = await open('lou@acme.test');
    const { cookie, csrf } = await open('lou@acme.test');
    for (let i = 0; i < 4; i++) await post(cookie, { csrfToken: csrf, currentPassword: `Wrong-Password-${i}`, newPassword: NEW, confirmPassword: NEW }).expect(400);
    const signedOut = await post(cookie, { csrfToken: csrf, currentPassword: 'Wrong-Password-4', newPassword: NEW, confirmPassword: NEW }).expect(400);
    assert.match(signedOut.text, /Too many wrong passwords: your password is locked until 09:\d\d UTC, for sign-in too, and you are signed out here/);
    assert.match(signedOut.text, /<a href="\/console\/login">/);
    assert.doesNotMatch(signedOut.text, /name="csrfToken"/);
    assert.match(String(signedOut.headers['set-cookie']), /Max-Age=0|Expires=Thu, 01 Jan 1970/);
    await request(t.app).get(PAGE).set('Cookie', cookie).expect(303);
    const locked = await post(owner.cookie, { csrfToken: owner.csrf, currentPassword: OLD, newPassword: NEW, confirmPassword: NEW }).expect(429);
    assert.equal(locked.headers['retry-after'], String(15 * 60));
    assert.match(locked.text, /Too many wrong passwords: your password is locked until 09:\d\d UTC/);
  });

  it('refuses a post without the page’s CSRF field or from another site, and changes nothing', async () => {
    await seedPerson(t.container, acme, 'cy@acme.test', { password: OLD });
    const { cookie, csrf } = await open('cy@acme.test');
    const body = { currentPassword: OLD, newPassword: NEW, confirmPassword: NEW };
    const forged = await post(cookie, { ...body, csrfToken: 'forged' }).expect(403);
    assert.match(forged.text, /open the page again/);
    await post(cookie, body).expect(403);
    await post(cookie, { ...body, csrfToken: csrf }).set('Origin', 'https://evil.test').expect(403);
    await post(cookie, { ...body, csrfToken: csrf }).set('Sec-Fetch-Site', 'cross-site').expect(403);
    await login('cy@acme.test', OLD).expect(200);
  });

  it('tells a person of an SSO-enforced org that there is no password to change, and one who never set one how to', async () => {
    const sam = await signIn(t, ssoco, 'sam@ssoco.test', { now: clock.now() });
    const sso = await request(t.app).get(PAGE).set('Cookie', sam.cookie).expect(200);
    assert.match(sso.text, /You sign in with single sign-on/);
    assert.doesNotMatch(sso.text, /<form method="post" action="\/console\/account\/password"/);
    const posted = await post(sam.cookie, { csrfToken: sam.csrf, currentPassword: OLD, newPassword: NEW, confirmPassword: NEW }).expect(403);
    assert.match(posted.text, /You sign in with single sign-on/);
    const ned = await signIn(t, acme, 'ned@acme.test', { now: clock.now() });
    const unset = await request(t.app).get(PAGE).set('Cookie', ned.cookie).expect(200);
    assert.match(unset.text, /You have no Gatehouse password yet/);
    assert.match(unset.text, /href="\/auth\/password\/reset"/);
  });
});

describe('console: change your password in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;

  before(async function () {
    ({ s, browser } = await openConsole(this));
  });
  after(() => closeConsole(s, browser));

  it('goes from the header link to the form, shows a refusal by its field, then changes the password, accessibly', async () => {
    await seedPerson(s.t.container, s.acme, 'pia@acme.test', { password: OLD });
    const cookie = sessionCookieOf(await request(s.app).post('/auth/password/login').send({ email: 'pia@acme.test', password: OLD }).expect(200));
    const { page, problems, close } = await openPage(browser, s.origin, cookie);
    await page.goto(`${s.origin}/console/users`);
    await page.getByRole('link', { name: 'Change password' }).click();
    await page.waitForURL(/\/console\/account\/password$/);
    await checkPage(page, 'account-password');
    assert.deepEqual(problems, []);
    const fill = async (current: string) => {
      await page.getByLabel('Current password').fill(current);
      await page.getByLabel('New password', { exact: true }).fill(NEW);
      await page.getByLabel('New password again').fill(NEW);
      await page.getByRole('button', { name: 'Change password' }).click();
    };
    await fill('Wrong-Password-1');
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /Current password: is incorrect/);
    assert.equal(await page.getByLabel('Current password').getAttribute('aria-invalid'), 'true');
    await checkPage(page, 'account-password-refused');
    // The refused post is answered 400 with the page, which Chromium reports as a failed load; nothing else.
    assert.deepEqual(problems.splice(0), ['console.error: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await fill(OLD);
    await page.waitForURL(/\/console\/account\/password\?changed=1$/);
    assert.match((await page.locator('.notice').textContent()) ?? '', /Your password is changed/);
    assert.deepEqual(problems, []);
    await close();
  });
});
