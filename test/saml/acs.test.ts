import assert from 'node:assert/strict';
import request from 'supertest';
import { createApp } from '../../src/app.ts';
import { createContainer } from '../../src/container.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openStore, type Store } from '../../src/db/orm.ts';
import { AuditEvent, Session, SsoLink, User } from '../../src/db/entities/index.ts';
import { createTestApp, seedOrg, testConfig, type SeededOrg, type TestApp } from '../support/app.ts';
import { attackerKey, buildResponse, ENTRA, newId, IDP_SSO_URL, sign } from './support/idp.ts';
import { configureSaml, cookieOf, endpointsOf, postAcs, responseFor, seedUser, startSpLogin } from './support/sp.ts';

describe('SAML ACS', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let strict: SeededOrg;
  let globex: SeededOrg;

  before(async () => {
    // This file posts many failing responses from one address: the throttle has its own file (acs-throttle.test.ts).
    t = await createTestApp({ config: { saml: { failureLimit: { perClient: { requestsPerSecond: 0.5, burst: 1000 }, perOrgAudit: { requestsPerSecond: 1, burst: 1000 } } } } });
    acme = await seedOrg(t.container, 'acme');
    strict = await seedOrg(t.container, 'strict');
    globex = await seedOrg(t.container, 'globex');
    await configureSaml(t.app, acme, { allowIdpInitiated: true, jit: 'off', allowedRedirectUrls: ['https://app.acme.test/*'] });
    await configureSaml(t.app, strict, { allowIdpInitiated: false, allowedRedirectUrls: ['https://app.strict.test/home'] });
    await configureSaml(t.app, globex, { allowIdpInitiated: true });
    await seedUser(t.container, acme, 'alice@acme.test', { externalId: 'okta-alice' });
    await seedUser(t.container, strict, 'sam@strict.test');
  });
  after(() => t.close());

  const failures = async (reason: string) =>
    (await t.container.fork().find(AuditEvent, { action: 'sso.failed' })).filter((e) => e.details.reason === reason).length;

  async function expectRefused(res: request.Response, reason: string, status = 400) {
    assert.equal(res.status, status, res.text);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.ok(await failures(reason), `expected an sso.failed audit event with reason ${reason}`);
  }

  describe('valid responses', () => {
    it('signs in with an assertion-signed response and answers 303 to /api/session with a session cookie', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme')).expect(303);
      assert.equal(res.headers.location, '/console');
      const setCookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
      assert.match(setCookie, /^__Host-gatehouse_session=gh_session_/);
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Lax/);
      assert.match(setCookie, /Secure/);
      const session = await request(t.app).get('/api/session').set('Cookie', cookieOf(res)).expect(200);
      assert.equal(session.body.user.email, 'alice@acme.test');
      assert.equal(session.body.user.orgSlug, 'acme');
      assert.equal(session.body.user.orgRole, 'member');
      assert.equal(session.body.session.method, 'saml');
    });

    it('stores only the SHA-256 of the session token', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme')).expect(303);
      const token = decodeURIComponent(cookieOf(res).split('=')[1]!);
      const sessions = await t.container.fork().find(Session, {});
      assert.ok(sessions.every((s) => s.tokenHash !== token && s.tokenHash.length === 64));
    });


    it('signs in when both response and assertion are signed', async () => {
      await postAcs(t.app, 'acme', responseFor('acme', { signed: 'both' })).expect(303);
    });

    it('records sso.login, links the NameID and updates lastActiveAt', async () => {
      await postAcs(t.app, 'acme', responseFor('acme', { nameId: 'alice@acme.test' })).expect(303);
      const em = t.container.fork();
      const alice = await em.findOneOrFail(User, { userName: 'alice@acme.test' });
      assert.ok(alice.lastActiveAt);
      assert.ok(await em.findOne(SsoLink, { user: alice.id, nameId: 'alice@acme.test' }));
      const login = await em.find(AuditEvent, { action: 'sso.login', targetId: alice.id });
      assert.ok(login.length >= 1);
      assert.equal(login[0]!.actorType, 'user');
    });

    it('accepts a NotBefore slightly in the future, within the clock skew', async () => {
      const now = new Date();
      await postAcs(t.app, 'acme', responseFor('acme', { notBefore: new Date(now.getTime() + 60_000) })).expect(303);
    });

    it('redirects to an allowed RelayState and ignores one that is not on the allow-list', async () => {
      const allowed = await postAcs(t.app, 'acme', responseFor('acme'), { relayState: 'https://app.acme.test/projects/1' }).expect(303);
      assert.equal(allowed.headers.location, 'https://app.acme.test/projects/1');
      const evil = await postAcs(t.app, 'acme', responseFor('acme'), { relayState: 'https://evil.test/phish' }).expect(303);
      assert.equal(evil.headers.location, '/console');
    });

    it('ignores a RelayState carrying a NUL or another control character, and still signs in', async () => {
      for (const relayState of ['/console/users\u0000', 'https://app.acme.test/projects/1\u0000', '/console\r\nSet-Cookie: x=1', 'https://app.acme.test/projects/1\u0085']) {
        const res = await postAcs(t.app, 'acme', responseFor('acme'), { relayState });
        assert.equal(res.status, 303, `${JSON.stringify(relayState)}: ${res.status} ${res.text.slice(0, 200)}`);
        assert.equal(res.headers.location, '/console', JSON.stringify(relayState));
      }
    });

    it('refuses a bad response whose RelayState carries a NUL as it refuses any bad response, recording the failure', async () => {
      await expectRefused(await postAcs(t.app, 'acme', '<not base64>', { raw: true, relayState: '/console\u0000' }), 'malformed');
    });
  });

  describe('SP-initiated', () => {
    it('completes a round trip: AuthnRequest by redirect, Response with InResponseTo, then the RelayState', async () => {
      const authn = await startSpLogin(t.app, 'strict', { relayState: 'https://app.strict.test/home' });
      assert.equal(`${authn.url.origin}${authn.url.pathname}`, IDP_SSO_URL);
      assert.match(authn.xml, /AssertionConsumerServiceURL="https:\/\/gatehouse\.test\/saml\/strict\/acs"/);
      assert.equal(authn.relayState, 'https://app.strict.test/home');
      const res = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: authn.id }), { cookie: authn.cookie }).expect(303);
      assert.equal(res.headers.location, 'https://app.strict.test/home');
    });

    it('refuses a second response to the same AuthnRequest', async () => {
      const { id, cookie } = await startSpLogin(t.app, 'strict');
      await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: id }), { cookie }).expect(303);
      const again = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: id }), { cookie });
      await expectRefused(again, 'unknown_request');
    });

    it('refuses an unknown InResponseTo', async () => {
      const res = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: newId() }));
      await expectRefused(res, 'unknown_request');
    });

    it('refuses an InResponseTo that another org issued', async () => {
      const { id, cookie } = await startSpLogin(t.app, 'globex');
      const res = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: id }), { cookie });
      await expectRefused(res, 'unknown_request');
    });

    it('refuses to start a login whose RelayState is not on the allow-list', async () => {
      await request(t.app).get('/saml/strict/login').query({ RelayState: 'https://evil.test/' }).expect(400);
    });
  });

  describe('IdP-initiated', () => {
    it('accepts an unsolicited response when the connection allows IdP-initiated sign-in', async () => {
      await postAcs(t.app, 'acme', responseFor('acme', { inResponseTo: null })).expect(303);
    });

    it('refuses an unsolicited response when the connection does not allow it', async () => {
      const res = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test' }));
      await expectRefused(res, 'unsolicited');
    });

    it('tells a person who clicked the IdP dashboard tile to sign in from here, with the link that starts it', async () => {
      // One failing post: the file's tests share one client address and its failure budget.
      const page = await postAcs(t.app, 'strict', responseFor('strict', { nameId: 'sam@strict.test' }));
      assert.equal(page.status, 400);
      assert.match(page.text, /dashboard/);
      assert.match(page.text, /<a href="\/saml\/strict\/login"[^>]*>Sign in with single sign-on<\/a>/);
    });

    it('refuses an unsolicited assertion whose unsigned Response envelope was given a real request id', async () => {
      const { id, cookie } = await startSpLogin(t.app, 'strict');
      // Signed as an IdP-initiated assertion is (no InResponseTo); the attacker adds one to the unsigned envelope only.
      const xml = responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: null }).replace('<samlp:Response ', `<samlp:Response InResponseTo="${id}" `);
      const before = await failures('unsolicited');
      const res = await postAcs(t.app, 'strict', xml, { cookie });
      await expectRefused(res, 'unsolicited');
      assert.equal(await failures('unsolicited'), before + 1);
    });

    it("takes a signed Response's InResponseTo when the assertion inside carries none", async () => {
      const { id, cookie } = await startSpLogin(t.app, 'strict');
      const xml = sign(sign(buildResponse({ audience: endpointsOf('strict').spEntityId, acsUrl: endpointsOf('strict').acsUrl, nameId: 'sam@strict.test', inResponseTo: null })
        .replace('<samlp:Response ', `<samlp:Response InResponseTo="${id}" `), 'assertion'), 'response');
      await postAcs(t.app, 'strict', xml, { cookie }).expect(303);
    });
  });

  describe('forged and broken responses', () => {
    it('refuses an unsigned response with a page carrying the request id and no reason', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { signed: false }));
      await expectRefused(res, 'unsigned');
      assert.match(res.headers['content-type'] ?? '', /text\/html/);
      assert.ok(res.text.includes(res.headers['x-request-id'] as string));
      assert.doesNotMatch(res.text, /unsigned|signature|Error:|at /i);
    });

    it('answers JSON with the request id when the client asks for JSON', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { signed: false }), { json: true }).expect(400);
      assert.equal(res.body.error.code, 'sso_failed');
      assert.equal(res.body.error.details.requestId, res.headers['x-request-id']);
    });

    it('refuses a Response signed by the trusted IdP whose assertion is unsigned, as the SP metadata (WantAssertionsSigned) says', async () => {
      const metadata = await request(t.app).get('/saml/acme/metadata').expect(200);
      assert.match(metadata.text, /WantAssertionsSigned="true"/);
      const xml = responseFor('acme', { nameId: 'alice@acme.test', signed: 'response' });
      assert.match(xml, /<samlp:Response [^>]*>[\s\S]*<Signature/);
      assert.doesNotMatch(/<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0], /<Signature/);
      const before = await failures('unsigned');
      await expectRefused(await postAcs(t.app, 'acme', xml), 'unsigned');
      assert.equal(await failures('unsigned'), before + 1);
      const event = (await t.container.fork().find(AuditEvent, { action: 'sso.failed' }, { orderBy: { at: 'desc' } }))[0]!;
      assert.match(String(event.details.detail), /Assertion is not signed/);
    });

    it('refuses a response signed with a key the connection does not trust', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { signing: { keys: attackerKey } }));
      await expectRefused(res, 'bad_signature');
    });

    it('refuses a trusted signed assertion inside a Response signed with a key the connection does not trust', async () => {
      const ep = endpointsOf('acme');
      const xml = sign(sign(buildResponse({ audience: ep.spEntityId, acsUrl: ep.acsUrl }), 'assertion'), 'response', { keys: attackerKey });
      const before = await failures('bad_signature');
      await expectRefused(await postAcs(t.app, 'acme', xml), 'bad_signature');
      assert.equal(await failures('bad_signature'), before + 1);
    });

    it('refuses an assertion signed with an untrusted key inside a Response the IdP signed', async () => {
      const ep = endpointsOf('acme');
      const xml = sign(sign(buildResponse({ audience: ep.spEntityId, acsUrl: ep.acsUrl }), 'assertion', { keys: attackerKey }), 'response');
      const before = await failures('bad_signature');
      await expectRefused(await postAcs(t.app, 'acme', xml), 'bad_signature');
      assert.equal(await failures('bad_signature'), before + 1);
    });

    it('refuses an assertion when one of its AudienceRestrictions does not name this SP (each must, SAML core §2.5.1.4)', async () => {
      const ep = endpointsOf('acme');
      const xml = sign(buildResponse({ audience: ep.spEntityId, acsUrl: ep.acsUrl })
        .replace('<saml:AudienceRestriction>', '<saml:AudienceRestriction><saml:Audience>https://other-sp.example</saml:Audience></saml:AudienceRestriction><saml:AudienceRestriction>'), 'assertion');
      const before = await failures('audience');
      await expectRefused(await postAcs(t.app, 'acme', xml), 'audience');
      assert.equal(await failures('audience'), before + 1);
    });

    it('refuses a response whose assertion was tampered with after signing', async () => {
      const signed = responseFor('acme', { nameId: 'nobody@acme.test' });
      const res = await postAcs(t.app, 'acme', signed.replace('nobody@acme.test', 'alice@acme.test'));
      await expectRefused(res, 'bad_signature');
    });

    it('refuses signature wrapping: a forged assertion beside the signed one', async () => {
      const signed = responseFor('acme', { nameId: 'nobody@acme.test' });
      const original = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signed)![0];
      const forged = original.replace('nobody@acme.test', 'alice@acme.test').replace(/<Signature[\s\S]*<\/Signature>/, '');
      const wrapped = signed.replace(original, forged + original);
      await expectRefused(await postAcs(t.app, 'acme', wrapped), 'assertion_count');
    });

    it('refuses signature wrapping: the signed assertion hidden in Extensions, a forged one with its ID in its place', async () => {
      const signed = responseFor('acme', { nameId: 'nobody@acme.test' });
      const original = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signed)![0];
      const forged = original.replace('nobody@acme.test', 'alice@acme.test').replace(/<Signature[\s\S]*<\/Signature>/, '');
      const wrapped = signed.replace(original, `<samlp:Extensions>${original}</samlp:Extensions>${forged}`);
      await expectRefused(await postAcs(t.app, 'acme', wrapped), 'assertion_count');
    });

    it('refuses signature wrapping of a signed response inside a forged one', async () => {
      const signed = responseFor('acme', { nameId: 'nobody@acme.test', signed: 'response' });
      const forged = responseFor('acme', { nameId: 'alice@acme.test', signed: false });
      const wrapped = forged.replace('<samlp:Status>', `<samlp:Extensions>${signed}</samlp:Extensions><samlp:Status>`);
      await expectRefused(await postAcs(t.app, 'acme', wrapped), 'assertion_count');
    });

    it('refuses an expired assertion', async () => {
      const past = new Date(Date.now() - 60 * 60_000);
      const res = await postAcs(t.app, 'acme', responseFor('acme', { now: past, notOnOrAfter: new Date(past.getTime() + 5 * 60_000) }));
      await expectRefused(res, 'expired');
    });

    it('refuses an assertion that is not yet valid', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { notBefore: new Date(Date.now() + 10 * 60_000) }));
      await expectRefused(res, 'not_yet_valid');
    });

    it('refuses a wrong audience', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { audience: endpointsOf('globex').spEntityId }));
      await expectRefused(res, 'audience');
    });

    it('refuses a wrong Recipient', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { recipient: endpointsOf('globex').acsUrl }));
      await expectRefused(res, 'recipient');
    });

    it('refuses a wrong Destination', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { destination: endpointsOf('globex').acsUrl }));
      await expectRefused(res, 'destination');
    });

    it('refuses a wrong Issuer', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { issuer: 'https://evil-idp.test', responseIssuer: 'https://evil-idp.test' }));
      await expectRefused(res, 'issuer');
    });

    it('refuses a response meant for another org (signed by the same IdP)', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('globex'));
      assert.equal(res.status, 400);
    });

    it('refuses SHA-1 signatures unless the connection allows them', async () => {
      const res = await postAcs(t.app, 'acme', responseFor('acme', { signing: { algorithm: 'sha1' } }));
      await expectRefused(res, 'weak_algorithm');
      await configureSaml(t.app, globex, { allowIdpInitiated: true, allowSha1: true, jit: 'create' });
      await postAcs(t.app, 'globex', responseFor('globex', { nameId: 'legacy@globex.test', signing: { algorithm: 'sha1' } })).expect(303);
    });

    it('names the IdP\'s error status when it answers without an assertion (Okta, Entra: person not assigned to the app)', async () => {
      const denied = buildResponse({ audience: endpointsOf('acme').spEntityId, acsUrl: endpointsOf('acme').acsUrl })
        .replace(/<samlp:Status>[\s\S]*<\/samlp:Response>$/, '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode><samlp:StatusMessage>User is not assigned to this application</samlp:StatusMessage></samlp:Status></samlp:Response>');
      const res = await postAcs(t.app, 'acme', denied);
      await expectRefused(res, 'status');
      assert.match(res.text, /identity provider did not sign you in/);
      const event = (await t.container.fork().find(AuditEvent, { action: 'sso.failed' }, { orderBy: { id: 'desc' } })).find((e) => e.details.reason === 'status')!;
      assert.match(String(event.details.detail), /Responder.*RequestDenied.*User is not assigned to this application/);
    });

    it('refuses a DOCTYPE (entity expansion, XXE)', async () => {
      const signed = responseFor('acme');
      const withDoctype = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "alice@acme.test">]>${signed}`;
      await expectRefused(await postAcs(t.app, 'acme', withDoctype), 'doctype');
    });

    it('refuses a body over the ACS size limit with 413', async () => {
      const res = await postAcs(t.app, 'acme', 'A'.repeat(400 * 1024), { raw: true });
      await expectRefused(res, 'too_large', 413);
    });

    it('refuses a SAMLResponse that is not base64', async () => {
      await expectRefused(await postAcs(t.app, 'acme', '<not base64>', { raw: true }), 'malformed');
    });

    it('answers 404 for an org without SAML', async () => {
      await seedOrg(t.container, 'nosso');
      await postAcs(t.app, 'nosso', responseFor('nosso')).expect(404);
    });
  });

  describe('replay', () => {
    it('refuses the same assertion twice on one instance', async () => {
      const xml = responseFor('acme');
      await postAcs(t.app, 'acme', xml).expect(303);
      await expectRefused(await postAcs(t.app, 'acme', xml), 'replay');
    });

    it('refuses the same assertion on a second instance sharing the database', async () => {
      let second: Store | undefined;
      const store = t.db.url ? (second = await openStore({ databaseUrl: t.db.url, dataDir: '' })) : t.db.store;
      try {
        const other = createApp(createContainer({ config: testConfig(), logger: createLogger('silent'), store }));
        const xml = responseFor('acme');
        await postAcs(t.app, 'acme', xml).expect(303);
        const res = await postAcs(other, 'acme', xml);
        assert.equal(res.status, 400);
        assert.ok(await failures('replay'));
      } finally {
        await second?.close();
      }
    });

    it('answers an SP-initiated request on a second instance that the first one issued', async () => {
      const other = createApp(createContainer({ config: testConfig(), logger: createLogger('silent'), store: t.db.store }));
      const { id, cookie } = await startSpLogin(t.app, 'strict');
      await postAcs(other, 'strict', responseFor('strict', { nameId: 'sam@strict.test', inResponseTo: id }), { cookie }).expect(303);
    });
  });

  describe('Entra claims', () => {
    it('finds the user by the Entra email claim when the NameID is an opaque id', async () => {
      const res = await postAcs(
        t.app,
        'acme',
        responseFor('acme', {
          nameId: 'f3c1e2b0-entra-object-id',
          nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
          attributes: { [ENTRA.email]: 'ALICE@acme.test', [ENTRA.givenName]: 'Alice', [ENTRA.groups]: ['g1', 'g2'] },
        }),
      ).expect(303);
      const session = await request(t.app).get('/api/session').set('Cookie', cookieOf(res)).expect(200);
      assert.equal(session.body.user.email, 'alice@acme.test');
    });
  });

  it('answers a browser that opens the ACS address (GET) with a readable 405 page, not a JSON 404', async () => {
    for (const path of [endpointsOf('acme').acsPath, '/saml/acme/staging/acs']) {
      const res = await request(t.app).get(path).set('Accept', 'text/html').expect(405);
      assert.equal(res.headers.allow, 'POST');
      assert.match(res.headers['content-type'] ?? '', /text\/html/);
      assert.match(res.text, /receives sign-ins from your identity provider/);
    }
    const json = await request(t.app).get(endpointsOf('acme').acsPath).set('Accept', 'application/json').expect(405);
    assert.equal(json.body.error.code, 'method_not_allowed');
  });

  it('still serves SP metadata with the entity ID and a POST ACS', async () => {
    const res = await request(t.app).get('/saml/acme/metadata').expect(200);
    assert.match(res.headers['content-type'] ?? '', /samlmetadata\+xml/);
    assert.match(res.text, /entityID="https:\/\/gatehouse\.test\/saml\/acme"/);
    assert.match(res.text, /Binding="urn:oasis:names:tc:SAML:2\.0:bindings:HTTP-POST" Location="https:\/\/gatehouse\.test\/saml\/acme\/acs"/);
    assert.match(res.text, /NameIDFormat/);
  });
});
