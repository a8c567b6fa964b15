import assert from 'node:assert/strict';
import request from 'supertest';
import { AuditEvent, Credential, User } from '../../src/db/entities/index.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { seedPerson, sessionCookieOf, setOrgSettings } from './support/people.ts';

const PASSWORD = 'Blue-Harbor-Lamp-42';
const unlimited = { auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } };

describe('password sign-in', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let sso: SeededOrg;
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  const login = (body: Record<string, unknown>) => request(t.app).post('/auth/password/login').send(body);

  before(async () => {
    t = await createTestApp({ clock, config: unlimited });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    sso = await seedOrg(t.container, 'ssoco');
    await setOrgSettings(t.container, sso, { ssoEnforced: true });
    await seedPerson(t.container, acme, 'ann@acme.test', { password: PASSWORD });
    await seedPerson(t.container, acme, 'dis@acme.test', { password: PASSWORD, state: 'disabled' });
    await seedPerson(t.container, acme, 'inv@acme.test', { password: PASSWORD, state: 'invited' });
    await seedPerson(t.container, acme, 'multi@both.test', { password: PASSWORD });
    await seedPerson(t.container, globex, 'multi@both.test');
    await seedPerson(t.container, sso, 'sam@ssoco.test', { password: PASSWORD });
  });
  after(() => t.close());

  it('signs in with email and password, sets the session cookie, and /api/session shows the user', async () => {
    const res = await login({ email: 'Ann@Acme.test ', password: PASSWORD }).expect(200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(String(res.headers['set-cookie']), /__Host-gatehouse_session=gh_session_[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure/);
    const me = await request(t.app).get('/api/session').set('Cookie', sessionCookieOf(res)).expect(200);
    assert.equal(me.body.user.email, 'ann@acme.test');
    assert.equal(me.body.user.orgSlug, 'acme');
    assert.equal(me.body.session.method, 'password');
    const user = await t.container.fork().findOneOrFail(User, { email: 'ann@acme.test' });
    assert.equal(user.lastActiveAt?.getTime(), clock.now().getTime());
    assert.equal(await t.container.fork().count(AuditEvent, { action: 'auth.login', targetId: user.id }), 1);
  });

  it('accepts an HTML form post and redirects with 303', async () => {
    const res = await request(t.app).post('/auth/password/login').type('form').send({ email: 'ann@acme.test', password: PASSWORD }).expect(303);
    assert.equal(res.headers.location, '/console');
    sessionCookieOf(res);
  });

  it('gives the same 401 answer for a wrong password and an unknown email', async () => {
    const wrong = await login({ email: 'ann@acme.test', password: 'Not-The-Password-1' }).expect(401);
    const unknown = await login({ email: 'nobody@acme.test', password: 'Not-The-Password-1' }).expect(401);
    assert.deepEqual(wrong.body, unknown.body);
    assert.equal(wrong.headers['content-type'], unknown.headers['content-type']);
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.equal(wrong.body.error.code, 'unauthenticated');
    const user = await t.container.fork().findOneOrFail(User, { email: 'ann@acme.test' });
    assert.ok((await t.container.fork().count(AuditEvent, { action: 'auth.login_failed', targetId: user.id })) >= 1);
  });

  it('gives a disabled or invited person the same 401 as anyone with a wrong password', async () => {
    const reference = await login({ email: 'nobody@acme.test', password: PASSWORD }).expect(401);
    for (const email of ['dis@acme.test', 'inv@acme.test']) {
      const res = await login({ email, password: 'Not-The-Password-1' }).expect(401);
      assert.deepEqual(res.body, reference.body, email);
    }
  });

  it('tells a disabled or invited person why, once their password is proven, and starts no session', async () => {
    const disabled = await login({ email: 'dis@acme.test', password: PASSWORD }).expect(403);
    assert.equal(disabled.body.error.details.reason, 'account_disabled');
    assert.match(disabled.body.error.message, /disabled.*administrator/);
    assert.equal(disabled.headers['set-cookie'], undefined);
    const invited = await login({ email: 'inv@acme.test', password: PASSWORD }).expect(403);
    assert.equal(invited.body.error.details.reason, 'invitation_pending');
    const page = await request(t.app).post('/auth/password/login').type('form').send({ email: 'dis@acme.test', password: PASSWORD }).expect(403);
    assert.match(page.text, /Your account is disabled/);
  });

  it('refuses password sign-in in an SSO-enforced org and points to its SSO login', async () => {
    const res = await login({ email: 'sam@ssoco.test', password: PASSWORD }).expect(403);
    assert.equal(res.body.error.details.loginUrl, '/saml/ssoco/login');
    assert.match(res.body.error.message, /single sign-on/);
    const named = await login({ email: 'anyone@else.test', password: 'whatever', org: 'ssoco' }).expect(403);
    assert.equal(named.body.error.details.reason, 'sso_required');
    // The sign-in form keeps where the person was going: the SSO link carries it as RelayState.
    const page = await request(t.app).post('/auth/password/login').type('form').send({ email: 'sam@ssoco.test', password: PASSWORD, next: '/console/users?q=ann' }).expect(403);
    assert.match(page.text, /href="\/saml\/ssoco\/login\?RelayState=%2Fconsole%2Fusers%3Fq%3Dann"/);
    const plain = await request(t.app).post('/auth/password/login').type('form').send({ email: 'sam@ssoco.test', password: PASSWORD }).expect(403);
    assert.match(plain.text, /href="\/saml\/ssoco\/login"/);
  });

  it('asks a person in several orgs to choose one, only after the password is verified', async () => {
    const wrong = await login({ email: 'multi@both.test', password: 'Not-The-Password-1' }).expect(401);
    assert.equal(JSON.stringify(wrong.body).includes('globex'), false);
    const res = await login({ email: 'multi@both.test', password: PASSWORD }).expect(400);
    assert.equal(res.body.error.code, 'org_required');
    assert.deepEqual(res.body.error.details.orgs, ['acme', 'globex']);
    const chosen = await login({ email: 'multi@both.test', password: PASSWORD, org: 'globex' }).expect(200);
    assert.equal(chosen.body.user.orgSlug, 'globex');
    await login({ email: 'multi@both.test', password: PASSWORD, org: 'initech' }).expect(401);
  });

  it('reads the chosen organization ID ignoring letter case, as "Sign in with SSO" does', async () => {
    const chosen = await login({ email: 'multi@both.test', password: PASSWORD, org: 'GloBex' }).expect(200);
    assert.equal(chosen.body.user.orgSlug, 'globex');
    const named = await login({ email: 'anyone@else.test', password: 'whatever', org: 'SSOCO' }).expect(403);
    assert.equal(named.body.error.details.loginUrl, '/saml/ssoco/login');
  });

  it('shows the organization choice on the HTML form by organization name, the slug as the value', async () => {
    const res = await request(t.app).post('/auth/password/login').type('form').send({ email: 'multi@both.test', password: PASSWORD }).expect(400);
    assert.match(res.text, /<select id="org" name="org" required><option value="acme">acme inc<\/option><option value="globex">globex inc<\/option><\/select>/);
    assert.match(res.text, /<label for="org">Organization<\/label>/);
  });

  it('adds the slug to organization names that collide in the choice, and lists the names for JSON clients', async () => {
    const eu = await seedOrg(t.container, 'twin-eu');
    const us = await seedOrg(t.container, 'twin-us');
    await t.container.fork().execute(`update organizations set name = 'Twin & Co' where id in (?, ?)`, [eu.id, us.id]);
    await seedPerson(t.container, eu, 'twin@both.test', { password: PASSWORD });
    await seedPerson(t.container, us, 'twin@both.test');
    await seedPerson(t.container, acme, 'twin@both.test');
    const res = await request(t.app).post('/auth/password/login').type('form').send({ email: 'twin@both.test', password: PASSWORD }).expect(400);
    assert.match(res.text, /<option value="acme">acme inc<\/option><option value="twin-eu">Twin &amp; Co \(twin-eu\)<\/option><option value="twin-us">Twin &amp; Co \(twin-us\)<\/option>/);
    const json = await login({ email: 'twin@both.test', password: PASSWORD }).expect(400);
    assert.deepEqual(json.body.error.details.orgs, ['acme', 'twin-eu', 'twin-us']);
    assert.deepEqual(json.body.error.details.organizations, [
      { slug: 'acme', name: 'acme inc' },
      { slug: 'twin-eu', name: 'Twin & Co' },
      { slug: 'twin-us', name: 'Twin & Co' },
    ]);
  });

  it('locks the account after 5 failures, refuses even the right password, and unlocks when the lock expires', async () => {
    await seedPerson(t.container, acme, 'lock@acme.test', { password: PASSWORD });
    for (let i = 0; i < 5; i++) await login({ email: 'lock@acme.test', password: `Wrong-Password-${i}` }).expect(401);
    const locked = await login({ email: 'lock@acme.test', password: PASSWORD }).expect(401);
    const reference = await login({ email: 'nobody@acme.test', password: PASSWORD }).expect(401);
    assert.deepEqual(locked.body, reference.body);
    const user = await t.container.fork().findOneOrFail(User, { email: 'lock@acme.test' });
    assert.equal(await t.container.fork().count(AuditEvent, { action: 'auth.locked', targetId: user.id }), 1);
    clock.advance(15 * 60_000 - 1000);
    await login({ email: 'lock@acme.test', password: PASSWORD }).expect(401);
    clock.advance(1000);
    await login({ email: 'lock@acme.test', password: PASSWORD }).expect(200);
    const credential = await t.container.fork().findOneOrFail(Credential, { email: 'lock@acme.test' });
    assert.equal(credential.failedAttempts, 0);
    assert.equal(credential.lockedUntil, null);
  });

  it('re-hashes a password stored with old scrypt parameters at sign-in', async () => {
    await seedPerson(t.container, acme, 'old@acme.test', { password: PASSWORD, scrypt: { N: 512, r: 8, p: 1, keylen: 32 } });
    await login({ email: 'old@acme.test', password: PASSWORD }).expect(200);
    const credential = await t.container.fork().findOneOrFail(Credential, { email: 'old@acme.test' });
    const { N, keylen } = t.container.config.auth.scrypt;
    assert.ok(credential.passwordHash.startsWith(`scrypt$${N}$8$1$`));
    assert.equal(credential.passwordHash.split('$')[5]!.length, Math.ceil((keylen * 4) / 3));
    await login({ email: 'old@acme.test', password: PASSWORD }).expect(200);
  });

  it('answers 400 naming the missing fields', async () => {
    const res = await login({ email: '' }).expect(400);
    assert.deepEqual(res.body.error.details.problems.map((p: { field: string }) => p.field).sort(), ['email', 'password']);
  });

  it('accepts the form from its own page when the browser sends Origin: null (Sec-Fetch-Site: same-origin)', async () => {
    const res = await request(t.app).post('/auth/password/login').set('Origin', 'null').set('Sec-Fetch-Site', 'same-origin').type('form').send({ email: 'ann@acme.test', password: PASSWORD });
    assert.equal(res.status, 303);
  });

  it('refuses a form post that the browser marks as cross-site or same-site, whatever Origin says', async () => {
    for (const site of ['cross-site', 'same-site']) {
      await request(t.app).post('/auth/password/login').set('Origin', 'null').set('Sec-Fetch-Site', site).type('form').send({ email: 'ann@acme.test', password: PASSWORD }).expect(403);
    }
  });

  it('refuses a cross-site form post', async () => {
    await request(t.app).post('/auth/password/login').set('Origin', 'https://evil.test').type('form').send({ email: 'ann@acme.test', password: PASSWORD }).expect(403);
  });

  it('serves an accessible sign-in page without caching', async () => {
    const res = await request(t.app).get('/auth/password/login').expect(200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.text, /<html lang="en">/);
    assert.match(res.text, /<label for="email">Email<\/label>\s*<input id="email" name="email" type="email" autocomplete="username"/);
    assert.match(res.text, /<label for="password">Password<\/label>/);
  });
});

describe('password sign-in: per-IP throttling', () => {
  let t: TestApp;
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  before(async () => {
    t = await createTestApp({ clock, config: { auth: { rateLimit: { requestsPerSecond: 0.1, burst: 3 } } } });
  });
  after(() => t.close());

  it('answers 429 with Retry-After once the IP has used its burst, and lets it in again later', async () => {
    const attempt = () => request(t.app).post('/auth/password/login').send({ email: 'x@y.test', password: 'nope' });
    for (let i = 0; i < 3; i++) await attempt().expect(401);
    const limited = await attempt().expect(429);
    assert.equal(limited.headers['retry-after'], '10');
    assert.equal(limited.body.error.code, 'rate_limited');
    clock.advance(10_000);
    await attempt().expect(401);
    await attempt().expect(429);
  });
});

describe('password sign-in: per-IP throttling behind one proxy (TRUST_PROXY=1)', () => {
  let t: TestApp;
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  before(async () => {
    const { trustProxy } = loadConfig({ env: { NODE_ENV: 'test', TRUST_PROXY: '1' } });
    t = await createTestApp({ clock, config: { trustProxy, auth: { rateLimit: { requestsPerSecond: 0.1, burst: 3 } } } });
  });
  after(() => t.close());

  it('throttles by the address the proxy appended, whatever the client wrote before it in X-Forwarded-For', async () => {
    // The balancer appends the peer it saw (198.51.100.9); everything left of it is the client's to write.
    const attempt = (i: number) => request(t.app).post('/auth/password/login').set('X-Forwarded-For', `203.0.113.${i}, 198.51.100.9`).send({ email: 'x@y.test', password: 'nope' });
    for (let i = 0; i < 3; i++) await attempt(i).expect(401);
    await attempt(99).expect(429);
  });
});
