import assert from 'node:assert/strict';
import request from 'supertest';
import { AuditEvent } from '../../src/db/entities/index.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { buildResponse, encode, readAuthnRequest, sign } from './support/idp.ts';
import { configureSaml, cookieOf, postAcs, responseFor, seedUser, startSpLogin } from './support/sp.ts';

/**
 * Login CSRF (session swapping): an SP-initiated response is accepted only from
 * the browser that started the sign-in, which holds the cookie GET …/login set.
 */
describe('SAML: a sign-in is bound to the browser that started it', () => {
  let t: TestApp;
  let strict: SeededOrg;
  let open: SeededOrg;

  before(async () => {
    t = await createTestApp({ config: { saml: { failureLimit: { perClient: { requestsPerSecond: 0.5, burst: 1000 }, perOrgAudit: { requestsPerSecond: 1, burst: 1000 } } } } });
    strict = await seedOrg(t.container, 'strict');
    open = await seedOrg(t.container, 'open');
    await configureSaml(t.app, strict, { allowIdpInitiated: false, allowedRedirectUrls: ['https://app.strict.test/home'] });
    await configureSaml(t.app, strict, { allowIdpInitiated: false }, 'staging');
    await configureSaml(t.app, open, { allowIdpInitiated: true });
    await seedUser(t.container, strict, 'sam@strict.test');
    await seedUser(t.container, strict, 'mallory@strict.test');
    await seedUser(t.container, open, 'olga@open.test');
  });
  after(() => t.close());

  const failures = async (reason: string) =>
    (await t.container.fork().find(AuditEvent, { action: 'sso.failed' })).filter((e) => e.details.reason === reason);
  const setCookies = (res: request.Response) => (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];

  it('sets a short-lived HttpOnly cookie, SameSite=None and Secure on https, when it sends the AuthnRequest', async () => {
    const login = await startSpLogin(t.app, 'strict');
    assert.ok(login.setCookie, 'expected the binding cookie');
    const [pair, ...attributes] = login.setCookie.split('; ');
    assert.match(pair!, /^__Host-gatehouse_saml\.strict\.default=[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(attributes.sort(), ['HttpOnly', 'Max-Age=600', 'Path=/', 'SameSite=None', 'Secure']);
    // The value is a nonce, not the request id the IdP (and whoever holds the response) sees.
    assert.ok(!login.setCookie.includes(login.id));
  });

  it('signs in the browser that started the sign-in, and clears its cookie', async () => {
    const login = await startSpLogin(t.app, 'strict', { relayState: 'https://app.strict.test/home' });
    const res = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: login.id }), { cookie: login.cookie }).expect(303);
    assert.equal(res.headers.location, 'https://app.strict.test/home');
    const cookies = setCookies(res);
    assert.match(cookies[0]!, /^__Host-gatehouse_session=/);
    const cleared = cookies.find((c) => c.startsWith('__Host-gatehouse_saml.strict.default='));
    assert.ok(cleared, 'expected the binding cookie to be cleared');
    assert.match(cleared, /^__Host-gatehouse_saml\.strict\.default=; Path=\/; HttpOnly; SameSite=None; Max-Age=0; Secure$/);
    const session = await request(t.app).get('/api/session').set('Cookie', cookieOf(res)).expect(200);
    assert.equal(session.body.user.email, 'sam@strict.test');
  });

  it('refuses the attacker\'s own response posted from a victim\'s browser that never started a sign-in, with a page that starts one', async () => {
    // The attacker starts a sign-in in their own browser and signs in at the IdP as themselves…
    const attacker = await startSpLogin(t.app, 'strict');
    const response = responseFor('strict', { nameId: 'mallory@strict.test', inResponseTo: attacker.id });
    // …then a page of theirs makes the victim's browser post that response (it holds no binding cookie).
    const before = (await failures('binding_missing')).length;
    const res = await postAcs(t.app, 'strict', response);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.match(res.text, /not started in this browser/);
    assert.match(res.text, /<a href="\/saml\/strict\/login"[^>]*>Sign in with single sign-on<\/a>/);
    const audited = await failures('binding_missing');
    assert.equal(audited.length, before + 1);
    assert.ok(audited.every((e) => e.targetType === 'saml_connection' && e.targetLabel === 'default'));
  });

  it('refuses the attacker\'s response posted from a victim\'s browser that is in the middle of its own sign-in', async () => {
    const attacker = await startSpLogin(t.app, 'strict');
    const victim = await startSpLogin(t.app, 'strict');
    const res = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'mallory@strict.test', inResponseTo: attacker.id }), { cookie: victim.cookie, json: true });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'sso_failed');
    assert.equal(res.body.error.details.loginUrl, '/saml/strict/login');
    // Not "not started in this browser": most often the person's own second tab started another sign-in.
    assert.match(res.body.error.message, /another sign-in was started in this browser since/);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.ok((await failures('binding_mismatch')).length);
    // The victim's own sign-in still completes.
    await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: victim.id }), { cookie: victim.cookie }).expect(303);
  });

  it("keeps where the person was going in the page's link to start again: the response's RelayState when the connection allows it, never another", async () => {
    // A browser that started no sign-in posts a response made for another (binding_missing), with a RelayState.
    const posted = async (relayState: string) => {
      const started = await startSpLogin(t.app, 'strict', { relayState });
      return postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: started.id }), { relayState, json: true });
    };
    const kept = await posted('/console/users?q=ann');
    assert.equal(kept.status, 400);
    assert.equal(kept.body.error.details.loginUrl, '/saml/strict/login?RelayState=%2Fconsole%2Fusers%3Fq%3Dann', JSON.stringify(kept.body));
    const allowed = await posted('https://app.strict.test/home');
    assert.equal(allowed.body.error.details.loginUrl, '/saml/strict/login?RelayState=https%3A%2F%2Fapp.strict.test%2Fhome');
    const attacker = await startSpLogin(t.app, 'strict');
    const page = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'mallory@strict.test', inResponseTo: attacker.id }), { relayState: '/console/users' });
    assert.match(page.text, /<a href="\/saml\/strict\/login\?RelayState=%2Fconsole%2Fusers"[^>]*>Sign in with single sign-on<\/a>/);
    for (const foreign of ['https://evil.test/', '//evil.test/x']) {
      const other = await startSpLogin(t.app, 'strict');
      const dropped = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: other.id }), { relayState: foreign, json: true });
      assert.equal(dropped.body.error?.details.loginUrl, '/saml/strict/login', `${foreign}: ${JSON.stringify(dropped.body)}`);
    }
  });

  it('refuses a response whose cookie belongs to another connection of the org', async () => {
    const staging = await startSpLogin(t.app, 'strict', { connection: 'staging' });
    assert.match(staging.cookie!, /^__Host-gatehouse_saml\.strict\.staging=/);
    const other = await startSpLogin(t.app, 'strict');
    const xml = responseFor('strict', { connection: 'staging', nameId: 'sam@strict.test', inResponseTo: staging.id });
    const res = await postAcs(t.app, 'strict', xml, { connection: 'staging', cookie: other.cookie!.replace('.default=', '.staging=') });
    assert.equal(res.status, 400);
    assert.ok((await failures('binding_mismatch')).length);
  });

  it('takes the binding cookie among the browser\'s other cookies', async () => {
    const login = await startSpLogin(t.app, 'strict');
    const cookie = `__Host-gatehouse_saml.strict.staging=other; ${login.cookie}; theme=dark`;
    await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: login.id }), { cookie }).expect(303);
  });

  it('leaves IdP-initiated sign-in to the connection\'s option: accepted without a cookie where allowed', async () => {
    const res = await postAcs(t.app, 'open', responseFor('open', { nameId: 'olga@open.test', inResponseTo: null })).expect(303);
    assert.equal(setCookies(res).length, 1);
  });

  describe('on a plain-http PUBLIC_URL (local development)', () => {
    let local: TestApp;
    const publicUrl = 'http://localhost:3000';
    before(async () => {
      local = await createTestApp({ config: { publicUrl } });
      const org = await seedOrg(local.container, 'dev');
      await configureSaml(local.app, org, {});
      await seedUser(local.container, org, 'dev@dev.test');
    });
    after(() => local.close());

    it('sets the cookie without Secure (browsers refuse it over http), so without SameSite=None, and still requires it', async () => {
      const responseTo = (id: string) =>
        encode(sign(buildResponse({ audience: `${publicUrl}/saml/dev`, acsUrl: `${publicUrl}/saml/dev/acs`, nameId: 'dev@dev.test', inResponseTo: id }), 'assertion'));
      const start = async () => {
        const login = await request(local.app).get('/saml/dev/login').expect(302);
        const setCookie = setCookies(login).find((c) => c.startsWith('gatehouse_saml.dev.default='));
        assert.ok(setCookie, JSON.stringify(setCookies(login)));
        return { id: readAuthnRequest(login.headers.location!).id, setCookie, cookie: setCookie.split(';')[0]! };
      };
      const first = await start();
      assert.deepEqual(first.setCookie.split('; ').slice(1).sort(), ['HttpOnly', 'Max-Age=600', 'Path=/']);
      // A browser that did not send the cookie back is refused, and that request is used up…
      await request(local.app).post('/saml/dev/acs').type('form').send({ SAMLResponse: responseTo(first.id) }).expect(400);
      await request(local.app).post('/saml/dev/acs').type('form').set('Cookie', first.cookie).send({ SAMLResponse: responseTo(first.id) }).expect(400);
      // …one that did is signed in.
      const second = await start();
      const res = await request(local.app).post('/saml/dev/acs').type('form').set('Cookie', second.cookie).send({ SAMLResponse: responseTo(second.id) }).expect(303);
      assert.match(setCookies(res)[1]!, /^gatehouse_saml\.dev\.default=; Path=\/; HttpOnly; Max-Age=0$/);
    });
  });
});
